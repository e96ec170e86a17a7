"""Remix… / Extend… a take: ask for the prompt (and the extension's length), show the estimated
cost and anything that refuses it, then enqueue.

Planning (:func:`studio.queue.enqueue.plan_from_take`: reads the take, the provider table,
consent and the budget) and enqueueing run off the GUI thread; the core re-checks consent
right before the request is sent.
"""

from __future__ import annotations

import contextlib
import html
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from studio.queue.enqueue import Plan, enqueue, plan_from_take
from studio.results import records
from studio.store import Store
from ui.context import ProjectContext
from ui.tasks import run_task

log = logging.getLogger(__name__)

REPLAN_DELAY_MS = 250
TITLES = {"remix": QT_TRANSLATE_NOOP("DeriveDialog", "Remix take"),
          "extend": QT_TRANSLATE_NOOP("DeriveDialog", "Extend take")}


class DeriveDialog(QDialog):
    """One remix or extend job from ``info`` (a :func:`studio.results.get_result` dict)."""

    #: emitted after enqueueing: (job id, status, error or "")
    queued = Signal(str, str, str)

    def __init__(self, ctx: ProjectContext, info: dict[str, Any], kind: str,
                 durations: list[float] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        if kind not in TITLES:
            raise ValueError(kind)
        self.ctx, self.info, self.kind = ctx, info, kind
        self.plan: Plan | None = None
        self._generation = 0
        self.setWindowTitle(self.tr("%1 %2 — Brief Studio").replace("%1", self.tr(TITLES[kind]))
                            .replace("%2", info["id"]))
        self.setMinimumWidth(520)

        made = " · ".join(x for x in (info.get("provider"), info.get("model")) if x)
        about = QLabel(
            self.tr("<b>%1</b> of shot <b>%2</b> · %3<br><span style='color:palette(mid)'>"
                    "remote %4</span>")
            .replace("%1", html.escape(info["id"]))
            .replace("%2", html.escape(info["shot"] or "—"))
            .replace("%3", html.escape(made))
            .replace("%4", html.escape(info.get("remote_id") or "—")))
        about.setTextFormat(Qt.TextFormat.RichText)
        about.setWordWrap(True)

        self.prompt = QPlainTextEdit(self)
        self.prompt.setTabChangesFocus(True)
        self.prompt.setMinimumHeight(110)
        if kind == "remix":
            self.prompt.setPlaceholderText(self.tr("Describe the change: the same take, but…"))
            self.prompt.setPlainText(info.get("prompt") or "")
            self.prompt.setAccessibleName(self.tr("Remix prompt"))
        else:
            self.prompt.setPlaceholderText(self.tr("What happens next, as the take continues…"))
            self.prompt.setAccessibleName(self.tr("Extension prompt"))
        self.seconds = QComboBox(self)
        self.seconds.setAccessibleName(self.tr("Extension length"))
        for d in durations or [4.0, 8.0, 12.0]:
            self.seconds.addItem(f"{d:g} s", float(d))

        self.summary = QLabel(self.tr("Estimating…"), self)
        self.summary.setObjectName("deriveSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)

        form = QFormLayout()
        form.addRow(self.tr("From"), about)
        form.addRow(self.tr("Remix prompt") if kind == "remix" else self.tr("Extension prompt"),
                    self.prompt)
        if kind == "extend":
            form.addRow(self.tr("Continue for"), self.seconds)
        else:
            self.seconds.hide()  # a remix keeps the take's length

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(self.tr("Queue remix") if kind == "remix" else self.tr("Queue extension"))
        self.ok.setToolTip(self.tr("Queue it (Ctrl+Enter)"))
        self.ok.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.prompt.installEventFilter(self)  # Ctrl+Enter in the prompt queues it

        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.summary)
        lay.addWidget(self.buttons)

        self._timer = QTimer(self, singleShot=True, interval=REPLAN_DELAY_MS)
        self._timer.timeout.connect(self.replan)
        self.prompt.textChanged.connect(self._timer.start)
        self.seconds.currentIndexChanged.connect(lambda _i: self.replan())
        self.prompt.setFocus()
        self.replan()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if obj is self.prompt and event.type() == QEvent.Type.KeyPress and \
                isinstance(event, QKeyEvent) and \
                event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and \
                event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            if self._timer.isActive():
                self.replan()  # the estimate for the text as typed, then queue
            self.accept()
            return True
        return super().eventFilter(obj, event)

    # --- planning -----------------------------------------------------------------------
    def prompt_text(self) -> str:
        return self.prompt.toPlainText().strip()

    def seconds_value(self) -> float | None:
        return float(self.seconds.currentData()) if self.kind == "extend" else None

    def replan(self) -> None:
        self._timer.stop()
        self._generation += 1
        generation = self._generation
        self.ok.setEnabled(False)
        text = self.prompt_text()
        if not text:
            self.plan = None
            self.summary.setText(self.tr("Write a prompt to see the estimated cost."))
            return
        root, project, rid = self.ctx.root, self.ctx.project, self.info["id"]
        kind, seconds = self.kind, self.seconds_value()

        def work() -> Plan:
            return plan_from_take(root, project, rid, kind, text, seconds=seconds)

        run_task(work, lambda res, err: self._planned(generation, res, err))

    def _planned(self, generation: int, result: Plan | None, error: BaseException | None) -> None:
        if generation != self._generation:
            return  # an older estimate
        if error is not None or result is None:
            self.plan = None
            self.summary.setText(f"<span style='color:#c0392b'>{html.escape(str(error))}</span>")
            return
        self.plan = result
        self.summary.setText(render_plan(result))
        self.ok.setEnabled(not any(i.blocked_reason for i in result.items))

    # --- enqueue ------------------------------------------------------------------------
    def accept(self) -> None:
        if self.plan is None or not self.ok.isEnabled():
            return
        self.ok.setEnabled(False)
        the_plan, root, bus = self.plan, self.ctx.root, self.ctx.bus

        def work() -> tuple[str, str, str]:
            (job,) = enqueue(root, the_plan, bus=bus)
            return job.id, job.status, job.error or ""

        run_task(work, self._enqueued)

    def _enqueued(self, result: tuple[str, str, str] | None, error: BaseException | None) -> None:
        if error is not None or result is None:
            text = html.escape(self.tr("Could not queue: %1").replace("%1", str(error)))
            self.summary.setText(f"<span style='color:#c0392b'>{text}</span>")
            self.ok.setEnabled(True)
            return
        self.queued.emit(*result)
        super().accept()


def lineage_with_kinds(root: Path, result_id: str) -> dict[str, Any]:
    """:func:`studio.results.lineage` with ``how`` on every node (generate, remix, extend or
    imported, from the job that made the take). Reads studio.db: call it off the GUI thread."""
    tree = records.lineage(root, result_id)
    nodes: list[dict[str, Any]] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(node["children"])
    ids = [n["id"] for n in nodes]
    how: dict[str, str] = {}
    with contextlib.closing(Store.for_project(root).connect()) as conn:
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for rid, imported, kind, recorded in conn.execute(
                    "SELECT r.id, r.imported, j.kind, CASE WHEN json_valid(r.params_json) "
                    "THEN json_extract(r.params_json, '$.kind') END FROM results r "
                    f"LEFT JOIN jobs j ON j.id = r.job_id WHERE r.id IN ({marks})", chunk):
                # the job's kind; with the job removed, the kind its parameters recorded
                how[rid] = "imported" if imported else str(kind or recorded or "generate")
    for node in nodes:
        node["how"] = how.get(node["id"], "")
    return tree


def render_plan(p: Plan) -> str:
    """The dialog's summary: cost, length, what was adjusted, and any refusal."""
    (item,) = p.items[:1] or [None]
    if item is None:
        return "Nothing to queue."
    params = item.fit.params
    what = "remix (same length and size as the take)" if p.kind == "remix" else \
        "extension (added to the end of the take)"
    lines = [f"Estimated cost <b>${item.cost:.2f}</b> — a {params['duration']:g} s {what} on "
             f"{html.escape(p.provider)}/{html.escape(item.fit.model)}"
             + (f" at {html.escape(params['size'])}" if params.get("size") else "") + "."]
    if p.budget_usd is not None:
        lines.append(f"Budget: ${p.spent_usd:.2f} of ${p.budget_usd:.2f} committed.")
    for change in item.fit.changes:
        lines.append(f"Adjusted: {html.escape(change)}")
    if item.cameos:
        lines.append("Shows " + html.escape(", ".join(item.cameos))
                     + ": their consent must allow remixing (checked again before sending).")
    if item.blocked_reason:
        lines.append(f"<span style='color:#c0392b'><b>Refused</b> — "
                     f"{html.escape(item.blocked_reason)}</span>")
    return "<br>".join(lines)


__all__ = ["DeriveDialog", "lineage_with_kinds", "render_plan"]
