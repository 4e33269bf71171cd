"""The app factory: one place wires routes, security, errors, idempotency, logs and docs.

app = create_app(system, settings)                       # tests, benchmarks
app = create_app(system, settings, projector=projector)  # okr serve, which starts it
app = create_app(system, settings, extra=[other_router])  # more routes (the portal is built in)
"""

from __future__ import annotations

from collections.abc import Sequence

import structlog
from litestar import Litestar, Router
from litestar.datastructures import MutableScopeHeaders
from litestar.types import ControllerRouterHandler, Message, Scope

from services.api.bodies import ExactRequest
from services.api.controllers.auth import AuthController
from services.api.controllers.consultancies import ConsultancyController
from services.api.controllers.cycles import CycleController
from services.api.controllers.health import HealthController
from services.api.controllers.key_results import KeyResultController
from services.api.controllers.kpis import KpiController
from services.api.controllers.objectives import ObjectiveController
from services.api.controllers.tenants import (
    ApiKeyController,
    PeopleController,
    TenantController,
    UserController,
)
from services.api.controllers.views import ViewController
from services.api.dependencies import DEPENDENCIES, TENANT_DEPENDENCIES
from services.api.idempotency import IdempotencyMiddleware
from services.api.methods import answering_head_and_options
from services.api.observability import RequestContextMiddleware, log_response
from services.api.openapi import DecimalSchemaPlugin, document_errors, openapi_config
from services.api.problems import EXCEPTION_HANDLERS
from services.api.queries import learn_query_names, refuse_unknown_query
from services.api.responses import Response
from services.api.runtime import ApiRuntime, RunningProjector
from services.api.security import BearerAuthMiddleware
from services.api.shutdown import CutShortMiddleware
from services.bootstrap import System
from services.settings import Settings

API_PREFIX = "/api/v1"
log = structlog.get_logger("okr.api")


def api_router() -> Router:
    """Everything under /api/v1."""
    tenant = Router(
        path="/tenants/{tenant_id:uuid}",
        route_handlers=[
            UserController,
            PeopleController,
            ApiKeyController,
            CycleController,
            ObjectiveController,
            KeyResultController,
            KpiController,
            ViewController,
        ],
        dependencies=dict(TENANT_DEPENDENCIES),
    )
    return Router(
        path=API_PREFIX,
        route_handlers=[AuthController, ConsultancyController, TenantController, tenant],
        before_request=refuse_unknown_query,
    )


async def no_sniffing(message: Message, scope: Scope) -> None:
    """before_send hook: every answer's Content-Type is to be believed, the API's JSON and
    problems (which echo a path or a field as sent), downloads, static files, redirects and
    the portal's pages: said here once for all (not where each answer is made)."""
    if message["type"] == "http.response.start":
        headers = MutableScopeHeaders.from_message(message)
        if "x-content-type-options" not in headers:
            headers["X-Content-Type-Options"] = "nosniff"


async def not_stored(message: Message, scope: Scope) -> None:
    """before_send hook: no cache keeps an answer of the API (a person's or a tenant's data,
    a token) nor a problem (Cache-Control: no-store, unless the answer says its own). No
    read revalidates with If-None-Match, so nothing is lost. Run outside the idempotency
    middleware, which keeps an answer that says no-store itself without its body."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    path: str = scope.get("path", "")
    problem = headers.get("content-type", "").startswith("application/problem+json")
    if (path.startswith("/api/") or problem) and "cache-control" not in headers:
        headers["Cache-Control"] = "no-store"


async def secure_cookies_over_https(message: Message, scope: Scope) -> None:
    """before_send hook: a cookie set in the answer to a request that came over HTTPS
    (behind a proxy, as uvicorn's proxy headers tell it) goes back over HTTPS only, the
    portal's session first, whatever OKR_SECURE_COOKIES says (which makes them Secure on
    plain HTTP too): one without Secure goes out in clear on any http:// request to the
    host."""
    if message["type"] != "http.response.start" or scope.get("scheme") != "https":
        return
    message["headers"] = [
        (name, _secured(value) if name.lower() == b"set-cookie" else value)
        for name, value in message.get("headers", [])
    ]


def _secured(cookie: bytes) -> bytes:
    attributes = [part.strip().lower() for part in cookie.split(b";")[1:]]
    return cookie if b"secure" in attributes else cookie + b"; Secure"


def create_app(
    system: System,
    settings: Settings,
    *,
    projector: RunningProjector | None = None,
    extra: Sequence[ControllerRouterHandler] = (),
    debug: bool = False,
) -> Litestar:
    """The Litestar app on a wired system. ``projector``: the one started with it (its owner
    starts and stops it; /readyz reports whether it runs)."""
    runtime = ApiRuntime.wire(system, settings, projector)
    app = Litestar(
        route_handlers=[api_router(), HealthController, *extra],
        dependencies=dict(DEPENDENCIES),
        middleware=[
            CutShortMiddleware(),
            RequestContextMiddleware(),
            BearerAuthMiddleware(),
            IdempotencyMiddleware(),
        ],
        exception_handlers=dict(EXCEPTION_HANDLERS),  # type: ignore[arg-type]
        before_send=[log_response, no_sniffing, not_stored, secure_cookies_over_https],
        openapi_config=openapi_config(),
        plugins=[DecimalSchemaPlugin()],
        request_max_body_size=settings.max_body_bytes,
        request_class=ExactRequest,
        response_class=Response,
        debug=debug,
        logging_config=None,
    )
    app.state.okr_runtime = runtime
    learn_query_names(app, API_PREFIX)
    document_errors(app)
    # --- client portal (services/portal): its pages, static files and the HTML 404 --------
    # Its routes are public to the bearer middleware (sessions are the portal's own); the
    # 404 of unmatched paths renders the portal's page for browsers and defers to
    # EXCEPTION_HANDLERS for /api/ paths and non-HTML clients.
    from services.portal import compile_templates_at_start, portal_app_config, portal_router

    app.register(portal_router(system, settings, runtime.people))
    app.exception_handlers.update(
        portal_app_config(system, settings, fallback=EXCEPTION_HANDLERS)["exception_handlers"]
    )
    app.on_startup.append(compile_templates_at_start)
    # --- end of the portal block ---------------------------------------------------------
    app.asgi_handler = answering_head_and_options(app.asgi_handler)
    return app
