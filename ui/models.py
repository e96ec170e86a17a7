"""Qt item models over the brief: the shot strip, a shot's beats and its dialogue.

They are thin adapters (napari style): the pydantic project owns the data; edits become
undo commands (:mod:`ui.commands`); the models listen to ``ProjectContext.briefChanged``
and forward changes as row / data signals.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractListModel,
    QAbstractTableModel,
    QByteArray,
    QCoreApplication,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from studio.model import Beat, Character, DialogueLine, Shot
from ui import commands
from ui.context import ProjectContext
from ui.widgets.shotcard import shot_card_data  # the card's roles and data live with the card

log = logging.getLogger(__name__)

Index = QModelIndex | QPersistentModelIndex
SHOT_MIME = "application/x-brief-studio-shot-row"


def _tr(text: str) -> str:
    return QCoreApplication.translate("ShotModels", text)


class ShotListModel(QAbstractListModel):
    """The project's shots, in order. Drag and drop inside the view moves shots (undoable)."""

    editRefused = Signal(str)

    def __init__(self, ctx: ProjectContext, parent: Any = None):  # noqa: ANN401
        super().__init__(parent)
        self.ctx = ctx
        self.consent: dict[str, list[str]] = {}
        ctx.briefChanged.connect(self._on_brief_changed)

    # --- reading -------------------------------------------------------------------
    @property
    def shots(self) -> list[Shot]:
        return self.ctx.project.shots

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.shots)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: ANN401
        if not index.isValid() or not 0 <= index.row() < len(self.shots):
            return None
        shot = self.shots[index.row()]
        return shot_card_data(shot, index.row(), role, self.consent.get(shot.id) or [])

    def row_of(self, shot_id: str) -> int:
        for i, shot in enumerate(self.shots):
            if shot.id == shot_id:
                return i
        return -1

    def set_consent(self, problems: dict[str, list[str]]) -> None:
        self.consent = problems
        if self.shots:
            self.dataChanged.emit(self.index(0), self.index(len(self.shots) - 1))

    def _on_brief_changed(self, shot_id: str) -> None:
        row = self.row_of(shot_id) if shot_id else -1
        if row >= 0:
            self.dataChanged.emit(self.index(row), self.index(row))
        elif self.shots:
            self.dataChanged.emit(self.index(0), self.index(len(self.shots) - 1))

    # --- ShotListHost (used by the undo commands) ------------------------------------
    def insert_shot(self, index: int, shot: Shot) -> None:
        self.beginInsertRows(QModelIndex(), index, index)
        self.shots.insert(index, shot)
        self.endInsertRows()

    def remove_shot(self, index: int) -> Shot:
        self.beginRemoveRows(QModelIndex(), index, index)
        shot = self.shots.pop(index)
        self.endRemoveRows()
        return shot

    def move_shot(self, src: int, dest: int) -> None:
        if src == dest:
            return
        qt_dest = dest + 1 if dest > src else dest
        if not self.beginMoveRows(QModelIndex(), src, src, QModelIndex(), qt_dest):
            log.warning("refused move %s -> %s", src, dest)
            return
        self.shots.insert(dest, self.shots.pop(src))
        self.endMoveRows()

    # --- drag and drop ---------------------------------------------------------------
    def flags(self, index: Index) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsDropEnabled
        if not index.isValid():
            return base
        return base | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | \
            Qt.ItemFlag.ItemIsDragEnabled

    def supportedDropActions(self) -> Qt.DropAction:  # noqa: N802
        return Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:  # noqa: N802
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [SHOT_MIME]

    def mimeData(self, indexes: list[QModelIndex]) -> QMimeData:  # noqa: N802
        mime = QMimeData()
        rows = sorted({i.row() for i in indexes if i.isValid()})
        if rows:
            mime.setData(SHOT_MIME, QByteArray(str(rows[0]).encode()))
        return mime

    def dropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,  # noqa: N802
                     parent: Index) -> bool:
        if action != Qt.DropAction.MoveAction or not data.hasFormat(SHOT_MIME):
            return False
        try:
            src = int(bytes(data.data(SHOT_MIME).data()).decode())
        except ValueError:
            return False
        before = row if row >= 0 else (parent.row() if parent.isValid() else len(self.shots))
        return self.request_move(src, before)

    def request_move(self, src: int, before: int) -> bool:
        """Move shot ``src`` in front of the shot now at ``before`` (len: to the end)."""
        if not 0 <= src < len(self.shots):
            return False
        dest = before if before <= src else before - 1
        dest = max(0, min(dest, len(self.shots) - 1))
        if dest == src:
            return False
        self.ctx.undo_stack.push(commands.MoveShotCommand(self.ctx, self, src, dest))
        return True


class _ListTableModel(QAbstractTableModel):
    """A table over one list field of the current shot (beats or dialogue)."""

    editRefused = Signal(str)
    FIELD = ""
    COLUMNS: tuple[tuple[str, str], ...] = ()  # (attribute, header)
    NOUN = ""
    #: Edit > Undo texts: (edit, add, remove), QT_TRANSLATE_NOOP("ShotModels", ...)
    UNDO_TEXTS: tuple[str, str, str] = ("", "", "")
    PROJECT_LEVEL = False  # a list of the project itself (characters), not of a shot

    def __init__(self, ctx: ProjectContext, parent: Any = None):  # noqa: ANN401
        super().__init__(parent)
        self.ctx = ctx
        self.shot_id: str | None = None
        self._count = 0
        ctx.briefChanged.connect(self._on_brief_changed)

    def set_shot(self, shot_id: str | None) -> None:
        self.beginResetModel()
        self.shot_id = shot_id
        self._count = len(self.items())
        self.endResetModel()

    def shot(self) -> Shot | None:
        if not self.shot_id:
            return None
        try:
            return self.ctx.project.shot(self.shot_id)
        except KeyError:
            return None

    def items(self) -> list[Any]:
        shot = self.shot()
        return list(getattr(shot, self.FIELD)) if shot is not None else []

    def _on_brief_changed(self, shot_id: str) -> None:
        if shot_id and shot_id != self.shot_id:
            return
        if self.shot_id is not None and self.shot() is None:
            self.set_shot(None)
            return
        count = len(self.items())
        if count != self._count:
            self.set_shot(self.shot_id)
        elif count:
            self.dataChanged.emit(self.index(0, 0), self.index(count - 1, len(self.COLUMNS) - 1))

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: ANN401
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.COLUMNS):
            return _tr(self.COLUMNS[section][1])
        if orientation == Qt.Orientation.Vertical:
            return str(section + 1)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEditable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: ANN401
        items = self.items()
        if not index.isValid() or not 0 <= index.row() < len(items) \
                or not 0 <= index.column() < len(self.COLUMNS):
            return None
        value = getattr(items[index.row()], self.COLUMNS[index.column()][0])
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if value is None:
                return ""
            if isinstance(value, float):
                return f"{value:g}" if role == Qt.ItemDataRole.DisplayRole else value
            return value
        return None

    def _convert(self, attr: str, value: Any) -> Any:  # noqa: ANN401
        return value

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: ANN401, N802
        items = self.items()
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or index.row() >= len(items):
            return False
        attr = self.COLUMNS[index.column()][0]
        try:
            converted = self._convert(attr, value)
            new_item = items[index.row()].model_copy(update={attr: converted})
            new_item = type(new_item).model_validate(new_item.model_dump())
        except (ValueError, TypeError) as exc:
            self.editRefused.emit(f"{_tr(self.COLUMNS[index.column()][1])}: {_first_line(exc)}")
            return False
        new_items = [*items[: index.row()], new_item, *items[index.row() + 1:]]
        return self._push(new_items, _tr(self.UNDO_TEXTS[0]))

    def _push(self, new_items: list[Any], text: str) -> bool:
        if self.shot_id is None and not self.PROJECT_LEVEL:
            return False
        problem = commands.push_set(self.ctx, self.shot_id, (self.FIELD,), new_items, text,
                                    merge=False)
        if problem:
            self.editRefused.emit(problem)
            return False
        return True

    def new_item(self) -> Any:  # noqa: ANN401
        raise NotImplementedError

    def add_row(self, after: int | None = None) -> bool:
        items = self.items()
        at = len(items) if after is None else after + 1
        return self._push([*items[:at], self.new_item(), *items[at:]], _tr(self.UNDO_TEXTS[1]))

    def remove_row(self, row: int) -> bool:
        items = self.items()
        if not 0 <= row < len(items):
            return False
        return self._push(items[:row] + items[row + 1:], _tr(self.UNDO_TEXTS[2]))


def _first_line(exc: Exception) -> str:
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        return commands.validation_message(exc)
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _seconds(value: Any) -> float | None:  # noqa: ANN401
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip().removesuffix("s").strip()
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{value!r} is not a time in seconds") from None


class BeatsModel(_ListTableModel):
    FIELD = "beats"
    NOUN = "beat"
    UNDO_TEXTS = (QT_TRANSLATE_NOOP("ShotModels", "Edit beat"), QT_TRANSLATE_NOOP("ShotModels", "Add beat"),
                  QT_TRANSLATE_NOOP("ShotModels", "Remove beat"))
    COLUMNS = (("at", QT_TRANSLATE_NOOP("ShotModels", "At (s)")), ("action", QT_TRANSLATE_NOOP("ShotModels", "Action")),
               ("camera", QT_TRANSLATE_NOOP("ShotModels", "Camera move")))

    def _convert(self, attr: str, value: Any) -> Any:  # noqa: ANN401
        if attr == "at":
            seconds = _seconds(value)
            if seconds is None:
                raise ValueError("a beat needs a start time")
            return seconds
        if attr == "camera":
            return str(value).strip() or None
        return str(value)

    def new_item(self) -> Beat:
        items = self.items()
        shot = self.shot()
        last = max((b.at for b in items), default=-1.0)
        at = min(last + 1.0, shot.duration if shot else 0.0) if items else 0.0
        return Beat(at=max(at, 0.0), action="New action")


class DialogueModel(_ListTableModel):
    FIELD = "dialogue"
    NOUN = "dialogue line"
    UNDO_TEXTS = (QT_TRANSLATE_NOOP("ShotModels", "Edit dialogue line"),
                  QT_TRANSLATE_NOOP("ShotModels", "Add dialogue line"),
                  QT_TRANSLATE_NOOP("ShotModels", "Remove dialogue line"))
    COLUMNS = (("speaker", QT_TRANSLATE_NOOP("ShotModels", "Speaker")), ("line", QT_TRANSLATE_NOOP("ShotModels", "Line")),
               ("at", QT_TRANSLATE_NOOP("ShotModels", "At (s)")), ("delivery", QT_TRANSLATE_NOOP("ShotModels", "Delivery")))

    def _convert(self, attr: str, value: Any) -> Any:  # noqa: ANN401
        if attr == "at":
            return _seconds(value)
        return str(value)

    def new_item(self) -> DialogueLine:
        chars = self.ctx.project.characters
        return DialogueLine(speaker=chars[0].id if chars else "V.O.", line="…")


class CharactersModel(_ListTableModel):
    """The project's recurring characters (id, name, description, cameo played by)."""

    FIELD = "characters"
    NOUN = "character"
    UNDO_TEXTS = (QT_TRANSLATE_NOOP("ShotModels", "Edit character"), QT_TRANSLATE_NOOP("ShotModels", "Add character"),
                  QT_TRANSLATE_NOOP("ShotModels", "Remove character"))
    PROJECT_LEVEL = True
    COLUMNS = (("id", QT_TRANSLATE_NOOP("ShotModels", "Id")), ("name", QT_TRANSLATE_NOOP("ShotModels", "Name")),
               ("description", QT_TRANSLATE_NOOP("ShotModels", "Description")),
               ("cameo", QT_TRANSLATE_NOOP("ShotModels", "Played by (cameo)")))

    def __init__(self, ctx: ProjectContext, parent: Any = None):  # noqa: ANN401
        super().__init__(ctx, parent)
        self._count = len(self.items())

    def items(self) -> list[Any]:
        return list(self.ctx.project.characters)

    def _on_brief_changed(self, shot_id: str) -> None:
        if shot_id:
            return
        count = len(self.items())
        if count != self._count:
            self.beginResetModel()
            self._count = count
            self.endResetModel()
        elif count:
            self.dataChanged.emit(self.index(0, 0), self.index(count - 1, len(self.COLUMNS) - 1))

    def _convert(self, attr: str, value: Any) -> Any:  # noqa: ANN401
        text = str(value).strip()
        if attr == "cameo":
            return text or None
        return text if attr in ("id", "name") else str(value)

    def new_item(self) -> Character:
        ids = {c.id for c in self.ctx.project.characters}
        n = 1
        while f"character-{n}" in ids:
            n += 1
        return Character(id=f"character-{n}", name=f"Character {n}")
