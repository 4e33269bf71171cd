"""The composition root: settings in, a wired system out. Tests call the same function."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from domain.cycle import Cycle
from services.db import app_dsn, close_pool, create_pool, learn_array_types
from services.projector.registry import PROJECTIONS
from services.projector.schema import ensure_tables, outdated_read_models
from services.session_locks import SessionLocks
from services.settings import Settings
from services.store.event_store import EventStore
from services.store.migrate import migrate, migrations_apart
from services.store.repository import Repository
from services.tree_print import counted

SNAPSHOT_INTERVALS: dict[type, int] = {Cycle: 1}
"""A cycle changes a handful of times a quarter and every check-in loads it: a snapshot at
each of its versions makes that load one row of the small snapshots table, not its events
read one by one from the log's heap (cold pages, on a busy disk)."""


@dataclass
class System:
    """The wired parts of one running process."""

    settings: Settings
    admin_dsn: str
    app_dsn: str
    pool: asyncpg.Pool
    store: EventStore
    repository: Repository
    migrated: list[str] = field(default_factory=list)
    """What its start changed in the schema: the migrations applied, the read models
    made ("read model <name>"); `okr serve` logs them."""
    key_locks: SessionLocks | None = None
    """The locks its requests with an Idempotency-Key hold while they run (made with the
    system by bootstrap)."""

    async def close(self) -> None:
        if self.store.notifier is not None:
            await self.store.notifier.drain()
        if self.key_locks is not None:
            await self.key_locks.close()
        await close_pool(self.pool)


class SchemaBehindError(RuntimeError):
    """The database is not at this code's schema, and the command does not change it."""


async def _check_current(admin_dsn: str) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        behind, ahead = await migrations_apart(conn)
        other = await outdated_read_models(conn, PROJECTIONS)
    finally:
        await conn.close()
    if ahead:  # a newer code's database: migrating with this code would undo its read models
        raise SchemaBehindError(
            f"the database is ahead of this code ({_some(ahead)} it does not know): run a"
            " checkout at least as new; this command changes nothing"
        )
    if behind:
        raise SchemaBehindError(
            f"the database is behind this code ({_some(behind)} not applied): `okr migrate`"
            " (or `okr serve`) applies them; this command changes nothing"
        )
    if other:
        said = f"model {other[0]} is" if len(other) == 1 else f"models {', '.join(other)} are"
        raise SchemaBehindError(
            f"the read {said} not of this code's version: with"
            " the code the database runs, nothing is amiss; `okr migrate` with this code"
            " makes them anew for it; this command changes nothing"
        )


class UnwalledLoginError(RuntimeError):
    """The application's login is one row-level security does not hold."""


async def _check_walled(pool: asyncpg.Pool, settings: Settings) -> None:
    """The application's login is neither superuser nor BYPASSRLS: either passes over every
    tenant table's row-level security, the second wall between tenants, without a word."""
    user, unwalled = await pool.fetchrow(
        "SELECT current_user, rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user"
    )
    if unwalled:
        said = "OKR_APP_DATABASE_URL: its" if settings.app_database_url else "the application's"
        raise UnwalledLoginError(
            f"{said} login {user!r} is a superuser or BYPASSRLS, which row-level security does"
            " not hold: give the application a login of its own, as the okr_app that okr"
            " migrate makes"
        )


def _some(names: list[str]) -> str:
    listed = ", ".join(names) if len(names) <= 2 else f"{names[0]} to {names[-1]}"
    return f"{counted(len(names), 'migration')}, {listed}"


def with_database(dsn: str, database: str) -> str:
    """The same server and login, another database."""
    return urlunsplit(urlsplit(dsn)._replace(path="/" + database))


async def bootstrap(settings: Settings, admin_dsn: str, *, run_migrations: bool = True) -> System:
    """Migrate (as admin), then connect as the application role and wire the store. Without
    `run_migrations` (a command that only reads), SchemaBehindError unless the database is
    at this code's schema: a check run from a newer checkout re-made a production database's
    read models, silently."""
    migrated: list[str] = []
    if run_migrations:
        migrated = await migrate(admin_dsn, settings.app_db_password)
        migrated += [f"read model {p}" for p in await ensure_tables(admin_dsn, PROJECTIONS)]
    else:
        await _check_current(admin_dsn)
    dsn = settings.app_database_url or app_dsn(admin_dsn, settings.app_db_password)
    pool = await create_pool(
        dsn, settings.pool_min, settings.pool_max, answer_within=settings.db_timeout,
        init=learn_array_types,
    )  # fmt: skip
    try:
        await _check_walled(pool, settings)
    except BaseException:
        await pool.close()
        raise
    store = EventStore(pool, notify=settings.notify)
    repository = Repository(
        store, snapshot_every=settings.snapshot_every, snapshot_intervals=SNAPSHOT_INTERVALS
    )
    key_locks = SessionLocks(dsn, answer_within=settings.db_timeout, most=settings.pool_max)
    return System(settings, admin_dsn, dsn, pool, store, repository, migrated, key_locks)
