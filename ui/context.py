"""What every page of an open project shares.

:class:`ProjectContext` holds the loaded :class:`~studio.project.ProjectDocument`, the
core's :class:`~studio.events.EventBus` (adapted into the Qt signal ``coreEvent``, always
delivered on the GUI thread through a queued connection), and the window's QUndoStack.
Pages edit the brief only through undo commands and then call :meth:`brief_changed`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QUndoStack

from studio.events import Event, EventBus

if TYPE_CHECKING:  # studio.project imports pydantic: not before the window's first frame
    from studio.project import ProjectDocument


class ProjectContext(QObject):
    #: the brief (project.yaml model) changed; argument: shot id or "" for project-level
    briefChanged = Signal(str)
    #: a core event (studio.events.Event), delivered on the GUI thread
    coreEvent = Signal(object)
    _fromCore = Signal(object)

    def __init__(self, doc: ProjectDocument, bus: EventBus | None = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.doc = doc
        self.bus = bus or EventBus()
        self.undo_stack = QUndoStack(self)
        self._fromCore.connect(self.coreEvent, Qt.ConnectionType.QueuedConnection)
        self._unsubscribe = self.bus.subscribe(self._fromCore.emit)
        self.destroyed.connect(lambda *_: None)

    @property
    def project(self):  # noqa: ANN201
        return self.doc.project

    @property
    def root(self):  # noqa: ANN201
        return self.doc.root

    def brief_changed(self, shot_id: str = "") -> None:
        self.briefChanged.emit(shot_id)

    def publish(self, event: Event) -> None:
        self.bus.publish(event.kind, **event.data)

    def close(self) -> None:
        self._unsubscribe()
