"""Tenancy over HTTP: members, API keys shown once, suspension, sign-in rate limit; and the
two promises about values: exact decimals, no check-in lost to a concurrent one."""

from __future__ import annotations

import asyncio
import uuid
from uuid import UUID

import httpx
from litestar import Litestar

from services.bootstrap import System
from tenants.tokens import issue_access_token
from tenants.users import disable_user, set_password
from tests.api.asgi import asgi_transport
from tests.api.builders import World, an_email


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def a_new_tenant(client: httpx.AsyncClient, world: World) -> str:
    response = await client.post(
        f"/api/v1/consultancies/{world.a.consultancy.id}/tenants",
        headers=world.a.auth("consultancy_admin"),
        json={"name": f"Cliente {uuid.uuid4().hex[:8]}"},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_members_lose_access_while_their_tenant_is_suspended(
    client: httpx.AsyncClient, world: World
) -> None:
    """Suspending a client: its people are refused at once (403, told it is suspended), its
    consultancy keeps managing it."""
    tenant = await a_new_tenant(client, world)
    admin = world.a.auth("consultancy_admin")
    invited = await client.post(
        f"/api/v1/tenants/{tenant}/users",
        headers=admin,
        json={"email": an_email("sara"), "display_name": "Sara", "role": "client_viewer"},
    )
    assert invited.status_code == 201, invited.text
    sara = bearer(issue_access_token(world.tokens, invited.json()["user_id"]))
    keys = f"/api/v1/tenants/{tenant}/api-keys"
    made = [(await client.post(keys, headers=admin, json={"name": n})).json() for n in "AB"]
    crm, old = (bearer(k["plaintext"]) for k in made)
    await client.delete(f"{keys}/{made[1]['key']['id']}", headers=admin)
    cycles = f"/api/v1/tenants/{tenant}/cycles"
    assert (await client.get(cycles, headers=sara)).status_code == 200
    assert (await client.get(cycles, headers=crm)).status_code == 200
    lifecycle = f"/api/v1/consultancies/{world.a.consultancy.id}/tenants/{tenant}"
    suspended = await client.post(f"{lifecycle}/suspend", headers=admin)
    assert suspended.json()["status"] == "suspended"
    refused = await client.get(cycles, headers=sara)
    assert refused.status_code == 403  # one of hers: she is told it is suspended
    assert refused.json()["errors"] == [{
        "field": "tenant_id", "rule": "tenant_suspended",
        "message": f"'{suspended.json()['name']}' is suspended: its people reach it again"
        " once it is reactivated",
    }]  # fmt: skip
    me = (await client.get("/api/v1/auth/me", headers=sara)).json()
    assert (me["tenants"], me["suspended_tenants"]) == (
        [], [{"id": tenant, "name": suspended.json()["name"]}]
    )  # fmt: skip
    stranger = world.b.auth("client_admin")  # of another tenant: still no existence oracle
    assert (await client.get(cycles, headers=stranger)).status_code == 404
    by_key = await client.get(cycles, headers=crm)  # its integration is told as well
    assert by_key.status_code == 403
    assert by_key.json()["errors"] == refused.json()["errors"]
    assert (await client.get(cycles, headers=old)).status_code == 401  # revoked: no key
    assert (await client.get(cycles, headers=admin)).status_code == 200
    await client.post(f"{lifecycle}/reactivate", headers=admin)
    assert (await client.get(cycles, headers=sara)).status_code == 200
    me = (await client.get("/api/v1/auth/me", headers=sara)).json()
    assert (len(me["tenants"]), me["suspended_tenants"]) == (1, [])
    assert (await client.get(cycles, headers=crm)).status_code == 200


async def test_only_a_suspended_tenant_s_own_people_are_told_it_is_suspended(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """Told: a member, a consultant of the consultancy, a read-only key. Not told (the
    404 of a tenant that does not exist): a member removed, a person whose account is
    disabled, a consultant who has left the consultancy (their membership grants nothing)."""
    tenant = await a_new_tenant(client, world)
    admin = world.a.auth("consultancy_admin")
    users = f"/api/v1/tenants/{tenant}/users"
    members = f"/api/v1/consultancies/{world.a.consultancy.id}/members"
    people = {}
    for name, role in (("ida", "client_viewer"), ("gus", "client_member"),
                       ("dan", "client_viewer"), ("tea", "consultant")):  # fmt: skip
        person = {"email": an_email(name), "display_name": name, "role": role}
        if role == "consultant":
            joined = await client.post(members, headers=admin, json=person)
            assert joined.status_code == 201, joined.text
        made = await client.post(users, headers=admin, json=person)
        assert made.status_code == 201, made.text
        people[name] = made.json()["user_id"]
    key = await client.post(
        f"/api/v1/tenants/{tenant}/api-keys", headers=admin,
        json={"name": "dashboard", "role": "client_viewer"},
    )  # fmt: skip
    auth = {n: bearer(issue_access_token(world.tokens, i)) for n, i in people.items()}
    auth["key"] = bearer(key.json()["plaintext"])
    await client.delete(f"{users}/{people['gus']}", headers=admin)
    await client.delete(f"{members}/{people['tea']}", headers=admin)
    lifecycle = f"/api/v1/consultancies/{world.a.consultancy.id}/tenants/{tenant}"
    assert (await client.post(f"{lifecycle}/suspend", headers=admin)).status_code == 200
    cycles = f"/api/v1/tenants/{tenant}/cycles"
    assert (await client.get(cycles, headers=auth["ida"])).status_code == 403
    assert (await client.get(cycles, headers=auth["key"])).status_code == 403
    await disable_user(system.pool, UUID(people["dan"]))
    nowhere = await client.get(f"/api/v1/tenants/{uuid.uuid4()}/cycles", headers=auth["ida"])
    for name in ("gus", "tea"):
        answer = await client.get(cycles, headers=auth[name])
        assert answer.status_code == 404, name
        assert answer.json()["errors"] == nowhere.json()["errors"], name
    assert (await client.get(cycles, headers=auth["dan"])).status_code == 401  # no one now


async def test_members_can_be_listed_changed_and_removed(
    client: httpx.AsyncClient, world: World
) -> None:
    tenant = await a_new_tenant(client, world)
    admin = world.a.auth("consultancy_admin")
    users = f"/api/v1/tenants/{tenant}/users"
    invited = await client.post(
        users,
        headers=admin,
        json={"email": an_email("marco"), "display_name": "Marco", "role": "client_viewer"},
    )
    user_id = invited.json()["user_id"]
    changed = await client.patch(
        f"{users}/{user_id}", headers=admin, json={"role": "client_member"}
    )
    assert changed.json()["role"] == "client_member"
    listed = await client.get(users, headers=admin)
    assert [m["role"] for m in listed.json()["items"]] == ["client_member"]
    removed = await client.delete(f"{users}/{user_id}", headers=admin)
    assert removed.status_code == 204
    assert (await client.get(users, headers=admin)).json()["items"] == []


async def test_a_client_admin_may_not_step_down_as_the_company_s_last(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """The last client admin who can sign in giving up their own role (demotion or
    removal) is refused, 409 naming user_id, and nothing is written: nobody in the company
    could manage its people (one invited without a password yet does not count). With
    another client admin they may; the consultancy may remove the last."""
    tenant = await a_new_tenant(client, world)
    consultancy = world.a.auth("consultancy_admin")
    users = f"/api/v1/tenants/{tenant}/users"
    ids = {}
    for name in ("ada", "bea", "cleo"):
        invited = await client.post(
            users, headers=consultancy,
            json={"email": an_email(name), "display_name": name, "role": "client_admin"},
        )  # fmt: skip
        ids[name] = invited.json()["user_id"]
    for name in ("ada", "bea"):  # Cleo has not chosen hers
        await set_password(system.pool, UUID(ids[name]), "una frase abbastanza lunga")
    ada, bea = (bearer(issue_access_token(world.tokens, ids[n])) for n in ("ada", "bea"))

    stepped = await client.patch(
        f"{users}/{ids['ada']}", headers=ada, json={"role": "client_member"}
    )
    assert stepped.status_code == 200, stepped.text  # Bea still manages the company
    head = await system.store.head(UUID(tenant))
    for refused in (
        await client.patch(f"{users}/{ids['bea']}", headers=bea, json={"role": "client_member"}),
        await client.delete(f"{users}/{ids['bea']}", headers=bea),
    ):
        assert refused.status_code == 409, refused.text
        assert refused.json()["errors"] == [{
            "field": "user_id", "rule": "last_admin",
            "message": "you are the company's last client admin who can sign in: make"
            " another member client admin first (one invited needs a password), or ask its"
            " consultancy",
        }]  # fmt: skip
    assert await system.store.head(UUID(tenant)) == head
    listed = (await client.get(users, headers=consultancy)).json()["items"]
    assert {m["user_id"]: m["role"] for m in listed}[ids["bea"]] == "client_admin"

    removed = await client.delete(f"{users}/{ids['bea']}", headers=consultancy)
    assert removed.status_code == 204, removed.text


async def test_an_api_key_is_shown_once_works_and_stops_when_revoked(
    client: httpx.AsyncClient, world: World
) -> None:
    """Create (plaintext in this answer only), push a value with it, revoke: 401 at once."""
    tenant = await a_new_tenant(client, world)
    admin = world.a.auth("consultancy_admin")
    keys = f"/api/v1/tenants/{tenant}/api-keys"
    created = await client.post(keys, headers=admin, json={"name": "ERP"})
    assert created.status_code == 201, created.text
    plaintext = created.json()["plaintext"]
    key_id = created.json()["key"]["id"]
    listed = await client.get(keys, headers=admin)
    assert plaintext not in listed.text
    assert [k["id"] for k in listed.json()["items"]] == [key_id]
    assert (
        await client.get(f"/api/v1/tenants/{tenant}/kpis", headers=bearer(plaintext))
    ).status_code == 200
    revoked = await client.delete(f"{keys}/{key_id}", headers=admin)
    assert revoked.json()["revoked_at"] is not None
    after = await client.get(f"/api/v1/tenants/{tenant}/kpis", headers=bearer(plaintext))
    assert after.status_code == 401


async def test_decimals_arrive_exactly(client: httpx.AsyncClient, world: World) -> None:
    """A JSON number is read from its text, never through a float: 0.1 stays 0.1."""
    base = f"/api/v1/tenants/{world.a.tenant.id}/kpis/{world.ids.kpi_id}/measurements"
    auth = world.a.auth("client_member")
    content = b'{"value": 20.100001, "on": "2027-01-03", "note": "precise"}'
    made = await client.post(
        base, headers={**auth, "content-type": "application/json"}, content=content
    )
    assert made.status_code == 201, made.text
    measurement = made.json()["measurement_id"]
    listed = await client.get(base, headers=auth, params={"limit": 500})
    [mine] = [m for m in listed.json()["items"] if m["id"] == measurement]
    assert mine["value"] == "20.100001"


async def test_concurrent_check_ins_on_one_key_result_are_all_kept(
    client: httpx.AsyncClient, world: World
) -> None:
    """Twenty people checking in on the same key result at once: twenty check-ins."""
    path = f"/api/v1/tenants/{world.a.tenant.id}/key-results/{world.ids.key_result_id}/check-ins"
    auth = world.a.auth("client_member")
    before = await client.get(path, headers=auth, params={"limit": 500})
    answers = await asyncio.gather(
        *(
            client.post(path, headers=auth, json={"value": 20 + i / 10, "on": "2027-03-01"})
            for i in range(20)
        )
    )
    assert [a.status_code for a in answers] == [201] * 20
    after = await client.get(path, headers=auth, params={"limit": 500})
    assert len(after.json()["items"]) == len(before.json()["items"]) + 20


async def test_sign_in_is_rate_limited(app: Litestar, system: System) -> None:
    """Failed sign-ins from one address: after the allowance, 429 with Retry-After."""
    transport = asgi_transport(app, client=("198.51.100.7", 40000))
    email = an_email("mallory")
    async with httpx.AsyncClient(transport=transport, base_url="http://okr.test") as client:
        statuses = []
        for _ in range(6):
            response = await client.post(
                "/api/v1/auth/token", json={"email": email, "password": "wrong password!"}
            )
            statuses.append(response.status_code)
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429
    assert int(response.headers["retry-after"]) > 0
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_tenant_s_log_begins_with_who_made_it_and_with_what(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """Its first event is its making with its settings (a settings change from none): the
    trail and the history say who made it and how; as-of views begin with its cadence."""
    admin = world.a.auth("consultancy_admin")
    made = await client.post(
        f"/api/v1/consultancies/{world.a.consultancy.id}/tenants", headers=admin,
        json={"name": "Officina Neri", "check_in_cadence_days": 14, "locale": "en"},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    tenant = made.json()["id"]
    assert made.headers["X-OKR-Position"] == "1" and await system.store.head(uuid.UUID(tenant)) == 1
    trail = await client.get(f"/api/v1/tenants/{tenant}/audit", headers=admin)
    [first] = trail.json()["items"]
    assert (first["topic"], first["actor"]) == (
        "okr.SettingsChange.Created", f"user:{world.a.user_ids['consultancy_admin']}"
    )  # fmt: skip
    assert first["payload"]["before"] is None
    assert first["payload"]["after"]["check_in_cadence_days"] == 14
    lines = await client.get(
        f"/api/v1/tenants/{tenant}/history", headers=admin, params={"min_position": 1}
    )
    assert [line["text"] for line in lines.json()["items"]] == [
        "'Officina Neri' made by Consultancy_Admin: name 'Officina Neri', colour #2563eb,"
        " fiscal year starting in January, check-in cadence 14 days, language English,"
        " time zone UTC"
    ]
    refused = await client.post(
        f"/api/v1/consultancies/{world.a.consultancy.id}/tenants", headers=admin,
        json={"name": "Dup", "id": tenant},
    )  # fmt: skip
    assert refused.status_code == 409 and refused.json()["errors"][0]["field"] == "id"
    assert await system.store.head(uuid.UUID(tenant)) == 1  # a refusal writes nothing


async def test_a_consultancy_id_in_use_is_refused_naming_it(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """A platform admin who gives a new consultancy the id of one that exists is told so
    (409 naming `id`), not answered with a server error, and nothing is made."""
    taken = world.a.consultancy.id
    refused = await client.post(
        "/api/v1/consultancies", headers=world.admin(), json={"name": "Doppia", "id": str(taken)}
    )
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    [error] = refused.json()["errors"]
    assert (error["field"], error["rule"]) == ("id", "duplicate_id")
    kept = await system.pool.fetchval("SELECT name FROM consultancies WHERE id = $1", taken)
    assert kept == world.a.consultancy.name


async def test_a_client_whose_name_makes_a_taken_slug_takes_the_next_free_one(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """The API makes the slug of a name another client's slug is made of as the portal
    does (the next free one), and refuses only a slug the caller sent that another client
    has, naming it: a field OpenAPI describes, not one the caller never heard of."""
    admin, made = (
        world.a.auth("consultancy_admin"),
        f"/api/v1/consultancies/{world.a.consultancy.id}/tenants",
    )
    name = f"Cliente {uuid.uuid4().hex[:8]}"
    first = await client.post(made, headers=admin, json={"name": name})
    again = await client.post(made, headers=admin, json={"name": f"{name}!"})
    assert (first.status_code, again.status_code) == (201, 201), again.text
    assert again.json()["slug"] == first.json()["slug"] + "-2"
    refused = await client.post(
        made, headers=admin, json={"name": "Altro", "slug": first.json()["slug"]}
    )
    assert refused.status_code == 409, refused.text
    [error] = refused.json()["errors"]
    assert (error["field"], error["rule"]) == ("slug", "duplicate_slug")
    schema = (await client.get("/schema/openapi.json")).json()
    slug = schema["components"]["schemas"]["TenantIn"]["properties"]["slug"]
    assert "next free one" in slug["description"]


async def test_two_clients_of_one_consultancy_never_share_a_name(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """A portfolio that listed two clients of one name told them apart by slug alone. A
    new client named as another of the consultancy, or one renamed so (case and spaces
    aside, as a person reads them), is 409 `duplicate_client_name` naming `name`, and
    nothing is made or written. Another consultancy may use the name; a client keeps its
    own name in another case."""
    admin, made = (
        world.a.auth("consultancy_admin"),
        f"/api/v1/consultancies/{world.a.consultancy.id}/tenants",
    )
    name = f"Officina {uuid.uuid4().hex[:8]}"
    first = await client.post(made, headers=admin, json={"name": name})
    other = await client.post(made, headers=admin, json={"name": f"Altra {name}"})
    assert (first.status_code, other.status_code) == (201, 201), other.text
    count = "SELECT count(*) FROM okr_consultancy_tenants($1)"
    clients = await system.pool.fetchval(count, world.a.consultancy.id)
    renamed = f"/api/v1/tenants/{other.json()['id']}"
    head = await system.store.head(UUID(other.json()["id"]))
    for refused in (
        await client.post(made, headers=admin, json={"name": f"  {name.upper()} "}),
        await client.patch(renamed, headers=admin, json={"name": name.lower()}),
    ):
        assert refused.status_code == 409, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        [error] = refused.json()["errors"]
        assert (error["field"], error["rule"]) == ("name", "duplicate_client_name")
        assert name in error["message"]
    assert await system.pool.fetchval(count, world.a.consultancy.id) == clients
    assert await system.store.head(UUID(other.json()["id"])) == head

    own = await client.patch(
        f"/api/v1/tenants/{first.json()['id']}", headers=admin, json={"name": name.upper()}
    )
    assert own.status_code == 200, own.text
    elsewhere = await client.post(
        f"/api/v1/consultancies/{world.b.consultancy.id}/tenants",
        headers=world.b.auth("consultancy_admin"), json={"name": name},
    )  # fmt: skip
    assert elsewhere.status_code == 201, elsewhere.text


async def test_a_client_admin_is_never_told_another_client_s_name(
    client: httpx.AsyncClient, world: World
) -> None:
    """A client's admin, renaming their company, was refused with 409 for a name another
    client of the consultancy had, and told it in full: by trying names, they could learn
    which other companies the consultancy serves. Their rename is compared only with the
    clients they reach (their own), so it is taken; the consultancy's admin, who reaches
    both, is still refused the same name for a third."""
    made = f"/api/v1/consultancies/{world.a.consultancy.id}/tenants"
    admin = world.a.auth("consultancy_admin")
    name = f"Riservata {uuid.uuid4().hex[:8]}"
    other = await client.post(made, headers=admin, json={"name": name})
    assert other.status_code == 201, other.text
    own = f"/api/v1/tenants/{world.a.tenant.id}"
    before = (await client.get(own, headers=admin)).json()["name"]
    try:
        renamed = await client.patch(
            own, headers=world.a.auth("client_admin"), json={"name": name.upper()}
        )
        assert renamed.status_code == 200, renamed.text
        assert renamed.json()["name"] == name.upper()
    finally:
        back = await client.patch(own, headers=admin, json={"name": before})
        assert back.status_code == 200, back.text
    third = await client.post(made, headers=admin, json={"name": f"Terza {name}"})
    refused = await client.patch(
        f"/api/v1/tenants/{third.json()['id']}", headers=admin, json={"name": name}
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["errors"][0]["rule"] == "duplicate_client_name"


async def test_a_consultancy_s_member_list_says_who_each_is(
    client: httpx.AsyncClient, world: World
) -> None:
    """A consultancy's member list gave ids, roles and dates alone: its admin, reading it
    through the API, could not tell its people apart, and a consultant who serves no
    client yet is on no tenant's list. Each says their email and name, as a tenant's
    member list does, and so do the answers to adding one and to changing their role; the
    other consultancy's list is not theirs to read, nor theirs ours."""
    members = f"/api/v1/consultancies/{world.a.consultancy.id}/members"
    admin = world.a.auth("consultancy_admin")
    email = an_email("tea")
    made = await client.post(
        members, headers=admin, json={"email": email, "display_name": "Tea", "role": "consultant"}
    )
    assert made.status_code == 201, made.text
    listed = (await client.get(members, headers=admin, params={"limit": 500})).json()["items"]
    [tea] = [m for m in listed if m["user_id"] == made.json()["user_id"]]
    said = (tea["email"], tea["display_name"], tea["role"], tea["has_password"])
    assert said == (email, "Tea", "consultant", False)
    assert made.json() == tea  # the answer says who was added, as the list does
    promoted = await client.patch(
        f"{members}/{tea['user_id']}", headers=admin, json={"role": "consultancy_admin"}
    )
    assert promoted.status_code == 200, promoted.text
    assert promoted.json() == {**tea, "role": "consultancy_admin"}
    other = f"/api/v1/consultancies/{world.b.consultancy.id}/members"
    assert (await client.get(other, headers=admin)).status_code == 404
    theirs = await client.get(other, headers=world.b.auth("consultancy_admin"))
    assert theirs.status_code == 200 and email not in theirs.text


async def test_two_clients_made_at_once_with_one_name_make_one(
    client: httpx.AsyncClient, world: World
) -> None:
    """The check and the making take turns in the consultancy: two requests at once with
    one name (a double click of two admins) make one client; the other is refused."""
    admin, made = (
        world.a.auth("consultancy_admin"),
        f"/api/v1/consultancies/{world.a.consultancy.id}/tenants",
    )
    name = f"Gemelli {uuid.uuid4().hex[:8]}"
    answers = await asyncio.gather(
        *(client.post(made, headers=admin, json={"name": n}) for n in (name, name.upper()))
    )
    assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
