"""Fold states of tenants' logs at positions, kept in the process for "as of" replays.

A view as of a past point replays the tenant's log up to it (services.read.progress): a
state kept of a position at or before that point spares the replay every event up to it,
and one kept of the point itself spares the whole replay. A log is appended to, never
rewritten (an erased tenant's positions never come back, migration 0014), so the state
after a position stays the state after it, with one exception: a replay that began from a
checkpoint of a read model rests on that row, which a rebuild may write anew (a checkpoint
gone bad, mended). Each state is kept with its `origin`, the row it rests on, for the
caller to check before using it.

The states are kept as they are, not copied: the folds copy on write (a state handed to a
fold is never changed, projections/progress_fold.py) and the views only read them, so a
state kept is the state it was.
Copying one would cost more than the replay it spares (a deep copy of a 10,000-event
tenant's progress state took 190 ms, its replay from the first event 170 ms).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, NamedTuple
from uuid import UUID

MAX_STATES = 64
MAX_EVENTS = 100_000
"""The events the kept states hold in all, at most (each counted as its position: the
events folded into it). A progress state holds about 800 bytes an event (7.9 MB, decoded,
for the 10,000 events of `okr bench projections`' as-of tenant): at most about 80 MB,
and less, as the states of one tenant folded one from another share what they have in
common. A state of more events than this is not kept."""


class Kept(NamedTuple):
    """A state kept, and the position it is the state after."""

    position: int
    state: Any
    origin: Any
    """What the state rests on besides the log (None: nothing, it was folded from the
    first event)."""


class FoldStates:
    """The fold states of the positions replayed last, per tenant and fold, the least
    recently used going first past MAX_STATES states or MAX_EVENTS events."""

    def __init__(self, max_states: int = MAX_STATES, max_events: int = MAX_EVENTS) -> None:
        self.max_states, self.max_events = max_states, max_events
        self._kept: OrderedDict[tuple[UUID, str, int], tuple[Any, Any]] = OrderedDict()
        self.events = 0
        """The events the kept states hold in all (each counted as its position)."""

    def __len__(self) -> int:
        return len(self._kept)

    def latest(self, tenant_id: UUID, fold: str, upto: int) -> Kept | None:
        """The state kept of the tenant's log through `fold` at the latest position at or
        before `upto`, if any (a few dozen keys looked through: no index needed)."""
        positions = [k[2] for k in self._kept if k[:2] == (tenant_id, fold) and k[2] <= upto]
        if not positions:
            return None
        key = (tenant_id, fold, max(positions))
        self._kept.move_to_end(key)
        return Kept(key[2], *self._kept[key])

    def keep(self, tenant_id: UUID, fold: str, position: int, state: Any, origin: Any) -> None:
        """Keep the state after `position` (none after position 0: it is the empty one)."""
        if not 0 < position <= self.max_events:
            return
        key = (tenant_id, fold, position)
        if key not in self._kept:
            self.events += position
        self._kept[key] = (state, origin)
        self._kept.move_to_end(key)
        while len(self._kept) > self.max_states or self.events > self.max_events:
            self._drop(next(iter(self._kept)))

    def drop(self, tenant_id: UUID, fold: str, position: int) -> None:
        """Keep no state of this position any more (what it rests on changed)."""
        if (tenant_id, fold, position) in self._kept:
            self._drop((tenant_id, fold, position))

    def forget(self, tenant_id: UUID) -> None:
        """Keep nothing of this tenant (erased). A replay that read its log before the erase
        keeps its state after this, never used (the log's positions never come back: no
        replay of it reaches a position again) and gone in its turn."""
        for key in [k for k in self._kept if k[0] == tenant_id]:
            self._drop(key)

    def _drop(self, key: tuple[UUID, str, int]) -> None:
        del self._kept[key]
        self.events -= key[2]
