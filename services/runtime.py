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
    from services.embedded import EmbeddedPostgres, EmbeddedPostgresError

    server = EmbeddedPostgres(settings.data_dir)
    server.install_exit_handlers()
    try:
        try:
            dsn = server.start()
        except (EmbeddedPostgresError, OSError) as error:  # its folder a file, not empty, out
            raise SystemExit(  # of reach: said in a line that names it, not a traceback, nor
                f"okr: OKR_DATA_DIR ({settings.data_dir}): the embedded server did not start:"
                f" {error}"  # "the database is out of reach" (no database was asked for)
            ) from None
        yield dsn
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
