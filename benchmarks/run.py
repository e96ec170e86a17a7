"""Run every benchmark and print a table (or JSON).

    python benchmarks/run.py [--quick] [--json] [--only NAME ...]

Each ``benchmarks/bench_*.py`` is run in its own process as
``python bench_x.py --json [--quick]`` and prints one JSON object keyed by benchmark name,
each value ``{"value", "unit", "target", "ok"}`` plus optional ``"peak_rss_mb"`` and
``"detail"``. This script merges them; with ``--json`` it prints the merged object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run_one(script: Path, quick: bool, timeout: float) -> dict[str, dict]:
    cmd = [sys.executable, str(script), "--json"] + (["--quick"] if quick else [])
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["PYTHONPATH"] = str(HERE.parent) + os.pathsep + env.get("PYTHONPATH", "")
    started = time.monotonic()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env,
                              cwd=HERE.parent)
    except subprocess.TimeoutExpired:
        return {script.stem: {"value": None, "unit": "", "target": None, "ok": False,
                              "detail": f"timed out after {timeout:.0f}s"}}
    elapsed = time.monotonic() - started
    try:
        data = json.loads(proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "")
    except (json.JSONDecodeError, IndexError):
        try:
            data = json.loads(proc.stdout)
        except json.JSONDecodeError:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            return {script.stem: {"value": None, "unit": "", "target": None, "ok": False,
                                  "detail": f"exit {proc.returncode}: {' | '.join(tail)}"}}
    for entry in data.values():
        entry.setdefault("detail", "")
        entry["seconds"] = round(elapsed, 1)
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes; < 10 minutes")
    parser.add_argument("--json", action="store_true", help="print the merged JSON object")
    parser.add_argument("--only", nargs="*", help="run only these bench_*.py stems")
    args = parser.parse_args()
    scripts = sorted(HERE.glob("bench_*.py"))
    if args.only:
        scripts = [s for s in scripts if s.stem in args.only or s.stem[6:] in args.only]
    merged: dict[str, dict] = {}
    for script in scripts:
        merged.update(run_one(script, args.quick, timeout=900 if args.quick else 3600))
        if not args.json:
            sys.stderr.write(f"done {script.name}\n")
    if args.json:
        print(json.dumps(merged, indent=2))
    else:
        print(f"{'benchmark':32} {'value':>12} {'unit':8} {'target':>10} ok   peak MB")
        for name, e in merged.items():
            value = "—" if e.get("value") is None else f"{e['value']:.3g}"
            target = "—" if e.get("target") is None else f"{e['target']}"
            peak = e.get("peak_rss_mb")
            print(f"{name:32} {value:>12} {e.get('unit', ''):8} {target:>10} "
                  f"{'yes' if e.get('ok') else 'NO ':4} {'' if peak is None else f'{peak:.0f}'}"
                  f"  {e.get('detail', '')}")
    return 0 if all(e.get("ok") for e in merged.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
