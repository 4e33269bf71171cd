"""What a refused write must leave as it was: every tenant's log head and the directory.

Read as the database's owner (no row-level security), so a write to any tenant, or to the
directory of any consultancy, shows; tables that change on any request by design (sign-in
attempts, idempotency claims, refresh tokens) are left out.
"""

from __future__ import annotations

import asyncpg

DIRECTORY = (
    "tenants",
    "consultancies",
    "consultancy_members",
    "memberships",
    "users",
    "api_keys",
    "password_links",
    "erased_tenants",
)


async def the_state(admin: asyncpg.Connection) -> dict[str, object]:
    """Every tenant's head, every event's count, which tenants have a cipher key, and a
    digest of each directory table."""
    state: dict[str, object] = {
        "heads": await admin.fetch("SELECT tenant_id, position FROM tenant_heads ORDER BY 1"),
        "events": await admin.fetchval("SELECT count(*) FROM events"),
        "tenant_keys": await admin.fetch("SELECT tenant_id FROM tenant_keys ORDER BY 1"),
    }
    for table in DIRECTORY:
        state[table] = await admin.fetchval(
            f"SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM {table} t"
        )
    return state
