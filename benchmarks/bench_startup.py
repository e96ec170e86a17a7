"""Startup: opening the sample project to the first painted main window, against bare PySide6.

    python benchmarks/bench_startup.py [--quick] [--json] [--runs N]

Each run is a fresh Python process (``-X importtime`` off, the same interpreter and
environment) reading bytecode from a private ``PYTHONPYCACHEPREFIX`` that the uncounted
warm-up runs fill, as an installed app reads the .pyc files pip compiled. The parent notes
``time.monotonic()`` (CLOCK_MONOTONIC, shared by every process on Linux) just before
spawning; the child prints the monotonic time at which its main window finished its first
paint *with the content shown*, and its CPU time (user + system, all threads) until then:

* ``app``: what ``studio PROJECT`` does: ``ui.app.run_app([project])`` (argument parsing,
  the log file, QApplication, user settings, theme, ``MainWindow``, ``show()``,
  ``open_project`` loading off the GUI thread) with a ``MainWindow`` subclass that notes the
  time — the clock stops at the first ``UpdateRequest`` (the top-level repaint) handled
  after ``projectOpened`` or, if it comes first, ``previewShown`` (the storyboard painted
  from project.yaml before the brief is validated: the same cards, nothing editable yet;
  ui/mainwindow.py's module doc), i.e. the first frame that shows the storyboard.
* ``bare``: a plain ``QMainWindow`` that reads the same project.yaml with ``yaml.safe_load``
  and shows its name in a label — the clock stops at its first ``UpdateRequest``.

``--validated`` stops the app's clock at the first frame after ``projectOpened`` instead:
the project validated and editable (the value is then not startup_ratio).

Runs alternate (bare, app, bare, app, …) so drift in machine load hits both; the value is
median(app) / median(bare) (target ≤ 1.5). Peak RSS is the app child's ``ru_maxrss``.
HOME and the XDG folders point at a throwaway folder, so user settings are neither read nor
written.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from common import emit, entry  # noqa: E402

TARGET = 1.5

_REPORT = """
import time as _time
_marks = {}
def _mark(name):
    _marks[name] = _time.monotonic()
def _report(t):
    import json, resource, sys
    use = resource.getrusage(resource.RUSAGE_SELF)
    sys.stdout.write("PAINTED %r %r %r %s\\n" % (t, use.ru_maxrss / 1024,
                                                (use.ru_utime + use.ru_stime) * 1000,
                                                json.dumps(_marks)))
    sys.stdout.flush()
"""

BARE = _REPORT + """
import sys, time
from pathlib import Path
from PySide6.QtCore import QEvent, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow
import yaml

class Window(QMainWindow):
    done = False
    def event(self, e):
        r = super().event(e)
        if e.type() == QEvent.Type.UpdateRequest and not self.done:
            self.done = True
            _report(time.monotonic())
            QTimer.singleShot(0, QApplication.quit)
        return r

app = QApplication(sys.argv[:1])
data = yaml.safe_load(Path(sys.argv[1], "project.yaml").read_text(encoding="utf-8"))
w = Window()
w.setCentralWidget(QLabel(str(data.get("name"))))
w.resize(1280, 800)
w.show()
app.exec()
"""

APP = _REPORT + """
import os, sys, time
UNTIL_VALIDATED = os.environ.get("BENCH_STARTUP_UNTIL_VALIDATED") == "1"
from PySide6.QtCore import QEvent, QTimer
from PySide6.QtWidgets import QApplication
import ui.mainwindow
from ui.app import run_app
_mark("imported")

class Window(ui.mainwindow.MainWindow):
    opened = False
    done = False
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.projectOpened.connect(self._opened)
        if hasattr(self, "previewShown") and not UNTIL_VALIDATED:
            self.previewShown.connect(self._previewed)  # the storyboard before validation
    def _previewed(self, _preview):
        _mark("previewed")
        self.opened = True
        self.update()
    def _opened(self, _ctx):
        _mark("opened")
        self.opened = True
        self.update()
    def showEvent(self, e):
        super().showEvent(e)
        _marks.setdefault("shown", time.monotonic())
    def event(self, e):
        r = super().event(e)
        if self.opened and e.type() == QEvent.Type.UpdateRequest and not self.done:
            self.done = True
            _report(time.monotonic())
            QTimer.singleShot(0, self._finish)
        return r
    def _finish(self):
        self.interactive = False
        self.close()
        QApplication.quit()

# exactly what `studio PROJECT` runs (ui.main -> ui.app.run_app), with this window class
ui.mainwindow.MainWindow = Window
sys.exit(run_app([sys.argv[1]]))
"""


def run_child(code: str, project: Path, env: dict[str, str]
              ) -> tuple[float, float, dict[str, float]]:
    """Spawn one child; (ms from spawn to first paint, peak RSS MB, {mark: ms from spawn}).

    The marks include ``cpu``: the child's CPU time (user + system, all threads) up to that
    paint, which a loaded machine disturbs far less than the wall clock."""
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", code, str(project)], capture_output=True,
                          text=True, env=env, cwd=REPO, timeout=120)
    for line in proc.stdout.splitlines():
        if line.startswith("PAINTED "):
            _tag, painted, rss, cpu, marks = line.split(" ", 4)
            stages = {k: (v - start) * 1000 for k, v in json.loads(marks).items()}
            stages["cpu"] = float(cpu)
            return (float(painted) - start) * 1000, float(rss), stages
    tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-4:])
    raise RuntimeError(f"child never painted (exit {proc.returncode}): {tail}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--quick", action="store_true", help="5 runs of each instead of 11")
    ap.add_argument("--runs", type=int, help="runs of each kind")
    ap.add_argument("--validated", action="store_true",
                    help="stop the app's clock at the first frame after projectOpened (the "
                         "brief validated, editing on), not at the first storyboard frame")
    args = ap.parse_args()
    runs = args.runs or (5 if args.quick else 11)
    project = REPO / "projects" / "aurora-launch"
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        env = dict(os.environ)
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
        env["HOME"] = tmp
        # An installed app runs from compiled bytecode (pip compiles it). The checkout may be
        # run with PYTHONDONTWRITEBYTECODE (and its __pycache__ folders are stale while others
        # edit), which would make every child re-compile the app's ~40 modules from source:
        # let the warm-up runs compile into a private cache that every counted run reuses,
        # for the bare window and the app alike.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp, "pycache"))
        for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"),
                         ("XDG_CACHE_HOME", "cache"), ("XDG_STATE_HOME", "state")):
            env[var] = str(Path(tmp, sub))
        # The sample must not be modified: open a copy (studio.db, settings, recent list).
        import shutil

        copy = Path(tmp, "aurora-launch")
        shutil.copytree(project, copy, ignore=shutil.ignore_patterns("studio.db*"))
        # one warm-up of each (page cache, font cache), not counted
        run_child(BARE, copy, env)
        if args.validated:
            env["BENCH_STARTUP_UNTIL_VALIDATED"] = "1"
        run_child(APP, copy, env)
        bare, app, rss, bare_cpu = [], [], [], []
        stages: dict[str, list[float]] = {}
        for _ in range(runs):
            ms, _peak, marks = run_child(BARE, copy, env)
            bare.append(ms)
            bare_cpu.append(marks["cpu"])
            ms, peak, marks = run_child(APP, copy, env)
            app.append(ms)
            rss.append(peak)
            for name, value in marks.items():
                stages.setdefault(name, []).append(value)
    ratio = statistics.median(app) / statistics.median(bare)
    app_cpu = stages.pop("cpu")
    cpu_ratio = statistics.median(app_cpu) / statistics.median(bare_cpu)
    detail = (f"app median {statistics.median(app):.0f} ms, bare median "
              f"{statistics.median(bare):.0f} ms, {runs} alternated runs each; app stages (median "
              "ms from spawn): " + ", ".join(f"{k} {statistics.median(v):.0f}"
                                            for k, v in stages.items())
              + f"; CPU to first paint: app {statistics.median(app_cpu):.0f} ms, bare "
              f"{statistics.median(bare_cpu):.0f} ms (ratio {cpu_ratio:.2f}); load average "
              f"{os.getloadavg()[0]:.2f}")
    results = {"startup_ratio": entry(ratio, "x", TARGET, ratio <= TARGET,
                                      peak_rss_mb=round(max(rss), 1), detail=detail,
                                      app_ms=round(statistics.median(app), 1),
                                      bare_ms=round(statistics.median(bare), 1),
                                      cpu_ratio=round(cpu_ratio, 3))}
    emit(results, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
