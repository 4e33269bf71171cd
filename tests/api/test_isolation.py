"""The isolation matrix, built from the app's own route table: every route that needs a
bearer, called on tenant A by someone who must not get in, answers 401, 403 or 404 and
carries none of tenant A's data. Tenant B has the same name and the same item ids as A."""

from __future__ import annotations

import uuid

import httpx
import pytest
from litestar import Litestar

from services.bootstrap import System
from tenants.memberships import (
    add_consultancy_member,
    add_membership,
    remove_consultancy_member,
    remove_membership,
)
from tenants.roles import ROLE_PERMISSIONS, Permission, Role
from tenants.tokens import issue_access_token
from tenants.users import create_user, disable_user
from tests.api.builders import World, an_email
from tests.api.routes import Call, authenticated_calls

EMPTY_BODY = b"{}"


async def call(client: httpx.AsyncClient, c: Call, headers: dict[str, str]) -> httpx.Response:
    content = EMPTY_BODY if c.method in ("POST", "PUT", "PATCH") else None
    return await client.request(
        c.method, c.path, params=c.params, content=content,
        headers={**headers, "content-type": "application/json"},
    )  # fmt: skip


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_nothing_of_a(world: World, response: httpx.Response) -> None:
    assert world.a.secret not in response.text
    assert response.headers.get("etag") is None


@pytest.fixture(scope="module")
def calls(app: Litestar, world: World) -> list[Call]:
    found = authenticated_calls(app, world, world.a)
    assert len(found) > 50, "the route table should list the whole API"
    return found


async def test_every_route_needs_a_token(
    client: httpx.AsyncClient, world: World, calls: list[Call]
) -> None:
    """Without a bearer, every non-public route answers 401 with a Bearer challenge."""
    for c in calls:
        response = await call(client, c, {})
        assert response.status_code == 401, str(c)
        assert response.headers["www-authenticate"].startswith("Bearer"), str(c)
        assert response.headers["content-type"] == "application/problem+json", str(c)
        assert_nothing_of_a(world, response)


async def test_an_expired_token_gets_nowhere(
    client: httpx.AsyncClient, world: World, calls: list[Call]
) -> None:
    """An access token past its expiry is refused everywhere, and says why."""
    for c in calls:
        response = await call(client, c, bearer(world.expired_token))
        assert response.status_code == 401, str(c)
        assert 'error="invalid_token"' in response.headers["www-authenticate"], str(c)
        assert response.json()["errors"][0]["rule"] == "token_expired", str(c)
        assert_nothing_of_a(world, response)


async def test_a_revoked_api_key_gets_nowhere(
    client: httpx.AsyncClient, world: World, calls: list[Call]
) -> None:
    """Revoking an API key stops it at once, on every route."""
    for c in calls:
        response = await call(client, c, bearer(world.a.revoked_key))
        assert response.status_code == 401, str(c)
        assert_nothing_of_a(world, response)


async def test_the_twin_tenant_sees_nothing_of_a(
    client: httpx.AsyncClient, world: World, calls: list[Call]
) -> None:
    """B's consultancy admin, asking for A's tenant or consultancy with ids that also exist
    in B, gets 404 (never 403: no existence oracle); elsewhere it sees only B."""
    for c in calls:
        response = await call(client, c, world.b.auth("consultancy_admin"))
        if c.tenant_scoped or c.consultancy_scoped:
            assert response.status_code == 404, str(c)
            assert response.json()["detail"] == "not found", str(c)
        elif c.method == "POST" and c.template == "/api/v1/consultancies":
            assert response.status_code == 403, str(c)
        elif c.own_account:  # its own, with a body that is none: refused, naming the field
            assert response.status_code == 422, str(c)
        else:
            assert response.status_code == 200, str(c)
            assert str(world.a.tenant.id) not in response.text, str(c)
        assert_nothing_of_a(world, response)


async def test_b_still_sees_its_own_twin(client: httpx.AsyncClient, world: World) -> None:
    """Both directions: the same ids in B answer with B's data, never A's."""
    path = f"/api/v1/tenants/{world.b.tenant.id}/key-results/{world.ids.key_result_id}/check-ins"
    response = await client.get(path, headers=world.b.auth("client_viewer"))
    assert response.status_code == 200
    assert world.b.secret in response.text
    assert world.a.secret not in response.text


async def test_a_viewer_cannot_write(
    client: httpx.AsyncClient, world: World, calls: list[Call]
) -> None:
    """A client viewer of A may read A, and every write there answers 403 (a consultancy it
    has no role in answers 404)."""
    for c in calls:
        response = await call(client, c, world.a.auth("client_viewer"))
        if c.consultancy_scoped:
            assert response.status_code == 404, str(c)
        elif c.own_account:  # a viewer changes their own password (here, with no body)
            assert response.status_code == 422, str(c)
        elif c.is_write:
            assert response.status_code == 403, str(c)
            error = response.json()["errors"][0]
            assert error["rule"].startswith("requires_"), str(c)
            said = "only a platform admin" if "platform" in error["rule"] else "a client viewer"
            assert error["message"].startswith(said + " may"), str(c)
        elif c.permission is not None and c.permission not in ROLE_PERMISSIONS[Role.CLIENT_VIEWER]:
            assert response.status_code == 403, str(c)
        else:
            assert response.status_code == 200, str(c)


@pytest.mark.parametrize(
    "role",
    [Role.CLIENT_ADMIN, Role.CLIENT_MEMBER, Role.CONSULTANT, Role.CONSULTANCY_ADMIN],
)
async def test_each_role_gets_exactly_its_permissions(
    client: httpx.AsyncClient, world: World, calls: list[Call], role: Role
) -> None:
    """The permission table, route by route: a permission the role lacks is 403; reads it
    holds answer 200. (The README's table is generated from the same ROLE_PERMISSIONS.)"""
    allowed = ROLE_PERMISSIONS[role]
    for c in calls:
        if not c.tenant_scoped or c.permission is None:
            continue
        if c.permission not in allowed:
            response = await call(client, c, world.a.auth(role.value))
            assert response.status_code == 403, f"{role}: {c}"
        elif c.method == "GET":
            response = await call(client, c, world.a.auth(role.value))
            assert response.status_code == 200, f"{role}: {c}"


async def test_an_api_key_reaches_one_tenant_and_cannot_manage(
    client: httpx.AsyncClient, world: World, calls: list[Call]
) -> None:
    """A live key of A: 404 on B, 403 on what its role (client_member) may not do in A."""
    allowed = ROLE_PERMISSIONS[Role.CLIENT_MEMBER]
    for c in calls:
        if not c.tenant_scoped or c.permission is None:
            continue
        if c.permission not in allowed:
            response = await call(client, c, bearer(world.a.live_key))
            assert response.status_code == 403, str(c)
        twin = c.path.replace(str(world.a.tenant.id), str(world.b.tenant.id))
        response = await client.request(c.method, twin, headers=bearer(world.a.live_key))
        assert response.status_code == 404, str(c)
        assert world.b.secret not in response.text


def test_permission_table_covers_every_guarded_route(calls: list[Call]) -> None:
    """Every tenant route names the permission it needs (none is guarded by accident)."""
    for c in calls:
        if c.tenant_scoped:
            assert isinstance(c.permission, Permission), str(c)


async def _outsiders(system: System, world: World) -> dict[str, tuple[str, set[int]]]:
    """People who reached tenant A once, or whose token was made while they did, or who
    belong to its consultancy without being assigned to it: by what they are, a token
    of theirs and the answers their calls on A's consultancy may get."""
    pool, a = system.pool, world.a
    made: dict[str, tuple[str, set[int]]] = {}

    async def person(what: str) -> uuid.UUID:
        user = await create_user(pool, an_email(what), what)
        made[what] = (issue_access_token(world.tokens, user.id), {404})
        return user.id

    removed = await person("removed")
    await add_membership(pool, a.tenant.id, removed, Role.CLIENT_ADMIN)
    await remove_membership(pool, a.tenant.id, removed)
    unassigned = await person("unassigned")
    await add_consultancy_member(pool, a.consultancy.id, unassigned, Role.CONSULTANT)
    made["unassigned"] = (made["unassigned"][0], {200, 403, 422})  # reads its consultancy
    left = await person("left")
    await add_consultancy_member(pool, a.consultancy.id, left, Role.CONSULTANT)
    await add_membership(pool, a.tenant.id, left, Role.CONSULTANT)
    await remove_consultancy_member(pool, a.consultancy.id, left)  # its membership stays
    disabled = await person("disabled")
    await add_membership(pool, a.tenant.id, disabled, Role.CLIENT_ADMIN)
    await disable_user(pool, disabled)
    made["disabled"] = (made["disabled"][0], {401})
    return made


async def test_who_no_longer_reaches_a_tenant_gets_nothing_of_it_with_a_token_still_valid(
    client: httpx.AsyncClient, world: World, calls: list[Call], system: System
) -> None:
    """Grants are resolved at each request, not kept in the token: a member removed while
    signed in, a consultant of A's consultancy not assigned to A, one who left the
    consultancy (a membership of A still on file), answer 404 on every route of A, as a
    tenant that does not exist; a disabled account's token is refused (401). None sees
    anything of A."""
    for what, (token, of_consultancy) in (await _outsiders(system, world)).items():
        for c in calls:
            if c.own_account or not (c.tenant_scoped or c.consultancy_scoped):
                continue
            response = await call(client, c, bearer(token))
            expected = {401} if what == "disabled" else {404}
            if c.consultancy_scoped and what != "disabled":
                expected = of_consultancy
            assert response.status_code in expected, f"{what}: {c} {response.status_code}"
            assert_nothing_of_a(world, response)
            if c.consultancy_scoped and c.method == "GET":  # nor that A is among its clients
                assert str(world.a.tenant.id) not in response.text, f"{what}: {c}"
        for listing in ("/api/v1/tenants", "/api/v1/auth/me"):  # nor among their tenants
            response = await client.get(listing, headers=bearer(token))
            assert response.status_code == (401 if what == "disabled" else 200), what
            assert str(world.a.tenant.id) not in response.text, f"{what}: {listing}"


async def test_a_consultancy_s_routes_take_none_of_another_s_tenants_or_people(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """B's admin, naming B's own consultancy but A's tenant or A's people in the path
    (a tenant or person id learnt elsewhere), suspends, reactivates, erases, changes and
    removes nothing of A: 404 each, and A's log and status stay as they were."""
    b, a = world.b, world.a
    base = f"/api/v1/consultancies/{b.consultancy.id}"
    head = await system.store.head(a.tenant.id)
    for method, path, body in (
        ("POST", f"{base}/tenants/{a.tenant.id}/suspend", None),
        ("POST", f"{base}/tenants/{a.tenant.id}/reactivate", None),
        ("POST", f"{base}/tenants/{a.tenant.id}/erase", {"confirm": a.tenant.slug}),
        ("PATCH", f"{base}/members/{a.user_ids['consultant']}", {"role": "consultancy_admin"}),
        ("DELETE", f"{base}/members/{a.user_ids['consultancy_admin']}", None),
        ("POST", f"{base}/members/{a.user_ids['consultant']}/password-link", None),
    ):
        response = await client.request(
            method, path, json=body, headers=b.auth("consultancy_admin")
        )
        assert response.status_code == 404, f"{method} {path}: {response.text}"
        assert_nothing_of_a(world, response)
    assert await system.store.head(a.tenant.id) == head
    listed = await client.get(
        f"/api/v1/consultancies/{a.consultancy.id}/members", headers=a.auth("consultancy_admin")
    )
    roles = {m["user_id"]: m["role"] for m in listed.json()["items"]}
    assert roles[str(a.user_ids["consultant"])] == "consultant"
    assert roles[str(a.user_ids["consultancy_admin"])] == "consultancy_admin"


async def test_a_tenant_s_routes_take_none_of_another_s_people_or_keys(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """A's client admin, naming in A's routes a person or an API key of B (ids learnt
    elsewhere), changes, removes, links and revokes nothing of B: 404 naming the id, and
    B's log stays as it was."""
    a, b = world.a, world.b
    users, keys = f"/api/v1/tenants/{a.tenant.id}/users", f"/api/v1/tenants/{a.tenant.id}/api-keys"
    head = await system.store.head(b.tenant.id)
    member = b.user_ids["client_member"]
    for method, path, body in (
        ("PATCH", f"{users}/{member}", {"role": "client_viewer"}),
        ("DELETE", f"{users}/{member}", None),
        ("POST", f"{users}/{member}/password-link", None),
        ("DELETE", f"{keys}/{b.revoked_key_id}", None),
    ):
        response = await client.request(method, path, json=body, headers=a.auth("client_admin"))
        assert response.status_code == 404, f"{method} {path}: {response.text}"
        assert response.json()["errors"][0]["field"] in ("user_id", "key_id")
    assert await system.store.head(b.tenant.id) == head
    listed = await client.get(
        f"/api/v1/tenants/{b.tenant.id}/users", headers=b.auth("client_admin")
    )
    assert {m["user_id"]: m["role"] for m in listed.json()["items"]}[str(member)] == (
        "client_member"
    )


async def test_an_api_key_reaches_no_consultancy(
    client: httpx.AsyncClient, world: World, calls: list[Call]
) -> None:
    """A key is its tenant's alone: every route of the consultancy that serves it (its
    clients, portfolio, people, erasures) answers 404, with nothing of A."""
    for c in calls:
        if c.consultancy_scoped:
            response = await call(client, c, bearer(world.a.live_key))
            assert response.status_code == 404, str(c)
            assert_nothing_of_a(world, response)
