"""The consultancy's clients in the portal: a new client company, and each one's settings.

- A consultancy admin makes a new client from the portfolio: its name, colour, fiscal year,
  check-in cadence, language and whether its events are encrypted with a key of its own
  (what `POST /consultancies/{id}/tenants` takes; its settings page says which); a name
  another of its clients has is said beside the name (directory.refuse_taken_name). Its slug is
  made from the name, the next free one when another client has it, as the API makes one
  not given (tenants.validation.slugs_for). The
  form carries the new company's id, made with the page: sent twice (a double click, a
  resubmit), the second lands on the company the first made, and makes no other.
- Whoever manages a company's people (its admin, the consultancy's admins) changes its
  settings, saying why if they like; the change is recorded in its log as the API's is.
- A consultancy admin suspends a client (its people and keys lose access at once, its data
  stays) and reactivates it, from the same page.

Every refusal is said beside its field and changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from uuid import UUID, uuid4

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from domain import values
from domain.errors import DomainError
from services.api.runtime import runtime_of
from services.app import Context
from services.i18n import Locale
from services.portal.controllers.key_results import domain_message
from services.portal.controllers.people import run_access_change
from services.portal.dependencies import FormDep, LocaleDep, PortalDep, TenantDep, ViewerDep
from services.portal.errors import ForbiddenError, PageNotFoundError
from services.portal.planning import Planned, typed
from services.portal.portal import Portal
from tenants import validation
from tenants.directory import get_consultancy, get_tenant
from tenants.errors import (
    DuplicateTenantIdError,
    TenancyError,
    UnknownTenantError,
)
from tenants.models import Tenant
from tenants.principal import Principal
from tenants.roles import Permission

SETTING_FIELDS = ("name", "colour", "fiscal_year_start_month", "check_in_cadence_days", "locale",
                  "time_zone")  # fmt: skip
CLIENT_FIELDS = (*SETTING_FIELDS, "consultancy", "id", "encrypted")
_FIELDS = {name: name for name in SETTING_FIELDS}
"""A refusal's field, the form's of the same name (the rest are the whole form's)."""
LANGUAGES = ("it", "en")


class SettingsController(Controller):
    """/t/{tenant_id}/settings: the company's settings; its suspension, for the consultancy."""

    path = "/t/{tenant_id:str}/settings"

    @get("/", name="portal:settings")
    async def show(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        done: FromQuery[str | None] = None,
    ) -> Response[Any]:
        _may_see(viewer, tenant)
        said = done if done in _DONE else None
        return _page(request, portal, locale, viewer, tenant, said=said)

    @post("/", name="portal:settings-submit")
    async def change(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        form: FormDep,
    ) -> Response[Any]:
        """Change the settings sent (the same ones record nothing), with a reason if given."""
        if not viewer.can(tenant.id, Permission.MANAGE_USERS):
            raise ForbiddenError
        planned = Planned("settings", "", typed(form, (*SETTING_FIELDS, "reason")), locale)
        given = settings_given(planned)
        reason = _reason(planned)
        if not planned.errors:
            changing = portal.app.settings.change(
                Context(tenant.id, viewer.actor), reason=reason, by=viewer, **given
            )
            done = await run_access_change(portal, planned, tenant.id, changing, _FIELDS)
            if done is not None and done[1]:  # the API's views read its zone and cadence
                runtime_of(request).forget_settings(tenant.id)  # anew (as after its PATCH)
            if done is not None:
                return _done(tenant.id, "saved" if done[1] else "unchanged")
        return _page(request, portal, locale, viewer, tenant, planned=planned, status=422)

    @post("/{action:str}", name="portal:tenant-status")
    async def set_status(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        action: FromPath[str],
        form: FormDep,
    ) -> Response[Any]:
        """Suspend the company, or reactivate it (a consultancy admin), why if given."""
        if action not in _TURNED:
            raise PageNotFoundError
        if not may_suspend(viewer, tenant):
            raise ForbiddenError
        planned = Planned(action, "", typed(form, ("reason",)), locale)
        reason = _reason(planned)
        if not planned.errors:
            turning = portal.app.access.set_status(
                Context(tenant.id, viewer.actor), suspended=action == "suspend", reason=reason
            )
            done = await run_access_change(portal, planned, tenant.id, turning, _FIELDS)
            if done is not None:
                return _done(tenant.id, _TURNED[action] if done[1] else "unchanged")
        return _page(request, portal, locale, viewer, tenant, planned=planned, status=422)


_TURNED = {"suspend": "suspended", "reactivate": "reactivated"}
_DONE = frozenset({"saved", "unchanged", *_TURNED.values()})


def creating_in(viewer: Principal) -> list[UUID]:
    """The viewer's consultancies it may make clients of."""
    return sorted(
        c for c in viewer.consultancy_roles
        if viewer.can_in_consultancy(c, Permission.CREATE_TENANTS)
    )  # fmt: skip


async def consultancies_offered(portal: Portal, viewer: Principal) -> list[tuple[str, str]]:
    """(id, name) of the consultancies a new client may be made for, by name."""
    found = [await get_consultancy(portal.system.pool, c) for c in creating_in(viewer)]
    return [(str(c.id), c.name) for c in sorted(found, key=lambda c: c.name.casefold())]


def may_suspend(viewer: Principal, tenant: Tenant) -> bool:
    return viewer.can_in_consultancy(tenant.consultancy_id, Permission.CREATE_TENANTS)


def settings_given(planned: Planned) -> dict[str, Any]:
    """The settings as typed, each checked as the directory checks it (a refusal beside its
    field): name, colour, fiscal year's first month, cadence in days, language, time zone
    (blank: not given)."""
    out: dict[str, Any] = {}
    checks: dict[str, Callable[[str], object]] = {
        "name": validation.name,
        "colour": validation.colour,
        "fiscal_year_start_month": lambda text: validation.month(_whole(text)),
        "check_in_cadence_days": lambda text: validation.cadence_days(_whole(text)),
        "locale": validation.locale,
        "time_zone": validation.time_zone,
    }
    for name, check in checks.items():
        if name == "time_zone" and not planned.typed[name]:
            continue  # (a new client's: its language's; a company's: stays)
        if not planned.text(name):
            continue
        try:
            out[name] = check(planned.typed[name])
        except TenancyError as error:
            planned.errors[name] = domain_message(planned.locale, error)
    return out


def _whole(text: str) -> int | str:
    """A whole number as typed ("14"), else the text, for the check to refuse by name (one of
    thousands of digits too: int() fails past 4,300)."""
    return int(text) if _WHOLE.fullmatch(text) else text


_WHOLE = re.compile("[0-9]{1,9}")


def _reason(planned: Planned) -> str | None:
    try:
        return values.optional_reason(planned.typed["reason"] or None)
    except DomainError as error:
        planned.errors["reason"] = domain_message(planned.locale, error)
        return None


def _ticked(planned: Planned, name: str) -> bool:
    """A checkbox: ticked ("yes") or not (blank); anything else, a hand-made form's, is said
    beside it (an encryption asked for in words the form never sends is not guessed at)."""
    value = planned.typed[name]
    if value not in ("yes", ""):
        planned.errors[name] = planned.locale.t("error.checkbox")
    return value == "yes"


def _new_id(typed_id: str) -> UUID:
    """The id the form was made with, or a new one (a hand-made form without)."""
    try:
        return UUID(typed_id)
    except ValueError:
        return uuid4()


async def create_client(
    portal: Portal, viewer: Principal, planned: Planned
) -> tuple[Tenant, int] | None:
    """The new client of the form `planned` (CLIENT_FIELDS), and the position of its
    making (0: this form made it before); None and why, beside the form's fields."""
    offered = [str(c) for c in creating_in(viewer)]
    chosen = planned.typed["consultancy"] or (offered[0] if len(offered) == 1 else "")
    if chosen not in offered:  # (one offered: the form did not show it, nor will its error)
        field = "consultancy" if len(offered) > 1 else "form"
        planned.errors[field] = planned.locale.t("client.not_offered")
    given = settings_given(planned)
    encrypted = _ticked(planned, "encrypted")
    new_id = _new_id(planned.typed["id"])
    planned.typed["id"] = str(new_id)  # sent again once right: still this company
    if planned.errors:
        return None
    consultancy, name = UUID(chosen), given.pop("name")
    try:
        return await portal.app.settings.create_tenant(
            consultancy, name, viewer.actor, tenant_id=new_id, encrypted=encrypted, **given
        )
    except DuplicateTenantIdError:
        return await _made_before(portal, consultancy, new_id, planned)
    except (TenancyError, DomainError) as error:
        planned.errors[_FIELDS.get(error.field or "", "form")] = domain_message(
            planned.locale, error
        )
        return None


async def _made_before(
    portal: Portal, consultancy: UUID, tenant_id: UUID, planned: Planned
) -> tuple[Tenant, int] | None:
    """The client this form made when it was sent before; else (an id of an erased company,
    a hand-made one) the form is to be sent anew."""
    try:
        tenant = await get_tenant(portal.system.pool, tenant_id)
    except UnknownTenantError:
        tenant = None
    if tenant is not None and tenant.consultancy_id == consultancy:
        return tenant, 0
    planned.errors["form"] = planned.locale.t("client.form_used")
    planned.typed["id"] = ""
    return None


def _done(tenant_id: UUID, said: str) -> Redirect:
    return Redirect(path=f"/t/{tenant_id}/settings?done={said}", status_code=303)


def _may_see(viewer: Principal, tenant: Tenant) -> None:
    if not (viewer.can(tenant.id, Permission.MANAGE_USERS) or may_suspend(viewer, tenant)):
        raise ForbiddenError


def month_choices(locale: Locale) -> list[tuple[str, str]]:
    return [(str(n), name) for n, name in enumerate(locale.t("months.long").split(), start=1)]


def zone_choices(current: str = "") -> list[tuple[str, str]]:
    """The zones offered (and the tenant's own, if it is one of the tz database's others)."""
    zones = validation.time_zones()
    return [(z, z) for z in ([*zones, current] if current and current not in zones else zones)]


def new_zone_choices(locale: Locale) -> list[tuple[str, str]]:
    """The new client's zones: first (blank, chosen unless another is) its language's, as
    the directory gives a tenant made with none (validation.default_time_zone), then each."""
    of_language = locale.t(
        "client.time_zone_of_language",
        it=validation.default_time_zone("it"),
        other=validation.default_time_zone("en"),
    )
    return [("", of_language), *zone_choices()]


def language_choices(locale: Locale, current: str = "") -> list[tuple[str, str]]:
    """The portal's languages (and the tenant's own, with its region, if it has one)."""
    offered = [(code, locale.t(f"client.language.{code}")) for code in LANGUAGES]
    if current and current not in LANGUAGES:
        offered.append((current, current))
    return offered


def _page(
    request: Request[Any, Any, Any],
    portal: Portal,
    locale: Locale,
    viewer: Principal,
    tenant: Tenant,
    *,
    planned: Planned | None = None,
    said: str | None = None,
    status: int = 200,
) -> Response[Any]:
    return portal.pages.render(
        request, "settings.html", locale=locale, viewer=viewer, tenant=tenant,
        section="settings", status=status, planned=planned, said=said,
        can_settings=viewer.can(tenant.id, Permission.MANAGE_USERS),
        can_suspend=may_suspend(viewer, tenant), months=month_choices(locale),
        languages=language_choices(locale, tenant.locale), zones=zone_choices(tenant.time_zone),
    )  # fmt: skip
