"""Take preview (QMediaPlayer + QVideoWidget) and the A/B compare view.

Transport: play/pause (Space), loop, scrub slider, frame step (, and .), mute. The compare
view drives two players from one transport and keeps B within a frame or two of A.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QColor, QKeySequence, QPalette, QPixmap, QShortcut
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
from PySide6.QtMultimediaWidgets import QVideoWidget
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

log = logging.getLogger(__name__)

SYNC_TOLERANCE_MS = 80


def _fmt(ms: int) -> str:
    s = max(0, ms) / 1000
    return f"{int(s // 60)}:{s % 60:05.2f}"


class Transport(QWidget):
    """Buttons and slider; emits intents, shows a position."""

    playToggled = Signal()
    stepped = Signal(int)  # -1 / +1 frames
    scrubbed = Signal(int)
    loopChanged = Signal(bool)
    muteChanged = Signal(bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(2)
        row = QHBoxLayout()
        # glyph-only buttons: a screen reader reads the accessible name, the tooltip names
        # the shortcut
        self.play = QToolButton(text="▶")
        self.play.setAccessibleName(self.tr("Play"))
        self.play.setToolTip(self.tr("Play / pause (Space)"))
        self.back = QToolButton(text="⟨")
        self.back.setAccessibleName(self.tr("Previous frame"))
        self.back.setToolTip(self.tr("Previous frame (,)"))
        self.fwd = QToolButton(text="⟩")
        self.fwd.setAccessibleName(self.tr("Next frame"))
        self.fwd.setToolTip(self.tr("Next frame (.)"))
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setAccessibleName(self.tr("Playback position"))
        self.slider.setToolTip(self.tr("Scrub"))
        self.time = QLabel("0:00.00 / 0:00.00")
        self.loop = QCheckBox(self.tr("Loop"))
        self.loop.setChecked(True)
        self.mute = QCheckBox(self.tr("Mute"))
        # the scrub bar gets a row of its own: a narrow side panel still scrubs precisely
        outer.addWidget(self.slider)
        for w in (self.back, self.play, self.fwd, self.time):
            row.addWidget(w)
        row.addStretch(1)
        for w in (self.loop, self.mute):
            row.addWidget(w)
        outer.addLayout(row)
        self.play.clicked.connect(self.playToggled)
        self.back.clicked.connect(lambda: self.stepped.emit(-1))
        self.fwd.clicked.connect(lambda: self.stepped.emit(1))
        self.slider.sliderMoved.connect(self.scrubbed)
        self.loop.toggled.connect(self.loopChanged)
        self.mute.toggled.connect(self.muteChanged)

    def show_position(self, pos: int, duration: int) -> None:
        if not self.slider.isSliderDown():
            self.slider.setRange(0, max(0, duration))
            self.slider.setValue(pos)
        self.time.setText(f"{_fmt(pos)} / {_fmt(duration)}")

    def show_playing(self, playing: bool) -> None:
        self.play.setText("❚❚" if playing else "▶")
        self.play.setAccessibleName(self.tr("Pause") if playing else self.tr("Play"))


class Player:
    """A QMediaPlayer with its video surface and audio output; frame-accurate stepping."""

    def __init__(self, owner: QWidget, video: QVideoWidget | None = None):
        self.video = video or QVideoWidget(owner)
        self.video.setMinimumSize(160, 90)
        self.video.setAutoFillBackground(True)
        pal = self.video.palette()
        pal.setColor(QPalette.ColorRole.Window, QColor("#101214"))
        self.video.setPalette(pal)
        self.audio = QAudioOutput(owner)
        self.media = QMediaPlayer(owner)
        self.media.setAudioOutput(self.audio)
        self.media.setVideoOutput(self.video)
        self.media.setLoops(QMediaPlayer.Loops.Infinite)
        self.fps = 24.0

    def load(self, path: Path | None, fps: float | None = None) -> None:
        self.media.stop()
        self.fps = fps or 24.0
        self.media.setSource(QUrl.fromLocalFile(str(path)) if path else QUrl())

    def toggle(self) -> None:
        if self.media.playbackState() == QMediaPlayer.PlaybackState.PlayingState:
            self.media.pause()
        else:
            self.media.play()

    def step(self, frames: int) -> None:
        self.media.pause()
        frame_ms = 1000.0 / max(1.0, self.fps)
        target = self.media.position() + round(frames * frame_ms)
        self.media.setPosition(max(0, min(self.media.duration() or target, target)))

    def set_loop(self, loop: bool) -> None:
        self.media.setLoops(QMediaPlayer.Loops.Infinite if loop else QMediaPlayer.Loops.Once)

    def stop(self) -> None:
        self.media.stop()
        self.media.setSource(QUrl())


class Poster(QLabel):
    """The take's thumbnail, scaled to fit, shown until the video plays or is scrubbed
    (a freshly loaded player has no frame to show: the pane would be black)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._pixmap = QPixmap()
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(160, 90)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setStyleSheet("background: #101214; color: #9aa0aa;")

    def set_image(self, path: Path | None) -> None:
        self._pixmap = QPixmap(str(path)) if path is not None and path.is_file() else QPixmap()
        self._fit()

    def has_image(self) -> bool:
        return not self._pixmap.isNull()

    def _fit(self) -> None:
        if self._pixmap.isNull():
            self.clear()
            return
        self.setPixmap(self._pixmap.scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.SmoothTransformation))

    def resizeEvent(self, event: object) -> None:  # noqa: N802
        super().resizeEvent(event)  # type: ignore[arg-type]
        self._fit()


#: a take's thumbnail beside it (studio.results: media/<id>/take.mp4 and thumb.jpg)
POSTER_NAME = "thumb.jpg"


class PreviewPlayer(QWidget):
    """One take with a transport. Keys: Space, comma, period (while the preview has focus;
    the Library page forwards Space from the grid)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.player = Player(self)
        self.title = QLabel(self.tr("No take selected"))
        self.title.setObjectName("previewTitle")
        self.transport = Transport(self)
        self.poster = Poster(self)
        self.screen = QStackedWidget(self)
        self.screen.addWidget(self.poster)
        self.screen.addWidget(self.player.video)
        lay.addWidget(self.title)
        lay.addWidget(self.screen, 1)
        lay.addWidget(self.transport)
        m = self.player.media
        m.playbackStateChanged.connect(
            lambda s: s == QMediaPlayer.PlaybackState.PlayingState and self._show_video())
        m.positionChanged.connect(lambda p: p > 0 and self._show_video())
        m.positionChanged.connect(lambda p: self.transport.show_position(p, m.duration()))
        m.durationChanged.connect(lambda d: self.transport.show_position(m.position(), d))
        m.playbackStateChanged.connect(
            lambda s: self.transport.show_playing(s == QMediaPlayer.PlaybackState.PlayingState))
        m.errorOccurred.connect(self._error)
        for intent in (self.transport.playToggled, self.transport.stepped,
                       self.transport.scrubbed):
            intent.connect(self._show_video)
        self.transport.playToggled.connect(self.player.toggle)
        self.transport.stepped.connect(self.player.step)
        self.transport.scrubbed.connect(m.setPosition)
        self.transport.loopChanged.connect(self.player.set_loop)
        self.transport.muteChanged.connect(self.player.audio.setMuted)
        for key, fn in ((Qt.Key.Key_Comma, lambda: self.player.step(-1)),
                        (Qt.Key.Key_Period, lambda: self.player.step(1))):
            sc = QShortcut(QKeySequence(key), self)
            sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            sc.activated.connect(self._show_video)
            sc.activated.connect(fn)

    def load(self, path: Path | None, title: str = "", fps: float | None = None) -> None:
        poster = Path(path).with_name(POSTER_NAME) if path is not None else None
        self.poster.set_image(poster)
        self.screen.setCurrentWidget(self.poster)
        if path is not None and not Path(path).is_file():
            self.title.setText(self.tr("%1: the take file is missing (%2)")
                               .replace("%1", str(title)).replace("%2", str(path)))
            self.player.load(None)
            return
        self.title.setText(title or self.tr("No take selected"))
        self.player.load(path, fps)

    def _show_video(self, *_args: object) -> None:
        if self.screen.currentWidget() is not self.player.video:
            self.screen.setCurrentWidget(self.player.video)

    def _error(self, _error: QMediaPlayer.Error, message: str) -> None:
        log.info("preview error: %s", message)
        self.title.setText(self.tr("Cannot play this take: %1").replace("%1", str(message)))

    def shutdown(self) -> None:
        self.player.stop()


class CompareView(QWidget):
    """Two takes side by side, one transport, kept in sync (B follows A)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.a, self.b = Player(self), Player(self)
        self.label_a, self.label_b = QLabel("A: —"), QLabel("B: —")
        for label, player in ((self.label_a, self.a), (self.label_b, self.b)):
            label.setWordWrap(True)  # captions wrap; they never widen the page
            label.setMinimumWidth(80)
            col = QVBoxLayout()
            col.addWidget(label)
            col.addWidget(player.video, 1)
            row.addLayout(col, 1)
        self.transport = Transport(self)
        lay.addLayout(row, 1)
        lay.addWidget(self.transport)
        self.b.audio.setMuted(True)  # one soundtrack at a time
        am = self.a.media
        am.positionChanged.connect(self._sync)
        am.durationChanged.connect(lambda d: self.transport.show_position(am.position(), d))
        am.playbackStateChanged.connect(self._state)
        self.transport.playToggled.connect(self.toggle)
        self.transport.stepped.connect(self.step)
        self.transport.scrubbed.connect(self.seek)
        self.transport.loopChanged.connect(lambda v: (self.a.set_loop(v), self.b.set_loop(v)))
        self.transport.muteChanged.connect(self.a.audio.setMuted)
        self.ids: tuple[str | None, str | None] = (None, None)

    def load(self, a: tuple[str, Path, float | None], b: tuple[str, Path, float | None],
             captions: tuple[str, str] | None = None) -> None:
        """Load take A and take B (id, file, fps); ``captions`` follow the ids (e.g. shots)."""
        self.ids = (a[0], b[0])
        extra = captions or ("", "")
        self.label_a.setText(f"A: {a[0]}" + (f" · {extra[0]}" if extra[0] else ""))
        self.label_b.setText(f"B: {b[0]}" + (f" · {extra[1]}" if extra[1] else ""))
        self.a.load(a[1], a[2])
        self.b.load(b[1], b[2])

    def toggle(self) -> None:
        if self.a.media.playbackState() == QMediaPlayer.PlaybackState.PlayingState:
            self.a.media.pause()
            self.b.media.pause()
        else:
            self.b.media.setPosition(self.a.media.position())
            self.a.media.play()
            self.b.media.play()

    def step(self, frames: int) -> None:
        self.a.step(frames)
        self.b.media.pause()
        self.b.media.setPosition(self.a.media.position())

    def seek(self, pos: int) -> None:
        self.a.media.setPosition(pos)
        self.b.media.setPosition(pos)

    def _state(self, state: QMediaPlayer.PlaybackState) -> None:
        self.transport.show_playing(state == QMediaPlayer.PlaybackState.PlayingState)
        if state != QMediaPlayer.PlaybackState.PlayingState:
            self.b.media.pause()

    def _sync(self, pos: int) -> None:
        self.transport.show_position(pos, self.a.media.duration())
        b = self.b.media
        if b.duration() and abs(b.position() - pos) > SYNC_TOLERANCE_MS and pos <= b.duration():
            b.setPosition(pos)

    def shutdown(self) -> None:
        self.a.stop()
        self.b.stop()
