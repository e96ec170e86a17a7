"""Undo commands: every edit of the brief goes through one of these (QUndoStack).

- :class:`SetValueCommand` sets one field of the project or of a shot, addressed by a
  path such as ``("direction", "lens_mm")``. Consecutive edits of the same field merge, so
  typing a title is one undo step.
- :class:`InsertShotCommand`, :class:`RemoveShotCommand`, :class:`MoveShotCommand` change
  the shot list. They go through a :class:`ShotListHost` (the Qt shot model) when one is
  attached so views get proper row signals; without one they edit the list directly.

Use :func:`push_set` rather than building a SetValueCommand: it validates first and
returns an error message instead of pushing an edit the model refuses.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from pydantic import ValidationError
from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QUndoCommand

from studio.model import Project, Shot
from ui.context import ProjectContext

log = logging.getLogger(__name__)

Path_ = tuple[str, ...]
_MERGE_ID = 0x5E7  # SetValueCommand


class ShotListHost(Protocol):
    def insert_shot(self, index: int, shot: Shot) -> None: ...
    def remove_shot(self, index: int) -> Shot: ...
    def move_shot(self, src: int, dest: int) -> None: ...


def _tr(text: str) -> str:
    """Undo texts (Edit > Undo "…") and edit errors, in the "Commands" context."""
    return QCoreApplication.translate("Commands", text)


def _target(project: Project, shot_id: str | None) -> Any:  # noqa: ANN401
    return project.shot(shot_id) if shot_id else project


def get_value(project: Project, shot_id: str | None, path: Path_) -> Any:  # noqa: ANN401
    obj = _target(project, shot_id)
    for key in path:
        obj = getattr(obj, key)
    return obj


def _set(project: Project, shot_id: str | None, path: Path_, value: Any) -> None:  # noqa: ANN401
    obj = _target(project, shot_id)
    for key in path[:-1]:
        obj = getattr(obj, key)
    setattr(obj, path[-1], value)  # validate_assignment: raises ValidationError if refused


def _restore(project: Project, shot_id: str | None, path: Path_, value: Any) -> None:  # noqa: ANN401
    """Put a previously valid value back (a refused assignment may have left the new one)."""
    try:
        _set(project, shot_id, path, _copy(value))
    except ValidationError:
        obj = _target(project, shot_id)
        for key in path[:-1]:
            obj = getattr(obj, key)
        obj.__dict__[path[-1]] = _copy(value)


def _copy(value: Any) -> Any:  # noqa: ANN401
    if isinstance(value, list):
        return [v.model_copy(deep=True) if hasattr(v, "model_copy") else v for v in value]
    if hasattr(value, "model_copy"):
        return value.model_copy(deep=True)
    return value


def validation_message(exc: ValidationError) -> str:
    first = exc.errors()[0]
    msg = str(first.get("msg", exc))
    return msg.removeprefix("Value error, ")


class SetValueCommand(QUndoCommand):
    def __init__(self, ctx: ProjectContext, shot_id: str | None, path: Path_, value: Any,  # noqa: ANN401
                 text: str, merge: bool = True):
        super().__init__(text)
        self.ctx = ctx
        self.shot_id = shot_id
        self.path = path
        self.old = _copy(get_value(ctx.project, shot_id, path))
        self.new = _copy(value)
        self.merge = merge

    def id(self) -> int:
        return _MERGE_ID if self.merge else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802
        if not isinstance(other, SetValueCommand) or not other.merge:
            return False
        if (other.shot_id, other.path) != (self.shot_id, self.path):
            return False
        if not isinstance(self.new, str):
            return False  # only free-text fields merge (typing)
        self.new = other.new
        return True

    def _apply(self, value: Any) -> None:  # noqa: ANN401
        _set(self.ctx.project, self.shot_id, self.path, _copy(value))
        self.ctx.brief_changed(self.shot_id or "")

    def redo(self) -> None:
        self._apply(self.new)

    def undo(self) -> None:
        self._apply(self.old)


def push_set(ctx: ProjectContext, shot_id: str | None, path: Path_, value: Any,  # noqa: ANN401
             text: str, merge: bool = True) -> str | None:
    """Push an undoable edit; returns an error message (and changes nothing) if refused."""
    try:
        current = get_value(ctx.project, shot_id, path)
    except (KeyError, AttributeError) as exc:
        return _tr("cannot edit %1: %2").replace("%1", ".".join(path)).replace("%2", str(exc))
    if current == value:
        return None
    try:
        _set(ctx.project, shot_id, path, _copy(value))
        # assignment validates one field; the whole shot/project must still hold together
        target = _target(ctx.project, shot_id)
        type(target).model_validate(target.model_dump())
    except ValidationError as exc:
        _restore(ctx.project, shot_id, path, current)
        return validation_message(exc)
    # the trial succeeded: put the old value back and let the command apply it
    _restore(ctx.project, shot_id, path, current)
    command = SetValueCommand(ctx, shot_id, path, value, text, merge)
    command.old = _copy(current)
    ctx.undo_stack.push(command)
    return None


class _ShotListCommand(QUndoCommand):
    def __init__(self, ctx: ProjectContext, host: ShotListHost | None, text: str):
        super().__init__(text)
        self.ctx = ctx
        self.host = host

    def _insert(self, index: int, shot: Shot) -> None:
        if self.host is not None:
            self.host.insert_shot(index, shot)
        else:
            self.ctx.project.shots.insert(index, shot)
        self.ctx.brief_changed("")

    def _remove(self, index: int) -> Shot:
        shot = (self.host.remove_shot(index) if self.host is not None
                else self.ctx.project.shots.pop(index))
        self.ctx.brief_changed("")
        return shot

    def _move(self, src: int, dest: int) -> None:
        if self.host is not None:
            self.host.move_shot(src, dest)
        else:
            shots = self.ctx.project.shots
            shots.insert(dest, shots.pop(src))
        self.ctx.brief_changed("")


class InsertShotCommand(_ShotListCommand):
    """Add a new or duplicated shot at ``index``."""

    def __init__(self, ctx: ProjectContext, host: ShotListHost | None, index: int, shot: Shot,
                 text: str | None = None):
        super().__init__(ctx, host, text or _tr("Add shot"))
        self.index = index
        self.shot = shot

    def redo(self) -> None:
        self._insert(self.index, self.shot.model_copy(deep=True))

    def undo(self) -> None:
        self._remove(self.index)


class RemoveShotCommand(_ShotListCommand):
    def __init__(self, ctx: ProjectContext, host: ShotListHost | None, index: int,
                 text: str | None = None):
        super().__init__(ctx, host, text or _tr("Delete shot"))
        self.index = index
        self.shot = ctx.project.shots[index].model_copy(deep=True)

    def redo(self) -> None:
        self._remove(self.index)

    def undo(self) -> None:
        self._insert(self.index, self.shot.model_copy(deep=True))


class MoveShotCommand(_ShotListCommand):
    """Move the shot at ``src`` so that it ends up at index ``dest`` (list semantics)."""

    def __init__(self, ctx: ProjectContext, host: ShotListHost | None, src: int, dest: int,
                 text: str | None = None):
        super().__init__(ctx, host, text or _tr("Move shot"))
        self.src = src
        self.dest = dest

    def redo(self) -> None:
        self._move(self.src, self.dest)

    def undo(self) -> None:
        self._move(self.dest, self.src)


def duplicate_of(project: Project, shot: Shot) -> Shot:
    """A copy of ``shot`` with a fresh id derived from the original and no chosen take."""
    base = shot.id[:56]
    n = 2
    ids = {s.id for s in project.shots}
    while f"{base}-{n}" in ids:
        n += 1
    copy = shot.model_copy(deep=True)
    copy.id = f"{base}-{n}"
    copy.title = _tr("%1 (copy)").replace("%1", shot.title) if shot.title else ""
    copy.selected_take = None
    return copy
