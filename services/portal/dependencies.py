"""What handlers are given: the viewer (resolved on every request), the tenant, the language,
a checked form.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, cast
from urllib.parse import urlsplit
from uuid import UUID

from litestar import Request
from litestar.di import NamedDependency
from litestar.params import FromPath

from services.db import connection_lost
from services.i18n import Locale
from services.portal.errors import (
    CsrfError,
    PageNotFoundError,
    SignInRequiredError,
    SuspendedPageError,
)
from services.portal.pages import TENANT_READ, language_chosen, locale_of
from services.portal.portal import Portal
from services.portal.sessions import (
    CAME_FROM,
    CAME_FROM_FIELD,
    CSRF_COOKIE,
    CSRF_FIELD,
    SESSION_COOKIE,
    VIEWER,
    signed_out,
)
from tenants.directory import get_tenant
from tenants.errors import TenantSuspendedError, UnknownTenantError
from tenants.memberships import refuse_if_suspended
from tenants.models import Tenant
from tenants.principal import Principal
from tenants.users import resolve_user_principal

Form = dict[str, str]
PortalDep = NamedDependency[Portal]
LocaleDep = NamedDependency[Locale]
ViewerDep = NamedDependency[Principal]
MaybeViewerDep = NamedDependency[Principal | None]
TenantDep = NamedDependency[Tenant]
FormDep = NamedDependency[Form]
BROWSER_TOKEN = "csrf_browser_token"  # noqa: S105 - a route opt's name, no secret
"""Route opt: its form, one of a person not yet signed in, also takes the browser's CSRF
token when a session is there (signed in meanwhile in another tab)."""


async def provide_optional_viewer(
    request: Request[Any, Any, Any], portal: PortalDep
) -> Principal | None:
    """The signed-in person with today's grants, or None: resolved once a request (a form's
    submission middleware asks before its handler does)."""
    state = request.scope.setdefault("state", {})
    if VIEWER not in state:
        state[VIEWER] = await _signed_in(request, portal)
    return cast("Principal | None", state[VIEWER])


async def _signed_in(request: Request[Any, Any, Any], portal: Portal) -> Principal | None:
    session = portal.signer.read(request.cookies.get(SESSION_COOKIE))
    if session is None or await signed_out(portal.system.pool, session):
        return None
    return await resolve_user_principal(portal.system.pool, session.user_id, session.epoch)


async def provide_viewer(request: Request[Any, Any, Any], portal: PortalDep) -> Principal:
    """The signed-in person, or a trip to the sign-in page."""
    viewer = await provide_optional_viewer(request, portal)
    if viewer is None:
        raise SignInRequiredError
    return viewer


def parse_id(text: str | None) -> UUID:
    """An id from a URL, or the 404 page."""
    try:
        return UUID(str(text))
    except ValueError:
        raise PageNotFoundError from None


async def provide_tenant(
    request: Request[Any, Any, Any], tenant_id: FromPath[str], viewer: ViewerDep, portal: PortalDep
) -> Tenant:
    """The tenant of the URL if the viewer holds a role there; else the same 404 as no tenant."""
    tid = parse_id(tenant_id)
    if viewer.role_in(tid) is None:
        try:
            await refuse_if_suspended(portal.system.pool, viewer, tid)
        except TenantSuspendedError as suspended:  # one of theirs: told so
            raise SuspendedPageError(suspended.tenant_name, viewer) from None
        raise PageNotFoundError
    try:
        return await _tenant_of(request, portal, tid)
    except UnknownTenantError:
        raise PageNotFoundError from None


def locale_provider(portal: Portal) -> Callable[[Request[Any, Any, Any]], Awaitable[Locale]]:
    """`provide_locale` of this portal: a dependency of the request alone, so that it is
    resolved beside `portal` and before the viewer and the tenant, whose refusals (a lost
    database's included) stay theirs."""

    async def provide_locale(request: Request[Any, Any, Any]) -> Locale:
        """The request's language: its cookie, its Accept-Language, else on a company's
        pages the company's (its setting: "for whoever has not chosen one"), else Italian
        (also when the database cannot say it: the page then says why, in Italian)."""
        if language_chosen(request):
            return locale_of(request)
        try:
            return locale_of(request, await _company_language(request, portal))
        except Exception as error:
            if not connection_lost(error):
                raise
            return locale_of(request)

    return provide_locale


async def _company_language(request: Request[Any, Any, Any], portal: Portal) -> str | None:
    """The language of the company of the URL, if the viewer holds a role there."""
    return await company_language(request, portal, request.path_params.get("tenant_id"))


async def company_language(
    request: Request[Any, Any, Any], portal: Portal, tenant_id: object
) -> str | None:
    """The language of company `tenant_id` (as the URL has it), if the viewer holds a role
    there (else None: a company not theirs says nothing of itself, its language neither);
    read once a request, for its page too (TENANT_READ)."""
    try:
        tid = UUID(str(tenant_id))
    except ValueError:
        return None
    viewer = await provide_optional_viewer(request, portal)
    if viewer is None or viewer.role_in(tid) is None:
        return None
    try:
        return (await _tenant_of(request, portal, tid)).locale
    except UnknownTenantError:
        return None


async def _tenant_of(request: Request[Any, Any, Any], portal: Portal, tid: UUID) -> Tenant:
    """The tenant of the URL, read once a request (the language and the page both ask)."""
    state = request.scope.setdefault("state", {})
    if state.get(TENANT_READ) is None or state[TENANT_READ].id != tid:
        state[TENANT_READ] = await get_tenant(portal.system.pool, tid)
    return cast("Tenant", state[TENANT_READ])


async def provide_form(request: Request[Any, Any, Any], portal: PortalDep) -> Form:
    """The posted fields, once the CSRF token and the Origin are those of this site (an
    opaque one, `null`, of a sandboxed frame, a data: URL or a file, is no site's: its
    pages are same-origin, Referrer-Policy same-origin, so their forms send their own). The
    token is the session's (sessions.Signer.csrf_ok); a route whose opt has BROWSER_TOKEN
    (signing in, choosing a password) also takes the browser's."""
    origin = request.headers.get("origin")
    if origin is not None:
        host = request.headers.get("host", "")
        if origin.strip() == "null" or urlsplit(origin).netloc != host:
            raise CsrfError
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    signer = portal.signer
    if not signer.csrf_ok(
        request.cookies.get(CSRF_COOKIE),
        fields.get(CSRF_FIELD),
        session_nonce=signer.session_nonce(request.cookies.get(SESSION_COOKIE)),
        browser_too=bool(request.route_handler.opt.get(BROWSER_TOKEN)),
    ):
        raise CsrfError
    request.scope.setdefault("state", {})[CAME_FROM] = fields.get(CAME_FROM_FIELD)
    return fields
