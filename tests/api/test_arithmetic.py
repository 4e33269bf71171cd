"""GLOSSARY.md's arithmetic through the API: the numbers the domain works out, on the days
and at the boundaries where rounding could move them, are the numbers every view answers."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from services.bootstrap import System
from services.settings import Settings
from tests.api.builders import SharedIds, Side, a_side, token_settings


async def a_key_result(
    client: httpx.AsyncClient, side: Side, ids: SharedIds, **spec: Any
) -> tuple[str, int]:
    """A key result of the side's objective (Q1 2027), and the position that made it."""
    made = await client.post(
        f"/api/v1/tenants/{side.tenant.id}/key-results",
        headers=side.auth("client_admin"),
        json={"objective_id": str(ids.objective_id), "title": "Nuovi clienti", **spec},
    )
    assert made.status_code == 201, made.text
    return made.json()["id"], int(made.headers["X-OKR-Position"])


async def checked_in(client: httpx.AsyncClient, side: Side, kr: str, value: str, on: str) -> int:
    done = await client.post(
        f"/api/v1/tenants/{side.tenant.id}/key-results/{kr}/check-ins",
        headers=side.auth("client_admin"),
        json={"value": value, "on": on},
    )
    assert done.status_code == 201, done.text
    return int(done.headers["X-OKR-Position"])


async def statuses(
    client: httpx.AsyncClient, side: Side, kr: str, position: int, today: str
) -> list[str]:
    """The key result's status on `today` as the progress tree, the objective tree and the
    key-result list each answer it."""
    base = f"/api/v1/tenants/{side.tenant.id}"
    params: dict[str, str | int] = {"today": today, "min_position": position}
    auth = side.auth("client_viewer")
    said = []
    for path in ("progress", "objectives/tree"):
        tree = await client.get(f"{base}/{path}", headers=auth, params=params)
        assert tree.status_code == 200, tree.text
        said += [
            k["status"] for c in tree.json()["cycles"] for o in c["objectives"]
            for k in o["key_results"] if k["key_result_id"] == kr
        ]  # fmt: skip
    listed = await client.get(f"{base}/key-results", headers=auth, params=params)
    assert listed.status_code == 200, listed.text
    said += [k["status"] for k in listed.json()["items"] if k["key_result_id"] == kr]
    return said


async def test_a_key_result_exactly_on_its_pace_is_on_it_in_every_view(
    client: httpx.AsyncClient, system: System, api_settings: Settings
) -> None:
    """0 → 89 over Q1 2027 (89 days): 76 is exactly 0.95 of the pace on 22 March (day 80)
    and 30 exactly 0.75 of it on 10 February (day 40). The glossary's thresholds are
    inclusive, so the first is on track and the second at risk on that day, a status worse
    the day after; every view said at risk and off track on the day itself (0.95 and 0.75
    of a rounded 80/89 and 40/89 came out a digit past p)."""
    ids = SharedIds()
    side = await a_side(system, token_settings(api_settings), ids, "secret-pace", "21")
    spec = {"kind": "increase", "start": 0, "target": 89, "unit": {"kind": "count"}}
    on_track, _ = await a_key_result(client, side, ids, **spec)
    at_risk, _ = await a_key_result(client, side, ids, **spec)
    await checked_in(client, side, on_track, "76", "2027-03-01")
    position = await checked_in(client, side, at_risk, "30", "2027-02-01")

    assert await statuses(client, side, on_track, position, "2027-03-22") == ["on_track"] * 3
    assert await statuses(client, side, on_track, position, "2027-03-23") == ["at_risk"] * 3
    assert await statuses(client, side, at_risk, position, "2027-02-10") == ["at_risk"] * 3
    assert await statuses(client, side, at_risk, position, "2027-02-11") == ["off_track"] * 3


async def test_a_relative_target_refused_names_the_percentage(
    client: httpx.AsyncClient, system: System, api_settings: Settings
) -> None:
    """A key result or a revision whose target_percent gives a target the wrong way, the
    start itself or the one it has is refused 422 naming target_percent, the field sent
    (it named target, which the body did not have), and nothing is written."""
    ids = SharedIds()
    side = await a_side(system, token_settings(api_settings), ids, "secret-percent", "21")
    base, auth = f"/api/v1/tenants/{side.tenant.id}", side.auth("client_admin")
    kr, _ = await a_key_result(
        client, side, ids, kind="increase", start=50, target_percent=20, unit={"kind": "count"}
    )
    head = await system.store.head(side.tenant.id)
    spec = {"objective_id": str(ids.objective_id), "title": "Nuovi clienti", "kind": "increase"}
    for percent, rule in (("-20", "target_direction"), ("0", "start_equals_target")):
        made = await client.post(
            f"{base}/key-results", headers=auth,
            json={**spec, "start": 50, "target_percent": percent},
        )  # fmt: skip
        revised = await client.post(
            f"{base}/key-results/{kr}/target-revisions", headers=auth,
            json={"target_percent": percent, "reason": "mercato"},
        )  # fmt: skip
        for refused in (made, revised):
            assert refused.status_code == 422, refused.text
            assert refused.headers["content-type"] == "application/problem+json"
            assert [(e["field"], e["rule"]) for e in refused.json()["errors"]] == [
                ("target_percent", rule)
            ]
    same = await client.post(
        f"{base}/key-results/{kr}/target-revisions", headers=auth,
        json={"target_percent": "20.0", "reason": "mercato"},
    )  # fmt: skip
    assert [(e["field"], e["rule"]) for e in same.json()["errors"]] == [
        ("target_percent", "unchanged")
    ]
    assert await system.store.head(side.tenant.id) == head


async def test_an_objective_exactly_on_a_band_s_edge_is_in_it_before_and_after_the_close(
    client: httpx.AsyncClient, system: System, api_settings: Settings
) -> None:
    """Key results at 1/5, 21/22 and 1/22 make an objective of exactly 0.4: its progress
    reads "0.4" and, closed, its score is 0.4, amber (it was 0.3999…97: red, shown 0.39)."""
    ids = SharedIds()
    side = await a_side(system, token_settings(api_settings), ids, "secret-band", "21")
    base, auth = f"/api/v1/tenants/{side.tenant.id}", side.auth("consultancy_admin")
    made = await client.post(
        f"{base}/objectives", headers=auth,
        json={"cycle_id": str(ids.cycle_id), "title": "Crescere", "owner": "user:anna"},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    goal = made.json()["id"]
    for target, value in ((5, 1), (22, 21), (22, 1)):
        kr = await client.post(
            f"{base}/key-results", headers=auth,
            json={"objective_id": goal, "title": f"{value} di {target}", "kind": "increase",
                  "start": 0, "target": target},
        )  # fmt: skip
        assert kr.status_code == 201, kr.text
        await checked_in(client, side, kr.json()["id"], str(value), "2027-03-01")

    async def objective(position: str) -> dict[str, Any]:
        tree = await client.get(f"{base}/progress", headers=auth, params={"min_position": position})
        assert tree.status_code == 200, tree.text
        (node,) = [o for o in tree.json()["cycles"][0]["objectives"] if o["objective_id"] == goal]
        return dict(node)

    before = await objective(str(await system.store.head(side.tenant.id)))
    assert before["progress"] == "0.4"
    closed = await client.post(f"{base}/cycles/{ids.cycle_id}/close", headers=auth)
    assert closed.status_code == 200, closed.text
    after = await objective(closed.headers["X-OKR-Position"])
    assert (after["score"], after["score_band"]) == ("0.4", "amber")


async def _closed_at_half(
    client: httpx.AsyncClient, system: System, api_settings: Settings, secret: str
) -> tuple[Side, SharedIds, str]:
    """A side whose count key result (0 to 10) was checked in at 5 and its cycle closed:
    scored 0.5."""
    ids = SharedIds()
    side = await a_side(system, token_settings(api_settings), ids, secret, "21")
    kr, _ = await a_key_result(
        client, side, ids, kind="increase", start=0, target=10, unit={"kind": "count"}
    )
    await checked_in(client, side, kr, "5", "2027-03-01")
    closed = await client.post(
        f"/api/v1/tenants/{side.tenant.id}/cycles/{ids.cycle_id}/close",
        headers=side.auth("consultancy_admin"),
    )
    assert closed.status_code == 200, closed.text
    return side, ids, kr


async def test_a_check_in_corrected_after_the_close_leaves_the_score_and_the_api_says_so(
    client: httpx.AsyncClient, system: System, api_settings: Settings
) -> None:
    """The key result answers its closing score beside its value and progress, and
    OpenAPI says the score was given at the close and stays: a correction after the close
    moves the progress (0.5 → 0.6), not the score (0.5), which read as a contradiction
    with nothing to say why (the score was not in the key result's answer at all)."""
    side, _, kr = await _closed_at_half(client, system, api_settings, "secret-score")
    base, auth = f"/api/v1/tenants/{side.tenant.id}", side.auth("consultancy_admin")
    [check_in] = (await client.get(f"{base}/key-results/{kr}/check-ins", headers=auth)).json()[
        "items"
    ]
    corrected = await client.post(
        f"{base}/key-results/{kr}/check-ins/{check_in['id']}/corrections", headers=auth,
        json={"value": "6", "reason": "contati male"},
    )  # fmt: skip
    assert corrected.status_code in (200, 201), corrected.text
    got = (await client.get(f"{base}/key-results/{kr}", headers=auth)).json()
    assert (got["value"], got["progress"], got["score"]) == ("6", "0.6", "0.5")
    schema = (await client.get("/schema/openapi.json")).json()["components"]["schemas"]
    said = schema["KeyResultOut"]["properties"]["score"]["description"]
    assert "not its score" in said


async def test_a_score_adjusted_to_the_one_it_has_is_refused_and_minus_zero_is_zero(
    client: httpx.AsyncClient, system: System, api_settings: Settings
) -> None:
    """A closing score adjusted to the score it has (0.50 for 0.5) is refused 422 unchanged
    naming score, nothing written, as the portal refuses it (it was recorded, a change the
    history said as one); one of -0.0 is 0, stored and answered so (it answered "-0.0")."""
    side, ids, kr = await _closed_at_half(client, system, api_settings, "secret-rescore")
    base, auth = f"/api/v1/tenants/{side.tenant.id}", side.auth("consultancy_admin")
    adjustments = f"{base}/cycles/{ids.cycle_id}/score-adjustments"
    head = await system.store.head(side.tenant.id)
    same = await client.post(
        adjustments, headers=auth, json={"item_id": kr, "score": "0.50", "reason": "ricontato"}
    )
    assert same.status_code == 422, same.text
    assert [(e["field"], e["rule"]) for e in same.json()["errors"]] == [("score", "unchanged")]
    assert await system.store.head(side.tenant.id) == head

    zero = await client.post(
        adjustments, headers=auth, json={"item_id": kr, "score": "-0.0", "reason": "annullato"}
    )
    assert zero.status_code == 200, zero.text
    params = {"min_position": zero.headers["X-OKR-Position"]}
    got = (await client.get(f"{base}/key-results/{kr}", headers=auth, params=params)).json()
    assert got["score"] == "0"
    cycle = await system.repository.get(side.tenant.id, ids.cycle_id)
    assert str(cycle.key_result_scores[uuid.UUID(kr)]) == "0"
