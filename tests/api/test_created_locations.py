"""A write that makes something answers its Location, and a GET there answers it."""

from __future__ import annotations

import httpx
from litestar import Litestar
from litestar.routes import HTTPRoute

from tests.api.builders import World


async def test_a_new_api_key_s_location_answers_the_key_without_its_secret(
    client: httpx.AsyncClient, world: World
) -> None:
    """A new key's Location had no GET (405): an integrator following it could not read
    the key it had made. It answers the key as the list shows it, revoked too, never its
    secret, to those who may list keys, and 404 in another tenant."""
    admin = world.a.auth("client_admin")
    keys = f"/api/v1/tenants/{world.a.tenant.id}/api-keys"
    made = await client.post(keys, headers=admin, json={"name": "Contabilità"})
    assert made.status_code == 201, made.text
    location = made.headers["location"]

    shown = await client.get(location, headers=admin)

    assert shown.status_code == 200, shown.text
    listed = (await client.get(keys, headers=admin, params={"limit": 500})).json()["items"]
    assert shown.json() == next(k for k in listed if k["id"] == made.json()["key"]["id"])
    assert made.json()["plaintext"] not in shown.text and "plaintext" not in shown.json()
    await client.delete(location, headers=admin)
    revoked = await client.get(location, headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    member = await client.get(location, headers=world.a.auth("client_member"))
    assert member.status_code == 403  # as the list: managing keys
    other = location.replace(str(world.a.tenant.id), str(world.b.tenant.id))
    assert (await client.get(other, headers=world.b.auth("client_admin"))).status_code == 404


ELSEWHERE = {
    "/api/v1/consultancies/{consultancy_id:uuid}/tenants": "/api/v1/tenants/{tenant_id:uuid}"
}
"""A create whose Location is not under its own path: a consultancy's new client."""


def test_every_documented_location_has_a_get(app: Litestar) -> None:
    """Each create that documents a Location answers one a GET route takes: its own path
    and the new id, or the item's own place (ELSEWHERE)."""
    routes = [route for route in app.routes if isinstance(route, HTTPRoute)]
    gets = {route.path for route in routes if "GET" in route.methods}
    missing = []
    for route in routes:
        for handler in route.route_handlers:
            headers = {h.name for h in handler.resolve_response_headers()}
            if "POST" not in handler.http_methods or "Location" not in headers:
                continue
            one = ELSEWHERE.get(route.path)
            if one is None:
                one = next((p for p in gets if _one_of(p, route.path.rstrip("/"))), None)
            if one not in gets:
                missing.append(route.path)
    assert not missing, missing


def _one_of(path: str, items: str) -> bool:
    """`path` is `items`/{an id}."""
    rest = path.removeprefix(items + "/")
    return rest != path and rest.startswith("{") and "/" not in rest
