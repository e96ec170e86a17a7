""""Queue shot" / "Queue all": a confirmation with the estimated cost and what the provider
adapter will change, then enqueue (consent and budget are checked in the core).

``queue_shots(ctx, shot_ids, parent)`` opens :class:`QueueDialog` (non-blocking) and
returns it. Planning (compile, fit, consent check) and enqueueing run off the GUI thread.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from studio.providers.registry import describe
from studio.queue.enqueue import Plan, enqueue, plan
from ui.context import ProjectContext
from ui.tasks import run_task

log = logging.getLogger(__name__)


class QueueDialog(QDialog):
    #: emitted after enqueueing: (number queued, number blocked)
    queued = Signal(int, int)

    def __init__(self, ctx: ProjectContext, shot_ids: list[str], parent: QWidget | None = None,
                 provider: str | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.shot_ids = list(shot_ids)
        self.plan: Plan | None = None
        self._generation = 0
        n = len(self.shot_ids)
        self.setWindowTitle(self.tr("Queue %n shot(s) — Brief Studio", "", n))
        self.setMinimumWidth(560)

        self.provider_box = QComboBox(self)
        self.provider_box.setAccessibleName(self.tr("Provider"))
        # describe() asks the keyring which providers have a key, and a D-Bus Secret
        # Service can block: the list loads off the GUI thread, "checking…" meanwhile
        self._providers: list[dict[str, Any]] = []
        self._wanted_provider = provider or None
        self.provider_box.addItem(self.tr("Checking providers and keys…"), None)
        self.provider_box.setEnabled(False)
        self.model_box = QComboBox(self)
        self.model_box.setAccessibleName(self.tr("Model"))
        self.variants = QSpinBox(self)
        self.variants.setRange(0, 16)
        self.variants.setSpecialValueText(self.tr("as in the brief"))
        self.variants.setValue(0)
        self.variants.setAccessibleName(self.tr("Takes per shot"))
        self.summary = QTextBrowser(self)
        self.summary.setOpenLinks(False)
        self.summary.setMinimumHeight(220)
        self.summary.setAccessibleName(self.tr("Estimate and adapter changes per shot"))
        self.summary.setHtml(f"<i>{html.escape(self.tr('Checking providers and keys…'))}</i>")
        self.total = QLabel(self)
        self.total.setTextFormat(Qt.TextFormat.RichText)

        form = QFormLayout()
        form.addRow(self.tr("&Provider:"), self.provider_box)
        form.addRow(self.tr("&Model:"), self.model_box)
        form.addRow(self.tr("&Takes per shot:"), self.variants)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.ok = self.buttons.addButton(self.tr("&Queue"),
                                         QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setAccessibleName(self.tr("Queue the shots"))
        self.ok.setDefault(True)
        self.ok.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.summary, 1)
        layout.addWidget(self.total)
        layout.addWidget(self.buttons)

        self.provider_box.currentIndexChanged.connect(self._provider_changed)
        self.model_box.currentIndexChanged.connect(self.replan)
        self.variants.valueChanged.connect(self.replan)
        run_task(describe, self._providers_loaded)

    def _providers_loaded(self, result: list[dict[str, Any]] | None,
                          error: BaseException | None) -> None:
        if error is not None or not result:
            log.warning("could not list providers: %s", error)
            self.summary.setHtml("<p style='color:#c0392b'>%s</p>" % html.escape(
                self.tr("Could not list the providers: %1").replace(
                    "%1", str(error or self.tr("none found")))))
            return
        self._providers = result
        self.provider_box.blockSignals(True)
        self.provider_box.clear()
        for p in self._providers:
            label = p["name"] + ("" if p["available"] else "  " + self.tr("(no key)"))
            self.provider_box.addItem(label, p["id"])
        default = self._wanted_provider or _default_provider()
        idx = self.provider_box.findData(default)
        self.provider_box.setCurrentIndex(max(0, idx))
        self.provider_box.setEnabled(True)
        self.provider_box.blockSignals(False)
        self._provider_changed()

    def provider(self) -> str:
        return str(self.provider_box.currentData())

    def _info(self, provider_id: str) -> dict[str, Any] | None:
        return next((p for p in self._providers if p["id"] == provider_id), None)

    def _provider_changed(self, *_args: Any) -> None:  # noqa: ANN401
        info = self._info(self.provider())
        if info is None:  # still checking
            return
        self.model_box.blockSignals(True)
        self.model_box.clear()
        for m in info["models"]:
            self.model_box.addItem(self.tr("%1  ($%2/s)").replace("%1", m["id"]).replace(
                "%2", f"{m['price']:.2f}"), m["id"])
        self.model_box.setCurrentIndex(max(0, self.model_box.findData(info["default_model"])))
        self.model_box.blockSignals(False)
        self.replan()

    @Slot()
    def replan(self, *_args: Any) -> None:  # noqa: ANN401
        self._generation += 1
        generation = self._generation
        self.ok.setEnabled(False)
        self.summary.setHtml(f"<i>{html.escape(self.tr('Estimating…'))}</i>")
        root, project = self.ctx.root, self.ctx.project.model_copy(deep=True)
        shots, provider = self.shot_ids, self.provider()
        model = self.model_box.currentData()
        variants = self.variants.value() or None

        def work() -> Plan:
            return plan(root, project, shots, provider, variants=variants, model=model)

        run_task(work, lambda result, error: self._planned(generation, result, error))

    def _planned(self, generation: int, result: Plan | None, error: BaseException | None) -> None:
        if generation != self._generation:
            return  # a newer plan is on its way
        if error is not None or result is None:
            self.plan = None
            self.summary.setHtml(f"<p style='color:#c0392b'>{html.escape(str(error))}</p>")
            return
        self.plan = result
        self.summary.setHtml(render_plan(result))
        queued = [i for i in result.items if not i.blocked_reason]
        budget = ""
        if result.budget_usd is not None:
            left = result.budget_usd - result.spent_usd - result.total
            budget = " · " + self.tr("budget $%1, $%2 already committed, $%3 left "
                                     "after this").replace(
                "%1", f"{result.budget_usd:.2f}").replace(
                "%2", f"{result.spent_usd:.2f}").replace("%3", f"{max(0.0, left):.2f}")
        self.total.setText("<b>" + self.tr("%n job(s), estimated $%1", "", len(queued)).replace(
            "%1", f"{result.total:.2f}") + "</b>" + budget)
        info = self._info(result.provider)
        self.ok.setEnabled(bool(queued))
        if info is not None and not info["available"]:
            self.total.setText(self.total.text() + "<br><span style='color:#b9770e'>"
                               + html.escape(self.tr("No key for %1: jobs will fail until you "
                                                     "add one in Settings.").replace(
                                                         "%1", info["name"])) + "</span>")

    def accept(self) -> None:
        if self.plan is None:
            return
        the_plan, root, bus = self.plan, self.ctx.root, self.ctx.bus
        self.ok.setEnabled(False)

        def work() -> tuple[int, int]:
            jobs = enqueue(root, the_plan, bus)
            blocked = sum(1 for j in jobs if j.status != "queued")
            return len(jobs) - blocked, blocked

        run_task(work, self._enqueued)

    def _enqueued(self, result: tuple[int, int] | None, error: BaseException | None) -> None:
        if error is not None or result is None:
            self.summary.setHtml("<p style='color:#c0392b'>%s</p>" % html.escape(
                self.tr("Could not queue: %1").replace("%1", str(error))))
            self.ok.setEnabled(True)
            return
        from ui.queue_bridge import bridge_for

        bridge_for(self.ctx).wake()
        self.queued.emit(*result)
        parent = self.parent()
        if parent is not None and hasattr(parent, "show_status"):
            n, blocked = result
            text = self.tr("Queued %n job(s)", "", n)
            if blocked:
                text += "; " + self.tr("%n blocked", "", blocked)
            parent.show_status(text)
        super().accept()


def _tr(text: str) -> str:
    return QCoreApplication.translate("QueueDialog", text)


def render_plan(p: Plan) -> str:
    rows = []
    for item in p.items:
        shot = html.escape(item.shot_id) + (
            " " + _tr("v%1").replace("%1", str(item.variant)) if item.variant > 1 else "")
        if item.blocked_reason:
            note = "<span style='color:#c0392b'>%s</span>" % html.escape(
                _tr("blocked — %1").replace("%1", item.blocked_reason))
            cost = "—"
        else:
            note = "<br>".join(html.escape(c) for c in item.fit.changes) or _tr("as briefed")
            cost = f"${item.cost:.2f}"
        dur = _tr("%1s").replace("%1", f"{item.fit.duration:g}")
        rows.append(f"<tr><td><b>{shot}</b></td><td>{dur}</td><td>{html.escape(item.fit.params['size'])}"
                    f"</td><td align='right'>{cost}</td><td>{note}</td></tr>")
    head = "".join(f"<th align='{align}'>{html.escape(_tr(label))}</th>" for label, align in (
        (QT_TRANSLATE_NOOP("QueueDialog", "Shot"), "left"),
        (QT_TRANSLATE_NOOP("QueueDialog", "Length"), "left"),
        (QT_TRANSLATE_NOOP("QueueDialog", "Size"), "left"),
        (QT_TRANSLATE_NOOP("QueueDialog", "Est."), "right"),
        (QT_TRANSLATE_NOOP("QueueDialog", "Adapter changes"), "left")))
    return ("<table cellspacing='0' cellpadding='4' width='100%'>"
            f"<tr>{head}</tr>" + "".join(rows) + "</table>")


def _default_provider() -> str:
    try:
        from studio.settings import load_settings

        return load_settings().default_provider
    except Exception:  # noqa: BLE001 - a broken settings file falls back to previz
        return "previz"


def queue_shots(ctx: ProjectContext, shot_ids: list[str], parent: QWidget | None = None) -> QueueDialog:
    """Confirm and queue ``shot_ids``; returns the (already shown) dialog."""
    dialog = QueueDialog(ctx, shot_ids, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
