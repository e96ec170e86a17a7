"""The user's log file: where it lands, rotation, and that no secret reaches it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio import logsetup
from studio.logsetup import REDACTED, configure_logging, log_file_path, redact, register_secret

OPENAI_KEY = "sk-proj-Abc123DEF456ghi789JKL012mno345"
GEMINI_KEY = "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"
RUNWAY_KEY = "key_" + "0123456789abcdef" * 4
LUMA_KEY = "luma-5f1d2c3b-aaaa-4bbb-8ccc-0123456789ab"
FAL_KEY = "0b8e2f4a-1c3d-4e5f-8a9b-0c1d2e3f4a5b:0123456789abcdef0123456789abcdef"


@pytest.fixture
def clean_root() -> Iterator[None]:
    """Remove whatever configure_logging added so other tests keep pytest's handlers only."""
    root = logging.getLogger()
    before = list(root.handlers)
    level = root.level
    yield
    for handler in list(root.handlers):
        if handler not in before:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        (f"using key {OPENAI_KEY} for openai", OPENAI_KEY),
        (f"GET https://generativelanguage.googleapis.com/v1beta/models?key={GEMINI_KEY}", GEMINI_KEY),
        (f"headers={{'Authorization': 'Bearer {OPENAI_KEY}'}}", OPENAI_KEY),
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc", "eyJhbGciOiJIUzI1NiJ9"),
        (f"Authorization: Key {FAL_KEY}", FAL_KEY),
        (f"fal credentials {FAL_KEY}", FAL_KEY),
        (f"runway secret {RUNWAY_KEY} loaded", RUNWAY_KEY),
        (f"luma {LUMA_KEY}", LUMA_KEY),
        ('{"api_key": "plainvalue1234", "model": "sora-2"}', "plainvalue1234"),
        ("x-goog-api-key: hunter2hunter2", "hunter2hunter2"),
        ("env OPENAI_API_KEY=whatever-it-is RUNWAYML_API_SECRET=other-thing", "whatever-it-is"),
        ("env OPENAI_API_KEY=whatever-it-is RUNWAYML_API_SECRET=other-thing", "other-thing"),
        ("https://cdn.example/take.mp4?token=abcdef123456&expires=99", "abcdef123456"),
        ("password: correct-horse", "correct-horse"),
    ],
)
def test_redact_removes_credentials(line: str, secret: str) -> None:
    cleaned = redact(line)
    assert secret not in cleaned
    assert REDACTED in cleaned


def test_redact_keeps_ordinary_text() -> None:
    line = "job 3f2a queued for shot s03 (previz, 8s, 16:9); 2 variants, cost estimate $0.00"
    assert redact(line) == line
    assert redact("Authorization: Bearer [redacted]") == "Authorization: Bearer [redacted]"
    # the expiry next to a redacted token survives
    assert "expires=99" in redact("take.mp4?token=abcdef123456&expires=99")


def test_registered_secret_is_redacted_even_without_a_known_shape(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(logsetup, "_known_secrets", set())
    odd = "Zq9-unusual-shaped-credential"
    assert redact(f"sending {odd}") == f"sending {odd}"
    register_secret(odd)
    register_secret("short")  # too short to redact safely: ignored
    assert redact(f"sending {odd}") == f"sending {REDACTED}"
    assert redact("a short word") == "a short word"


def test_configure_logging_writes_redacted_file_in_user_log_dir(
    isolated_env: Path, clean_root: None
) -> None:
    path = configure_logging()
    state = isolated_env / ".local" / "state"
    assert path == log_file_path()
    assert path.parent.is_relative_to(state), path
    assert path.name == "brief-studio.log"

    logger = logging.getLogger("studio.providers.test")
    logger.info("submit with %s", OPENAI_KEY)
    logger.debug("not written at INFO level")
    try:
        raise RuntimeError(f"401 for header Authorization: Bearer {OPENAI_KEY}")
    except RuntimeError:
        logger.exception("request failed")
    for handler in logging.getLogger().handlers:
        handler.flush()

    text = path.read_text(encoding="utf-8")
    assert "submit with [redacted]" in text
    assert "request failed" in text
    assert "RuntimeError" in text
    assert OPENAI_KEY not in text
    assert "not written at INFO level" not in text
    assert "studio.providers.test" in text


def test_configure_logging_twice_does_not_duplicate_and_verbose_logs_debug(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_root: None
) -> None:
    monkeypatch.setenv("STUDIO_LOG_DIR", str(tmp_path / "logs"))
    configure_logging()
    path = configure_logging(verbose=True)
    assert path == tmp_path / "logs" / "brief-studio.log"
    ours = [h for h in logging.getLogger().handlers if getattr(h, "_brief_studio_handler", None)]
    assert sorted(h._brief_studio_handler for h in ours) == ["console", "file"]  # type: ignore[attr-defined]
    logging.getLogger("studio.x").debug("debug detail %d", 42)
    for handler in ours:
        handler.flush()
    assert "debug detail 42" in path.read_text(encoding="utf-8")


def test_log_rotates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_root: None) -> None:
    monkeypatch.setenv("STUDIO_LOG_DIR", str(tmp_path))
    monkeypatch.setattr(logsetup, "MAX_BYTES", 4096)
    path = configure_logging()
    logger = logging.getLogger("studio.rotation")
    for i in range(400):
        logger.info("line %04d %s", i, "x" * 40)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["brief-studio.log", "brief-studio.log.1", "brief-studio.log.2", "brief-studio.log.3"]
    assert all((tmp_path / name).stat().st_size <= 4096 + 200 for name in files)
    assert "line 0399" in path.read_text(encoding="utf-8")


def test_unwritable_log_dir_falls_back_to_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_root: None
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the folder should be", encoding="utf-8")
    monkeypatch.setenv("STUDIO_LOG_DIR", str(blocker / "logs"))
    monkeypatch.setattr(logsetup.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    path = configure_logging()
    assert path.parent == tmp_path / "tmp" / path.parent.name
    assert path.parent.name.startswith("brief-studio-logs-")
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert "cannot write the log folder" in path.read_text(encoding="utf-8")


def test_console_output_follows_the_current_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_root: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("STUDIO_LOG_DIR", str(tmp_path))
    configure_logging()
    logging.getLogger("studio.console").warning("disk nearly full, key=%s", "abcdef123456")
    err = capsys.readouterr().err
    assert "WARNING studio.console: disk nearly full, key=[redacted]" in err
    assert "abcdef123456" not in err
