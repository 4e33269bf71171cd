"""/t/{tenant_id}/kpis/{kpi_id}: a KPI's own page, and its forms (the API's commands):
change its name, owner and frequency, move its thresholds, correct a measurement, feed a
key result or stop feeding one, retire it.

A form that fails comes back open on the page, with what was typed and, beside each field
at fault, why; nothing is recorded. Its own checks (a blank, a number that does not read, a
choice the page did not offer) are said all at once; the domain's rules then, one at a time,
in the reader's words (key_results.domain_message). A form the page no longer offers (the
KPI retired meanwhile) says its refusal at the top.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect

from domain import values
from domain.errors import DomainError
from domain.values import Direction
from projections.progress_state import KPIView, ProgressView
from services.app import Context
from services.app.base import ChangedMeanwhileError, Written
from services.i18n import Locale
from services.instants import end_of
from services.portal.controllers.key_results import changed_fields, not_yet_page
from services.portal.controllers.planning import far_off_kpi, offered_people, said_far_off
from services.portal.dependencies import (
    Form,
    FormDep,
    LocaleDep,
    PortalDep,
    TenantDep,
    ViewerDep,
    parse_id,
)
from services.portal.errors import ForbiddenError, PageNotFoundError
from services.portal.kpi_page import FORMS, fed_key_results, feedable, kpi_page
from services.portal.planning import Planned, a_name, typed
from services.portal.portal import Portal
from services.portal.views import day_note, parse_day
from services.read import progress_state, state_as_of
from services.store.event_store import ConcurrencyError
from tenants.models import Tenant
from tenants.principal import Principal

Command = Callable[[], Awaitable[Written]]
EDIT_FIELDS = ("name", "owner", "frequency_days", "was_name", "was_owner", "was_frequency_days")


@dataclass(frozen=True)
class Acting:
    """Who acts on which KPI, and the tenant's state the page showed."""

    portal: Portal
    viewer: Principal
    tenant: Tenant
    state: ProgressView
    kpi: KPIView

    @property
    def ctx(self) -> Context:
        return Context(self.tenant.id, self.viewer.actor)


async def _edit(a: Acting, p: Planned) -> Command | None:
    """Its name, owner and frequency: those changed from what the form showed (`was_…`),
    only (a form left open puts back nothing changed since)."""
    p.text("name", a_name)
    if p.typed["owner"] != a.kpi.owner:  # (one who left keeps it, unchanged)
        p.choice("owner", await offered_people(a.portal, a.tenant))
    given = {"name": p.typed["name"], "owner": p.typed["owner"], "frequency_days": p.days(
        "frequency_days"
    )}  # fmt: skip
    changed = changed_fields(p.typed, given, p.typed)
    if not p.errors and not changed:
        p.errors["form"] = p.locale.t("edit.nothing")
    if p.errors:
        return None
    return lambda: a.portal.app.kpis.edit(a.ctx, a.kpi.kpi_id, **changed)


async def _thresholds(a: Acting, p: Planned) -> Command | None:
    green, red = p.number("green"), p.number("red")
    reason = p.text("reason", values.reason)
    if green is None or red is None or p.errors:
        return None
    if _moved(p, "was_green", a.kpi.green) or _moved(p, "was_red", a.kpi.red):
        p.errors["form"] = p.locale.t("error.changed_meanwhile")  # the page shows them now
    elif (green, red) == (a.kpi.green, a.kpi.red):
        p.errors["form"] = p.locale.t("edit.nothing")
    if p.errors:
        return None
    green_shown, red_shown = p.shown("was_green"), p.shown("was_red")
    shown = None if green_shown is None or red_shown is None else (green_shown, red_shown)
    return lambda: a.portal.app.kpis.change_thresholds(
        a.ctx, a.kpi.kpi_id, green=green, red=red, reason=reason, shown=shown
    )


async def _direction(a: Acting, p: Planned) -> Command | None:
    """Which way is better, turned, with thresholds ordered for it and a reason."""
    direction = p.choice("direction", [d.value for d in Direction if d.value != a.kpi.direction])
    green, red = p.number("green"), p.number("red")
    reason = p.text("reason", values.reason)
    if _moved(p, "was_direction", a.kpi.direction):
        p.errors["form"] = p.locale.t("error.changed_meanwhile")
    if green is None or red is None or p.errors:
        return None
    shown = p.typed["was_direction"] or None
    return lambda: a.portal.app.kpis.change_direction(
        a.ctx, a.kpi.kpi_id, direction=direction, green=green, red=red, reason=reason,
        shown=shown,
    )  # fmt: skip


def _moved(p: Planned, shown: str, now: object) -> bool:
    """Whether what the form showed (`shown`, a was_ field: given by the page's form only)
    changed meanwhile as the page's view says: a form left open must not undo another's
    change unseen (the command checks it again on the item itself: see Planned.shown)."""
    return bool(p.typed[shown]) and p.typed[shown] != str(now)


async def _correct(a: Acting, p: Planned) -> Command | None:
    wanted = parse_id(p.at)
    measured = next((m for m in a.kpi.measurements if m.measurement_id == wanted), None)
    if measured is None:
        raise PageNotFoundError
    value = p.number("value")
    if _moved(p, "was_value", measured.value):
        p.errors["form"] = p.locale.t("error.changed_meanwhile")
    if not p.typed["reason"]:
        p.errors["reason"] = p.locale.t("correction.reason_missing")
    p.optional("reason", values.reason)
    p.optional("note", values.note)
    if value is None or p.errors:
        return None
    said = said_far_off(p.locale, "kpi_page.far_off", a.kpi, value)
    if p.asked_first(value, far_off_kpi(a.kpi, value), said):  # a slip? asked once
        return None
    note = None if p.typed["note"] == p.typed["was_note"] else p.typed["note"]  # (as shown:
    # kept as it is now, a form left open puts back no note changed since)
    return lambda: a.portal.app.kpis.correct_measurement(
        a.ctx, a.kpi.kpi_id, measurement_id=wanted, value=value, note=note,
        reason=p.typed["reason"], shown=p.shown("was_value"),
    )  # fmt: skip


async def _feed(a: Acting, p: Planned) -> Command | None:
    if not p.text("key_result"):
        return None
    chosen = p.choice("key_result", [kr_id for kr_id, _ in feedable(a.state, a.kpi, p.locale)])
    if p.errors:
        return None
    return lambda: a.portal.app.key_results.link_kpi(a.ctx, UUID(chosen), kpi_id=a.kpi.kpi_id)


async def _unfeed(a: Acting, p: Planned) -> Command | None:
    fed = {str(f.kr.key_result_id) for f in fed_key_results(a.state, a.kpi)}
    if p.at not in fed:  # (stopped meanwhile, or a hand-made POST)
        p.errors["form"] = p.locale.t("kpi_page.not_fed")
        return None
    return lambda: a.portal.app.key_results.unlink_kpi(a.ctx, UUID(p.at))


async def _archive(a: Acting, p: Planned) -> Command | None:
    if not p.typed["reason"]:
        p.errors["reason"] = p.locale.t("kpi_page.archive_reason_missing")
        return None
    return lambda: a.portal.app.kpis.archive(a.ctx, a.kpi.kpi_id, reason=p.typed["reason"])


@dataclass(frozen=True)
class Action:
    """A form of the page: its fields, whether it acts on a measurement or a key result
    (`at`), what it reads into a command, and what the page says once done."""

    fields: tuple[str, ...]
    read: Callable[[Acting, Planned], Awaitable[Command | None]]
    done: str
    at: bool = False


ACTIONS = {
    "edit": Action(EDIT_FIELDS, _edit, "edited"),
    "thresholds": Action(("green", "red", "reason", "was_green", "was_red"), _thresholds,
                         "thresholds"),
    "direction": Action(("direction", "green", "red", "reason", "was_direction"), _direction,
                        "turned"),
    "correct": Action(("value", "note", "reason", "confirm", "was_value", "was_note"),
                      _correct, "corrected", at=True),
    "feed": Action(("key_result",), _feed, "fed"),
    "unfeed": Action((), _unfeed, "unfed", at=True),
    "archive": Action(("reason",), _archive, "archived"),
}  # fmt: skip
DONE = {action.done: f"kpi_page.done.{action.done}" for action in ACTIONS.values()}
"""What the page says once a form did its work (?done=), by what."""


class KpiController(Controller):
    """/t/{tenant_id}/kpis/{kpi_id}: one KPI."""

    path = "/t/{tenant_id:str}/kpis/{kpi_id:str}"

    @get("/", name="portal:kpi")
    async def show(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        kpi_id: FromPath[str],
        done: FromQuery[str | None] = None,
        day: Annotated[str | None, QueryParameter(name="date")] = None,
        correct: FromQuery[str | None] = None,
    ) -> Response[Any]:
        """Today's page; with ?date=, the KPI as it stood that day (as the dashboard as of a
        day shows it). One made later is not found, and says so. With ?correct=, the
        correction form of that measurement open (see views.CORRECTION_FORMS)."""
        chosen = parse_day(day)
        note = day_note(locale, day, portal.today(tenant))  # a day not shown as asked: said
        if chosen is None:
            state, kpi = await _found(portal, tenant, kpi_id)
            said = locale.t(DONE[done]) if done in DONE else None
            return await kpi_page(
                request, portal, locale, viewer, tenant, state, kpi, said=said, asked=correct,
                date_note=note,
            )  # fmt: skip
        chosen = min(chosen, portal.today(tenant))
        then = await state_as_of(
            portal.system.repository, tenant.id, recorded_at=end_of(chosen, tenant.zone)
        )
        known = then.kpis.get(parse_id(kpi_id))
        if known is None:  # made since (else, not there today either: the 404 page)
            await _found(portal, tenant, kpi_id)
            link = f"/t/{tenant.id}/kpis/{parse_id(kpi_id)}"
            return not_yet_page(
                request, portal, locale, viewer, tenant, "not_yet_kpi", chosen, link
            )
        return await kpi_page(
            request, portal, locale, viewer, tenant, then, known, as_of=chosen, date_note=note
        )

    @post("/{action:str}", name="portal:kpi-action")
    async def act(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        kpi_id: FromPath[str],
        action: FromPath[str],
        form: FormDep,
    ) -> Response[Any]:
        """Edit, move the thresholds, feed a key result, retire the KPI."""
        return await _acted(request, portal, locale, viewer, tenant, kpi_id, action, "", form)

    @post("/{action:str}/{at:str}", name="portal:kpi-action-at")
    async def act_at(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        kpi_id: FromPath[str],
        action: FromPath[str],
        at: FromPath[str],
        form: FormDep,
    ) -> Response[Any]:
        """Correct a measurement (`at`: its id); stop feeding a key result (`at`: its id)."""
        return await _acted(request, portal, locale, viewer, tenant, kpi_id, action, at, form)


async def _found(portal: Portal, tenant: Tenant, kpi_id: str) -> tuple[ProgressView, KPIView]:
    """The tenant's state and the KPI (else the 404 page)."""
    state = await progress_state(portal.system.pool, tenant.id)
    kpi = state.kpis.get(parse_id(kpi_id))
    if kpi is None:
        raise PageNotFoundError
    return state, kpi


async def _acted(
    request: Request[Any, Any, Any],
    portal: Portal,
    locale: Locale,
    viewer: Principal,
    tenant: Tenant,
    kpi_id: str,
    name: str,
    at: str,
    form: Form,
) -> Response[Any]:
    """Run a form's command, for a viewer who may (else the 403 page); once the page shows
    what it wrote, the redirect to it (303). Refused, the page again (422) saying why."""
    action = ACTIONS.get(name)
    if action is None or action.at != bool(at):
        raise PageNotFoundError
    if not viewer.can(tenant.id, FORMS[name]):
        raise ForbiddenError
    state, kpi = await _found(portal, tenant, kpi_id)
    fields = typed(form, action.fields)
    planned = Planned(name, str(parse_id(at)) if at else "", fields, locale, unit=kpi)
    acting = Acting(portal, viewer, tenant, state, kpi)
    command = None
    if kpi.archived:  # its forms are gone (retired meanwhile): why, at the top
        planned.errors = {"form": locale.t("error.kpi_id.archived")}
    else:
        command = await action.read(acting, planned)
    if command is not None and not planned.errors:
        try:
            written = await command()
        except (DomainError, ConcurrencyError) as error:
            planned.refused(error)
            if isinstance(error, ChangedMeanwhileError):
                await portal.caught_up(tenant.id)
        else:
            await portal.shows(tenant.id, written.position)
            where = f"/t/{tenant.id}/kpis/{kpi.kpi_id}?done={action.done}"
            return Redirect(path=where, status_code=303)
    state, kpi = await _found(portal, tenant, kpi_id)  # as it stands now (changed meanwhile?)
    return await kpi_page(
        request, portal, locale, viewer, tenant, state, kpi, planned=planned, status=422
    )
