"""Settings → Providers: API keys (into the OS keyring only), base URL, concurrency, prices.

Keys are written straight to the keyring and never to settings.yaml; the dialog shows only
where a key comes from (keyring / environment / missing), never the key. Saving the other
fields writes settings.yaml atomically, off the GUI thread.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, Slot
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
from ui.tasks import run_task

log = logging.getLogger(__name__)


class ProviderTab(QWidget):
    def __init__(self, caps: ProviderCaps, current: ProviderSettings, parent: QWidget | None = None):
        super().__init__(parent)
        self.caps = caps
        form = QFormLayout(self)
        if caps.local:
            form.addRow(QLabel("Runs on this computer: no key, no network, no cost.", self))
            self.key_edit = None
            self.key_state = None
            self.base_url = None
        else:
            self.key_state = QLabel(self)
            self.key_state.setObjectName(f"keyState_{caps.id}")
            self.key_edit = QLineEdit(self)
            self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
            self.key_edit.setPlaceholderText("paste a new key (stored in the OS keyring)")
            self.store_button = QPushButton("Store in &keyring", self)
            self.store_button.clicked.connect(self.store_key)
            row = QHBoxLayout()
            row.addWidget(self.key_edit, 1)
            row.addWidget(self.store_button)
            form.addRow("API key:", self.key_state)
            form.addRow("", row)
            self.base_url = QLineEdit(current.base_url or "", self)
            self.base_url.setPlaceholderText(caps.default_base_url or "")
            self.base_url.setToolTip(f"Overridden by STUDIO_{caps.id.upper()}_BASE_URL")
            form.addRow("Base &URL:", self.base_url)
        self.concurrency = QSpinBox(self)
        self.concurrency.setRange(1, 64)
        self.concurrency.setValue(current.concurrency or caps.concurrency)
        self.concurrency.setToolTip("Jobs of this provider that may run at once")
        form.addRow("&Concurrent jobs:", self.concurrency)
        self.prices: dict[str, QDoubleSpinBox] = {}
        for model in caps.models.values():
            spin = QDoubleSpinBox(self)
            spin.setDecimals(3)
            spin.setRange(0, 100)
            spin.setSingleStep(0.01)
            spin.setPrefix("$")
            spin.setSuffix(" / s")
            spin.setValue(current.prices.get(model.id, model.price_per_second))
            spin.setToolTip(f"Published: ${model.price_per_second:.3f}/s")
            self.prices[model.id] = spin
            form.addRow(f"Price {model.id}:", spin)
        self.refresh_key_state()

    def refresh_key_state(self) -> None:
        if self.key_state is None:
            return
        source = key_source(self.caps.id)
        envs = " or ".join(env_var_names(self.caps.id))
        text = {"keyring": "stored in the OS keyring",
                "env": f"from the environment ({envs})"}.get(
            source or "", f"<span style='color:#c0392b'>missing</span> — store one here or set {envs}")
        self.key_state.setText(text)

    @Slot()
    def store_key(self) -> None:
        assert self.key_edit is not None
        key = self.key_edit.text()
        try:
            set_key(self.caps.id, key)
        except StudioError as exc:
            QMessageBox.warning(self, "Key not stored — Brief Studio", str(exc))
            return
        finally:
            self.key_edit.clear()
        self.refresh_key_state()

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
        self.setWindowTitle("Settings — Brief Studio")
        self.setMinimumWidth(520)
        try:
            self.settings = settings or load_settings()
            problem = None
        except StudioError as exc:
            self.settings = Settings()
            problem = str(exc)
        self.tabs = QTabWidget(self)
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
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        note = QLabel("Keys go to the OS keyring only, never into settings or project files.",
                      self)
        note.setStyleSheet("color: palette(mid)")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Generation providers</b>", self))
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
            self.error.setText("Not saved: " + "; ".join(lines))
            self.error.setVisible(True)
            return

        def done(_r: Any, error: BaseException | None) -> None:  # noqa: ANN401
            if error is not None:
                self.error.setText(f"Not saved: {error}")
                self.error.setVisible(True)
                return
            self.settings = new
            super(SettingsDialog, self).accept()

        run_task(lambda: save_settings(new), done)
