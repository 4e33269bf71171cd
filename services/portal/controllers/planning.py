"""Planning on the dashboard, for whoever may edit OKRs: a new cycle, a cycle's name (in any
state), an objective in a cycle that is not closed, a key result under one of its objectives
(the API's commands).

A form that fails comes back open on the dashboard, with what was typed and, beside each
field at fault, why; nothing is recorded. A form's own checks (a blank field, a number or a
day that does not read, a choice the page did not offer) are said all at once; the domain's
rules then, one at a time, in the reader's words (key_results.domain_message).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from enum import StrEnum
from functools import partial
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, post
from litestar.params import FromPath
from litestar.response import Redirect

from domain import values
from domain.cycle import check_days, check_name_free
from domain.errors import DomainError
from domain.progress import check_thresholds
from domain.values import CyclePeriod, Direction, KRKind, ObjectiveLevel, Unit, UnitKind, unit
from projections.progress_state import KPIView, ObjectiveView, ProgressView
from services.app import Context
from services.app.base import Written
from services.i18n import Locale
from services.portal.controllers.dashboard import dashboard_page
from services.portal.controllers.key_results import (
    changed_fields,
    due_outside,
    far_from,
    people_choices,
    typed_relative,
)
from services.portal.dependencies import (
    FormDep,
    LocaleDep,
    PortalDep,
    TenantDep,
    ViewerDep,
    parse_id,
)
from services.portal.errors import ForbiddenError, PageNotFoundError
from services.portal.planning import (
    CYCLE_DATES_FIELDS,
    CYCLE_FIELDS,
    CYCLE_RENAME_FIELDS,
    KEY_RESULT_FIELDS,
    KPI_FIELDS,
    MEASUREMENT_FIELDS,
    OBJECTIVE_EDIT_FIELDS,
    OBJECTIVE_FIELDS,
    Planned,
    a_name,
    alignments,
    feeding_kpis,
    parents_by_cycle,
    typed,
)
from services.portal.portal import Portal
from services.projector.waiting import wait_for_position
from services.read import progress_state
from services.store.event_store import ConcurrencyError
from tenants.models import Tenant
from tenants.principal import Principal
from tenants.roles import Permission


class PlanningController(Controller):
    """/t/{tenant_id}/plan: new cycles, objectives and key results; KPI measurements."""

    path = "/t/{tenant_id:str}/plan"

    @post("/cycles", name="portal:new-cycle")
    async def new_cycle(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        form: FormDep,
    ) -> Response[Any]:
        """Plan a cycle: its name, its kind of period and its first and last day."""
        state = await _state(portal, viewer, tenant)
        planned = Planned("cycle", "", typed(form, CYCLE_FIELDS), locale)
        name = planned.text("name", a_name)
        names = [c.name for c in state.cycles.values()]
        planned.together(lambda: check_name_free(name, names), "name")
        period = planned.choice("period", _values(CyclePeriod))
        starts_on, ends_on = planned.day("starts_on"), planned.day("ends_on")
        if starts_on is not None and ends_on is not None:
            planned.together(lambda: check_days(starts_on, ends_on), "starts_on", "ends_on")
        if not planned.errors and starts_on is not None and ends_on is not None:
            command = portal.app.cycles.create(
                _context(tenant, viewer), name=name, period=period, starts_on=starts_on,
                ends_on=ends_on,
            )  # fmt: skip
            written = await _run(portal, tenant, planned, command)
            if written is not None:
                return _landed(tenant, written.item_id, "cycle_planned")
        return await _refused(request, portal, locale, viewer, tenant, None, planned)

    @post("/cycles/{cycle_id:str}/rename", name="portal:cycle-rename")
    async def rename_cycle(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        cycle_id: FromPath[str],
        form: FormDep,
    ) -> Response[Any]:
        """Give a cycle, in any state (a closed one stays in the picker), a name no other
        cycle of the tenant has, with a reason if given (kept in its history); not one
        renamed since the form showed it (`was_name`: said beside the name, as it is now)."""
        state = await _state(portal, viewer, tenant)
        cycle = parse_id(cycle_id)
        if cycle not in state.cycles:
            raise PageNotFoundError
        planned = Planned("cycle_rename", str(cycle), typed(form, CYCLE_RENAME_FIELDS), locale)
        name = planned.text("name", a_name)
        reason = planned.optional("reason", values.optional_reason)
        shown, now = planned.typed["was_name"] or None, state.cycles[cycle].name
        if shown is not None and shown != now:  # (the command checks it on the cycle too)
            planned.errors["name"] = locale.t("plan.cycle.renamed_meanwhile", now=now)
        if not planned.errors:
            command = portal.app.cycles.rename(
                _context(tenant, viewer), cycle, name=name, reason=reason, shown=shown,
            )  # fmt: skip
            if await _run(portal, tenant, planned, command) is not None:
                return _landed(tenant, cycle, "cycle_renamed", f"c-{cycle}")
        return await _refused(request, portal, locale, viewer, tenant, cycle, planned)

    @post("/cycles/{cycle_id:str}/dates", name="portal:cycle-dates")
    async def reschedule_cycle(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        cycle_id: FromPath[str],
        form: FormDep,
    ) -> Response[Any]:
        """Set right the days of a cycle in planning or active (a closed one's are locked),
        with a reason if given: its period by the new length, its key results due on its
        end following it (CycleCommands.reschedule)."""
        state = await _state(portal, viewer, tenant)
        cycle = parse_id(cycle_id)
        if cycle not in state.cycles:
            raise PageNotFoundError
        planned = Planned("cycle_dates", str(cycle), typed(form, CYCLE_DATES_FIELDS), locale)
        starts_on, ends_on = planned.day("starts_on"), planned.day("ends_on")
        reason = planned.optional("reason", values.optional_reason)
        if starts_on is not None and ends_on is not None:
            planned.together(lambda: check_days(starts_on, ends_on), "starts_on", "ends_on")
        if not planned.errors and starts_on is not None and ends_on is not None:
            command = portal.app.cycles.reschedule(
                _context(tenant, viewer), cycle, starts_on=starts_on, ends_on=ends_on,
                reason=reason,
            )  # fmt: skip
            if await _run(portal, tenant, planned, command) is not None:
                return _landed(tenant, cycle, "cycle_rescheduled", f"c-{cycle}")
        return await _refused(request, portal, locale, viewer, tenant, cycle, planned)

    @post("/cycles/{cycle_id:str}/objectives", name="portal:new-objective")
    async def new_objective(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        cycle_id: FromPath[str],
        form: FormDep,
    ) -> Response[Any]:
        """Add an objective to a cycle, aligned under another of its objectives or not."""
        state = await _state(portal, viewer, tenant)
        cycle = parse_id(cycle_id)
        if cycle not in state.cycles:
            raise PageNotFoundError
        planned = Planned("objective", str(cycle), typed(form, OBJECTIVE_FIELDS), locale)
        title = planned.text("title", values.title)
        owner = planned.choice("owner", await offered_people(portal, tenant))
        level = planned.choice("level", _values(ObjectiveLevel))
        offered = [str(o.objective_id) for o in parents_by_cycle(state)[cycle]]
        parent = planned.choice("parent", ["", *offered])
        weight = planned.number("weight")
        if not planned.errors and weight is not None:
            command = portal.app.objectives.create(
                _context(tenant, viewer), cycle_id=cycle, title=title, owner=owner,
                level=level, parent_id=UUID(parent) if parent else None, weight=weight,
                committed=planned.typed["committed"] == "yes",
            )  # fmt: skip
            written = await _run(portal, tenant, planned, command)
            if written is not None:
                return _landed(tenant, cycle, "objective_added", f"o-{written.item_id}")
        return await _refused(request, portal, locale, viewer, tenant, cycle, planned)

    @post("/objectives/{objective_id:str}/key-results", name="portal:new-key-result")
    async def new_key_result(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        objective_id: FromPath[str],
        form: FormDep,
    ) -> Response[Any]:
        """Add a key result to an objective: its kind, owner, start and target in a unit,
        weight and due date (the cycle's end unless given)."""
        state = await _state(portal, viewer, tenant)
        objective = state.objectives.get(parse_id(objective_id))
        if objective is None:
            raise PageNotFoundError
        planned = Planned("key_result", str(objective.objective_id),
                          typed(form, KEY_RESULT_FIELDS), locale)  # fmt: skip
        title = planned.text("title", values.title)
        kind = planned.choice("kind", _values(KRKind))
        owner = planned.choice("owner", await offered_people(portal, tenant))
        ranged = kind != KRKind.MILESTONE  # a milestone goes from 0 to 1, whatever is typed
        needs_start = kind in (KRKind.INCREASE, KRKind.DECREASE)  # (a threshold may have none)
        given = ranged and (needs_start or planned.typed["start"])
        start = planned.number("start") if given else None
        kpi = _feeding(planned, state)
        relative = ranged and _relative(planned, state, kpi)
        target = planned.number("target") if ranged and not relative else None
        percent = planned.number("target") if relative else None
        measured = None if kpi else _unit(planned)  # (fed by a KPI: measured in its unit)
        weight = planned.number("weight")
        due_on = planned.day("due_on")
        outside = due_outside(locale, state.cycles[objective.cycle_id], due_on)
        if outside:
            planned.errors["due_on"] = outside
        if not planned.errors and weight is not None and due_on is not None:
            command = portal.app.key_results.create(
                _context(tenant, viewer), objective_id=objective.objective_id, title=title,
                kind=kind, owner=owner, start=start, target=target,
                target_percent=percent, unit=measured,
                weight=weight, due_on=due_on, kpi_id=kpi,
            )  # fmt: skip
            written = await _run(portal, tenant, planned, command)
            if written is not None:
                return _landed(tenant, objective.cycle_id, "key_result_added",
                               f"o-{objective.objective_id}")  # fmt: skip
        return await _refused(request, portal, locale, viewer, tenant, objective.cycle_id, planned)

    @post("/objectives/{objective_id:str}/edit", name="portal:objective-edit")
    async def edit_objective(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        objective_id: FromPath[str],
        form: FormDep,
    ) -> Response[Any]:
        """Change an objective's title, owner, weight, and whether it is committed and counts
        its aligned objectives: the fields changed from what the form showed (`was_…`),
        only, each a line of the history (a form left open puts back nothing changed since)."""
        _, objective = await _objective(portal, viewer, tenant, objective_id)
        planned = Planned("objective_edit", str(objective.objective_id),
                          typed(form, OBJECTIVE_EDIT_FIELDS), locale)  # fmt: skip
        planned.text("title", values.title)
        offered = await offered_people(portal, tenant)
        if planned.typed["owner"] != objective.owner:  # (one who left keeps it, unchanged)
            planned.choice("owner", offered)
        weight = planned.number("weight")
        given: dict[str, Any] = {
            "title": planned.typed["title"], "owner": planned.typed["owner"], "weight": weight,
            "committed": planned.typed["committed"] == "yes",
            "roll_up_children": planned.typed["roll_up_children"] == "yes",
        }  # fmt: skip
        changed = changed_fields(form, given, planned.typed)
        if not planned.errors and not changed:
            planned.errors["form"] = locale.t("edit.nothing")
        if not planned.errors:
            command = portal.app.objectives.edit(
                _context(tenant, viewer), objective.objective_id, **changed
            )
            if await _run(portal, tenant, planned, command) is not None:
                return _landed(tenant, objective.cycle_id, "objective_edited",
                               f"o-{objective.objective_id}")  # fmt: skip
        return await _refused(request, portal, locale, viewer, tenant, objective.cycle_id, planned)

    @post("/objectives/{objective_id:str}/align", name="portal:objective-align")
    async def align_objective(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        objective_id: FromPath[str],
        form: FormDep,
    ) -> Response[Any]:
        """Align an objective under another of its cycle (not one aligned under it), or
        make it one of the cycle's top objectives."""
        state, objective = await _objective(portal, viewer, tenant, objective_id)
        planned = Planned("objective_align", str(objective.objective_id),
                          typed(form, ("parent",)), locale)  # fmt: skip
        offered = [str(o.objective_id) for o in alignments(state)[objective.objective_id]]
        parent = planned.choice("parent", ["", *offered])
        if not planned.errors and parent == str(objective.parent_id or ""):
            planned.errors["form"] = locale.t("edit.nothing")
        if not planned.errors:
            command = portal.app.objectives.reparent(
                _context(tenant, viewer), objective.objective_id,
                parent_id=UUID(parent) if parent else None,
            )  # fmt: skip
            if await _run(portal, tenant, planned, command) is not None:
                return _landed(tenant, objective.cycle_id, "objective_aligned",
                               f"o-{objective.objective_id}")  # fmt: skip
        return await _refused(request, portal, locale, viewer, tenant, objective.cycle_id, planned)

    @post("/objectives/{objective_id:str}/archive", name="portal:objective-archive")
    async def archive_objective(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        objective_id: FromPath[str],
        form: FormDep,
    ) -> Response[Any]:
        """Archive an objective, with a reason: it leaves the tree and the roll-ups, and
        stays in the history."""
        return await _with_reason(
            request, portal, locale, viewer, tenant, objective_id, form,
            portal.app.objectives.archive, "archive", "archive.reason_missing",
        )  # fmt: skip

    @post("/objectives/{objective_id:str}/restore", name="portal:objective-restore")
    async def restore_objective(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        objective_id: FromPath[str],
        form: FormDep,
    ) -> Response[Any]:
        """Restore an archived objective, with a reason: it and its key results come back to
        the tree and the roll-ups (not into a closed cycle, nor under a parent archived)."""
        return await _with_reason(
            request, portal, locale, viewer, tenant, objective_id, form,
            portal.app.objectives.restore, "restore", "plan.objective.restore_reason_missing",
        )  # fmt: skip

    @post("/kpis", name="portal:new-kpi")
    async def new_kpi(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        form: FormDep,
    ) -> Response[Any]:
        """Define a KPI: its name, owner, unit, which way is better, its green and red
        thresholds and how often it is measured (days)."""
        await _state(portal, viewer, tenant)
        planned = Planned("kpi", "", typed(form, KPI_FIELDS), locale)
        name = planned.text("name", a_name)
        owner = planned.choice("owner", await offered_people(portal, tenant))
        direction = planned.choice("direction", _values(Direction))
        green, red = planned.number("green"), planned.number("red")
        if green is not None and red is not None:
            ordered = partial(check_thresholds, direction, green, red)
            planned.together(ordered, "direction", "green", "red")
        every = planned.days("frequency_days")
        measured = _unit(planned)
        if not planned.errors and green is not None and red is not None and every is not None:
            command = portal.app.kpis.create(
                _context(tenant, viewer), name=name, owner=owner, direction=direction,
                green=green, red=red, frequency_days=every, unit=measured,
            )  # fmt: skip
            written = await _run(portal, tenant, planned, command)
            if written is not None:
                return Redirect(
                    path=f"/t/{tenant.id}?done=kpi_added#kpi-{written.item_id}", status_code=303
                )
        return await _refused(request, portal, locale, viewer, tenant, None, planned)

    @post("/kpis/{kpi_id:str}/measurements", name="portal:measurement")
    async def measure(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        kpi_id: FromPath[str],
        form: FormDep,
    ) -> Response[Any]:
        """Record a KPI's value for a day, as whoever may check in may (the API too): it
        feeds the key results linked to it."""
        if not viewer.can(tenant.id, Permission.CHECK_IN):
            raise ForbiddenError
        state = await progress_state(portal.system.pool, tenant.id)
        kpi = state.kpis.get(parse_id(kpi_id))
        if kpi is None:
            raise PageNotFoundError
        fields = typed(form, MEASUREMENT_FIELDS)
        planned = Planned("measurement", str(kpi.kpi_id), fields, locale, unit=kpi)
        value = planned.number("value")
        on = planned.day("on")
        planned.optional("note", values.note)
        far = value is not None and far_off_kpi(kpi, value)
        if kpi.archived:  # its form is gone (retired meanwhile): said at the top
            planned.errors = {"form": locale.t("measurement.retired")}
        elif value is None or planned.asked_first(
            value, far, said_far_off(locale, "measurement.far_off", kpi, value)
        ):
            pass  # said beside the value
        elif not planned.errors and on is not None:
            command = portal.app.kpis.record_measurement(
                _context(tenant, viewer), kpi.kpi_id, value=value, on=on,
                note=planned.typed["note"],
            )  # fmt: skip
            written = await _run(portal, tenant, planned, command)
            if written is not None:
                return Redirect(
                    path=f"/t/{tenant.id}?done=measured#kpi-{kpi.kpi_id}", status_code=303
                )
        return await _refused(request, portal, locale, viewer, tenant, None, planned)


def far_off_kpi(kpi: KPIView, value: Decimal) -> bool:
    """Whether a KPI's value lies further from its thresholds (and its latest value) than
    twice the way between them: likely a slip ("19,350" typed for 19.350, read as 19,35),
    which its key results would take as it is. Asked first, as a check-in's is."""
    known = [kpi.green, kpi.red] + ([] if kpi.latest is None else [kpi.latest.value])
    return far_from(known, abs(kpi.green - kpi.red) or abs(kpi.green) or Decimal(1), value)


def said_far_off(locale: Locale, key: str, kpi: KPIView, value: Decimal) -> str:
    """Why a KPI's value is asked about first: it, and the thresholds it is far from."""
    return locale.t(
        key, value=locale.value(value, kpi), green=locale.value(kpi.green, kpi),
        red=locale.value(kpi.red, kpi),
    )  # fmt: skip


def _values(enum: type[StrEnum]) -> list[str]:
    return [member.value for member in enum]


def _feeding(planned: Planned, state: ProgressView) -> UUID | None:
    """The KPI chosen to feed a new key result, if any (one the form offered)."""
    chosen = planned.choice("kpi", ["", *(k for k, _ in feeding_kpis(state))])
    return UUID(chosen) if chosen and "kpi" not in planned.errors else None


def _relative(planned: Planned, state: ProgressView, kpi: UUID | None) -> bool:
    """Whether a new key result's target is typed as a change from its start (see
    typed_relative), in the unit chosen or of the KPI that feeds it."""
    unit_kind = state.kpis[kpi].unit_kind if kpi else planned.typed["unit"]
    return typed_relative(planned.typed["target"], unit_kind)


def _unit(planned: Planned) -> Unit | None:
    """The unit chosen, with its currency (a currency's only) and label; None (said) if
    it is not one."""
    kind = planned.choice("unit", _values(UnitKind))
    if "unit" in planned.errors:
        return None
    currency = planned.typed["currency"] if kind == UnitKind.CURRENCY else None
    try:
        return unit(kind, currency, planned.typed["unit_label"])
    except DomainError as error:
        planned.refused(error)
        return None


async def _state(portal: Portal, viewer: Principal, tenant: Tenant) -> ProgressView:
    """The tenant's state, for a viewer who may plan (else the 403 page)."""
    if not viewer.can(tenant.id, Permission.EDIT_OKRS):
        raise ForbiddenError
    return await progress_state(portal.system.pool, tenant.id)


async def _objective(
    portal: Portal, viewer: Principal, tenant: Tenant, objective_id: str
) -> tuple[ProgressView, ObjectiveView]:
    """The tenant's state and one of its objectives, for a viewer who may plan (else the
    403 page; the 404 page for an objective not there)."""
    state = await _state(portal, viewer, tenant)
    objective = state.objectives.get(parse_id(objective_id))
    if objective is None:
        raise PageNotFoundError
    return state, objective


async def offered_people(portal: Portal, tenant: Tenant) -> list[str]:
    """Whom an item may be given to: the tenant's people now (people_choices), by id."""
    return [actor for actor, _ in people_choices(await portal.people.names(tenant.id))]


def _context(tenant: Tenant, viewer: Principal) -> Context:
    return Context(tenant.id, viewer.actor)


async def _run(
    portal: Portal, tenant: Tenant, planned: Planned, command: Awaitable[Written]
) -> Written | None:
    """Run a form's command and wait until the dashboard shows what it wrote; None, and its
    refusal said, if refused."""
    try:
        written = await command
    except (DomainError, ConcurrencyError) as error:
        planned.refused(error)
        return None
    await wait_for_position(
        portal.system.pool, tenant.id, written.position, within=portal.read_wait_seconds
    )
    return written


async def _with_reason(
    request: Request[Any, Any, Any],
    portal: Portal,
    locale: Locale,
    viewer: Principal,
    tenant: Tenant,
    objective_id: str,
    form: Mapping[str, str],
    command: Callable[..., Awaitable[Written]],
    step: str,
    reason_missing: str,
) -> Response[Any]:
    """Archive or restore (`step`, its `command`) an objective, with a reason: the dashboard
    it lands on says it done (a restored one shown where it stands again), or the form's
    errors."""
    _, objective = await _objective(portal, viewer, tenant, objective_id)
    planned = Planned(f"objective_{step}", str(objective.objective_id),
                      typed(form, ("reason",)), locale)  # fmt: skip
    if not planned.typed["reason"]:
        planned.errors["reason"] = locale.t(reason_missing)
    if not planned.errors:
        written = command(
            _context(tenant, viewer), objective.objective_id, reason=planned.typed["reason"]
        )
        if await _run(portal, tenant, planned, written) is not None:
            anchor = f"o-{objective.objective_id}" if step == "restore" else ""
            return _landed(tenant, objective.cycle_id, f"objective_{step}d", anchor)
    return await _refused(request, portal, locale, viewer, tenant, objective.cycle_id, planned)


def _landed(tenant: Tenant, cycle_id: UUID, done: str, anchor: str = "") -> Redirect:
    where = f"#{anchor}" if anchor else ""
    return Redirect(path=f"/t/{tenant.id}?cycle={cycle_id}&done={done}{where}", status_code=303)


async def _refused(
    request: Request[Any, Any, Any],
    portal: Portal,
    locale: Locale,
    viewer: Principal,
    tenant: Tenant,
    cycle_id: UUID | None,
    planned: Planned,
) -> Response[Any]:
    return await dashboard_page(
        request, portal, locale, viewer, tenant, None if cycle_id is None else str(cycle_id),
        planned=planned, status=422,
    )  # fmt: skip
