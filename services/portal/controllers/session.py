"""Signing in and out, the language switch, and where "/" leads."""

from __future__ import annotations

import math
from collections.abc import Collection
from ipaddress import ip_address
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect

from services.i18n import LANG_COOKIE
from services.portal.dependencies import (
    BROWSER_TOKEN,
    FormDep,
    LocaleDep,
    MaybeViewerDep,
    PortalDep,
    ViewerDep,
)
from services.portal.pages import safe_next
from services.portal.sessions import NOTICE_COOKIE, SESSION_COOKIE
from services.portal.sessions import sign_out as end_session
from tenants.errors import (
    InvalidPasswordLinkError,
    RateLimitedError,
    SignInBeingCheckedError,
    WeakPasswordError,
)
from tenants.memberships import suspended_tenants
from tenants.models import User
from tenants.password_links import link_email, looks_like_a_link, set_password_with_link
from tenants.principal import Principal
from tenants.users import check_password, session_epoch
from tenants.validation import LANGUAGES, MAX_PASSWORD, MIN_PASSWORD

YEAR = 365 * 24 * 3600


def home_of(viewer: ViewerDep, suspended: Collection[UUID] = ()) -> str:
    """Consultancy people (and anyone with several tenants) land on the portfolio, and so
    does anyone one of whose own companies is `suspended` (it says so there, beside the
    companies they may open)."""
    tenants = sorted(viewer.tenant_ids)
    if viewer.consultancy_roles or viewer.is_platform_admin or len(tenants) != 1 or suspended:
        return "/portfolio"
    return f"/t/{tenants[0]}"


def client_ip(request: Request[Any, Any, Any]) -> str:
    host = request.client.host if request.client else ""
    try:
        return str(ip_address(host))
    except ValueError:
        return "127.0.0.1"


def held_back(locale: LocaleDep, error: RateLimitedError) -> str:
    """What a password check the sign-in limits hold back is told (a sign-in's, a change
    of one's own password's): a second's wait while others of the account or address are
    checked, nothing having failed; else too many failures, and for how long (in minutes
    from one on, rounded up: a quarter of an hour read "900 seconds")."""
    if isinstance(error, SignInBeingCheckedError):
        return locale.t("sign_in.being_checked")
    seconds = error.retry_after
    if seconds < 60:
        return locale.t("sign_in.rate_limited" + ("_one" if seconds == 1 else ""), seconds=seconds)
    minutes = math.ceil(seconds / 60)
    return locale.t(
        "sign_in.rate_limited_minutes" + ("_one" if minutes == 1 else ""), minutes=minutes
    )


async def landing(portal: PortalDep, viewer: ViewerDep) -> str:
    """Where a signed-in person lands (home_of, with their suspended companies)."""
    return home_of(viewer, await suspended_tenants(portal.system.pool, viewer.id))


async def signed_in_anew(
    request: Request[Any, Any, Any],
    portal: PortalDep,
    user_id: UUID,
    epoch: int,
    path: str,
    notice: str,
) -> Redirect:
    """A password just set: this browser's session (if any) ends on the server too, and a
    new one of the person's (in their session `epoch`, the password's) takes them to
    `path`, where a `notice` says what was done."""
    previous = portal.signer.read(request.cookies.get(SESSION_COOKIE))
    if previous is not None:
        await end_session(portal.system.pool, previous)
    cookie, _ = portal.signer.issue(user_id, epoch)
    ttl = int(portal.signer.ttl.total_seconds())
    return Redirect(
        path=path,
        status_code=303,
        cookies=[
            portal.pages.cookie(SESSION_COOKIE, cookie, max_age=ttl),
            portal.pages.cookie(NOTICE_COOKIE, notice, max_age=60),
        ],
    )


NO_STORE = {"Cache-Control": "no-store"}
"""A page that holds a password link: no cache keeps it."""
LINK_COOKIE = "okr_password_link"
"""The token of the password link opened in this browser, sent to /welcome alone."""
LINK_HOURS = 24
"""How long a link opened stays in its cookie (the link itself may work longer: opened
again, it is taken again)."""


def _link_cookie(portal: PortalDep, token: str) -> Cookie:
    """The cookie that keeps a password link's token for its page (empty: forget it)."""
    return portal.pages.cookie(
        LINK_COOKIE, token, max_age=LINK_HOURS * 3600 if token else 0, path="/welcome"
    )


class SessionController(Controller):
    """/, /sign-in, /sign-out, /lang/{code}, /welcome (an invited person's first password)."""

    @get("/", name="portal:home")
    async def home(self, portal: PortalDep, viewer_or_none: MaybeViewerDep) -> Redirect:
        if viewer_or_none is None:
            return Redirect(path="/sign-in", status_code=303)
        return Redirect(path=await landing(portal, viewer_or_none), status_code=303)

    @get("/sign-in", name="portal:sign-in")
    async def sign_in_page(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer_or_none: MaybeViewerDep,
        next_page: Annotated[str | None, QueryParameter(name="next")] = None,
        signed_out: FromQuery[bool] = False,
    ) -> Response[Any]:
        if viewer_or_none is not None:
            home = await landing(portal, viewer_or_none)
            return Redirect(path=safe_next(next_page, home), status_code=303)
        return portal.pages.render(
            request, "sign_in.html", locale=locale, email="", errors={},
            next_page=next_page or "", signed_out=signed_out,
        )  # fmt: skip

    @post("/sign-in", name="portal:sign-in-submit", opt={BROWSER_TOKEN: True})
    async def sign_in(
        self, request: Request[Any, Any, Any], portal: PortalDep, locale: LocaleDep, form: FormDep
    ) -> Response[Any]:
        email, password = form.get("email", "").strip(), form.get("password", "")
        errors = {}
        if not email:
            errors["email"] = locale.t("sign_in.email_required")
        if not password:
            errors["password"] = locale.t("sign_in.password_required")
        status = 422
        if not errors:
            errors, status, checked = await self._check(portal, locale, email, password, request)
            if checked is not None:
                user, epoch = checked
                cookie, _ = portal.signer.issue(user.id, epoch)
                ttl = int(portal.signer.ttl.total_seconds())
                return Redirect(
                    path=safe_next(form.get("next")),
                    status_code=303,
                    cookies=[portal.pages.cookie(SESSION_COOKIE, cookie, max_age=ttl)],
                )
        return portal.pages.render(
            request, "sign_in.html", locale=locale, status=status, email=email, errors=errors,
            next_page=form.get("next", ""), signed_out=False,
        )  # fmt: skip

    @get("/welcome", name="portal:welcome")
    async def welcome_page(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer_or_none: MaybeViewerDep,
        token: FromQuery[str] = "",
    ) -> Response[Any]:
        """Where an invited person chooses their password, with the link made for them, and
        sees the email they will sign in with. A link that no longer works says so at once;
        opened again by whoever used it (signed in), it leads home. The link's token is
        taken out of the URL at once: kept in a cookie of this page alone (LINK_COOKIE), the
        browser is sent to /welcome, so no later URL, Referer, history entry or log of a
        request after the first holds it."""
        if token:  # (text that cannot be a link's is not kept: the page says it fails)
            return Redirect(
                path="/welcome",
                status_code=303,
                headers={**NO_STORE, "Referrer-Policy": "no-referrer"},
                cookies=[_link_cookie(portal, token if looks_like_a_link(token) else "")],
            )
        token = request.cookies.get(LINK_COOKIE, "")
        email = await link_email(portal.system.pool, token)
        if email is None and viewer_or_none is not None:
            return Redirect(path="/", status_code=303)
        return self._welcome(request, portal, locale, email, {}, viewer_or_none)

    @post("/welcome", name="portal:welcome-submit", opt={BROWSER_TOKEN: True})
    async def welcome(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        form: FormDep,
        viewer_or_none: MaybeViewerDep,
    ) -> Response[Any]:
        """Set the password (typed twice) and sign in: home, like a sign-in, where a notice
        says it was saved (a session of someone else's in this browser ends, on the server
        too)."""
        token = form.get("token") or request.cookies.get(LINK_COOKIE, "")
        password = form.get("password", "")
        errors: dict[str, str] = {}
        if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            errors["password"] = locale.t("welcome.weak", min=MIN_PASSWORD, max=MAX_PASSWORD)
        if password != form.get("again", ""):
            errors["again"] = locale.t("welcome.mismatch")
        if not errors:
            try:
                user_id = await set_password_with_link(portal.system.pool, token, password)
            except WeakPasswordError:
                errors["password"] = locale.t("welcome.weak", min=MIN_PASSWORD, max=MAX_PASSWORD)
            except InvalidPasswordLinkError:
                pass  # the page says the link no longer works
            else:
                epoch = await session_epoch(portal.system.pool, user_id)
                done = await signed_in_anew(request, portal, user_id, epoch, "/", "password_saved")
                done.cookies.append(_link_cookie(portal, ""))  # spent: forgotten
                return done
        email = await link_email(portal.system.pool, token)
        return self._welcome(request, portal, locale, email, errors, viewer_or_none, 422)

    @staticmethod
    def _welcome(
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        email: str | None,
        errors: dict[str, str],
        viewer: Principal | None,
        status: int = 200,
    ) -> Response[Any]:
        """The page of a link: its form, or (no email: the link no longer works) a 404; a
        person signed in here is told whose account the link is for."""
        return portal.pages.render(
            request, "welcome.html", locale=locale, email=email, errors=errors,
            viewer=viewer, status=status if email is not None else 404, headers=NO_STORE,
        )  # fmt: skip

    @staticmethod
    async def _check(
        portal: PortalDep,
        locale: LocaleDep,
        email: str,
        password: str,
        request: Request[Any, Any, Any],
    ) -> tuple[dict[str, str], int, tuple[User, int] | None]:
        ip = client_ip(request)
        try:
            attempt = await portal.limiter.attempt(email, ip)
        except RateLimitedError as e:
            return {"form": held_back(locale, e)}, 429, None
        checked = await check_password(portal.system.pool, email, password)
        if checked is None:
            await portal.limiter.failed(attempt)
            return {"form": locale.t("sign_in.wrong")}, 401, None
        await portal.limiter.succeeded(attempt)
        return {}, 303, checked  # the session carries the epoch the password was checked in

    @post("/sign-out", name="portal:sign-out")
    async def sign_out(
        self, form: FormDep, portal: PortalDep, request: Request[Any, Any, Any]
    ) -> Redirect:
        """End the session on the server too: a copy of its cookie no longer signs in."""
        session = portal.signer.read(request.cookies.get(SESSION_COOKIE))
        if session is not None:
            await end_session(portal.system.pool, session)
        response = Redirect(path="/sign-in?signed_out=1", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @get("/lang/{code:str}", name="portal:language")
    async def language(
        self,
        portal: PortalDep,
        code: FromPath[str],
        next_page: Annotated[str | None, QueryParameter(name="next")] = None,
    ) -> Redirect:
        """Switch language and remember it for a year; back to the page it came from."""
        cookies = []
        if code in LANGUAGES:
            cookies.append(portal.pages.cookie(LANG_COOKIE, code, max_age=YEAR))
        return Redirect(path=safe_next(next_page), status_code=303, cookies=cookies)
