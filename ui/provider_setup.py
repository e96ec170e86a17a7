"""First-run provider setup: a key per remote provider (into the OS keyring only), a
"Test connection" button per provider, and "Use previz only" as a full answer.

:class:`ProviderSetupWidget` is shown on the start screen (inline on first run) and in
:class:`ProviderSetupDialog`. Keys go through :func:`studio.keys.set_key`, which refuses to
store anything when no secure keyring exists (the widget then says so and how to fix it);
nothing is ever written to a file. The key field is cleared as soon as the key is stored.

:func:`check_connection` makes one cheap authenticated GET (a list or account call) off the
GUI thread and reports the result without the key, the response body, or any header.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx
from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.errors import StudioError
from studio.keys import FIX_HINT, env_var_names, get_key, key_source, keyring_usable, set_key
from studio.providers.base import ProviderCaps
from ui.tasks import alive, run_task

log = logging.getLogger(__name__)

CHECK_TIMEOUT_S = 15.0
SHORT_FIX_HINT = QT_TRANSLATE_NOOP(
    "ProviderSetupWidget",
    "No secure keyring found, so keys cannot be saved here (never in a plain file). Unlock "
    "your desktop's keyring (GNOME Keyring, KWallet) or set the provider's environment "
    "variable, e.g. OPENAI_API_KEY.")
# studio.keys.FIX_HINT (shared with the CLI) for lupdate; tests/ui/test_i18n.py keeps them equal
_FIX_HINT_TEXT = QT_TRANSLATE_NOOP(
    "ProviderSetupWidget",
    "No usable keyring backend: Brief Studio stores API keys only in the OS keyring and "
    "never in a plaintext file. Start or unlock your desktop's secret service "
    "(GNOME Keyring / KWallet via Secret Service, macOS Keychain, Windows Credential Locker), "
    "or on a headless machine set the provider's environment variable instead "
    "(e.g. OPENAI_API_KEY).")


@dataclass(frozen=True)
class Check:
    """A cheap authenticated GET that proves a key works (path relative to the base URL)."""

    path: str
    params: dict[str, str]
    header: str  # "bearer" | "x-goog-api-key"
    extra: tuple[tuple[str, str], ...] = ()


CHECKS: dict[str, Check] = {
    "openai": Check("/videos", {"limit": "1"}, "bearer"),
    "luma": Check("/generations", {"limit": "1"}, "bearer"),
    "veo": Check("/v1beta/models", {"pageSize": "1"}, "x-goog-api-key"),
    "runway": Check("/v1/organization", {}, "bearer", (("X-Runway-Version", "2024-11-06"),)),
    # fal.ai has no list or account call for queue keys: checked on the first job
}


@dataclass(frozen=True)
class ConnectionResult:
    ok: bool | None  # None: not checked (no cheap call, or no key)
    message: str


def providers() -> list[ProviderCaps]:
    """Ids, names and locality of every provider (resources/providers.yaml, cached)."""
    from studio.providers.registry import _load_table, table_path

    return list(_load_table(str(table_path())).values())


def _tr(text: str) -> str:
    return QCoreApplication.translate("ProviderSetupWidget", text)


def check_connection(provider_id: str, *, timeout: float = CHECK_TIMEOUT_S) -> ConnectionResult:
    """Try the provider's key with one GET. Blocking: call it off the GUI thread."""
    from studio.providers.registry import base_url, get_caps

    caps = get_caps(provider_id)
    if caps.local:
        return ConnectionResult(True, _tr("Runs on this computer: ready, no key and no network."))
    key = get_key(provider_id)
    if not key:
        names = _tr(" or ").join(env_var_names(provider_id))
        return ConnectionResult(None, _tr("No key yet: paste one above or set %1.").replace(
            "%1", names))
    check = CHECKS.get(provider_id)
    if check is None:
        return ConnectionResult(None, _tr("Key saved; it will be checked on the first job."))
    try:
        url = base_url(provider_id) + check.path
    except StudioError as exc:
        return ConnectionResult(False, str(exc))
    headers = dict(check.extra)
    if check.header == "bearer":
        headers["Authorization"] = f"Bearer {key}"
    else:
        headers["x-goog-api-key"] = key
    host = httpx.URL(url).host or url
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            response = client.get(url, params=check.params, headers=headers)
    except httpx.TimeoutException:
        return ConnectionResult(False, _tr("No answer from %1 within %2 s.").replace(
            "%1", host).replace("%2", f"{timeout:g}"))
    except httpx.HTTPError as exc:
        # httpx messages carry neither headers nor the key
        return ConnectionResult(False, _tr("Could not reach %1: %2.").replace(
            "%1", host).replace("%2", type(exc).__name__))
    status = response.status_code
    if 200 <= status < 300:
        return ConnectionResult(True, _tr("Connected to %1: the key works.").replace("%1", host))
    if status in (401, 403):
        return ConnectionResult(False, _tr(
            "%1 refused the key (HTTP %2). Paste the key again, or check that it has access "
            "to video generation.").replace("%1", host).replace("%2", str(status)))
    if status == 429:
        return ConnectionResult(True, _tr(
            "%1 accepted the key but is rate limiting (HTTP 429).").replace("%1", host))
    if status == 404:
        return ConnectionResult(None, _tr(
            "%1 answered HTTP 404 for the check; the key will be checked on the first job.")
            .replace("%1", host))
    return ConnectionResult(False, _tr("%1 answered HTTP %2; try again later.").replace(
        "%1", host).replace("%2", str(status)))


def key_state_text(caps: ProviderCaps) -> tuple[str, str]:
    """(text, state) for a provider's key: state is ready | missing | env."""
    if caps.local:
        return QCoreApplication.translate("ProviderSetupWidget", "ready · offline"), "ready"
    source = key_source(caps.id)
    if source == "keyring":
        return QCoreApplication.translate("ProviderSetupWidget", "key in keyring"), "ready"
    if source == "env":
        return (QCoreApplication.translate("ProviderSetupWidget", "key from %1")
                .replace("%1", env_var_names(caps.id)[0]), "env")
    return QCoreApplication.translate("ProviderSetupWidget", "no key"), "missing"


class ProviderSetupWidget(QFrame):
    """One row per provider: key state, a key field, Save key, Test connection, result."""

    #: the user chose: "previz" (previz only) or "keys" (stored a key)
    choiceMade = Signal(str)
    #: a connection test finished: (provider id, ok or None, message)
    tested = Signal(str, object, str)
    #: the keyring check answered: is a secure keyring usable?
    keysChecked = Signal(bool)
    #: a key store finished: (provider id, stored)
    keyStored = Signal(str, bool)

    def __init__(self, parent: QWidget | None = None, *, compact: bool = False):
        super().__init__(parent)
        self.setObjectName("providerSetup")
        self.compact = compact
        self.caps = providers()
        self.state_labels: dict[str, QLabel] = {}
        self.key_edits: dict[str, QLineEdit] = {}
        self.save_buttons: dict[str, QPushButton] = {}
        self.test_buttons: dict[str, QPushButton] = {}
        self.results: dict[str, QLabel] = {}
        #: is a secure keyring usable? None until the first check (off the GUI thread) answers
        self.secure: bool | None = None
        self._generation = 0  # of the newest refresh(): older answers are stale
        self.states: dict[str, tuple[str, str]] = {}

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(8)
        self.keyring_warning = QLabel(self.tr(SHORT_FIX_HINT) if compact else self.tr(FIX_HINT))
        self.keyring_warning.setToolTip(self.tr(FIX_HINT))
        self.keyring_warning.setObjectName("keyringWarning")
        self.keyring_warning.setWordWrap(True)
        self.keyring_warning.setVisible(False)
        outer.addWidget(self.keyring_warning)

        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(4 if compact else 8)
        outer.addLayout(grid)
        for row, caps in enumerate(self.caps):
            name = QLabel(caps.name.split(" (")[0])
            name.setObjectName("providerName")
            name.setToolTip(caps.name)
            state = QLabel(self.tr("checking…"))
            state.setObjectName("keyState")
            state.setAccessibleName(self.tr("Key state for %1").replace("%1", str(caps.name)))
            self.state_labels[caps.id] = state
            grid.addWidget(name, row, 0)
            grid.addWidget(state, row, 1)
            if caps.local:
                self.previz_only = QPushButton(self.tr("Use previz only"))
                self.previz_only.setObjectName("previzOnlyButton")
                self.previz_only.setToolTip(self.tr(
                    "Generate offline animatics only (free, no key); add keys any time in "
                    "Settings (Ctrl+,)"))
                self.previz_only.setAccessibleName(self.tr("Use previz only"))
                self.previz_only.clicked.connect(self.use_previz_only)
                grid.addWidget(self.previz_only, row, 2, 1, 2)
            else:
                edit = QLineEdit()
                edit.setEchoMode(QLineEdit.EchoMode.Password)
                edit.setPlaceholderText(self.tr("paste API key"))
                edit.setMinimumWidth(120)
                edit.setAccessibleName(self.tr("API key for %1").replace("%1", str(caps.name)))
                edit.setEnabled(False)  # until the keyring check says keys can be stored
                edit.returnPressed.connect(lambda pid=caps.id: self.store_key(pid))
                save = QPushButton(self.tr("Save"))
                save.setToolTip(self.tr("Store the key in the OS keyring"))
                save.setAccessibleName(self.tr("Save the %1 key in the keyring").replace("%1", str(caps.name)))
                save.setEnabled(False)
                save.clicked.connect(lambda _c=False, pid=caps.id: self.store_key(pid))
                self.key_edits[caps.id] = edit
                self.save_buttons[caps.id] = save
                grid.addWidget(edit, row, 2)
                grid.addWidget(save, row, 3)
            test = QPushButton(self.tr("Test"))
            test.setToolTip(self.tr("Test the connection to %1").replace("%1", str(caps.name)))
            test.setAccessibleName(self.tr("Test connection to %1").replace("%1", str(caps.name)))
            test.clicked.connect(lambda _c=False, pid=caps.id: self.test_connection(pid))
            self.test_buttons[caps.id] = test
            grid.addWidget(test, row, 4)
            result = QLabel()
            result.setObjectName("testResult")
            result.setWordWrap(True)
            result.setVisible(False)
            self.results[caps.id] = result
            if compact:
                result.setMaximumHeight(0)  # compact: results go to the shared line below
            grid.addWidget(result, row, 5)
        grid.setColumnStretch(2, 1)
        grid.setColumnStretch(5, 1 if not compact else 0)
        self.last_result = QLabel()
        self.last_result.setObjectName("testResult")
        self.last_result.setWordWrap(True)
        self.last_result.setVisible(compact)
        outer.addWidget(self.last_result)

        if not compact:
            note = QLabel(self.tr("Keys are stored in the OS keyring only, never in a file."))
            note.setObjectName("providerNote")
            note.setWordWrap(True)
            outer.addWidget(note)
        self.refresh()

    def refresh(self) -> None:
        """Re-check the keyring and where each key comes from. The keyring (a D-Bus Secret
        Service) may block for seconds, so this runs off the GUI thread. Reads can finish out
        of order (one started before a key was stored may answer after the one the store
        started): only the newest refresh's answer is shown."""
        caps_list = list(self.caps)
        self._generation += 1
        generation = self._generation

        def work() -> tuple[bool, dict[str, tuple[str, str]]]:
            return keyring_usable(), {caps.id: key_state_text(caps) for caps in caps_list}

        def done(result: tuple[bool, dict[str, tuple[str, str]]] | None,
                 error: BaseException | None) -> None:
            if not alive(self) or generation != self._generation:
                return  # the widget is gone, or a newer refresh is on its way
            if error is not None or result is None:
                log.warning("could not read key states: %s", type(error).__name__)
                self._set_secure(False)
                return
            secure, states = result
            self._set_secure(secure)
            self._apply_states(states)

        run_task(work, done)

    def _set_secure(self, secure: bool) -> None:
        self.secure = secure
        self.keyring_warning.setVisible(not secure)
        for widget in (*self.key_edits.values(), *self.save_buttons.values()):
            widget.setEnabled(secure)
        self.keysChecked.emit(secure)

    def _apply_states(self, states: dict[str, tuple[str, str]]) -> None:
        self.states = states
        for caps in self.caps:
            text, state = states[caps.id]
            label = self.state_labels[caps.id]
            label.setText(text)  # translated by key_state_text
            label.setProperty("state", state)
            label.style().unpolish(label)
            label.style().polish(label)

    def _show_result(self, provider_id: str, ok: bool | None, message: str) -> None:
        label = self.results[provider_id]
        state = "ok" if ok else "unknown" if ok is None else "failed"
        for target in (label, self.last_result):
            target.setText(message if target is label
                           else self.tr("%1: %2").replace("%1", self._name(provider_id))
                           .replace("%2", message))
            target.setProperty("state", state)
            target.style().unpolish(target)
            target.style().polish(target)
        label.setVisible(not self.compact)
        self.last_result.setVisible(True)

    def _name(self, provider_id: str) -> str:
        return next((c.name.split(" (")[0] for c in self.caps if c.id == provider_id),
                    provider_id)

    @Slot()
    def store_key(self, provider_id: str) -> bool:
        """Store the pasted key in the keyring, off the GUI thread (``keyStored`` reports
        the outcome). False when it cannot even start: no key, or no secure keyring."""
        edit = self.key_edits[provider_id]
        key = edit.text()
        edit.clear()  # never keep the key in the widget longer than needed
        if self.secure is False:
            self._show_result(provider_id, False, self.tr(FIX_HINT))
            self.keyring_warning.setVisible(True)
            return False
        if not key.strip():
            self._show_result(provider_id, False, self.tr("Paste a key first."))
            return False
        self._show_result(provider_id, None, self.tr("Saving the key in the keyring…"))

        def done(_r: Any, error: BaseException | None) -> None:  # noqa: ANN401
            if not alive(self):
                return
            if error is not None:
                text = str(error) if isinstance(error, StudioError) else self.tr(
                    "The keyring failed: %1").replace("%1", str(type(error).__name__))
                self._show_result(provider_id, False, text)
                self.refresh()  # re-checks the keyring: shows the warning if it is gone
                self.keyStored.emit(provider_id, False)
                return
            self.refresh()
            self._show_result(provider_id, None, self.tr(
                "Key saved in the keyring. Test it, or it will be checked on the first job."))
            self.choiceMade.emit("keys")
            self.keyStored.emit(provider_id, True)

        run_task(lambda: set_key(provider_id, key), done)
        return True

    @Slot()
    def test_connection(self, provider_id: str) -> None:
        button = self.test_buttons[provider_id]
        button.setEnabled(False)
        self._show_result(provider_id, None, self.tr("Testing…"))

        def done(result: ConnectionResult | None, error: BaseException | None) -> None:
            if not alive(button):
                return
            button.setEnabled(True)
            if error is not None or result is None:
                log.warning("connection test for %s failed: %s", provider_id,
                            type(error).__name__)
                result = ConnectionResult(False, str(error) if isinstance(error, StudioError)
                                          else self.tr("The test failed: %1").replace(
                                              "%1", type(error).__name__))
            self._show_result(provider_id, result.ok, result.message)
            self.tested.emit(provider_id, result.ok, result.message)

        run_task(lambda: check_connection(provider_id), done)

    @Slot()
    def use_previz_only(self) -> None:
        """Make previz the default provider (studio settings, off the GUI thread)."""
        from studio.settings import load_settings, save_settings

        def work() -> None:
            try:
                settings = load_settings()
            except StudioError as exc:
                raise StudioError(f"settings not changed: {exc}") from None
            if settings.default_provider != "previz":
                save_settings(settings.model_copy(update={"default_provider": "previz"}))

        def done(_r: Any, error: BaseException | None) -> None:  # noqa: ANN401
            if error is not None:
                self._show_result("previz", False, str(error))
                return
            if alive(self.previz_only):
                self._show_result("previz", True, self.tr(
                    "Previz only: shots render as offline animatics. Add keys any time in "
                    "Settings (Ctrl+,)."))
            self.choiceMade.emit("previz")

        run_task(work, done)



class ProviderSetupDialog(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Set up providers — Brief Studio"))
        self.setMinimumWidth(760)
        self.setup = ProviderSetupWidget(self)
        intro = QLabel(self.tr(
            "<b>Where should your shots be generated?</b><br>Previz renders an animatic of "
            "each shot on this computer, free and offline. For AI video, paste a key for the "
            "providers you use; <i>Test</i> makes one small authenticated request."))
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.RichText)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        lay = QVBoxLayout(self)
        lay.addWidget(intro)
        lay.addWidget(self.setup, 1)
        lay.addWidget(buttons)
