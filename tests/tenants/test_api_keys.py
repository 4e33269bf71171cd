"""API keys: shown once, stored hashed, tenant-scoped, revocable."""

from __future__ import annotations

import asyncpg
import pytest

from tenants.api_keys import (
    KEY_PREFIX,
    authenticate_api_key,
    create_api_key,
    list_api_keys,
    revoke_api_key,
)
from tenants.directory import reactivate_tenant, suspend_tenant
from tenants.errors import InvalidRoleError, TenantSuspendedError, UnknownApiKeyError
from tenants.roles import Permission, Role
from tests.tenants.builders import a_tenant, a_user


async def test_a_new_key_authenticates_as_a_member_of_its_tenant_only(pool: asyncpg.Pool) -> None:
    """An integration pushes KR/KPI values for one client, and nothing more."""
    tenant, other = await a_tenant(pool), await a_tenant(pool)
    creator = await a_user(pool)
    created = await create_api_key(pool, tenant.id, "ERP sync", created_by=creator.id)
    assert created.plaintext.startswith(f"okr_{created.key.prefix}_")

    principal = await authenticate_api_key(pool, created.plaintext)
    assert principal is not None
    assert (principal.kind, principal.id, principal.actor) == (
        "api_key", created.key.id, f"key:{created.key.id}",
    )  # fmt: skip
    assert principal.grants == {tenant.id: Role.CLIENT_MEMBER}
    assert principal.can(tenant.id, Permission.CHECK_IN)
    assert not principal.can(tenant.id, Permission.EDIT_OKRS)
    assert principal.role_in(other.id) is None


async def test_a_revoked_key_no_longer_authenticates(pool: asyncpg.Pool) -> None:
    """Revoking is how a client stops a leaked key: it must take effect on the next call."""
    tenant = await a_tenant(pool)
    created = await create_api_key(pool, tenant.id, "old integration")
    revoked = await revoke_api_key(pool, tenant.id, created.key.id)
    assert revoked.revoked_at is not None
    assert await authenticate_api_key(pool, created.plaintext) is None
    assert await list_api_keys(pool, tenant.id) == []
    assert [k.id for k in await list_api_keys(pool, tenant.id, include_revoked=True)] == [
        created.key.id
    ]


async def test_the_plaintext_key_is_stored_nowhere(
    pool: asyncpg.Pool, admin: asyncpg.Connection
) -> None:
    """A database dump or backup must not hand out working keys."""
    tenant = await a_tenant(pool)
    created = await create_api_key(pool, tenant.id, "dump check")
    # okr_<12 hex>_<secret>: the secret is url-safe base64, which may hold "_" itself (split
    # at its last "_", the test once searched the dump for a 2-character tail and found it)
    secret = created.plaintext.removeprefix(KEY_PREFIX).split("_", 1)[1]
    assert len(secret) >= 40
    tables = await admin.fetch(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND c.relkind = 'r'"
    )
    for table in (t["relname"] for t in tables):
        found = await admin.fetchval(
            f'SELECT count(*) FROM "{table}" t WHERE strpos(t::text, $1) > 0', secret
        )
        assert found == 0, f"the key's secret is stored in {table}"


async def test_forged_or_malformed_keys_do_not_authenticate(pool: asyncpg.Pool) -> None:
    """Knowing a key's public prefix must not be enough; junk must be a clean refusal."""
    tenant = await a_tenant(pool)
    created = await create_api_key(pool, tenant.id, "real")
    forged = f"okr_{created.key.prefix}_{'A' * 43}"
    for attempt in (forged, "okr_", "okr_abc_def", "Bearer x", created.plaintext + "x"):
        assert await authenticate_api_key(pool, attempt) is None


async def test_keys_of_a_suspended_tenant_stop_working_until_reactivated(
    pool: asyncpg.Pool,
) -> None:
    """Suspending a client (unpaid, offboarding) must cut its integrations too: a right key
    is told its tenant is suspended; a wrong secret of the same prefix is still no key."""
    tenant = await a_tenant(pool)
    created = await create_api_key(pool, tenant.id, "sync")
    await suspend_tenant(pool, tenant.id)
    with pytest.raises(TenantSuspendedError) as refused:
        await authenticate_api_key(pool, created.plaintext)
    assert refused.value.tenant_name == tenant.name
    last = created.plaintext[-1]
    wrong = created.plaintext[:-1] + ("A" if last != "A" else "B")
    assert await authenticate_api_key(pool, wrong) is None
    await reactivate_tenant(pool, tenant.id)
    assert await authenticate_api_key(pool, created.plaintext) is not None


async def test_a_key_can_read_only_or_push_values_never_administer(pool: asyncpg.Pool) -> None:
    """A key with admin rights could mint more keys and outlive its revocation."""
    tenant = await a_tenant(pool)
    viewer = await create_api_key(pool, tenant.id, "dashboard", role="client_viewer")
    assert viewer.key.role == Role.CLIENT_VIEWER
    with pytest.raises(InvalidRoleError) as refused:
        await create_api_key(pool, tenant.id, "too strong", role=Role.CLIENT_ADMIN)
    assert refused.value.field == "role"
    assert [k.name for k in await list_api_keys(pool, tenant.id)] == ["dashboard"]


async def test_revoking_an_unknown_key_is_named(pool: asyncpg.Pool) -> None:
    """A typo in a key id must say so rather than pretend it revoked something."""
    tenant, other = await a_tenant(pool), await a_tenant(pool)
    created = await create_api_key(pool, other.id, "not yours")
    with pytest.raises(UnknownApiKeyError):
        await revoke_api_key(pool, tenant.id, created.key.id)
    assert await authenticate_api_key(pool, created.plaintext) is not None
