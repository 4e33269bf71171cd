"""Days in the portal: those it says of recorded instants are the tenant's, as its history
shows them (an instant's UTC date is another day for a company hours away from UTC), and
one it refuses is said to be refused as a day."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest
from litestar import Litestar

from services.portal.config import PortalSettings
from services.portal.sessions import CSRF_FIELD, SESSION_COOKIE, SUBMISSION_FIELD, Signer
from services.settings import Settings
from tests.api.asgi import asgi_transport
from tests.api.builders import World

LATE_EVENING_UTC = datetime(2027, 2, 14, 23, 30, tzinfo=UTC)
"""00:30 on 15 February in Rome."""


@pytest.fixture
async def browser(
    app: Litestar, world: World, api_settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    """A browser signed in to the portal as A's consultancy admin."""
    portal = PortalSettings.derive(api_settings)
    admin = world.a.user_ids["consultancy_admin"]
    cookie, _ = Signer(portal.secret, portal.session_ttl).issue(admin)
    async with httpx.AsyncClient(
        transport=asgi_transport(app), base_url="http://okr.test"
    ) as browser:
        browser.cookies.set(SESSION_COOKIE, cookie)
        yield browser


async def a_client_in_rome(client: httpx.AsyncClient, world: World) -> tuple[str, str]:
    """A new English-speaking client in Europe/Rome, and its path under the API."""
    made = await client.post(
        f"/api/v1/consultancies/{world.a.consultancy.id}/tenants",
        headers=world.a.auth("consultancy_admin"),
        json={"name": f"Cliente {uuid.uuid4().hex[:8]}", "locale": "en",
              "time_zone": "Europe/Rome"},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    tenant = made.json()["id"]
    return tenant, f"/api/v1/tenants/{tenant}"


async def made(client: httpx.AsyncClient, world: World, path: str, body: object) -> str:
    answer = await client.post(path, headers=world.a.auth("consultancy_admin"), json=body)
    assert answer.status_code in (200, 201), answer.text
    return str(answer.json()["id"])


async def an_archived_key_result(client: httpx.AsyncClient, world: World, api: str) -> str:
    quarter = {"name": "Q1", "starts_on": "2027-01-01", "ends_on": "2027-03-31"}
    cycle = await made(client, world, f"{api}/cycles", quarter)
    objective = await made(client, world, f"{api}/objectives", {"cycle_id": cycle, "title": "O"})
    kr = await made(client, world, f"{api}/key-results",
                    {"objective_id": objective, "title": "K", "kind": "milestone"})  # fmt: skip
    archived = await client.post(
        f"{api}/key-results/{kr}/archive", headers=world.a.auth("consultancy_admin"),
        json={"reason": "dropped"},
    )  # fmt: skip
    assert archived.status_code == 200, archived.text
    seen = await client.get(
        f"{api}/history", headers=world.a.auth("consultancy_admin"),
        params={"min_position": archived.json()["position"]},
    )  # fmt: skip
    assert seen.status_code == 200, seen.text
    return kr


async def test_a_revoked_key_and_an_archived_key_result_say_the_tenant_s_day(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, world: World, admin: asyncpg.Connection
) -> None:
    """A key revoked, and a key result archived, at 23:30 UTC on 14 February were so on the
    15th in Rome, the day its history shows them on (00:30 CET): the people page said
    "Revoked on 14 Feb 2027" and the key result's page "Archived … on 14 Feb 2027", the
    day in UTC."""
    tenant, api = await a_client_in_rome(client, world)
    key = await client.post(
        f"{api}/api-keys", headers=world.a.auth("consultancy_admin"), json={"name": "ERP"}
    )
    key_id = key.json()["key"]["id"]
    revoked = await client.delete(
        f"{api}/api-keys/{key_id}", headers=world.a.auth("consultancy_admin")
    )
    assert revoked.status_code == 200, revoked.text
    kr = await an_archived_key_result(client, world, api)
    await admin.execute(
        "UPDATE api_keys SET revoked_at = $2 WHERE tenant_id = $1", uuid.UUID(tenant),
        LATE_EVENING_UTC,
    )  # fmt: skip
    await admin.execute(
        "UPDATE rm_history SET recorded_at = $2 WHERE tenant_id = $1", uuid.UUID(tenant),
        LATE_EVENING_UTC,
    )  # fmt: skip

    people = await browser.get(f"/t/{tenant}/people")
    assert people.status_code == 200, people.text
    assert re.findall(r"Revoked on [^<\n]*", people.text) == ["Revoked on 15 Feb 2027"]

    page = await browser.get(f"/t/{tenant}/kr/{kr}")
    assert page.status_code == 200, page.text
    banner = re.search(r'class="banner kr-is-archived"[^>]*>([^<]*)', page.text)
    assert banner is not None and "on 15 Feb 2027" in banner.group(1), page.text
    assert "14 Feb 2027" not in banner.group(1)


async def test_a_check_in_s_day_out_of_the_calendar_is_said_as_a_day(
    browser: httpx.AsyncClient, world: World
) -> None:
    """A check-in for 31 December 1899 (a year typed short or long in a date field) was
    told "The value is out of the range allowed." beside its day, as if the value typed
    above it were at fault; it is told which days are taken."""
    page = f"/t/{world.a.tenant.id}/kr/{world.ids.key_result_id}"
    shown = await browser.get(page, headers={"accept-language": "en"})
    hidden = dict(re.findall(r'name="(\w+)" value="([^"]*)"', shown.text))
    for day in ("1899-12-31", "2200-01-01"):
        sent = await browser.post(
            f"{page}/check-ins", headers={"accept-language": "en"},
            data={CSRF_FIELD: hidden[CSRF_FIELD], SUBMISSION_FIELD: hidden[SUBMISSION_FIELD],
                  "value": "23", "on": day, "confidence": "6", "note": ""},
        )  # fmt: skip
        assert sent.status_code == 422, sent.text
        said = re.findall(r'id="ci-on-error">([^<]*)<', sent.text)
        assert said == ["Choose a day of the years 1900 to 2199."], said


async def test_a_measurement_s_day_is_picked_up_to_today(
    browser: httpx.AsyncClient, world: World
) -> None:
    """A KPI's tile offers its measurement's day up to the company's today, as a key
    result's check-in does: its date field let the picker choose a day to come, which the
    form then refused."""
    shown = await browser.get(f"/t/{world.a.tenant.id}")
    assert shown.status_code == 200, shown.text
    fields = re.findall(r'<input id="measure-[^"]*-on" name="on" type="date"[^>]*>', shown.text)
    assert fields, shown.text
    for field in fields:
        value, latest = re.search(r'value="([^"]*)"', field), re.search(r'max="([^"]*)"', field)
        assert value is not None and latest is not None, field
        assert latest.group(1) == value.group(1)  # today, the company's
