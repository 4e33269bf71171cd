"""What every command handler shares: who acts, loading by kind, saving, retrying."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import asyncpg
from eventsourcing.domain import Aggregate

from domain.cycle import Cycle
from domain.errors import (
    DomainError,
    DuplicateIdError,
    InvalidValueError,
    UnknownCycleError,
    UnknownObjectiveError,
)
from domain.key_result import KeyResult
from domain.objective import Objective
from projections.progress import TENANT_ITEM, progress_projection
from services.db import admit_sql, tenant_transaction
from services.projector.schema import positions_table
from services.store.event_store import ConcurrencyError
from services.store.repository import AggregateNotFoundError, Repository, transaction
from tenants.directory import get_tenant
from tenants.errors import UnknownTenantError

A = TypeVar("A", bound=Aggregate)
T = TypeVar("T")

MAX_ATTEMPTS = 30
Recorded = tuple[T, Aggregate | None]
"""What a change of the directory hands back, and the aggregate its log records (None:
nothing changed, nothing is recorded)."""


@dataclass(frozen=True)
class Context:
    """Who runs a command, for which tenant, under which grants."""

    tenant_id: UUID
    actor: str
    """"user:<uuid>", "key:<uuid>", "system:<what>" — stored on every event row."""
    grants: tuple[UUID, ...] | None = None
    """The principal's tenant grants for row-level security; None: just tenant_id."""
    correlation_id: UUID = field(default_factory=uuid4)
    imported_at: datetime | None = None
    """Set only by an import of history: the instant the change really happened."""


def now() -> datetime:
    """The commands' clock: what "today" is for a value's date (see Commands.today)."""
    return datetime.now(UTC)


async def tenant_zone(pool: asyncpg.Pool, tenant_id: UUID) -> ZoneInfo:
    """The tenant's time zone, where its days begin; UTC for a log with no directory entry
    (the CLI's demo)."""
    try:
        return (await get_tenant(pool, tenant_id)).zone
    except UnknownTenantError:
        return ZoneInfo("UTC")


@dataclass(frozen=True)
class Written:
    """What a command wrote: the tenant positions, the item and its new stream version."""

    item_id: UUID
    version: int
    positions: list[int]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def position(self) -> int:
        """The last tenant position written (0 when the command changed nothing)."""
        return self.positions[-1] if self.positions else 0


class VersionMismatchError(Exception):
    """The caller's If-Match version is not the item's current version."""

    def __init__(self, item_id: UUID, expected: int, actual: int) -> None:
        self.item_id, self.expected, self.actual = item_id, expected, actual
        super().__init__(f"item {item_id} is at version {actual}, not {expected}")


class ChangedMeanwhileError(DomainError):
    """What the caller was shown of a field is not what it is now: another change came
    first (a form left open while the view it was made from lagged, or another tab)."""

    default_rule = "changed_meanwhile"

    def __init__(self, field: str, now: object) -> None:
        super().__init__(f"{field} is {now} now: another change came first", field=field)
        self.now = now


def refuse_reserved_id(ctx: Context, made: Aggregate) -> None:
    """Refuse (422 `reserved_id` naming `id`) an item made with an id the tenant keeps for
    itself: the nil UUID, its read model's row of tenant-wide facts (TENANT_ITEM: a KPI of
    that id made the projector fail on the tenant at every pass, two rows of one key), or
    the tenant's own id, its history's lines of settings and access."""
    if made.id in (TENANT_ITEM, ctx.tenant_id):
        raise InvalidValueError(
            f"id {made.id} is kept for the tenant itself: give another id, or none",
            field="id", rule="reserved_id",
        )  # fmt: skip


class Commands:
    """Base of the command groups: load, check version, save."""

    def __init__(self, repository: Repository) -> None:
        self.repository = repository

    async def load(
        self, ctx: Context, item_id: UUID, kind: type[A], missing: type[DomainError], field: str
    ) -> A:
        """The aggregate of this kind, or the named domain error for an unknown id."""
        try:
            aggregate: A = await self.repository.get(
                ctx.tenant_id, item_id, grants=ctx.grants, kind=kind
            )
        except AggregateNotFoundError:
            what = field.removesuffix("_id").replace("_", " ")
            raise missing(f"no such {what}", field=field) from None
        return aggregate

    async def made_for(self, ctx: Context, kind: type[A], field: str, owner_id: UUID) -> list[UUID]:
        """The ids of every objective or key result (`kind`) made for this objective or
        cycle (`field`, "objective_id" or "cycle_id", which never changes): those the
        progress read model holds, and those the log made after the position it holds
        them at. Exact however far the read model lags: its rows and its position are
        committed together (a rebuild swaps them together) and read here in one
        statement, one snapshot; the log after that position is read whole. Where every
        item of the tenant was loaded, one after another, to find them (0.3-0.8 s in a
        tenant of 700 key results)."""
        table, key = _HELD[kind]
        held_for = _HELD_FOR.format(table=table, key=key, field=field)
        async with tenant_transaction(self.repository.store.pool, [ctx.tenant_id]) as conn:
            held = await conn.fetchrow(held_for, ctx.tenant_id, owner_id)
            made = await self.repository.events_on(
                conn, ctx.tenant_id, [kind.Created], after=held["position"]
            )
        later = [e.originator_id for e in made if getattr(e, field) == owner_id]
        return list(dict.fromkeys([*held["ids"], *later]))

    async def today(self, ctx: Context) -> date:
        """The tenant's day as this command runs (the imported instant's, for an import):
        the day a value given without one is of, and the last a value may be of (a later
        one is still to come where its days begin, whatever day has begun elsewhere)."""
        zone = await tenant_zone(self.repository.store.pool, ctx.tenant_id)
        return (ctx.imported_at or now()).astimezone(zone).date()

    async def objective_of(self, ctx: Context, kr: KeyResult) -> Objective:
        """The objective the key result measures (archived: the key result is retired too)."""
        return await self.load(
            ctx, kr.objective_id, Objective, UnknownObjectiveError, "objective_id"
        )

    async def cycle(self, ctx: Context, cycle_id: UUID) -> Cycle:
        """The cycle an item belongs to (its state decides what may still change); one
        discarded is no cycle any more (UnknownCycleError, as an id never used)."""
        cycle = await self.load(ctx, cycle_id, Cycle, UnknownCycleError, "cycle_id")
        if cycle.is_discarded:
            raise UnknownCycleError("no such cycle", field="cycle_id")
        return cycle

    async def save(
        self,
        ctx: Context,
        *aggregates: Aggregate,
        conn: asyncpg.Connection | None = None,
        unchanged: Mapping[UUID, int] | None = None,
    ) -> list[int]:
        """Append the command's events: one transaction, one round trip (on `conn`: in the
        transaction it is in, see Repository.save; `unchanged`: items read, not written, at
        the versions what it writes rests on, else ConcurrencyError, see Repository.save)."""
        return await self.repository.save(
            ctx.tenant_id,
            *aggregates,
            actor=ctx.actor,
            correlation_id=ctx.correlation_id,
            grants=ctx.grants,
            imported_at=ctx.imported_at,
            conn=conn,
            unchanged=unchanged,
        )

    async def save_new(self, ctx: Context, made: Aggregate, *changed: Aggregate) -> list[int]:
        """Save an item just made (and what its making `changed`): an id the caller chose
        that an item of the tenant already has, or that a rival took meanwhile, is refused
        as DuplicateIdError naming `id` (409), not as a concurrent write to reload; one the
        tenant keeps for itself, as refuse_reserved_id says."""
        refuse_reserved_id(ctx, made)
        try:
            return await self.save(ctx, made, *changed)
        except ConcurrencyError:
            await self.refuse_taken_id(ctx, made)
            raise

    async def refuse_taken_id(self, ctx: Context, made: Aggregate) -> None:
        """Raise DuplicateIdError (naming `id`, 409) when an item of the tenant has the id
        of the one just `made`: why its first append was refused."""
        if await self.repository.store.load_stream(ctx.tenant_id, made.id, grants=ctx.grants):
            raise DuplicateIdError(
                f"an item with id {made.id} exists already: give another id, or none",
                field="id",
            ) from None

    async def recorded(
        self, ctx: Context, change: Callable[[asyncpg.Connection], Awaitable[Recorded[T]]]
    ) -> tuple[T, int]:
        """Run a change of the directory in a transaction that admits the tenant, and save
        the aggregate it makes (None: nothing changed) in the same transaction: its result,
        and the position of what was saved (0: nothing). Projectors hear of it once it is
        committed."""
        async with transaction(self.repository.store.pool, admit_sql([ctx.tenant_id])) as conn:
            result, made = await change(conn)
            if made is None:
                return result, 0
            position = (await self.save(ctx, made, conn=conn))[-1]
        self.repository.appended(ctx.tenant_id, position)
        return result, position

    @staticmethod
    def check_shown(field: str, shown: object, now: object) -> None:
        """Refuse to change what the caller saw otherwise (None: it says not what it saw),
        checked on the item as loaded, so its save's concurrency check makes it sure."""
        if shown is not None and shown != now:
            raise ChangedMeanwhileError(field, now)

    @staticmethod
    def check_version(aggregate: Aggregate, expected: int | None) -> None:
        """If-Match: refuse to change an item the caller saw at another version."""
        if expected is not None and aggregate.version != expected:
            raise VersionMismatchError(aggregate.id, expected, aggregate.version)

    @staticmethod
    async def retrying(attempt: Callable[[], Awaitable[T]]) -> T:
        """Run a load-change-save attempt again when another writer got there first.

        Only for commands that stay valid whatever the concurrent change was (check-ins,
        measurements): the domain rules are checked again on the fresh state each time.
        """
        for tries in range(1, MAX_ATTEMPTS):
            try:
                return await attempt()
            except ConcurrencyError:
                await asyncio.sleep(random.uniform(0, 0.002 * tries))  # de-synchronise rivals
        return await attempt()


_HELD = {
    KeyResult: ("rm_key_results", "key_result_id"),
    Objective: ("rm_objectives", "objective_id"),
}
_HELD_FOR = (
    "SELECT coalesce((SELECT position FROM"
    f" {positions_table(progress_projection)} WHERE tenant_id = $1), 0) AS position,"
    " array(SELECT {key} FROM {table} WHERE tenant_id = $1 AND {field} = $2 ORDER BY {key}) AS ids"
)
"""The progress read model's items of a kind made for an objective or a cycle ($2), and
the log position it holds them at (0: none yet)."""
