"""Guard against a PySide6 build that leaks references to None or True (6.12.0 on Python 3.11).

Such a build takes one reference per Qt call or signal emit; a long session then drives the
count to zero and the interpreter aborts. pyproject.toml pins around it; this test fails if a
leaking version is ever installed again.
"""

from __future__ import annotations

import gc
import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot


class _Emitter(QObject):
    fired = Signal(int)


def _loss(call: object, singleton: object, times: int = 2000) -> int:
    gc.collect()
    before = sys.getrefcount(singleton)
    for _ in range(times):
        call()  # type: ignore[operator]
    gc.collect()
    return before - sys.getrefcount(singleton)


def test_qt_calls_and_signal_emits_keep_none_and_true_alive(qtbot: QtBot) -> None:
    label = QLabel()
    qtbot.addWidget(label)
    emitter = _Emitter()
    received: list[int] = []
    emitter.fired.connect(received.append)
    # A few stray references either way are noise; a leak loses one per call.
    assert _loss(lambda: label.setText("x"), None) < 100
    assert _loss(lambda: emitter.fired.emit(1), True) < 100
    assert _loss(lambda: emitter.fired.emit(1), None) < 100
    assert len(received) == 4000
