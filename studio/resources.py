"""Where the shipped resources live (resources/ beside the packages, or bundled), and the
user's own writable copy of the sample project."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from platformdirs import user_data_dir

from studio.errors import StudioError

log = logging.getLogger(__name__)

APP_DIR = "brief-studio"
SAMPLE_NAME = "aurora-launch"
# local state and leftovers that never travel with the shipped sample
_SAMPLE_SKIP = {"studio.db", "studio.db-wal", "studio.db-shm", "media", "__pycache__"}


def _frozen_root() -> Path | None:
    frozen = getattr(sys, "_MEIPASS", None)
    return Path(frozen) if frozen else None


def _source_root() -> Path:
    return Path(__file__).resolve().parent.parent


def resources_dir() -> Path:
    override = os.environ.get("STUDIO_RESOURCES_DIR")
    if override:
        return Path(override)
    frozen = _frozen_root()
    if frozen:
        return frozen / "resources"
    return _source_root() / "resources"


def projects_dir() -> Path:
    frozen = _frozen_root()
    if frozen:
        return frozen / "projects"
    return _source_root() / "projects"


def sample_project() -> Path:
    """The shipped sample, read-only by contract: open :func:`sample_project_copy` instead."""
    return projects_dir() / SAMPLE_NAME


def user_projects_dir() -> Path:
    """``user_data_dir("brief-studio")/projects`` (``~/.local/share/brief-studio/projects``)."""
    return Path(user_data_dir(APP_DIR)) / "projects"


def _skip_state(_folder: str, names: list[str]) -> set[str]:
    return {n for n in names
            if n in _SAMPLE_SKIP or n.startswith(".studio-autosave") or n.endswith((".pyc", ".tmp"))}


def sample_project_copy() -> Path:
    """The user's own copy of the sample project, made from the shipped one on first use.

    Lives in ``user_data_dir("brief-studio")/projects/aurora-launch``. The first call copies
    the shipped sample (without ``studio.db`` or ``media/``) into a temporary folder beside
    it and renames that into place, so a crash never leaves half a copy; later calls reuse
    the copy as it is (the user's edits and takes stay). The shipped sample — inside the
    install folder or the source checkout — is never opened or written by the app.
    Raises StudioError naming the folder when it cannot be made.
    """
    dest = user_projects_dir() / SAMPLE_NAME
    if (dest / "project.yaml").is_file():
        return dest
    source = sample_project()
    if not (source / "project.yaml").is_file():
        raise StudioError(f"{source}: the sample project is not installed with this build")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        with _copy_lock(dest.parent.parent / ".sample-copy.lock"):
            # checked again under the lock: a concurrent first run (another window, a script)
            # may have finished the copy while this one waited — not to be moved aside
            if (dest / "project.yaml").is_file():
                log.info("another process copied the sample to %s first; using it", dest)
                return dest
            return _copy_sample(source, dest)  # its own errors are StudioErrors already
    except OSError as exc:
        raise StudioError(f"{dest}: cannot make a copy of the sample project: "
                          f"{exc.strerror or exc}") from exc


@contextlib.contextmanager
def _copy_lock(path: Path) -> Iterator[None]:
    """An exclusive lock (``flock``, dropped by the OS if the holder dies) serialising first
    runs, across processes and threads; where there is no ``fcntl`` the copy runs unlocked."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    with path.open("a", encoding="utf-8") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        except OSError as exc:
            if exc.errno not in _NO_LOCKS:
                raise
            # a file system without locks (NFS without lockd, some FUSE/SMB mounts): copy
            # unlocked, as before locks were taken; the re-check still avoids most races
            log.info("%s: no file locks here (%s); copying without one", path, exc.strerror)
            yield
            return
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


_NO_LOCKS = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL}


def _copy_sample(source: Path, dest: Path) -> Path:
    tmp: Path | None = None
    try:
        if dest.exists():
            # a folder without project.yaml is not a copy we made; keep it, out of the way
            aside = dest.with_name(f"{SAMPLE_NAME}.incomplete-{os.getpid()}")
            log.warning("%s has no project.yaml; moving it to %s", dest, aside)
            dest.rename(aside)
        tmp = Path(tempfile.mkdtemp(prefix=f".{SAMPLE_NAME}-", suffix=".tmp", dir=dest.parent))
        shutil.copytree(source, tmp / SAMPLE_NAME, ignore=_skip_state)
        copied = tmp / SAMPLE_NAME
        for path in [copied, *copied.rglob("*")]:  # a read-only install gives read-only files
            path.chmod(path.stat().st_mode | 0o200)
        try:
            os.rename(tmp / SAMPLE_NAME, dest)
        except OSError:
            if not (dest / "project.yaml").is_file():  # not a concurrent first run: real error
                raise
            log.info("another process copied the sample to %s first; using it", dest)
        else:
            log.info("copied the sample project to %s", dest)
    except OSError as exc:
        raise StudioError(f"{dest}: cannot make a copy of the sample project: "
                          f"{exc.strerror or exc}") from exc
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return dest


def user_guide() -> Path | None:
    """docs/guide.md of the source checkout or of the packaged app, or None if not shipped."""
    roots = [_source_root()]
    frozen = _frozen_root()
    if frozen:
        roots.insert(0, frozen)
    for root in roots:
        path = root / "docs" / "guide.md"
        if path.is_file():
            return path
    return None
