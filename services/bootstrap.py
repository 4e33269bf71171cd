"""The composition root: settings in, a wired system out. Tests call the same function."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import structlog

from domain.cycle import Cycle
from services.db import app_dsn, create_pool
from services.projector.registry import PROJECTIONS
from services.projector.schema import ensure_tables
from services.settings import Settings
from services.store.event_store import EventStore
from services.store.migrate import migrate
from services.store.repository import Repository

log = structlog.get_logger("okr.schema")

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

    async def close(self) -> None:
        if self.store.notifier is not None:
            await self.store.notifier.drain()
        await self.pool.close()


def with_database(dsn: str, database: str) -> str:
    """The same server and login, another database."""
    return urlunsplit(urlsplit(dsn)._replace(path="/" + database))


async def bootstrap(settings: Settings, admin_dsn: str, *, run_migrations: bool = True) -> System:
    """Migrate (as admin), then connect as the application role and wire the store."""
    if run_migrations:
        applied = await migrate(admin_dsn, settings.app_db_password)
        reset = await ensure_tables(admin_dsn, PROJECTIONS)
        if applied or reset:  # an operator learns what a start changed in the schema
            log.info("schema.migrated", applied=applied, read_models_made=reset)
    dsn = settings.app_database_url or app_dsn(admin_dsn, settings.app_db_password)
    pool = await create_pool(dsn, settings.pool_min, settings.pool_max)
    store = EventStore(pool, notify=settings.notify)
    repository = Repository(
        store, snapshot_every=settings.snapshot_every, snapshot_intervals=SNAPSHOT_INTERVALS
    )
    return System(settings, admin_dsn, dsn, pool, store, repository)
