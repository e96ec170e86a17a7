"""shotlist.csv: one row per shot, in brief order, with its chosen take."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from studio.compiler import speaker_name

if TYPE_CHECKING:
    from studio.bundle.export import ExportPlan

COLUMNS = (
    "order", "shot", "title", "duration_s", "aspect", "size", "shot_size", "angle", "lens_mm",
    "lens_type", "aperture", "movement", "movement_speed", "emotion", "lighting", "cameos",
    "dialogue", "chosen_take", "take_file", "take_review", "takes_in_bundle", "notes",
)


def shotlist_csv(plan: ExportPlan) -> bytes:
    """UTF-8 with a byte-order mark (so spreadsheet programs read accents and dashes)."""
    project = plan.doc.project
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for i, shot in enumerate(project.shots, start=1):
        d = shot.direction
        take = plan.chosen.get(shot.id)
        aspect = project.shot_aspect(shot)
        from studio.model import size_for_aspect

        dialogue = " / ".join(
            f"{speaker_name(project, line.speaker, {})}: {line.line}" for line in shot.dialogue
        )
        writer.writerow([
            i, shot.id, shot.title, f"{shot.duration:g}", aspect,
            shot.size or size_for_aspect(aspect), d.shot_size or "", d.angle or "",
            d.lens_mm or "", d.lens_type or "", f"f/{d.aperture:g}" if d.aperture else "",
            d.movement or "", d.movement_speed or "", d.emotion or "", d.lighting or "",
            " ".join(shot.cameos), dialogue, take.id if take else "",
            take.bundle_path() if take else "", take.review_status if take else "",
            sum(1 for t in plan.takes if t.shot_id == shot.id), shot.notes,
        ])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
