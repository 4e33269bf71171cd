"""A KPI's direction turned under the key results it feeds."""

from __future__ import annotations

import httpx

from services.bootstrap import System
from services.settings import Settings
from tests.api.builders import SharedIds, Side, a_side, token_settings

TO_HIGHER = {"direction": "higher_is_better", "green": "24", "red": "20", "reason": "al contrario"}
TO_LOWER = {"direction": "lower_is_better", "green": "20", "red": "24", "reason": "era giusta"}


async def _feed(client: httpx.AsyncClient, side: Side, ids: SharedIds) -> None:
    """The side's KPI (response time, lower is better) feeds its key result (24 h → 19.2 h,
    a decrease)."""
    linked = await client.post(
        f"/api/v1/tenants/{side.tenant.id}/kpis/{ids.kpi_id}/key-results",
        headers=side.auth("client_admin"), json={"key_result_id": str(ids.key_result_id)},
    )  # fmt: skip
    assert linked.status_code == 201, linked.text


async def _turn(
    client: httpx.AsyncClient, side: Side, ids: SharedIds, body: dict[str, str]
) -> httpx.Response:
    return await client.put(
        f"/api/v1/tenants/{side.tenant.id}/kpis/{ids.kpi_id}/direction",
        headers=side.auth("client_admin"), json=body,
    )  # fmt: skip


async def test_a_kpi_is_not_turned_against_the_key_results_it_feeds(
    client: httpx.AsyncClient, system: System, api_settings: Settings
) -> None:
    """Response time turned "higher is better" left the key result that decreases it
    (24 h → 19.2 h) aiming to make it worse, its progress counted the wrong way for the
    KPI and said nowhere: the turn is 409 naming direction and the key result, and writes
    nothing. Tenant B, same ids, whose KPI feeds nothing, turns it; there a key result that
    goes the new way does not stop the turn back. Once A's cycle is closed (its scores
    locked), A's KPI turns."""
    ids = SharedIds()  # (sides of its own: it closes A's cycle)
    a = await a_side(system, token_settings(api_settings), ids, "secret-a", "21")
    b = await a_side(system, token_settings(api_settings), ids, "secret-b", "21")
    await _feed(client, a, ids)
    head = await system.store.head(a.tenant.id)

    refused = await _turn(client, a, ids, TO_HIGHER)
    assert refused.status_code == 409, refused.text
    (error,) = refused.json()["errors"]
    assert (error["field"], error["rule"]) == ("direction", "feeds_key_results")
    assert "decrease it ('Tempo di risposta')" in error["message"]
    assert await system.store.head(a.tenant.id) == head

    assert (await _turn(client, b, ids, TO_HIGHER)).status_code == 200
    await _feed(client, b, ids)  # (a decrease: lower is better is its way)
    assert (await _turn(client, b, ids, TO_LOWER)).status_code == 200

    closed = await client.post(
        f"/api/v1/tenants/{a.tenant.id}/cycles/{ids.cycle_id}/close",
        headers=a.auth("consultancy_admin"),
    )
    assert closed.status_code == 200, closed.text
    assert (await _turn(client, a, ids, TO_HIGHER)).status_code == 200
