"""The scores a close gave, in the history: the close's line says them, and the timeline of
a key result or objective (?item_id=) has the close that scored it, saying its score."""

from __future__ import annotations

import httpx

from services.bootstrap import System
from services.settings import Settings
from tests.api.builders import SharedIds, Side, a_side, token_settings


async def _timeline(client: httpx.AsyncClient, side: Side, item: object, at: str) -> list[str]:
    lines = await client.get(
        f"/api/v1/tenants/{side.tenant.id}/history", headers=side.auth("client_viewer"),
        params={"item_id": str(item), "min_position": at},
    )  # fmt: skip
    assert lines.status_code == 200, lines.text
    return [line["text"] for line in lines.json()["items"]]


async def test_an_item_s_timeline_says_the_score_its_close_gave_it(
    client: httpx.AsyncClient, system: System, api_settings: Settings
) -> None:
    """An auditor reading the key result's timeline saw its check-ins and, after the close,
    only a later "0.62 → 0.70" from a score never said: the close is in it now, with the
    score it gave; in tenant B, whose items have the same ids and whose cycle is open, no
    close is said."""
    ids = SharedIds()
    a = await a_side(system, token_settings(api_settings), ids, "secret-a", "21")
    b = await a_side(system, token_settings(api_settings), ids, "secret-b", "21")
    closed = await client.post(
        f"/api/v1/tenants/{a.tenant.id}/cycles/{ids.cycle_id}/close",
        headers=a.auth("consultancy_admin"),
    )
    assert closed.status_code == 200, closed.text
    at = closed.headers["X-OKR-Position"]

    of_kr = await _timeline(client, a, ids.key_result_id, at)
    assert of_kr[0].startswith("cycle 'Q1 2027' closed and scored by ")
    assert of_kr[0].endswith(": this key result scored 0.62 (cycle: score 0.62)")
    of_objective = await _timeline(client, a, ids.objective_id, at)
    assert of_objective[0].endswith(": this objective scored 0.62 (cycle: score 0.62)")
    of_cycle = await _timeline(client, a, ids.cycle_id, at)
    assert of_cycle[0].endswith(
        ": score 0.62; objectives 'Efficienza operativa' 0.62 (key results: 1, objectives: 1)"
    )
    head_b = str(await system.store.head(b.tenant.id))
    assert not any(
        "closed" in text for text in await _timeline(client, b, ids.key_result_id, head_b)
    )
