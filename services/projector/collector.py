"""Garbage collection for processes that keep many fold states: the projector, rebuilds."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager


class QuietCollector:
    """Keeps the cycle collector's passes short in a process full of fold states.

    A full collection walks every tracked object, and the states a projector keeps in
    memory hold millions (UUIDs, dicts): pauses of 0.4 to 0.8 s at 1,000 tenants, the
    whole lag tail, and 29 % of a rebuild's time (its row memos fill up). The states are
    acyclic (reference counting frees them once replaced), so what is alive is frozen every
    `freeze_every` seconds, and as soon as a tick sees that a full collection ran since the
    last one: collections then only walk what came since the last freeze, not all that a
    catch-up loaded meanwhile. Each freeze first collects the young generations, so cycles
    that are garbage already there are freed, not frozen. Cycles that die after being
    frozen, or in the old generation (an automatic collection moved them there since the
    last freeze), wait for the one real full collection that runs every `full_every`
    seconds (a pause that long, once an hour). A rebuild turns the automatic collections
    off (`alone`) and ticks after each read, collecting every 5 s (see rebuild._Filler).

    Frozen every quarter of a second, a projector at 500 events/s runs about one full
    collection in 20 s, of 8 ms (they came every 7 s, 70-100 ms each: a lag spike each
    time); its young collections take about 5 ms, a few up to 20-36 ms.
    """

    def __init__(self, freeze_every: float = 0.25, full_every: float = 3600.0) -> None:
        self.freeze_every, self.full_every = freeze_every, full_every
        gc.freeze()
        self._frozen = self._full = time.monotonic()
        self._full_collections = _full_collections()

    @contextmanager
    def alone(self) -> Iterator[None]:
        """No automatic collections inside the block: only ticks collect (for a batch job
        that ticks at least every `freeze_every` seconds)."""
        enabled = gc.isenabled()
        gc.disable()
        try:
            yield
        finally:
            if enabled:
                gc.enable()

    def tick(self) -> None:
        now, full_collections = time.monotonic(), _full_collections()
        if now - self._full >= self.full_every:
            gc.unfreeze()
            gc.collect()
            gc.freeze()
            self._frozen = self._full = now
            full_collections = _full_collections()  # counting the one just run
        elif now - self._frozen >= self.freeze_every or full_collections != self._full_collections:
            gc.collect(1)  # the young generations: garbage cycles in them go now
            gc.freeze()
            self._frozen = now
        self._full_collections = full_collections


def _full_collections() -> int:
    """How many times the interpreter has collected its oldest generation."""
    return int(gc.get_stats()[2]["collections"])
