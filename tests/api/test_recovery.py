"""A KPI turned amber or red through the API: whether a recovery OKR is aligned to it (a key
result of an active cycle it feeds), as the portal's page says it."""

from __future__ import annotations

import httpx

from services.bootstrap import System
from services.settings import Settings
from tests.api.builders import SharedIds, Side, a_side, token_settings


async def _tile(client: httpx.AsyncClient, side: Side, position: str) -> dict[str, object]:
    board = await client.get(
        f"/api/v1/tenants/{side.tenant.id}/kpis", headers=side.auth("client_viewer"),
        params={"min_position": position},
    )  # fmt: skip
    assert board.status_code == 200, board.text
    (tile,) = board.json()["items"]
    recovery = {key: tile[key] for key in ("health", "recovery_key_result_ids", "needs_recovery")}
    return recovery


async def test_an_unhealthy_kpi_says_whether_a_recovery_key_result_is_aligned_to_it(
    client: httpx.AsyncClient, system: System, api_settings: Settings
) -> None:
    """GET /kpis listed the key results a KPI feeds, of any cycle, closed ones too: whether
    an amber KPI had a recovery OKR running was for the client to work out from the cycles.
    Each says the key results it feeds of an active cycle, and needs_recovery while it is
    amber or red with none; a key result fed in A, same ids in B, moves A's only, and A's
    cycle closed leaves A's KPI with none again."""
    ids = SharedIds()
    a = await a_side(system, token_settings(api_settings), ids, "secret-recovery-a", "21")
    b = await a_side(system, token_settings(api_settings), ids, "secret-recovery-b", "22")
    heads = {side.tenant.id: str(await system.store.head(side.tenant.id)) for side in (a, b)}
    unrecovered = {"health": "amber", "recovery_key_result_ids": [], "needs_recovery": True}
    assert await _tile(client, a, heads[a.tenant.id]) == unrecovered

    linked = await client.post(
        f"/api/v1/tenants/{a.tenant.id}/kpis/{ids.kpi_id}/key-results",
        headers=a.auth("client_admin"), json={"key_result_id": str(ids.key_result_id)},
    )  # fmt: skip
    assert linked.status_code == 201, linked.text
    assert await _tile(client, a, linked.headers["x-okr-position"]) == {
        "health": "amber", "recovery_key_result_ids": [str(ids.key_result_id)],
        "needs_recovery": False,
    }  # fmt: skip
    assert await _tile(client, b, heads[b.tenant.id]) == unrecovered

    closed = await client.post(
        f"/api/v1/tenants/{a.tenant.id}/cycles/{ids.cycle_id}/close",
        headers=a.auth("consultant"), json={},
    )  # fmt: skip
    assert closed.status_code in (200, 201), closed.text
    assert await _tile(client, a, closed.headers["x-okr-position"]) == unrecovered
