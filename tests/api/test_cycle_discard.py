"""POST a cycle's discard: one planned by mistake leaves every list; one that ran, or has
live objectives, is refused and nothing changes."""

from __future__ import annotations

import uuid

import asyncpg
import httpx

from tests.api.builders import World
from tests.api.state import the_state
from tests.api.test_problems import assert_problem

Q4 = {"starts_on": "2027-10-01", "ends_on": "2027-12-31"}


async def test_a_cycle_planned_by_mistake_is_discarded_and_its_name_is_free_again(
    client: httpx.AsyncClient, world: World
) -> None:
    """Discarded with a reason under If-Match: 404 as a cycle, out of the list and the
    history's list of cycles but not of its lines; its name may be given to a new one.
    Tenant B's cycle of the same id and name stays."""
    cycle_id, name = str(uuid.uuid4()), f"Q4 {uuid.uuid4().hex[:8]}"
    a, b = world.a, world.b
    for side in (a, b):
        made = await client.post(
            f"/api/v1/tenants/{side.tenant.id}/cycles", headers=side.auth("client_admin"),
            json={"name": name, "id": cycle_id, **Q4},
        )  # fmt: skip
        assert made.status_code == 201, made.text
    base, auth = f"/api/v1/tenants/{a.tenant.id}", a.auth("client_admin")
    etag = (await client.get(f"{base}/cycles/{cycle_id}", headers=auth)).headers["etag"]

    gone = await client.post(
        f"{base}/cycles/{cycle_id}/discard", headers={**auth, "If-Match": etag},
        json={"reason": "creato per errore"},
    )  # fmt: skip

    assert gone.status_code == 200, gone.text
    position = {"min_position": gone.headers["x-okr-position"]}
    assert (await client.get(f"{base}/cycles/{cycle_id}", headers=auth)).status_code == 404
    listed = await client.get(f"{base}/cycles", headers=auth, params=position)
    assert cycle_id not in [c["cycle_id"] for c in listed.json()["items"]]
    asked = {"kind": "cycle.discarded", **position}
    history = await client.get(f"{base}/history", headers=auth, params=asked)
    (line,) = [i for i in history.json()["items"] if i["item_id"] == cycle_id]
    assert line["text"].startswith(f"cycle '{name}' discarded by ")
    assert line["text"].endswith(": 'creato per errore'")
    assert line["reason"] == "creato per errore"
    again = await client.post(f"{base}/cycles", headers=auth, json={"name": name, **Q4})
    assert again.status_code == 201, again.text
    in_b = await client.get(
        f"/api/v1/tenants/{b.tenant.id}/cycles/{cycle_id}", headers=b.auth("client_admin")
    )
    assert (in_b.status_code, in_b.json()["name"]) == (200, name)


async def test_a_cycle_that_ran_or_has_live_objectives_is_not_discarded(
    client: httpx.AsyncClient, world: World, admin: asyncpg.Connection
) -> None:
    """The world's active Q1: 409 naming state. A planned one with an objective not
    archived: 409 cycle_not_empty naming cycle_id. No reason: 422 naming it. Discarded
    already: 404. Each writes nothing anywhere."""
    base, auth = f"/api/v1/tenants/{world.a.tenant.id}", world.a.auth("client_admin")
    planned = await client.post(
        f"{base}/cycles", headers=auth, json={"name": f"Q4 {uuid.uuid4().hex[:8]}", **Q4}
    )
    cycle = planned.json()["id"]
    made = await client.post(
        f"{base}/objectives", headers=auth, json={"cycle_id": cycle, "title": "Viva"}
    )
    assert made.status_code == 201, made.text
    for path, body, status, field, rule in (
        (f"cycles/{world.ids.cycle_id}/discard", {"reason": "r"}, 409, "state",
         "cycle_not_planning"),
        (f"cycles/{cycle}/discard", {"reason": "r"}, 409, "cycle_id", "cycle_not_empty"),
        (f"cycles/{uuid.uuid4()}/discard", {"reason": "r"}, 404, "cycle_id", "unknown_cycle"),
    ):  # fmt: skip
        before = await the_state(admin)
        refused = await client.post(f"{base}/{path}", headers=auth, json=body)
        problem = assert_problem(refused, status)
        assert [(e["field"], e["rule"]) for e in problem["errors"]] == [(field, rule)], path
        assert await the_state(admin) == before
    archived = await client.post(
        f"{base}/objectives/{made.json()['id']}/archive", headers=auth, json={"reason": "no"}
    )
    assert archived.status_code == 200, archived.text
    before = await the_state(admin)
    blank = await client.post(f"{base}/cycles/{cycle}/discard", headers=auth, json={"reason": " "})
    problem = assert_problem(blank, 422)
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [("reason", "reason_required")]
    assert await the_state(admin) == before
    gone = await client.post(f"{base}/cycles/{cycle}/discard", headers=auth, json={"reason": "r"})
    assert gone.status_code == 200, gone.text
    twice = await client.post(f"{base}/cycles/{cycle}/discard", headers=auth, json={"reason": "r"})
    assert_problem(twice, 404)
