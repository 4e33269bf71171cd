"""Commands that find a cycle's or an objective's items through the progress read model
read the log after the position it holds them at: what it has not applied yet counts."""

from __future__ import annotations

from datetime import date

import asyncpg
import httpx

from services.app import Context, OKRApplication
from services.bootstrap import System
from services.projector.waiting import projected_position
from services.projector.worker import TENANT_LOCK_KEY
from services.settings import Settings
from tests.api.builders import SharedIds, a_side, token_settings


async def test_a_close_scores_what_the_read_model_has_not_applied_yet(
    client: httpx.AsyncClient, system: System, api_settings: Settings, admin: asyncpg.Connection
) -> None:
    """Closing a cycle scores its objectives and key results, found in the progress read
    model and in the log after the position it holds: an objective and a key result made
    a moment before the close, which the read model has not applied yet (the projector
    waits for the tenant's lock), are scored as those applied are; B's cycle, same ids,
    stays open."""
    ids = SharedIds()
    a = await a_side(system, token_settings(api_settings), ids, "secret-close-a", "21")
    b = await a_side(system, token_settings(api_settings), ids, "secret-close-b", "21")
    app, ctx = OKRApplication(system.repository), Context(a.tenant.id, actor="user:builder")
    async with admin.transaction():  # the projector waits: the read model stands still
        await admin.execute(f"SELECT pg_advisory_xact_lock({TENANT_LOCK_KEY})", a.tenant.id)
        goal = await app.objectives.create(
            ctx, cycle_id=ids.cycle_id, title="Fidelizzare", owner="user:builder"
        )
        kr = await app.key_results.create(
            ctx, objective_id=goal.item_id, title="Rinnovi", kind="increase",
            owner="user:builder", start=70, target=80,
        )  # fmt: skip
        await app.key_results.record_check_in(ctx, kr.item_id, value=75, on=date(2027, 2, 1))
        assert await projected_position(system.pool, a.tenant.id, "progress") < kr.position
        closed = await client.post(
            f"/api/v1/tenants/{a.tenant.id}/cycles/{ids.cycle_id}/close",
            headers=a.auth("consultancy_admin"),
        )
        assert closed.status_code == 200, closed.text
    cycle = await app.cycles.get(ctx, ids.cycle_id)
    assert set(cycle.key_result_scores) == {ids.key_result_id, kr.item_id}
    assert set(cycle.objective_scores) == {ids.objective_id, goal.item_id}
    assert str(cycle.key_result_scores[kr.item_id]) == "0.5"
    assert not (await app.cycles.get(Context(b.tenant.id, actor="x"), ids.cycle_id)).is_closed
