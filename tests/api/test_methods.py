"""HEAD is answered wherever GET is (RFC 9110 9.3.2), as GET answers it, without a body;
OPTIONS says each path's methods (9.3.7)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute

from services.portal.config import PortalSettings
from services.portal.sessions import SESSION_COOKIE, Signer
from services.settings import Settings
from tests.api.asgi import asgi_transport
from tests.api.builders import World
from tests.api.routes import REQUIRED_QUERY, path_values

_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
UNSTABLE = {"date", "x-request-id", "set-cookie", "x-okr-read-to", "x-okr-read-as-of"}
"""Headers two answers to one request may differ in (a cookie: set once, to the first; the
instant a view was read, "now" where none was given or one still to come)."""
CHANGING = {"/metrics"}
"""Answers whose size changes from one request to the next (its figures count them)."""


def concrete(app: Litestar, world: World, *, with_get: bool) -> list[str]:
    """A path of every route of the app (API, portal, schema, static files) that has GET,
    or that has not, with tenant A's ids (and its required query)."""
    values = _values(world)
    paths = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or ("GET" in route.methods) != with_get:
            continue
        path = _PARAM.sub(lambda m: values.get(m.group(1), "x"), route.path)
        query = next((q for end, q in REQUIRED_QUERY.items() if route.path.endswith(end)), {})
        paths.append(str(httpx.URL(path, params=query)))
    return sorted(paths)


def _values(world: World) -> dict[str, str]:
    """Each path parameter of the app's routes, of tenant A."""
    return {
        **{name: str(value) for name, value in path_values(world, world.a).items()},
        "kr_id": str(world.ids.key_result_id),
        "code": "en",
        "path": "redoc",
        "file_path": "portal.css",
    }


@pytest.fixture
async def browser(
    app: Litestar, world: World, api_settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    """Signed in as A's consultancy admin both ways: the portal's session and a bearer."""
    portal = PortalSettings.derive(api_settings)
    cookie, _ = Signer(portal.secret, portal.session_ttl).issue(
        world.a.user_ids["consultancy_admin"]
    )
    async with httpx.AsyncClient(
        transport=asgi_transport(app),
        base_url="http://okr.test",
        headers={**world.a.auth("consultancy_admin"), "Accept-Language": "en"},
    ) as browser:
        browser.cookies.set(SESSION_COOKIE, cookie)
        yield browser


def _headers(response: httpx.Response) -> dict[str, str]:
    unstable = UNSTABLE | ({"content-length"} if response.url.path in CHANGING else set())
    return {k: v for k, v in response.headers.items() if k not in unstable}


async def test_every_get_answers_head_as_it_answers_get(
    app: Litestar, world: World, browser: httpx.AsyncClient
) -> None:
    """HEAD answered 405 on every GET of the API and the portal: a client checking a
    resource (its ETag, its size, that it is there) had to fetch it whole. Each answers
    HEAD with the GET's status and headers (ETag, Content-Type, Content-Length, Allow...)
    and no body; and nothing is recorded: the tenant's log stands where it stood."""
    verify = f"/api/v1/tenants/{world.a.tenant.id}/audit/verify"
    head_before = (await browser.get(verify)).json()["head_position"]
    differ = {}
    for path in concrete(app, world, with_get=True):
        got = await browser.get(path)
        headed = await browser.head(path)
        if (headed.status_code, _headers(headed)) != (got.status_code, _headers(got)):
            differ[path] = (got.status_code, headed.status_code, _headers(headed))
        assert headed.content == b"", path
    assert not differ, differ
    assert (await browser.get(verify)).json()["head_position"] == head_before


async def test_head_where_there_is_no_get_is_405_and_runs_nothing(
    app: Litestar, world: World, browser: httpx.AsyncClient
) -> None:
    """A HEAD is never a write: on a route without GET it is 405, its Allow as the route
    says, and the tenant's log does not move."""
    verify = f"/api/v1/tenants/{world.a.tenant.id}/audit/verify"
    head_before = (await browser.get(verify)).json()["head_position"]
    for path in concrete(app, world, with_get=False):
        headed = await browser.head(path)
        assert headed.status_code == 405, path
        assert "GET" not in headed.headers["allow"] and headed.content == b"", path
    assert (await browser.get(verify)).json()["head_position"] == head_before


async def test_options_says_every_method_of_the_path(
    app: Litestar, world: World, browser: httpx.AsyncClient
) -> None:
    """OPTIONS on a list said `OPTIONS, POST` (the methods of the first handlers registered
    on its path), and on the routes of a guarded controller (users, API keys) 401
    "authentication required" to a request that sent its token. Each path answers 204 with
    all its methods, HEAD with GET, whoever asks, and no body."""
    wrong = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        path = _PARAM.sub(lambda m: _values(world).get(m.group(1), "x"), route.path)
        expected = set(route.methods) | ({"HEAD"} if "GET" in route.methods else set())
        for headers in (None, {"Authorization": ""}):
            answer = await browser.options(path, headers=headers)
            allow = set(answer.headers.get("allow", "").split(", "))
            said = (answer.status_code, allow, answer.content, "set-cookie" in answer.headers)
            if said != (204, expected, b"", False):
                wrong[f"{path} {headers}"] = (answer.status_code, sorted(allow))
    assert not wrong, wrong


async def test_an_allow_that_lists_get_lists_head(world: World, browser: httpx.AsyncClient) -> None:
    """OPTIONS and a 405 say which methods a route takes: HEAD with GET."""
    cycles = f"/api/v1/tenants/{world.a.tenant.id}/cycles"
    options = await browser.options("/healthz")
    assert set(options.headers["allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    refused = await browser.put(cycles, json={})
    assert refused.status_code == 405
    assert set(refused.headers["allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}
