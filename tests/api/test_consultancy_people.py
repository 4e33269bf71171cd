"""Who manages whom in a client: the consultancy's people (its consultants, one of its
people made a client admin there) are its admins' to manage; a client admin manages the
company's own people only."""

from __future__ import annotations

from uuid import UUID

import httpx

from services.bootstrap import System
from tenants.memberships import add_consultancy_member, add_membership
from tenants.roles import Role
from tenants.tokens import issue_access_token
from tenants.users import create_user, set_password
from tests.api.builders import World, an_email
from tests.api.test_tenancy import a_new_tenant, bearer


async def a_client_admin(
    client: httpx.AsyncClient, world: World, system: System, tenant: str
) -> tuple[str, dict[str, str]]:
    invited = await client.post(
        f"/api/v1/tenants/{tenant}/users", headers=world.a.auth("consultancy_admin"),
        json={"email": an_email("ada"), "display_name": "Ada", "role": "client_admin"},
    )  # fmt: skip
    user_id = invited.json()["user_id"]
    await set_password(system.pool, UUID(user_id), "una frase abbastanza lunga")
    return user_id, bearer(issue_access_token(world.tokens, user_id))


async def roles_of(client: httpx.AsyncClient, world: World, tenant: str) -> dict[str, str]:
    listed = await client.get(
        f"/api/v1/tenants/{tenant}/users", headers=world.a.auth("consultancy_admin")
    )
    return {m["user_id"]: m["role"] for m in listed.json()["items"]}


async def test_a_client_admin_may_not_demote_or_remove_the_consultancy_s_people(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """The consultancy staffs its clients: a client admin who demoted or removed its
    consultant (or one of its people made client admin there) took the consultancy's
    service away from under it. Each such change is 403 `consultancy_person` naming
    `user_id`, and nothing is written; the company's own people stay theirs to manage."""
    tenant = await a_new_tenant(client, world)
    consultant = world.a.user_ids["consultant"]
    await add_membership(system.pool, UUID(tenant), consultant, Role.CONSULTANT)
    partner = await create_user(system.pool, an_email("partner"), "Partner")
    await add_consultancy_member(system.pool, world.a.consultancy.id, partner.id, "consultant")
    await add_membership(system.pool, UUID(tenant), partner.id, Role.CLIENT_ADMIN)
    _, ada = await a_client_admin(client, world, system, tenant)
    users = f"/api/v1/tenants/{tenant}/users"
    listed = (await client.get(users, headers=ada)).json()["items"]
    theirs = {m["user_id"] for m in listed if m["of_consultancy"]}
    assert theirs == {str(consultant), str(partner.id)}  # the list says whose they are
    before = await roles_of(client, world, tenant)
    head = await system.store.head(UUID(tenant))

    for person in (consultant, partner.id):
        for refused in (
            await client.patch(f"{users}/{person}", headers=ada, json={"role": "client_viewer"}),
            await client.delete(f"{users}/{person}", headers=ada),
        ):
            assert refused.status_code == 403, refused.text
            assert refused.headers["content-type"] == "application/problem+json"
            [error] = refused.json()["errors"]
            assert (error["field"], error["rule"]) == ("user_id", "consultancy_person")
            assert "consultancy" in error["message"]
    assert await roles_of(client, world, tenant) == before
    assert await system.store.head(UUID(tenant)) == head

    own = await client.post(
        users, headers=ada,
        json={"email": an_email("bea"), "display_name": "Bea", "role": "client_viewer"},
    )  # fmt: skip
    bea = own.json()["user_id"]
    changed = await client.patch(f"{users}/{bea}", headers=ada, json={"role": "client_member"})
    assert changed.status_code == 200, changed.text
    assert (await client.delete(f"{users}/{bea}", headers=ada)).status_code == 204


async def test_the_consultancy_s_admins_manage_everyone_of_its_clients(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """A consultancy admin (and a platform admin) changes or ends the role of its own
    people in a client, and of the client's own people too."""
    tenant = await a_new_tenant(client, world)
    consultant = world.a.user_ids["consultant"]
    await add_membership(system.pool, UUID(tenant), consultant, Role.CONSULTANT)
    ada_id, _ = await a_client_admin(client, world, system, tenant)
    users, admin = f"/api/v1/tenants/{tenant}/users", world.a.auth("consultancy_admin")

    demoted = await client.patch(f"{users}/{ada_id}", headers=admin, json={"role": "client_member"})
    assert demoted.status_code == 200, demoted.text
    made_admin = await client.patch(
        f"{users}/{consultant}", headers=admin, json={"role": "client_admin"}
    )
    assert made_admin.status_code == 200, made_admin.text
    assert (await client.delete(f"{users}/{consultant}", headers=world.admin())).status_code == 204
    assert (await client.delete(f"{users}/{ada_id}", headers=admin)).status_code == 204
    assert await roles_of(client, world, tenant) == {}
