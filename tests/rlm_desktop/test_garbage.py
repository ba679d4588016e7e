"""The app collects garbage from its event loop only, never in the middle of a destructor."""

from __future__ import annotations

import gc
import weakref
from typing import Any

from rlm_desktop.garbage import GarbageCollector


class Node:
    def __init__(self) -> None:
        self.me = self   # a cycle only the cyclic collector frees


def test_automatic_collection_is_off_and_the_timer_collects(qtbot: Any) -> None:
    gc.enable()
    original = gc.get_threshold()
    collector = GarbageCollector(interval_ms=10)
    try:
        assert not gc.isenabled() and collector.timer.isActive()
        node = Node()
        alive = weakref.ref(node)
        del node
        gc.set_threshold(1, 1, 1)   # any allocation now calls for a full collection
        collector.thresholds = gc.get_threshold()
        qtbot.waitUntil(lambda: alive() is None, timeout=5_000)
    finally:
        gc.set_threshold(*original)
        collector.timer.stop()


def test_nothing_is_collected_below_the_thresholds() -> None:
    collector = GarbageCollector()
    try:
        collector.thresholds = (10**9, 10**9, 10**9)
        node = Node()
        alive = weakref.ref(node)
        del node
        assert collector.collect() == 0 and alive() is not None
    finally:
        collector.timer.stop()
        gc.collect()
