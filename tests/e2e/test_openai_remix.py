"""Remix / extend / variations from a take, end to end against the loopback OpenAI server.

A parent take is made through the real queue (create, poll, download, ingest); the remix or
extension is planned from it, enqueued, and run by the real engine. The server checks every
request against the OpenAPI contract.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio import results
from studio.cli import main as cli_main
from studio.errors import QueueError
from studio.events import EventBus
from studio.project import load_project
from studio.queue import jobs as J
from studio.queue.engine import QueueEngine
from studio.queue.enqueue import derivations, enqueue, plan, plan_from_take
from studio.store import Store
from tests.e2e.openai_server import OpenAIServer

KEY = "sk-test-loopback-key"
MAYA = "maya-okafor"
S01, S03 = "s01-ridge-dawn", "s03-maya-stride"   # s03 shows Maya Okafor (a cameo)


@pytest.fixture
def oa(monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenAIServer]:
    server = OpenAIServer(api_key=KEY).start()
    monkeypatch.setenv("STUDIO_OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    yield server
    server.stop()


def run(root: Path, timeout: float = 90) -> None:
    engine = QueueEngine(root, EventBus(), sleep_scale=0.01, reconcile_delay=0.05)
    asyncio.run(asyncio.wait_for(engine.run(until_idle=True), timeout))


def all_jobs(root: Path) -> list[J.Job]:
    with Store.for_project(root).session() as conn:
        return J.list_jobs(conn)


def make_take(root: Path, shot: str, provider: str = "openai") -> str:
    """A real take of ``shot`` made by the queue; returns its result id."""
    doc = load_project(root)
    (job,) = enqueue(root, plan(root, doc.project, [shot], provider, variants=1))
    assert job.status == "queued", job.error
    run(root)
    with Store.for_project(root).session() as conn:
        done = J.get_job(conn, job.id)
    assert done.status == "succeeded", done.error
    assert done.result_id
    return done.result_id


def set_remix_grant(root: Path, allowed: bool) -> None:
    from studio.consent import save_cameo
    from studio.consent.records import load_entry

    cameo = load_entry(root, MAYA).cameo
    assert cameo is not None
    cameo = cameo.model_copy(update={"grants": cameo.grants.model_copy(update={"remix": allowed})})
    save_cameo(root, cameo, "test producer", note="remix grant for the test")


def requests_to(oa: OpenAIServer, method: str, pattern: str) -> list[tuple[str, str, int]]:
    import re

    return [r for r in oa.stats.requests if r[0] == method and re.search(pattern, r[1])]


def test_remix_of_a_succeeded_take_sends_one_remix_and_records_the_parent(
        oa: OpenAIServer, sample_copy: Path) -> None:
    parent = make_take(sample_copy, S03)
    parent_remote = results.get_result(sample_copy, parent)["remote_id"]
    set_remix_grant(sample_copy, True)
    doc = load_project(sample_copy)
    the_plan = plan_from_take(sample_copy, doc.project, parent, "remix",
                              "The same stride, now at dusk under a violet sky")
    (item,) = the_plan.items
    assert item.blocked_reason is None
    assert item.kind == "remix"
    assert item.parent_result_id == parent
    assert item.cameos == [MAYA]
    # a remix keeps the parent's length and size: 8 s of sora-2 at $0.10/s
    assert item.cost == pytest.approx(0.8)
    (job,) = enqueue(sample_copy, the_plan)
    assert (job.kind, job.parent_result_id, job.status) == ("remix", parent, "queued")
    run(sample_copy)

    done = next(j for j in all_jobs(sample_copy) if j.id == job.id)
    assert done.status == "succeeded", done.error
    assert oa.violations == []
    assert oa.stats.creates == 1
    assert oa.stats.remixes == 1
    remixes = requests_to(oa, "POST", r"/remix$")
    assert remixes == [("POST", f"/v1/videos/{parent_remote}/remix", 200)]
    child = results.get_result(sample_copy, done.result_id or "")
    assert child["parent"] == parent
    assert child["prompt"].startswith("The same stride, now at dusk")
    assert child["params"]["kind"] == "remix"
    assert oa.videos[child["remote_id"]].remixed_from == parent_remote
    tree = results.lineage(sample_copy, child["id"])
    assert tree["id"] == parent
    assert [c["id"] for c in tree["children"]] == [child["id"]]


def test_extend_sends_one_extension_per_the_contract(oa: OpenAIServer, sample_copy: Path) -> None:
    parent = make_take(sample_copy, S01)
    parent_remote = results.get_result(sample_copy, parent)["remote_id"]
    doc = load_project(sample_copy)
    the_plan = plan_from_take(sample_copy, doc.project, parent, "extend",
                              "She crests the ridge and the sun breaks through", seconds=6)
    (item,) = the_plan.items
    assert item.fit.params["duration"] == 8.0
    assert any("extension 6s → 8s" in c for c in item.fit.changes)
    assert item.cost == pytest.approx(0.8)
    (job,) = enqueue(sample_copy, the_plan)
    run(sample_copy)

    done = next(j for j in all_jobs(sample_copy) if j.id == job.id)
    assert done.status == "succeeded", done.error
    assert done.kind == "extend"
    assert oa.violations == []
    assert requests_to(oa, "POST", r"^/v1/videos/extensions$") == [
        ("POST", "/v1/videos/extensions", 200)]
    assert oa.stats.creates == 1
    assert oa.stats.extensions == 1
    assert oa.stats.remixes == 0
    child = results.get_result(sample_copy, done.result_id or "")
    assert child["parent"] == parent
    video = oa.videos[child["remote_id"]]
    assert video.extended_from == parent_remote
    assert video.seconds == str(int(oa.videos[parent_remote].seconds) + 8)  # stitched total


@pytest.mark.parametrize("kind", ["remix", "extend"])
def test_consent_without_remix_grant_refuses_at_enqueue(oa: OpenAIServer, sample_copy: Path,
                                                        kind: str) -> None:
    parent = make_take(sample_copy, S03)   # the sample's grant says remix: false
    doc = load_project(sample_copy)
    the_plan = plan_from_take(sample_copy, doc.project, parent, kind, "a new ending")
    (item,) = the_plan.items
    assert item.blocked_reason
    assert "does not allow remixing" in item.blocked_reason
    (job,) = enqueue(sample_copy, the_plan)
    assert job.status == "blocked"
    run(sample_copy)
    assert oa.stats.remixes == 0
    assert oa.stats.extensions == 0
    assert requests_to(oa, "POST", r"/remix$|/extensions$") == []


@pytest.mark.parametrize("kind", ["remix", "extend"])
@pytest.mark.parametrize("change", ["remix_withdrawn", "revoked"])
def test_consent_changed_after_enqueue_blocks_before_the_request(
        oa: OpenAIServer, sample_copy: Path, kind: str, change: str) -> None:
    parent = make_take(sample_copy, S03)
    set_remix_grant(sample_copy, True)
    doc = load_project(sample_copy)
    (job,) = enqueue(sample_copy, plan_from_take(sample_copy, doc.project, parent, kind,
                                                 "a new ending", seconds=4))
    assert job.status == "queued", job.error
    if change == "remix_withdrawn":
        set_remix_grant(sample_copy, False)   # no sweep: only the engine's gate can stop it
    else:
        from studio.consent import revoke

        revoke(sample_copy, MAYA, "talent withdrew consent", "test producer")
    run(sample_copy)
    done = next(j for j in all_jobs(sample_copy) if j.id == job.id)
    assert done.status == "blocked"
    assert "consent" in (done.error or "")
    assert oa.stats.remixes == 0
    assert oa.stats.extensions == 0
    assert requests_to(oa, "POST", r"/remix$|/extensions$") == []


def test_previz_take_offers_no_remix_but_variations_still_work(oa: OpenAIServer,
                                                              sample_copy: Path) -> None:
    parent = make_take(sample_copy, S01, provider="previz")
    info = results.get_result(sample_copy, parent)
    reasons = derivations(info)
    assert reasons["remix"]
    assert "Previz" in reasons["remix"]
    assert "OpenAI" in reasons["remix"]
    assert reasons["extend"]
    assert "cannot extend" in reasons["extend"]
    doc = load_project(sample_copy)
    with pytest.raises(QueueError, match="cannot remix"):
        plan_from_take(sample_copy, doc.project, parent, "remix", "at dusk")
    # Variations: one more generate job of the same shot on the same provider
    (job,) = enqueue(sample_copy, plan(sample_copy, doc.project, [S01], "previz", variants=1))
    assert (job.kind, job.parent_result_id) == ("generate", None)
    run(sample_copy)
    takes = results.list_results(sample_copy, shot=S01)
    assert len(takes) == 2
    assert all(t["parent"] is None for t in takes)
    assert oa.stats.requests == []


def test_openai_take_offers_both_and_imported_take_neither(oa: OpenAIServer, sample_copy: Path,
                                                          tmp_path: Path) -> None:
    parent = make_take(sample_copy, S01)
    assert derivations(results.get_result(sample_copy, parent)) == {"remix": None,
                                                                   "extend": None}
    from tests.unit.test_results import make_mp4

    imported = results.ingest(sample_copy, make_mp4(tmp_path / "x.mp4"), shot_id=S01,
                              provider=None, imported=True)
    reasons = derivations(results.get_result(sample_copy, imported))
    assert all(r and "imported" in r for r in reasons.values())


def test_cli_remix_and_extend(oa: OpenAIServer, sample_copy: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    parent = make_take(sample_copy, S01)
    project = str(sample_copy)
    assert cli_main(["queue", "remix", project, parent[:9], "--prompt", "at dusk"]) == 0
    assert cli_main(["queue", "extend", project, parent, "--prompt", "and on", "--seconds",
                     "4"]) == 0
    text = capsys.readouterr().out
    assert "queued" in text
    assert "remix" in text
    assert "extend" in text
    assert "$0.40" in text
    assert cli_main(["queue", "remix", project, parent, "--prompt", "  "]) == 1
    assert "needs a prompt" in capsys.readouterr().err
    assert cli_main(["queue", "remix", project, "rs-nothere", "--prompt", "x"]) == 1
    assert "no take 'rs-nothere'" in capsys.readouterr().err
    assert cli_main(["queue", "list", project, "--json"]) == 0
    import json

    listed = json.loads(capsys.readouterr().out)
    assert [j["kind"] for j in listed] == ["generate", "remix", "extend"]
    run(sample_copy)
    assert oa.stats.remixes == 1
    assert oa.stats.extensions == 1
    assert oa.violations == []
    tree = results.lineage(sample_copy, parent)
    assert len(tree["children"]) == 2


@pytest.mark.parametrize("kind", ["remix", "extend"])
def test_lost_reply_is_reconciled_not_sent_twice(oa: OpenAIServer, sample_copy: Path,
                                                 kind: str) -> None:
    parent = make_take(sample_copy, S01)
    path = r"/remix$" if kind == "remix" else r"^/v1/videos/extensions$"
    oa.add_fault("POST", path, "lost_reply")   # the server makes the video, the reply is cut
    doc = load_project(sample_copy)
    (job,) = enqueue(sample_copy, plan_from_take(sample_copy, doc.project, parent, kind,
                                                 "the ridge, later", seconds=4))
    run(sample_copy)
    done = next(j for j in all_jobs(sample_copy) if j.id == job.id)
    assert done.status == "succeeded", done.error
    assert oa.stats.remixes + oa.stats.extensions == 1
    assert len(requests_to(oa, "POST", path)) == 0  # the only one was cut before a reply
    with Store.for_project(sample_copy).session() as conn:
        details = [e["detail"] for e in J.events(conn, job.id)]
    assert any(d.startswith("found on openai as video_") for d in details)
    assert results.get_result(sample_copy, done.result_id or "")["parent"] == parent
