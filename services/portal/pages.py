"""Rendering: the Jinja environment, the context every page shares, and the error pages."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import structlog
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Request, Response
from litestar.datastructures import Cookie
from markupsafe import escape

from projections.history_text import said_reason
from services.i18n import LANG_COOKIE, Locale, chosen_language, negotiate
from services.portal.sessions import (
    CAME_FROM,
    CAME_FROM_FIELD,
    CSRF_COOKIE,
    CSRF_FIELD,
    NOTICE_COOKIE,
    NOTICES,
    SESSION_COOKIE,
    SUBMISSION_FIELD,
    SUBMITTED,
    Signer,
)
from services.portal.views import day_problem, day_said, progress_width
from tenants.principal import Principal
from tenants.roles import Permission
from tenants.validation import MAX_CADENCE_DAYS

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
STATIC_PATH = "/static/portal"
HTML = "text/html"  # Litestar adds "; charset=utf-8" to a text type

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline';"
        " script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


log = structlog.get_logger("okr.portal")

TENANT_READ = "okr.portal.tenant"
"""Where a request keeps the tenant of its URL once read (one its viewer holds a role in)."""


def locale_of(request: Request[Any, Any, Any], fallback: str | None = None) -> Locale:
    """The request's language: its cookie, its Accept-Language, else ``fallback``."""
    return Locale(
        negotiate(
            request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"), fallback
        )
    )


def language_chosen(request: Request[Any, Any, Any]) -> bool:
    """Whether the request says a language of ours (its cookie, its Accept-Language)."""
    cookie, accepted = request.cookies.get(LANG_COOKIE), request.headers.get("accept-language")
    return chosen_language(cookie, accepted) is not None


def decimal_or_none(text: str | None) -> Decimal | None:
    """A number kept as text in the log (history parameters), or None."""
    try:
        return None if text is None else Decimal(text)
    except InvalidOperation:
        return None


def _luminance(colour: str) -> float:
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def brand(colour: str | None) -> dict[str, str]:
    """The tenant's colour and the text colour (white or black) readable on it: on any
    colour one of them reads at 4.58:1 or more (WCAG AA), where a near-black did not."""
    if not colour or len(colour) != 7 or not colour.startswith("#"):
        colour = "#1f6f8b"
    light = _luminance(colour)
    on_white = 1.05 / (light + 0.05)
    on_black = (light + 0.05) / 0.05
    return {"bg": colour, "fg": "#ffffff" if on_white >= on_black else "#000000"}


@cache
def templates() -> Environment:
    """The portal's templates, one environment for the process: each is compiled once,
    whichever Pages renders it (the app's 404 page had an environment of its own, and
    compiled base.html again)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static"] = STATIC_PATH
    env.globals["width"] = progress_width
    env.globals["dec"] = decimal_or_none
    env.globals["day_problem"] = day_problem
    env.globals["day_said"] = day_said
    env.globals["said_reason"] = said_reason
    env.globals["cadence_max"] = MAX_CADENCE_DAYS
    return env


async def compile_templates(env: Environment) -> None:
    """Compile every template of `env` into its cache: a page's first showing after a start
    compiled its templates then, 300-800 ms of a first dashboard or KPI page (all 26 take
    about 0.6 s). One at a time, the requests that come meanwhile answered between two (10
    to 110 ms each). One that does not compile is logged, by name, and the others go on:
    its page fails when shown, as it did."""
    started = time.perf_counter()
    names = env.list_templates()
    for name in names:
        try:
            env.get_template(name)
        except Exception as error:  # said now, and again by its page
            log.error("portal.template_broken", template=name, error=repr(error))
        await asyncio.sleep(0)
    ms = round((time.perf_counter() - started) * 1000)
    log.info("portal.templates_compiled", templates=len(names), ms=ms)


class Pages:
    """Renders templates into HTML responses with the shared context and headers."""

    def __init__(self, signer: Signer, *, secure_cookies: bool = False) -> None:
        self.signer = signer
        self.secure_cookies = secure_cookies
        self.env = templates()

    def render(
        self,
        request: Request[Any, Any, Any],
        template: str,
        *,
        locale: Locale,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        cookies: list[Cookie] | None = None,
        **context: Any,
    ) -> Response[str]:
        """An HTML page (its forms' CSRF token the session's, see sessions); a CSRF nonce
        cookie is set for browsers that have none yet, and a
        notice left for the signed-in person (NOTICE_COOKIE) is shown and cleared."""
        nonce = request.cookies.get(CSRF_COOKIE)
        new_cookies = list(cookies or [])
        if not nonce:
            nonce = self.signer.new_nonce()
            new_cookies.append(self.cookie(CSRF_COOKIE, nonce, max_age=None))
        here = page_here(request)
        for name in ("viewer", "tenant"):
            context.setdefault(name, None)
        context.setdefault("section", "")
        tenant, viewer = context["tenant"], context["viewer"]
        notice = request.cookies.get(NOTICE_COOKIE)
        context["notice"] = notice if notice in NOTICES and viewer is not None else None
        if context["notice"]:  # said once
            new_cookies.append(self.cookie(NOTICE_COOKIE, "", max_age=0))
        context.setdefault(  # the nav's people link, on every page of a tenant
            "can_manage",
            tenant is not None
            and viewer is not None
            and (
                viewer.can(tenant.id, Permission.MANAGE_USERS)
                or viewer.can(tenant.id, Permission.MANAGE_API_KEYS)
            ),
        )
        context.setdefault(  # the nav's audit link, on every page of a tenant
            "can_audit",
            tenant is not None
            and viewer is not None
            and viewer.can(tenant.id, Permission.READ_AUDIT),
        )
        html = self.env.get_template(template).render(
            L=locale if tenant is None else locale.in_zone(tenant.zone),  # its times, its zone
            csrf_field=CSRF_FIELD,
            csrf_token=self.signer.csrf_token(
                nonce, self.signer.session_nonce(request.cookies.get(SESSION_COOKIE))
            ),
            here=here,
            brand=brand(tenant.colour if tenant is not None else None),
            **context,
        )
        return Response(
            _with_hidden_fields(html, _submission(request), here),
            status_code=status,
            media_type=HTML,
            headers={**SECURITY_HEADERS, **(headers or {})},
            cookies=new_cookies,
        )

    def cookie(
        self,
        key: str,
        value: str,
        *,
        max_age: int | None,
        path: str = "/",
        samesite: Literal["lax", "strict"] = "lax",
    ) -> Cookie:
        """A first-party cookie: HttpOnly, SameSite=Lax (or Strict), the whole site (or
        `path`), Secure if told."""
        return Cookie(
            key=key, value=value, max_age=max_age, expires=max_age, path=path, httponly=True,
            samesite=samesite, secure=self.secure_cookies,
        )  # fmt: skip

    def error(
        self,
        request: Request[Any, Any, Any],
        status: int,
        *,
        reason: str | None = None,
        headers: Mapping[str, str] | None = None,
        bad: Mapping[str, str] | None = None,
        name: str | None = None,
        viewer: Principal | None = None,
    ) -> Response[str]:
        """The error page of a status (404, 403, 503, 500...) in the request's language (on a
        company's page, the company's for whoever has not chosen one, as its other pages);
        `reason`: a text of its own ("csrf", "suspended": the tenant `name` is); `bad`: the
        query's fields at fault, and what was given in each."""
        known = (
            status
            if status in (400, 403, 404, 405, 409, 413, 503)
            else 400
            if status < 500
            else 500
        )
        return self.render(
            request, "error.html", locale=locale_of(request, _tenant_language(request)),
            status=status, headers=headers,
            code=known, reason=reason, bad=bad or {}, name=name, viewer=viewer,
        )  # fmt: skip


def _tenant_language(request: Request[Any, Any, Any]) -> str | None:
    """The language of the company the request has read (TENANT_READ), if it has one."""
    tenant = request.scope.get("state", {}).get(TENANT_READ)
    return None if tenant is None else str(tenant.locale)


_POST_FORM = re.compile(r"<form\b[^>]*\bmethod=[\"']?post\b[^>]*>", re.IGNORECASE)


def _submission(request: Request[Any, Any, Any]) -> str:
    """The id of the page's forms: a new one, or for a form re-shown after a refusal, the
    one it was sent with (a refusal recorded nothing: sent again, fixed, it runs)."""
    sent = request.scope.get("state", {}).get(SUBMITTED)
    return sent if request.method == "POST" and sent else Signer.new_submission()


def _with_hidden_fields(html: str, submission: str, here: str) -> str:
    """Every POST form of the page with the one-time submission id (see
    services.portal.submissions) and the page it is on (see page_here), put here so that no
    form can be without them."""
    fields = (
        f'<input type="hidden" name="{SUBMISSION_FIELD}" value="{submission}">'
        f'<input type="hidden" name="{CAME_FROM_FIELD}" value="{escape(here)}">'
    )
    return _POST_FORM.sub(lambda tag: tag.group(0) + fields, html)


def page_here(request: Request[Any, Any, Any]) -> str:
    """The page to come back to (the language switch's `next`, and the sign-in's of a
    form sent once its session had ended): this one, or for a form, the page the form was
    on (the form's own URL answers a POST only: going back to it led to a 405): as the
    form says (refused twice, the page it was sent from is the form's URL), else as the
    browser does, else the start page."""
    if request.method == "GET":
        return request.url.path + (f"?{request.url.query}" if request.url.query else "")
    said = safe_next(request.scope.get("state", {}).get(CAME_FROM), "")
    if said:
        return said
    came = urlsplit(request.headers.get("referer", ""))
    if came.netloc == request.url.netloc and came.path.startswith("/"):
        return came.path + (f"?{came.query}" if came.query else "")
    return "/"


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go back to (after signing in, after switching language), never
    another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
