"""A request that `okr serve`'s shutdown cuts short is told 503, to try again, not 500.

On SIGTERM uvicorn stops taking connections and gives the requests under way
`timeout_graceful_shutdown` seconds to end; then it cancels them, and one cancelled before
its answer began was told "Internal Server Error" in plain text: a bug, to a client, and
not a thing to try again. Its transaction had not committed (a cancelled statement's is
rolled back), as for a database out of reach; one cut after its commit, before its answer,
is told its first answer by a retry with its Idempotency-Key. So it is told what a database
out of reach tells: 503 with Retry-After, problem+json (a portal page too: a browser shows
it, and reloads it once the service is back).
"""

from __future__ import annotations

import asyncio

import structlog
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from services.api.problems import FieldProblem, Problem, send_problem

log = structlog.get_logger("okr.api")
CUT_SHORT = "the service stopped before this request was answered: try again in a moment"


class CutShortMiddleware(ASGIMiddleware):
    """Answer 503 for a request cancelled before its answer began (see the module)."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        began = False

        async def watched(message: Message) -> None:
            nonlocal began
            began = began or message["type"] == "http.response.start"
            await send(message)

        try:
            await next_app(scope, receive, watched)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if began or task is None:
                raise
            task.uncancel()  # answered here: the request ends as any other does
            log.warning("request.cut_short")
            await send_problem(scope, send, Problem(
                type="/problems/service-unavailable", title="Service unavailable", status=503,
                detail=CUT_SHORT, instance=scope["path"],
                errors=[FieldProblem(None, "cut_short", CUT_SHORT)],
            ))  # fmt: skip
