"""Settings → Providers: API keys (into the OS keyring only), base URL, concurrency, prices.

Keys are written straight to the keyring and never to settings.yaml; the dialog shows only
where a key comes from (keyring / environment / missing), never the key. Saving the other
fields writes settings.yaml atomically, off the GUI thread.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from studio.errors import StudioError
from studio.keys import env_var_names, key_source, set_key
from studio.providers.base import ProviderCaps
from studio.providers.registry import _load_table, table_path
from studio.settings import ProviderSettings, Settings, load_settings, save_settings
from ui.tasks import alive, run_task

log = logging.getLogger(__name__)


class ProviderTab(QWidget):
    """One provider's settings. Where the key comes from is read, and a new key stored,
    off the GUI thread: a D-Bus Secret Service can take seconds to answer."""

    #: the key state was read or a store finished (tests and the dialog wait on it)
    keyStateChanged = Signal(str)

    def __init__(self, caps: ProviderCaps, current: ProviderSettings, parent: QWidget | None = None):
        super().__init__(parent)
        self.caps = caps
        self.key_source: str | None = None
        self.checking = False
        self._generation = 0
        form = QFormLayout(self)
        if caps.local:
            form.addRow(QLabel(self.tr("Runs on this computer: no key, no network, no cost."),
                               self))
            self.key_edit = None
            self.key_state = None
            self.base_url = None
        else:
            self.key_state = QLabel(self)
            self.key_state.setObjectName(f"keyState_{caps.id}")
            self.key_state.setAccessibleName(self.tr("Where the %1 key comes from").replace("%1", str(caps.name)))
            self.key_edit = QLineEdit(self)
            self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
            self.key_edit.setPlaceholderText(self.tr("paste a new key (stored in the OS keyring)"))
            self.key_edit.setAccessibleName(self.tr("New API key for %1").replace("%1", str(caps.name)))
            self.store_button = QPushButton(self.tr("Store in &keyring"), self)
            self.store_button.setAccessibleName(self.tr("Store the %1 key in the keyring").replace("%1", str(caps.name)))
            self.store_button.clicked.connect(self.store_key)
            self.key_edit.returnPressed.connect(self.store_key)
            row = QHBoxLayout()
            row.addWidget(self.key_edit, 1)
            row.addWidget(self.store_button)
            form.addRow(self.tr("API key:"), self.key_state)
            form.addRow("", row)
            self.base_url = QLineEdit(current.base_url or "", self)
            self.base_url.setPlaceholderText(caps.default_base_url or "")
            self.base_url.setToolTip(self.tr("Overridden by %1").replace("%1", str(f"STUDIO_{caps.id.upper()}_BASE_URL")))
            self.base_url.setAccessibleName(self.tr("Base URL for %1").replace("%1", str(caps.name)))
            form.addRow(self.tr("Base &URL:"), self.base_url)
        self.concurrency = QSpinBox(self)
        self.concurrency.setRange(1, 64)
        self.concurrency.setValue(current.concurrency or caps.concurrency)
        self.concurrency.setToolTip(self.tr("Jobs of this provider that may run at once"))
        self.concurrency.setAccessibleName(self.tr("Concurrent jobs for %1").replace("%1", str(caps.name)))
        form.addRow(self.tr("&Concurrent jobs:"), self.concurrency)
        self.prices: dict[str, QDoubleSpinBox] = {}
        for model in caps.models.values():
            spin = QDoubleSpinBox(self)
            spin.setDecimals(3)
            spin.setRange(0, 100)
            spin.setSingleStep(0.01)
            spin.setPrefix("$")
            spin.setSuffix(self.tr(" / s"))
            spin.setValue(current.prices.get(model.id, model.price_per_second))
            spin.setToolTip(self.tr("Published: $%1/s").replace("%1", f"{model.price_per_second:.3f}"))
            spin.setAccessibleName(self.tr("Price per second for %1").replace("%1", str(model.id)))
            self.prices[model.id] = spin
            form.addRow(self.tr("Price %1:").replace("%1", str(model.id)), spin)
        self.refresh_key_state()

    def _set_checking(self, text: str) -> None:
        assert self.key_state is not None and self.key_edit is not None
        self.checking = True
        self._generation += 1
        self.key_state.setText(f"<i>{html.escape(text)}</i>")

    def refresh_key_state(self) -> None:
        """Ask the keyring where the key comes from, off the GUI thread."""
        if self.key_state is None:
            return
        self._set_checking(self.tr("checking…"))
        pid, generation = self.caps.id, self._generation
        run_task(lambda: key_source(pid),
                 lambda source, error: self._key_state_read(generation, source, error))

    def _key_state_read(self, generation: int, source: str | None,
                        error: BaseException | None) -> None:
        if not alive(self) or generation != self._generation:
            return  # the tab is gone, or a newer read or store is on its way
        assert self.key_state is not None
        self.checking = False
        envs = " or ".join(env_var_names(self.caps.id))
        if error is not None:
            log.warning("key state for %s: %s", self.caps.id, type(error).__name__)
            self.key_source = None
            self.key_state.setText("<span style='color:#c0392b'>%s</span>" % html.escape(
                self.tr("the keyring could not be asked (%1)").replace("%1", str(type(error).__name__))))
        else:
            self.key_source = source
            if source == "keyring":
                text = html.escape(self.tr("stored in the OS keyring"))
            elif source == "env":
                text = html.escape(self.tr("from the environment (%1)").replace("%1", str(envs)))
            else:
                text = "<span style='color:#c0392b'>%s</span> — %s" % (
                    html.escape(self.tr("missing")),
                    html.escape(self.tr("store one here or set %1").replace("%1", str(envs))))
            self.key_state.setText(text)
        self.keyStateChanged.emit(self.key_source or "missing")

    @Slot()
    def store_key(self) -> None:
        """Store the pasted key in the keyring (off the GUI thread); the field is cleared
        at once so the key does not linger in the widget."""
        assert self.key_edit is not None
        key = self.key_edit.text()
        self.key_edit.clear()
        if not key.strip():
            return
        self._set_checking(self.tr("storing…"))
        pid = self.caps.id

        def done(_r: Any, error: BaseException | None) -> None:  # noqa: ANN401
            if not alive(self):
                return
            if error is not None:
                text = str(error) if isinstance(error, StudioError) else type(error).__name__
                QMessageBox.warning(self, self.tr("Key not stored — Brief Studio"), text)
            self.refresh_key_state()

        run_task(lambda: set_key(pid, key), done)

    def values(self) -> ProviderSettings:
        prices = {m: round(s.value(), 4) for m, s in self.prices.items()
                  if abs(s.value() - self.caps.models[m].price_per_second) > 1e-9}
        concurrency = self.concurrency.value()
        return ProviderSettings(
            base_url=(self.base_url.text().strip() or None) if self.base_url else None,
            concurrency=None if concurrency == self.caps.concurrency else concurrency,
            prices=prices)


class SettingsDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, settings: Settings | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Settings — Brief Studio"))
        self.setMinimumWidth(520)
        try:
            self.settings = settings or load_settings()
            problem = None
        except StudioError as exc:
            self.settings = Settings()
            problem = str(exc)
        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName(self.tr("Providers"))
        self.provider_tabs: dict[str, ProviderTab] = {}
        for pid, caps in _load_table(str(table_path())).items():
            try:
                tab = ProviderTab(caps, self.settings.provider(pid), self)
            except StudioError as exc:  # e.g. the keyring cannot be asked
                log.warning("provider tab %s: %s", pid, exc)
                continue
            self.provider_tabs[pid] = tab
            self.tabs.addTab(tab, caps.name)
        self.error = QLabel(problem or "", self)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c0392b")
        self.error.setVisible(bool(problem))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.button(QDialogButtonBox.StandardButton.Save).setAccessibleName(
            self.tr("Save settings"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setAccessibleName(
            self.tr("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        note = QLabel(self.tr("Keys go to the OS keyring only, never into settings or project "
                              "files."), self)
        note.setStyleSheet("color: palette(mid)")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>%s</b>" % html.escape(self.tr("Generation providers")),
                                self))
        layout.addWidget(self.tabs, 1)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(buttons, 0, Qt.AlignmentFlag.AlignRight)

    def collect(self) -> Settings:
        """The settings as edited (raises a pydantic error for a bad base URL)."""
        providers = dict(self.settings.providers)
        for pid, tab in self.provider_tabs.items():
            values = tab.values()
            old = providers.get(pid)
            values.default_model = old.default_model if old else None
            providers[pid] = values
        return self.settings.model_copy(update={"providers": providers})

    def accept(self) -> None:
        from pydantic import ValidationError

        try:
            new = Settings.model_validate(self.collect().model_dump())
        except ValidationError as exc:
            lines = [str(e.get("msg", "")).removeprefix("Value error, ") for e in exc.errors()]
            self.error.setText(self.tr("Not saved: %1").replace("%1", str("; ".join(lines))))
            self.error.setVisible(True)
            return

        def done(_r: Any, error: BaseException | None) -> None:  # noqa: ANN401
            if error is not None:
                self.error.setText(self.tr("Not saved: %1").replace("%1", str(error)))
                self.error.setVisible(True)
                return
            self.settings = new
            super(SettingsDialog, self).accept()

        run_task(lambda: save_settings(new), done)

