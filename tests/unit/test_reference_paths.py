"""Reference images must be paths inside the project folder (studio.refpaths): the linter
reports an absolute path, a ``..`` or a link out at file:line:col; the queue blocks such a job
at enqueue and the provider request builders fail it without reading the file; ``studio
import`` refuses a bundle whose brief or cameo records name one; export refuses to make one."""

from __future__ import annotations

import asyncio
import hashlib
import json
import zipfile
from pathlib import Path

import httpx
import pytest
from test_bundle_support import populate

from studio.bundle import export_bundle, import_bundle
from studio.cli import main, validate_root
from studio.errors import BundleError
from studio.project import load_project, save_project
from studio.providers.base import JobSpec, ProviderConfigError
from studio.queue import jobs as J
from studio.queue.enqueue import enqueue, plan
from studio.refpaths import reference_problem
from studio.store import Store


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file beside the project copy (what a stray reference would upload)."""
    path = tmp_path / "secret.png"
    path.write_bytes(b"\x89PNG outside the project")
    return path


def _set_refs(root: Path, shot_refs: list[str], style_refs: list[str] | None = None) -> None:
    doc = load_project(root)
    doc.project.shot("s01-ridge-dawn").references = shot_refs
    if style_refs is not None:
        doc.project.style.references = style_refs
    save_project(doc)


def test_reference_problem_rules(sample_copy: Path, outside: Path) -> None:
    root = sample_copy
    assert reference_problem(root, "references/palette.png") is None
    assert reference_problem(root, "references/not-there-yet.png") is None  # missing != outside
    assert reference_problem(root, "./references/../references/palette.png") is not None  # ..
    for bad in (str(outside), "../secret.png", "references/../../secret.png", "C:\\x.png",
                "\\\\server\\share\\x.png", "~/x.png", ""):
        assert reference_problem(root, bad) is not None, bad
    (root / "references" / "link.png").symlink_to(outside)
    (root / "references" / "dir").symlink_to(outside.parent)
    assert "link" in (reference_problem(root, "references/link.png") or "")
    assert reference_problem(root, "references/dir/secret.png") is not None
    inner = root / "references" / "inner.png"
    inner.symlink_to(root / "references" / "palette.png")  # a link that stays inside is fine
    assert reference_problem(root, "references/inner.png") is None


def test_validate_names_file_line_col(sample_copy: Path, outside: Path) -> None:
    (sample_copy / "references" / "link.png").symlink_to(outside)
    _set_refs(sample_copy, [str(outside), "../secret.png", "references/link.png"],
              ["../../secret.png"])
    errors, _ = validate_root(sample_copy)
    mine = [e for e in errors if "outside" in e or "absolute" in e or "climbs out" in e]
    assert len(mine) == 4, errors
    path = str(sample_copy / "project.yaml")
    assert all(e.startswith(path + ":") for e in mine)
    line_col = [e[len(path) + 1:].split(":")[:2] for e in mine]
    assert all(int(line) > 0 and int(col) > 0 for line, col in line_col)
    assert any("style reference image '../../secret.png'" in e for e in mine)
    assert main(["validate", str(sample_copy)]) == 1


def test_cameo_likeness_link_out_is_an_error(sample_copy: Path, outside: Path) -> None:
    face = sample_copy / "references" / "maya-okafor.png"
    face.unlink()
    face.symlink_to(outside)
    errors, _ = validate_root(sample_copy)
    cameo = str(sample_copy / "cameos" / "maya-okafor.yaml")
    assert any(f"{cameo}:14:5: likeness image 'references/maya-okafor.png' is a link" in e
               for e in errors), errors


def test_enqueue_blocks_a_reference_outside(sample_copy: Path, outside: Path) -> None:
    Store.for_project(sample_copy).connect().close()
    _set_refs(sample_copy, ["../secret.png"])
    doc = load_project(sample_copy)
    planned = plan(sample_copy, doc.project, ["s01-ridge-dawn", "s02-lace-up"], "veo")
    by_shot = {item.shot_id: item for item in planned.items}
    assert (by_shot["s01-ridge-dawn"].blocked_reason or "").startswith("reference: '../secret.png'")
    assert by_shot["s02-lace-up"].blocked_reason is None
    jobs = {j.shot_id: j for j in enqueue(sample_copy, planned)}
    assert jobs["s01-ridge-dawn"].status == J.BLOCKED
    assert "outside" in (jobs["s01-ridge-dawn"].error or "") or \
        "climbs out" in (jobs["s01-ridge-dawn"].error or "")
    assert jobs["s02-lace-up"].status == J.QUEUED



def test_retry_blocks_a_job_whose_stored_reference_is_outside(sample_copy: Path,
                                                             outside: Path) -> None:
    """A job queued before the rule (or edited in the database) is re-checked on retry."""
    from studio.queue.control import retry_job

    doc = load_project(sample_copy)
    (job,) = enqueue(sample_copy, plan(sample_copy, doc.project, ["s01-ridge-dawn"], "veo"))
    store = Store.for_project(sample_copy)
    with store.session() as conn:
        request = dict(job.request)
        request["params"] = {**request["params"], "references": ["../secret.png"]}
        conn.execute("UPDATE jobs SET status = ?, request_json = ? WHERE id = ?",
                     (J.FAILED, json.dumps(request), job.id))
    retried = retry_job(sample_copy, job.id)
    assert retried.status == J.BLOCKED
    assert (retried.error or "").startswith("reference: '../secret.png'")

def _spec(root: Path, provider: str, model: str, refs: list[str]) -> JobSpec:
    return JobSpec(job_id="job-x", root=root, provider=provider, model=model,
                   params={"prompt": "a ridge at dawn", "model": model, "duration": 8,
                           "size": "1280x720", "aspect": "16:9", "references": refs},
                   request={})


@pytest.mark.parametrize(("provider", "model"), [
    ("veo", "veo-3.1-generate-preview"), ("openai", "sora-2"), ("runway", "gen4_turbo"),
    ("fal", "fal-ai/kling-video/v2.1/master/image-to-video")])
@pytest.mark.parametrize("how", ["absolute", "dotdot", "link"])
def test_provider_request_builders_refuse(sample_copy: Path, outside: Path, provider: str,
                                          model: str, how: str) -> None:
    import importlib

    from studio.providers.registry import get_caps

    rel = {"absolute": str(outside), "dotdot": "../secret.png",
           "link": "references/link.png"}[how]
    if how == "link":
        (sample_copy / "references" / "link.png").symlink_to(outside)
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(500)

    module = importlib.import_module(f"studio.providers.{provider}")

    async def go() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            impl = module.Provider(get_caps(provider), client=client,
                                   base_url="http://127.0.0.1:9", key=lambda: "k")
            await impl.create(_spec(sample_copy, provider, model, [rel]))

    with pytest.raises(ProviderConfigError, match="outside|absolute|climbs out"):
        asyncio.run(go())
    assert sent == []  # nothing was sent, the file was not read


def _rewrite_bundle(src: Path, dest: Path, changes: dict[str, bytes]) -> None:
    """Replace entries of a bundle and fix the manifest's sizes and checksums."""
    with zipfile.ZipFile(src) as zin:
        manifest = json.loads(zin.read("manifest.json"))
        for entry in manifest["entries"]:
            if entry["path"] in changes:
                data = changes[entry["path"]]
                entry["size"], entry["sha256"] = len(data), hashlib.sha256(data).hexdigest()
        with zipfile.ZipFile(dest, "w") as zout:
            for info in zin.infolist():
                if info.filename == "manifest.json":
                    zout.writestr(info, json.dumps(manifest, indent=2).encode())
                else:
                    zout.writestr(info, changes.get(info.filename, zin.read(info.filename)))


@pytest.mark.parametrize("case", ["shot-dotdot", "style-absolute", "cameo-likeness",
                                  "cameo-evidence"])
def test_import_refuses_paths_outside(sample_copy: Path, tmp_path: Path, outside: Path,
                                      case: str) -> None:
    populate(sample_copy)
    good = tmp_path / "good.zip"
    export_bundle(sample_copy, good)
    with zipfile.ZipFile(good) as zf:
        project = zf.read("project.yaml").decode()
        cameo = zf.read("cameos/maya-okafor.yaml").decode()
    changes = {
        "shot-dotdot": {"project.yaml": project.replace("references/ridge-dawn.png",
                                                         "../../x.png")},
        "style-absolute": {"project.yaml": project.replace("references/palette.png",
                                                            str(outside))},
        "cameo-likeness": {"cameos/maya-okafor.yaml": cameo.replace(
            "- references/maya-okafor.png", f"- {outside}")},
        "cameo-evidence": {"cameos/maya-okafor.yaml": cameo.replace(
            "  evidence: evidence/maya-okafor-release.pdf", "  evidence: ../../etc/passwd")},
    }[case]
    assert all(changes[k] != v for k, v in
               {"project.yaml": project, "cameos/maya-okafor.yaml": cameo}.items()
               if k in changes)
    bad = tmp_path / "bad.zip"
    _rewrite_bundle(good, bad, {k: v.encode() for k, v in changes.items()})
    dest = tmp_path / "imported"
    with pytest.raises(BundleError, match="outside the project folder") as info:
        import_bundle(bad, dest)
    name = "cameos/maya-okafor.yaml" if case.startswith("cameo") else "project.yaml"
    assert f"{name}:" in str(info.value)
    assert not dest.exists()
    assert main(["import", str(bad), str(tmp_path / "cli-dest")]) != 0
    assert not (tmp_path / "cli-dest").exists()
    import_bundle(good, tmp_path / "fine")  # the untouched bundle still imports


def test_export_refuses_a_brief_naming_files_outside(sample_copy: Path, tmp_path: Path,
                                                     outside: Path) -> None:
    _set_refs(sample_copy, [str(outside)])
    with pytest.raises(BundleError, match="outside the project folder|absolute"):
        export_bundle(sample_copy, tmp_path / "b.zip")
    assert not (tmp_path / "b.zip").exists()
