"""Consultancies and their client tenants: create, read, change settings, suspend, erase.

Functions take the application pool (role okr_app). Authorising the caller is the caller's
job (`Principal.can`, `Principal.can_in_consultancy`); the tenant rows are still read and
written under row-level security, set to exactly the tenant in hand.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from tenants import validation as valid
from tenants.db import LONG_STATEMENT_SECONDS, Conn, admit_sql, in_tenant, tenant_transaction
from tenants.errors import (
    ChangedMeanwhileError,
    ConfirmationError,
    DuplicateClientNameError,
    DuplicateConsultancyIdError,
    DuplicateSlugError,
    DuplicateTenantIdError,
    ReadModelsRebuildingError,
    TenantNotSuspendedError,
    UnknownConsultancyError,
    UnknownTenantError,
)
from tenants.models import Consultancy, ErasedTenant, Tenant, TenantStatus, from_row

DEFAULT_COLOUR = "#2563eb"
TENANT_COLUMNS = (
    "id, consultancy_id, name, slug, colour, status, fiscal_year_start_month,"
    " check_in_cadence_days, locale, time_zone, created_at,"
    " EXISTS (SELECT FROM tenant_keys k WHERE k.tenant_id = tenants.id) AS encrypted"
)
"""A tenant's columns, and whether it has a key of its own (never the key)."""
_INSERT_TENANT = (
    "INSERT INTO tenants (id, consultancy_id, name, slug, colour, fiscal_year_start_month,"
    " check_in_cadence_days, locale, time_zone) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    " ON CONFLICT ON CONSTRAINT tenants_slug_key DO NOTHING"
    f" RETURNING {TENANT_COLUMNS}"
)
_CONSULTANCY_TENANTS = "SELECT tenant_id FROM okr_consultancy_tenants($1)"


async def create_consultancy(
    pool: asyncpg.Pool, name: str, *, consultancy_id: UUID | None = None
) -> Consultancy:
    """A new consultancy (a platform admin's act); DuplicateConsultancyIdError naming `id`
    for the id of one that exists."""
    clean = valid.name(name)
    try:
        row = await pool.fetchrow(
            "INSERT INTO consultancies (id, name) VALUES ($1, $2) RETURNING id, name, created_at",
            consultancy_id or uuid4(),
            clean,
        )
    except asyncpg.UniqueViolationError:
        raise DuplicateConsultancyIdError(
            "this id cannot be given to a new consultancy: leave it out, and one is made",
            field="id",
        ) from None
    return from_row(Consultancy, row)


async def get_consultancy(pool: asyncpg.Pool, consultancy_id: UUID) -> Consultancy:
    """The consultancy, or UnknownConsultancyError."""
    row = await pool.fetchrow(
        "SELECT id, name, created_at FROM consultancies WHERE id = $1", consultancy_id
    )
    if row is None:
        raise UnknownConsultancyError(f"no consultancy {consultancy_id}", field="consultancy_id")
    return from_row(Consultancy, row)


async def create_tenant(
    on: Conn,
    consultancy_id: UUID,
    name: str,
    *,
    slug: str | None = None,
    colour: str = DEFAULT_COLOUR,
    fiscal_year_start_month: int = 1,
    check_in_cadence_days: int = 7,
    locale: str = "it",
    time_zone: str | None = None,
    tenant_id: UUID | None = None,
) -> Tenant:
    """A new client tenant of the consultancy (on a pool, or in the caller's transaction,
    which admits `tenant_id`: services.app.settings records it in the tenant's log). Its
    log head appears on its first append. No `time_zone`: its locale's
    (valid.default_time_zone)."""
    clean_name = valid.name(name)
    clean_locale = valid.locale(locale)
    slugs = [valid.slug(slug)] if slug is not None else valid.slugs_for(clean_name)
    values = (
        valid.colour(colour),
        valid.month(fiscal_year_start_month),
        valid.cadence_days(check_in_cadence_days),
        clean_locale,
        valid.time_zone(time_zone) if time_zone is not None
        else valid.default_time_zone(clean_locale),
    )  # fmt: skip
    new_id = tenant_id or uuid4()
    try:
        async with in_tenant(on, [new_id]) as conn:
            row = await _insert_tenant(conn, new_id, consultancy_id, clean_name, slugs, values)
            # after the insert: one that waited for an erase of this id sees its tombstone
            if await conn.fetchval(_ERASED, new_id):
                raise DuplicateTenantIdError(ID_TAKEN, field="id")
    except asyncpg.ForeignKeyViolationError:
        raise UnknownConsultancyError(
            f"no consultancy {consultancy_id}", field="consultancy_id"
        ) from None
    except asyncpg.UniqueViolationError:
        raise DuplicateTenantIdError(ID_TAKEN, field="id") from None
    if row is None and slug is not None:
        raise DuplicateSlugError(f"slug {slug!r} is taken", field="slug")
    if row is None:  # the caller sent no slug: its name is what to change
        raise DuplicateSlugError(
            f"{len(slugs)} clients have a slug made of this name: choose another", field="name"
        )
    return from_row(Tenant, row)


async def _insert_tenant(
    conn: asyncpg.Connection,
    tenant_id: UUID,
    consultancy_id: UUID,
    name: str,
    slugs: Sequence[str],
    values: tuple[Any, ...],
) -> Any:
    """The new tenant's row with the first of `slugs` no other tenant of the consultancy
    has (None: each is taken). Tried, not looked up first: another may take one meanwhile."""
    for slug in slugs:
        row = await conn.fetchrow(_INSERT_TENANT, tenant_id, consultancy_id, name, slug, *values)
        if row is not None:
            return row
    return None


_ERASED = "SELECT EXISTS (SELECT FROM erased_tenants WHERE id = $1)"
ID_TAKEN = "this id cannot be given to a new tenant: leave it out, and one is made"
"""The same words for an id in use and an erased one (neither tells which, nor whose)."""


async def get_tenant(pool: asyncpg.Pool, tenant_id: UUID) -> Tenant:
    """The tenant, or UnknownTenantError."""
    async with tenant_transaction(pool, [tenant_id]) as conn:
        row = await conn.fetchrow(f"SELECT {TENANT_COLUMNS} FROM tenants WHERE id = $1", tenant_id)
    return _tenant_or_raise(row, tenant_id)


def checked_settings(
    *,
    name: str | None = None,
    colour: str | None = None,
    fiscal_year_start_month: int | None = None,
    check_in_cadence_days: int | None = None,
    locale: str | None = None,
    time_zone: str | None = None,
) -> dict[str, Any]:
    """The settings given (None: stays as it is), each checked; the slug never changes."""
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = valid.name(name)
    if colour is not None:
        changes["colour"] = valid.colour(colour)
    if fiscal_year_start_month is not None:
        changes["fiscal_year_start_month"] = valid.month(fiscal_year_start_month)
    if check_in_cadence_days is not None:
        changes["check_in_cadence_days"] = valid.cadence_days(check_in_cadence_days)
    if locale is not None:
        changes["locale"] = valid.locale(locale)
    if time_zone is not None:
        changes["time_zone"] = valid.time_zone(time_zone)
    return changes


async def set_settings(
    conn: asyncpg.Connection,
    tenant_id: UUID,
    changes: dict[str, Any],
    *,
    names_among: Collection[UUID] | None = None,
) -> tuple[Tenant, Tenant]:
    """Change these settings (from checked_settings) on `conn`, in a transaction that admits
    the tenant: the tenant before and after. Its row stays locked until that transaction
    ends, so the caller records the change in the tenant's log in the same transaction, in
    the order changes were made (services.app.settings). A new name is compared with the
    names of the clients `names_among` (see refuse_taken_name)."""
    before = await locked_tenant(conn, tenant_id)
    if all(getattr(before, column) == value for column, value in changes.items()):
        return before, before
    if changes.get("name", before.name) != before.name:  # (a name kept is not checked)
        await refuse_taken_name(
            conn, before.consultancy_id, changes["name"], but=tenant_id, among=names_among
        )
    return before, await _set(conn, tenant_id, changes)


async def refuse_taken_name(
    conn: asyncpg.Connection,
    consultancy_id: UUID,
    name: str,
    *,
    but: UUID,
    among: Collection[UUID] | None = None,
) -> None:
    """DuplicateClientNameError (naming `name`) when another client of the consultancy
    than `but` has this name as a person reads it (valid.name_key): its portfolio would
    tell the two apart by slug alone. Other consultancies may use it. Makings and renames
    of the consultancy's clients take turns from here to the end of the caller's
    transaction, so two at once with one name make one.

    Only the clients `among` are compared (None: all), those the one who names reaches: a
    client's admin, who reaches no other client, could otherwise learn another's name by
    trying it, where a company it has no role in must not even be said to exist."""
    await conn.execute(f"SELECT pg_advisory_xact_lock({_NAMES_LOCK})", consultancy_id)
    key = valid.name_key(name)
    for row in await conn.fetch(_CLIENT_NAMES, consultancy_id):
        seen = among is None or row["tenant_id"] in among
        if row["tenant_id"] != but and seen and valid.name_key(row["name"]) == key:
            raise DuplicateClientNameError(
                f"another client of this consultancy is named {row['name']!r}: give this one"
                " a name that tells it apart",
                field="name",
            )


_NAMES_LOCK = "hashtextextended($1::uuid::text, 7015)"
_CLIENT_NAMES = "SELECT tenant_id, name FROM okr_consultancy_client_names($1)"


async def locked_tenant(conn: asyncpg.Connection, tenant_id: UUID) -> Tenant:
    """The tenant, its row locked until the caller's transaction ends (changes of it are
    recorded in its log in that transaction, in the order they were made), or
    UnknownTenantError."""
    row = await conn.fetchrow(
        f"SELECT {TENANT_COLUMNS} FROM tenants WHERE id = $1 FOR UPDATE", tenant_id
    )
    return _tenant_or_raise(row, tenant_id)


async def locked_tenants(conn: asyncpg.Connection, tenant_ids: list[UUID]) -> list[Tenant]:
    """These tenants (those that still are), their rows locked in id order until the
    caller's transaction ends (see locked_tenant)."""
    rows = await conn.fetch(
        f"SELECT {TENANT_COLUMNS} FROM tenants WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE",
        tenant_ids,
    )
    return [from_row(Tenant, r) for r in rows]


async def lock_consultancy(conn: asyncpg.Connection, consultancy_id: UUID, *, alone: bool) -> None:
    """Hold the consultancy's list of tenants still until the caller's transaction ends:
    `alone` while its tenants are each told of a change (a new admin), shared by the making
    of a tenant (which then waits, and is told of it, or comes first and is)."""
    mode = "" if alone else "_shared"
    await conn.execute(f"SELECT pg_advisory_xact_lock{mode}({_CONSULTANCY_LOCK})", consultancy_id)


_CONSULTANCY_LOCK = "hashtextextended($1::uuid::text, 7014)"


async def suspend_tenant(on: Conn, tenant_id: UUID) -> Tenant:
    """Its members and API keys lose access at once; its data stays."""
    return await _update(on, tenant_id, {"status": TenantStatus.SUSPENDED.value})


async def reactivate_tenant(on: Conn, tenant_id: UUID) -> Tenant:
    """Give its members and API keys their access back."""
    return await _update(on, tenant_id, {"status": TenantStatus.ACTIVE.value})


async def erase_tenant(
    pool: asyncpg.Pool,
    tenant_id: UUID,
    confirm: str,
    by: str,
    named: Sequence[UUID] = (),
    head: int | None = None,
) -> ErasedTenant:
    """Erase the tenant, for good: every row of it in every tenant table, its log and its
    cipher key included, and the accounts of its people who reach nothing else: its members,
    and the users its log `named` (okr_erase_tenant). Only a suspended tenant, and only when
    `confirm` is its slug; what is left is the tombstone, which this returns. `head`: where
    the log stood when `named` was read (ChangedMeanwhileError if it moved since)."""
    async with tenant_transaction(pool, [tenant_id]) as conn:
        tenant = await locked_tenant(conn, tenant_id)
        if confirm != tenant.slug:
            raise ConfirmationError(  # (not saying it: a script would copy it from here)
                "to erase this tenant, confirm with its slug", field="confirm"
            )
        if tenant.status != TenantStatus.SUSPENDED:
            raise TenantNotSuspendedError(
                "suspend the tenant before erasing it (export it first if its data is wanted)",
                field="status",
            )
        if head is not None and (await conn.fetchval(_HEAD, tenant_id) or 0) != head:
            raise ChangedMeanwhileError("the tenant's log moved while it was read: try again")
        try:
            row = await conn.fetchrow(
                _ERASE, tenant_id, by, list(named), timeout=LONG_STATEMENT_SECONDS
            )
        except asyncpg.LockNotAvailableError:
            raise ReadModelsRebuildingError(
                "a full rebuild of the read models is running: erase once it has finished"
            ) from None
    if row is None:  # not there any more (its row is locked: never, short of a bug)
        raise UnknownTenantError(f"no tenant {tenant_id}", field="tenant_id")
    return _erased(row)


async def erased_tenants(pool: asyncpg.Pool, consultancy_id: UUID) -> list[ErasedTenant]:
    """The consultancy's erased tenants, the earliest first."""
    rows = await pool.fetch(
        f"SELECT {_ERASED_COLUMNS} FROM erased_tenants WHERE consultancy_id = $1"
        " ORDER BY erased_at, id",
        consultancy_id,
    )
    return [_erased(row) for row in rows]


_ERASED_COLUMNS = (
    "id AS tenant_id, consultancy_id, name, slug, erased_by, erased_at, events, head_hash, people"
)
_ERASE = f"SELECT {_ERASED_COLUMNS} FROM okr_erase_tenant($1, $2, $3::uuid[])"
_HEAD = "SELECT position FROM tenant_heads WHERE tenant_id = $1"


def _erased(row: Any) -> ErasedTenant:
    return ErasedTenant(**{**dict(row), "head_hash": bytes(row["head_hash"]).hex()})


async def consultancy_tenant_ids(on: Conn, consultancy_id: UUID) -> list[UUID]:
    """The ids of the consultancy's tenants, oldest first."""
    return [r["tenant_id"] for r in await on.fetch(_CONSULTANCY_TENANTS, consultancy_id)]


async def list_consultancy_tenants(pool: asyncpg.Pool, consultancy_id: UUID) -> list[Tenant]:
    """Every tenant of the consultancy, oldest first (read under RLS for exactly those)."""
    async with pool.acquire() as conn, conn.transaction():
        ids = [r["tenant_id"] for r in await conn.fetch(_CONSULTANCY_TENANTS, consultancy_id)]
        if not ids:
            return []
        await conn.execute(admit_sql(ids))
        rows = await conn.fetch(
            f"SELECT {TENANT_COLUMNS} FROM tenants WHERE id = ANY($1::uuid[])"
            " ORDER BY created_at, id",
            ids,
        )
    return [from_row(Tenant, r) for r in rows]


async def _update(on: Conn, tenant_id: UUID, changes: dict[str, Any]) -> Tenant:
    async with in_tenant(on, [tenant_id]) as conn:
        return await _set(conn, tenant_id, changes)


async def _set(conn: asyncpg.Connection, tenant_id: UUID, changes: dict[str, Any]) -> Tenant:
    columns = list(changes)  # names come from this module, never from input
    sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(columns, start=2))
    row = await conn.fetchrow(
        f"UPDATE tenants SET {sets} WHERE id = $1 RETURNING {TENANT_COLUMNS}",
        tenant_id,
        *changes.values(),
    )
    return _tenant_or_raise(row, tenant_id)


def _tenant_or_raise(row: Any, tenant_id: UUID) -> Tenant:
    if row is None:
        raise UnknownTenantError(f"no tenant {tenant_id}", field="tenant_id")
    return from_row(Tenant, row)
