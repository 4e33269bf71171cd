"""An archived objective restored through the API: its key results back in the tree, the
check-ins and the history; refused where it cannot come back, nothing written."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest

from domain.kpi import KPI
from domain.objective import Objective
from services.app import Context, OKRApplication
from services.bootstrap import System
from services.projector import rebuild
from services.projector.registry import PROJECTIONS
from services.projector.waiting import projected_position
from services.projector.worker import TENANT_LOCK_KEY
from services.settings import Settings
from tests.api.builders import SharedIds, Side, a_side, token_settings
from tests.conftest import until_done_or_waiting_for_a_lock


async def _post(client: httpx.AsyncClient, side: Side, path: str, body: Any) -> httpx.Response:
    return await client.post(
        f"/api/v1/tenants/{side.tenant.id}/{path}", headers=side.auth("client_admin"), json=body
    )


async def _objective_ids(client: httpx.AsyncClient, side: Side, **params: str) -> list[str]:
    tree = await client.get(
        f"/api/v1/tenants/{side.tenant.id}/progress", headers=side.auth("client_viewer"),
        params=params,
    )  # fmt: skip
    assert tree.status_code == 200, tree.text
    return [o["objective_id"] for c in tree.json()["cycles"] for o in c["objectives"]]


async def test_an_archived_objective_is_restored_with_its_key_results(
    client: httpx.AsyncClient, system: System, api_settings: Settings
) -> None:
    """Nothing brought an archived objective back: POST …/restore with a reason makes it
    live again in A (its key result takes check-ins again; the tree as of the archive has
    it not, as of the restore has it), said in A's history, audit trail and the diff of the
    two instants; B's, same ids, archived too, stays archived."""
    ids = SharedIds()
    a = await a_side(system, token_settings(api_settings), ids, "secret-restore-a", "21")
    b = await a_side(system, token_settings(api_settings), ids, "secret-restore-b", "21")
    goal, reason = str(ids.objective_id), {"reason": "archiviato per errore"}
    archived = {}
    for side in (a, b):
        done = await _post(client, side, f"objectives/{goal}/archive", {"reason": "doppione"})
        assert done.status_code == 200, done.text
        archived[side.tenant.id] = done.headers["x-okr-position"]

    restored = await _post(client, a, f"objectives/{goal}/restore", reason)

    assert restored.status_code == 200, restored.text
    position = restored.headers["x-okr-position"]
    checked = await _post(client, a, f"key-results/{ids.key_result_id}/check-ins",
                          {"value": "20", "on": "2027-02-02"})  # fmt: skip
    assert checked.status_code == 201, checked.text
    assert await _objective_ids(client, a, min_position=checked.headers["x-okr-position"]) == [goal]
    assert await _objective_ids(client, b, min_position=archived[b.tenant.id]) == []
    assert await _objective_ids(client, a, as_of_position=archived[a.tenant.id]) == []
    assert await _objective_ids(client, a, as_of_position=position) == [goal]
    history = await client.get(
        f"/api/v1/tenants/{a.tenant.id}/history", headers=a.auth("client_admin") | {
            "accept-language": "it"}, params={"min_position": position, "kind": "objective"},
    )  # fmt: skip
    assert history.status_code == 200, history.text
    line = history.json()["items"][0]
    assert line["template"] == "objective.restored"
    assert "ripristinato da" in line["text"] and "'archiviato per errore'" in line["text"]
    audit = await client.get(
        f"/api/v1/tenants/{a.tenant.id}/audit", headers=a.auth("client_admin"),
        params={"item_id": goal},
    )  # fmt: skip
    assert audit.status_code == 200, audit.text
    at = {e["topic"]: e["recorded_at"] for e in audit.json()["items"]}
    assert "okr.Objective.Restored" in at
    changed = await client.get(
        f"/api/v1/tenants/{a.tenant.id}/diff", headers=a.auth("client_admin"),
        params={"from": at["okr.Objective.Archived"], "to": at["okr.Objective.Restored"]},
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    said = {(c["item_id"], c["field"]): (c["before"], c["after"]) for c in changed.json()}
    assert said[(goal, "archived")] == ("true", "false")
    other = await client.get(
        f"/api/v1/tenants/{b.tenant.id}/audit", headers=b.auth("client_admin"),
        params={"item_id": goal},
    )  # fmt: skip
    assert "okr.Objective.Restored" not in [e["topic"] for e in other.json()["items"]]


async def test_a_restore_is_refused_where_the_objective_cannot_come_back(
    client: httpx.AsyncClient, system: System, api_settings: Settings
) -> None:
    """Each refused with problem+json naming the field and writing nothing: one not
    archived (409 objective_id not_archived), one under a parent still archived (409
    parent_id parent_archived), a blank reason (422 reason), one of a closed cycle (409
    cycle_id cycle_closed)."""
    ids = SharedIds()
    side = await a_side(system, token_settings(api_settings), ids, "secret-refused", "21")
    goal = str(ids.objective_id)
    child = await _post(client, side, "objectives", {
        "cycle_id": str(ids.cycle_id), "title": "Sotto", "owner": "user:giulia",
        "parent_id": goal})  # fmt: skip
    assert child.status_code == 201, child.text
    child_id = child.json()["id"]

    async def refused(item: str, body: dict[str, str], status: int) -> tuple[str, str]:
        head = await system.store.head(side.tenant.id)
        answer = await _post(client, side, f"objectives/{item}/restore", body)
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert await system.store.head(side.tenant.id) == head
        (error,) = answer.json()["errors"]
        return error["field"], error["rule"]

    why = {"reason": "serve ancora"}
    assert await refused(goal, why, 409) == ("objective_id", "not_archived")
    for item in (child_id, goal):
        done = await _post(client, side, f"objectives/{item}/archive", {"reason": "assorbito"})
        assert done.status_code == 200, done.text
    assert await refused(child_id, why, 409) == ("parent_id", "parent_archived")
    assert (await refused(goal, {"reason": " "}, 422))[0] == "reason"
    closed = await client.post(
        f"/api/v1/tenants/{side.tenant.id}/cycles/{ids.cycle_id}/close",
        headers=side.auth("consultant"),
    )
    assert closed.status_code == 200, closed.text
    assert await refused(goal, why, 409) == ("cycle_id", "cycle_closed")


async def test_a_restored_key_result_takes_what_its_kpi_measured_meanwhile(
    client: httpx.AsyncClient, system: System, api_settings: Settings
) -> None:
    """Fed by a KPI, the key result of an archived objective took none of its measurements
    (it was retired); restored, it takes at once what the KPI measured meanwhile, as a key
    result linked anew does, and it is 19 hours now, not the 21 it stood at."""
    ids = SharedIds()
    side = await a_side(system, token_settings(api_settings), ids, "secret-refed", "21")
    goal, kr = str(ids.objective_id), str(ids.key_result_id)
    linked = await _post(client, side, f"kpis/{ids.kpi_id}/key-results", {"key_result_id": kr})
    assert linked.status_code in (200, 201), linked.text
    archived = await _post(client, side, f"objectives/{goal}/archive", {"reason": "in pausa"})
    assert archived.status_code == 200, archived.text
    measured = await _post(client, side, f"kpis/{ids.kpi_id}/measurements",
                           {"value": "19", "on": "2027-02-10"})  # fmt: skip
    assert measured.status_code == 201, measured.text

    async def value() -> str:
        answer = await client.get(
            f"/api/v1/tenants/{side.tenant.id}/key-results/{kr}", headers=side.auth("client_admin")
        )
        assert answer.status_code == 200, answer.text
        return str(answer.json()["value"])

    assert await value() == "21"
    restored = await _post(client, side, f"objectives/{goal}/restore", {"reason": "ripresa"})
    assert restored.status_code == 200, restored.text
    assert await value() == "19"


async def _key_result_as_it_stands(
    client: httpx.AsyncClient, side: Side, kr: str, position: str
) -> Any:
    """What a reader sees of the key result: its value and progress, its check-ins as they
    stand (not when each was recorded) and its chart's values, superseded ones marked."""
    base, auth = f"/api/v1/tenants/{side.tenant.id}", side.auth("client_admin")
    item = (await client.get(f"{base}/key-results/{kr}", headers=auth)).json()
    check_ins = (await client.get(f"{base}/key-results/{kr}/check-ins", headers=auth)).json()
    series = await client.get(
        f"{base}/key-results/{kr}/series", headers=auth, params={"min_position": position}
    )
    assert series.status_code == 200, series.text
    tree = await client.get(f"{base}/progress", headers=auth, params={"min_position": position})
    (objective,) = [o for c in tree.json()["cycles"] for o in c["objectives"]]
    admin = f"user:{side.user_ids['client_admin']}"  # (each tenant's own, named alike)
    people = {admin: "admin"}
    return (
        item["value"], item["progress"], item["check_ins"], objective["progress"],
        [(c["on"], c["value"], c["original_value"], c["corrected"], c["note"],
          people.get(c["author"], c["author"]), c["source"]) for c in check_ins["items"]],
        [(v["valid_on"], v["value"], v["corrected"], v["source"], v["superseded"])
         for v in series.json()["values"]],
    )  # fmt: skip


async def test_a_restored_key_result_stands_as_if_its_objective_had_never_been_archived(
    client: httpx.AsyncClient, system: System, api_settings: Settings
) -> None:
    """A KPI's measurement corrected while the objective was archived left the check-in it
    had fed at the old value once restored (only measurements never fed were added): the
    key result said 19 where the KPI said 17. Now A, archived meanwhile and restored, and
    B, same ids, never archived, stand alike after the same measurements and corrections:
    value, progress, check-ins and chart; and the rows rebuilt from A's log are the live
    ones."""
    ids = SharedIds()
    a = await a_side(system, token_settings(api_settings), ids, "secret-asif", "21")
    b = await a_side(system, token_settings(api_settings), ids, "secret-asif", "21")
    goal, kr, kpi = str(ids.objective_id), str(ids.key_result_id), str(ids.kpi_id)
    m19, m20 = "6f1c1a57-7c11-4f3e-9d4e-000000000019", "6f1c1a57-7c11-4f3e-9d4e-000000000020"
    for side in (a, b):
        done = await _post(client, side, f"kpis/{kpi}/key-results", {"key_result_id": kr})
        assert done.status_code in (200, 201), done.text
        done = await _post(client, side, f"kpis/{kpi}/measurements",
                           {"id": m19, "value": "19", "on": "2027-02-10", "note": "a"})  # fmt: skip
        assert done.status_code == 201, done.text
    archived = await _post(client, a, f"objectives/{goal}/archive", {"reason": "in pausa"})
    assert archived.status_code == 200, archived.text
    corrections = [
        (m19, {"value": "17", "reason": "letto male"}),
        (m19, {"value": "18", "note": "rivisto", "reason": "riletto"}),
        (str(ids.measurement_id), {"value": "21", "note": "solo la nota", "reason": "nota"}),
    ]
    for side in (a, b):
        for measurement, body in corrections[:2]:
            done = await _post(client, side, f"kpis/{kpi}/measurements/{measurement}/corrections",
                               body)  # fmt: skip
            assert done.status_code == 201, done.text
        done = await _post(client, side, f"kpis/{kpi}/measurements",
                           {"id": m20, "value": "20", "on": "2027-02-12", "note": "b"})  # fmt: skip
        assert done.status_code == 201, done.text
        for measurement, body in [(m20, {"value": "20.5", "reason": "arrotondato"}),
                                  corrections[2]]:  # fmt: skip
            done = await _post(client, side, f"kpis/{kpi}/measurements/{measurement}/corrections",
                               body)  # fmt: skip
            assert done.status_code == 201, done.text
    restored = await _post(client, a, f"objectives/{goal}/restore", {"reason": "ripresa"})
    assert restored.status_code == 200, restored.text
    head = {a.tenant.id: restored.headers["x-okr-position"],
            b.tenant.id: str(await system.store.head(b.tenant.id))}  # fmt: skip

    seen = [await _key_result_as_it_stands(client, s, kr, head[s.tenant.id]) for s in (a, b)]

    assert seen[0] == seen[1]
    assert seen[0][0] == "20.5"
    assert (
        await rebuild.verify_tenant(system.pool, system.repository, PROJECTIONS, a.tenant.id) == []
    )


async def test_a_restored_key_result_takes_what_its_kpi_measured_before_it_was_retired(
    client: httpx.AsyncClient, system: System, api_settings: Settings
) -> None:
    """A KPI retired while the objective was archived had measured meanwhile: had the
    objective stayed, its key result would have been fed that value, yet the restore fed
    it nothing (only a live KPI's measurements were given back). Now it takes it."""
    ids = SharedIds()
    side = await a_side(system, token_settings(api_settings), ids, "secret-retired", "21")
    goal, kr, kpi = str(ids.objective_id), str(ids.key_result_id), str(ids.kpi_id)
    done = await _post(client, side, f"kpis/{kpi}/key-results", {"key_result_id": kr})
    assert done.status_code in (200, 201), done.text
    done = await _post(client, side, f"objectives/{goal}/archive", {"reason": "in pausa"})
    assert done.status_code == 200, done.text
    done = await _post(
        client, side, f"kpis/{kpi}/measurements", {"value": "19", "on": "2027-02-10"}
    )
    assert done.status_code == 201, done.text
    done = await _post(client, side, f"kpis/{kpi}/archive", {"reason": "non serve più"})
    assert done.status_code == 200, done.text

    restored = await _post(client, side, f"objectives/{goal}/restore", {"reason": "ripresa"})

    assert restored.status_code == 200, restored.text
    answer = await client.get(
        f"/api/v1/tenants/{side.tenant.id}/key-results/{kr}", headers=side.auth("client_admin")
    )
    assert answer.json()["value"] == "19"


async def test_of_two_restores_at_once_one_restores_and_the_other_is_told_why_not(
    client: httpx.AsyncClient, system: System, api_settings: Settings
) -> None:
    """Two restores of one objective sent at once: one restores it, once; the other lost
    the race with a bare 'concurrent change', naming no field. Now it is refused as a
    restore after the first is: 409 not_archived naming objective_id, nothing written."""
    ids = SharedIds()
    side = await a_side(system, token_settings(api_settings), ids, "secret-twice", "21")
    goal = str(ids.objective_id)
    done = await _post(client, side, f"objectives/{goal}/archive", {"reason": "in pausa"})
    assert done.status_code == 200, done.text
    head = await system.store.head(side.tenant.id)

    answers = await asyncio.gather(
        *(_post(client, side, f"objectives/{goal}/restore", {"reason": why}) for why in "ab")
    )

    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    (refused,) = [a for a in answers if a.status_code == 409]
    assert [(e["field"], e["rule"]) for e in refused.json()["errors"]] == [
        ("objective_id", "not_archived")
    ]
    assert await system.store.head(side.tenant.id) == head + 1


@pytest.mark.parametrize("first", ["measurement", "restore"])
async def test_a_keyed_measurement_sent_as_its_objective_is_restored_reaches_its_key_result(
    client: httpx.AsyncClient,
    system: System,
    api_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    first: str,
) -> None:
    """An API key syncing a KPI's measurements while someone restores the objective its
    key result measures, each request keyed (its transaction committed with its answer):
    the measurement read the objective archived and fed the key result nothing, the
    restore read the KPI's measurements before that one was written, so the key result
    never had it. Now it has it, whichever of the two writes first."""
    ids = SharedIds()
    side = await a_side(system, token_settings(api_settings), ids, f"secret-race-{first}", "21")
    goal, kr, kpi = str(ids.objective_id), str(ids.key_result_id), str(ids.kpi_id)
    done = await _post(client, side, f"kpis/{kpi}/key-results", {"key_result_id": kr})
    assert done.status_code in (200, 201), done.text
    done = await _post(client, side, f"objectives/{goal}/archive", {"reason": "in pausa"})
    assert done.status_code == 200, done.text
    holds = {kind: (asyncio.Event(), asyncio.Event()) for kind in ("measurement", "restore")}
    save = system.repository.save

    async def held_save(tenant_id: Any, *aggregates: Any, **kwargs: Any) -> list[int]:
        """Each command's first save held: it has read all it decides on."""
        kinds = [k for k, t in (("measurement", KPI), ("restore", Objective))
                 if any(isinstance(a, t) for a in aggregates)]  # fmt: skip
        if tenant_id == side.tenant.id and kinds and not holds[kinds[0]][0].is_set():
            reached, go = holds[kinds[0]]
            reached.set()
            await go.wait()
        return await save(tenant_id, *aggregates, **kwargs)

    monkeypatch.setattr(system.repository, "save", held_save)
    keyed = side.auth("client_admin")
    base = f"/api/v1/tenants/{side.tenant.id}"
    sent = {
        "measurement": asyncio.create_task(client.post(
            f"{base}/kpis/{kpi}/measurements", json={"value": "19", "on": "2027-02-10"},
            headers={**keyed, "Idempotency-Key": f"sync-{first}"},
        )),
        "restore": asyncio.create_task(client.post(
            f"{base}/objectives/{goal}/restore", json={"reason": "ripresa"},
            headers={**keyed, "Idempotency-Key": f"restore-{first}"},
        )),
    }  # fmt: skip
    for reached, _ in holds.values():
        await asyncio.wait_for(reached.wait(), 30)
    second = "restore" if first == "measurement" else "measurement"
    holds[first][1].set()
    await until_done_or_waiting_for_a_lock(system, sent[first])
    holds[second][1].set()
    answers = {name: await task for name, task in sent.items()}

    assert answers["measurement"].status_code == 201, answers["measurement"].text
    assert answers["restore"].status_code == 200, answers["restore"].text
    answer = await client.get(f"{base}/key-results/{kr}", headers=keyed)
    assert answer.json()["value"] == "19"


async def test_a_restore_finds_a_key_result_the_read_model_has_not_applied_yet(
    client: httpx.AsyncClient, system: System, api_settings: Settings, admin: asyncpg.Connection
) -> None:
    """A restore finds the objective's key results in the progress read model and in the
    log after the position the read model holds: a key result made a moment before the
    archive, which the read model has not applied yet (the projector waits for the
    tenant's lock), takes at once what its KPI measured meanwhile, as one applied does."""
    ids = SharedIds()
    side = await a_side(system, token_settings(api_settings), ids, "secret-lagging", "21")
    app, ctx = OKRApplication(system.repository), Context(side.tenant.id, actor="user:builder")
    goal = str(ids.objective_id)
    async with admin.transaction():  # the projector waits: the read model stands still
        await admin.execute(f"SELECT pg_advisory_xact_lock({TENANT_LOCK_KEY})", side.tenant.id)
        made = await app.key_results.create(
            ctx, objective_id=ids.objective_id, title="Tempo di prima risposta",
            kind="decrease", owner="user:builder", start=24, target=20, kpi_id=ids.kpi_id,
        )  # fmt: skip
        archived = await _post(client, side, f"objectives/{goal}/archive", {"reason": "in pausa"})
        assert archived.status_code == 200, archived.text
        measured = await _post(client, side, f"kpis/{ids.kpi_id}/measurements",
                               {"value": "19", "on": "2027-02-10"})  # fmt: skip
        assert measured.status_code == 201, measured.text
        assert await projected_position(system.pool, side.tenant.id, "progress") < made.position
        restored = await _post(client, side, f"objectives/{goal}/restore", {"reason": "ripresa"})
        assert restored.status_code == 200, restored.text
    kr = await app.key_results.get(ctx, made.item_id)
    assert [(c.value, c.source) for c in kr.check_ins.values()][-1] == (Decimal(19), "kpi")
