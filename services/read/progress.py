"""Progress, portfolio and time travel."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import UTC, date, datetime, tzinfo
from functools import partial
from typing import cast
from uuid import UUID

import asyncpg
from eventsourcing.persistence import StoredEvent
from msgspec.structs import replace

from domain.settings import CADENCE, NAME, SettingsChange
from projections import rollup
from projections.base import Recorded, failed_at
from projections.portfolio import PortfolioFacts, PortfolioRow, portfolio_of_rows
from projections.progress import ITEMS, TENANT_ITEM, progress_projection, state_of_items
from projections.progress_fold import progress_fold
from projections.progress_state import CycleView, ProgressView
from projections.progress_tree import DEFAULT_CADENCE_DAYS, ProgressTree
from projections.progress_tree import progress_tree as tree_of
from projections.rollup import KeyResultDays
from projections.timetravel import Change
from projections.timetravel import diff as diff_states
from services import instants
from services.db import admit_sql, tenant_transaction, transaction_with
from services.projector.decode import decode
from services.projector.schema import share_lock_sql, states_table
from services.read.logs import item_in_log
from services.store.event_store import MAX_POSITION, read_log_on
from services.store.fold_states import FoldStates, Kept
from services.store.repository import Repository
from tenants.directory import get_tenant
from tenants.errors import UnknownTenantError

_BATCH = 5000


async def progress_state(pool: asyncpg.Pool, tenant_id: UUID) -> ProgressView:
    """The tenant's progress read model as the projector last committed it."""
    async with tenant_transaction(pool, [tenant_id]) as conn:
        rows = await conn.fetch(
            f"SELECT kind, state FROM {ITEMS} WHERE tenant_id = $1 ORDER BY rank", tenant_id
        )
    return state_of_items(rows)


async def item_progress(pool: asyncpg.Pool, tenant_id: UUID, item_id: UUID) -> ProgressView:
    """The progress state of one item, with the tenant's cycles and position, as the
    projector last committed them (one statement: one snapshot): what a chart needs, not
    every objective, key result and KPI of the tenant decoded."""
    async with tenant_transaction(pool, [tenant_id]) as conn:
        rows = await conn.fetch(_ITEMS_OF, tenant_id, [item_id, TENANT_ITEM], True)
    return state_of_items(_ranked(rows))


async def key_result_state(
    pool: asyncpg.Pool, tenant_id: UUID, key_result_id: UUID
) -> ProgressView:
    """The progress state of one key result with its objective, its KPI and the tenant's
    cycles, as the projector last committed them: what its page needs, not every item of
    the tenant decoded (a page of a tenant of 200 key results spent 90 % of its time so).
    No key result in it, if there is none of that id."""
    async with tenant_transaction(pool, [tenant_id]) as conn:
        rows = await conn.fetch(_ITEMS_OF, tenant_id, [key_result_id, TENANT_ITEM], True)
        kr = state_of_items(_ranked(rows)).key_results.get(key_result_id)
        if kr is not None:
            related = [i for i in (kr.objective_id, kr.kpi_id) if i is not None]
            rows += await conn.fetch(_ITEMS_OF, tenant_id, related, False)
    return state_of_items(_ranked(rows))


_ITEMS_OF = (
    f"SELECT kind, state, rank FROM {ITEMS} WHERE tenant_id = $1"
    " AND (item_id = ANY ($2::uuid[]) OR ($3 AND kind = 'cycle'))"
)
"""These items of a tenant ($2), and its cycles if $3."""


def _ranked(rows: list[asyncpg.Record]) -> list[tuple[str, bytes]]:
    return [(r["kind"], r["state"]) for r in sorted(rows, key=lambda r: r["rank"])]


async def cadence_days(pool: asyncpg.Pool, tenant_id: UUID) -> int:
    """The tenant's check-in cadence (staleness); the default for a tenant with a log but no
    directory entry (the CLI's demo)."""
    try:
        return (await get_tenant(pool, tenant_id)).check_in_cadence_days
    except UnknownTenantError:
        return DEFAULT_CADENCE_DAYS


Pick = Callable[[list[CycleView]], Collection[UUID]]
"""The cycles a view shows (a page of them), picked from all the tenant's, in its order."""


async def progress_tree(
    pool: asyncpg.Pool,
    tenant_id: UUID,
    *,
    today: date,
    cycle_id: UUID | None = None,
    pick: Pick | None = None,
    valid_at: date | None = None,
    cadence_days: int = DEFAULT_CADENCE_DAYS,
) -> ProgressTree:
    """Cycles -> objectives -> key results with progress, pace and status on `today`: of
    the cycle `cycle_id`, or of those `pick` picks, or of every one; only their key
    results read (picked_state)."""
    if pick is None:
        pick = partial(_of_cycle, cycle_id)
    state, picked = await picked_state(pool, tenant_id, pick)
    return tree_of(
        state, today=today, cycle_ids=picked, valid_at=valid_at, cadence_days=cadence_days
    )


def _of_cycle(cycle_id: UUID | None, cycles: list[CycleView]) -> list[UUID]:
    return [c.cycle_id for c in cycles if cycle_id is None or c.cycle_id == cycle_id]


async def picked_state(
    pool: asyncpg.Pool, tenant_id: UUID, pick: Pick
) -> tuple[ProgressView, list[UUID]]:
    """The progress state as the projector last committed it, with the key results of the
    cycles `pick` picks (and of their objectives) and no other, and those cycles: what
    their trees need (every cycle, objective and KPI is there, few and small), where every
    key result of the tenant was decoded with its check-ins (most of the time of a page of
    5 of 48 cycles). Every key result, where one sits in the tree of another
    cycle than its own (rollup.within_cycles), as the trees then need. One snapshot."""
    async with (
        pool.acquire() as conn,
        transaction_with(conn, f"{_REPEATABLE_READ}; {admit_sql([tenant_id])}; {_PAGE_LOCK}"),
    ):
        state = state_of_items(_ranked(await conn.fetch(_ALL_BUT_KEY_RESULTS, tenant_id)))
        picked = list(pick(list(state.cycles.values())))
        wanted = {c.int for c in picked}
        if len(wanted) < len(state.cycles):
            objectives = [
                o.objective_id for o in state.objectives.values() if o.cycle_id.int in wanted
            ]
            rows = await conn.fetch(_KEY_RESULTS_OF, tenant_id, picked, objectives)
            part = replace(state, key_results=state_of_items(_ranked(rows)).key_results)
            if rollup.within_cycles(part):
                return part, picked
        rows = await conn.fetch(_KEY_RESULTS, tenant_id)
        return replace(state, key_results=state_of_items(_ranked(rows)).key_results), picked


_REPEATABLE_READ = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"
_PAGE_LOCK = share_lock_sql([ITEMS, "rm_key_results"])
_ALL_BUT_KEY_RESULTS = (
    f"SELECT kind, state, rank FROM {ITEMS} WHERE tenant_id = $1 AND kind <> 'key_result'"
)
_KEY_RESULTS = f"SELECT kind, state, rank FROM {ITEMS} WHERE tenant_id = $1 AND kind = 'key_result'"
_KEY_RESULTS_OF = (
    f"{_KEY_RESULTS} AND item_id = ANY (ARRAY (SELECT key_result_id FROM rm_key_results"
    " WHERE tenant_id = $1 AND (cycle_id = ANY ($2::uuid[]) OR objective_id = ANY ($3::uuid[]))))"
)
"""The key results of these cycles ($2) or objectives ($3): rm_key_results, written with
the items in the projector's transaction, says each one's. Their ids found once, then
looked up in the items' key: as a join, the planner, unable to tell how many rows the
tenant's policy leaves, guessed one and walked every key result row for each item row
(140 ms for a tenant of 700)."""


async def tenant_records(
    repository: Repository,
    tenant_id: UUID,
    *,
    position: int | None = None,
    recorded_at: datetime | None = None,
) -> list[Recorded]:
    """The tenant's log decoded, up to a position and/or a recorded instant."""
    async with tenant_transaction(repository.store.pool, [tenant_id]) as conn:
        upto = await _cut(conn, tenant_id, position, recorded_at)
        return await _records(conn, repository, tenant_id, 0, upto)


class UnreadableLogError(RuntimeError):
    """An event of the tenant's log up to the point asked for does not decode or fold (a
    damaged row): the state there cannot be told. The projectors stop at it too."""

    def __init__(self, tenant_id: UUID, position: int | None, error: Exception) -> None:
        where = "at an unknown position" if position is None else f"at position {position}"
        super().__init__(
            f"the log of tenant {tenant_id} cannot be read {where}"
            f" ({type(error).__name__}: {error}): `okr audit verify` checks it"
        )
        self.tenant_id, self.position = tenant_id, position


async def state_as_of(
    repository: Repository,
    tenant_id: UUID,
    *,
    position: int | None = None,
    recorded_at: datetime | None = None,
) -> ProgressView:
    """The progress state as the system knew it at a position and/or instant.

    From the latest state at or before that point that this process kept of the tenant's
    log (repository.fold_states: the states of the points asked for last; a diff's later
    state goes on from its earlier one) or that the progress projection stored while
    projecting (a checkpoint), then the events after it through the same fold: the same
    state a replay from the first event gives, without reading the whole log. The state
    reached is kept for the next.
    """
    kept = repository.fold_states
    async with tenant_transaction(repository.store.pool, [tenant_id]) as conn:
        upto = await _cut(conn, tenant_id, position, recorded_at)
        start = await _start(conn, kept, tenant_id, upto)
        records = []
        if start.position < upto:
            records = await _records(conn, repository, tenant_id, start.position, upto)
        first_change = None
        if start.state.cadence_days is None and not any(r.topic == _SETTINGS for r in records):
            # (a state that sets no cadence: the one the first change replaced, if any)
            first_change = await _first_settings_change(conn, repository, tenant_id)
    view: ProgressView = start.state
    for record in records:
        try:
            view = progress_fold(view, record)
        except Exception as error:  # the event's content: the fold itself is tested
            raise UnreadableLogError(tenant_id, record.position, error) from error
    kept.keep(tenant_id, AS_OF_FOLD, upto, view, start.origin)
    if first_change is not None:  # (made with its settings: the cadence it was made with)
        settings = first_change.before or first_change.after
        view = replace(view, cadence_days=int(settings[CADENCE]))
    return view


AS_OF_FOLD = f"{progress_projection.name} {progress_projection.version}"
"""Whose states repository.fold_states keeps for as-of replays: this version's progress fold."""


async def _start(conn: asyncpg.Connection, kept: FoldStates, tenant_id: UUID, upto: int) -> Kept:
    """The state to replay up to `upto` from: the latest at or before it that this process
    kept or the projection stored (see _CHECKPOINT), else the empty state. One kept that
    rests on a checkpoint (its origin) is used only while that checkpoint is the one it
    was: a rebuild writes them anew (mending one gone bad)."""
    found = kept.latest(tenant_id, AS_OF_FOLD, upto)
    if found is not None and not await _stands(conn, tenant_id, found.origin):
        kept.drop(tenant_id, AS_OF_FOLD, found.position)
        found = None
    found = found or Kept(0, progress_projection.initial(), None)
    if found.position < upto:
        row = await conn.fetchrow(_CHECKPOINT, tenant_id, found.position, upto)
        if row is not None:
            state = progress_projection.decode_state(row["state"])
            found = Kept(row["position"], state, (row["position"], row["writer"]))
    return found


_STATES = states_table(progress_projection)
_CHECKPOINT = (
    f"SELECT position, xmin::text::bigint AS writer, state FROM {_STATES} WHERE tenant_id = $1"
    " AND position <= $3 AND 7 * position > 8 * $2 ORDER BY position DESC LIMIT 1"
)
"""The tenant's latest progress checkpoint at or before $3, with the transaction that wrote
it, if it spares more than an eighth of its position past a state at $2: a checkpoint
decodes about 8 times faster an event it holds than the log replays one (20 ms for the
10,000 events of the bench's as-of tenant; 16 µs an event read, decoded and folded), and a
kept state a few events back is worth more than a checkpoint just ahead of it."""
_CHECKPOINT_WRITER = (
    f"SELECT xmin::text::bigint FROM {_STATES} WHERE tenant_id = $1 AND position = $2"
)


async def _stands(
    conn: asyncpg.Connection, tenant_id: UUID, origin: tuple[int, int] | None
) -> bool:
    """Whether the checkpoint a kept state rests on (position, the transaction that wrote
    it) is still the one it was, not written anew nor pruned since; None: it rests on none."""
    if origin is None:
        return True
    position, writer = origin
    return bool(await conn.fetchval(_CHECKPOINT_WRITER, tenant_id, position) == writer)


async def _first_settings_change(
    conn: asyncpg.Connection, repository: Repository, tenant_id: UUID
) -> SettingsChange.Created | None:
    """The first change of settings the tenant's log records: before it, its cadence was
    the one that change replaced (a state that has none yet is shown with that one, not
    with the directory's, which is the latest)."""
    row = await conn.fetchrow(_FIRST_SETTINGS_CHANGE, tenant_id)
    if row is None:
        return None
    mapper = await repository.mapper(tenant_id, conn)
    return cast(SettingsChange.Created, mapper.to_domain_event(StoredEvent(*row)))


async def name_as_of(repository: Repository, tenant_id: UUID, position: int) -> str | None:
    """The tenant's name as its log stood at `position`: the one its latest change of
    settings by then set, else the one its first change replaced (or was made with, as
    the cadence of then is found); None where its log has no change of settings (never
    changed: the directory's name is the one it had)."""
    async with tenant_transaction(repository.store.pool, [tenant_id]) as conn:
        row = await conn.fetchrow(_SETTINGS_CHANGE_BY, tenant_id, position)
        side = "after"
        if row is None:
            row, side = await conn.fetchrow(_FIRST_SETTINGS_CHANGE, tenant_id), "before"
        if row is None:
            return None
        mapper = await repository.mapper(tenant_id, conn)
    change = cast(SettingsChange.Created, mapper.to_domain_event(StoredEvent(*row)))
    settings = change.after if side == "after" else change.before or change.after
    return str(settings[NAME])


_SETTINGS = SettingsChange.Created.TOPIC
_FIRST_SETTINGS_CHANGE = (
    "SELECT stream_id, version, topic, state FROM events WHERE tenant_id = $1"
    f" AND topic = '{_SETTINGS}' ORDER BY position LIMIT 1"
)
_SETTINGS_CHANGE_BY = (
    "SELECT stream_id, version, topic, state FROM events WHERE tenant_id = $1"
    f" AND topic = '{_SETTINGS}' AND position <= $2 ORDER BY position DESC LIMIT 1"
)
"""An index lookup: events_settings_changes (migration 0011), whose predicate the topic must
match as written. As a parameter it did for five runs, then PostgreSQL's generic plan walked
the tenant's whole log (a prepared statement is kept per connection)."""


async def known_position(
    pool: asyncpg.Pool,
    tenant_id: UUID,
    *,
    position: int | None = None,
    recorded_at: datetime | None = None,
) -> int:
    """Where a view "as of" a position and/or an instant stands (see `_cut`)."""
    async with tenant_transaction(pool, [tenant_id]) as conn:
        return await _cut(conn, tenant_id, position, recorded_at)


CUT = (
    "WITH cut AS (SELECT position, recorded_at, correlation_id FROM events WHERE tenant_id = $1"
    " AND position <= (SELECT least($2, coalesce(okr_position_at($1, $3::timestamptz), $2)))"
    " AND ($3 IS NULL OR recorded_at <= $3) ORDER BY position DESC LIMIT 1)"
    " SELECT coalesce((SELECT e.position - 1 FROM events e, cut WHERE e.tenant_id = $1"
    " AND e.position > cut.position AND (e.recorded_at, e.correlation_id)"
    " IS DISTINCT FROM (cut.recorded_at, cut.correlation_id) ORDER BY e.position LIMIT 1),"
    " (SELECT e.position FROM events e, cut WHERE e.tenant_id = $1"
    " AND e.position >= cut.position ORDER BY e.position DESC LIMIT 1))"
)
"""The last position at or before $2 and the instant $3, and on to the last event the same
append wrote (they share their recorded_at and correlation id, okr_append): a command's
events commit together, so the log never stood between two of them, and a position among
them showed a state no one ever saw (a key result's new score, its objective's not yet: a
score change's two events). An instant's cut ends an append already (its events share
their stamp). The bound is a sub-select, found once and a condition of the key: under
row-level security a bound calling the function (not leakproof) is a filter of each row,
and it searched again for every row it walked."""


async def _cut(
    conn: asyncpg.Connection, tenant_id: UUID, position: int | None, recorded_at: datetime | None
) -> int:
    """The last position of the tenant's log at or before `position` and `recorded_at`
    (the log is in time order, migration 0009: an instant is a position, found by halving,
    0010; a log out of order is walked, stamps compared), on to the end of its append (see
    CUT), 0 for none; never past the head."""
    known = await conn.fetchval(
        CUT,
        tenant_id,
        MAX_POSITION if position is None else position,
        recorded_at,
    )
    return int(known or 0)


async def _records(
    conn: asyncpg.Connection, repository: Repository, tenant_id: UUID, after: int, upto: int
) -> list[Recorded]:
    records: list[Recorded] = []
    while True:
        stored = await read_log_on(conn, tenant_id, after, limit=_BATCH, upto=upto)
        try:
            records += await decode(repository, stored, conn)
        except Exception as error:
            if failed_at(error) is None:  # not a row that does not decode
                raise
            raise UnreadableLogError(tenant_id, failed_at(error), error) from error
        if len(stored) < _BATCH:
            return records
        after = stored[-1].position


async def progress_as_of(
    repository: Repository,
    tenant_id: UUID,
    *,
    today: date | None = None,
    position: int | None = None,
    recorded_at: datetime | None = None,
    valid_at: date | None = None,
    cycle_id: UUID | None = None,
    pick: Pick | None = None,
    cadence_days: int = DEFAULT_CADENCE_DAYS,
    zone: tzinfo = UTC,
) -> ProgressTree:
    """The tree as the system knew it at a position/instant, as it showed it then: pace,
    status and staleness on `today`, by default the instant's day (in its own offset) or,
    where a position cut the log before the instant (or before now, for a position alone),
    the day its event was recorded (the first the log stood there), in the tenant's `zone`;
    of the cycle `cycle_id`, or of those `pick` picks, or of every one."""
    state, today = await shown_as_of(
        repository, tenant_id, today=today, position=position, recorded_at=recorded_at, zone=zone
    )
    picked = None if pick is None else pick(list(state.cycles.values()))
    return tree_of(
        state, today=today, valid_at=valid_at, cycle_id=cycle_id, cycle_ids=picked,
        cadence_days=cadence_days,
    )  # fmt: skip


async def shown_as_of(
    repository: Repository,
    tenant_id: UUID,
    *,
    today: date | None = None,
    position: int | None = None,
    recorded_at: datetime | None = None,
    zone: tzinfo = UTC,
) -> tuple[ProgressView, date]:
    """The state as the system knew it at a position/instant, and the day it showed it on
    (`today`, else as progress_as_of says)."""
    state = await state_as_of(repository, tenant_id, position=position, recorded_at=recorded_at)
    if today is None:
        today = await _day_shown(repository, tenant_id, state, recorded_at, zone)
    return state, today


async def _day_shown(
    repository: Repository,
    tenant_id: UUID,
    state: ProgressView,
    recorded_at: datetime | None,
    zone: tzinfo,
) -> date:
    """The instant's day (today in `zone` without one), if the log stood at the state's
    position then; else (a position asked for cut it earlier) the day its last event was
    recorded in `zone`, whatever its kind."""
    then = recorded_at or instants.now().astimezone(zone)
    if recorded_at is None:
        stood = await repository.store.head(tenant_id)
    else:
        stood = await known_position(repository.store.pool, tenant_id, recorded_at=recorded_at)
    if state.last_position >= stood or not state.last_position:
        return then.date()
    async with tenant_transaction(repository.store.pool, [tenant_id]) as conn:
        last = await conn.fetchval(  # (not last_activity: a change of settings or access
            "SELECT recorded_at FROM events WHERE tenant_id = $1 AND position = $2",  # is not
            tenant_id, state.last_position,  # activity, and is an event of the log)
        )  # fmt: skip
    return then.date() if last is None else last.astimezone(zone).date()


class CycleNotMadeError(LookupError):
    """A diff of one cycle the tenant's log had not made by the diff's `to`: made later
    (`later`), or never (a mistyped id, another tenant's). The API, okr diff and the
    portal each say which, in the same words (they said three different things)."""

    def __init__(self, cycle_id: UUID, *, later: bool) -> None:
        made = "was made after the diff's end" if later else "was never made in the tenant"
        super().__init__(f"cycle {cycle_id} {made}")
        self.cycle_id, self.later = cycle_id, later


async def cycle_made_by(
    repository: Repository, tenant_id: UUID, cycle_id: UUID, state_to: ProgressView
) -> None:
    """CycleNotMadeError unless `state_to`, a diff's later side, has the cycle."""
    if cycle_id not in state_to.cycles:
        later = await item_in_log(repository.store.pool, tenant_id, cycle_id, cycle=True)
        raise CycleNotMadeError(cycle_id, later=later)


async def diff(
    repository: Repository,
    tenant_id: UUID,
    *,
    since: datetime,
    until: datetime,
    cycle_id: UUID | None = None,
    asked: bool = True,
) -> list[Change]:
    """What changed between two recorded instants, per cycle, objective, key result and KPI;
    with `cycle_id`, of that cycle and the KPIs only, each item placed in its cycle by the
    log's two states themselves (the read model may not hold an item made a moment ago):
    CycleNotMadeError for a cycle the log had not made by `until`, unless not `asked` (a
    page's own pick: its KPIs' changes alone then)."""
    before = await state_as_of(repository, tenant_id, recorded_at=since)
    after = await state_as_of(repository, tenant_id, recorded_at=until)
    if cycle_id is not None and asked:
        await cycle_made_by(repository, tenant_id, cycle_id, after)
    return diff_states(
        before, after, today_from=since.date(), today_to=until.date(), cycle_id=cycle_id
    )


async def portfolio(
    pool: asyncpg.Pool,
    tenant_ids: Iterable[UUID],
    *,
    today: date | Mapping[UUID, date],
    cadence_days: Mapping[UUID, int] | None = None,
) -> dict[UUID, PortfolioRow]:
    """Each tenant's summary on `today` (one day for all, or each tenant's own: its today
    in its time zone), a consultancy's clients, from the read model's
    rows, in one snapshot: its facts, the stored days of its live key results of active
    cycles, its live KPIs' latest days. Not its state: decoding every item of every client
    (their check-ins, past cycles' too) took most of a 300-client portfolio's second."""
    ids = list(tenant_ids)
    if not ids:
        return {}
    async with tenant_transaction(pool, ids) as conn:
        await conn.execute(f"{_REPEATABLE_READ}; {_NO_NESTED_LOOPS}; {_PORTFOLIO_LOCK}")
        facts = await conn.fetch(_PORTFOLIO_FACTS, ids)
        tenants = await conn.fetch(_TENANT_FACTS, ids, TENANT_ITEM)
        key_results = await conn.fetch(_LIVE_KEY_RESULTS, ids)
        kpis = await conn.fetch(_LIVE_KPIS, ids)
    fact_of = {r["tenant_id"]: PortfolioFacts(*list(r)[1:]) for r in facts}
    set_cadence = {
        r["tenant_id"]: state_of_items([(r["kind"], r["state"])]).cadence_days for r in tenants
    }
    days: dict[UUID, list[KeyResultDays]] = {tenant_id: [] for tenant_id in ids}
    for r in key_results:
        days[r["tenant_id"]].append(KeyResultDays(*list(r)[1:]))
    measured: dict[UUID, list[tuple[date | None, date | None]]] = {t: [] for t in ids}
    for r in kpis:
        measured[r["tenant_id"]].append((r["latest_on"], r["stale_after"]))
    given = cadence_days or {}

    def cadence(tenant_id: UUID) -> int:  # the log's, else the directory's (cadence_of)
        found = set_cadence.get(tenant_id)
        return given.get(tenant_id, DEFAULT_CADENCE_DAYS) if found is None else found

    def day(tenant_id: UUID) -> date:
        return today if isinstance(today, date) else today[tenant_id]

    return {
        tenant_id: portfolio_of_rows(
            fact_of.get(tenant_id),
            days[tenant_id],
            measured[tenant_id],
            day(tenant_id),
            cadence(tenant_id),
        )
        for tenant_id in ids
    }


_PORTFOLIO_FACTS = (
    f"SELECT tenant_id, {', '.join(PortfolioFacts.__struct_fields__)} FROM rm_portfolio"
    " WHERE tenant_id = ANY($1)"
)
_TENANT_FACTS = (
    f"SELECT tenant_id, kind, state FROM {ITEMS} WHERE tenant_id = ANY($1) AND item_id = $2"
)
_LIVE_KEY_RESULTS = (
    f"SELECT k.tenant_id, {', '.join(f'k.{f}' for f in KeyResultDays.__struct_fields__)}"
    " FROM rm_key_results k JOIN rm_cycles c ON c.tenant_id = k.tenant_id"
    " AND c.cycle_id = k.cycle_id LEFT JOIN rm_objectives o ON o.tenant_id = k.tenant_id"
    " AND o.objective_id = k.objective_id WHERE k.tenant_id = ANY($1) AND c.state = 'active'"
    " AND NOT k.archived AND NOT coalesce(o.archived, false)"
)
_NO_NESTED_LOOPS = "SET LOCAL enable_nestloop = off"
"""For the joins of _LIVE_KEY_RESULTS: the planner cannot tell how many rows the policy's
array of every client leaves, guesses a few, and joins in nested loops, each turn matching
that array again (every active cycle against every key result: 441,729 pairs, or each key
result's objective looked up in its key): 36-80 ms for a consultancy of 200 clients, 200
ms and more on tables not yet analyzed; in hashes, 3-4 ms, whatever it guesses."""
_PORTFOLIO_LOCK = share_lock_sql(
    ["rm_portfolio", ITEMS, "rm_key_results", "rm_cycles", "rm_objectives", "rm_kpis"]
)
_LIVE_KPIS = (
    "SELECT tenant_id, latest_on, stale_after FROM rm_kpis"
    " WHERE tenant_id = ANY($1) AND NOT archived"
)
