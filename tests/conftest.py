"""Fixtures shared by every test that needs PostgreSQL.

DATABASE_URL set: that server. Unset: the embedded server in .okr/pg-test. Either way each
test run gets a fresh database (dropped at the end), migrated as the admin login, and the
tests connect as the application role, exactly as the product does.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from services.app import base as app_base
from services.bootstrap import System, bootstrap, with_database
from services.settings import PROJECT_ROOT, Settings

SUITE_NOW = datetime(2027, 12, 31, 12, tzinfo=UTC)
"""The commands' clock in this process: the suite's plans are dated in 2027 (its fixed
"today" is 2027-02-15), and a value may not be of a day still to come (see
services.app.base.Commands.today). Processes the suite starts keep the real clock."""


@pytest.fixture(scope="session", autouse=True)
def commands_in_2027() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(app_base, "now", lambda: SUITE_NOW)
        yield


@pytest.fixture(scope="session")
def server_dsn() -> Iterator[str]:
    """Admin DSN of the PostgreSQL server the tests use."""
    url = os.environ.get("DATABASE_URL")
    if url:
        yield url
        return
    from services.embedded import EmbeddedPostgres

    server = EmbeddedPostgres(PROJECT_ROOT / ".okr" / "pg-test")
    try:
        yield server.start()
    finally:
        server.stop()


class DatabaseFactory:
    """Creates fresh, empty databases on the test server and drops them at the end."""

    def __init__(self, server_dsn: str) -> None:
        self.server_dsn = server_dsn
        self.created: list[str] = []

    async def create(self) -> str:
        name = f"okr_test_{uuid.uuid4().hex[:12]}"
        conn = await asyncpg.connect(self.server_dsn)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        self.created.append(name)
        return with_database(self.server_dsn, name)

    async def drop_all(self) -> None:
        conn = await asyncpg.connect(self.server_dsn)
        try:
            for name in self.created:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


@pytest.fixture(scope="session")
async def databases(server_dsn: str) -> AsyncIterator[DatabaseFactory]:
    factory = DatabaseFactory(server_dsn)
    yield factory
    await factory.drop_all()


@pytest.fixture
async def fresh(databases: DatabaseFactory) -> AsyncIterator[System]:
    """A system on a database of its own: its projectors, rebuilds and verifies see only
    the test's tenants (and a damaged row reaches no other test's projector)."""
    system = await bootstrap(Settings(), await databases.create())
    yield system
    await system.close()


@pytest.fixture(scope="session")
async def admin_dsn(databases: DatabaseFactory) -> str:
    """The admin DSN of this run's fresh database."""
    return await databases.create()


@pytest.fixture(scope="session")
async def system(admin_dsn: str) -> AsyncIterator[System]:
    """The wired system on this run's database, migrated, as the application role."""
    system = await bootstrap(Settings(snapshot_every=50), admin_dsn)
    yield system
    await system.close()


@pytest.fixture
async def admin(admin_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """A superuser connection to this run's database (to tamper, to inspect)."""
    conn = await asyncpg.connect(admin_dsn)
    yield conn
    await conn.close()


@asynccontextmanager
async def consultancy_roles_failing(admin_dsn: str, email_prefix: str) -> AsyncIterator[None]:
    """For the block, giving a consultancy role fails (a trigger raises) for the accounts
    whose email begins with `email_prefix`: a failure forced after their account is made,
    before their role is."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f"""
            CREATE FUNCTION okr_test_role_fails() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF EXISTS (SELECT FROM users WHERE id = NEW.user_id
                            AND starts_with(email, '{email_prefix}')) THEN
                    RAISE EXCEPTION 'a failure forced between an account and its role';
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER okr_test_role_fails BEFORE INSERT ON consultancy_members
                FOR EACH ROW EXECUTE FUNCTION okr_test_role_fails();
        """)  # fmt: skip
        yield
    finally:
        await conn.execute(
            "DROP TRIGGER IF EXISTS okr_test_role_fails ON consultancy_members;"
            " DROP FUNCTION IF EXISTS okr_test_role_fails()"
        )
        await conn.close()


async def until_a_backend_waits_for_a_lock(
    system: System, running: asyncio.Future[Any], *, sessions: int = 1
) -> None:
    """Return once a session (`sessions` of them) of the system's database waits for a
    lock (`running`, the work that should wait, must not have ended meanwhile);
    AssertionError after 30 s."""
    conn = await asyncpg.connect(system.admin_dsn)
    try:
        for _ in range(3000):
            if (
                await conn.fetchval(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
                >= sessions
            ):
                return
            assert not running.done(), running
            await asyncio.sleep(0.01)
        raise AssertionError("nothing waited for a lock")
    finally:
        await conn.close()


async def until_done_or_waiting_for_a_lock(system: System, running: asyncio.Future[Any]) -> None:
    """Return once `running` has ended, or a session of the system's database waits for a
    lock (what runs waits for another's transaction): one step of an interleaving let go
    as far as it goes; AssertionError after 30 s."""
    conn = await asyncpg.connect(system.admin_dsn)
    try:
        for _ in range(3000):
            if running.done() or await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ):
                return
            await asyncio.sleep(0.01)
        raise AssertionError("neither done nor waiting for a lock")
    finally:
        await conn.close()
