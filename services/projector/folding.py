"""One projection folding one tenant's events, from where its tables stand to what a batch writes.

A `Folding` knows three positions: `applied` (the tables hold the rows of every event up to
it), `at` (the fold state is the state after it) and `checkpoint` (the latest state stored
in `rm_<name>__states`). A projector that has the state in memory has `at == applied`; one
that starts from a checkpoint replays the events between `at` and `applied` without writing
their rows again, then folds the new ones. Rows and positions are only put in a `Writes`;
the caller commits them in one transaction.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast
from uuid import UUID

from projections.base import (
    ChangedRows,
    Follows,
    Projection,
    Recorded,
    Row,
    RowsByTable,
    Table,
    mark_failed_at,
)
from services.projector.schema import positions_table, states_table
from services.projector.tables import Writes, key_index, keyed

CHECKPOINT_EVERY = 500
"""A state checkpoint at most this many events after the previous one: a projector that
restarts replays fewer than this many events per tenant and projection."""


def kept_every(projection: Projection[Any]) -> int:
    """Checkpoints kept for as-of replays: one per this many positions (0: the latest only)."""
    return int(getattr(projection, "checkpoints_kept_every", 0))


@dataclass
class Folding:
    """Where one projection stands for one tenant, and what its next batch appends."""

    projection: Projection[Any]
    applied: int
    state: Any
    at: int
    checkpoint: int
    rows: RowsByTable | None
    """rows(state at `applied`): what the state tables hold (None: not worked out yet)."""
    appended: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))
    base: Any = None
    """The state at `applied` while a batch is folded past it (None between batches)."""
    _kept: dict[str, _KeptRows] | None = None
    """`rows` per state table, findable by key (made when first needed)."""
    _apart: bool = False
    """Its state was found unequal to its leader's at the same position (see in_step): it
    is not compared again, as a projector would on every pass after a fold's new version."""

    @classmethod
    def new(cls, projection: Projection[Any]) -> Folding:
        """A tenant the projection has never seen: no rows, the initial state."""
        return cls(projection, 0, projection.initial(), 0, 0, {})

    def fold(self, records: Sequence[Recorded], followers: Sequence[Folding] = ()) -> None:
        """Fold the records after `at` (contiguous, in order): replay up to `applied`,
        then collect the rows of the new ones. Once the state is at `applied`, its rows
        are worked out (the tables' rows before the next change) even with no new events:
        a projector's first catch-up does it for every tenant, not its first events.
        `followers` (in step with this one, see `in_step`) take this one's states and
        collect their own rows."""
        projection, state, at = self.projection, self.state, self.at
        follows = [(f.appended, cast(Follows[Any], f.projection).follow) for f in followers]
        position = at
        try:
            for record in records:
                position = record.position
                if position <= at:
                    continue
                if position <= self.applied:
                    state, _ = projection.fold(state, record)
                else:
                    if self.base is None:
                        for f in (self, *followers):
                            f._start(at, state)
                    before = state
                    state, rows = projection.fold(state, record)
                    for table, new in rows.items():
                        self.appended[table].extend(new)
                    for appended, follow in follows:
                        for table, new in follow(before, state, record).items():
                            appended[table].extend(new)
                at = position
        except Exception as error:
            mark_failed_at(error, position)
            raise
        for f in (self, *followers):
            f.state, f.at = state, at
            if f.rows is None and at == f.applied:
                f.rows = f.projection.rows(state)

    def _start(self, at: int, state: Any) -> None:
        """The state is at `applied`, and the next event is new: keep its rows and itself."""
        if self.rows is None:
            if at != self.applied:
                raise RuntimeError(f"{self.projection.name}: replay stopped at {at}")
            self.rows = self.projection.rows(state)
        self.base = state

    def in_step(self, leader: Folding) -> bool:
        """Whether this folding stands where `leader` does, with an equal state (then the
        same one from now on): it can follow it through the next records."""
        if (self.at, self.applied) != (leader.at, leader.applied) or self.base is not leader.base:
            return False
        if self.state is not leader.state:
            if self._apart or self.state != leader.state:
                self._apart = True
                return False
            self.state = leader.state
        return True

    def discard_batch(self) -> None:
        """Forget the log rows of a batch whose fold failed part-way: its state and position
        are still those before it (fold sets them at its end), and `finish` then writes the
        tables as they stood there, not rows past the position it records."""
        self.appended = defaultdict(list)

    def flush_log(self, tenant_id: UUID, writes: Writes, *, bulk: bool = False) -> None:
        """Put the appended log rows (and a checkpoint when due) in `writes`."""
        for table, rows in self.appended.items():
            writes.insert(table, [(tenant_id, *row) for row in rows])
        self.appended = defaultdict(list)
        if self._checkpoint_due(bulk):
            self._write_checkpoint(tenant_id, writes, prune=not bulk)

    def finish(self, tenant_id: UUID, writes: Writes, *, bulk: bool = False) -> bool:
        """Put everything the folded events change in `writes`; False if nothing new."""
        if self.at <= self.applied:
            return False
        changed = self._changed_rows()
        if changed is None:
            after = self.projection.rows(self.state)
            for table in self.projection.tables:
                if table.kind == "state":
                    _state_diff(writes, tenant_id, table, self.rows or {}, after)
            self.rows, self._kept = after, None
        else:
            self._upsert_changed(writes, tenant_id, changed)
        self.flush_log(tenant_id, writes, bulk=bulk)
        if bulk and self.checkpoint < self.at:  # a rebuilt tenant resumes with no replay
            self._write_checkpoint(tenant_id, writes, prune=False)
        writes.upsert(positions_table(self.projection), [(tenant_id, self.at)])
        self.applied, self.base = self.at, None
        return True

    def _changed_rows(self) -> RowsByTable | None:
        """The projection's rows that the batch may have changed, when it can tell."""
        if not hasattr(self.projection, "changed_rows") or self.base is None or not self.rows:
            return None
        return cast(ChangedRows[Any], self.projection).changed_rows(self.base, self.state)

    def _upsert_changed(self, writes: Writes, tenant_id: UUID, changed: RowsByTable) -> None:
        """Upsert the changed rows that differ from the tables' ones, and keep `rows` so."""
        if self._kept is None:  # lists of this folding's own, changed in place from now on
            self._kept = {
                t.name: _KeptRows(t, (self.rows or {}).get(t.name, ()))
                for t in self.projection.tables
                if t.kind == "state"
            }
            self.rows = {name: kept.rows for name, kept in self._kept.items()}
        for name, rows in changed.items():
            kept = self._kept[name]
            writes.upsert(name, [(tenant_id, *row) for row in rows if kept.put(row)])

    def _checkpoint_due(self, bulk: bool) -> bool:
        if bulk:  # what an incremental projector would have kept, no more
            every = kept_every(self.projection)
            return every > 0 and self.at // every > self.checkpoint // every
        return self.at - self.checkpoint >= CHECKPOINT_EVERY

    def _write_checkpoint(self, tenant_id: UUID, writes: Writes, *, prune: bool) -> None:
        table = states_table(self.projection)
        writes.upsert(table, [(tenant_id, self.at, self.projection.encode_state(self.state))])
        if prune:
            writes.prune(table, kept_every(self.projection), (tenant_id, self.at))
        self.checkpoint = self.at


def fold_all(foldings: Sequence[Folding], records: Sequence[Recorded]) -> None:
    """Fold records into each of one tenant's foldings. A folding whose projection follows
    another's (see `Follows`) and stands in step with that one's folding takes its states
    instead of folding the events again (history follows progress: the progress fold runs
    once an event, not twice)."""
    by_name = {f.projection.name: f for f in foldings}
    followers: dict[str, list[Folding]] = defaultdict(list)
    leaders = []
    for f in foldings:
        leader = by_name.get(_leader_name(f.projection))
        if leader is not None and not _leader_name(leader.projection) and f.in_step(leader):
            followers[leader.projection.name].append(f)
        else:
            leaders.append(f)
    for f in leaders:
        f.fold(records, followers.get(f.projection.name, ()))


def _leader_name(projection: Projection[Any]) -> str:
    """The projection this one follows, or "". Only when its own class has `follow`: a
    wrapper that passes attributes on and wraps `fold` alone is folded, not bypassed."""
    if getattr(type(projection), "follow", None) is None:
        return ""
    return str(getattr(projection, "follows", ""))


class _KeptRows:
    """A state table's rows as the tables hold them, known by identity and found by key."""

    __slots__ = ("_where", "ids", "key_of", "rows")

    def __init__(self, table: Table, rows: Sequence[Row]) -> None:
        index = key_index(table)
        self.key_of: Callable[[Row], Any] = operator.itemgetter(*index) if index else lambda _: ()
        self.rows = list(rows)
        self.ids = {id(row) for row in self.rows}
        """ids of the kept rows: they are alive, so a row with one of them is one of them"""
        self._where: dict[Any, int] | None = None

    def put(self, row: Row) -> bool:
        """Keep a row of the state after a batch; False when the tables hold it already."""
        if id(row) in self.ids:  # projections hand back the same row when nothing changed
            return False
        if self._where is None:  # where each row is, by key: only once a row changed
            self._where = {self.key_of(kept): at for at, kept in enumerate(self.rows)}
        key = self.key_of(row)
        at = self._where.get(key)
        if at is None:
            self._where[key] = len(self.rows)
            self.rows.append(row)
        elif self.rows[at] == row:
            return False
        else:
            self.ids.discard(id(self.rows[at]))
            self.rows[at] = row
        self.ids.add(id(row))
        return True


def _state_diff(
    writes: Writes, tenant_id: UUID, table: Table, before: RowsByTable, after: RowsByTable
) -> None:
    """Upsert rows that changed, delete rows that went away, leave the rest alone."""
    name = table.name
    old_rows, new_rows = before.get(name, ()), after.get(name, ())
    if len(old_rows) == len(new_rows):  # the usual case: same rows in the same order
        index = key_index(table)
        changed = []
        for old_row, new_row in zip(old_rows, new_rows, strict=True):
            if old_row is new_row:  # projections hand back the same row when nothing changed
                continue
            if [old_row[i] for i in index] != [new_row[i] for i in index]:
                break
            if old_row != new_row:
                changed.append((tenant_id, *new_row))
        else:
            writes.upsert(name, changed)
            return
    old = keyed(table, old_rows)
    new = keyed(table, new_rows)
    writes.upsert(name, [(tenant_id, *row) for key, row in new.items() if old.get(key) != row])
    writes.delete(name, [(tenant_id, *key) for key in old.keys() - new.keys()])
