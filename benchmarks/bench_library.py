"""Library at scale: 100,000 takes and 300,000 tags.

    python benchmarks/bench_library.py [--json] [--quick]

Builds a project with bulk SQL (thumbnails are a few shared JPEGs), then measures, in one
process with the real Library page offscreen: open to first painted grid, a tag filter and a
text (FTS5) filter (request to rows shown), the worst event-loop stall while scrolling the
grid through thousands of rows, and peak RSS. Prints one JSON object keyed by name
(``library_open_100k_ms``, ``library_filter_100k_ms`` — the worse of the tag and the text
filter, both in ``detail`` —, ``library_scroll_stall_ms``, ``library_peak_mb``), each
``{"value", "unit", "target", "ok", "peak_rss_mb"}`` (see ``common.entry``).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from common import emit, entry, peak_rss_mb  # noqa: E402

WORDS = ("aurora ridge dawn runner trail city rain neon summit packshot maya close wide "
         "dolly orbit crane handheld golden hour fog shoe lace stride skyline").split()


def build(root: Path, n: int, tags_per: int, n_thumbs: int = 2000) -> None:
    from PIL import Image

    from studio.project import create_project
    from studio.results import search
    from studio.store import Store

    create_project(root, "bench")
    rng = random.Random(7)
    thumbs = []
    # more distinct thumbnails than the cache holds, so scrolling keeps decoding new ones
    for i in range(n_thumbs):
        rel = f"media/shared/thumb{i}.jpg"
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        color = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        Image.new("RGB", (320, 180), color).save(root / rel, quality=85)
        thumbs.append(rel)
    store = Store.for_project(root)
    conn = store.connect()
    with store.transaction(conn):
        rows, tags = [], []
        for i in range(n):
            rid = f"rs-{i:012x}"
            prompt = " ".join(rng.choice(WORDS) for _ in range(12))
            rows.append((rid, f"s{i % 6:02d}", f"media/{rid}/take.mp4", thumbs[i % n_thumbs], "0" * 64,
                         1000, 4.0, 1280, 720, 24.0, "h264", "previz", prompt,
                         1.7e9 + i, rng.randint(-1, 5),
                         rng.choice(["pending", "approved", "rejected"]), i + 1))
            for t in rng.sample(range(60), tags_per):
                tags.append((rid, f"tag{t}"))
        conn.executemany(
            "INSERT INTO results (id, shot_id, path, thumbnail, sha256, size, duration, width, "
            "height, fps, codec, provider, prompt, created_at, rating, review_status, "
            "search_key) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        conn.executemany("INSERT INTO tags (result_id, tag) VALUES (?, ?)", tags)
        search.rebuild(conn)
    conn.close()  # no ANALYZE: a user's studio.db has no planner statistics either


def schedstat() -> tuple[int, int]:
    """(ns on a CPU, ns waiting for one) of the calling thread; zeros where not available."""
    try:
        with open("/proc/thread-self/schedstat", "rb") as fh:
            run, wait = fh.read().split()[:2]
    except (OSError, ValueError):
        return 0, 0
    return int(run), int(wait)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    n = 10_000 if args.quick else 100_000
    tmp = Path(tempfile.mkdtemp(prefix="bench-library-"))
    root = tmp / "p"
    t0 = time.perf_counter()
    build(root, n, 3, 500 if args.quick else 2000)
    build_s = time.perf_counter() - t0

    from PySide6.QtCore import QLoggingCategory
    from PySide6.QtWidgets import QApplication

    QLoggingCategory.setFilterRules("qt.multimedia.*=false")
    app = QApplication([])
    from studio.events import EventBus
    from studio.project import load_project
    from ui.context import ProjectContext
    from ui.pages.library import LibraryPage
    from ui.tasks import wait_for_tasks

    def pump_until(cond, limit: float = 10.0) -> float:  # noqa: ANN001
        start = time.perf_counter()
        while not cond() and time.perf_counter() - start < limit:
            app.processEvents()
            time.sleep(0.001)
        return time.perf_counter() - start

    t_open = time.perf_counter()
    ctx = ProjectContext(load_project(root), EventBus())
    page = LibraryPage(ctx)
    page.resize(1280, 800)
    page.show()
    pump_until(lambda: page.model.rowCount() > 0)
    app.processEvents()
    page.grid.viewport().repaint()
    open_ms = (time.perf_counter() - t_open) * 1000
    # let the page settle (count, filter choices, first thumbnails, details) as it would
    # before anyone types a filter
    pump_until(lambda: wait_for_tasks(0) and False, 0.5)
    wait_for_tasks()
    app.processEvents()

    def filter_ms(**kw: object) -> float:
        from studio.results.records import ResultFilter

        t = time.perf_counter()
        page.model.set_filter(ResultFilter(**kw))  # type: ignore[arg-type]
        pump_until(lambda: not page.model.busy)
        page.grid.viewport().repaint()
        return (time.perf_counter() - t) * 1000

    tag_ms = max(filter_ms(tags=["tag7"]) for _ in range(3))
    text_ms = max(filter_ms(text="aurora summit") for _ in range(3))
    filter_ms()

    # scroll: page down repeatedly, measuring each event-loop turn; for the worst one, how
    # much of it the GUI thread spent on a CPU and waiting in the run queue for one (Linux
    # /proc/thread-self/schedstat: a busy machine shows as run-queue wait, the app's work as
    # CPU), and the most GUI-thread CPU any one step took
    bar = page.grid.verticalScrollBar()
    worst = 0.0
    worst_split = (0.0, 0.0)
    most_cpu = 0.0
    steps = 300 if not args.quick else 100
    for _ in range(steps):
        run0, wait0 = schedstat()
        t = time.perf_counter()
        bar.setValue(bar.value() + page.grid.viewport().height())
        app.processEvents()
        page.grid.viewport().repaint()
        ms = (time.perf_counter() - t) * 1000
        run1, wait1 = schedstat()
        most_cpu = max(most_cpu, (run1 - run0) / 1e6)
        if ms > worst:
            worst, worst_split = ms, ((run1 - run0) / 1e6, (wait1 - wait0) / 1e6)
        pump_until(lambda: not page.model.busy, 2.0)
    rows_seen = page.model.rowCount()
    rss_mb = peak_rss_mb()
    page.shutdown()
    wait_for_tasks()
    shutil.rmtree(tmp, ignore_errors=True)

    label = f"{n // 1000}k"
    filter_worst = max(tag_ms, text_ms)
    out = {
        "library_open_100k_ms": entry(open_ms, "ms", 500, open_ms <= 500,
                                      detail=f"{n} takes, {n * 3} tags to first painted grid; "
                                             f"build {build_s:.1f}s"),
        "library_filter_100k_ms": entry(filter_worst, "ms", 50, filter_worst <= 50,
                                        detail=f"tag {tag_ms:.1f} ms, text {text_ms:.1f} ms "
                                               f"(worst of 3 each, {label} takes)"),
        "library_scroll_stall_ms": entry(
            worst, "ms", 30, worst <= 30,
            detail=f"{steps} page-downs, {rows_seen} rows loaded; worst step: GUI thread "
                   f"{worst_split[0]:.1f} ms on a CPU, {worst_split[1]:.1f} ms waiting for one; "
                   f"most GUI-thread CPU in one step {most_cpu:.1f} ms; "
                   f"load avg {os.getloadavg()[0]:.1f}"),
        "library_peak_mb": entry(rss_mb, "MB", 300, rss_mb <= 300,
                                 detail=f"{n} takes, {n * 3} tags"),
    }
    if args.json:
        emit(out, True)
    else:
        for name, e in out.items():
            sys.stdout.write(f"{name:26} {e['value']:>9} {e['unit']:3} target {e['target']:>4} "
                             f"{'ok  ' if e['ok'] else 'MISS'}  {e['detail']}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
