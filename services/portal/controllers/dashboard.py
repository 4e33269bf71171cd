"""The tenant dashboard: cycle picker, objective tree, KPI tiles; starting a cycle and
closing one, for those who may."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from domain.errors import DomainError
from projections.progress_state import ProgressView
from projections.progress_tree import kpi_board, progress_tree
from services.app import Context
from services.i18n import Locale
from services.portal.controllers.key_results import people_choices, refusal
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
    Planned,
    Planning,
    alignments,
    archived_objectives,
    feeding_kpis,
    next_cycle_days,
    parents_by_cycle,
)
from services.portal.portal import Portal
from services.portal.scores import score_changes
from services.portal.views import (
    by_date,
    choose_cycle,
    kpi_of,
    kpi_tiles,
    optional_id,
    status_counts,
)
from services.projector.waiting import wait_for_position
from services.read import progress_state
from services.read.people import Names
from services.store.event_store import ConcurrencyError
from tenants.models import Tenant
from tenants.principal import Principal
from tenants.roles import Permission


class DashboardController(Controller):
    """/t/{tenant_id}: how the tenant's goals stand today (two read-model queries)."""

    path = "/t/{tenant_id:str}"

    @get("/", name="portal:dashboard")
    async def dashboard(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        cycle: FromQuery[str | None] = None,
        done: FromQuery[str | None] = None,
        kpi: FromQuery[str | None] = None,
    ) -> Response[Any]:
        """`kpi`: a KPI its new key result forms offer first (its page's link to a recovery
        key result)."""
        said = locale.t(DONE[done]) if done in DONE else None
        return await dashboard_page(
            request, portal, locale, viewer, tenant, cycle, said=said, for_kpi=kpi
        )

    @post("/cycles/{cycle_id:str}/{action:str}", name="portal:cycle-action")
    async def act(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        cycle_id: FromPath[str],
        action: FromPath[str],
        form: FormDep,
    ) -> Response[Any]:
        """Start a cycle in planning (whoever may edit OKRs), or close an active one, which
        grades every key result and objective as they stand (whoever may close cycles): the
        API's commands. A refusal (another person closed it meanwhile) is said on the page."""
        permission = _ACTIONS.get(action)
        if permission is None:
            raise PageNotFoundError
        if not viewer.can(tenant.id, permission):
            raise ForbiddenError
        wanted = parse_id(cycle_id)
        state = await progress_state(portal.system.pool, tenant.id)
        if wanted not in state.cycles:
            raise PageNotFoundError
        command = portal.app.cycles.activate if action == "activate" else portal.app.cycles.close
        try:
            written = await command(Context(tenant.id, viewer.actor), wanted)
        except (DomainError, ConcurrencyError) as e:  # (changed first by someone else)
            refused = refusal(locale, e)
            return await dashboard_page(
                request, portal, locale, viewer, tenant, str(wanted), refused=refused, status=409
            )
        await wait_for_position(
            portal.system.pool, tenant.id, written.position, within=portal.read_wait_seconds
        )
        return Redirect(path=f"/t/{tenant.id}?cycle={wanted}&done={action}", status_code=303)


_ACTIONS = {"activate": Permission.EDIT_OKRS, "close": Permission.CLOSE_CYCLES}
"""What may be done to a cycle from the dashboard, and who may."""
DONE = {
    "activate": "cycle_action.activate_done",
    "close": "cycle_action.close_done",
    "cycle_planned": "plan.cycle.done",
    "cycle_renamed": "plan.cycle.renamed",
    "cycle_rescheduled": "plan.cycle.rescheduled",
    "objective_added": "plan.objective.done",
    "key_result_added": "plan.key_result.done",
    "measured": "measurement.done",
    "kpi_added": "plan.kpi.done",
    "objective_edited": "edit.saved",
    "objective_aligned": "plan.objective.aligned",
    "objective_archived": "plan.objective.archived",
    "objective_restored": "plan.objective.restored",
    "score_adjusted": "score.done",
    "client_created": "client.created",
}
"""What the dashboard says once something was done on it (?done=), by what."""


async def dashboard_page(
    request: Request[Any, Any, Any],
    portal: Portal,
    locale: Locale,
    viewer: Principal,
    tenant: Tenant,
    cycle: str | None,
    *,
    said: str | None = None,
    refused: str | None = None,
    planned: Planned | None = None,
    status: int = 200,
    for_kpi: str | None = None,
) -> Response[Any]:
    """The dashboard of today, on the cycle asked for; `said`: what was just done,
    `refused`: why it was not, `planned`: a planning form that failed (open again);
    `for_kpi`: the id of a live KPI the new key result forms feed from unless told (else
    none: a wrong one is left unsaid, as a wrong cycle is)."""
    state = await progress_state(portal.system.pool, tenant.id)
    if planned is not None and not planned.shown_in(state):  # closed meanwhile: said here
        refused, planned = " ".join(planned.errors.values()), None
    today = portal.today(tenant)
    # the picker lists every cycle and the page shows one: the tree of that one only (every
    # cycle's took 3 times as long, for a tenant of 8 cycles)
    cycles = by_date(state.cycles.values())
    picked = choose_cycle(cycles, optional_id(cycle))
    chosen, archived = None, []
    if picked is not None:
        archived = archived_objectives(state, picked.cycle_id)
        tree = progress_tree(
            state, today=today, cycle_id=picked.cycle_id, cadence_days=tenant.check_in_cadence_days
        )
        chosen = tree.cycles[0]
    rescored = await score_changes(portal.system.pool, tenant.id, state, chosen)
    acted = {line.actor for lines in rescored.values() for line in lines}
    names = await portal.people.names(tenant.id, acted)  # owners, and who changed a score
    return portal.pages.render(
        request, "dashboard.html", locale=locale, viewer=viewer, tenant=tenant,
        section="dashboard", cycles=cycles, cycle=chosen, names=names,
        counts=status_counts(chosen) if chosen else {},
        kpis=kpi_tiles(state, kpi_board(state, today=today), locale), today=today,
        as_of=None, status=status, cycle_said=said, cycle_refused=refused, rescored=rescored,
        can_activate=viewer.can(tenant.id, Permission.EDIT_OKRS),
        can_close=viewer.can(tenant.id, Permission.CLOSE_CYCLES),
        plan=_planning(state, names, today, tenant, for_kpi)
        if viewer.can(tenant.id, Permission.EDIT_OKRS) else None,
        planned=planned, can_measure=viewer.can(tenant.id, Permission.CHECK_IN),
        archived_objectives=archived,
    )  # fmt: skip


def _planning(
    state: ProgressView, names: Names, today: date, tenant: Tenant, for_kpi: str | None
) -> Planning:
    """What the planning forms offer (a first cycle: a quarter of the tenant's fiscal year;
    new key results fed by the KPI `for_kpi` names, if live)."""
    ends = (c.ends_on for c in state.cycles.values())
    starts_on, ends_on = next_cycle_days(ends, today, tenant.fiscal_year_start_month)
    parents = parents_by_cycle(state)
    feeding = kpi_of(state, optional_id(for_kpi))
    return Planning(
        people=people_choices(names), parents=parents, aligns=alignments(state, parents),
        starts_on=starts_on, ends_on=ends_on, kpis=feeding_kpis(state),
        for_kpi=None if feeding is None or feeding.archived else feeding,
    )  # fmt: skip
