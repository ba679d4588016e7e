"""The sandbox badge: which protections the model's code runs under, with details on click."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import (
    QAbstractButton,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from rlm_desktop.widgets import palette_tones as tones

# (isolation key, badge word, what it could do without it, details line when protected)
KINDS = (("filesystem", "files", "read your files or change them",
          "Your files: the model's code cannot read or change them"),
         ("network", "network", "use the internet or your network",
          "The network: the model's code cannot reach the internet or your network"),
         ("process", "processes", "start programs or signal other programs",
          "Other programs: the model's code cannot start or signal them"))
LAYER_NAMES = {
    "resource_limits": "Memory, CPU time and file limits",
    "core_dumps_off": "No memory dumps on a crash",
    "parent_death_signal": "Ends when the app ends",
    "no_new_privs": "Can never gain more rights",
    "not_dumpable": "Hidden from debuggers",
    "no_capabilities": "No administrator capabilities",
    "landlock": "File access rules (Landlock)",
    "landlock_network": "Network rules (Landlock)",
    "landlock_scoped": "Cannot signal other programs (Landlock)",
    "seccomp": "System-call filter (seccomp): no network, no new programs",
    "sandbox_exec": "macOS sandbox profile",
    "job_object": "Windows job object: no new programs",
    "filesystem_rules": "File access rules",
    "network_rules": "Network rules",
}
CHECK_NAMES = {
    "denied_open": "Opening a file outside the documents",
    "denied_socket": "Opening a network connection",
    "denied_fork": "Starting another process",
    "denied_signal": "Signalling the app",
    "denied_spawn": "Starting another program",
}


def _dict(value: object) -> dict[str, Any]:
    """A part of the status that should be a dict, or {} when it is missing or malformed."""
    return value if isinstance(value, dict) else {}


def describe(status: dict[str, Any] | None) -> tuple[str, str, str]:
    """(state, label, tooltip); state is "unknown", "enforced", "partial" or "none"."""
    if status is None:
        return ("unknown", "Sandbox: not started yet",
                "The protections of the model's code are checked when a run starts.")
    isolation = _dict(status.get("isolation"))
    protected = [label for key, label, _, _ in KINDS if isolation.get(key) is True]
    lacking = [what for key, _, what, _ in KINDS if isolation.get(key) is not True]
    if not lacking:
        return ("enforced", "Sandboxed: " + ", ".join(protected),
                "The model's code cannot read your files, use the network or start "
                "programs. Click for details.")
    allowed = " Your settings allow running without full protection." \
        if status.get("allowed_unsandboxed") else " The run was refused for your safety."
    tip = "The model's code could " + ", ".join(lacking) + "." + allowed + " Click for details."
    if protected:
        return "partial", "Partly sandboxed: " + ", ".join(protected), tip
    return "none", "Not sandboxed", tip


def details_html(status: dict[str, Any] | None, palette: QPalette) -> str:
    """The details window's text: each kind of isolation, each layer, each check."""
    if status is None:
        return "<p>No run has started yet, so the sandbox has not been checked.</p>"
    good, bad = tones.css(tones.tone(palette, "calm")), tones.css(tones.tone(palette, "warn"))
    muted = tones.css(tones.muted(palette))

    def mark(value: Any) -> str:
        if value is True:
            return f"<span style='color:{good}'>✓</span>"
        if value is False:
            return f"<span style='color:{bad}'>✗</span>"
        return f"<span style='color:{muted}'>?</span>"

    esc = html.escape
    _, label, _ = describe(status)
    parts = [f"<h3>{esc(label)}</h3>"]
    note = str(status.get("note") or "").removeprefix("ALLOWED UNSANDBOXED by setting: ")
    if status.get("allowed_unsandboxed"):
        parts.append("<p>Your settings allow the model's code to run without full "
                     "protection on this computer.</p>")
    if note:
        parts.append(f"<p>{esc(note[:1].upper() + note[1:])}.</p>")
    isolation = _dict(status.get("isolation"))
    parts.append("<p><b>What is protected</b></p><table cellspacing='4'>")
    for key, _, what, safe in KINDS:
        line = safe if isolation.get(key) is True else \
            f"{safe.split(':')[0]}: not protected, the model's code could {what}"
        parts.append(f"<tr><td>{mark(isolation.get(key) is True)}</td><td>{esc(line)}</td></tr>")
    parts.append("</table>")
    layers = _dict(status.get("layers"))
    missing = _dict(status.get("missing"))
    if layers:
        parts.append("<p><b>Protection layers</b></p><table cellspacing='4'>")
        for name, active in layers.items():
            why = missing.get(name)
            extra = f"<br><span style='color:{muted}'>{esc(str(why))}</span>" if why else ""
            parts.append(f"<tr><td valign='top'>{mark(bool(active))}</td><td>"
                         f"{esc(LAYER_NAMES.get(name, name.replace('_', ' ')))}{extra}</td></tr>")
        parts.append("</table>")
    checks = status.get("checks") if isinstance(status.get("checks"), dict) else {}
    if checks:
        parts.append("<p><b>Checked before any model code ran</b> (✓ = refused, as it "
                     "should be)</p><table cellspacing='4'>")
        for name, denied in checks.items():
            parts.append(f"<tr><td>{mark(denied)}</td>"
                         f"<td>{esc(CHECK_NAMES.get(name, name.replace('_', ' ')))}</td></tr>")
        parts.append("</table>")
    facts = []
    if status.get("platform"):
        facts.append(f"System: {esc(str(status['platform']))}")
    memory = status.get("memory_limit_bytes")
    if isinstance(memory, int) and memory > 0:
        facts.append(f"Memory limit: {memory / 2**30:.1f} GB")
    if status.get("landlock_abi"):
        facts.append(f"Landlock version {esc(str(status['landlock_abi']))}")
    if status.get("allowed_unsandboxed"):
        facts.append("Running without full protection is allowed in Settings")
    if facts:
        parts.append(f"<p style='color:{muted}'>{' · '.join(facts)}</p>")
    return "".join(parts)


class SandboxDetails(QDialog):
    """A small window listing each protection layer from the run's sandbox status."""

    def __init__(self, status: dict[str, Any] | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sandbox details")
        self.setAccessibleName("Sandbox details")
        self.text = QLabel(details_html(status, self.palette()))
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.text.setContentsMargins(8, 4, 8, 4)
        scroll = QScrollArea()
        scroll.setWidget(self.text)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll)
        layout.addWidget(buttons)
        self.resize(460, 520)


class SandboxBadge(QAbstractButton):
    """A pill: calm when the model's code is fully isolated, a warning look when it is not."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status: dict[str, Any] | None = None
        self.state = "unknown"
        self.details: SandboxDetails | None = None
        self._keyboard_focus = False
        self.compact = False
        self.full_label = ""
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.clicked.connect(self.show_details)
        self.set_status(None)

    def set_status(self, status: dict[str, Any] | None, checking: bool = False) -> None:
        """The run's sandbox status; ``checking`` while a run starts and none came yet."""
        self.status = status
        self.state, label, tip = describe(status)
        if status is None and checking:
            label, tip = "Checking the sandbox…", "The protections are checked as the run starts."
        self.full_label = label
        if self.compact:  # a narrow panel: the first words, the rest in the tooltip
            label = label.split(":")[0].replace("Checking the sandbox…", "Checking…")
            tip = f"{self.full_label}. {tip}"
        self.setText(label)
        self.setToolTip(tip)
        self.setAccessibleName(f"{label}. Show sandbox details")
        self.updateGeometry()
        self.update()

    def set_compact(self, compact: bool) -> None:
        if compact != self.compact:
            self.compact = compact
            self.set_status(self.status, checking=self.full_label.startswith("Checking"))

    def show_details(self) -> None:
        if self.details is not None:
            self.details.close()
        self.details = SandboxDetails(self.status, self.window())
        self.details.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.details.destroyed.connect(self._details_gone)
        self.details.show()

    def focusInEvent(self, event: QFocusEvent) -> None:
        # A ring only for keyboard focus: a click or the window opening needs no marker.
        self._keyboard_focus = event.reason() in (Qt.FocusReason.TabFocusReason,
                                                  Qt.FocusReason.BacktabFocusReason,
                                                  Qt.FocusReason.ShortcutFocusReason)
        super().focusInEvent(event)

    def _details_gone(self) -> None:
        self.details = None

    def sizeHint(self) -> QSize:
        metrics = self.fontMetrics()
        height = metrics.height() + 8
        return QSize(metrics.horizontalAdvance(self.text()) + height + 14, height)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def paintEvent(self, event: QPaintEvent) -> None:
        palette = self.palette()
        name = {"enforced": "calm", "unknown": "neutral"}.get(self.state, "warn")
        ink = tones.tone(palette, name) if name != "neutral" else tones.muted(palette)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        radius = rect.height() / 2
        painter.setPen(QPen(tones.mix(tones.tint(palette, name, 0.3), ink, 0.25), 1))
        painter.setBrush(tones.tint(palette, name, 0.16 if name != "neutral" else 0.0))
        painter.drawRoundedRect(rect, radius, radius)
        if self.hasFocus() and self._keyboard_focus:
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 1.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect.adjusted(1, 1, -1, -1), radius - 1, radius - 1)
        size = rect.height() - 10
        self._shield(painter, QRectF(rect.left() + 7, rect.top() + 5, size * 0.85, size), ink)
        painter.setPen(ink)
        text_rect = rect.adjusted(size + 12, 0, -8, 0)
        painter.drawText(text_rect, int(Qt.AlignmentFlag.AlignVCenter), self.text())
        painter.end()

    def _shield(self, painter: QPainter, r: QRectF, ink: QColor) -> None:
        path = QPainterPath()
        path.moveTo(QPointF(r.center().x(), r.top()))
        path.lineTo(QPointF(r.right(), r.top() + r.height() * 0.2))
        path.cubicTo(QPointF(r.right(), r.top() + r.height() * 0.65),
                     QPointF(r.center().x() + r.width() * 0.2, r.bottom() - 1),
                     QPointF(r.center().x(), r.bottom()))
        path.cubicTo(QPointF(r.center().x() - r.width() * 0.2, r.bottom() - 1),
                     QPointF(r.left(), r.top() + r.height() * 0.65),
                     QPointF(r.left(), r.top() + r.height() * 0.2))
        path.closeSubpath()
        painter.setPen(QPen(ink, 1.3))
        if self.state == "enforced":
            painter.setBrush(ink)
        else:
            painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(path)
