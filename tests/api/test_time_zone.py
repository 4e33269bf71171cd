"""A tenant's time zone: a setting like the others (made with, changed through PATCH,
recorded in its log, refused by name when bad), and the zone its days follow."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from services.bootstrap import System
from tests.api.builders import World


async def a_tenant(client: httpx.AsyncClient, world: World, **given: Any) -> dict[str, Any]:
    """A new tenant of consultancy A, made through the API with these settings."""
    made = await client.post(
        f"/api/v1/consultancies/{world.a.consultancy.id}/tenants",
        headers=world.a.auth("consultancy_admin"),
        json={"name": f"Officina {uuid.uuid4().hex[:8]}", **given},
    )
    assert made.status_code == 201, made.text
    return dict(made.json())


async def history_texts(client: httpx.AsyncClient, world: World, tenant: str, at: str) -> list[str]:
    lines = await client.get(
        f"/api/v1/tenants/{tenant}/history",
        headers=world.a.auth("consultancy_admin"),
        params={"min_position": at},
    )
    return [line["text"] for line in lines.json()["items"]]


async def test_a_new_tenant_s_zone_is_its_languages_unless_given(
    client: httpx.AsyncClient, world: World
) -> None:
    """An Italian client's days are Rome's without anyone saying so; a tenant of another
    language gets UTC (its language says nothing of where it is); a zone given is kept."""
    assert (await a_tenant(client, world))["time_zone"] == "Europe/Rome"
    assert (await a_tenant(client, world, locale="en"))["time_zone"] == "UTC"
    given = await a_tenant(client, world, locale="en", time_zone="America/New_York")
    assert given["time_zone"] == "America/New_York"


async def test_a_change_of_zone_is_recorded_with_before_and_after(
    client: httpx.AsyncClient, world: World
) -> None:
    """PATCH changes the zone as it changes the other settings: the tenant answers with it,
    and its log, audit trail and history say who changed it from what to what."""
    tenant = (await a_tenant(client, world, locale="en"))["id"]
    admin = world.a.auth("consultancy_admin")
    changed = await client.patch(
        f"/api/v1/tenants/{tenant}", headers=admin, json={"time_zone": "Europe/Rome"}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["time_zone"] == "Europe/Rome"
    at = changed.headers["X-OKR-Position"]
    trail = await client.get(f"/api/v1/tenants/{tenant}/audit", headers=admin)
    last = trail.json()["items"][-1]["payload"]
    assert (last["before"]["time_zone"], last["after"]["time_zone"]) == ("UTC", "Europe/Rome")
    said = f"settings of '{changed.json()['name']}' changed by Consultancy_Admin:"
    assert f"{said} time zone UTC → Europe/Rome" in await history_texts(client, world, tenant, at)
    read = await client.get(f"/api/v1/tenants/{tenant}", headers=admin)
    assert read.json()["time_zone"] == "Europe/Rome"


async def test_a_bad_zone_is_refused_by_name_and_changes_nothing(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """A zone zoneinfo does not know (a typo, an offset, the server's own "localtime") is
    refused 422 naming time_zone, in a change and in a new tenant: nothing is written."""
    made = await a_tenant(client, world)
    tenant, admin = made["id"], world.a.auth("consultancy_admin")
    head = await system.store.head(uuid.UUID(tenant))
    for bad in ("Europe/Roma", "+01:00", "localtime", "", 1):
        refused = await client.patch(
            f"/api/v1/tenants/{tenant}", headers=admin, json={"time_zone": bad, "name": "Altro"}
        )
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in refused.json()["errors"]] == ["time_zone"]
    assert await system.store.head(uuid.UUID(tenant)) == head
    after = (await client.get(f"/api/v1/tenants/{tenant}", headers=admin)).json()
    assert (after["name"], after["time_zone"]) == (made["name"], "Europe/Rome")
    not_made = await client.post(
        f"/api/v1/consultancies/{world.a.consultancy.id}/tenants",
        headers=admin,
        json={"name": "Officina Bianchi", "time_zone": "Europe/Roma"},
    )
    assert not_made.status_code == 422
    assert [e["field"] for e in not_made.json()["errors"]] == ["time_zone"]
