"""Garbage collection for processes that keep many fold states: the projector, rebuilds."""

from __future__ import annotations

import gc
import time


class QuietCollector:
    """Keeps the cycle collector's full passes short in a process full of fold states.

    A full collection walks every tracked object, and the states a projector keeps in
    memory hold millions (UUIDs, dicts): pauses of 0.4 to 0.8 s at 1,000 tenants, the
    whole lag tail, and 29 % of a rebuild's time (its row memos fill up). The states are
    acyclic (reference counting frees them once replaced), so what is alive is frozen every
    `freeze_every` seconds, and as soon as a tick sees that a full collection ran since the
    last one: full collections then only walk what came since the last of them, not all
    that a catch-up loaded meanwhile (they had grown to 0.6 s each over a restart's catch-up
    of 1,000 tenants). Cycles that die after being frozen wait for the one real full
    collection that runs every `full_every` seconds (a pause that long, once an hour).
    """

    def __init__(self, freeze_every: float = 10.0, full_every: float = 3600.0) -> None:
        self.freeze_every, self.full_every = freeze_every, full_every
        gc.freeze()
        self._frozen = self._full = time.monotonic()
        self._full_collections = _full_collections()

    def tick(self) -> None:
        now, full_collections = time.monotonic(), _full_collections()
        if now - self._full >= self.full_every:
            gc.unfreeze()
            gc.collect()
            gc.freeze()
            self._frozen = self._full = now
            full_collections = _full_collections()  # counting the one just run
        elif now - self._frozen >= self.freeze_every or full_collections != self._full_collections:
            gc.freeze()
            self._frozen = now
        self._full_collections = full_collections


def _full_collections() -> int:
    """How many times the interpreter has collected its oldest generation."""
    return int(gc.get_stats()[2]["collections"])
