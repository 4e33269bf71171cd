"""Every form of the portal, from the app's own route table, sent to an item the tenant
does not have, an id that is none, or another company: refused (never a 500), and nothing
anywhere changed."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute

from services.portal.config import PortalSettings
from services.portal.sessions import CSRF_FIELD, SESSION_COOKIE, SUBMISSION_FIELD, Signer
from services.settings import Settings
from tests.api.asgi import asgi_transport
from tests.api.builders import Side, World
from tests.api.state import the_state

_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
OWNERS = ("tenant_id", "consultancy_id")
"""The path's company: A's, or B's for the other company."""


@pytest.fixture
async def browser(
    app: Litestar, world: World, api_settings: Settings
) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """A browser signed in to the portal as A's consultancy admin, and its forms' token."""
    portal = PortalSettings.derive(api_settings)
    signer = Signer(portal.secret, portal.session_ttl)
    cookie, _ = signer.issue(world.a.user_ids["consultancy_admin"])
    token = signer.csrf_token("", signer.session_nonce(cookie))
    async with httpx.AsyncClient(
        transport=asgi_transport(app), base_url="http://okr.test"
    ) as client:
        client.cookies.set(SESSION_COOKIE, cookie)
        yield client, token


def portal_forms(app: Litestar) -> list[str]:
    """The path of every form the portal takes in a company, its ids as placeholders."""
    return sorted(
        route.path
        for route in app.routes
        if isinstance(route, HTTPRoute)
        and route.path.startswith(("/t/", "/consultancies/"))
        and "POST" in route.methods
    )


def filled(template: str, values: dict[str, str]) -> str:
    """The path of a route, its placeholders filled by name."""
    return _PARAM.sub(lambda m: values[m.group(1)], template)


BAD_FIELDS = {
    "value": "venti", "on": "2 febbraio", "confidence": "11", "name": "", "title": "",
    "reason": "", "role": "re", "email": "nessuno", "target": "NaN", "weight": "-1",
}  # fmt: skip
"""Every field a form may have, each wrong: whatever a form reads, it reads a wrong one."""


@pytest.mark.parametrize("item", ["unknown", "not-an-id"])
async def test_every_form_sent_for_an_item_the_company_lacks_is_refused_and_changes_nothing(
    app: Litestar,
    world: World,
    admin: asyncpg.Connection,
    browser: tuple[httpx.AsyncClient, str],
    item: str,
) -> None:
    """An id of no item of A's (a new one, or text that is no id), in any form's path:
    404 or 400, never a 500 or a write, and the log and the directory are as before."""
    client, token = browser
    owners = {"tenant_id": str(world.a.tenant.id), "consultancy_id": str(world.a.consultancy.id)}
    before = await the_state(admin)
    wrong = []
    forms = portal_forms(app)
    assert len(forms) > 25, "the route table should list every form"
    for template in forms:
        names = _PARAM.findall(template)
        if not set(names) - {*OWNERS, "action", "at"}:
            continue  # no item in the path
        values = {name: str(uuid.uuid4()) if item == "unknown" else item for name in names}
        path = filled(template, {**values, **owners})
        form = {CSRF_FIELD: token, SUBMISSION_FIELD: uuid.uuid4().hex, **BAD_FIELDS}
        response = await client.post(path, data=form)
        assert await the_state(admin) == before, f"{template}: {response.status_code}"
        if response.status_code not in (400, 404, 422):
            wrong.append(f"{template}: {response.status_code} {response.text[:200]}")
    assert wrong == []


def path_ids(world: World, side: Side) -> dict[str, object]:
    """The ids a form's path takes, of this side's company and people (the twins' items
    share their ids)."""
    return {
        "tenant_id": side.tenant.id, "consultancy_id": side.consultancy.id,
        "cycle_id": world.ids.cycle_id, "objective_id": world.ids.objective_id,
        "kr_id": world.ids.key_result_id, "item_id": world.ids.key_result_id,
        "kpi_id": world.ids.kpi_id, "check_in_id": world.ids.check_in_id,
        "user_id": side.user_ids["client_viewer"],
    }  # fmt: skip


async def test_every_form_sent_to_another_company_is_not_found_and_changes_nothing(
    app: Litestar, world: World, admin: asyncpg.Connection, browser: tuple[httpx.AsyncClient, str]
) -> None:
    """A's consultancy admin posting any form to B's company, with ids B's items have too
    (the twins share them) and with fields right or wrong: 404, as for a company that is
    not there (no telling it exists, nor what its forms would refuse), and nothing in A,
    in B or in the directory changed."""
    client, token = browser
    ids = {
        **path_ids(world, world.b), "key_id": world.b.revoked_key_id, "action": "close",
        "at": world.ids.measurement_id,
    }  # fmt: skip
    before = await the_state(admin)
    wrong = []
    for template in portal_forms(app):
        path = filled(template, {name: str(value) for name, value in ids.items()})
        for fields in ({}, BAD_FIELDS):
            form = {CSRF_FIELD: token, SUBMISSION_FIELD: uuid.uuid4().hex, **fields}
            response = await client.post(path, data=form)
            assert await the_state(admin) == before, f"{template}: {response.status_code}"
            if response.status_code != 404:
                wrong.append(f"{template} {bool(fields)}: {response.status_code}")
    assert wrong == []


FIELDS = ("value", "on", "confidence", "note", "weight", "due_on", "start", "target", "green",
          "red", "frequency_days", "starts_on", "ends_on", "name", "title", "reason", "email",
          "role", "kind", "parent_id", "owner", "display_name", "check_in_cadence_days",
          "time_zone", "locale", "score", "direction", "currency", "level")  # fmt: skip
WRONG_FORMS = [
    pytest.param(
        {
            **dict.fromkeys(FIELDS, "\x00"),
            "value": "1e400",
            "on": "2027-02-30",
            "confidence": "abc",
            "weight": "1e400",
            "due_on": "99999-01-01",
            "target": "Infinity",
            "start": "NaN",
            "green": "1e400",
            "red": "-1e400",
            "frequency_days": "9" * 40,
            "starts_on": "2027-13-01",
            "ends_on": "x",
            "check_in_cadence_days": "9" * 40,
            "score": "NaN",
        },
        id="not-numbers-dates-or-text",
    ),
    pytest.param(dict.fromkeys(FIELDS, "x" * 2100), id="too-long"),
    pytest.param(
        {
            **dict.fromkeys(FIELDS, " "),
            "value": "-0",
            "on": "0001-01-01",
            "confidence": "-1",
            "weight": "0",
            "due_on": "1900-01-01",
            "target": "0",
            "start": "0",
            "green": "0",
            "red": "0",
            "frequency_days": "0",
            "starts_on": "2027-01-01",
            "ends_on": "2026-01-01",
            "check_in_cadence_days": "0",
            "score": "2",
        },
        id="blank-or-out-of-range",
    ),
]
RUN_WITHOUT_FIELDS = ("/remove", "/revoke", "/password-link", "/archive", "/restore",
                      "/{action:str}", "/{at:str}")  # fmt: skip
"""Forms that take no field, or only a reason that may be left out (closing a cycle,
removing a person): with any fields they run, so they are not for this test."""


@pytest.mark.parametrize("fields", WRONG_FORMS)
async def test_every_form_of_an_item_sent_every_field_wrong_is_422_and_changes_nothing(
    app: Litestar,
    world: World,
    admin: asyncpg.Connection,
    browser: tuple[httpx.AsyncClient, str],
    fields: dict[str, str],
) -> None:
    """Each form that takes fields, on A's own items, sent numbers that are none or past
    what a value holds, days that are not, a NUL in every text, 2,100 characters in every
    field, or blanks and values out of range: 422 (the form again, saying what is wrong),
    never a 500, never a write; the log and the directory are as before."""
    client, token = browser
    ids = path_ids(world, world.a)
    before = await the_state(admin)
    wrong = []
    forms = [t for t in portal_forms(app) if not t.endswith(RUN_WITHOUT_FIELDS)]
    assert len(forms) > 15
    for template in forms:
        path = filled(template, {name: str(value) for name, value in ids.items()})
        form = {CSRF_FIELD: token, SUBMISSION_FIELD: uuid.uuid4().hex, **fields}
        response = await client.post(path, data=form)
        assert await the_state(admin) == before, f"{template}: {response.status_code}"
        if response.status_code != 422:
            wrong.append(f"{template}: {response.status_code}")
    assert wrong == []
