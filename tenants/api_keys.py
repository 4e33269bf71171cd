"""Tenant-scoped API keys for integrations that push KR/KPI values.

A key is the tenant's, not its maker's: it keeps working when the person who made it
leaves the tenant, loses the role that manages keys, or has their account disabled or
erased (an integration does not stop with an admin's departure). They saw its secret once,
so every listing says who made it and whether they still manage the tenant's keys
(ApiKey.creator_active): whoever does revokes it and makes another.

A key reads ``okr_<prefix>_<secret>``: the prefix (12 hex characters, public) finds the row,
the secret (256 random bits) proves possession. The database keeps sha256 of the whole key,
never the key. sha256 and not argon2: a slow hash protects guessable secrets such as
passwords; 256 random bits cannot be guessed from their hash however fast it is, and keys are
checked on every request, where argon2 would cost ~50 ms of CPU each time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from uuid import UUID, uuid4

import asyncpg

from tenants import validation as valid
from tenants.db import Conn, in_tenant, tenant_transaction
from tenants.errors import (
    TenantSuspendedError,
    UnknownApiKeyError,
    UnknownTenantError,
    UnknownUserError,
)
from tenants.models import ApiKey, CreatedApiKey, from_row
from tenants.principal import Principal
from tenants.roles import API_KEY_ROLES, Role

KEY_PREFIX = "okr_"
_COLUMNS = "tenant_id, id, name, prefix, role, created_by, created_at, revoked_at, last_used_at"
_INSERT = (
    "INSERT INTO api_keys (tenant_id, id, name, prefix, secret_hash, role, created_by)"
    f" VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {_COLUMNS}"
)
_LISTED = (
    "SELECT k.tenant_id, k.id, k.name, k.prefix, k.role, k.created_by, k.created_at,"
    " k.revoked_at, k.last_used_at, u.display_name AS created_by_name,"
    " coalesce(u.disabled_at IS NULL AND (u.is_platform_admin"
    " OR EXISTS (SELECT FROM memberships m WHERE m.tenant_id = k.tenant_id"
    " AND m.user_id = k.created_by AND m.role = 'client_admin')"
    " OR EXISTS (SELECT FROM consultancy_members c JOIN tenants t"
    " ON t.consultancy_id = c.consultancy_id WHERE t.id = k.tenant_id"
    " AND c.user_id = k.created_by AND c.role = 'consultancy_admin')), false) AS creator_active"
    " FROM api_keys k LEFT JOIN users u ON u.id = k.created_by"
)
"""A key as listed: with its maker's name, and whether they still manage the tenant's keys
(ApiKey.creator_active)."""
_TOUCH = (
    "UPDATE api_keys SET last_used_at = now() WHERE tenant_id = $1 AND id = $2"
    " AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')"
)


async def create_api_key(
    on: Conn,
    tenant_id: UUID,
    name: str,
    *,
    role: Role | str = Role.CLIENT_MEMBER,
    created_by: UUID | None = None,
    key_id: UUID | None = None,
) -> CreatedApiKey:
    """A new key for the tenant; its plaintext is in the result and nowhere else. `key_id`:
    a given id (the demo's key, whose id its history names), else a new one."""
    clean_name, clean_role = valid.name(name), valid.role(role, API_KEY_ROLES)
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    plaintext = f"{KEY_PREFIX}{prefix}_{secret}"
    try:
        async with in_tenant(on, [tenant_id]) as conn:
            row = await conn.fetchrow(
                _INSERT, tenant_id, key_id or uuid4(), clean_name, prefix, _digest(plaintext),
                clean_role.value, created_by,
            )  # fmt: skip
            row = await conn.fetchrow(
                f"{_LISTED} WHERE k.tenant_id = $1 AND k.id = $2", tenant_id, row["id"]
            )
    except asyncpg.ForeignKeyViolationError as e:
        if e.constraint_name == "api_keys_created_by_fkey":
            raise UnknownUserError(f"no user {created_by}", field="created_by") from None
        raise UnknownTenantError(f"no tenant {tenant_id}", field="tenant_id") from None
    return CreatedApiKey(key=from_row(ApiKey, row), plaintext=plaintext)


async def list_api_keys(
    pool: asyncpg.Pool, tenant_id: UUID, *, include_revoked: bool = False
) -> list[ApiKey]:
    """The tenant's keys, newest first, without secrets."""
    where = "k.tenant_id = $1" + ("" if include_revoked else " AND k.revoked_at IS NULL")
    async with tenant_transaction(pool, [tenant_id]) as conn:
        rows = await conn.fetch(
            f"{_LISTED} WHERE {where} ORDER BY k.created_at DESC, k.id", tenant_id
        )
    return [from_row(ApiKey, r) for r in rows]


async def get_api_key(pool: asyncpg.Pool, tenant_id: UUID, key_id: UUID) -> ApiKey:
    """One of the tenant's keys as the list shows it (revoked too), or UnknownApiKeyError."""
    async with tenant_transaction(pool, [tenant_id]) as conn:
        row = await conn.fetchrow(
            f"{_LISTED} WHERE k.tenant_id = $1 AND k.id = $2", tenant_id, key_id
        )
    if row is None:
        raise UnknownApiKeyError(f"no API key {key_id}", field="key_id")
    return from_row(ApiKey, row)


async def locked_api_key(conn: asyncpg.Connection, tenant_id: UUID, key_id: UUID) -> ApiKey:
    """The key, locked until the caller's transaction ends (see memberships.locked_membership),
    or UnknownApiKeyError."""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM api_keys WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
        tenant_id, key_id,
    )  # fmt: skip
    if row is None:
        raise UnknownApiKeyError(f"no API key {key_id}", field="key_id")
    return from_row(ApiKey, row)


async def revoke_api_key(on: Conn, tenant_id: UUID, key_id: UUID) -> ApiKey:
    """The key stops authenticating at once (revoking twice keeps the first time)."""
    async with in_tenant(on, [tenant_id]) as conn:
        revoked = await conn.execute(
            "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())"
            " WHERE tenant_id = $1 AND id = $2",
            tenant_id, key_id,
        )  # fmt: skip
        row = await conn.fetchrow(
            f"{_LISTED} WHERE k.tenant_id = $1 AND k.id = $2", tenant_id, key_id
        )
    if revoked == "UPDATE 0" or row is None:
        raise UnknownApiKeyError(f"no API key {key_id}", field="key_id")
    return from_row(ApiKey, row)


async def authenticate_api_key(pool: asyncpg.Pool, plaintext: str) -> Principal | None:
    """The key's principal (one tenant, the key's role), or None if it is not a live key.
    TenantSuspendedError for a key of a suspended tenant: it is a key, told why it is
    refused."""
    prefix = _prefix_of(plaintext)
    if prefix is None:
        return None
    rows = await pool.fetch(
        "SELECT tenant_id, id, name, role, secret_hash FROM okr_api_key_by_prefix($1)", prefix
    )
    digest = _digest(plaintext)
    row = _matching(rows, digest)
    if row is None:
        suspended = _matching(
            await pool.fetch("SELECT * FROM okr_suspended_api_key_by_prefix($1)", prefix), digest
        )
        if suspended is not None:
            raise TenantSuspendedError(suspended["tenant_name"])
        return None
    async with tenant_transaction(pool, [row["tenant_id"]]) as conn:
        await conn.execute(_TOUCH, row["tenant_id"], row["id"])
    return Principal(
        kind="api_key",
        id=row["id"],
        display_name=row["name"],
        grants={row["tenant_id"]: Role(row["role"])},
    )


def _matching(rows: list[asyncpg.Record], digest: bytes) -> asyncpg.Record | None:
    """The row whose secret hash is this digest (compared in constant time)."""
    return next((r for r in rows if hmac.compare_digest(bytes(r["secret_hash"]), digest)), None)


def _prefix_of(plaintext: str) -> str | None:
    if not plaintext.startswith(KEY_PREFIX):
        return None
    prefix, _, secret = plaintext[len(KEY_PREFIX) :].partition("_")
    if len(prefix) != 12 or not secret or len(plaintext) > 200:
        return None
    return prefix


def _digest(plaintext: str) -> bytes:
    return hashlib.sha256(plaintext.encode()).digest()
