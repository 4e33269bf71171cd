"""Row-level security as the second wall, proved with raw SQL as the application role.

Two consultancies each run a tenant with the same name and slug, the same person is a member
of both, and each has an API key with the same name: only the tenant setting tells them apart.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import pytest

from services.bootstrap import System
from tenants.api_keys import create_api_key
from tenants.db import admit_sql
from tenants.memberships import add_membership
from tenants.models import Tenant
from tenants.roles import Role
from tests.tenants.builders import a_consultancy, a_tenant, a_user


@dataclass
class Twins:
    a: Tenant
    b: Tenant
    user_id: uuid.UUID


@pytest.fixture
async def twins(pool: asyncpg.Pool) -> Twins:
    """Tenant A and tenant B: same names, same slug, same member, same key name."""
    a = await a_tenant(pool, await a_consultancy(pool, "Studio"), "Acme Servizi")
    b = await a_tenant(pool, await a_consultancy(pool, "Studio"), "Acme Servizi")
    user = await a_user(pool, "nora")
    for tenant in (a, b):
        await add_membership(pool, tenant.id, user.id, Role.CLIENT_ADMIN)
        await create_api_key(pool, tenant.id, "ERP sync")
    assert (a.name, a.slug) == (b.name, b.slug)
    return Twins(a, b, user.id)


@pytest.fixture
async def app_conn(system: System) -> AsyncIterator[asyncpg.Connection]:
    """A raw connection as the application role, outside any helper."""
    conn = await asyncpg.connect(system.app_dsn)
    yield conn
    await conn.close()


async def visible(conn: asyncpg.Connection, tenant: Tenant, sql: str) -> list[uuid.UUID]:
    async with conn.transaction():
        await conn.execute(admit_sql([tenant.id]))
        return [r[0] for r in await conn.fetch(sql)]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT id FROM tenants",
        "SELECT tenant_id FROM memberships",
        "SELECT tenant_id FROM api_keys",
        "SELECT t.id FROM tenants t JOIN memberships m ON m.tenant_id = t.id",
    ],
)
async def test_each_twin_sees_only_its_own_rows(
    twins: Twins, app_conn: asyncpg.Connection, sql: str
) -> None:
    """With tenant A set, B's tenant row, memberships and keys do not exist; and the reverse."""
    assert set(await visible(app_conn, twins.a, sql)) == {twins.a.id}
    assert set(await visible(app_conn, twins.b, sql)) == {twins.b.id}


async def test_a_twin_cannot_write_into_the_other(
    twins: Twins, app_conn: asyncpg.Connection
) -> None:
    """With tenant A set, B's rows can be neither changed, deleted nor added to."""
    async with app_conn.transaction():
        await app_conn.execute(admit_sql([twins.a.id]))
        b = twins.b.id
        assert (
            await app_conn.execute("UPDATE tenants SET name = 'x' WHERE id = $1", b) == "UPDATE 0"
        )
        assert (
            await app_conn.execute("UPDATE api_keys SET revoked_at = now() WHERE tenant_id = $1", b)
            == "UPDATE 0"
        )
        assert (
            await app_conn.execute("DELETE FROM memberships WHERE tenant_id = $1", b) == "DELETE 0"
        )
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        async with app_conn.transaction():
            await app_conn.execute(admit_sql([twins.a.id]))
            await app_conn.execute(
                "INSERT INTO memberships (tenant_id, user_id, role)"
                " VALUES ($1, $2, 'client_admin')",
                twins.b.id, uuid.uuid4(),
            )  # fmt: skip
    assert set(
        await visible(app_conn, twins.b, "SELECT tenant_id FROM api_keys WHERE revoked_at IS NULL")
    ) == {twins.b.id}


async def test_no_tenant_setting_is_an_error_not_everything(
    twins: Twins, app_conn: asyncpg.Connection
) -> None:
    """A forgotten SET LOCAL must fail loudly rather than show every tenant."""
    for table in ("tenants", "memberships", "api_keys"):
        with pytest.raises(asyncpg.PostgresError):
            await app_conn.fetch(f"SELECT * FROM {table}")


async def test_the_app_role_cannot_read_secrets_or_crown_itself(
    twins: Twins, app_conn: asyncpg.Connection
) -> None:
    """SQL injection in the app must not leak password or key hashes, nor mint a platform
    admin or a password link."""
    forbidden = [
        "SELECT password_hash FROM users",
        "SELECT * FROM users",
        f"UPDATE users SET is_platform_admin = true WHERE id = '{twins.user_id}'",
        "INSERT INTO users (id, email, display_name, is_platform_admin)"
        f" VALUES ('{uuid.uuid4()}', 'x@example.it', 'X', true)",
        "SELECT token_hash FROM password_links",  # only through its definer functions
        "SELECT * FROM password_scopes",
        "SELECT * FROM account_reach",  # where an account was: only through definer functions
        f"DELETE FROM account_reach WHERE user_id = '{twins.user_id}'",
        "INSERT INTO password_links (token_hash, user_id, maker_id, expires_at)"
        f" VALUES ('\\x00', '{twins.user_id}', '{twins.user_id}', now() + interval '1 day')",
    ]
    for sql in forbidden:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app_conn.execute(sql)
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await visible(app_conn, twins.a, "SELECT secret_hash FROM api_keys")


async def test_the_definer_functions_are_not_open_to_everyone(admin: asyncpg.Connection) -> None:
    """SECURITY DEFINER functions cross the RLS wall: only the application role may call them."""
    rows = await admin.fetch(
        "SELECT p.proname, p.prosecdef, has_function_privilege('public', p.oid, 'EXECUTE') AS open,"
        " has_function_privilege('okr_app', p.oid, 'EXECUTE') AS app"
        " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE n.nspname = 'public' AND p.prosecdef"
    )
    assert {r["proname"] for r in rows} == {
        "okr_user_grants", "okr_api_key_by_prefix", "okr_consultancy_tenants",
        "okr_user_credentials", "okr_tenant_positions", "okr_purge_idempotency_keys",
        "okr_erase_tenant", "okr_user_suspended_tenants", "okr_suspended_api_key_by_prefix",
        "okr_make_password_link", "okr_take_password_link", "okr_password_link_open",
        "okr_claim_password_link", "okr_has_password", "okr_password_link_expires",
        "okr_may_add_account", "okr_consultancy_client_names", *INTERNAL,
    }  # fmt: skip
    assert not any(r["open"] for r in rows)
    assert {r["proname"] for r in rows if not r["app"]} == INTERNAL


INTERNAL = {
    "okr_reach_within", "okr_maker_scope", "okr_link_allowed", "okr_bound_reach_holds",
    "okr_reach_changed",
    "okr_reach_ended", "okr_platform_admin_made", "okr_reach_kept", "okr_reached_within",
}  # fmt: skip
"""Definer functions only other definer functions and triggers call: not the application's."""
