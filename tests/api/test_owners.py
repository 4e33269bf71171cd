"""Who owns an objective, a key result or a KPI, as an integrator names them: the
`user_id` the member list gives is a person, the same as the portal's choice of them."""

from __future__ import annotations

import httpx

from tests.api.builders import World


async def test_an_owner_given_by_user_id_is_that_person(
    client: httpx.AsyncClient, world: World
) -> None:
    """`GET …/users` names people by `user_id`: an owner sent as one was kept as text, so the
    dashboard and the history showed a UUID where the person's name belongs."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    member = world.a.user_ids["client_member"]
    made = await client.post(
        f"{base}/objectives",
        headers=auth,
        json={"cycle_id": str(world.ids.cycle_id), "title": "Crescere", "owner": str(member)},
    )
    assert made.status_code == 201, made.text
    objective = await client.get(f"{base}/objectives/{made.json()['id']}", headers=auth)
    assert objective.json()["owner"] == f"user:{member}"
    history = await client.get(
        f"{base}/history",
        headers=auth,
        params={"item_id": made.json()["id"], "min_position": made.headers["x-okr-position"]},
    )
    assert "owner Client_Member" in history.json()["items"][0]["text"]


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
    made = await client.post(
        f"{base}/objectives",
        headers=auth,
        json={"cycle_id": str(world.ids.cycle_id), "title": "Crescere", "owner": nora},
    )
    history = await client.get(
        f"{base}/history",
        headers=auth,
        params={"item_id": made.json()["id"], "min_position": made.headers["x-okr-position"]},
    )
    assert "owner Nora Neri" in history.json()["items"][0]["text"]
