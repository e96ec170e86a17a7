"""Bundle export throughput and memory, measured side by side with cp + sha256sum.

    python benchmarks/bench_export.py [--size MIB] [--quick] [--takes N] [--dir DIR] [--json]

Makes a project with ``--size`` MiB of takes (default 2048; ``--quick``: 512) on the disk of
``--dir``, then alternately (two rounds, best of each): copies the takes with ``cp`` and
hashes the copies with ``sha256sum`` (the baseline), and runs ``export_bundle`` in a child
process (which reports its own export time and peak memory). Prints one JSON object:

* ``export_throughput_ratio``: baseline time / export time (target ≥ 0.8)
* ``export_peak_rss``: the exporting process's peak RSS in MB (target < 200)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from common import emit, entry  # noqa: E402

CHILD = """
import json, resource, sys, time
from pathlib import Path
from studio.bundle import export_bundle
root, out = Path(sys.argv[1]), Path(sys.argv[2])
t = time.perf_counter()
r = export_bundle(root, out)
seconds = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "bytes": r.bytes_written,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def make_project(base: Path, size_mib: int, takes: int) -> tuple[Path, list[Path]]:
    from studio.store import Store

    root = base / "project"
    shutil.copytree(REPO / "projects" / "aurora-launch", root)
    per = size_mib * 1024 * 1024 // takes
    block = os.urandom(4 * 1024 * 1024)
    files = []
    store = Store.for_project(root)
    shots = ["s01-ridge-dawn", "s02-lace-up", "s03-maya-stride", "s04-summit",
             "s05-packshot", "s06-city-reel"]
    with store.session() as conn, store.transaction(conn):
        for i in range(takes):
            rid = f"r-bench{i:03d}"
            path = root / "media" / rid / "take.mp4"
            path.parent.mkdir(parents=True)
            digest = hashlib.sha256()
            with open(path, "wb") as fh:
                left = per
                while left > 0:
                    chunk = block[: min(left, len(block))]
                    chunk = i.to_bytes(4, "little") + chunk[4:]  # files differ
                    fh.write(chunk)
                    digest.update(chunk)
                    left -= len(chunk)
            files.append(path)
            conn.execute(
                "INSERT INTO results (id, shot_id, path, sha256, size, duration, fps,"
                " created_at, review_status) VALUES (?,?,?,?,?,?,?,?,?)",
                (rid, shots[i % len(shots)], f"media/{rid}/take.mp4", digest.hexdigest(), per,
                 4.0, 24.0, time.time() + i, "approved"))
    subprocess.run(["sync"], check=False)
    return root, files


def baseline(files: list[Path], dest: Path) -> float:
    dest.mkdir()
    started = time.perf_counter()
    copies = []
    for i, f in enumerate(files):
        target = dest / f"{i}.mp4"
        subprocess.run(["cp", str(f), str(target)], check=True)
        copies.append(str(target))
    subprocess.run(["sha256sum", *copies], check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    shutil.rmtree(dest)
    return seconds


def export(root: Path, out: Path) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-c", CHILD, str(root), str(out)], check=True,
                          capture_output=True, text=True, env=env)
    out.unlink()
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2048, help="MiB of takes (default 2048)")
    parser.add_argument("--quick", action="store_true", help="512 MiB")
    parser.add_argument("--takes", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--dir", default=None, help="where to work (default: the system temp)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    size = 512 if args.quick else args.size
    base = Path(tempfile.mkdtemp(prefix="bench-export-", dir=args.dir))
    try:
        root, files = make_project(base, size, args.takes)
        base_times, export_runs = [], []
        for _ in range(args.rounds):
            base_times.append(baseline(files, base / "copy"))
            export_runs.append(export(root, base / "bundle.zip"))
        best_base = min(base_times)
        best_export = min(r["seconds"] for r in export_runs)
        peak = max(r["peak_rss_mb"] for r in export_runs)
        ratio = best_base / best_export
        mib_s = size / best_export
        detail = (f"{size} MiB in {args.takes} takes: export {best_export:.2f}s "
                  f"({mib_s:.0f} MiB/s), cp+sha256sum {best_base:.2f}s "
                  f"({size / best_base:.0f} MiB/s); rounds {base_times} / "
                  f"{[round(r['seconds'], 2) for r in export_runs]}")
        results = {
            "export_throughput_ratio": entry(ratio, "x", 0.8, ratio >= 0.8, detail=detail,
                                             peak_rss_mb=round(peak, 1)),
            "export_peak_rss": entry(peak, "MB", 200, peak < 200, detail=f"{size} MiB export",
                                     peak_rss_mb=round(peak, 1)),
        }
    finally:
        shutil.rmtree(base, ignore_errors=True)
    emit(results, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
