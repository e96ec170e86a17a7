"""Previz render speed: seconds of animatic per second of wall clock at 640×360 (target ≥ 4×).

    python benchmarks/bench_previz.py [--quick] [--json] [--runs N]

Renders the sample project's 16:9 shots (crane, rack focus, tracking, orbit, static — 28 s
of 24 fps video) plus synthetic shots covering the other camera moves (pan, dolly in,
dolly zoom, crash zoom, whip pan, handheld on a dutch angle) through ``studio.previz.render``
at 640×360 into a temporary folder, decoding nothing. The value is total video seconds
divided by total wall seconds, the median over ``--runs`` passes (drift in machine load
hits every pass alike); ``detail`` lists each shot's factor and the CPU seconds used.
Peak RSS is this process's ``ru_maxrss``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

from common import emit, entry  # noqa: E402

from studio.compiler import GenerationRequest, compile_shot  # noqa: E402
from studio.previz import render  # noqa: E402
from studio.project import load_project  # noqa: E402

TARGET = 4.0
SIZE = (640, 360)


def requests(quick: bool) -> list[GenerationRequest]:
    doc = load_project(REPO / "projects" / "aurora-launch")
    out = [compile_shot(doc.project, s) for s in doc.project.shots
           if doc.project.shot_aspect(s) == "16:9"]
    base = out[2]  # Maya finds her stride: a person, shallow focus, dialogue
    for move, angle in (("pan", None), ("dolly-in", None), ("dolly-zoom", None),
                        ("crash-zoom", None), ("whip-pan", None), ("handheld", "dutch")):
        direction = dict(base.direction)
        direction["movement"] = move
        direction["beats"] = [{"at": 0.0, "action": f"Benchmark: {move}", "camera": move}]
        if angle:
            direction["angle"] = angle
        out.append(base.model_copy(update={"shot_id": f"bench-{move}", "duration": 4.0,
                                           "direction": direction}))
    if quick:
        out = [r.model_copy(update={"duration": min(r.duration, 2.0)}) for r in out]
    return out


def one_pass(reqs: list[GenerationRequest], folder: Path) -> tuple[float, float, dict[str, float]]:
    wall = cpu = 0.0
    per_shot: dict[str, float] = {}
    for req in reqs:
        c0, t0 = time.process_time(), time.perf_counter()
        render(req, folder / f"{req.shot_id}.mp4", size=SIZE)
        dt = time.perf_counter() - t0
        wall += dt
        cpu += time.process_time() - c0
        per_shot[req.shot_id] = round(req.duration / dt, 2)
    return wall, cpu, per_shot


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 s per shot, one pass")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--runs", type=int, default=None, help="passes (default 3, quick 1)")
    args = parser.parse_args()
    runs = args.runs or (1 if args.quick else 3)
    reqs = requests(args.quick)
    seconds = sum(r.duration for r in reqs)
    factors: list[float] = []
    cpus: list[float] = []
    per_shot: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-previz-") as tmp:
        one_pass(reqs[:1], Path(tmp))  # warm up: imports, fonts, codec
        for _ in range(runs):
            wall, cpu, per_shot = one_pass(reqs, Path(tmp))
            factors.append(seconds / wall)
            cpus.append(cpu)
    value = statistics.median(factors)
    detail = (f"{seconds:g} s of video in {len(reqs)} shots at {SIZE[0]}x{SIZE[1]}; "
              f"passes {', '.join(f'{f:.2f}x' for f in factors)}; CPU {statistics.median(cpus):.2f} s "
              f"per pass; per shot {per_shot}")
    emit({"previz_realtime_factor": entry(value, "x realtime", TARGET, value >= TARGET,
                                       detail=detail)}, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
