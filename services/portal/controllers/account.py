"""/account: who is signed in, and changing their own password.

A person gives the password they have and a new one, twice. Whoever knew the old one is
signed out everywhere (tenants.auth.change_own_password); this browser gets a new session.
A wrong current password counts as a failed sign-in: the same limits hold it. A refusal is
said beside its field, and changes nothing.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post

from services.portal.controllers.session import client_ip, held_back, signed_in_anew
from services.portal.dependencies import FormDep, LocaleDep, PortalDep, ViewerDep
from tenants.auth import change_own_password
from tenants.errors import RateLimitedError, WeakPasswordError, WrongPasswordError
from tenants.users import user_email
from tenants.validation import MAX_PASSWORD, MIN_PASSWORD


class AccountController(Controller):
    """The signed-in person's own account."""

    path = "/account"

    @get("/", name="portal:account")
    async def show(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
    ) -> Response[Any]:
        return await _page(request, portal, locale, viewer, {})

    @post("/password", name="portal:password-change")
    async def change_password(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        form: FormDep,
    ) -> Response[Any]:
        """Change it, and stay signed in here: back to the page, which says it is done."""
        current, new = form.get("current", ""), form.get("new", "")
        errors: dict[str, str] = {}
        if not current:
            errors["current"] = locale.t("sign_in.password_required")
        if new != form.get("again", ""):
            errors["again"] = locale.t("welcome.mismatch")
        status = 422
        if not errors:
            try:
                epoch = await change_own_password(
                    portal.system.pool, portal.limiter, viewer.id, current, new,
                    client_ip(request),
                )  # fmt: skip
            except WrongPasswordError:
                errors["current"] = locale.t("account.wrong_current")
            except WeakPasswordError as e:
                errors["new"] = (
                    locale.t("account.unchanged")
                    if e.rule == "unchanged"
                    else locale.t("welcome.weak", min=MIN_PASSWORD, max=MAX_PASSWORD)
                )
            except RateLimitedError as e:
                errors["form"] = held_back(locale, e)
                status = 429
            else:
                return await signed_in_anew(
                    request, portal, viewer.id, epoch, "/account", "password_changed"
                )
        return await _page(request, portal, locale, viewer, errors, status)


async def _page(
    request: Request[Any, Any, Any],
    portal: PortalDep,
    locale: LocaleDep,
    viewer: ViewerDep,
    errors: dict[str, str],
    status: int = 200,
) -> Response[Any]:
    return portal.pages.render(
        request, "account.html", locale=locale, viewer=viewer, errors=errors, status=status,
        email=await user_email(portal.system.pool, viewer.id),
    )  # fmt: skip
