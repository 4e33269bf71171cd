"""A key result: its chart, its check-ins (corrections and revisions with their reasons), and
the check-in form and each check-in's correction form for those allowed to check in.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect

from domain import values
from domain.errors import DomainError, FedAgainstError
from domain.key_result import CHECK_IN_GRACE
from domain.progress import relative_target
from domain.values import LABEL_MAX, NOTE_MAX, REASON_MAX, TITLE_MAX, UnitKind
from projections.history import HistoryLine
from projections.progress_state import CycleView, KeyResultView, ProgressView
from projections.progress_tree import key_result_node
from services.app import Context
from services.app.base import Written
from services.i18n import Locale, Measured
from services.instants import after, day, end_of
from services.portal.dependencies import (
    FormDep,
    LocaleDep,
    PortalDep,
    TenantDep,
    ViewerDep,
    parse_id,
)
from services.portal.errors import ForbiddenError, PageNotFoundError
from services.portal.portal import Portal
from services.portal.views import day_note, kpi_of, kr_chart, parse_day, with_forms
from services.read import history, key_result_state, state_as_of
from services.read.people import Names
from services.store.event_store import ConcurrencyError
from tenants.errors import TenancyError
from tenants.models import Tenant
from tenants.principal import Principal
from tenants.roles import Permission
from tenants.validation import MAX_CADENCE_DAYS, MAX_NAME

FORM_FIELDS = ("value", "on", "confidence", "note")


@dataclass
class CheckInForm:
    """What the person typed, and what is wrong with it (by field; "form" for the rest)."""

    value: str = ""
    on: str = ""
    confidence: str = ""
    note: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    confirm: str = ""
    """The value the person was asked to confirm (far from start and target): sent again
    unchanged, it is recorded."""


@dataclass(frozen=True)
class CheckInInput:
    value: Decimal
    on: date
    confidence: int | None
    note: str


def _number_read(
    locale: Locale,
    text: str,
    errors: dict[str, str],
    field: str = "value",
    kind: str = "",
    unit: Measured | None = None,
) -> Decimal | None:
    """A number typed in the reader's way (a milestone's: 0 or 1; with `unit`, its words
    too: "4 ore"), or None and why, by `field` in `errors`."""
    number = measurable(locale, text, errors, field, unit)
    if number is not None and kind == "milestone" and number not in (0, 1):
        errors[field] = locale.t("error.milestone_value")
        return None
    return number


def measurable(
    locale: Locale, text: str, errors: dict[str, str], field: str, unit: Measured | None = None
) -> Decimal | None:
    """A number typed in the reader's way that a value may be (not too large, not too
    precise: checked before anything asks whether it is far off), or None and why (a
    blank one is said as every blank field is); with `unit`, written as the page writes
    values of it ("4 ore", "4,4 su 5") too."""
    if not text.strip():
        errors[field] = locale.t("error.empty")
        return None
    number = locale.parse_value(text, unit)
    if number is None:
        errors[field] = locale.t("check_in.value_invalid")
        return None
    try:
        return values.measured(number, field)
    except DomainError as error:
        errors[field] = domain_message(locale, error)
        return None


def typed_relative(text: str, unit_kind: str) -> bool:
    """Whether a target is typed as a change from the start, "-10 %" (GLOSSARY: relative
    to the baseline, stored as the absolute value; the API's target_percent): with a per
    cent sign, for a key result not measured in per cent. It was taken for the value -10."""
    return "%" in text and unit_kind != UnitKind.PERCENT


def _day_read(locale: Locale, text: str, errors: dict[str, str], field: str) -> date | None:
    """A day (yyyy-mm-dd), or None and why, by `field` in `errors`."""
    try:
        return day(text)
    except ValueError:
        errors[field] = locale.t("check_in.date_invalid")
        return None


_CONFIDENCE = re.compile("[0-9]{1,2}")
"""A confidence as typed: in ASCII digits (str.isdigit takes "²", which int() fails, and "٣"),
and few of them (int() fails past 4,300)."""


def read_form(
    form: FormDep, locale: LocaleDep, kr: KeyResultView, cycle: CycleView
) -> tuple[CheckInForm, CheckInInput | None]:
    """The typed values back (to show again) and, when they parse, the command's input; a
    day outside the `cycle`'s check-ins is said with the form's other mistakes (alone, the
    command refuses it, a far-off value's confirmation kept)."""
    value, on_text, confidence_text, note = (form.get(n, "").strip() for n in FORM_FIELDS)
    typed = CheckInForm(value=value, on=on_text, confidence=confidence_text, note=note)
    number = _number_read(locale, typed.value, typed.errors, kind=kr.kind, unit=kr)
    on = _day_read(locale, typed.on, typed.errors, "on")
    confidence = None
    if typed.confidence:
        if _CONFIDENCE.fullmatch(typed.confidence) and int(typed.confidence) <= 10:
            confidence = int(typed.confidence)
        else:
            typed.errors["confidence"] = locale.t("error.confidence_out_of_range")
    _ruled(locale, typed.errors, "note", lambda: values.note(typed.note))
    if typed.errors or number is None or on is None:
        outside = on_outside(locale, cycle, on)  # with the others (alone: the command's)
        if outside:
            typed.errors["on"] = outside
        return typed, None
    return typed, CheckInInput(number, on, confidence, typed.note)


@dataclass
class ReasonedForm:
    """A value given with a reason (a check-in's correction, a new target) as typed, and
    what is wrong with it (by field: value, reason, form)."""

    check_in_id: str = ""
    """The check-in corrected (none for a target)."""
    value: str = ""
    reason: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    confirm: str = ""
    """The value the person was asked to confirm (far off): sent again unchanged, kept."""


def read_reasoned(
    form: FormDep, locale: LocaleDep, kr: KeyResultView, check_in_id: str = ""
) -> tuple[ReasonedForm, Decimal | None]:
    """The typed value and reason back (to show again) and, when they read, the value (a
    correction's when `check_in_id` is given, else a new target's)."""
    typed = ReasonedForm(check_in_id, form.get("value", "").strip(), form.get("reason", "").strip())
    number = _number_read(locale, typed.value, typed.errors, kind=kr.kind, unit=kr)
    if not typed.reason:
        missing = "correction.reason_missing" if check_in_id else "revision.reason_missing"
        typed.errors["reason"] = locale.t(missing)
    else:
        _ruled(locale, typed.errors, "reason", lambda: values.reason(typed.reason))
    return typed, None if typed.errors else number


@dataclass
class EditForm:
    """A key result's title, owner, weight and due date as typed, and what is wrong."""

    title: str = ""
    owner: str = ""
    weight: str = ""
    due_on: str = ""
    errors: dict[str, str] = field(default_factory=dict)


EDIT_FIELDS = ("title", "owner", "weight", "due_on")


def on_outside(locale: Locale, cycle: CycleView, on: date | None) -> str | None:
    """Why a check-in's day is refused, with the days of the cycle's check-ins (its start to
    CHECK_IN_GRACE after its end, as the command checks), if it falls outside them."""
    last = cycle.ends_on + CHECK_IN_GRACE
    if on is None or cycle.starts_on <= on <= last:
        return None
    return locale.t(
        "check_in.on_outside", first=locale.date(cycle.starts_on), last=locale.date(last)
    )


def due_outside(locale: Locale, cycle: CycleView, due_on: date | None) -> str | None:
    """Why a due date is refused, with the cycle's days, if it falls outside them (the
    command's words named no day)."""
    if due_on is None or cycle.starts_on <= due_on <= cycle.ends_on:
        return None
    first, last = locale.date(cycle.starts_on), locale.date(cycle.ends_on)
    return locale.t("error.due_on.outside", first=first, last=last)


def read_edit(
    form: FormDep, locale: LocaleDep, cycle: CycleView
) -> tuple[EditForm, dict[str, Any] | None]:
    """The typed fields back (to show again) and, when they read, the command's input: the
    fields changed from what the form showed, only (changed_fields); a due date outside
    the `cycle` said with its days."""
    title, owner, weight_text, due_text = (form.get(n, "").strip() for n in EDIT_FIELDS)
    typed = EditForm(title, owner, weight_text, due_text)
    if not typed.title:
        typed.errors["title"] = locale.t("error.empty")
    else:
        _ruled(locale, typed.errors, "title", lambda: values.title(typed.title))
    if not typed.owner:
        typed.errors["owner"] = locale.t("error.empty")
    weight = _number_read(locale, typed.weight, typed.errors, "weight")
    due_on = _day_read(locale, typed.due_on, typed.errors, "due_on")
    outside = due_outside(locale, cycle, due_on) if typed.due_on != form.get("was_due_on") else None
    if outside:
        typed.errors["due_on"] = outside
    if typed.errors:
        return typed, None
    given = {"title": typed.title, "owner": typed.owner, "weight": weight, "due_on": due_on}
    return typed, changed_fields(form, given, {name: getattr(typed, name) for name in given})


def not_yet_page(
    request: Request[Any, Any, Any],
    portal: Portal,
    locale: Locale,
    viewer: Principal,
    tenant: Tenant,
    reason: str,
    day: date,
    link: str,
) -> Response[Any]:
    """404 for an item asked for as of a day before it was made: it was not there yet,
    with a link to it today (not "no such page"); `reason` says which kind of item."""
    return portal.pages.render(
        request, "error.html", locale=locale, status=404, code=404, bad={}, viewer=viewer,
        tenant=tenant, reason=reason, name=locale.date(day, long=True), link=link,
    )  # fmt: skip


def changed_fields(
    form: Mapping[str, str], given: Mapping[str, Any], typed: Mapping[str, str]
) -> dict[str, Any]:
    """The fields of an edit form (`given`, as read) whose text (`typed`) is not what the
    form showed (`was_…`): a form left open must not put back what someone changed
    meanwhile in a field it did not touch."""
    return {
        name: value
        for name, value in given.items()
        if typed[name] != form.get(f"was_{name}", "").strip()
    }


def asked_first(
    form: FormDep,
    locale: LocaleDep,
    typed: CheckInForm | ReasonedForm,
    value: Decimal,
    far: bool,
    said: str,
    unit: Measured | None = None,
) -> bool:
    """Whether a far-off value is asked about first (a slip, "19,350" for 19.350): `said`
    beside it, kept to confirm; sent again unchanged, it goes through (as a check-in's)."""
    confirmed = locale.parse_value(form.get("confirm", ""), unit) == value
    if far or confirmed:
        typed.confirm = typed.value
    if far and not confirmed:
        typed.errors["value"] = said
        return True
    return False


def _ruled(locale: Locale, errors: dict[str, str], field: str, rule: Callable[[], object]) -> None:
    """The command's own check of a field (a title too long), said with the form's other
    mistakes, not once they are mended."""
    try:
        rule()
    except DomainError as error:
        errors[field] = domain_message(locale, error)


def domain_message(locale: LocaleDep, error: DomainError | TenancyError) -> str:
    """A refusal in the reader's words: those of its field and rule ("error.target.unchanged"),
    else of its field (any refusal of a due date: "error.due_on"), else of its rule, else
    the domain's own; a KPI's turn refused names the key results it would set against it."""
    field_said = f"error.{error.field}"
    keys = (f"{field_said}.{error.rule}", field_said, f"error.{error.rule}")
    most = _MOST.get(error.field or "", NOTE_MAX)
    named = error.key_results if isinstance(error, FedAgainstError) else ()
    key_results = ", ".join(locale.t("error.key_result_named", title=t) for t in named)
    for key in keys if error.field else keys[2:]:
        if locale.has(key):
            return locale.t(key, max=most, key_results=key_results)
    return error.message


_MOST = {"reason": REASON_MAX, "title": TITLE_MAX, "name": TITLE_MAX, "unit_label": LABEL_MAX,
         "display_name": MAX_NAME, "check_in_cadence_days": MAX_CADENCE_DAYS}  # fmt: skip
"""The longest text a field takes (a note's, else)."""


def refusal(locale: LocaleDep, error: DomainError | ConcurrencyError) -> str:
    """Why a command was refused, in the reader's words: a rule (domain_message), or
    another change of the item that came first (the page shows it now)."""
    if isinstance(error, ConcurrencyError):
        return locale.t("error.changed_meanwhile")
    return domain_message(locale, error)


class KeyResultController(Controller):
    """/t/{tenant_id}/kr/{kr_id}: one key result."""

    path = "/t/{tenant_id:str}/kr/{kr_id:str}"

    @get("/", name="portal:key-result")
    async def show(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        kr_id: FromPath[str],
        saved: FromQuery[bool] = False,
        corrected: FromQuery[bool] = False,
        revised: FromQuery[bool] = False,
        edited: FromQuery[bool] = False,
        archived: FromQuery[bool] = False,
        day: Annotated[str | None, QueryParameter(name="date")] = None,
        correct: FromQuery[str | None] = None,
    ) -> Response[Any]:
        """Today's page; with ?date=, the key result as it stood that day (as the dashboard
        as of a day shows it): its state then, its chart and check-ins known by the end of
        that day, and no check-in form. A key result made later is not found, and says so.
        With ?correct=, the correction form of that check-in open (see CORRECTION_FORMS)."""
        chosen = parse_day(day)
        if chosen is not None:
            chosen = min(chosen, portal.today(tenant))
            state = await state_as_of(
                portal.system.repository, tenant.id, recorded_at=end_of(chosen, tenant.zone)
            )
            if parse_id(kr_id) not in state.key_results:
                return await self._not_yet(request, portal, locale, viewer, tenant, kr_id, chosen)
        else:
            state = await key_result_state(portal.system.pool, tenant.id, parse_id(kr_id))
        kr = self._find(state, kr_id)
        typed = CheckInForm(on=portal.today(tenant).isoformat())
        note = day_note(locale, day, portal.today(tenant))
        return await self._page(
            request, portal, locale, viewer, tenant, state, kr, typed, saved, as_of=chosen,
            date_note=note, corrected=corrected, revised=revised, edited=edited,
            archived=archived, asked=correct,
        )  # fmt: skip

    @post("/check-ins", name="portal:check-in")
    async def check_in(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        kr_id: FromPath[str],
        form: FormDep,
    ) -> Response[Any]:
        state, kr = await self._allowed(portal, viewer, tenant, kr_id, Permission.CHECK_IN)
        typed, given = read_form(form, locale, kr, state.cycles[kr.cycle_id])
        gone = _frozen(state, kr, "error.cycle_closed")
        if gone is not None:  # its form is gone: why
            typed.errors = {"form": locale.t(gone)}
        elif given is not None and not asked_first(  # a slip ("43,000" for 1,130,000)? asked once
            form, locale, typed, given.value, _far_off(kr, given.value),
            _far_said(locale, kr, given.value), kr,
        ):  # fmt: skip
            done = await _written(
                portal, locale, tenant, kr, typed, {f: f for f in FORM_FIELDS},
                portal.app.key_results.record_check_in(
                    Context(tenant.id, viewer.actor), kr.key_result_id, value=given.value,
                    on=given.on, confidence=given.confidence, note=given.note,
                ),
                "saved=1#check-ins",
            )  # fmt: skip
            if done is not None:
                return done
            outside = on_outside(locale, state.cycles[kr.cycle_id], given.on)
            if outside and typed.errors.get("on") == locale.t("error.date_out_of_range"):
                typed.errors["on"] = outside  # the command's refusal, with the cycle's days
        return await self._page(
            request, portal, locale, viewer, tenant, state, kr, typed, False, status=422
        )

    @post("/check-ins/{check_in_id:str}/correction", name="portal:correction")
    async def correct(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        kr_id: FromPath[str],
        check_in_id: FromPath[str],
        form: FormDep,
    ) -> Response[Any]:
        """Correct a check-in's value, with a reason, as whoever may check in may (the API
        too): the original stays in the history. Allowed after the cycle closed (its score
        stays as it was given)."""
        state, kr = await self._allowed(portal, viewer, tenant, kr_id, Permission.CHECK_IN)
        wanted = parse_id(check_in_id)
        if not any(c.check_in_id == wanted for c in kr.check_ins):
            raise PageNotFoundError
        typed, value = read_reasoned(form, locale, kr, str(wanted))
        retired = _retired(state, kr)
        if retired is not None:  # its form is gone (archived meanwhile): why, not its hints
            typed.errors = {"form": locale.t(retired)}
        elif value is not None and not asked_first(
            form, locale, typed, value, _far_off(kr, value), _far_said(locale, kr, value), kr
        ):
            done = await _written(
                portal, locale, tenant, kr, typed, {"value": "value", "reason": "reason"},
                portal.app.key_results.correct_check_in(
                    Context(tenant.id, viewer.actor), kr.key_result_id, check_in_id=wanted,
                    value=value, reason=typed.reason,
                ),
                f"corrected=1#ci-{wanted}",
            )  # fmt: skip
            if done is not None:
                return done
        return await self._refused(request, portal, locale, viewer, tenant, state, kr,
                                   correction=typed)  # fmt: skip

    @post("/target", name="portal:target")
    async def revise_target(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        kr_id: FromPath[str],
        form: FormDep,
    ) -> Response[Any]:
        """Move the target, with a reason, as whoever may revise targets may (the API too):
        the original target stays on the page and in the history."""
        state, kr = await self._allowed(portal, viewer, tenant, kr_id, Permission.REVISE_TARGETS)
        typed, value = read_reasoned(form, locale, kr)
        relative = typed_relative(typed.value, kr.unit_kind)
        aimed = _aimed(kr, value) if relative else value
        gone = _no_revision(state, kr)
        if gone is not None:  # its form is gone: why, not its fields' hints
            typed.errors = {"form": locale.t(gone)}
        elif value is not None and not asked_first(
            form, locale, typed, value, aimed is not None and _far_off(kr, aimed, latest=False),
            _far_said(locale, kr, value if aimed is None else aimed, key="revision.far_off"), kr,
        ):  # fmt: skip
            done = await _written(
                portal, locale, tenant, kr, typed, _REVISION_FIELDS,
                portal.app.key_results.revise_target(
                    Context(tenant.id, viewer.actor), kr.key_result_id,
                    target=None if relative else value,
                    target_percent=value if relative else None, reason=typed.reason,
                ),
                "revised=1",
            )  # fmt: skip
            if done is not None:
                return done
        return await self._refused(request, portal, locale, viewer, tenant, state, kr,
                                   revision=typed)  # fmt: skip

    @post("/edit", name="portal:kr-edit")
    async def edit(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        kr_id: FromPath[str],
        form: FormDep,
    ) -> Response[Any]:
        """Change a key result's title, owner, weight or due date (those that changed: each
        one a line of the history), as whoever may edit OKRs may (the API too)."""
        state, kr = await self._allowed(portal, viewer, tenant, kr_id, Permission.EDIT_OKRS)
        typed, given = read_edit(form, locale, state.cycles[kr.cycle_id])
        gone = _frozen(state, kr, "edit.cycle_closed")
        if gone is not None:  # its form is gone: why
            typed.errors = {"form": locale.t(gone)}
        elif given == {}:
            typed.errors["form"] = locale.t("edit.nothing")
        elif (
            given is not None
            and "owner" in given
            and given["owner"]
            not in {actor for actor, _ in _owners(await portal.people.names(tenant.id), kr.owner)}
        ):
            typed.errors["owner"] = locale.t("edit.owner_not_offered")  # (a hand-made POST)
        elif given is not None:
            done = await _written(
                portal, locale, tenant, kr, typed, {name: name for name in EDIT_FIELDS},
                portal.app.key_results.edit(
                    Context(tenant.id, viewer.actor), kr.key_result_id, **given
                ),
                "edited=1",
            )  # fmt: skip
            if done is not None:
                return done
        return await self._refused(request, portal, locale, viewer, tenant, state, kr,
                                   editing=typed)  # fmt: skip

    @post("/archive", name="portal:kr-archive")
    async def archive(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        kr_id: FromPath[str],
        form: FormDep,
    ) -> Response[Any]:
        """Archive a key result, with a reason, as whoever may edit OKRs may (the API too):
        it leaves the tree and the roll-ups; its page and history stay."""
        state, kr = await self._allowed(portal, viewer, tenant, kr_id, Permission.EDIT_OKRS)
        typed = ReasonedForm(reason=form.get("reason", "").strip())
        gone = _frozen(state, kr, "edit.cycle_closed")
        if gone is not None:  # its form is gone: why
            typed.errors = {"form": locale.t(gone)}
        elif not typed.reason:
            typed.errors["reason"] = locale.t("archive.reason_missing")
        else:
            done = await _written(
                portal, locale, tenant, kr, typed, {"reason": "reason"},
                portal.app.key_results.archive(
                    Context(tenant.id, viewer.actor), kr.key_result_id, reason=typed.reason
                ),
                "archived=1",
            )  # fmt: skip
            if done is not None:
                return done
        return await self._refused(request, portal, locale, viewer, tenant, state, kr,
                                   archiving=typed)  # fmt: skip

    async def _allowed(
        self,
        portal: Portal,
        viewer: Principal,
        tenant: Tenant,
        kr_id: str,
        permission: Permission,
    ) -> tuple[ProgressView, KeyResultView]:
        """The tenant's state and the key result, for a viewer who may do this to it (else
        the 403 page; the 404 page for a key result not there)."""
        if not viewer.can(tenant.id, permission):
            raise ForbiddenError
        state = await key_result_state(portal.system.pool, tenant.id, parse_id(kr_id))
        return state, self._find(state, kr_id)

    async def _refused(
        self,
        request: Request[Any, Any, Any],
        portal: Portal,
        locale: Locale,
        viewer: Principal,
        tenant: Tenant,
        state: ProgressView,
        kr: KeyResultView,
        **failed: ReasonedForm | EditForm,
    ) -> Response[Any]:
        """The page again (422), with the form that failed (`failed`: by its name) open
        and its refusal said, and a fresh check-in form."""
        today = CheckInForm(on=portal.today(tenant).isoformat())
        return await self._page(
            request, portal, locale, viewer, tenant, state, kr, today, False, status=422,
            **failed,  # type: ignore[arg-type]
        )  # fmt: skip

    @staticmethod
    async def _not_yet(
        request: Request[Any, Any, Any],
        portal: Portal,
        locale: Locale,
        viewer: Principal,
        tenant: Tenant,
        kr_id: str,
        day: date,
    ) -> Response[Any]:
        """404 for a key result not in the tree of that day: one made since says it was not
        there yet, with a link to it today (not "no such page"); any other, the 404 page."""
        kr = parse_id(kr_id)
        if kr not in (await key_result_state(portal.system.pool, tenant.id, kr)).key_results:
            raise PageNotFoundError
        link = f"/t/{tenant.id}/kr/{kr}"
        return not_yet_page(request, portal, locale, viewer, tenant, "not_yet", day, link)

    @staticmethod
    def _find(state: ProgressView, kr_id: FromPath[str]) -> KeyResultView:
        kr = state.key_results.get(parse_id(kr_id))
        if kr is None:
            raise PageNotFoundError
        return kr

    @staticmethod
    async def _page(
        request: Request[Any, Any, Any],
        portal: Portal,
        locale: Locale,
        viewer: Principal,
        tenant: Tenant,
        state: ProgressView,
        kr: KeyResultView,
        typed: CheckInForm,
        saved: bool,
        status: int = 200,
        as_of: date | None = None,
        date_note: str | None = None,
        correction: ReasonedForm | None = None,
        revision: ReasonedForm | None = None,
        editing: EditForm | None = None,
        edited: bool = False,
        archiving: ReasonedForm | None = None,
        archived: bool = False,
        corrected: bool = False,
        revised: bool = False,
        asked: str | None = None,
    ) -> Response[Any]:
        today = as_of or portal.today(tenant)
        node = key_result_node(state, kr, today=today, cadence_days=tenant.check_in_cadence_days)
        cycle = state.cycles[kr.cycle_id]
        lines = await history(
            portal.system.pool, tenant.id, item_id=kr.key_result_id, limit=500,
            until=None if as_of is None else after(as_of, tenant.zone),
        )  # fmt: skip
        actors = {c.author for c in kr.check_ins} | {line.actor for line in lines}  # who acted
        names = await portal.people.names(tenant.id, actors)
        allowed = viewer.can(tenant.id, Permission.CHECK_IN) and as_of is None
        can_correct = allowed and _retired(state, kr) is None
        can_revise = (
            viewer.can(tenant.id, Permission.REVISE_TARGETS) and as_of is None
            and _no_revision(state, kr) is None
        )  # fmt: skip
        frozen = _frozen(state, kr, "") is not None  # (archived, or its cycle closed)
        can_edit = viewer.can(tenant.id, Permission.EDIT_OKRS) and as_of is None and not frozen
        can_check_in = allowed and not frozen
        check_ins = sorted(kr.check_ins, key=lambda c: (c.on, c.position), reverse=True)
        return portal.pages.render(
            request, "key_result.html", locale=locale, viewer=viewer, tenant=tenant,
            section="dashboard", status=status, kr=kr, node=node, cycle=cycle,
            objective=state.objectives.get(kr.objective_id), kpi=kpi_of(state, kr.kpi_id),
            check_ins=check_ins,
            with_form=with_forms(
                [str(c.check_in_id) for c in check_ins], asked,
                correction.check_in_id if correction else None,
            ), asked=asked,
            corrections=_corrections(lines), revisions=_revisions(lines), names=names,
            adjustments=[ln for ln in lines if ln.template == "cycle.score_adjusted"],
            corrected_after_close=_corrected_after_close(lines, cycle),
            chart=kr_chart(locale, state, kr, node, today, as_of=as_of is not None), form=typed,
            saved=saved, can_check_in=can_check_in,
            can_check_in_role=allowed, today=today, as_of=as_of, date_note=date_note,
            can_correct=can_correct, correction=correction, corrected=corrected,
            can_revise=can_revise, revision=revision, revised=revised,
            archived_line=max(
                (ln for ln in lines if ln.template == "key_result.archived"),
                key=lambda ln: ln.position, default=None,
            ),
            can_edit=can_edit, editing=editing, edited=edited, archiving=archiving,
            archived=archived, owners=_owners(names, kr.owner),
            refusal=_unshown_refusal(
                (correction, can_correct), (revision, can_revise), (editing, can_edit),
                (archiving, can_edit), (typed, can_check_in),
            ),
            latest_on=portal.today(tenant),  # what the command takes (Commands.today)
        )  # fmt: skip


def _unshown_refusal(
    *forms: tuple[CheckInForm | ReasonedForm | EditForm | None, bool],
) -> str | None:
    """Why a form's change was refused, when the form (the form, shown or not) is not on
    the page to say it (the key result archived, its cycle closed meanwhile): it said
    nothing."""
    for failed, shown in forms:
        if failed is not None and failed.errors and not shown:
            return " ".join(failed.errors.values())
    return None


def people_choices(names: Names) -> list[tuple[str, str]]:
    """Whom an objective or a key result may be given to: the tenant's people now, by name."""
    return names.people()


def _owners(names: Names, owner: str) -> list[tuple[str, str]]:
    """Whom a key result may be given to, by name: the tenant's people now, and its owner
    (a person who left, a name typed as text) if not among them."""
    people = people_choices(names)
    return people if owner in names.present else [(owner, names.get(owner, owner)), *people]


def _corrections(lines: list[HistoryLine]) -> dict[str, list[HistoryLine]]:
    """Correction lines by the id of the check-in they correct, oldest first (not by its
    day: another check-in of the same day is not corrected by them)."""
    out: dict[str, list[HistoryLine]] = {}
    for line in sorted(lines, key=lambda x: x.position):
        check_in = line.params.get("check_in")
        if line.template == "key_result.check_in_corrected" and check_in is not None:
            out.setdefault(check_in, []).append(line)
    return out


def _retired(state: ProgressView, kr: KeyResultView) -> str | None:
    """Why a key result takes no change, check-in nor correction (the words' key), if it
    or its objective is archived (the app refuses them: ArchivedError)."""
    if kr.archived:
        return "error.archived"
    objective = state.objectives.get(kr.objective_id)
    return "error.objective_archived" if objective is not None and objective.archived else None


def _frozen(state: ProgressView, kr: KeyResultView, closed: str) -> str | None:
    """Why a key result takes no change (the words' key: `_retired`'s, or `closed` for a
    closed cycle's), if it takes none."""
    retired = _retired(state, kr)
    if retired is not None:
        return retired
    return closed if state.cycles[kr.cycle_id].is_closed else None


def _no_revision(state: ProgressView, kr: KeyResultView) -> str | None:
    """Why a target cannot be revised (the words' key), if it cannot."""
    gone = _frozen(state, kr, "revision.cycle_closed")
    return gone or ("revision.milestone" if kr.kind == "milestone" else None)


async def _written(
    portal: Portal,
    locale: Locale,
    tenant: Tenant,
    kr: KeyResultView,
    typed: CheckInForm | ReasonedForm | EditForm,
    fields: Mapping[str, str],
    command: Awaitable[Written],
    done: str,
) -> Redirect | None:
    """Run a form's command; once the page shows what it wrote (its value, its history
    line), the redirect to the page with `done` (its query, and where it lands). None, and
    its refusal said beside the form's field that `fields` maps its field to (else the
    form's own), if refused."""
    try:
        written = await command
    except (DomainError, ConcurrencyError) as e:
        field = e.field if isinstance(e, DomainError) else None
        typed.errors[fields.get(field or "", "form")] = refusal(locale, e)
        return None
    await portal.shows(tenant.id, written.position)
    return Redirect(path=f"/t/{tenant.id}/kr/{kr.key_result_id}?{done}", status_code=303)


def _aimed(kr: KeyResultView, percent: Decimal | None) -> Decimal | None:
    """The target a change of the start by `percent` gives (None where the key result has
    no start to change, which the command refuses)."""
    if percent is None or not kr.start:
        return None
    return relative_target(kr.start, percent)


_REVISION_FIELDS = {"target": "value", "target_percent": "value", "start": "value",
                    "reason": "reason"}  # fmt: skip


def _far_said(
    locale: Locale, kr: KeyResultView, value: Decimal, key: str = "check_in.far_off"
) -> str:
    """What asks about a far-off value: it, the start and the target, in their unit (a
    guardrail's threshold alone: it has no start)."""
    if kr.kind in _GUARDRAILS:
        return locale.t(
            f"{key}_threshold", value=locale.value(value, kr), target=locale.value(kr.target, kr)
        )
    return locale.t(
        key, value=locale.value(value, kr), start=locale.value(kr.start, kr),
        target=locale.value(kr.target, kr),
    )  # fmt: skip


def _far_off(kr: KeyResultView, value: Decimal, *, latest: bool = True) -> bool:
    """Whether a value of an increase or decrease lies further from its start, target (and
    `latest` value) than twice the way from start to target: likely a slip of the keyboard
    ("1,000" typed for 1.000.000, read as 1). A guardrail's, further from its threshold
    (and latest value) than twice the threshold ("9.500" typed for 95,00 on "at least
    92 %"), as a KPI's from its thresholds."""
    if kr.kind in _GUARDRAILS:
        known, span = [kr.target], abs(kr.target) or Decimal(1)
    elif kr.kind in _RANGED and kr.start is not None:
        known, span = [kr.start, kr.target], abs(kr.target - kr.start)
    else:
        return False
    if latest and kr.latest is not None:
        known.append(kr.latest.value)
    return far_from(known, span, value)


def far_from(known: list[Decimal], span: Decimal, value: Decimal) -> bool:
    """Whether a value lies further from all the values known than twice `span`."""
    return not min(known) - 2 * span <= value <= max(known) + 2 * span


_RANGED = frozenset({"increase", "decrease"})
_GUARDRAILS = frozenset({"stay_above", "stay_below"})


def _corrected_after_close(lines: list[HistoryLine], cycle: CycleView) -> bool:
    """Whether a check-in was corrected after the cycle closed, and its score not changed
    since: the score given at the close is not recomputed (the page says so)."""
    if cycle.closed_at is None:
        return False
    last: dict[str, datetime] = {}
    for line in lines:
        if line.template in _SINCE_CLOSE and line.recorded_at > cycle.closed_at:
            last[line.template] = max(line.recorded_at, last.get(line.template, line.recorded_at))
    corrected, scored = (last.get(t) for t in _SINCE_CLOSE)
    return corrected is not None and (scored is None or scored < corrected)


_SINCE_CLOSE = ("key_result.check_in_corrected", "cycle.score_adjusted")


def _revisions(lines: list[HistoryLine]) -> list[HistoryLine]:
    return [line for line in lines if line.template == "key_result.target_revised"]
