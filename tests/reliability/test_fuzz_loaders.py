"""Fuzzing the loaders that read files a person (or an agency) hands us.

Targets: the project YAML loader (``load_project``), the cameo loader (``read_cameo``), the
XMP sidecar reader (``parse_xmp`` / ``read_xmp``) and the bundle importer
(``import_bundle``). Each gets arbitrary input and mutations of a valid file. The only
acceptable outcomes are success or a :class:`~studio.errors.StudioError` subclass with a
message; never another exception, and never a file written outside the destination.

The default example counts keep this near a minute; ``-m slow`` runs the same properties
with many more examples.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio.bundle import export_bundle, import_bundle
from studio.consent.records import read_cameo
from studio.errors import StudioError
from studio.project import load_project
from studio.results.xmp import XmpRecord, parse_xmp, read_xmp, render_xmp

SAMPLE = Path(__file__).resolve().parents[2] / "projects" / "aurora-launch"
PROJECT_YAML = (SAMPLE / "project.yaml").read_bytes()
CAMEO_YAML = (SAMPLE / "cameos" / "maya-okafor.yaml").read_bytes()
XMP = render_xmp(XmpRecord(result_id="r-abc", rating=4, tags=["dawn", "wide"],
                           prompt="a take")).encode("utf-8")

FAST = settings(max_examples=1500, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=4000, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])


def _tree(folder: Path) -> dict[str, tuple[int, int]]:
    """Every path under ``folder`` with (size, mtime_ns): to prove nothing was written."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            p = Path(dirpath, name)
            st_ = p.lstat()
            out[str(p.relative_to(folder))] = (0 if stat.S_ISDIR(st_.st_mode) else st_.st_size,
                                               st_.st_mtime_ns)
    return out


def _only_studio_errors(fn: Callable[[], Any]) -> None:  # noqa: ANN401
    try:
        fn()
    except StudioError as exc:
        assert str(exc).strip(), f"{type(exc).__name__} without a message"
    # anything else propagates and fails the example


@pytest.mark.parametrize("text", [b"name: Aurora\x00\n", b"name: !!python/object:os.system x\n",
                                  b"name: !foo x\n", b"valid_until: 2024-02-30\n"],
                         ids=["nul", "python-tag", "unknown-tag", "impossible-date"])
@pytest.mark.parametrize("loader", ["project", "cameo"])
def test_bad_yaml_scalars_are_clear_errors(tmp_path: Path, loader: str, text: bytes) -> None:
    path = tmp_path / ("project.yaml" if loader == "project" else "maya-okafor.yaml")
    path.write_bytes(text)
    try:
        load_project(tmp_path) if loader == "project" else read_cameo(path)
    except StudioError as exc:
        assert str(path) in str(exc)
    except Exception as exc:  # noqa: BLE001
        raise AssertionError(f"{type(exc).__name__} escaped: {exc}") from None


# ------------------------------------------------------------------ mutation strategies
@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    """A valid file with a few random edits: replace, delete, insert or duplicate spans."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        kind = draw(st.sampled_from(["replace", "delete", "insert", "dup", "truncate"]))
        i = draw(st.integers(0, len(data) - 1))
        j = min(len(data), i + draw(st.integers(1, 64)))
        if kind == "replace":
            data[i:j] = draw(st.binary(min_size=j - i, max_size=j - i))
        elif kind == "delete":
            del data[i:j]
        elif kind == "insert":
            data[i:i] = draw(st.sampled_from([b"\n", b": ", b"- ", b"  ", b"&a ", b"*a",
                                              b"!!python/object:os.system ", b"{", b"[",
                                              b"\x00", b"\xff\xfe", b"\t", b"'", b'"', b"#",
                                              b"~", b"<<: *a", b"999999999999999999999"]))
        elif kind == "dup":
            data[j:j] = data[i:j]
        else:
            del data[i:]
    return bytes(data)


YAML_TEXT = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=12), kids,
                                                              max_size=4),
    max_leaves=20,
)


def _yaml_dump(value: Any) -> bytes:  # noqa: ANN401
    import yaml

    return yaml.safe_dump(value, allow_unicode=True).encode("utf-8")


# ------------------------------------------------------------------ project.yaml
def _project_case(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp, "p")
        root.mkdir()
        (root / "project.yaml").write_bytes(data)
        before = _tree(Path(tmp))
        _only_studio_errors(lambda: load_project(root))
        assert _tree(Path(tmp)) == before, "loading wrote something"


PROJECT_INPUT = st.one_of(mutated(PROJECT_YAML), st.binary(max_size=400),
                          YAML_TEXT.map(_yaml_dump),
                          st.builds(lambda d: _yaml_dump({"schema_version": 1, **d}),
                                    st.dictionaries(st.sampled_from(
                                        ["name", "shots", "style", "characters", "usage",
                                         "budget_usd", "id", "client"]), YAML_TEXT, max_size=4)))


@FAST
@given(PROJECT_INPUT)
def test_project_loader_fuzz(data: bytes) -> None:
    _project_case(data)


@pytest.mark.slow
@SLOW
@given(PROJECT_INPUT)
def test_project_loader_fuzz_long(data: bytes) -> None:
    _project_case(data)


# ------------------------------------------------------------------ cameos/<id>.yaml
def _cameo_case(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "cameos", "maya-okafor.yaml")
        path.parent.mkdir()
        path.write_bytes(data)
        before = _tree(Path(tmp))
        _only_studio_errors(lambda: read_cameo(path))
        assert _tree(Path(tmp)) == before


CAMEO_INPUT = st.one_of(mutated(CAMEO_YAML), st.binary(max_size=300), YAML_TEXT.map(_yaml_dump))


@FAST
@given(CAMEO_INPUT)
def test_cameo_loader_fuzz(data: bytes) -> None:
    _cameo_case(data)


@pytest.mark.slow
@SLOW
@given(CAMEO_INPUT)
def test_cameo_loader_fuzz_long(data: bytes) -> None:
    _cameo_case(data)


# ------------------------------------------------------------------ XMP sidecars
HOSTILE_XMP = st.sampled_from([
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/">&b;</x:xmpmeta>',
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
    b'<x xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="/etc/passwd"/></x>',
    b"\xef\xbb\xbf<x/>", b"<" * 5000, b"",
])


@st.composite
def xmp_records(draw: st.DrawFn) -> bytes:
    """A rendered sidecar from random field values (round-trip input)."""
    text = st.text(max_size=40)
    rec = XmpRecord(result_id=draw(st.none() | text), rating=draw(st.integers(-1, 5)),
                    tags=draw(st.lists(text, max_size=5)), prompt=draw(text))
    return render_xmp(rec).encode("utf-8")


XMP_INPUT = st.one_of(mutated(XMP), st.binary(max_size=300), HOSTILE_XMP, xmp_records())


def _xmp_case(data: bytes) -> None:
    _only_studio_errors(lambda: parse_xmp(data, source="take.xmp"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "take.xmp")
        path.write_bytes(data)
        before = _tree(Path(tmp))
        _only_studio_errors(lambda: read_xmp(path))
        assert _tree(Path(tmp)) == before


@FAST
@given(XMP_INPUT)
def test_xmp_reader_fuzz(data: bytes) -> None:
    _xmp_case(data)


@pytest.mark.slow
@SLOW
@given(XMP_INPUT)
def test_xmp_reader_fuzz_long(data: bytes) -> None:
    _xmp_case(data)


# ------------------------------------------------------------------ bundle importer
@pytest.fixture(scope="module")
def valid_bundle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[bytes]:
    base = tmp_path_factory.mktemp("bundle")
    root = base / "aurora"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns("studio.db*", "media"))
    out = base / "aurora.briefbundle.zip"
    export_bundle(root, out)
    yield out.read_bytes()


MEMBER_NAMES = st.one_of(
    st.sampled_from(["project.yaml", "manifest.json", "../evil.txt", "/abs/evil.txt",
                     "media/../../evil.txt", "C:\\evil.txt", "cameos/../../evil.yaml",
                     "media/r1/take.mp4", "references/x.png", "./project.yaml", "a/./b",
                     "media//x", "\\\\server\\share\\x", "media/r1/" + "x" * 300, ""]),
    st.text(min_size=1, max_size=40),
)


@st.composite
def hostile_zips(draw: st.DrawFn, valid: bytes) -> bytes:
    """A zip built from parts of the valid bundle plus hostile members and attributes."""
    src = zipfile.ZipFile(io.BytesIO(valid))
    infos = src.infolist()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        keep = draw(st.lists(st.sampled_from(infos), max_size=len(infos), unique_by=id))
        for info in keep:
            zf.writestr(info, src.read(info))
        for _ in range(draw(st.integers(0, 4))):
            name = draw(MEMBER_NAMES)
            info = zipfile.ZipInfo(name or "x")
            if draw(st.booleans()):
                info.external_attr = (stat.S_IFLNK | 0o777) << 16  # a symlink member
            payload = draw(st.sampled_from([b"/etc/passwd", b"", b"x" * 1000,
                                            b'{"format": "brief-studio-bundle"}']))
            with _quiet_duplicates():
                zf.writestr(info, payload)
    return buf.getvalue()


class _quiet_duplicates:  # noqa: N801 - a tiny context manager
    """zipfile warns on duplicate member names; a hostile zip has them on purpose."""

    def __enter__(self) -> None:
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore", UserWarning)

    def __exit__(self, *exc: object) -> None:
        self._ctx.__exit__(*exc)


def _bundle_case(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        bundle = base / "in.briefbundle.zip"
        bundle.write_bytes(data)
        outside = base / "outside"
        outside.mkdir()
        (outside / "keep.txt").write_text("untouched")
        before = _tree(base)
        dest = base / "dest"
        try:
            import_bundle(bundle, dest)
        except StudioError as exc:
            assert str(exc).strip()
            assert not dest.exists() or not any(dest.iterdir()), "refused, yet files landed"
            assert _tree(base) == before, "a refused import left something behind"
        else:
            load_project(dest)  # whatever was accepted is a project that opens
            after = {k: v for k, v in _tree(base).items()
                     if not (k == "dest" or k.startswith("dest" + os.sep))}
            assert after == before, "an import wrote outside its destination"


@pytest.fixture(scope="module")
def bundle_inputs(valid_bundle: bytes) -> st.SearchStrategy[bytes]:
    return st.one_of(mutated(valid_bundle), hostile_zips(valid_bundle), st.binary(max_size=200))


def test_bundle_importer_fuzz(bundle_inputs: st.SearchStrategy[bytes]) -> None:
    @settings(max_examples=1000, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(bundle_inputs)
    def run(data: bytes) -> None:
        _bundle_case(data)

    run()


@pytest.mark.slow
def test_bundle_importer_fuzz_long(bundle_inputs: st.SearchStrategy[bytes]) -> None:
    @settings(max_examples=2000, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(bundle_inputs)
    def run(data: bytes) -> None:
        _bundle_case(data)

    run()


def test_valid_inputs_load(valid_bundle: bytes, tmp_path: Path) -> None:
    """The seeds themselves are accepted: the fuzz targets are not failing on everything."""
    root = tmp_path / "p"
    root.mkdir()
    (root / "project.yaml").write_bytes(PROJECT_YAML)
    assert load_project(root).project.shots
    (root / "cameos").mkdir()
    (root / "cameos" / "maya-okafor.yaml").write_bytes(CAMEO_YAML)
    assert read_cameo(root / "cameos" / "maya-okafor.yaml").id == "maya-okafor"
    assert parse_xmp(XMP).rating == 4
    (tmp_path / "b.zip").write_bytes(valid_bundle)
    assert import_bundle(tmp_path / "b.zip", tmp_path / "dest").path.is_dir()
