"""Settings pages "Limits" (run limits) and "Safety" (sandbox policy), checked by engine rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.config import Limits, SandboxSettings
from engine.errors import ConfigError
from rlm_desktop.settings.widgets import Notice, hint_label, with_hint

Problem = tuple[str, QWidget]
_INT_MAX = 2**31 - 1


@dataclass(frozen=True)
class Number:
    """One numeric setting as a person sees it."""

    name: str  # the field of Limits / SandboxSettings
    label: str
    help: str
    decimals: int = 0  # 0: whole numbers
    unit: str = ""  # suffix shown in the box
    prefix: str = ""
    optional: str = ""  # text of the "no limit" choice; "" when the value is required
    maximum: float = _INT_MAX
    advanced: bool = False
    suggested: float = 0  # put in the box when an optional value is switched on at 0


LIMITS = (
    Number("max_iterations", "Steps per question",
           "How many rounds of code the main model may run before it must answer.",
           maximum=100_000),
    Number("budget_usd", "Spending limit per question",
           "Stops the question when its cost reaches this amount. Needs known prices for "
           "both models (see Prices).", decimals=2, prefix="$ ", optional="No limit",
           maximum=1_000_000, suggested=1.0),
    Number("timeout_s", "Time limit per question", "Stops the question after this long.",
           decimals=0, unit=" seconds", optional="No limit", maximum=10_000_000,
           suggested=600),
    Number("max_depth", "Levels of helper analyses",
           "How deep the main model may hand whole sub-tasks to helper analyses; 0 turns "
           "them off.", maximum=50),
    Number("batch_concurrency", "Helper questions at the same time",
           "The most sent at once; more is faster. When the AI service asks to slow "
           "down, fewer are sent for a while, then more again up to this number.",
           maximum=4096),
    Number("max_sub_calls", "Helper questions per question",
           "Stops the question after this many helper questions (“Stopped: too many helper "
           "questions”).", maximum=_INT_MAX),
    Number("max_consecutive_errors", "Failed steps in a row before stopping", "",
           maximum=1000, advanced=True),
    Number("cell_timeout_s", "Time limit for one step of code", "", decimals=0,
           unit=" seconds", maximum=10_000_000, advanced=True),
    Number("call_timeout_s", "Wait for one model reply at most", "", decimals=0,
           unit=" seconds", maximum=10_000_000, advanced=True),
    Number("max_retries", "Retries when a service is busy", "", maximum=100, advanced=True),
    Number("output_limit_chars", "Output the model sees per step", "", unit=" characters",
           advanced=True),
    Number("history_limit_chars", "Conversation the model remembers", "",
           unit=" characters", advanced=True),
)

SANDBOX = (
    Number("memory_mb", "Memory for the model's code",
           "“Automatic” sizes it from your documents.", unit=" MB", optional="Automatic",
           maximum=10_000_000, suggested=4096),
    Number("cpu_seconds", "Computing time per question", "", unit=" seconds"),
    Number("open_files", "Open files at once", "", maximum=1_000_000, advanced=True),
)


def plain_problem(label: str, engine_message: str) -> str:
    """'max iterations must be at least 1' -> '“Steps per question” must be at least 1.'"""
    for verb in (" must ", " cannot "):
        if verb in engine_message:
            rest = engine_message.split(verb, 1)[1].rstrip(".")
            return f"“{label}”{verb}{rest}."
    return f"“{label}”: {engine_message}."


class NumberForm(QWidget):
    """Spin boxes for some fields of a settings dataclass; validity is the engine's ``validate``.

    The boxes accept more than the engine does on purpose: the engine's rules stay the only
    rules, and a wrong value gets a message saying what is allowed instead of a silent clamp.
    """

    edited = Signal()

    def __init__(self, numbers: tuple[Number, ...], validate: Callable[[str, Any], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.numbers = numbers
        self._validate = validate
        self.boxes: dict[str, QSpinBox | QDoubleSpinBox] = {}
        self.toggles: dict[str, QCheckBox] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.notice = Notice(self, name="Problems with these values")
        layout.addWidget(self.notice)
        main = QFormLayout()
        layout.addLayout(main)
        advanced_box = QGroupBox("Advanced", self)
        advanced = QFormLayout(advanced_box)
        for number in numbers:
            form = advanced if number.advanced else main
            row = self._row(number)
            label = QLabel(f"{number.label}:", self)
            label.setBuddy(self.boxes[number.name])
            form.addRow(label, with_hint(row, number.help) if number.help else row)
        if advanced.rowCount():
            layout.addWidget(advanced_box)
        else:
            advanced_box.deleteLater()

    def _row(self, number: Number) -> QWidget:
        box: QSpinBox | QDoubleSpinBox
        if number.decimals:
            box = QDoubleSpinBox(self)
            box.setDecimals(number.decimals)
            box.setRange(0, number.maximum)
        else:
            box = QSpinBox(self)
            box.setRange(0, int(number.maximum))
            box.setGroupSeparatorShown(True)
        box.setSuffix(number.unit)
        box.setPrefix(number.prefix)
        box.setAccessibleName(number.label)
        box.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToNearestValue)
        box.setMinimumWidth(150)
        box.valueChanged.connect(self._changed)
        self.boxes[number.name] = box
        row = QWidget(self)
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        if number.optional:
            toggle = QCheckBox("Limit to" if number.optional == "No limit" else "Set to", row)
            toggle.setAccessibleName(f"{number.label}: set a value (otherwise "
                                     f"{number.optional.lower()})")
            toggle.toggled.connect(lambda on, n=number: self._toggled(n, on))
            self.toggles[number.name] = toggle
            line.addWidget(toggle)
        line.addWidget(box)
        line.addStretch(1)
        return row

    def _toggled(self, number: Number, on: bool) -> None:
        box = self.boxes[number.name]
        box.setEnabled(on)
        if on and box.value() == 0 and number.suggested:
            # a useful start rather than an invalid 0
            if isinstance(box, QSpinBox):
                box.setValue(int(number.suggested))
            else:
                box.setValue(number.suggested)
        self._changed()

    def load(self, data: dict[str, Any], defaults: Any) -> None:
        for number in self.numbers:
            value = data.get(number.name, getattr(defaults, number.name))
            box = self.boxes[number.name]
            box.blockSignals(True)
            if number.name in self.toggles:
                toggle = self.toggles[number.name]
                toggle.blockSignals(True)
                toggle.setChecked(value is not None)
                toggle.blockSignals(False)
                box.setEnabled(value is not None)
            box.setValue(value if value is not None else 0)
            box.blockSignals(False)
        self._changed()

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for number in self.numbers:
            toggle = self.toggles.get(number.name)
            if toggle is not None and not toggle.isChecked():
                out[number.name] = None
            else:
                value = self.boxes[number.name].value()
                out[number.name] = int(value) if not number.decimals else float(value)
        return out

    def problems(self) -> list[Problem]:
        found: list[Problem] = []
        for number in self.numbers:
            try:
                self._validate(number.name, self.values()[number.name])
            except ConfigError as exc:
                found.append((plain_problem(number.label, str(exc)), self.boxes[number.name]))
        return found

    def _changed(self) -> None:
        problems = self.problems()
        for number in self.numbers:
            box = self.boxes[number.name]
            message = next((m for m, widget in problems if widget is box), "")
            box.setAccessibleDescription(message)
            box.setToolTip(message)
        if problems:
            self.notice.show_message("error", " ".join(m for m, _ in problems))
        else:
            self.notice.clear()
        self.edited.emit()


def _check_limit(name: str, value: Any) -> None:
    Limits(**{name: value}).validate()


def _check_sandbox(name: str, value: Any) -> None:
    SandboxSettings(**{name: value}).validate()


def _scrolling_body(page: QWidget, name: str) -> tuple[QWidget, QVBoxLayout]:
    """Give ``page`` a scrolling body; returns the body and the layout to fill."""
    outer = QVBoxLayout(page)
    outer.setContentsMargins(0, 0, 0, 0)
    body = QWidget()
    inner = QVBoxLayout(body)
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setWidget(body)
    area.setAccessibleName(name)
    outer.addWidget(area)
    page.setAccessibleName(name)
    return body, inner


class LimitsPage(QWidget):
    """How long, how deep and how expensive one question may get."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        body, inner = _scrolling_body(self, "Limits")
        inner.addWidget(hint_label("When a question reaches one of these limits, the model "
                                   "stops and you get its best answer so far, marked as "
                                   "partial.", body))
        self.form = NumberForm(LIMITS, _check_limit, body)
        inner.addWidget(self.form)
        self.confirm = QCheckBox("Ask the model to confirm an answer it gave before reading "
                                 "its results", body)
        self.confirm.setAccessibleName("Confirm early answers")
        inner.addWidget(with_hint(self.confirm, CONFIRM_HINT))
        inner.addStretch(1)

    def load(self, settings: dict[str, Any]) -> None:
        data = settings.get("limits") or {}
        self.form.load(data, Limits())
        self.confirm.setChecked(bool(data.get("confirm_early_answers",
                                              Limits().confirm_early_answers)))

    def apply(self, settings: dict[str, Any]) -> None:
        limits = settings.setdefault("limits", {})
        limits.update(self.form.values())
        limits["confirm_early_answers"] = self.confirm.isChecked()

    def problems(self) -> list[Problem]:
        return self.form.problems()


CONFIRM_HINT = (
    "Models sometimes answer in the same step as the code that looks things up, before "
    "they have read what it found. With this on, such an answer is held back once: the model "
    "is shown the results and asked to confirm or correct it (one more step).")

UNSANDBOXED_WARNING = (
    "Turn this on only if you trust your documents and the model. Where this computer "
    "cannot seal the model's code off, that code could read or change your files and use "
    "the network — and a document could contain instructions that trick the model into "
    "doing so. Every run will say that it ran without protection.")


class SafetyPage(QWidget):
    """The sandbox policy: whether unprotected runs are allowed, and the code's resource caps."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        body, inner = _scrolling_body(self, "Safety")
        inner.addWidget(hint_label(
            "The code the model writes runs sealed off from the rest of this computer: it "
            "cannot open your other files, use the network, start programs or see your API "
            "keys. It can only read the documents you ask about.", body))
        self.allow = QCheckBox("Run the model's code even where this computer cannot seal "
                               "it off", body)
        self.allow.setAccessibleName("Allow runs without protection")
        self.allow.toggled.connect(self._allow_toggled)
        inner.addWidget(self.allow)
        self.warning = Notice(body, name="Warning")
        inner.addWidget(self.warning)
        self.form = NumberForm(SANDBOX, _check_sandbox, body)
        inner.addWidget(self.form)
        inner.addStretch(1)

    def load(self, settings: dict[str, Any]) -> None:
        data = settings.get("sandbox") or {}
        self.allow.setChecked(bool(data.get("allow_unsandboxed", False)))
        self._allow_toggled()
        self.form.load(data, SandboxSettings())

    def apply(self, settings: dict[str, Any]) -> None:
        data = settings.setdefault("sandbox", {})
        data["allow_unsandboxed"] = self.allow.isChecked()
        data.update(self.form.values())

    def problems(self) -> list[Problem]:
        return self.form.problems()

    def _allow_toggled(self) -> None:
        if self.allow.isChecked():
            self.warning.show_message("warning", UNSANDBOXED_WARNING)
        else:
            self.warning.clear()
