"""Python's cyclic garbage collector, run from the Qt event loop instead of at any moment.

Left alone, the collector runs whenever enough objects have been allocated, which can be in
the middle of a Qt destructor (PySide6 looks up Python overrides there). If that collection
frees another Qt object, its destructor waits for a mutex the first one holds, and the app
freezes for good (seen in the test suite: ``~QPropertyAnimation`` -> ``gc_collect_main`` ->
``~QObject`` -> ``QBasicMutex::lockInternal``). qutebrowser disables automatic collection and
collects on a timer for the same reason; so do we.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 1000


class GarbageCollector(QObject):
    """Collects, generation by generation, when the allocation counts call for it, but only
    from a timer: that is, from the top of the event loop, where no destructor is running."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.collect)
        self.timer.start()

    def collect(self) -> int:
        """Collect the generations whose counts passed their thresholds; how many were freed."""
        counts = gc.get_count()
        generation = -1
        for level, (count, threshold) in enumerate(zip(counts, self.thresholds, strict=True)):
            if count <= threshold:
                break
            generation = level
        return gc.collect(generation) if generation >= 0 else 0
