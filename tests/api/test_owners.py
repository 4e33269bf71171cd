"""Who owns an objective, a key result or a KPI, as an integrator names them: the
`user_id` the member list gives is a person, the same as the portal's choice of them."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.builders import World


async def _an_objective_owned_by(
    client: httpx.AsyncClient, world: World, owner: str
) -> tuple[dict[str, Any], str]:
    """An objective of side a's cycle made with this owner (as sent), and the text of its
    history's line."""
    base, auth = f"/api/v1/tenants/{world.a.tenant.id}", world.a.auth("client_admin")
    made = await client.post(
        f"{base}/objectives",
        headers=auth,
        json={"cycle_id": str(world.ids.cycle_id), "title": "Crescere", "owner": owner},
    )
    assert made.status_code == 201, made.text
    history = await client.get(
        f"{base}/history",
        headers=auth,
        params={"item_id": made.json()["id"], "min_position": made.headers["x-okr-position"]},
    )
    return made.json(), history.json()["items"][0]["text"]


async def test_an_owner_given_by_user_id_is_that_person(
    client: httpx.AsyncClient, world: World
) -> None:
    """`GET …/users` names people by `user_id`: an owner sent as one was kept as text, so the
    dashboard and the history showed a UUID where the person's name belongs."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    member = world.a.user_ids["client_member"]
    made, said = await _an_objective_owned_by(client, world, str(member))
    objective = await client.get(f"{base}/objectives/{made['id']}", headers=auth)
    assert objective.json()["owner"] == f"user:{member}"
    assert "owner Client_Member" in said


async def test_an_owner_changed_to_a_user_id_is_that_person(
    client: httpx.AsyncClient, world: World
) -> None:
    """The same for a change of owner, of a key result and of a KPI."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    member = world.a.user_ids["client_member"]
    made = [
        await client.post(f"{base}/{kind}", headers=auth, json=body)
        for kind, body in (
            (
                "key-results",
                {
                    "objective_id": str(world.ids.objective_id),
                    "title": "Rinnovi",
                    "kind": "increase",
                    "start": 70,
                    "target": 85,
                },
            ),
            ("kpis", {"name": "Reclami", "direction": "lower_is_better", "green": 5, "red": 10}),
        )
    ]  # fmt: skip (items of its own: the world's are shared by the module's tests)
    for path in (f"key-results/{made[0].json()['id']}", f"kpis/{made[1].json()['id']}"):
        changed = await client.patch(f"{base}/{path}", headers=auth, json={"owner": str(member)})
        assert changed.status_code == 200, changed.text
        item = await client.get(f"{base}/{path}", headers=auth)
        assert item.json()["owner"] == f"user:{member}", path


async def test_an_owner_as_text_stays_text(client: httpx.AsyncClient, world: World) -> None:
    """A name typed as text (someone with no account) and `user:<id>` are kept as sent."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    member = world.a.user_ids["client_member"]
    for owner in ("Ufficio acquisti", f"user:{member}"):
        made = await client.post(
            f"{base}/objectives",
            headers=auth,
            json={"cycle_id": str(world.ids.cycle_id), "title": owner, "owner": owner},
        )
        objective = await client.get(f"{base}/objectives/{made.json()['id']}", headers=auth)
        assert objective.json()["owner"] == owner


async def test_a_person_just_invited_is_named_as_owner_at_once(
    client: httpx.AsyncClient, world: World
) -> None:
    """The names of a tenant's people are kept a minute: one invited since was an id (or
    "someone") where they own something, until then. A change of its people now takes
    effect at once."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    await client.get(f"{base}/history", headers=auth)  # the names of its people, kept
    invited = await client.post(
        f"{base}/users",
        headers=auth,
        json={"email": "nora.neri@acme.example", "display_name": "Nora Neri",
              "role": "client_member"},
    )  # fmt: skip
    nora = invited.json()["user_id"]
    _, said = await _an_objective_owned_by(client, world, nora)
    assert "owner Nora Neri" in said


async def test_a_consultant_reads_the_ids_and_names_of_the_people_it_may_give_items_to(
    client: httpx.AsyncClient, world: World
) -> None:
    """A consultant edits a client's OKRs, so gives them owners, but may not list its
    members (`/users`, emails and roles): `…/people` gives it whom the portal offers,
    by id and name only, of its own client's people and never of another's."""
    consultant = world.a.auth("consultant")
    listed = await client.get(f"/api/v1/tenants/{world.a.tenant.id}/people", headers=consultant)
    assert listed.status_code == 200, listed.text
    people = listed.json()["items"]
    assert {p["user_id"] for p in people} >= {str(u) for u in world.a.user_ids.values()}
    assert not {p["user_id"] for p in people} & {str(u) for u in world.b.user_ids.values()}
    assert all(set(p) == {"user_id", "display_name"} for p in people)
    assert {
        "user_id": str(world.a.user_ids["client_member"]),
        "display_name": "Client_Member",
    } in people
    members = await client.get(f"/api/v1/tenants/{world.a.tenant.id}/users", headers=consultant)
    assert members.status_code == 403
    member = world.a.auth("client_member")  # who gives nothing an owner
    refused = await client.get(f"/api/v1/tenants/{world.a.tenant.id}/people", headers=member)
    assert refused.status_code == 403
    schema = (await client.get("/schema/openapi.json")).json()["components"]["schemas"]
    assert set(schema["PersonOfTenant"]["properties"]) == {"user_id", "display_name"}
