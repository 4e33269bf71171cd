"""Where the database comes from: DATABASE_URL, or the embedded server started here."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from services.bootstrap import System, bootstrap
from services.settings import Settings


@contextmanager
def admin_database(settings: Settings) -> Iterator[str]:
    """The admin DSN: DATABASE_URL when set, else the embedded server (stopped on exit)."""
    if settings.database_url:
        yield settings.database_url
        return
    from services.embedded import EmbeddedPostgres

    server = EmbeddedPostgres(settings.data_dir)
    server.install_exit_handlers()
    try:
        yield server.start()
    finally:
        server.stop()


@asynccontextmanager
async def running_system(
    settings: Settings, admin_dsn: str, *, migrate: bool = True
) -> AsyncIterator[System]:
    """A migrated, wired system for the length of the block; without `migrate` (a command
    that only reads), one whose database must be at this code's schema already."""
    system = await bootstrap(settings, admin_dsn, run_migrations=migrate)
    try:
        yield system
    finally:
        await system.close()
