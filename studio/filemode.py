"""Permissions for files written through a temp file and a rename.

``tempfile.mkstemp`` creates 0600 files and ``mkdtemp`` 0700 folders whatever the umask; a
file renamed into place from one keeps that mode. The project file, sidecars, thumbnails,
takes, imported projects and exported bundles are ordinary user files, so they get the mode
any other new file gets: 0666 & ~umask (folders 0777 & ~umask). A file that is replaced keeps
the mode it had (as when it is edited in place). Only private things stay 0600: consent
evidence (signed releases, IDs) copied into the project.
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from pathlib import Path

PRIVATE_FILE_MODE = 0o600
_umask_lock = threading.Lock()


def current_umask() -> int:
    """The process umask, read without changing it where the OS allows (Linux /proc)."""
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    with _umask_lock:  # elsewhere: set and restore (other threads' creates may race this)
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def new_file_mode() -> int:
    return 0o666 & ~current_umask()


def new_dir_mode() -> int:
    return 0o777 & ~current_umask()


def file_mode_for(target: Path, *, private: bool = False, keep_existing: bool = True) -> int:
    """The mode a temp file should get before it replaces ``target``."""
    if private:
        return PRIVATE_FILE_MODE
    if keep_existing:
        with contextlib.suppress(OSError):
            st = os.stat(target)
            if stat.S_ISREG(st.st_mode):
                return stat.S_IMODE(st.st_mode)
    return new_file_mode()


def set_mode(path: Path | str, mode: int) -> None:
    """chmod, ignoring file systems that do not support it."""
    with contextlib.suppress(OSError):
        os.chmod(path, mode)
