"""The offline previz provider's renderer: an animatic of a compiled shot as an H.264 MP4.

``render(request, out_path)`` draws a simple layered 2.5D scene (sky, far ridge, mid layer,
ground grid, a blocking marker for the subject) whose camera does what the brief says, with a
caption bar, beat text and timed dialogue subtitles. Output is deterministic for the same
request. See docs/readme/previz.md.
"""

from __future__ import annotations

from studio.previz.render import (
    RenderCancelled,
    output_size,
    render,
    render_frame,
    render_thumbnail,
)

__all__ = ["RenderCancelled", "output_size", "render", "render_frame", "render_thumbnail"]
