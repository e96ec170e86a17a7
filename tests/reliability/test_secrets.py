"""A provider key never lands in a file: project, home, temp, bundle or log.

Two recognisable keys: one in ``OPENAI_API_KEY``, one stored with ``studio key set openai``
in the (in-memory) keyring. Every CLI path runs in-process (so the keyring is the test's),
the queue runs against the loopback OpenAI server with each key, the redacted log file is
on at DEBUG, and then every byte of every file under the test's folders (project, home and
its XDG folders, the temp dir, the bundle, the imported copy, the log) is searched for each
key, also base64- and hex-encoded. Zero hits, and none on stdout/stderr either.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.cli import main as cli
from tests.e2e.openai_server import OpenAIServer

ENV_KEY = "sk-proj-ENVKEY-7f3a9c1e5b2d4f60a8e1c3b5d7f9a1c3"
RING_KEY = "sk-proj-RINGKEY-0d2f4b6a8c0e2f4a6b8c0d2e4f6a8b0c"


def _forms(key: str) -> list[bytes]:
    raw = key.encode()
    return [raw, base64.b64encode(raw), raw.hex().encode(), key[8:].encode(),  # the secret part
            base64.b64encode(f"Bearer {key}".encode())]


def _files(*folders: Path) -> Iterator[Path]:
    seen = set()
    for folder in folders:
        for dirpath, _dirs, names in os.walk(folder):
            for name in names:
                p = Path(dirpath, name)
                if p.is_file() and not p.is_symlink() and p not in seen:
                    seen.add(p)
                    yield p


def _hits(folders: list[Path], keys: list[str]) -> list[str]:
    found = []
    for path in _files(*folders):
        data = path.read_bytes()
        for key in keys:
            for form in _forms(key):
                if form in data:
                    found.append(f"{path}: contains {form[:12]!r}…")
    return found


@pytest.fixture
def log_file(isolated_env: Path, tmp_path: Path) -> Iterator[Path]:
    """The app's redacted log file, at DEBUG, inside this test's home."""
    from studio.logsetup import configure_logging

    root = logging.getLogger()
    before = list(root.handlers), root.level
    path = configure_logging(verbose=True)
    yield path
    for handler in list(root.handlers):
        if handler not in before[0]:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(before[1])


def run(capsys: pytest.CaptureFixture[str], outputs: list[str], *args: str,
        ok: bool = True) -> str:
    code = cli(list(args))
    captured = capsys.readouterr()
    outputs.append(captured.out + captured.err)
    if ok:
        assert code == 0, f"studio {' '.join(args)} → {code}: {captured.err}"
    return captured.out


def test_keys_never_written(tmp_path: Path, isolated_env: Path, log_file: Path,
                            monkeypatch: pytest.MonkeyPatch,
                            capsys: pytest.CaptureFixture[str]) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    outputs: list[str] = []
    work = tmp_path / "work"
    work.mkdir()
    proj = work / "aurora"
    import shutil

    from tests.conftest import SAMPLE

    shutil.copytree(SAMPLE, proj, ignore=shutil.ignore_patterns("studio.db*", "media"))
    shots = ["--shot", "s01-ridge-dawn", "--shot", "s02-lace-up"]

    # ---- with the key in the environment
    server = OpenAIServer(api_key=ENV_KEY).start()
    try:
        monkeypatch.setenv("OPENAI_API_KEY", ENV_KEY)
        monkeypatch.setenv("STUDIO_OPENAI_BASE_URL", server.base_url)
        run(capsys, outputs, "new", str(work / "fresh"), "--name", "Fresh")
        run(capsys, outputs, "-v", "validate", str(proj), ok=False)
        run(capsys, outputs, "-v", "prompt", str(proj), "--provider", "openai", "--json")
        run(capsys, outputs, "providers", "--json")
        run(capsys, outputs, "consent", "list", str(proj), "--json")
        run(capsys, outputs, "consent", "check", str(proj), ok=False)
        run(capsys, outputs, "consent", "audit", str(proj), "--json", ok=False)
        run(capsys, outputs, "-v", "queue", "add", str(proj), *shots, "--provider", "openai")
        run(capsys, outputs, "-v", "queue", "run", str(proj), "--until-idle")
        jobs = json.loads(run(capsys, outputs, "queue", "list", str(proj), "--json"))
        assert [j["status"] for j in jobs] == ["succeeded"] * 2, jobs
        assert server.stats.creates == 2 and server.violations == []
    finally:
        server.stop()

    # ---- with the key in the keyring only
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.setattr(sys, "stdin", io.StringIO(RING_KEY + "\n"))
    run(capsys, outputs, "key", "set", "openai")
    server = OpenAIServer(api_key=RING_KEY).start()
    try:
        monkeypatch.setenv("STUDIO_OPENAI_BASE_URL", server.base_url)
        run(capsys, outputs, "providers", "--json")
        run(capsys, outputs, "-v", "queue", "add", str(proj), "--shot", "s05-packshot",
            "--provider", "openai")
        run(capsys, outputs, "-v", "queue", "run", str(proj), "--until-idle")
        assert server.stats.creates == 1 and server.violations == []
    finally:
        server.stop()

    # ---- results, bundle
    results = json.loads(run(capsys, outputs, "results", "list", str(proj), "--json"))
    assert len(results) == 3
    rid = results[0]["id"]
    run(capsys, outputs, "results", "tag", str(proj), rid, "hero", "dawn")
    run(capsys, outputs, "results", "rate", str(proj), rid, "4")
    run(capsys, outputs, "results", "review", str(proj), rid, "approved", "--note", "ok")
    take = proj / results[1]["path"] if not Path(results[1]["path"]).is_absolute() \
        else Path(results[1]["path"])
    outside = work / "outside-take.mp4"
    outside.write_bytes(take.read_bytes()[:-1] + b"\x00")  # a different file, same kind
    run(capsys, outputs, "results", "import", str(proj), str(outside), ok=False)
    bundle = work / "aurora.briefbundle.zip"
    run(capsys, outputs, "-v", "export", str(proj), "-o", str(bundle), "--all-takes")
    run(capsys, outputs, "verify", str(bundle))
    run(capsys, outputs, "-v", "import", str(bundle), str(work / "imported"))
    for handler in logging.getLogger().handlers:
        handler.flush()

    assert log_file.is_file() and log_file.stat().st_size > 0
    assert str(log_file).startswith(str(isolated_env))
    folders = [tmp_path, isolated_env, temp]
    n_files = sum(1 for _ in _files(*folders))
    assert n_files > 20, n_files  # the search really covers the project, takes and bundle
    assert bundle.stat().st_size > 0 and (work / "imported" / "project.yaml").is_file()
    assert _hits(folders, [ENV_KEY, RING_KEY]) == []
    for text in outputs:
        assert ENV_KEY not in text and RING_KEY not in text
        assert ENV_KEY[8:] not in text and RING_KEY[8:] not in text
