"""The window's queue worker process runs at a lower CPU priority than the window (Unix)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ui.queue_bridge import WORKER_NICE, lower_priority

pytestmark = pytest.mark.skipif(not hasattr(os, "setpriority"), reason="Unix only")


def test_lower_priority_renices_a_child_and_never_raises_it() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert lower_priority(child.pid)
        assert os.getpriority(os.PRIO_PROCESS, child.pid) == max(WORKER_NICE, os.nice(0))
        assert lower_priority(child.pid, nice=1)  # already lower: stays where it is
        assert os.getpriority(os.PRIO_PROCESS, child.pid) == max(WORKER_NICE, os.nice(0))
    finally:
        child.kill()
        child.wait()
    assert not lower_priority(child.pid)  # gone: reported, not raised
    assert not lower_priority(0)
