"""Shared helpers for the bundle tests: real MP4 takes (PyAV) and results rows (SQL).

Imported by test_bundle*.py, test_pdf.py, test_timeline.py and the hostile-zip tests.
"""

from __future__ import annotations

import hashlib
import json
import time
from fractions import Fraction
from pathlib import Path

import av
from PIL import Image

from studio.project import load_project, save_project
from studio.results import write_sidecar
from studio.store import Store

COLORS = [(200, 80, 30), (30, 60, 120), (220, 180, 120), (90, 90, 90), (40, 140, 80)]


def make_mp4(path: Path, seconds: float = 1.0, fps: int = 24, size: tuple[int, int] = (320, 180),
             color: tuple[int, int, int] = (200, 80, 30)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, fps)
        for i in range(round(seconds * fps)):
            img = Image.new("RGB", size, color)
            img.paste((250, 250, 250), (0, 0, max(1, (i * 7) % size[0]), size[1]))
            vf = av.VideoFrame.from_image(img)
            vf.pts = i
            for packet in stream.encode(vf):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def make_thumb(path: Path, color: tuple[int, int, int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    img = Image.new("RGB", (320, 180), color)
    for x in range(0, 320, 40):
        for y in range(180):
            img.putpixel((x, y), (255, 255, 255))
    img.save(path, "JPEG", quality=85)


def add_take(root: Path, shot_id: str, result_id: str, *, review_status: str = "pending",
             consent_flag: str | None = None, seconds: float = 1.0, fps: int = 24,
             color_index: int = 0, provider: str = "previz", parent_id: str | None = None,
             cameos: list[str] | None = None, tags: list[str] | None = None,
             xmp: bool = True) -> Path:
    """A real H.264 take under media/<id>/ and its results row (as the library would write)."""
    media = root / "media" / result_id
    take = media / "take.mp4"
    color = COLORS[color_index % len(COLORS)]
    make_mp4(take, seconds, fps, color=color)
    make_thumb(media / "thumb.jpg", color)
    data = take.read_bytes()
    store = Store.for_project(root)
    with store.session() as conn, store.transaction(conn):
        conn.execute(
            "INSERT INTO results (id, shot_id, path, thumbnail, sha256, size, duration, width,"
            " height, fps, codec, has_audio, provider, model, prompt, params_json, created_at,"
            " parent_id, cameos_json, consent_flag, rating, review_status, notes, c2pa_json)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (result_id, shot_id, f"media/{result_id}/take.mp4", f"media/{result_id}/thumb.jpg",
             hashlib.sha256(data).hexdigest(), len(data), seconds, 320, 180, float(fps), "h264",
             0, provider, f"{provider}-1", f"prompt for {shot_id}", json.dumps({"seed": 7}),
             time.time(), parent_id, json.dumps(cameos or []), consent_flag, 4,
             review_status, f"Take notes for {result_id}: good energy, keep the ending.",
             json.dumps({"claim_generator": "previz/1.0", "valid": True})),
        )
        for tag in tags or []:
            conn.execute("INSERT INTO tags (result_id, tag) VALUES (?, ?)", (result_id, tag))
    if xmp:
        write_sidecar(root, result_id)
    return take


def populate(root: Path) -> dict[str, str]:
    """Takes for the sample: approved, selected, pending (left out). Returns shot -> chosen id."""
    from studio.consent import cameo_states, ensure_ledger

    # the app opens the consent ledger (first seen) before any take lands: the sample's
    # cameo is then active, so her likeness reference ships (see test_bundle_likeness.py)
    ensure_ledger(root)
    cameo_states(root)
    add_take(root, "s01-ridge-dawn", "r-s01a", review_status="approved", seconds=1.5,
             color_index=1, tags=["hero"])
    add_take(root, "s02-lace-up", "r-s02a", review_status="rejected", seconds=1.0)
    add_take(root, "s02-lace-up", "r-s02b", review_status="approved", seconds=1.0,
             color_index=2, parent_id="r-s02a")
    add_take(root, "s03-maya-stride", "r-s03a", review_status="pending", seconds=2.0,
             color_index=0, cameos=["maya-okafor"])
    add_take(root, "s04-summit", "r-s04a", review_status="pending", seconds=1.0, color_index=3)
    add_take(root, "s05-packshot", "r-s05a", review_status="approved", seconds=1.0,
             color_index=4, xmp=False)
    doc = load_project(root)
    doc.project.shot("s03-maya-stride").selected_take = "r-s03a"
    doc.project.shot("s03-maya-stride").notes = "Keep the breath visible; client loves the smile."
    save_project(doc)
    return {"s01-ridge-dawn": "r-s01a", "s02-lace-up": "r-s02b",
            "s03-maya-stride": "r-s03a", "s05-packshot": "r-s05a"}
