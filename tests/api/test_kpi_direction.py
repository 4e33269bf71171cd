"""A KPI's direction turned under the key results it feeds."""

from __future__ import annotations

import httpx

from services.bootstrap import System
from services.settings import Settings
from tests.api.builders import SharedIds, Side, a_side, token_settings

TO_HIGHER = {"direction": "higher_is_better", "green": "24", "red": "20", "reason": "al contrario"}


async def _link(client: httpx.AsyncClient, side: Side, ids: SharedIds) -> httpx.Response:
    return await client.post(
        f"/api/v1/tenants/{side.tenant.id}/kpis/{ids.kpi_id}/key-results",
        headers=side.auth("client_admin"), json={"key_result_id": str(ids.key_result_id)},
    )  # fmt: skip


async def _feed(client: httpx.AsyncClient, side: Side, ids: SharedIds) -> None:
    """The side's KPI (response time, lower is better) feeds its key result (24 h → 19.2 h,
    a decrease)."""
    linked = await _link(client, side, ids)
    assert linked.status_code == 201, linked.text


async def _turn(
    client: httpx.AsyncClient, side: Side, ids: SharedIds, body: dict[str, str]
) -> httpx.Response:
    return await client.put(
        f"/api/v1/tenants/{side.tenant.id}/kpis/{ids.kpi_id}/direction",
        headers=side.auth("client_admin"), json=body,
    )  # fmt: skip


async def _turn_refused(
    client: httpx.AsyncClient, system: System, side: Side, ids: SharedIds
) -> None:
    """Turned "higher is better", the side's KPI is 409 naming direction and the key result
    that decreases it, and nothing is written."""
    head = await system.store.head(side.tenant.id)
    refused = await _turn(client, side, ids, TO_HIGHER)
    assert refused.status_code == 409, refused.text
    (error,) = refused.json()["errors"]
    assert (error["field"], error["rule"]) == ("direction", "feeds_key_results")
    assert "decrease it ('Tempo di risposta')" in error["message"]
    assert await system.store.head(side.tenant.id) == head


async def test_a_kpi_is_not_turned_against_the_key_results_it_feeds(
    client: httpx.AsyncClient, system: System, api_settings: Settings
) -> None:
    """Response time turned "higher is better" left the key result that decreases it
    (24 h → 19.2 h) aiming to make it worse, its progress counted the wrong way for the
    KPI and said nowhere: the turn is 409 naming direction and the key result, and writes
    nothing. Tenant B, same ids, whose KPI feeds nothing, turns it. Once A's cycle is
    closed (its scores locked), A's KPI turns."""
    ids = SharedIds()  # (sides of its own: it closes A's cycle)
    a = await a_side(system, token_settings(api_settings), ids, "secret-a", "21")
    b = await a_side(system, token_settings(api_settings), ids, "secret-b", "21")
    await _feed(client, a, ids)

    await _turn_refused(client, system, a, ids)

    assert (await _turn(client, b, ids, TO_HIGHER)).status_code == 200

    closed = await client.post(
        f"/api/v1/tenants/{a.tenant.id}/cycles/{ids.cycle_id}/close",
        headers=a.auth("consultancy_admin"),
    )
    assert closed.status_code == 200, closed.text
    assert (await _turn(client, a, ids, TO_HIGHER)).status_code == 200


async def _unfeed(client: httpx.AsyncClient, side: Side, ids: SharedIds) -> None:
    unlinked = await client.delete(
        f"/api/v1/tenants/{side.tenant.id}/kpis/{ids.kpi_id}/key-results/{ids.key_result_id}",
        headers=side.auth("client_admin"),
    )
    assert unlinked.status_code == 200, unlinked.text


async def _made(
    client: httpx.AsyncClient, side: Side, ids: SharedIds, kind: str, target: str
) -> httpx.Response:
    """A key result of the side's objective, in hours, made fed by its KPI."""
    return await client.post(
        f"/api/v1/tenants/{side.tenant.id}/key-results", headers=side.auth("client_admin"),
        json={"objective_id": str(ids.objective_id), "title": f"Ore ({kind})", "kind": kind,
              "start": "22", "target": target, "kpi_id": str(ids.kpi_id)},
    )  # fmt: skip


async def test_a_key_result_is_not_linked_against_its_kpi_s_direction(
    client: httpx.AsyncClient, system: System, api_settings: Settings
) -> None:
    """Unlinked, the KPI turned "higher is better", linked again: the key result that
    decreases it aimed to make it worse, past the turn's own check; and one made fed by it
    that decreases it, the same. Both are 409 against_direction naming kpi_id, and write
    nothing; a guardrail is made fed by it. In B, same ids, its KPI not turned, the same
    link and key result go through."""
    ids = SharedIds()
    a = await a_side(system, token_settings(api_settings), ids, "secret-a", "21")
    b = await a_side(system, token_settings(api_settings), ids, "secret-b", "21")
    await _feed(client, a, ids)
    await _unfeed(client, a, ids)
    assert (await _turn(client, a, ids, TO_HIGHER)).status_code == 200
    head = await system.store.head(a.tenant.id)

    for refused in (await _link(client, a, ids), await _made(client, a, ids, "decrease", "18")):
        assert refused.status_code == 409, refused.text
        (error,) = refused.json()["errors"]
        assert (error["field"], error["rule"]) == ("kpi_id", "against_direction")
        assert "would decrease the KPI, where higher is better" in error["message"]
    assert await system.store.head(a.tenant.id) == head

    assert (await _made(client, a, ids, "stay_below", "24")).status_code == 201
    await _feed(client, b, ids)
    assert (await _made(client, b, ids, "decrease", "18")).status_code == 201


async def test_a_kpi_is_not_turned_against_the_key_results_of_an_archived_objective(
    client: httpx.AsyncClient, system: System, api_settings: Settings
) -> None:
    """The turn left out the key results of an archived objective: restored, the one that
    decreases response time came back fed by a KPI turned "higher is better", aiming to
    make it worse. It counts them (a restore brings them back): 409 naming direction and
    the key result, nothing written; the objective restored, the key result unlinked, the
    KPI turns. In B, same ids, the key result archived on its own (it never comes back)
    does not stop the turn."""
    ids = SharedIds()
    a = await a_side(system, token_settings(api_settings), ids, "secret-a", "21")
    b = await a_side(system, token_settings(api_settings), ids, "secret-b", "21")
    base = {s.tenant.id: f"/api/v1/tenants/{s.tenant.id}" for s in (a, b)}
    for side in (a, b):
        await _feed(client, side, ids)
    archived = await client.post(
        f"{base[a.tenant.id]}/objectives/{ids.objective_id}/archive",
        headers=a.auth("client_admin"), json={"reason": "in pausa"},
    )  # fmt: skip
    assert archived.status_code == 200, archived.text

    await _turn_refused(client, system, a, ids)

    restored = await client.post(
        f"{base[a.tenant.id]}/objectives/{ids.objective_id}/restore",
        headers=a.auth("client_admin"), json={"reason": "ripresa"},
    )  # fmt: skip
    assert restored.status_code == 200, restored.text
    await _unfeed(client, a, ids)
    assert (await _turn(client, a, ids, TO_HIGHER)).status_code == 200

    retired = await client.post(
        f"{base[b.tenant.id]}/key-results/{ids.key_result_id}/archive",
        headers=b.auth("client_admin"), json={"reason": "superato"},
    )  # fmt: skip
    assert retired.status_code == 200, retired.text
    assert (await _turn(client, b, ids, TO_HIGHER)).status_code == 200
