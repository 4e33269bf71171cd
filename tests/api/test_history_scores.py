"""The scores a close gave, in the history: the close's line says them, and the timeline of
a key result or objective (?item_id=) has the close that scored it, saying its score."""

from __future__ import annotations

import httpx

from services.bootstrap import System
from services.settings import Settings
from tests.api.builders import SharedIds, Side, a_side, token_settings


async def _timeline(
    client: httpx.AsyncClient, side: Side, item: object, at: str, **filters: str
) -> list[str]:
    lines = await client.get(
        f"/api/v1/tenants/{side.tenant.id}/history", headers=side.auth("client_viewer"),
        params={"item_id": str(item), "min_position": at, **filters},
    )  # fmt: skip
    assert lines.status_code == 200, lines.text
    return [line["text"] for line in lines.json()["items"]]


async def _close(client: httpx.AsyncClient, side: Side, ids: SharedIds) -> str:
    """Close the side's cycle; the position its close wrote."""
    closed = await client.post(
        f"/api/v1/tenants/{side.tenant.id}/cycles/{ids.cycle_id}/close",
        headers=side.auth("consultancy_admin"),
    )
    assert closed.status_code == 200, closed.text
    return str(closed.headers["X-OKR-Position"])


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
    at = await _close(client, a, ids)

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


async def test_a_key_result_s_own_kind_of_lines_has_the_close_that_scored_it(
    client: httpx.AsyncClient, system: System, api_settings: Settings
) -> None:
    """Its timeline narrowed to its own kind (?item_id=<key result>&kind=key_result) left
    out the close that scored it, which the item filter alone found: the close is a
    cycle's line, and the kind filter matched the line's own item. A close scored it as a
    key result, so the kind finds it; as an objective it did not score it."""
    ids = SharedIds()
    a = await a_side(system, token_settings(api_settings), ids, "secret-a", "21")
    at = await _close(client, a, ids)

    of_kr = await _timeline(client, a, ids.key_result_id, at, kind="key_result")
    assert of_kr[0].endswith(": this key result scored 0.62 (cycle: score 0.62)")
    assert of_kr[1:] == (await _timeline(client, a, ids.key_result_id, at))[1:]
    as_objective = await _timeline(client, a, ids.key_result_id, at, kind="objective")
    assert not any("closed" in text for text in as_objective)


async def test_a_cycle_s_timeline_has_the_scores_changed_after_its_close(
    client: httpx.AsyncClient, system: System, api_settings: Settings
) -> None:
    """An auditor reading the cycle's own timeline (?item_id=<cycle>, the portal's item
    filter) saw it closed at 0.62, and nothing of the score changed since: each line of the
    adjustment was only on the scored item's timeline, and the cycle with the kind "scores
    changed" matched nothing at all. Its timeline has them now, as the cycle filter
    (?cycle_id=) has; tenant B, with the same ids and its cycle open, has none."""
    ids = SharedIds()
    a = await a_side(system, token_settings(api_settings), ids, "secret-a", "21")
    b = await a_side(system, token_settings(api_settings), ids, "secret-b", "21")
    await _close(client, a, ids)
    adjusted = await client.post(
        f"/api/v1/tenants/{a.tenant.id}/cycles/{ids.cycle_id}/score-adjustments",
        headers=a.auth("consultancy_admin"),
        json={"item_id": str(ids.key_result_id), "score": "0.7", "reason": "market shrank"},
    )
    assert adjusted.status_code == 200, adjusted.text
    at = str(adjusted.headers["X-OKR-Position"])

    of_cycle = await _timeline(client, a, ids.cycle_id, at)
    assert of_cycle[0].startswith("score of 'Efficienza operativa' adjusted 0.62 → 0.70 by ")
    # the objective followed, and the cycle's score with it (its close said 0.62): said
    assert "(cycle: score 0.62 → 0.70): 'follows the scores it is made of" in of_cycle[0]
    assert of_cycle[1].endswith(": 'market shrank'")
    assert "(cycle:" not in of_cycle[1]  # the key result's own: the cycle's is not of it
    assert of_cycle[2].startswith("cycle 'Q1 2027' closed and scored by ")
    scores = await _timeline(client, a, ids.cycle_id, at, kind="cycle.score_adjusted")
    assert scores == of_cycle[:2]
    head_b = str(await system.store.head(b.tenant.id))
    assert await _timeline(client, b, ids.cycle_id, head_b, kind="cycle.score_adjusted") == []
