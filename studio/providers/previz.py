"""The offline previz provider: wraps :func:`studio.previz.render` in the provider protocol.

Nothing leaves the machine and nothing is billed, so a create is "accepted" at once with a
local id; the render happens in the download step (in a thread, cancellable, with
progress). A render interrupted by a crash simply runs again.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from studio.providers.base import (
    COMPLETED,
    Cancelled,
    JobSpec,
    Progress,
    ProviderCaps,
    RemoteStatus,
)

#: an animatic needs no more than this on its long edge (keeps rendering faster than real time)
PREVIZ_LONG_EDGE = 640


def preview_size(size: str, long_edge: int = PREVIZ_LONG_EDGE) -> tuple[int, int]:
    w, h = (int(x) for x in size.split("x"))
    scale = min(1.0, long_edge / max(w, h))
    return (max(2, int(w * scale) // 2 * 2), max(2, int(h * scale) // 2 * 2))


class Provider:
    def __init__(self, caps: ProviderCaps):
        self.caps = caps

    async def create(self, spec: JobSpec) -> RemoteStatus:
        return RemoteStatus(remote_id=f"previz-{spec.job_id}", state=COMPLETED, progress=0.0,
                            poll_after=0.0)

    async def retrieve(self, remote_id: str, handles: dict[str, Any]) -> RemoteStatus:
        return RemoteStatus(remote_id=remote_id, state=COMPLETED, poll_after=0.0)

    async def download(self, spec: JobSpec, status: RemoteStatus, video: Path,
                       thumbnail: Path, progress: Progress, cancelled: Cancelled) -> bool:
        from studio.compiler import GenerationRequest
        from studio.previz import render

        p = spec.params
        request = GenerationRequest.model_validate(spec.request).model_copy(
            update={"duration": float(p["duration"]), "size": p["size"], "aspect": p["aspect"],
                    "references": list(p.get("references") or [])})
        w, h = preview_size(str(p["size"]))
        await asyncio.to_thread(render, request, video, size=(w, h), progress=progress,
                                cancelled=cancelled)
        return False

    async def cancel(self, remote_id: str, handles: dict[str, Any]) -> None:
        return None

    async def find_submitted(self, spec: JobSpec, since: float,
                             exclude: set[str]) -> RemoteStatus | None:
        # a local "create" costs nothing and leaves nothing behind: start again
        return None
