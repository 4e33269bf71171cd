"""Changes of who may reach a tenant are events of its log: members invited, their roles
changed, members removed, API keys made and revoked, the tenant suspended and reactivated.
The audit trail and the history show each, with who made it; a change that changes nothing
writes nothing, and a refused one changes neither the directory nor the log."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any
from uuid import UUID, uuid4

import httpx

from services.app import Context, OKRApplication
from services.bootstrap import System
from services.portal.views import offered_person
from services.read.people import People
from tenants.memberships import add_membership
from tenants.tokens import issue_access_token
from tenants.users import find_user_by_email, resolve_user_principal, set_password
from tests.api.builders import World, an_email
from tests.api.test_tenancy import a_new_tenant, bearer
from tests.conftest import consultancy_roles_failing

ACCESS = "okr.AccessChange.Created"
ADMIN = "Consultancy_Admin"
"""The consultancy admin's display name (tests.api.builders.a_person): the history names
who acted."""


async def changes(client: httpx.AsyncClient, tenant: str, auth: dict[str, str]) -> list[Any]:
    """The tenant's access changes in the audit trail, oldest first."""
    trail = await client.get(
        f"/api/v1/tenants/{tenant}/audit", headers=auth, params={"topic": ACCESS}
    )
    assert trail.status_code == 200, trail.text
    return sorted(trail.json()["items"], key=lambda event: event["position"])


async def from_to(
    client: httpx.AsyncClient, tenant: str, auth: dict[str, str]
) -> list[tuple[str, str | None, str | None]]:
    """What each access change was about, and its role or status before and after."""
    return [
        (c["payload"]["subject"], c["payload"]["before"], c["payload"]["after"])
        for c in await changes(client, tenant, auth)
    ]


async def lines(
    client: httpx.AsyncClient, tenant: str, auth: dict[str, str], position: int
) -> list[str]:
    """The sentences of the tenant's access lines once it shows `position`, newest first."""
    answer = await client.get(
        f"/api/v1/tenants/{tenant}/history",
        headers=auth,
        params={"kind": "access", "min_position": position},
    )
    assert answer.status_code == 200, answer.text
    return [line["text"] for line in answer.json()["items"]]


def position(answer: httpx.Response) -> int:
    return int(answer.headers["X-OKR-Position"])


async def test_each_change_of_a_membership_is_in_the_log_and_the_history(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    tenant = await a_new_tenant(client, world)
    admin = world.a.auth("consultancy_admin")
    admin_id = world.a.user_ids["consultancy_admin"]
    users = f"/api/v1/tenants/{tenant}/users"
    email = an_email("marco")

    invited = await client.post(
        users, headers=admin,
        json={"email": email, "display_name": "Marco Neri", "role": "client_member"},
    )  # fmt: skip
    assert invited.status_code == 201, invited.text
    user_id = invited.json()["user_id"]
    first = position(invited)
    assert first == await system.store.head(UUID(tenant))

    same = await client.patch(f"{users}/{user_id}", headers=admin, json={"role": "client_member"})
    assert same.status_code == 200, same.text
    assert position(same) == first  # the same role again: nothing written

    viewer = await client.patch(f"{users}/{user_id}", headers=admin, json={"role": "client_viewer"})
    assert viewer.json()["role"] == "client_viewer"
    removed = await client.delete(f"{users}/{user_id}", headers=admin)
    assert removed.status_code == 204
    assert [position(viewer), position(removed)] == [first + 1, first + 2]

    logged = await changes(client, tenant, admin)
    assert [c["position"] for c in logged] == [first, first + 1, first + 2]
    assert {c["actor"] for c in logged} == {f"user:{admin_id}"}
    assert [(c["payload"]["before"], c["payload"]["after"]) for c in logged] == [
        (None, "client_member"), ("client_member", "client_viewer"), ("client_viewer", None)
    ]  # fmt: skip
    assert {(c["payload"]["subject"], c["payload"]["subject_id"]) for c in logged} == {
        ("member", user_id)
    }
    assert not any(email in str(c["payload"]) for c in logged)  # a person is named by id only

    said = await lines(client, tenant, admin, first + 2)
    assert said[:3] == [
        f"Marco Neri removed by {ADMIN} (role client viewer)",
        f"role of Marco Neri changed client member → client viewer by {ADMIN}",
        f"Marco Neri given the role client member by {ADMIN}",
    ]


async def test_a_refused_change_of_a_membership_writes_nothing(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """Each refusal names its field, and neither the members nor the log change."""
    tenant = await a_new_tenant(client, world)
    admin = world.a.auth("consultancy_admin")
    users = f"/api/v1/tenants/{tenant}/users"
    email = an_email("lia")
    made = await client.post(
        users, headers=admin, json={"email": email, "display_name": "Lia", "role": "client_viewer"}
    )
    user_id = made.json()["user_id"]
    head = await system.store.head(UUID(tenant))
    stranger = world.a.user_ids["client_admin"]  # a person, but not a member of this tenant
    refusals = [
        # the same person again: change the role instead
        (client.post(users, headers=admin, json={
            "email": email, "display_name": "Lia", "role": "client_member"}), 409, "email"),
        (client.post(users, headers=admin, json={
            "email": "not-an-email", "display_name": "X", "role": "client_member"}), 422, "email"),
        (client.post(users, headers=admin, json={
            "email": an_email("x"), "display_name": "X", "role": "owner"}), 422, "role"),
        # a consultant must belong to the consultancy
        (client.post(users, headers=admin, json={
            "email": an_email("y"), "display_name": "Y", "role": "consultant"}), 422, "role"),
        (client.patch(f"{users}/{stranger}", headers=admin, json={"role": "client_viewer"}),
         404, "user_id"),
        (client.patch(f"{users}/{user_id}", headers=admin, json={"role": "boss"}), 422, "role"),
        (client.delete(f"{users}/{stranger}", headers=admin), 404, "user_id"),
    ]  # fmt: skip
    for request, status, field in refusals:
        answer = await request
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert field in {error.get("field") for error in answer.json().get("errors", [])} | {
            answer.json().get("field")
        }, answer.text
    assert await system.store.head(UUID(tenant)) == head
    listed = await client.get(users, headers=admin)
    assert [(m["email"], m["role"]) for m in listed.json()["items"]] == [(email, "client_viewer")]


async def test_api_keys_made_and_revoked_are_in_the_log(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    tenant = await a_new_tenant(client, world)
    admin = world.a.auth("consultancy_admin")
    keys = f"/api/v1/tenants/{tenant}/api-keys"
    made = await client.post(keys, headers=admin, json={"name": "CRM sync"})
    assert made.status_code == 201, made.text
    key_id = made.json()["key"]["id"]
    revoked = await client.delete(f"{keys}/{key_id}", headers=admin)
    again = await client.delete(f"{keys}/{key_id}", headers=admin)
    assert again.status_code == 200
    assert position(again) == position(revoked) == position(made) + 1  # once revoked: no more
    unknown = await client.delete(f"{keys}/{world.a.revoked_key_id}", headers=admin)
    assert unknown.status_code == 404  # another tenant's key is no key here
    refused = await client.post(keys, headers=admin, json={"name": "X", "role": "client_admin"})
    assert refused.status_code == 422, refused.text
    assert await system.store.head(UUID(tenant)) == position(revoked)

    assert await from_to(client, tenant, admin) == [
        ("api_key", None, "client_member"), ("api_key", "client_member", None)
    ]  # fmt: skip
    assert (await lines(client, tenant, admin, position(revoked)))[:2] == [
        f"API key 'CRM sync' revoked by {ADMIN} (role client member)",
        f"API key 'CRM sync' made by {ADMIN}, role client member",
    ]


async def test_a_suspension_and_a_reactivation_are_in_the_log(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    tenant = await a_new_tenant(client, world)
    admin = world.a.auth("consultancy_admin")
    lifecycle = f"/api/v1/consultancies/{world.a.consultancy.id}/tenants/{tenant}"
    suspended = await client.post(f"{lifecycle}/suspend", headers=admin)
    assert suspended.status_code == 200, suspended.text
    twice = await client.post(f"{lifecycle}/suspend", headers=admin)
    assert position(twice) == position(suspended)  # suspended already: nothing written
    elsewhere = f"/api/v1/consultancies/{world.b.consultancy.id}/tenants/{tenant}/reactivate"
    refused = await client.post(elsewhere, headers=world.b.auth("consultancy_admin"))
    assert refused.status_code == 404  # another consultancy's tenant is no tenant of its own
    kept = await client.get(f"/api/v1/tenants/{tenant}", headers=admin)
    assert kept.json()["status"] == "suspended"
    assert await system.store.head(UUID(tenant)) == position(suspended)
    # its consultancy's admins keep managing it while suspended, and it is recorded
    invited = await client.post(
        f"/api/v1/tenants/{tenant}/users", headers=admin,
        json={"email": an_email("ivo"), "display_name": "Ivo", "role": "client_viewer"},
    )  # fmt: skip
    assert invited.status_code == 201, invited.text
    assert position(invited) == position(suspended) + 1
    reactivated = await client.post(f"{lifecycle}/reactivate", headers=admin)
    assert reactivated.json()["status"] == "active"
    assert position(reactivated) == position(suspended) + 2

    assert await from_to(client, tenant, admin) == [
        ("tenant", "active", "suspended"), ("member", None, "client_viewer"),
        ("tenant", "suspended", "active"),
    ]  # fmt: skip
    name = suspended.json()["name"]
    said = await lines(client, tenant, admin, position(reactivated))
    assert [said[0], said[2]] == [
        f"'{name}' reactivated by {ADMIN}: its people and keys reach it again",
        f"'{name}' suspended by {ADMIN}: its people and keys lost access",
    ]


async def test_a_new_consultancy_admin_is_recorded_in_every_tenant_it_reaches(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """A consultancy admin reaches every client of the consultancy: each one's log says who
    made whom an admin. A consultant reaches none by that alone: nothing is written."""
    tenants = [UUID(await a_new_tenant(client, world)) for _ in range(2)]
    admin = world.a.auth("consultancy_admin")
    members = f"/api/v1/consultancies/{world.a.consultancy.id}/members"
    heads = {t: await system.store.head(t) for t in [*tenants, world.b.tenant.id]}

    consultant = await client.post(members, headers=admin, json={
        "email": an_email("tea"), "display_name": "Tea", "role": "consultant"})  # fmt: skip
    assert consultant.status_code == 201, consultant.text
    assert {t: await system.store.head(t) for t in heads} == heads
    nora = {"email": an_email("nora"), "display_name": "Nora", "role": "consultancy_admin"}
    made = await client.post(members, headers=admin, json=nora)
    assert made.status_code == 201, made.text
    again = await client.post(members, headers=admin, json={
        "email": an_email("x"), "display_name": "X", "role": "owner"})  # fmt: skip
    assert again.status_code == 422  # a refusal records nothing anywhere

    for tenant in tenants:
        assert await system.store.head(tenant) == heads[tenant] + 1
        assert await from_to(client, str(tenant), admin) == [("member", None, "consultancy_admin")]
        said = await lines(client, str(tenant), admin, heads[tenant] + 1)
        assert said[0] == f"Nora given the role consultancy admin by {ADMIN}"
    assert await system.store.head(world.b.tenant.id) == heads[world.b.tenant.id]


async def test_a_consultancy_member_demoted_or_removed_is_recorded_where_their_reach_changes(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """An admin made a consultant reaches only the tenants they are a member of; one who
    leaves the consultancy reaches none by a consultant's membership. Each tenant whose
    reach changed says so; the last admin stays; a refusal writes nothing."""
    admin = world.a.auth("consultancy_admin")
    members = f"/api/v1/consultancies/{world.a.consultancy.id}/members"
    tenant, home = UUID(await a_new_tenant(client, world)), world.a.tenant.id
    nora = {"email": an_email("nora"), "display_name": "Nora", "role": "consultancy_admin"}
    made = await client.post(members, headers=admin, json=nora)
    nora_id = made.json()["user_id"]
    assigned = await client.post(
        f"/api/v1/tenants/{tenant}/users", headers=admin, json={**nora, "role": "consultant"}
    )
    assert assigned.status_code == 201, assigned.text
    heads = {t: await system.store.head(t) for t in (tenant, home)}

    demoted = await client.patch(f"{members}/{nora_id}", headers=admin, json={"role": "consultant"})
    assert demoted.status_code == 200, demoted.text
    assert {t: await system.store.head(t) for t in heads} == {t: h + 1 for t, h in heads.items()}
    assert (await from_to(client, str(tenant), admin))[-1] == (
        "member", "consultancy_admin", "consultant"
    )  # fmt: skip
    assert (await from_to(client, str(home), admin))[-1] == ("member", "consultancy_admin", None)

    left = await client.delete(f"{members}/{nora_id}", headers=admin)
    assert left.status_code == 204, left.text
    assert (await from_to(client, str(tenant), admin))[-1] == ("member", "consultant", None)
    assert await system.store.head(home) == heads[home] + 1  # nothing of hers there
    said = await lines(client, str(tenant), admin, await system.store.head(tenant))
    assert said[0] == f"Nora removed by {ADMIN} (role consultant)"

    heads = {t: await system.store.head(t) for t in (tenant, home)}
    studio = await client.post(
        "/api/v1/consultancies", headers=world.admin(), json={"name": "Studio Solo"}
    )
    solo = f"/api/v1/consultancies/{studio.json()['id']}/members"
    sole = await client.post(solo, headers=world.admin(), json={**nora, "email": an_email("s")})
    last = sole.json()["user_id"]
    for refused in (
        await client.delete(f"{solo}/{last}", headers=world.admin()),
        await client.patch(f"{solo}/{last}", headers=world.admin(), json={"role": "consultant"}),
    ):
        assert refused.status_code == 409, refused.text
        assert refused.json()["errors"][0] == {
            "field": "user_id", "rule": "last_admin",
            "message": "the consultancy's last admin: make another one admin first",
        }  # fmt: skip
    unknown = await client.delete(f"{members}/{nora_id}", headers=admin)
    assert unknown.status_code == 404
    bad_role = await client.patch(f"{solo}/{last}", headers=world.admin(), json={"role": "x"})
    assert bad_role.status_code == 422
    assert {t: await system.store.head(t) for t in heads} == heads


async def test_a_consultant_made_a_client_s_admin_keeps_no_role_there_on_leaving(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """A consultant given a client's admin role there (to manage its people and keys), then
    made consultancy admin and later removed from the consultancy, reaches the client no
    more: every role held in the consultancy's clients ends with the leaving (only an
    assignment as consultant did; the admin role outlived it, so a person the consultancy
    let go still managed the client's people, keys and exports), and the client's log says
    it. Another consultancy's client, where the person is a client admin, is not touched."""
    admin = world.a.auth("consultancy_admin")
    members = f"/api/v1/consultancies/{world.a.consultancy.id}/members"
    tenant = await a_new_tenant(client, world)
    tea = {"email": an_email("tea"), "display_name": "Tea", "role": "consultant"}
    made = await client.post(members, headers=admin, json=tea)
    tea_id = made.json()["user_id"]
    users = f"/api/v1/tenants/{tenant}/users"
    assigned = await client.post(users, headers=admin, json=tea)
    assert assigned.status_code == 201, assigned.text
    raised = await client.patch(f"{users}/{tea_id}", headers=admin, json={"role": "client_admin"})
    assert raised.status_code == 200, raised.text
    elsewhere = world.b.tenant.id  # another consultancy's client: hers as client admin
    await add_membership(system.pool, elsewhere, UUID(tea_id), "client_admin")
    promoted = await client.patch(
        f"{members}/{tea_id}", headers=admin, json={"role": "consultancy_admin"}
    )
    assert promoted.status_code == 200, promoted.text

    left = await client.delete(f"{members}/{tea_id}", headers=admin)
    assert left.status_code == 204, left.text
    principal = await resolve_user_principal(system.pool, UUID(tea_id))
    assert principal is not None and principal.grants == {elsewhere: "client_admin"}
    assert (await from_to(client, tenant, admin))[-1] == ("member", "consultancy_admin", None)
    listed = (await client.get(users, headers=admin)).json()["items"]
    assert tea_id not in {m["user_id"] for m in listed}


async def test_a_consultant_leaves_a_consultancy_that_has_no_admin_yet(
    client: httpx.AsyncClient, world: World
) -> None:
    """Only an admin's removal or demotion can leave the consultancy without one: a
    consultant's leaving is never refused as the 'last admin' (it was, where none was)."""
    studio = await client.post(
        "/api/v1/consultancies", headers=world.admin(), json={"name": "Studio Nuovo"}
    )
    members = f"/api/v1/consultancies/{studio.json()['id']}/members"
    tea = {"email": an_email("tea"), "display_name": "Tea", "role": "consultant"}
    made = await client.post(members, headers=world.admin(), json=tea)
    assert made.status_code == 201, made.text
    left = await client.delete(f"{members}/{made.json()['user_id']}", headers=world.admin())
    assert left.status_code == 204, left.text


async def test_a_removed_member_is_offered_by_the_portal_s_lists_of_people(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """The portal's lists of people name whom the log names: a member removed before they
    ever acted is there (their access lines name them), so choosing them is no bad filter,
    and what they owned still shows their name; an id the log never named is none."""
    tenant = await a_new_tenant(client, world)
    admin = world.a.auth("consultancy_admin")
    ugo = await client.post(f"/api/v1/tenants/{tenant}/users", headers=admin, json={
        "email": an_email("ugo"), "display_name": "Ugo", "role": "client_viewer"})  # fmt: skip
    ugo_id = ugo.json()["user_id"]
    removed = await client.delete(f"/api/v1/tenants/{tenant}/users/{ugo_id}", headers=admin)
    await lines(client, tenant, admin, position(removed))  # the history has it
    portal = SimpleNamespace(people=People(system.pool), system=system)

    # `portal`: a stand-in Portal of the two attributes offered_person reads.
    assert await offered_person(portal, UUID(tenant), f"user:{ugo_id}")  # type: ignore[arg-type]
    assert not await offered_person(portal, UUID(tenant), f"user:{uuid4()}")  # type: ignore[arg-type]
    names = await portal.people.names(UUID(tenant))  # what he owned still names him
    assert names[f"user:{ugo_id}"] == "Ugo"
    assert f"user:{world.b.user_ids['client_admin']}" not in names  # never given access here


async def test_every_change_of_a_tenant_s_access_or_settings_may_say_why(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """A reason given with a change is in its event and at the end of its history line;
    the requests without a body (a removal, a revocation, a suspension) take one as an
    optional body. (The consultancy's changes of its people may say why too: see
    test_a_consultancy_member_invited_or_given_a_role_with_a_reason_says_it_in_each_log.)"""
    tenant = await a_new_tenant(client, world)
    admin = world.a.auth("consultancy_admin")
    users, keys = f"/api/v1/tenants/{tenant}/users", f"/api/v1/tenants/{tenant}/api-keys"
    lifecycle = f"/api/v1/consultancies/{world.a.consultancy.id}/tenants/{tenant}"
    why = {"reason": "  audit of Q1  "}  # kept trimmed
    ivo = {"email": an_email("ivo"), "display_name": "Ivo", "role": "client_viewer"}
    invited = await client.post(users, headers=admin, json={**ivo, **why})
    ivo_id = invited.json()["user_id"]
    key = await client.post(keys, headers=admin, json={"name": "CRM", **why})
    key_id = key.json()["key"]["id"]
    member, settings = {"role": "client_member"}, f"/api/v1/tenants/{tenant}"
    answers = [
        invited,
        await client.patch(f"{users}/{ivo_id}", headers=admin, json={**member, **why}),
        await client.request("DELETE", f"{users}/{ivo_id}", headers=admin, json=why),
        key,
        await client.request("DELETE", f"{keys}/{key_id}", headers=admin, json=why),
        await client.post(f"{lifecycle}/suspend", headers=admin, json=why),
        await client.post(f"{lifecycle}/reactivate", headers=admin, json=why),
        await client.patch(settings, headers=admin, json={"locale": "en", **why}),
    ]  # fmt: skip
    for answer in answers:
        assert answer.status_code in (200, 201, 204), answer.text

    trail = await client.get(f"/api/v1/tenants/{tenant}/audit", headers=admin)
    changed = [
        e for e in trail.json()["items"]
        if e["topic"] != "okr.SettingsChange.Created" or e["payload"]["before"]
    ]  # fmt: skip
    assert len(changed) == 8
    assert {e["payload"]["reason"] for e in changed} == {"audit of Q1"}
    head = await system.store.head(UUID(tenant))
    said = await lines(client, tenant, admin, head)  # the 7 changes of access
    assert len(said) == 7
    assert all(text.endswith("; reason: 'audit of Q1'") for text in said), said
    assert f"Ivo removed by {ADMIN} (role client member); reason: 'audit of Q1'" in said


async def test_a_key_outlives_its_maker_s_right_and_says_so_until_revoked(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """A key is the company's: it keeps working when the client admin who made it is made
    a member, or removed (an integration does not stop with their departure). But they saw
    its secret, so the keys' list says who made it and that they no longer manage the
    company's keys (creator_active false), where the other admins revoke it; revoked, it
    is refused at once."""
    tenant = await a_new_tenant(client, world)
    admin = world.a.auth("consultancy_admin")
    users, keys = f"/api/v1/tenants/{tenant}/users", f"/api/v1/tenants/{tenant}/api-keys"
    ivo = {"email": an_email("ivo"), "display_name": "Ivo", "role": "client_admin"}
    ivo_id = (await client.post(users, headers=admin, json=ivo)).json()["user_id"]
    made = await client.post(
        keys, headers=bearer(issue_access_token(world.tokens, UUID(ivo_id))), json={"name": "ERP"}
    )
    assert made.status_code == 201, made.text
    assert (made.json()["key"]["created_by_name"], made.json()["key"]["creator_active"]) == (
        "Ivo", True
    )  # fmt: skip
    erp, key_id = bearer(made.json()["plaintext"]), made.json()["key"]["id"]
    crm = await client.post(keys, headers=admin, json={"name": "CRM"})
    assert crm.status_code == 201, crm.text

    async def listed() -> dict[str, tuple[str | None, bool]]:
        items = (await client.get(keys, headers=admin)).json()["items"]
        return {k["name"]: (k["created_by_name"], k["creator_active"]) for k in items}

    assert await listed() == {"ERP": ("Ivo", True), "CRM": (ADMIN, True)}
    await client.patch(f"{users}/{ivo_id}", headers=admin, json={"role": "client_member"})
    assert await listed() == {"ERP": ("Ivo", False), "CRM": (ADMIN, True)}
    assert (await client.get(f"/api/v1/tenants/{tenant}/cycles", headers=erp)).status_code == 200
    await client.delete(f"{users}/{ivo_id}", headers=admin)
    assert await listed() == {"ERP": ("Ivo", False), "CRM": (ADMIN, True)}
    assert (await client.get(f"/api/v1/tenants/{tenant}/cycles", headers=erp)).status_code == 200

    revoked = await client.delete(f"{keys}/{key_id}", headers=admin)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["creator_active"] is False
    assert (await client.get(f"/api/v1/tenants/{tenant}/cycles", headers=erp)).status_code == 401


async def test_the_reason_of_a_change_of_access_is_for_the_trail_s_readers(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """An admin's words about a person (why they were removed) are shown to those who may
    read the audit trail: a client viewer's history says the change, not its reason. A
    change of the tenant's settings keeps its reason for everyone, as an OKR's change does."""
    tenant = await a_new_tenant(client, world)
    admin = world.a.auth("consultancy_admin")
    users = f"/api/v1/tenants/{tenant}/users"
    vera = {"email": an_email("vera"), "display_name": "Vera", "role": "client_viewer"}
    made = await client.post(users, headers=admin, json=vera)
    viewer = bearer(issue_access_token(world.tokens, made.json()["user_id"]))
    ugo = {"email": an_email("ugo"), "display_name": "Ugo", "role": "client_viewer"}
    ugo_id = (await client.post(users, headers=admin, json=ugo)).json()["user_id"]
    removed = await client.request(
        "DELETE", f"{users}/{ugo_id}", headers=admin, json={"reason": "left after a dispute"}
    )
    settings = await client.patch(
        f"/api/v1/tenants/{tenant}", headers=admin,
        json={"check_in_cadence_days": 14, "reason": "monthly reviews"},
    )  # fmt: skip
    assert settings.status_code == 200, settings.text

    for auth, shown in ((admin, True), (viewer, False)):
        answer = await client.get(
            f"/api/v1/tenants/{tenant}/history",
            headers=auth,
            params={"min_position": position(settings)},
        )
        lines_by_kind = {line["item_kind"]: line for line in answer.json()["items"][:2]}
        access, tenant_line = lines_by_kind["access"], lines_by_kind["tenant"]
        assert access["position"] == position(removed)
        assert (access["reason"], "dispute" in access["text"]) == (
            ("left after a dispute", True) if shown else (None, False)
        ), access
        assert "reason" not in access["params"] or shown
        assert tenant_line["reason"] == "monthly reviews"


async def test_a_removal_retried_with_an_empty_body_is_the_same_removal(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """No body, `{}` and `null` say the same (no reason): under one Idempotency-Key they
    are one request, answered again, not refused as another."""
    tenant = await a_new_tenant(client, world)
    admin = world.a.auth("consultancy_admin")
    users = f"/api/v1/tenants/{tenant}/users"
    ada = {"email": an_email("ada"), "display_name": "Ada", "role": "client_viewer"}
    ada_id = (await client.post(users, headers=admin, json=ada)).json()["user_id"]
    once = {**admin, "Idempotency-Key": f"remove-{ada_id}"}
    first = await client.delete(f"{users}/{ada_id}", headers=once)
    assert first.status_code == 204, first.text
    for body in (b"{}", b"null", b" { } "):
        again = await client.request(
            "DELETE", f"{users}/{ada_id}", headers={**once, "content-type": "application/json"},
            content=body,
        )  # fmt: skip
        assert again.status_code == 204, (body, again.text)
        assert position(again) == position(first)
    other = await client.request("DELETE", f"{users}/{ada_id}", headers=once, json={"reason": "x"})
    assert other.status_code == 422  # a reason is another request


async def test_a_bad_reason_is_refused_naming_it_and_changes_nothing(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """Blank, too long, a control character, not text: 422 naming `reason`, even where the
    change would change nothing (the same role again); nothing is written."""
    tenant = await a_new_tenant(client, world)
    admin = world.a.auth("consultancy_admin")
    users, keys = f"/api/v1/tenants/{tenant}/users", f"/api/v1/tenants/{tenant}/api-keys"
    lifecycle = f"/api/v1/consultancies/{world.a.consultancy.id}/tenants/{tenant}"
    lia = {"email": an_email("lia"), "display_name": "Lia", "role": "client_viewer"}
    lia_id = (await client.post(users, headers=admin, json=lia)).json()["user_id"]
    key_id = (await client.post(keys, headers=admin, json={"name": "CRM"})).json()["key"]["id"]
    head = await system.store.head(UUID(tenant))
    stranger = an_email("x")
    for reason, rule in (
        ("   ", "empty"),
        ("x" * 1001, "too_long"),
        ("a\x00b", "control_character"),
        (7, "wrong_type"),
    ):
        bad = {"reason": reason}
        for request in (
            client.post(users, headers=admin, json={**lia, "email": stranger, **bad}),
            client.patch(f"{users}/{lia_id}", headers=admin, json={"role": "client_member", **bad}),
            client.patch(f"{users}/{lia_id}", headers=admin, json={"role": "client_viewer", **bad}),
            client.request("DELETE", f"{users}/{lia_id}", headers=admin, json=bad),
            client.post(keys, headers=admin, json={"name": "ERP", **bad}),
            client.request("DELETE", f"{keys}/{key_id}", headers=admin, json=bad),
            client.post(f"{lifecycle}/suspend", headers=admin, json=bad),
            client.post(f"{lifecycle}/reactivate", headers=admin, json=bad),  # active: a no-op
            client.patch(f"/api/v1/tenants/{tenant}", headers=admin, json={"locale": "en", **bad}),
        ):  # fmt: skip
            answer = await request
            assert answer.status_code == 422, answer.text
            assert [(e["field"], e["rule"]) for e in answer.json()["errors"]] == [
                ("reason", rule)
            ], answer.text
    assert await system.store.head(UUID(tenant)) == head
    listed = await client.get(users, headers=admin)
    assert [(m["email"], m["role"]) for m in listed.json()["items"]] == [
        (lia["email"], "client_viewer")
    ]
    assert await find_user_by_email(system.pool, stranger) is None
    tenant_now = await client.get(f"/api/v1/tenants/{tenant}", headers=admin)
    assert (tenant_now.json()["status"], tenant_now.json()["locale"]) == ("active", "it")
    assert [k["id"] for k in (await client.get(keys, headers=admin)).json()["items"]] == [key_id]


async def test_the_last_consultancy_admin_who_can_sign_in_stays(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """Another admin added who has no password yet manages nothing: the last admin who can
    sign in may not leave (409 last_admin), until that one has chosen a password. An admin
    who never could sign in may leave while another admin stays."""
    studio = await client.post(
        "/api/v1/consultancies", headers=world.admin(), json={"name": "Studio Due"}
    )
    members = f"/api/v1/consultancies/{studio.json()['id']}/members"
    ids = {}
    for name in ("ada", "bea", "cleo"):
        made = await client.post(members, headers=world.admin(), json={
            "email": an_email(name), "display_name": name, "role": "consultancy_admin",
        })  # fmt: skip
        ids[name] = made.json()["user_id"]
    await set_password(system.pool, UUID(ids["ada"]), "una frase abbastanza lunga")
    refused = await client.delete(f"{members}/{ids['ada']}", headers=world.admin())
    assert refused.status_code == 409, refused.text
    assert refused.json()["errors"][0]["message"].startswith(
        "the consultancy's last admin who can sign in"
    )
    gone = await client.delete(f"{members}/{ids['cleo']}", headers=world.admin())
    assert gone.status_code == 204, gone.text  # never could sign in; Ada and Bea stay
    await set_password(system.pool, UUID(ids["bea"]), "un'altra frase lunga")
    left = await client.delete(f"{members}/{ids['ada']}", headers=world.admin())
    assert left.status_code == 204, left.text


async def test_an_invitation_to_a_consultancy_that_fails_leaves_no_account(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """The account of a person invited to a consultancy was made, and committed, before
    their role: a failure between the two left an account with no role, which a second
    invitation then took for someone else's. Both are one transaction: nothing is left."""
    members = f"/api/v1/consultancies/{world.a.consultancy.id}/members"
    admin = world.a.auth("consultancy_admin")
    email = an_email("doomed")
    heads = {world.a.tenant.id: await system.store.head(world.a.tenant.id)}
    async with consultancy_roles_failing(system.admin_dsn, "doomed."):
        for role in ("consultant", "consultancy_admin"):
            failed = await client.post(
                members, headers=admin, json={"email": email, "display_name": "D", "role": role}
            )
            assert failed.status_code == 500, failed.text
            assert await find_user_by_email(system.pool, email) is None, role
    assert {t: await system.store.head(t) for t in heads} == heads
    made = await client.post(
        members, headers=admin, json={"email": email, "display_name": "D", "role": "consultant"}
    )
    assert made.status_code == 201, made.text


async def test_a_consultancy_member_removed_with_a_reason_says_it_in_each_client_s_log(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """Removing a person from the consultancy took no reason, where every other change of
    access may say why: the removal's optional body gives one, kept in the log of each
    client whose reach it changes and said at the end of its history line, as a tenant's
    removal says its own. A bad reason is refused naming it and changes nothing, even for
    a consultant whose leaving would be written nowhere."""
    tenant = UUID(await a_new_tenant(client, world))
    admin = world.a.auth("consultancy_admin")
    members = f"/api/v1/consultancies/{world.a.consultancy.id}/members"
    nora = {"email": an_email("nora"), "display_name": "Nora", "role": "consultancy_admin"}
    nora_id = (await client.post(members, headers=admin, json=nora)).json()["user_id"]
    tea = {"email": an_email("tea"), "display_name": "Tea", "role": "consultant"}
    tea_id = (await client.post(members, headers=admin, json=tea)).json()["user_id"]
    heads = {t: await system.store.head(t) for t in (tenant, world.a.tenant.id)}

    for who in (nora_id, tea_id):
        for reason, rule in (("   ", "empty"), ("x" * 1001, "too_long"), (7, "wrong_type")):
            bad = await client.request(
                "DELETE", f"{members}/{who}", headers=admin, json={"reason": reason}
            )
            assert bad.status_code == 422, bad.text
            assert [(e["field"], e["rule"]) for e in bad.json()["errors"]] == [("reason", rule)]
    assert {t: await system.store.head(t) for t in heads} == heads
    listed = await client.get(members, headers=admin)
    assert {nora_id, tea_id} <= {m["user_id"] for m in listed.json()["items"]}

    left = await client.request(
        "DELETE", f"{members}/{nora_id}", headers=admin, json={"reason": "  moved to Milan  "}
    )
    assert left.status_code == 204, left.text
    for tenant_id, head in heads.items():
        logged = (await changes(client, str(tenant_id), admin))[-1]
        assert logged["position"] == head + 1
        assert (logged["payload"]["subject_id"], logged["payload"]["reason"]) == (
            nora_id, "moved to Milan"
        )  # fmt: skip
        said = await lines(client, str(tenant_id), admin, head + 1)
        assert said[0] == (
            f"Nora removed by {ADMIN} (role consultancy admin); reason: 'moved to Milan'"
        )
    gone = await client.delete(f"{members}/{tea_id}", headers=admin)  # no body: no reason
    assert gone.status_code == 204, gone.text


async def test_an_operator_s_reset_and_the_system_s_changes_are_said_in_words(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """The API left an actor without a name as it is: an operator's reset of a password read
    "by system:operator" where the portal says "an operator", and the bench's load "by
    system:bench-load" where the portal says "the system". Both are said in words in the
    text and as who acted (actor_name), as the portal says them; the log keeps the actor."""
    tenant = await a_new_tenant(client, world)
    admin = world.a.auth("consultancy_admin")
    ivo = {"email": an_email("ivo"), "display_name": "Ivo", "role": "client_viewer"}
    users = f"/api/v1/tenants/{tenant}/users"
    ivo_id = (await client.post(users, headers=admin, json=ivo)).json()["user_id"]
    app = OKRApplication(system.repository)
    await app.access.reset_password(
        UUID(ivo_id), "una frase abbastanza lunga", "system:operator", "ticket 42"
    )
    load = Context(tenant_id=UUID(tenant), actor="system:bench-load")
    made = await app.cycles.create(
        load, name="Q1 2027", starts_on=date(2027, 1, 1), ends_on=date(2027, 3, 31)
    )

    answer = await client.get(
        f"/api/v1/tenants/{tenant}/history", headers=admin,
        params={"min_position": made.position, "limit": 2},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    said = [(line["actor"], line["actor_name"], line["text"]) for line in answer.json()["items"]]
    assert said == [
        ("system:bench-load", "the system",
         "cycle 'Q1 2027' planned from 2027-01-01 to 2027-03-31 by the system"),
        ("system:operator", "an operator",
         "password of Ivo reset by an operator; reason: 'ticket 42'"),
    ]  # fmt: skip


async def test_a_consultancy_member_invited_or_given_a_role_with_a_reason_says_it_in_each_log(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """Inviting a person to the consultancy and changing their consultancy role took no
    reason (a reason in the invitation was refused), where their removal and every change
    of a company's access may say why. Each now takes `reason` in its body, as the removal
    does: kept in the log of each client whose reach it changes and said at the end of its
    history line; a bad one is refused naming it and changes nothing, even for a consultant
    whose joining is written nowhere, or the same role again."""
    tenant, home = UUID(await a_new_tenant(client, world)), world.a.tenant.id
    admin = world.a.auth("consultancy_admin")
    members = f"/api/v1/consultancies/{world.a.consultancy.id}/members"
    tea = {"email": an_email("tea"), "display_name": "Tea", "role": "consultant"}
    tea_id = (await client.post(members, headers=admin, json=tea)).json()["user_id"]
    nora = {"email": an_email("nora"), "display_name": "Nora", "role": "consultancy_admin"}
    heads = {t: await system.store.head(t) for t in (tenant, home)}

    for reason, rule in (
        ("   ", "empty"),
        ("x" * 1001, "too_long"),
        ("a\x00b", "control_character"),
        (7, "wrong_type"),
    ):
        bad = {"reason": reason}
        for request in (
            client.post(members, headers=admin, json={**nora, **bad}),
            client.post(members, headers=admin, json={**tea, "email": an_email("t"), **bad}),
            client.patch(f"{members}/{tea_id}", headers=admin,
                         json={"role": "consultancy_admin", **bad}),
            client.patch(f"{members}/{tea_id}", headers=admin, json={"role": "consultant", **bad}),
        ):  # fmt: skip
            answer = await request
            assert answer.status_code == 422, answer.text
            assert [(e["field"], e["rule"]) for e in answer.json()["errors"]] == [
                ("reason", rule)
            ], answer.text
    assert {t: await system.store.head(t) for t in heads} == heads
    assert await find_user_by_email(system.pool, nora["email"]) is None  # no account made
    listed = (await client.get(members, headers=admin)).json()["items"]
    assert {m["user_id"]: m["role"] for m in listed}[tea_id] == "consultant"
    assigned = await client.post(
        f"/api/v1/tenants/{tenant}/users", headers=admin, json={**tea, "reason": "Q1 audit"}
    )
    assert assigned.status_code == 201, assigned.text
    heads = {t: await system.store.head(t) for t in heads}

    invited = await client.post(members, headers=admin, json={**nora, "reason": " new partner "})
    assert invited.status_code == 201, invited.text
    promoted = await client.patch(
        f"{members}/{tea_id}", headers=admin,
        json={"role": "consultancy_admin", "reason": "runs the Milan office"},
    )  # fmt: skip
    assert promoted.status_code == 200, promoted.text
    for tenant_id, head in heads.items():
        logged = [
            (c["payload"]["subject_id"], c["payload"]["reason"])
            for c in await changes(client, str(tenant_id), admin)
            if c["position"] > head
        ]
        assert logged == [
            (invited.json()["user_id"], "new partner"), (tea_id, "runs the Milan office")
        ]  # fmt: skip
        said = await lines(client, str(tenant_id), admin, head + 2)
        assert said[1] == (
            f"Nora given the role consultancy admin by {ADMIN}; reason: 'new partner'"
        )
    assert (await lines(client, str(tenant), admin, heads[tenant] + 2))[0] == (
        f"role of Tea changed consultant → consultancy admin by {ADMIN};"
        " reason: 'runs the Milan office'"
    )
    assert (await lines(client, str(home), admin, heads[home] + 2))[0] == (
        f"Tea given the role consultancy admin by {ADMIN}; reason: 'runs the Milan office'"
    )
