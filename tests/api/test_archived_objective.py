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
