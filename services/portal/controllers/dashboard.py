"""The tenant dashboard: cycle picker, objective tree, KPI tiles."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get
from litestar.params import FromQuery

from projections.progress_tree import kpi_board, progress_tree
from services.portal.dependencies import LocaleDep, PortalDep, TenantDep, ViewerDep
from services.portal.views import by_date, choose_cycle, kpi_tiles, status_counts
from services.read import progress_state


def optional_id(text: str | None) -> UUID | None:
    try:
        return None if not text else UUID(text)
    except ValueError:
        return None


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
    ) -> Response[Any]:
        state = await progress_state(portal.system.pool, tenant.id)
        today = portal.today()
        tree = progress_tree(state, today=today, cadence_days=tenant.check_in_cadence_days)
        cycles = by_date(tree.cycles)
        chosen = choose_cycle(cycles, optional_id(cycle))
        names = await portal.people.names(tenant.id)  # owners: the tenant's people
        return portal.pages.render(
            request, "dashboard.html", locale=locale, viewer=viewer, tenant=tenant,
            section="dashboard", cycles=cycles, cycle=chosen, names=names,
            counts=status_counts(chosen) if chosen else {},
            kpis=kpi_tiles(state, kpi_board(state, today=today), locale), today=today,
            as_of=None,
        )  # fmt: skip
