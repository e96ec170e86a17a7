from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from studio.cli import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert "Brief Studio" in capsys.readouterr().out


def test_validate_ok(sample_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(sample_copy)]) == 0
    assert "ok" in capsys.readouterr().out


def test_validate_reports_file_line_col(sample_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = sample_copy / "project.yaml"
    text = path.read_text().replace("shot_size: ECU", "shot_size: MEGA", 1)
    path.write_text(text)
    assert main(["validate", str(sample_copy)]) == 1
    err = capsys.readouterr().err
    line = next(i + 1 for i, ln in enumerate(text.splitlines()) if "shot_size: MEGA" in ln)
    assert f"project.yaml:{line}:" in err and "MEGA" in err
    assert path.read_text() == text  # untouched


def test_validate_broken_yaml(sample_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = sample_copy / "project.yaml"
    path.write_text(path.read_text() + "\n  - : [\n")
    before = path.read_bytes()
    assert main(["validate", str(sample_copy)]) == 1
    assert "project.yaml:" in capsys.readouterr().err
    assert path.read_bytes() == before


def test_validate_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "nope")]) == 1
    assert "no such project folder" in capsys.readouterr().err


def test_prompt_json(sample_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prompt", str(sample_copy), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["shot"] for d in data][:2] == ["s01-ridge-dawn", "s02-lace-up"]
    assert all("Cinematography:" in d["prompt"] for d in data)


def test_prompt_is_deterministic(sample_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["prompt", str(sample_copy), "--json"])
    first = capsys.readouterr().out
    main(["prompt", str(sample_copy), "--json"])
    assert capsys.readouterr().out == first


def test_prompt_unknown_shot(sample_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prompt", str(sample_copy), "--shot", "zzz"]) == 1
    assert "unknown shot" in capsys.readouterr().err


def test_new_then_validate(tmp_path: Path) -> None:
    assert main(["new", str(tmp_path / "p"), "--name", "Fresh"]) == 0
    assert main(["validate", str(tmp_path / "p")]) == 0
    assert main(["new", str(tmp_path / "p")]) == 1  # not empty


def test_usage_error_exit_2() -> None:
    with pytest.raises(SystemExit) as info:
        main(["validate"])
    assert info.value.code == 2


def test_console_script_routes_subcommands(sample_copy: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; from ui.main import main; sys.exit(main())",
         "prompt", str(sample_copy), "--shot", "s02-lace-up"],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "=== s02-lace-up" in proc.stdout


def test_unexpected_error_is_one_plain_line(sample_copy: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import studio.compiler

    def boom(*a: object, **k: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(studio.compiler, "compile_shot", boom)
    monkeypatch.delenv("STUDIO_DEBUG", raising=False)
    assert main(["prompt", str(sample_copy)]) == 1
    err = capsys.readouterr().err
    assert "unexpected error: RuntimeError: kaboom" in err and "Traceback" not in err
