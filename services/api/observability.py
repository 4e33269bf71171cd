"""One JSON log line and one metric sample per request, with a request id on everything.

The middleware (outermost on every route) clears structlog's context and binds request_id,
tenant_id and route, so every line logged while serving carries them; authentication adds
the actor. The app's ``before_send`` hook sees the status of every response (handled errors
and unmatched routes included), echoes X-Request-ID and logs the request line.
"""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID, uuid4

import structlog
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from services.api.methods import ASKED_METHOD
from services.api.runtime import runtime_of

log = structlog.get_logger("okr.api")
REQUEST_ID = "x-request-id"
_STARTED = "okr_started"
_REQUEST_ID = "okr_request_id"


def request_id_of(scope: Scope | dict[str, Any]) -> UUID:
    """The request's id (from X-Request-ID when it is a UUID, else a new one)."""
    value = scope.get(_REQUEST_ID)
    if isinstance(value, UUID):
        return value
    for name, raw in scope.get("headers", ()):
        if name == REQUEST_ID.encode():
            try:
                value = UUID(raw.decode("latin-1"))
            except ValueError:
                break
    request_id = value if isinstance(value, UUID) else uuid4()
    scope[_REQUEST_ID] = request_id  # type: ignore[literal-required]
    return request_id


class RequestContextMiddleware(ASGIMiddleware):
    """Start the clock, bind the log context (request id, tenant, route)."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        scope[_STARTED] = time.perf_counter()  # type: ignore[literal-required]
        request_id = request_id_of(scope)
        structlog.contextvars.clear_contextvars()
        tenant_id = scope.get("path_params", {}).get("tenant_id")
        structlog.contextvars.bind_contextvars(
            request_id=str(request_id),
            route=scope.get("path_template", scope["path"]),
            **({"tenant_id": str(tenant_id)} if tenant_id is not None else {}),
        )
        await next_app(scope, receive, send)


async def log_response(message: Message, scope: Scope) -> None:
    """before_send hook: echo the request id; one log line and one metric sample per request.

    It sees every response: handled errors, errors of the middleware, unmatched routes.
    """
    if message["type"] != "http.response.start" or scope["type"] != ScopeType.HTTP:
        return
    request_id = request_id_of(scope)
    MutableScopeHeaders.from_message(message)[REQUEST_ID] = str(request_id)
    started = scope.get(_STARTED)
    seconds = time.perf_counter() - started if isinstance(started, float) else 0.0
    route = scope.get("path_template") or "unmatched"
    status = message["status"]
    method = str(scope.get(ASKED_METHOD) or scope["method"])
    principal = scope.get("user")
    tenant_id = scope.get("path_params", {}).get("tenant_id")
    runtime_of(scope).metrics.observe(method, route, status, seconds)
    log.info(
        "request",
        request_id=str(request_id),
        method=method,
        path=scope["path"],
        route=route,
        status=status,
        duration_ms=round(seconds * 1000, 2),
        tenant_id=None if tenant_id is None else str(tenant_id),
        actor=getattr(principal, "actor", None),
    )
