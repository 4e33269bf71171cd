"""An archived objective's key results through the API: retired with it."""

from __future__ import annotations

import httpx

from services.bootstrap import System
from services.settings import Settings
from tests.api.builders import SharedIds, a_side, token_settings


async def test_a_check_in_on_an_archived_objective_s_key_result_is_409(
    client: httpx.AsyncClient, system: System, api_settings: Settings
) -> None:
    """Its objective archived, the key result took a check-in (201) that no view counted:
    it is 409 problem+json naming key_result_id and why, and nothing is written."""
    ids = SharedIds()
    side = await a_side(system, token_settings(api_settings), ids, "secret-retired", "21")
    base, auth = f"/api/v1/tenants/{side.tenant.id}", side.auth("client_admin")
    archived = await client.post(
        f"{base}/objectives/{ids.objective_id}/archive", headers=auth,
        json={"reason": "non più una priorità"},
    )  # fmt: skip
    assert archived.status_code in (200, 201), archived.text
    head = await system.store.head(side.tenant.id)
    refused = await client.post(
        f"{base}/key-results/{ids.key_result_id}/check-ins", headers=auth,
        json={"value": "20", "on": "2027-02-02"},
    )  # fmt: skip
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    (error,) = refused.json()["errors"]
    assert (error["field"], error["rule"]) == ("key_result_id", "archived")
    assert "objective is archived" in error["message"]
    assert await system.store.head(side.tenant.id) == head


async def test_a_kpi_lists_no_key_result_of_an_archived_objective_as_fed(
    client: httpx.AsyncClient, system: System, api_settings: Settings
) -> None:
    """A KPI feeding a key result whose objective was then archived still listed it in
    key_result_ids (GET /kpis, the KPI's tile): it lists none, and the other side's KPI,
    same ids, still lists its own."""
    ids = SharedIds()
    a = await a_side(system, token_settings(api_settings), ids, "secret-fed-a", "21")
    b = await a_side(system, token_settings(api_settings), ids, "secret-fed-b", "21")
    positions = {}
    for side in (a, b):
        linked = await client.post(
            f"/api/v1/tenants/{side.tenant.id}/kpis/{ids.kpi_id}/key-results",
            headers=side.auth("client_admin"), json={"key_result_id": str(ids.key_result_id)},
        )  # fmt: skip
        assert linked.status_code in (200, 201), linked.text
        positions[side.tenant.id] = linked.headers["x-okr-position"]
    archived = await client.post(
        f"/api/v1/tenants/{a.tenant.id}/objectives/{ids.objective_id}/archive",
        headers=a.auth("client_admin"), json={"reason": "non più una priorità"},
    )  # fmt: skip
    assert archived.status_code in (200, 201), archived.text
    positions[a.tenant.id] = archived.headers["x-okr-position"]
    fed = {}
    for side in (a, b):
        board = await client.get(
            f"/api/v1/tenants/{side.tenant.id}/kpis", headers=side.auth("client_viewer"),
            params={"min_position": positions[side.tenant.id]},
        )  # fmt: skip
        assert board.status_code == 200, board.text
        (tile,) = board.json()["items"]
        fed[side.tenant.id] = tile["key_result_ids"]
    assert fed == {a.tenant.id: [], b.tenant.id: [str(ids.key_result_id)]}
