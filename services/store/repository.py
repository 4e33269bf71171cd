"""The async repository: aggregates in and out of a tenant's log.

`get` rebuilds an aggregate from its latest snapshot and the events after it (optionally
as it stood at a past tenant position), `get_many` several in one round trip; `save`
appends the pending events of one command and returns the positions written.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar, cast
from uuid import UUID, uuid4

import asyncpg
import msgspec
import structlog
from eventsourcing.cryptography import AESCipher
from eventsourcing.domain import Aggregate, Snapshot
from eventsourcing.persistence import Mapper
from eventsourcing.utils import Environment

from services.db import CONNECTION_LOST, tenant_transaction, transaction_with
from services.settings import Settings
from services.store.event_store import (
    MAX_POSITION,
    Appended,
    EventStore,
    StreamRows,
    check_unchanged_on,
    topic_events_on,
)
from services.store.fold_states import FoldStates
from services.store.transcoder import MsgspecTranscoder

log = structlog.get_logger("okr.store")

A = TypeVar("A", bound=Aggregate)
E = TypeVar("E")
_KEYS_SQL = (
    "SELECT tenant_id, cipher_key FROM tenant_keys WHERE tenant_id = ANY($1::uuid[])"
    " UNION ALL SELECT tenant_id, NULL FROM tenant_heads WHERE tenant_id = ANY($1::uuid[])"
)
"""Each of these tenants' key, if it has one, and a row of no key for each whose log has
begun (its head row is written by its first append: a key given at its making is stored
in that transaction; one statement, so one snapshot sees both or neither)."""
_GIVE_KEY_SQL = (
    "INSERT INTO tenant_keys (tenant_id, cipher_key) SELECT $1, $2"
    " WHERE NOT EXISTS (SELECT FROM tenant_heads WHERE tenant_id = $1)"
    " ON CONFLICT (tenant_id) DO NOTHING"
)


@dataclass
class Joined:
    """A transaction that a request's appends join (Repository.save), committed by whoever
    opened it, with what it appended: the idempotency middleware commits a keyed write's
    events and its answer together (a crash between the two, as they were, left the events
    without the answer, and the retry wrote them again).

    Its connection is taken at the first append, not before: a request holds one connection
    at a time (its loads are done by then), so requests that fill the pool cannot all wait
    for another (see savepoint)."""

    pool: asyncpg.Pool
    setup: str
    """What its transaction runs first (admitting the tenant to row-level security)."""
    heads: dict[UUID, int] = field(default_factory=dict)
    """The last position appended to each tenant's log: projectors are told once committed."""
    afterwards: list[Callable[[], Awaitable[object]]] = field(default_factory=list)
    """What waits for its commit (a page's wait until a view shows what it wrote): run by
    whoever commits it, once committed and the projectors told."""
    _conn: asyncpg.Connection | None = None
    _transaction: Any = None

    async def connection(self) -> asyncpg.Connection:
        """Its connection, in its transaction (begun now, if not yet)."""
        if self._conn is None:
            conn = await self.pool.acquire()
            try:
                transaction = conn.transaction()
                await transaction.start()
                if self.setup:
                    await conn.execute(self.setup)
            except BaseException:
                await self.pool.release(conn)
                raise
            self._conn, self._transaction = conn, transaction
        return self._conn

    @property
    def holds(self) -> bool:
        """Whether it holds a connection (something may be written in it)."""
        return self._conn is not None

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[asyncpg.Connection]:
        """Its connection, in a savepoint: what fails in the block is undone alone. Where
        nothing came before it, the connection is given back too, so that the command can
        reload and retry holding none."""
        held = self.holds
        conn = await self.connection()
        try:
            async with conn.transaction():
                yield conn
        except asyncpg.InterfaceError as error:
            if not held:
                await self.end(commit=False)
            lost = error.__context__
            if isinstance(lost, CONNECTION_LOST):  # the savepoint's rollback, on the closed
                raise lost from None  # connection, said so in place of the loss: a 500
            raise
        except BaseException:
            if not held:
                await self.end(commit=False)
            raise

    async def end(self, *, commit: bool) -> None:
        """Commit (or roll back) what it holds, and give its connection back."""
        conn, transaction, self._conn, self._transaction = self._conn, self._transaction, None, None
        if conn is None:
            return
        try:
            if commit:
                try:
                    await transaction.commit()
                except asyncpg.InterfaceError as error:  # on a connection lost meanwhile
                    if conn.is_closed():
                        raise asyncpg.ConnectionDoesNotExistError(str(error)) from error
                    raise
            else:
                with suppress(Exception):  # a lost connection: the server rolls back itself
                    await transaction.rollback()
        finally:
            await self.pool.release(conn)


JOINED: ContextVar[Joined | None] = ContextVar("okr_joined_transaction", default=None)


@asynccontextmanager
async def transaction(pool: asyncpg.Pool, setup: str) -> AsyncIterator[asyncpg.Connection]:
    """A transaction for a change of the directory and the event that records it: the
    request's JOINED one, in a savepoint, when there is one (the idempotency middleware
    commits it with the answer); else one of its own, begun with `setup` (admitting the
    tenants) and committed when the block ends. Projectors are told through `appended`."""
    joined = JOINED.get()
    if joined is None:
        async with pool.acquire() as conn, transaction_with(conn, setup):
            yield conn
        return
    async with joined.savepoint() as conn:
        await conn.execute(setup)  # (SET LOCAL: undone with the savepoint, if it is)
        yield conn


class AggregateNotFoundError(LookupError):
    """No stream with this id in this tenant (at that position)."""

    def __init__(self, tenant_id: UUID, aggregate_id: UUID) -> None:
        self.tenant_id = tenant_id
        self.aggregate_id = aggregate_id
        super().__init__(f"no aggregate {aggregate_id} in tenant {tenant_id}")


def _fold(
    tenant_id: UUID,
    aggregate_id: UUID,
    rows: StreamRows,
    mapper: Mapper[UUID],
    kind: type | None,
) -> Any:
    """The aggregate of one loaded stream (AggregateNotFoundError: none, or not of `kind`)."""
    aggregate: Any = None
    if rows.snapshot is not None:
        aggregate = cast(Any, mapper.to_domain_event(rows.snapshot)).mutate(None)
    for stored in rows.events:
        aggregate = cast(Any, mapper.to_domain_event(stored)).mutate(aggregate)
    if aggregate is None:
        raise AggregateNotFoundError(tenant_id, aggregate_id)
    if kind is not None and not isinstance(aggregate, kind):
        raise AggregateNotFoundError(tenant_id, aggregate_id)
    return aggregate


class KeyedLaterCipher(AESCipher):
    """A tenant's cipher that also reads events stored before the tenant had its key (a
    tenant made encrypted has none: `give_key`, in the transaction that makes it; the
    tests' `enable_cipher` gives one later). A state that does not decrypt is taken as
    stored when it is a MessagePack map, as a stored state is; any other (a wrong key,
    damaged bytes) fails as a state that does not decrypt."""

    def decrypt(self, ciphertext: bytes) -> bytes:
        try:
            return super().decrypt(ciphertext)
        except ValueError:
            try:  # a stored state: a map with its timestamp (random bytes: never)
                state = msgspec.msgpack.decode(ciphertext)
                plain = isinstance(state, dict) and "timestamp" in state
            except Exception:  # any failure to decode: not a stored state
                plain = False
            if not plain:
                raise
            return ciphertext


class Repository:
    """Loads and saves aggregates of any tenant through one EventStore."""

    def __init__(
        self,
        store: EventStore,
        *,
        snapshot_every: int = Settings.snapshot_every,
        snapshot_intervals: Mapping[type, int] | None = None,
    ) -> None:
        self.store = store
        self.snapshot_every = snapshot_every
        """Snapshot a stream each time its version crosses a multiple of this (0: never)."""
        self.snapshot_intervals = dict(snapshot_intervals or {})
        """Another interval for aggregates of these kinds (while snapshots are taken at all)."""
        self._transcoder = MsgspecTranscoder()
        self._plain: Mapper[UUID] = Mapper(self._transcoder)
        self._mappers: dict[UUID, Mapper[UUID]] = {}
        self.fold_states = FoldStates()
        """The fold states of the positions "as of" views replayed last, per tenant."""

    async def mapper(self, tenant_id: UUID, conn: asyncpg.Connection | None = None) -> Mapper[UUID]:
        """The tenant's mapper: with its AES cipher when the tenant has a key.

        A caller inside a transaction that admits the tenant passes its connection, so the
        key lookup never needs a second one from the pool. A tenant with no key whose log
        has not begun gets the plain mapper, not kept (see load_mappers).
        """
        mapper = self._mappers.get(tenant_id)
        if mapper is None:
            if conn is None:
                async with tenant_transaction(self.store.pool, [tenant_id]) as own:
                    await self.load_mappers([tenant_id], own)
            else:
                await self.load_mappers([tenant_id], conn)
            mapper = self._mappers.get(tenant_id, self._plain)
        return mapper

    async def load_mappers(self, tenant_ids: Sequence[UUID], conn: asyncpg.Connection) -> None:
        """Make the mappers of these tenants not known yet, with one query for their keys
        (inside a transaction of `conn` that admits them): a projector pass of many tenants
        looks their keys up once, not once per tenant.

        Kept: a tenant's with a key (its key never changes), and a plain one once its log
        has begun (a key is given only in the transaction of its first append: give_key).
        A tenant with neither is looked up again next time: an id looked up before it was
        a tenant's (a client's own id for its new tenant) is never mapped plain for good,
        should it then be made encrypted."""
        missing = [t for t in tenant_ids if t not in self._mappers]
        if not missing:
            return
        keys: dict[UUID, str | None] = {}
        for tenant_id, key in await conn.fetch(_KEYS_SQL, missing):
            keys[tenant_id] = keys.get(tenant_id) or key
        for tenant_id, key in keys.items():
            cipher = KeyedLaterCipher(Environment(env={AESCipher.CIPHER_KEY: key})) if key else None
            self._mappers[tenant_id] = (
                Mapper(self._transcoder, cipher=cipher) if cipher else self._plain
            )

    def forget(self, tenant_id: UUID) -> None:
        """Drop the tenant's mapper, its cipher key and its fold states (an erased tenant;
        an id about to be made a tenant's, see give_key)."""
        self._mappers.pop(tenant_id, None)
        self.fold_states.forget(tenant_id)

    async def give_key(self, conn: asyncpg.Connection, tenant_id: UUID) -> bool:
        """Give a tenant being made its own AES-256 key, in the caller's transaction (it
        admits the tenant), before its first append in that transaction: every event of
        its log is stored encrypted, and no process ever maps it without its key. False,
        and no key given, when its log has begun (or it has a key): its first events
        were stored without this one. The caller drops what this process kept of the id
        first (forget): a making rolled back after its append kept its key, not stored."""
        done: str = await conn.execute(_GIVE_KEY_SQL, tenant_id, AESCipher.create_key(32))
        return done.endswith(" 1")

    async def enable_cipher(self, tenant_id: UUID) -> None:
        """Give a tenant its own AES-256 key: its events from now on are stored encrypted.

        For tests of logs begun before their key (KeyedLaterCipher): only this process
        drops its plain mapper; another (an API worker, a projector) keeps mapping the
        tenant plain, writing plain and failing to read what is encrypted, until it
        restarts. The product gives a key only as a tenant is made (give_key)."""
        async with tenant_transaction(self.store.pool, [tenant_id]) as conn:
            await conn.execute(
                "INSERT INTO tenant_keys (tenant_id, cipher_key) VALUES ($1, $2)"
                " ON CONFLICT (tenant_id) DO NOTHING",
                tenant_id,
                AESCipher.create_key(32),
            )
        self._mappers.pop(tenant_id, None)

    async def get(
        self,
        tenant_id: UUID,
        aggregate_id: UUID,
        *,
        at_position: int | None = None,
        grants: Iterable[UUID] | None = None,
        kind: type[A] | None = None,
        conn: asyncpg.Connection | None = None,
    ) -> Any:
        """The aggregate as it is now, or as it stood at tenant position `at_position` (on
        `conn`: read in the transaction it is in)."""
        rows = await self.store.load_stream(
            tenant_id, aggregate_id, max_position=at_position, grants=grants, conn=conn
        )
        return _fold(tenant_id, aggregate_id, rows, await self.mapper(tenant_id, conn), kind)

    async def get_many(
        self,
        tenant_id: UUID,
        aggregate_ids: Sequence[UUID],
        kinds: Sequence[type],
        *,
        grants: Iterable[UUID] | None = None,
    ) -> list[Any]:
        """`get` of each of these aggregates, each of its kind, in one round trip.

        AggregateNotFoundError names the first one missing, in the order given.
        """
        streams = await self.store.load_streams(tenant_id, aggregate_ids, grants=grants)
        mapper = await self.mapper(tenant_id)
        return [
            _fold(tenant_id, aggregate_id, rows, mapper, kind)
            for aggregate_id, rows, kind in zip(aggregate_ids, streams, kinds, strict=True)
        ]

    async def events_of(
        self,
        tenant_id: UUID,
        aggregate_id: UUID,
        kind: type[E],
        *,
        grants: Iterable[UUID] | None = None,
    ) -> list[E]:
        """Every event of this kind the aggregate ever had, oldest first (its snapshots
        keep its state, not what it went through: a KPI's links since undone)."""
        positioned = await self.positioned_events_of(tenant_id, aggregate_id, [kind], grants=grants)
        return [cast(E, event) for _, event in positioned]

    async def positioned_events_of(
        self,
        tenant_id: UUID,
        aggregate_id: UUID,
        kinds: Sequence[type],
        *,
        grants: Iterable[UUID] | None = None,
        conn: asyncpg.Connection | None = None,
    ) -> list[tuple[int, Any]]:
        """Every event of these kinds the aggregate ever had, oldest first, each with its
        position in the tenant's log (events_of, to be ordered among another's; on `conn`:
        read in the transaction it is in, which admits the tenant)."""
        topics = [getattr(kind, "TOPIC") for kind in kinds]  # noqa: B009 - their own topics
        stored = await self.store.positioned_stream_events(
            tenant_id, aggregate_id, topics, grants, conn=conn
        )
        mapper = await self.mapper(tenant_id, conn)
        return [(position, mapper.to_domain_event(event)) for position, event in stored]

    async def events_on(
        self,
        conn: asyncpg.Connection,
        tenant_id: UUID,
        kinds: Sequence[type],
        *,
        after: int = 0,
        upto: int = MAX_POSITION,
    ) -> list[Any]:
        """Every event of these kinds in the tenant's log with position in (after, upto],
        in log order, read in the caller's transaction (it admits the tenant)."""
        topics = [getattr(kind, "TOPIC") for kind in kinds]  # noqa: B009 - their own topics
        stored = await topic_events_on(conn, tenant_id, topics, after=after, upto=upto)
        mapper = await self.mapper(tenant_id, conn)
        return [mapper.to_domain_event(event) for event in stored]

    async def save(
        self,
        tenant_id: UUID,
        *aggregates: Aggregate,
        actor: str,
        correlation_id: UUID | None = None,
        grants: Iterable[UUID] | None = None,
        imported_at: datetime | None = None,
        conn: asyncpg.Connection | None = None,
        unchanged: Mapping[UUID, int] | None = None,
    ) -> list[int]:
        """Append the pending events of these aggregates as one command; the positions written.

        On `conn`, in the transaction it is in (see EventStore.append), and so in the one
        JOINED holds, if any: no snapshot is taken.
        An import (`imported_at`) stamps its events with the instant it happened, the log's
        recorded_at: what the aggregates say of when a value was recorded (a check-in's
        recorded_at) is then the log's, once they are loaded again. No snapshot is taken of
        them either: the aggregates in hand were stamped with the import's own clock.
        `unchanged`: streams the command read and does not write, at the versions its
        writes rest on; one moved on since, ConcurrencyError (check_unchanged_on: under the
        tenant's head lock, in the append's transaction, of its own if it has none).
        """
        pending = [event for agg in aggregates for event in agg.collect_events()]
        if not pending:
            return []
        if imported_at is not None:
            for event in pending:
                object.__setattr__(event, "timestamp", imported_at)  # frozen: made, not changed
        mapper = await self.mapper(tenant_id, conn)
        stored = [mapper.to_stored_event(event) for event in pending]
        correlation_id = correlation_id or uuid4()

        async def append(on: asyncpg.Connection | None) -> Appended:
            if unchanged:  # (on: a connection in a transaction, then)
                await check_unchanged_on(cast(asyncpg.Connection, on), tenant_id, unchanged)
            return await self.store.append(
                tenant_id, stored, actor=actor, correlation_id=correlation_id, grants=grants,
                imported_at=imported_at, conn=on,
            )  # fmt: skip

        joined = JOINED.get() if conn is None else None
        if joined is not None:
            async with joined.savepoint() as on:  # a refused append leaves the rest be
                appended = await append(on)
            joined.heads[tenant_id] = appended.last_position
            return appended.positions
        if conn is None and unchanged:  # the check and the append in one transaction
            async with tenant_transaction(self.store.pool, [tenant_id]) as own:
                appended = await append(own)
            self.store.appended(tenant_id, appended.last_position)
        else:
            appended = await append(conn)
        if conn is None and imported_at is None:
            try:
                await self._snapshot_if_due(tenant_id, aggregates, pending, appended.last_position)
            except Exception as error:  # committed already: a snapshot only speeds loads up
                log.warning(
                    "store.snapshot_failed", tenant_id=str(tenant_id),
                    position=appended.last_position, error_type=type(error).__name__,
                    error=str(error),
                )  # fmt: skip
        return appended.positions

    def appended(self, tenant_id: UUID, position: int) -> None:
        """Tell projectors the tenant's log reached `position`, once that is committed: at
        once, or when the request's JOINED transaction commits."""
        joined = JOINED.get()
        if joined is not None and joined.holds:
            joined.heads[tenant_id] = max(position, joined.heads.get(tenant_id, 0))
        else:
            self.store.appended(tenant_id, position)

    def snapshot_interval(self, aggregate: Aggregate) -> int:
        """Every how many versions this aggregate's stream gets a snapshot (0: never)."""
        if self.snapshot_every <= 0:
            return 0
        return self.snapshot_intervals.get(type(aggregate), self.snapshot_every)

    async def _snapshot_if_due(
        self, tenant_id: UUID, aggregates: Iterable[Aggregate], pending: list[Any], position: int
    ) -> None:
        if self.snapshot_every <= 0:
            return
        first_version: dict[UUID, int] = {}
        for event in pending:
            first_version.setdefault(event.originator_id, event.originator_version)
        mapper = await self.mapper(tenant_id)
        for aggregate in aggregates:
            every = self.snapshot_interval(aggregate)
            before = first_version.get(aggregate.id, aggregate.version + 1) - 1
            if every > 0 and aggregate.version // every > before // every:
                snapshot = Snapshot.take(aggregate)
                await self.store.save_snapshot(
                    tenant_id, mapper.to_stored_event(snapshot), position
                )
