"""An archived objective's key results through the API: retired with it."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import httpx

from services.app import Context, OKRApplication
from services.bootstrap import System
from services.settings import Settings
from tests.api.builders import SharedIds, Side, a_side, token_settings


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


async def test_a_key_result_of_a_cycle_still_in_planning_is_not_overdue(
    client: httpx.AsyncClient, system: System, api_settings: Settings
) -> None:
    """Q2 2027 planned, not activated: on 15 May its key result, never checked in, was
    answered stale (overdue) by the progress tree though the cycle is not running. It is
    not, in every view; activated, it is."""
    ids = SharedIds()
    side = await a_side(system, token_settings(api_settings), ids, "secret-planned", "21")
    base, auth = f"/api/v1/tenants/{side.tenant.id}", side.auth("client_admin")
    cycle = await client.post(
        f"{base}/cycles", headers=auth,
        json={"name": "Q2 2027", "starts_on": "2027-04-01", "ends_on": "2027-06-30"},
    )  # fmt: skip
    assert cycle.status_code == 201, cycle.text
    goal = await client.post(
        f"{base}/objectives", headers=auth,
        json={"cycle_id": cycle.json()["id"], "title": "Crescere", "owner": "user:giulia"},
    )  # fmt: skip
    assert goal.status_code == 201, goal.text
    made = await client.post(
        f"{base}/key-results", headers=auth,
        json={"objective_id": goal.json()["id"], "title": "Clienti", "kind": "increase",
              "start": 0, "target": 10, "owner": "user:giulia"},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    kr = made.json()["id"]

    async def stale(position: str) -> list[bool]:
        params = {"today": "2027-05-15", "min_position": position}
        said = []
        for path in ("progress", "objectives/tree"):
            tree = await client.get(f"{base}/{path}", headers=auth, params=params)
            assert tree.status_code == 200, tree.text
            said += [
                k["stale"] for c in tree.json()["cycles"] for o in c["objectives"]
                for k in o["key_results"] if k["key_result_id"] == kr
            ]  # fmt: skip
        return said

    assert await stale(made.headers["x-okr-position"]) == [False, False]
    activated = await client.post(f"{base}/cycles/{cycle.json()['id']}/activate", headers=auth)
    assert activated.status_code in (200, 201), activated.text
    assert await stale(activated.headers["x-okr-position"]) == [True, True]


async def test_a_kpi_s_linked_key_results_leave_out_those_of_an_archived_objective(
    client: httpx.AsyncClient, system: System, api_settings: Settings
) -> None:
    """GET /kpis/{id} listed in linked_key_results the key result of an objective archived
    since, which its tile, its page and its measurements no longer feed: it leaves it out,
    and the other side's KPI, same ids, still lists its own."""
    ids = SharedIds()
    a = await a_side(system, token_settings(api_settings), ids, "secret-linked-a", "21")
    b = await a_side(system, token_settings(api_settings), ids, "secret-linked-b", "21")
    for side in (a, b):
        linked = await client.post(
            f"/api/v1/tenants/{side.tenant.id}/kpis/{ids.kpi_id}/key-results",
            headers=side.auth("client_admin"), json={"key_result_id": str(ids.key_result_id)},
        )  # fmt: skip
        assert linked.status_code in (200, 201), linked.text
    archived = await client.post(
        f"/api/v1/tenants/{a.tenant.id}/objectives/{ids.objective_id}/archive",
        headers=a.auth("client_admin"), json={"reason": "non più una priorità"},
    )  # fmt: skip
    assert archived.status_code in (200, 201), archived.text
    listed = await linked_key_results(client, ids, a, b)
    assert listed == {a.tenant.id: [], b.tenant.id: [str(ids.key_result_id)]}


async def linked_key_results(
    client: httpx.AsyncClient, ids: SharedIds, *sides: Side
) -> dict[UUID, list[str]]:
    """What GET /kpis/{id} lists as the KPI's linked_key_results, on each side."""
    listed = {}
    for side in sides:
        kpi = await client.get(
            f"/api/v1/tenants/{side.tenant.id}/kpis/{ids.kpi_id}",
            headers=side.auth("client_viewer"),
        )
        assert kpi.status_code == 200, kpi.text
        listed[side.tenant.id] = kpi.json()["linked_key_results"]
    return listed


async def test_a_kpi_feeding_many_key_results_lists_and_feeds_its_live_ones_in_order(
    client: httpx.AsyncClient, system: System, api_settings: Settings
) -> None:
    """A KPI's page and its measurements load the key results it names together (one
    after another, a KPI feeding 50 took 50 round trips): the same ones as before, in the
    KPI's order, an archived one and those of an archived objective left out and fed
    nothing; the other side's KPI, same ids, names none of them."""
    ids = SharedIds()
    a = await a_side(system, token_settings(api_settings), ids, "secret-many-a", "21")
    b = await a_side(system, token_settings(api_settings), ids, "secret-many-b", "21")
    app, ctx = OKRApplication(system.repository), Context(a.tenant.id, actor="user:builder")
    other = await app.objectives.create(
        ctx, cycle_id=ids.cycle_id, title="Assistenza", owner="user:builder"
    )
    made = []
    for n in range(12):
        kr = await app.key_results.create(
            ctx, objective_id=other.item_id if n % 3 == 0 else ids.objective_id,
            title=f"Risposta {n}", kind="decrease", owner="user:builder", start=24,
            target=20, kpi_id=ids.kpi_id,
        )  # fmt: skip
        made.append(kr.item_id)
    await app.key_results.archive(ctx, made[1], reason="doppione")
    await app.objectives.archive(ctx, other.item_id, reason="non più una priorità")
    live = [kr for n, kr in enumerate(made) if n != 1 and n % 3 != 0]
    listed = await linked_key_results(client, ids, a, b)
    assert listed == {a.tenant.id: [str(kr) for kr in live], b.tenant.id: []}

    async def check_ins() -> list[int]:
        return [len((await app.key_results.get(ctx, kr)).check_ins) for kr in made]

    before = await check_ins()
    await app.kpis.record_measurement(ctx, ids.kpi_id, value=22, on=date(2027, 2, 10))
    after = await check_ins()
    assert [kr for kr, was, now in zip(made, before, after, strict=True) if now > was] == live
