"""Liveness, readiness, metrics, request ids and the request log line."""

from __future__ import annotations

import dataclasses
import re
import uuid
from datetime import date

import httpx
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from structlog.testing import capture_logs

from services.api import create_app
from services.api.pagination import MAX_POSITION
from services.app import Context, OKRApplication
from services.bootstrap import System, bootstrap
from services.projector.registry import PROJECTIONS
from services.projector.schema import ensure_tables
from services.projector.worker import Projector
from services.settings import Settings
from tenants.directory import create_consultancy, create_tenant
from tenants.users import create_user
from tests.api.asgi import asgi_transport
from tests.api.builders import World, an_email
from tests.api.conftest import BODY_LIMIT
from tests.api.test_tenancy import bearer
from tests.conftest import DatabaseFactory


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    """/healthz answers without the database; /readyz checks it and the projector lag."""
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200, ready.text
    body = ready.json()
    assert body["database"] == "ok" and body["projector_running"] is True
    assert body["max_lag"] is not None


async def test_not_ready_while_the_projector_started_with_the_api_does_not_run(
    client: httpx.AsyncClient, projector: Projector
) -> None:
    """Before its projector has caught up (or while okr serve starts a new one), the API
    would serve read models from before: 503, whatever the lag says."""
    projector.running = False
    try:
        waiting = await client.get("/readyz")
    finally:
        projector.running = True
    assert waiting.status_code == 503
    assert "retry-after" not in waiting.headers  # (nor does its schema say one)
    body = waiting.json()
    assert body["status"] == "unavailable" and body["projector_running"] is False
    assert body["database"] == "ok" and body["max_lag"] is not None
    assert (await client.get("/readyz")).status_code == 200


class FailingProjector:
    """A projector that runs, and keeps failing on the tenants it was given."""

    def __init__(self, failures: dict[uuid.UUID, int]) -> None:
        self.running = True
        self.failures = failures


async def test_ready_but_degraded_while_one_tenant_s_projection_keeps_failing(
    databases: DatabaseFactory, api_settings: Settings
) -> None:
    """A tenant whose events the projector cannot fold falls behind with each write, in
    every process alike: past OKR_READY_MAX_LAG, every process said 503, and the whole
    platform went out of rotation for one tenant. Now /readyz stays 200, says "degraded"
    and counts the failing tenant (never naming it: /readyz is public), its lag not held
    against readiness; a tenant just behind, not failing, still is."""
    admin_dsn = await databases.create()
    fresh = await bootstrap(Settings(), admin_dsn)
    try:
        await ensure_tables(admin_dsn, PROJECTIONS)
        consultancy = await create_consultancy(fresh.pool, "Studio")
        stuck = await create_tenant(fresh.pool, consultancy.id, "Officina")
        await OKRApplication(fresh.repository).cycles.create(  # no projector runs here
            Context(tenant_id=stuck.id, actor="user:builder"), name="Q1 2027",
            starts_on=date(2027, 1, 1), ends_on=date(2027, 3, 31),
        )  # fmt: skip
        settings = dataclasses.replace(api_settings, ready_max_lag=0)
        said = {}
        for failures in ({stuck.id: 3}, {}):
            app = create_app(fresh, settings, projector=FailingProjector(failures))
            transport = asgi_transport(app)
            async with httpx.AsyncClient(transport=transport, base_url="http://okr.test") as c:
                said[bool(failures)] = await c.get("/readyz")
    finally:
        await fresh.close()
    failing = said[True]
    assert failing.status_code == 200, failing.text
    body = failing.json()
    assert (body["status"], body["failing_tenants"], body["max_lag"]) == ("degraded", 1, 0)
    assert body["lagging_tenants"] == 1 and str(stuck.id) not in failing.text
    behind = said[False]
    assert behind.status_code == 503, behind.text
    assert behind.json()["status"] == "unavailable" and behind.json()["failing_tenants"] == 0


METRICS_TOKEN = "a-metrics-token-for-tests"


async def test_metrics_in_prometheus_text_name_no_tenant_without_a_token(
    client: httpx.AsyncClient, world: World, projector: Projector
) -> None:
    """Request counts by route and status, and the projector's lag over all tenants, to any
    scraper; never a tenant's id (anyone who reached /metrics learnt every tenant's id and
    how busy it is), nor one the projector cannot apply: how many."""
    await client.get(
        f"/api/v1/tenants/{world.a.tenant.id}/progress", headers=world.a.auth("client_viewer")
    )
    stuck = uuid.uuid4()
    projector.failures[stuck] = 3
    try:  # (a tenant another test left undecodable counts too: the session's projector)
        failing = len(projector.failures)
        metrics = await client.get("/metrics")
    finally:
        del projector.failures[stuck]
    assert metrics.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    text = metrics.text
    assert (
        'okr_http_requests_total{method="GET",route="/api/v1/tenants/{tenant_id}/progress",status="200"}'
        in text
    )
    assert "okr_http_request_duration_seconds_bucket" in text
    assert 'okr_projector_max_lag_events{projection="progress"}' in text
    assert "\nokr_projector_lagging_tenants " in text
    assert f"\nokr_projector_failing_tenants {failing}\n" in text
    assert "tenant_id=" not in text
    assert str(world.a.tenant.id) not in text and str(stuck) not in text


async def test_metrics_with_a_token_go_to_its_holder_alone_tenant_by_tenant(
    system: System, api_settings: Settings, projector: Projector, world: World
) -> None:
    """With OKR_METRICS_TOKEN set, /metrics asks for it as a bearer token (401 naming
    Authorization, without it or with another), and gives its holder the lag of each
    tenant and the failed passes of one the projector cannot apply, which go once a pass
    of it succeeds."""
    settings = dataclasses.replace(api_settings, metrics_token=METRICS_TOKEN)
    app = create_app(system, settings, projector=projector)
    async with httpx.AsyncClient(
        transport=asgi_transport(app), base_url="http://okr.test"
    ) as scraper:
        for headers in ({}, bearer("not-the-metrics-token"), {"Authorization": "Basic eDp5"}):
            refused = await scraper.get("/metrics", headers=headers)
            assert refused.status_code == 401, headers
            assert refused.json()["errors"][0]["field"] == "Authorization"
            assert refused.headers["www-authenticate"].startswith("Bearer")
            assert str(world.a.tenant.id) not in refused.text
        schema = (await scraper.get("/schema/openapi.json")).json()
        assert "401" in schema["paths"]["/metrics"]["get"]["responses"]  # a client is told
        stuck = uuid.uuid4()
        projector.failures[stuck] = 3
        try:
            text = (await scraper.get("/metrics", headers=bearer(METRICS_TOKEN))).text
            assert f'okr_projector_failing_attempts{{tenant_id="{stuck}"}} 3\n' in text
        finally:
            del projector.failures[stuck]
        assert f'okr_projector_lag_events{{tenant_id="{world.a.tenant.id}"}}' in text
        again = (await scraper.get("/metrics", headers=bearer(METRICS_TOKEN))).text
        assert str(stuck) not in again


def test_a_metrics_token_too_short_to_guess_is_refused() -> None:
    """A token of a few characters is guessed: refused before anything starts, by name."""
    with pytest.raises(ValueError, match="OKR_METRICS_TOKEN"):
        Settings.from_env({"OKR_METRICS_TOKEN": "short"})
    assert Settings.from_env({"OKR_METRICS_TOKEN": METRICS_TOKEN}).metrics_token == METRICS_TOKEN


async def test_every_answer_has_a_request_id(client: httpx.AsyncClient, world: World) -> None:
    """X-Request-ID is echoed when it is a UUID, made up otherwise, even on a 401."""
    mine = "6f1c2a7e-1d2b-4c3d-8e4f-5a6b7c8d9e0f"
    response = await client.get("/api/v1/auth/me", headers={"X-Request-ID": mine})
    assert response.status_code == 401
    assert response.headers["x-request-id"] == mine
    other = await client.get("/healthz", headers={"X-Request-ID": "not a uuid"})
    assert other.headers["x-request-id"] != "not a uuid"


async def test_one_log_line_per_request(client: httpx.AsyncClient, world: World) -> None:
    """The request line carries request id, tenant, actor, route, status and duration."""
    with capture_logs() as logs:
        await client.get(
            f"/api/v1/tenants/{world.a.tenant.id}/cycles", headers=world.a.auth("client_viewer")
        )
    [line] = [entry for entry in logs if entry["event"] == "request"]
    assert line["tenant_id"] == str(world.a.tenant.id)
    assert line["actor"] == f"user:{world.a.user_ids['client_viewer']}"
    assert line["route"] == "/api/v1/tenants/{tenant_id}/cycles"
    assert line["status"] == 200
    assert line["duration_ms"] >= 0
    assert line["request_id"]


async def test_the_schema_is_openapi_3_1_and_public(client: httpx.AsyncClient) -> None:
    """The document and its interactive page need no token; every API route documents its
    errors as problem+json (406 too: an Accept that admits nothing it answers)."""
    schema = (await client.get("/schema/openapi.json")).json()
    assert schema["openapi"].startswith("3.1")
    docs = await client.get("/schema")
    assert docs.status_code == 200 and "<html" in docs.text.lower()
    for path, item in schema["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, operation in item.items():
            if method == "options":
                continue
            errors = {code for code in operation["responses"] if code.startswith(("4", "5"))}
            assert {"404", "406", "422"} <= errors, f"{method} {path}"
            if "401" in errors and path not in ("/api/v1/auth/token", "/api/v1/auth/refresh"):
                assert "403" in errors, f"{method} {path}"  # a suspended tenant's key: anywhere
            problem = operation["responses"]["422"]["content"]
            assert "application/problem+json" in problem, f"{method} {path}"
    # a body that may be left out (a reason) is documented so: clients need not send one
    optional = {
        ("delete", "/api/v1/tenants/{tenant_id}/users/{user_id}"),
        ("delete", "/api/v1/tenants/{tenant_id}/api-keys/{key_id}"),
        ("post", "/api/v1/consultancies/{consultancy_id}/tenants/{tenant_id}/suspend"),
        ("post", "/api/v1/consultancies/{consultancy_id}/tenants/{tenant_id}/reactivate"),
    }
    for method, path in optional:
        assert schema["paths"][path][method]["requestBody"]["required"] is False, path
    invite = schema["paths"]["/api/v1/tenants/{tenant_id}/users"]["post"]
    assert invite["requestBody"]["required"] is True
    public = schema["paths"]["/api/v1/auth/password"]["post"]  # an invited person has no token
    assert public["security"] == []
    # every read of one tenant takes min_position, and says so, once (12 took it unsaid)
    for path, item in schema["paths"].items():
        if path.startswith("/api/v1/tenants/{tenant_id}") and "get" in item:
            named = [p["name"] for p in item["get"].get("parameters", [])]
            assert named.count("min_position") == 1, path


SERVED = ("/api", "/healthz", "/readyz", "/metrics")
"""Where the app's API routes are (the rest is the portal, its files and the document)."""


async def test_the_schema_documents_every_api_route_and_only_those(
    app: Litestar, client: httpx.AsyncClient
) -> None:
    """A client is generated from the document: a route the app serves under /api (or
    /healthz, /readyz, /metrics) that it leaves out cannot be called from it, and a path it
    names that the app does not serve is a 404 to whoever trusts it. Each method of each
    route, both ways."""
    served = {
        (method.lower(), re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path))
        for route in app.routes
        if isinstance(route, HTTPRoute) and route.path.startswith(SERVED)
        for method in route.methods - {"OPTIONS", "HEAD"}
    }
    schema = (await client.get("/schema/openapi.json")).json()
    documented = {
        (method, path)
        for path, item in schema["paths"].items()
        for method in item
        if method in ("get", "put", "post", "delete", "patch", "trace")  # not "parameters"
    }
    assert len(served) > 50
    assert served - documented == set(), "served, not documented"
    assert documented - served == set(), "documented, not served"


async def test_the_schema_says_when_to_try_again(client: httpx.AsyncClient) -> None:
    """A nightly push retries what the database could not answer (503, Retry-After): every
    API route can say so, a check-in as much as a read, and the schema said it only of the
    reads that take min_position, so a client generated from it took the check-in's 503
    for an answer it could not have, and read no Retry-After anywhere. /readyz answers 503
    with its report when it is not ready."""
    schema = (await client.get("/schema/openapi.json")).json()
    for path, item in schema["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, operation in item.items():
            answers = operation["responses"]
            assert "503" in answers, f"{method} {path}"
            for status in {"409", "429", "503"} & answers.keys():
                assert "Retry-After" in answers[status].get("headers", {}), f"{method} {path}"
    check_in = "/api/v1/tenants/{tenant_id}/key-results/{key_result_id}/check-ins"
    unavailable = schema["paths"][check_in]["post"]["responses"]["503"]
    assert "application/problem+json" in unavailable["content"]
    ready = schema["paths"]["/readyz"]["get"]["responses"]["503"]
    assert ready["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Readiness"
    }
    assert "Retry-After" not in ready.get("headers", {})  # its report carries none


async def test_the_schema_says_a_position_is_never_below_zero(client: httpx.AsyncClient) -> None:
    """min_position, as_of_position and after_position are refused below 0 (422), but the
    schema said only their maximum: Litestar leaves out a bound of 0, so a client generated
    from it sent -1 and met a refusal the document never gave."""
    schema = (await client.get("/schema/openapi.json")).json()
    found = set()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and parameter["name"].endswith("position"):
                    found.add(parameter["name"])
                    bounds = parameter["schema"].get("minimum"), parameter["schema"]["maximum"]
                    assert bounds == (0, MAX_POSITION), (method, path, parameter["name"])
    assert found == {"min_position", "as_of_position", "after_position"}


async def test_every_answer_forbids_guessing_its_type(
    client: httpx.AsyncClient, world: World
) -> None:
    """X-Content-Type-Options: nosniff on the API's answers too, not only the portal's
    pages: a problem echoes the path it was asked for (`<script>` in it, here), and a
    browser that guessed a type from such a body would run it."""
    viewer = world.a.auth("client_viewer")
    answers = [
        await client.get(f"/api/v1/tenants/{world.a.tenant.id}/progress", headers=viewer),
        await client.get("/api/v1/auth/me"),  # 401, before any route runs
        await client.get("/api/v1/no-such-thing<script>alert(1)</script>", headers=viewer),
        await client.get("/healthz"),
        await client.get("/metrics"),
        await client.get("/schema/openapi.json"),
        await client.get("/static/portal/portal.js"),
        await client.get("/sign-in"),  # (a page: said once, not twice)
    ]
    for answer in answers:
        said = answer.headers.get_list("x-content-type-options")
        assert said == ["nosniff"], (answer.request.url, answer.status_code, said)


def set_cookies(answer: httpx.Response) -> dict[str, list[str]]:
    """Each cookie the answer sets, by name, with its attributes in lower case."""
    said = {}
    for line in answer.headers.get_list("set-cookie"):
        name, _, rest = line.partition("=")
        said[name] = [part.strip().lower() for part in rest.split(";")[1:]]
    return said


async def test_a_portal_reached_over_https_sets_its_cookies_secure(
    app: Litestar, system: System
) -> None:
    """Served over HTTPS (or behind a proxy that says so), the session and every other
    cookie of the portal go back over HTTPS only, OKR_SECURE_COOKIES or not: a session
    cookie without Secure goes out in clear on any http:// request to the same host. Over
    plain HTTP (a laptop's demo) they are not Secure, or the browser would drop them."""
    email, password = an_email("secure"), "una frase abbastanza lunga"
    await create_user(system.pool, email, "Sicura", password=password)
    async with httpx.AsyncClient(transport=asgi_transport(app)) as browser:
        await a_browser_over_https_and_over_http(browser, email, password)


async def a_browser_over_https_and_over_http(
    client: httpx.AsyncClient, email: str, password: str
) -> None:
    page = await client.get("https://okr.test/sign-in")
    assert "secure" in set_cookies(page)["okr_csrf"]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    signed_in = await client.post(
        "https://okr.test/sign-in",
        data={"csrf_token": token.group(1), "email": email, "password": password},
    )
    assert signed_in.status_code == 303, signed_in.text
    session = set_cookies(signed_in)["okr_session"]
    assert "secure" in session and "httponly" in session and "samesite=lax" in session
    switched = await client.get("https://okr.test/lang/en?next=/")
    assert "secure" in set_cookies(switched)["okr_lang"]
    client.cookies.clear()
    plain = await client.get("http://okr.test/sign-in")
    assert "secure" not in set_cookies(plain)["okr_csrf"]


async def test_a_cookie_or_token_not_of_ascii_is_refused_not_a_500(
    app: Litestar, system: System
) -> None:
    """A session cookie, a CSRF cookie or a form's token is whatever a browser (or a script)
    sends: one with a letter not of ASCII ('é') made every page a 500 (hmac.compare_digest
    takes no such str). It is a cookie that signs nobody in and a token that is not the
    form's: the page asks to sign in, the form is refused 403, nobody signed in."""
    email, password = an_email("ascii"), "una frase abbastanza lunga"
    await create_user(system.pool, email, "Ascii", password=password)
    odd = [(b"cookie", "okr_session=\u00e9.\u00e9; okr_csrf=\u00e9".encode())]
    async with httpx.AsyncClient(
        transport=asgi_transport(app), base_url="http://okr.test"
    ) as browser:
        home = await browser.get("/", headers=odd)
        assert (home.status_code, home.headers["location"]) == (303, "/sign-in")
        page = await browser.get("/sign-in", headers=odd)
        assert page.status_code == 200
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        for sent in ("\u00e9", token.group(1) + "\u00e9"):
            forged = await browser.post(
                "/sign-in", data={"csrf_token": sent, "email": email, "password": password}
            )
            assert forged.status_code == 403, forged.text
            assert "okr_session" not in set_cookies(forged)


async def test_no_cache_keeps_an_api_answer(client: httpx.AsyncClient, world: World) -> None:
    """The API's answers (a person's grants, a tenant's goals, a token pair) and its
    problems said nothing of caching: a shared cache or the browser's disk could keep them
    and hand them on. Each says Cache-Control: no-store, once; a write's answer is still
    given back whole to a retry with its Idempotency-Key, saying it too."""
    viewer, member = world.a.auth("client_viewer"), world.a.auth("client_member")
    tenant = f"/api/v1/tenants/{world.a.tenant.id}"
    once = {**member, "Idempotency-Key": str(uuid.uuid4())}
    check_in = {"value": "1", "on": "2027-02-10"}
    path = f"{tenant}/key-results/{world.ids.key_result_id}/check-ins"
    first = await client.post(path, headers=once, json=check_in)
    retried = await client.post(path, headers=once, json=check_in)
    answers = [
        await client.get("/api/v1/auth/me", headers=viewer),
        await client.get(f"{tenant}/progress", headers=viewer),
        await client.post("/api/v1/auth/token", json={"email": "x@example.it", "password": "y"}),
        await client.get("/api/v1/auth/me"),
        await client.get(f"/api/v1/tenants/{uuid.uuid4()}/progress", headers=viewer),
        first,
        retried,
    ]
    for answer in answers:
        said = answer.headers.get_list("cache-control")
        assert said == ["no-store"], (answer.request.url, answer.status_code, said)
    assert (first.status_code, retried.status_code) == (201, 201), first.text
    assert retried.json() == first.json()


async def test_the_docs_pages_run_only_the_scripts_they_pin(client: httpx.AsyncClient) -> None:
    """/schema loaded Scalar `@latest` (and its theme from a branch) from a CDN, /schema/swagger
    its bundles without a hash: whatever the CDN served ran beside the docs' bearer token.
    Each script and style is now an exact version, with its Subresource Integrity hash, and
    fetched with CORS (without it a browser cannot check a file of another origin)."""
    for page in ("/schema", "/schema/swagger"):
        html = (await client.get(page)).text
        tags = re.findall(r"<(?:script|link)\b[^>]*\b(?:src|href)=[\"']https?://[^>]*>", html)
        assert tags, page
        for tag in tags:
            url = re.search(r"(?:src|href)=[\"'](https?://[^\"']+)", tag)
            assert url is not None
            assert re.search(r"@\d+\.\d+\.\d+/", url.group(1)), (page, tag)
            if "rel='icon'" in tag:
                continue  # an image: it runs nothing
            assert re.search(r'integrity="sha384-[A-Za-z0-9+/]{64}"', tag), (page, tag)
            assert 'crossorigin="anonymous"' in tag and tag.count("crossorigin") == 1, tag


async def test_credentials_of_another_scheme_get_a_bare_bearer_challenge(
    client: httpx.AsyncClient, world: World
) -> None:
    """`Authorization: Basic …` carries no bearer token: RFC 6750 (3.1) gives such a request
    the challenge without an error code, which told it its (non-existent) token was
    invalid. The problem names the Authorization header and says to send a bearer token;
    a bearer token that is wrong is still `invalid_token`."""
    path = f"/api/v1/tenants/{world.a.tenant.id}/progress"
    for scheme in ("Basic eDp5", "Token abc", "Bearer", "Bearer   "):
        answer = await client.get(path, headers={"Authorization": scheme})
        assert answer.status_code == 401, scheme
        assert answer.headers["www-authenticate"] == 'Bearer realm="okr"', scheme
        error = answer.json()["errors"][0]
        assert (error["field"], error["rule"]) == ("Authorization", "invalid_scheme"), scheme
    wrong = await client.get(path, headers=bearer("not-a-token"))
    assert 'error="invalid_token"' in wrong.headers["www-authenticate"]


async def test_a_missing_or_unreadable_bearer_names_the_authorization_header(
    client: httpx.AsyncClient, world: World
) -> None:
    """A 401 for no Authorization, or a token no one issued, named no field, where every
    other problem names its own (another scheme's named Authorization already): a client
    that shows errors by field had nowhere to put it."""
    path = f"/api/v1/tenants/{world.a.tenant.id}/progress"
    for headers in (
        {},
        bearer("not-a-token"),
        bearer("okr_not-a-key"),
        bearer(world.expired_token),
    ):
        answer = await client.get(path, headers=headers)
        assert answer.status_code == 401, headers
        assert answer.json()["errors"][0]["field"] == "Authorization", headers


@pytest.mark.parametrize(
    ("language", "said"),
    [("en", "larger than this site takes"), ("it", "più grande di quanto questo sito accetti")],
)
async def test_a_form_too_large_is_said_so_not_misunderstood(
    client: httpx.AsyncClient, language: str, said: str
) -> None:
    """A portal form over OKR_MAX_BODY_BYTES (a long note pasted) answered 413 with the page
    of a 400: "The page did not understand the request. Go back and try again.", which
    sent again as it was fails again. It now says the form was too large, in the reader's
    language."""
    page = await client.post(
        "/sign-in",
        headers={"accept": "text/html", "accept-language": language},
        data={"email": "x" * BODY_LIMIT, "password": "whatever"},
    )
    assert page.status_code == 413
    main = page.text.split('<main id="main"', 1)[1]
    assert '<p class="code">413</p>' in main and said in main
