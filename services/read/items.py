"""The names of a tenant's items: what the history's and the trail's item filter offer,
and the units their lines say values in, from the read model's rows, not its state (the
progress state of a tenant of 10,000 events is 2.9 MB, every check-in of every cycle, which
these pages decoded to read 800 titles: 20 of their 35 ms)."""

from __future__ import annotations

from uuid import UUID

import asyncpg
import msgspec

from services.db import tenant_transaction
from services.projector.schema import share_lock_sql


class ItemName(msgspec.Struct, frozen=True):
    """A cycle, objective, key result or KPI as a filter offers it: its title (a cycle's
    or a KPI's name) and, for a key result or a KPI, its unit (see i18n.Measured)."""

    title: str
    unit_kind: str = ""
    currency: str | None = None
    unit_label: str | None = None


class ItemNames(msgspec.Struct, frozen=True):
    """A tenant's items by kind, each kind in the order its items were made, as the
    progress state has them."""

    cycles: dict[UUID, ItemName]
    objectives: dict[UUID, ItemName]
    key_results: dict[UUID, ItemName]
    kpis: dict[UUID, ItemName]

    def has_item(self, item_id: UUID) -> bool:
        """Whether a cycle, objective, key result or KPI has this id."""
        return any(item_id in items for items in (
            self.cycles, self.objectives, self.key_results, self.kpis))  # fmt: skip


async def item_names(pool: asyncpg.Pool, tenant_id: UUID) -> ItemNames:
    """The tenant's items as the projector last committed them (one snapshot)."""
    async with tenant_transaction(pool, [tenant_id]) as conn:
        await conn.execute(f"SET TRANSACTION ISOLATION LEVEL REPEATABLE READ; {_LOCK}")
        rows = await conn.fetch(_NAMES, tenant_id)
        rank = dict(await conn.fetch(_RANKS, tenant_id))
    names = ItemNames({}, {}, {}, {})
    by_kind = {
        "cycle": names.cycles,
        "objective": names.objectives,
        "key_result": names.key_results,
        "kpi": names.kpis,
    }
    for kind, item_id, *name in sorted(rows, key=lambda r: rank[r["item_id"]]):
        by_kind[kind][item_id] = ItemName(*name)
    return names


_NAMES = (
    "SELECT 'cycle' AS kind, cycle_id AS item_id, name AS title, '' AS unit_kind,"
    " NULL::text AS currency, NULL::text AS unit_label FROM rm_cycles WHERE tenant_id = $1"
    " UNION ALL SELECT 'objective', objective_id, title, '', NULL, NULL FROM rm_objectives"
    " WHERE tenant_id = $1 UNION ALL SELECT 'key_result', key_result_id, title, unit_kind,"
    " currency, unit_label FROM rm_key_results WHERE tenant_id = $1 UNION ALL SELECT 'kpi',"
    " kpi_id, name, unit_kind, currency, unit_label FROM rm_kpis WHERE tenant_id = $1"
)
"""Each table alone: joined to the items' ranks, the planner, which cannot tell how many
rows the tenant's policy leaves, took 300 ms over them."""
_LOCK = share_lock_sql(
    ["rm_cycles", "rm_objectives", "rm_key_results", "rm_kpis", "rm_progress_items"]
)
_RANKS = "SELECT item_id, rank FROM rm_progress_items WHERE tenant_id = $1 AND kind <> 'tenant'"
