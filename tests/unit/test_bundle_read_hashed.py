"""The export's read-ahead: one helper thread per file reads and sha256-hashes the chunks."""

from __future__ import annotations

import contextlib
import hashlib
import io
import threading
from pathlib import Path

import pytest

from studio.bundle import export as E


def _threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name == "bundle-read")


def test_chunks_and_digest_match_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(E, "CHUNK", 1000)
    data = bytes(range(256)) * 37  # 9,472 bytes: nine full chunks and a short one
    path = tmp_path / "take.mp4"
    path.write_bytes(data)
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        chunks = list(E._read_hashed(fh, digest))
    assert b"".join(chunks) == data
    assert [len(c) for c in chunks] == [1000] * 9 + [472]
    assert digest.hexdigest() == hashlib.sha256(data).hexdigest()
    assert _threads() == 0


def test_stopping_early_ends_the_reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(E, "CHUNK", 10)
    path = tmp_path / "big.bin"
    path.write_bytes(b"x" * 10_000)
    with open(path, "rb") as fh, contextlib.closing(E._read_hashed(fh, hashlib.sha256())) as it:
        assert next(it) == b"x" * 10
    assert _threads() == 0  # closed while the reader waited on a full queue


def test_a_read_error_is_raised_on_the_callers_thread() -> None:
    class Broken(io.BytesIO):
        def read(self, *_args: object) -> bytes:
            raise OSError(5, "Input/output error")

    with pytest.raises(OSError, match="Input/output"):
        list(E._read_hashed(Broken(), hashlib.sha256()))
    assert _threads() == 0
