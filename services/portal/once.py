"""A password link or an API key just made, shown once on the page its form lands on.

The form's answer is a redirect that carries it in a cookie (sealed, bound to its maker and
to the company or consultancy it was made in, two minutes, for that page's path only): a
reload of the page makes nothing again, and shows it no more (answered on the POST itself,
a reload re-sent the form: another key, or a new link that voided the one on screen).
"""

from __future__ import annotations

import time
from typing import Any, NamedTuple
from uuid import UUID

from litestar import Request, Response
from litestar.datastructures import Cookie
from litestar.response import Redirect

from services.portal.portal import Portal
from services.portal.sessions import b64url, from_b64url
from tenants.principal import Principal

ONCE_COOKIE = "okr_once"
ONCE_SECONDS = 120


class Shown(NamedTuple):
    """A password link or an API key, shown once."""

    kind: str
    """"link" or "key"."""
    text: str


def show_once(portal: Portal, viewer: Principal, page: str, scope: UUID, shown: Shown) -> Redirect:
    """The page at path `page` (of the company or consultancy `scope`), to show this once."""
    expires = int(time.time()) + ONCE_SECONDS
    text = ".".join((shown.kind, viewer.id.hex, scope.hex, str(expires),
                     b64url(shown.text.encode())))  # fmt: skip
    sealed = portal.signer.seal("once", text)
    response = Redirect(path=f"{page}?shown={shown.kind}", status_code=303)
    response.cookies.append(once_cookie(portal, page, sealed, max_age=ONCE_SECONDS))
    return response


def shown_once(
    request: Request[Any, Any, Any], portal: Portal, viewer: Principal, scope: UUID
) -> Shown | None:
    """The link or key the page was sent to show, if its maker is looking, in time."""
    text = portal.signer.unseal("once", request.cookies.get(ONCE_COOKIE))
    try:
        kind, maker, scope_hex, expires, secret = (text or "").split(".")
        if (maker, scope_hex) != (viewer.id.hex, scope.hex) or int(expires) < time.time():
            return None
        return Shown(kind, from_b64url(secret).decode())
    except ValueError:
        return None


def forget_once(
    request: Request[Any, Any, Any], portal: Portal, page: str, response: Response[Any]
) -> None:
    """Read once: the cookie goes with the page that showed it (or was sent to)."""
    if request.cookies.get(ONCE_COOKIE):
        response.cookies.append(once_cookie(portal, page, "", max_age=0))


def once_cookie(portal: Portal, page: str, value: str, *, max_age: int) -> Cookie:
    return portal.pages.cookie(ONCE_COOKIE, value, max_age=max_age, path=page, samesite="strict")
