"""A form sent twice records once: every POST form of the portal carries a one-time
submission id, kept as the API keeps an Idempotency-Key (services.api.idempotency: the same
table, claim, joined transaction and expiry).

- Made: Pages.render puts a fresh random id (SUBMISSION_FIELD) in every POST form of a page,
  one id a page: the key is the id *and* the form's path, so the page's other forms are
  other keys. A form re-shown after a refusal keeps the id it was sent with: a refusal
  recorded nothing and released it, so the form, fixed, is sent with it and runs.
- Kept: the first POST of an id in a tenant, by a signed-in member of it, claims the key
  ``form <path> <id>`` of that person in that tenant, with a hash of its fields (the CSRF
  token aside); in a consultancy (its people's page), by one who manages its people, the
  same key among that person's platform keys (its path names the consultancy). It runs
  in a transaction that its events and directory changes join (JOINED). Its answer, a
  303 redirect, is kept in that transaction, and of it only its Location: never a cookie,
  so a key or a link shown once is not kept, nor shown again. Any other answer (a refused
  form re-shown, an error page) recorded nothing: it is rolled back and the id released.
- Checked: the same id with the same fields again lands where the first landed (its 303),
  recording nothing; while the first still runs, it waits for it (IN_FLIGHT_WAIT) and lands
  there too, or is told that the form is still being recorded (409); a first known dead
  (its process gone: the key's lock free) is taken over at once, and the form runs. The
  same id with other fields (a page kept open, changed, sent again) is told the form was
  sent (409).
  Another person's id, or one of another tenant or consultancy, is another key: it runs
  as its own.
- Expire: with the API's keys (idempotency_ttl_hours).
- Not covered: Back to a page and the same form sent again. Every page is no-store (a
  tenant's figures are kept in no cache), so the browser fetches the page again on Back:
  a new page, with a new id, as a reload. What is covered is the same page's form sent
  twice (a double click, a resubmit after a slow answer, two sends at once) and the POST
  itself sent again (reloading the page a refused or a slow form answered).
- Without the field (a page opened before this was deployed, a hand-made POST) a form runs
  as it did, unprotected (its CSRF token is checked as ever): refusing it would lose what
  was typed in a page left open. Forms outside a tenant or a consultancy (sign-in,
  language, choosing a password) keep nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, cast
from urllib.parse import parse_qsl, urlencode
from uuid import UUID

from litestar import Request
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.response import Response
from litestar.types import (
    ASGIApp,
    HTTPResponseStartEvent,
    HTTPScope,
    Message,
    Receive,
    Scope,
    Send,
)

from services.api.idempotency import (
    MAX_KEY,
    Claimed,
    ClientGoneError,
    KeyStore,
    read_body,
    replay,
    replaying,
    request_hash,
    run_and_keep,
)
from services.portal.dependencies import provide_optional_viewer
from services.portal.portal import Portal
from services.portal.sessions import CSRF_FIELD, SUBMISSION_FIELD, SUBMITTED
from tenants.principal import Principal
from tenants.roles import Permission

IN_FLIGHT_WAIT = 15.0
"""How long a second submission waits for the first, still running, to answer (its waits
for the views included) before it is told that the form is still being recorded."""
_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
_FORM = "application/x-www-form-urlencoded"


class SubmissionMiddleware(ASGIMiddleware):
    """Run a tenant's or a consultancy's form once for its submission id; replay its first
    answer after."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, provide_portal: Callable[[], Portal]) -> None:
        self._portal = provide_portal  # (a function: the router is deep-copied, its pool not)

    @property
    def portal(self) -> Portal:
        return self._portal()

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        scope = cast("HTTPScope", scope)
        where = _where(scope)
        if where is None:
            await next_app(scope, receive, send)
            return
        try:
            body = await read_body(receive, self.portal.settings.max_body_bytes)
        except ClientGoneError:  # gone before its form was whole: nothing to run
            return
        fields = _fields(scope, body)
        submission = dict(fields).get(SUBMISSION_FIELD, "")
        key = f"form {scope['path']} {submission}"
        viewer = None
        if _ID.fullmatch(submission) and len(key) <= MAX_KEY:
            viewer = await self._entitled(scope, where)
        if viewer is None:
            await next_app(scope, replaying(body), send)  # unprotected, as before
            return
        scope.setdefault("state", {})[SUBMITTED] = submission
        sent = sorted((k, v) for k, v in fields if k not in (CSRF_FIELD, SUBMISSION_FIELD))
        digest = request_hash("POST", scope["path"], b"", urlencode(sent).encode(), raw=True)
        ttl = self.portal.settings.submissions_ttl
        tenant_id = where.id if where.kind == TENANT else None  # (a consultancy's: the platform's)
        system = self.portal.system
        store = KeyStore(system.pool, tenant_id, viewer.actor, ttl, system.key_locks)
        async with store.claimed(key, digest, wait=IN_FLIGHT_WAIT) as found:
            if found is None:  # its first still runs (or a retry took it over: runs there)
                await _say(self.portal, viewer, scope, send, "in_flight")
            elif isinstance(found, Claimed):
                keeping = _Keeping(self.portal, viewer)
                await run_and_keep(
                    store, key, found, scope, replaying(body), send, next_app,
                    system.store, keeping,
                )  # fmt: skip
            elif found.request_hash != digest:
                await _say(self.portal, viewer, scope, send, "sent_before")
            else:
                await replay(found, send)

    async def _entitled(self, scope: HTTPScope, where: _Where) -> Principal | None:
        """The signed-in person, if they have a role in this tenant, or manage this
        consultancy's people (else the page refuses them, and nothing is kept)."""
        viewer = await provide_optional_viewer(Request(scope), self.portal)
        if viewer is None:
            return None
        if where.kind == TENANT:
            return viewer if viewer.role_in(where.id) is not None else None
        return viewer if viewer.can_in_consultancy(where.id, Permission.MANAGE_USERS) else None


TENANT, CONSULTANCY = "tenant_id", "consultancy_id"


@dataclass(frozen=True)
class _Where:
    """The tenant, or the consultancy, whose page a form is of (`kind`: its path's name)."""

    kind: str
    id: UUID


def _where(scope: HTTPScope) -> _Where | None:
    """The tenant or the consultancy of a POST to one's page; None for anything else."""
    if scope["method"] != "POST":
        return None
    params = scope.get("path_params", {})
    for kind in (TENANT, CONSULTANCY):
        if kind in params:
            try:
                return _Where(kind, UUID(str(params[kind])))
            except ValueError:
                return None
    return None


def _fields(scope: HTTPScope, body: bytes) -> list[tuple[str, str]]:
    """A form's fields, as sent (a body of another kind has none)."""
    content_type = dict(scope["headers"]).get(b"content-type", b"").decode("latin-1")
    if not content_type.startswith(_FORM):
        return []
    return parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)


class _Keeping:
    """A form keeps its redirect (its Location: never a cookie); its refusals are pages."""

    def __init__(self, portal: Portal, viewer: Principal) -> None:
        self.portal, self.viewer = portal, viewer

    def kept(
        self, scope: Scope, start: HTTPResponseStartEvent, messages: list[Message]
    ) -> tuple[int, list[tuple[str, str]], bytes] | None:
        if not 300 <= start["status"] < 400:
            return None
        headers = dict(start.get("headers", []))
        location = headers.get(b"location", b"").decode("latin-1")
        return start["status"], [("location", location), ("cache-control", "no-store")], b""

    async def refuse(
        self, scope: Scope, send: Send, why: Literal["taken_over", "unavailable"]
    ) -> None:
        said: Literal["in_flight", "unavailable"] = (
            "in_flight" if why == "taken_over" else "unavailable"
        )
        await _say(self.portal, self.viewer, scope, send, said)


async def _say(
    portal: Portal,
    viewer: Principal,
    scope: Scope,
    send: Send,
    why: Literal["in_flight", "sent_before", "unavailable"],
) -> None:
    """The page that says why this submission did not run (a 409, or a 503)."""
    request: Request[Any, Any, Any] = Request(scope)
    if why == "unavailable":
        page: Response[Any] = portal.pages.error(
            request, 503, headers={"Retry-After": "5"}, viewer=viewer
        )
    else:
        page = portal.pages.error(
            request, 409, reason=why, headers={"Retry-After": "1"}, viewer=viewer
        )
    await page.to_asgi_response(None, request)(scope, replaying(b""), send)
