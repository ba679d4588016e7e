"""Work around a PySide6 6.12.0 bug: Python ``emit()``/``disconnect()`` drop a reference to True.

In PySide6 6.12.0 each ``SignalInstance.emit(...)`` and ``SignalInstance.disconnect(...)`` made
from Python returns ``True`` without adding a reference to it. A few hundred emits
(one live run streams thousands of events) bring True's reference count to zero and the
interpreter aborts with "bool_dealloc: deallocating True or False". ``install()`` measures
whether the running PySide6 has the bug and, only then, wraps both methods so the missing
reference is added back. It is idempotent, costs about a microsecond per emit, and does nothing
on a fixed PySide6 (where the probe sees no loss).
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

_installed = False
_PROBES = 16


def install() -> list[str]:
    """Patch the leaking methods if this PySide6 leaks; returns the names patched."""
    global _installed
    if _installed:
        return []
    _installed = True
    from PySide6.QtCore import QObject, Signal, SignalInstance

    class _Probe(QObject):
        ping = Signal()

    probe = _Probe()
    patched = []
    for name in ("emit", "disconnect"):
        if _leak(probe, name) > 0:
            _wrap(SignalInstance, name)
            patched.append(name)
    return patched


def _leak(probe: Any, name: str) -> int:
    """References to True lost by ``_PROBES`` calls (given back at once)."""

    def noop() -> None:
        pass

    before = sys.getrefcount(True)
    for _ in range(_PROBES):
        if name == "emit":
            probe.ping.emit()
        else:
            probe.ping.connect(noop)
            probe.ping.disconnect(noop)
    lost = before - sys.getrefcount(True)
    for _ in range(max(0, lost)):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))
    return lost


def _wrap(cls: Any, name: str) -> None:
    original = getattr(cls, name)
    incref = ctypes.pythonapi.Py_IncRef

    def fixed(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        if result is True or result is False:
            incref(ctypes.py_object(result))
        return result

    fixed.__name__ = name
    fixed.__doc__ = original.__doc__
    setattr(cls, name, fixed)
