"""What every read model is: a pure fold over a tenant's recorded events, plus its rows.

One fold serves three uses: the Postgres projector (incremental), a full rebuild, and an
as-of replay in memory. A projection never does I/O; the projector owns the database.

Rows come two ways:
- `rows(state)`: the full current row set per table, for "state" tables (progress of each
  key result, KPI health...). The projector writes the difference between the rows before
  and after a batch, so incremental and rebuilt tables are equal by construction. A
  projection may also offer `changed_rows(before, after)` (see `ChangedRows`): the rows a
  batch may have changed, so a batch that touched one item costs that item, not the tenant.
- `fold` also returns rows appended by that one event, for "log" tables (history lines,
  series points) that only grow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar
from uuid import UUID

import msgspec

S = TypeVar("S")
S_in = TypeVar("S_in", contravariant=True)

Row = tuple[Any, ...]
RowsByTable = Mapping[str, Sequence[Row]]


class Recorded(msgspec.Struct, frozen=True):
    """One event of a tenant's log, decoded: the domain event and its transaction facts.

    A Struct rather than a frozen dataclass: a replay makes one per event, and a Struct is
    made in a fifteenth of the time."""

    tenant_id: UUID
    position: int
    recorded_at: datetime
    actor: str
    correlation_id: UUID
    stream_id: UUID
    version: int
    topic: str
    hash: bytes
    event: Any
    """The domain event object (e.g. KeyResult.CheckedIn); `event.originator_id == stream_id`."""


@dataclass(frozen=True)
class Column:
    """A read-model column: its name and PostgreSQL type."""

    name: str
    sql_type: str


@dataclass(frozen=True)
class Table:
    """A read-model table; every table leads with tenant_id.

    `key` names the columns (after tenant_id) that identify a row of a state table;
    log tables are keyed by ("position", ...).
    """

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    kind: str  # "state" or "log"
    lookups: tuple[tuple[str, ...], ...] = field(default=(), repr=False)
    """Other columns (after tenant_id) that pages read rows by, an index each: one item's
    lines of a log, not the tenant's whole log filtered. Not in the repr: a table without
    them keeps the fingerprint it had (services.projector.schema.fingerprint)."""

    def __post_init__(self) -> None:
        # Tables are keys of caches looked up on every pass: hash the fields once, not per lookup
        spec = (self.name, self.columns, self.key, self.kind, self.lookups)
        object.__setattr__(self, "_hash", hash(spec))

    def __hash__(self) -> int:
        return self._hash  # type: ignore[attr-defined, no-any-return]


class Projection(Protocol, Generic[S]):
    """A read model as a fold. Implementations are plain modules' objects, no I/O."""

    name: str
    tables: tuple[Table, ...]

    def initial(self) -> S:
        """The state of a tenant with no events."""
        ...

    def fold(self, state: S, record: Recorded) -> tuple[S, RowsByTable]:
        """The state after one event, and the log-table rows that event appends."""
        ...

    def rows(self, state: S) -> RowsByTable:
        """The full row set of this projection's state tables (without tenant_id)."""
        ...

    def encode_state(self, state: S) -> bytes:
        """Bytes to persist the state between batches (msgspec)."""
        ...

    def decode_state(self, data: bytes) -> S:
        """The state back from encode_state's bytes."""
        ...


class ChangedRows(Protocol[S_in]):
    """What a projection offers when it can tell the rows a batch may have changed."""

    def changed_rows(self, before: S_in, after: S_in) -> RowsByTable | None:
        """Rows of `after` (state tables) holding every row that differs from rows(`before`),
        and maybe some that do not; no row of rows(`before`) may be gone. None: use rows."""
        ...


class Follows(Protocol[S_in]):
    """What a projection offers when its state is another projection's (`follows`, by name):
    the same initial state, and after every event the state that projection's fold gives.
    A driver folding both over the same events, from one state, then folds the leader alone
    and hands this one the states before and after each event; it may also share the
    state object. A wrapper of such a projection (to count, to fail) wraps `follow` too,
    or its class has none and it is folded like any other."""

    follows: str

    def follow(self, before: S_in, after: S_in, record: Recorded) -> RowsByTable:
        """The log rows `record` appends, `before` and `after` being the leader's states."""
        ...


def replay(projection: Projection[S], records: Iterable[Recorded], state: S | None = None) -> S:
    """Fold records into a state, discarding appended rows (as-of replays, verification)."""
    current = projection.initial() if state is None else state
    for record in records:
        current, _ = projection.fold(current, record)
    return current


def collect(
    projection: Projection[S], records: Iterable[Recorded], state: S | None = None
) -> tuple[S, dict[str, list[Row]]]:
    """Fold records into a state and gather the log rows they append, per table, in order.

    For in-memory log views (as-of history, tests); the projector writes rows as it folds.
    """
    current = projection.initial() if state is None else state
    appended: dict[str, list[Row]] = {}
    for record in records:
        current, rows = projection.fold(current, record)
        for table, table_rows in rows.items():
            appended.setdefault(table, []).extend(table_rows)
    return current, appended


def mark_failed_at(error: BaseException, position: int) -> None:
    """Note on an error the position of the event it came from, where it is not noted yet
    (an event that does not decode or fold: said where the tenant stops, see failed_at)."""
    if failed_at(error) is None:
        error.okr_position = position  # type: ignore[attr-defined]


def failed_at(error: BaseException) -> int | None:
    """The position mark_failed_at noted on the error, if any."""
    position = getattr(error, "okr_position", None)
    return position if isinstance(position, int) else None
