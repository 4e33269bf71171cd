"""What goes wrong on a page, and the page that says so (in one place, like the API's).

- anything outside the viewer's tenants, and any unknown id: the same 404 page;
- an action the viewer's role does not allow: 403;
- an expired form (bad CSRF token): 403 with a "reload and try again";
- the database out of reach: 503 with its own page;
- anything else: 500, logged.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

import asyncpg
import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.exceptions.responses import create_exception_response
from litestar.response import Redirect
from litestar.response.base import ASGIResponse
from litestar.types import Receive, Scope, Send

from domain.errors import DomainError
from services.db import CONNECTION_LOST, connection_lost
from services.portal.pages import page_here
from tenants.errors import PermissionDeniedError, UnknownTenantError
from tenants.principal import Principal

if TYPE_CHECKING:
    from services.portal.pages import Pages

log = structlog.get_logger("okr.portal")


class PageNotFoundError(Exception):
    """Not there, or not yours: the same answer either way (no existence oracle)."""


class BadFiltersError(Exception):
    """A download asked with filters that are not ones (a hand-made link: its page says so
    beside each field): 400, naming them, for the signed-in `viewer`."""

    def __init__(self, bad: Mapping[str, str], viewer: Principal | None = None) -> None:
        super().__init__(", ".join(bad))
        self.bad = dict(bad)
        self.viewer = viewer


class SuspendedPageError(Exception):
    """A page of the viewer's own company, which is suspended: 403, saying so, with the
    signed-in header (the viewer may sign out, or go to their other companies)."""

    def __init__(self, tenant_name: str, viewer: Principal) -> None:
        super().__init__(tenant_name)
        self.tenant_name, self.viewer = tenant_name, viewer


class ForbiddenError(Exception):
    """The viewer's role in this tenant does not allow the action."""


class CsrfError(Exception):
    """A form came without the token of this browser (expired, or from another site)."""


class SignInRequiredError(Exception):
    """No valid session: go to the sign-in page and come back."""


DATABASE_DOWN = CONNECTION_LOST

Handler = Callable[[Request[Any, Any, Any], Any], Response[Any]]


def wants_html(request: Request[Any, Any, Any]) -> bool:
    """A browser page request, not an API call (those keep problem+json), nor a path under
    the API's documents (/schema/redoc: the API's 404, whoever asks)."""
    if request.url.path.startswith(("/api/", "/schema/")):
        return False
    accept = request.headers.get("accept", "")
    return "text/html" in accept or "*/*" in accept or not accept


def page_exception_handlers(pages: Pages) -> dict[type[Exception] | int, Handler]:
    """Exception handlers of the portal's routes."""

    def sign_in(request: Request[Any, Any, Any], exc: SignInRequiredError) -> Response[Any]:
        target = page_here(request)  # a form's: the page it was on, not its POST-only URL
        return Redirect(path=f"/sign-in?next={quote(target, safe='')}", status_code=303)

    def not_found(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        return pages.error(request, 404)

    def forbidden(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        return pages.error(request, 403)

    def csrf(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        return pages.error(request, 403, reason="csrf")

    def suspended(request: Request[Any, Any, Any], exc: SuspendedPageError) -> Response[Any]:
        return pages.error(
            request, 403, reason="suspended", name=exc.tenant_name, viewer=exc.viewer
        )

    def database(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        log.warning("portal.database_unreachable", error_type=type(exc).__name__)
        return pages.error(request, 503, headers={"Retry-After": "5"})

    def http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
        return pages.error(request, exc.status_code if exc.status_code >= 400 else 500)

    def bad_request(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        return pages.error(request, 400)

    def bad_filters(request: Request[Any, Any, Any], exc: BadFiltersError) -> Response[Any]:
        return pages.error(request, 400, bad=exc.bad, viewer=exc.viewer)

    def internal(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        if connection_lost(exc):  # (an InterfaceError in place of the loss, too)
            return database(request, exc)
        log.exception("portal.request_failed", error_type=type(exc).__name__)
        return pages.error(request, 500)

    handlers: dict[type[Exception] | int, Handler] = {
        SignInRequiredError: sign_in,
        PageNotFoundError: not_found,
        BadFiltersError: bad_filters,
        UnknownTenantError: not_found,
        ForbiddenError: forbidden,
        PermissionDeniedError: forbidden,
        SuspendedPageError: suspended,
        CsrfError: csrf,
        HTTPException: http,
        # the app's own handlers of these answer problem+json, and the closest class wins:
        ValidationException: http,  # a query parameter of the wrong type (?before=abc)
        asyncpg.DataError: bad_request,  # a number the database cannot hold
        DomainError: internal,
        Exception: internal,
    }
    handlers.update(dict.fromkeys(DATABASE_DOWN, database))
    return handlers


CompanyReader = Callable[[Request[Any, Any, Any], str], Awaitable[object]]
"""Reads the company of an address (its id as the URL has it) for the request's page, if
the viewer holds a role there (dependencies.company_language)."""
_UNDER_A_COMPANY = re.compile(r"/t/([^/]+)(?:/|$)")


def app_page_handler(
    pages: Pages,
    status: int,
    fallback: Mapping[type[Exception] | int, Handler] | None = None,
    company: CompanyReader | None = None,
) -> Handler:
    """The app-wide 404 (no route matched) or 405 (a route, not for the method: a form's
    POST-only address opened as a page): the portal's page for browsers, with the
    exception's headers (Allow), else ``fallback``. Under a company (/t/{id}/…) it speaks
    the company's language, as its other pages do, once `company` has read it."""
    others = {k: v for k, v in (fallback or {}).items() if k != status}

    def handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        if wants_html(request):
            headers = getattr(exc, "headers", None)
            under = _UNDER_A_COMPANY.match(request.url.path)
            if company is not None and under is not None:
                read = _reading(company, request, under.group(1))
                return _ReadFirst(read, lambda: pages.error(request, status, headers=headers))
            return pages.error(request, status, headers=headers)
        for kind in type(exc).__mro__:
            chosen = others.get(kind)
            if chosen is not None:
                return chosen(request, exc)
        return create_exception_response(request, exc)

    return handler


async def _reading(company: CompanyReader, request: Request[Any, Any, Any], tenant: str) -> None:
    """Read the company of the page (its language, for its error page); one that cannot be
    read (a lost database) leaves the page in the request's or the default language."""
    try:
        await company(request, tenant)
    except Exception as error:  # the page says not found whatever: never a 500 for it
        log.warning("portal.error_page_company_unread", error_type=type(error).__name__)


class _ReadFirst(Response[str]):
    """A page rendered once `read` is done: the app's exception handlers are not awaited, so
    what the page needs of the database (the company of an address no route matched) is
    read as it is sent."""

    def __init__(self, read: Awaitable[None], render: Callable[[], Response[str]]) -> None:
        super().__init__(content="")
        self._read, self._render = read, render

    def to_asgi_response(
        self, app: Any, request: Request[Any, Any, Any], **kwargs: Any
    ) -> ASGIResponse:
        async def send(scope: Scope, receive: Receive, send: Send) -> None:
            await self._read
            page = self._render().to_asgi_response(app, request, **kwargs)
            await page(scope, receive, send)

        return cast("ASGIResponse", send)
