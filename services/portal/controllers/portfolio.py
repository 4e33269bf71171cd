"""The portfolio: every client tenant a consultancy person serves, and nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import uuid4

from litestar import Controller, Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Redirect

from projections.portfolio import PortfolioRow
from services.i18n import Locale
from services.portal.controllers.clients import (
    CLIENT_FIELDS,
    consultancies_offered,
    create_client,
    creating_in,
    language_choices,
    month_choices,
    new_zone_choices,
)
from services.portal.controllers.session import home_of
from services.portal.dependencies import FormDep, LocaleDep, PortalDep, TenantDep, ViewerDep
from services.portal.errors import ForbiddenError
from services.portal.planning import Planned, typed
from services.portal.portal import Portal
from services.projector.waiting import wait_for_position
from services.read import portfolio
from tenants.directory import get_tenant, list_consultancy_tenants
from tenants.errors import UnknownTenantError
from tenants.memberships import suspended_tenants
from tenants.models import Tenant
from tenants.principal import Principal

SORTS = ("name", "progress", "on_track", "at_risk", "off_track", "stale", "kpis", "activity")


@dataclass(frozen=True)
class Line:
    """One tenant of the portfolio with its summary."""

    tenant: TenantDep
    row: PortfolioRow

    @property
    def unhealthy(self) -> int:
        """KPIs not green: red, amber, and those with no measurement yet."""
        return self.row.kpis_red + self.row.kpis_amber + self.row.kpis_unmeasured


def sort_key(name: str) -> Any:
    """How a column sorts; missing values go last whichever the direction."""
    keys = {
        "name": lambda ln: (0, ln.tenant.name.lower()),
        "progress": lambda ln: (ln.row.progress is None, ln.row.progress or Decimal(0)),
        "on_track": lambda ln: (0, ln.row.on_track),
        "at_risk": lambda ln: (0, ln.row.at_risk),
        "off_track": lambda ln: (0, ln.row.off_track),
        "stale": lambda ln: (0, ln.row.stale_key_results),
        "kpis": lambda ln: (0, ln.unhealthy),
        "activity": lambda ln: (
            ln.row.last_activity is None,
            ln.row.last_activity.timestamp() if ln.row.last_activity else 0,
        ),
    }
    return keys[name]


def sorted_lines(lines: list[Line], sort: str, descending: bool) -> list[Line]:
    key = sort_key(sort)
    present = [ln for ln in lines if not key(ln)[0]]
    missing = [ln for ln in lines if key(ln)[0]]
    # by name first, then by the column: a stable sort keeps ties A to Z either way
    present.sort(key=_by_name)
    present.sort(key=lambda ln: key(ln)[1], reverse=descending)
    return present + sorted(missing, key=_by_name)


def _by_name(line: Line) -> str:
    return line.tenant.name.lower()


async def served_tenants(portal: PortalDep, viewer: ViewerDep) -> list[Tenant]:
    """The tenants of the viewer's consultancies it may open, and any other tenant it holds."""
    found: dict[Any, Tenant] = {}
    for consultancy_id in viewer.consultancy_roles:
        for tenant in await list_consultancy_tenants(portal.system.pool, consultancy_id):
            if viewer.role_in(tenant.id) is not None:
                found[tenant.id] = tenant
    for tenant_id in sorted(viewer.tenant_ids - found.keys()):
        try:
            found[tenant_id] = await get_tenant(portal.system.pool, tenant_id)
        except UnknownTenantError:
            continue
    return list(found.values())


class PortfolioController(Controller):
    """/portfolio: sortable, one line per tenant, a link into each; and a word on each of
    the viewer's own companies that is suspended (a client whose only company is lands
    here, with nothing else to see). A consultancy admin makes a new client here."""

    @get("/portfolio", name="portal:portfolio")
    async def show(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        sort: FromQuery[str] = "name",
        order: FromQuery[str] = "asc",
    ) -> Response[Any] | Redirect:
        return await portfolio_page(request, portal, locale, viewer, sort=sort, order=order)

    @post("/portfolio/clients", name="portal:new-client")
    async def new_client(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        form: FormDep,
    ) -> Response[Any] | Redirect:
        """A new client company (see services.portal.controllers.clients), then its page."""
        if not creating_in(viewer):
            raise ForbiddenError
        planned = Planned("client", "", typed(form, CLIENT_FIELDS), locale)
        made = await create_client(portal, viewer, planned)
        if made is None:
            return await portfolio_page(request, portal, locale, viewer, planned=planned)
        tenant, position = made
        if position:  # its dashboard reads the views, which begin with its making
            await wait_for_position(
                portal.system.pool, tenant.id, position, within=portal.read_wait_seconds
            )
        return Redirect(path=f"/t/{tenant.id}?done=client_created", status_code=303)


async def portfolio_page(
    request: Request[Any, Any, Any],
    portal: Portal,
    locale: Locale,
    viewer: Principal,
    *,
    sort: str = "name",
    order: str = "asc",
    planned: Planned | None = None,
) -> Response[Any] | Redirect:
    """The portfolio; `planned`: a new client's form that was refused (422, open again)."""
    suspended = await suspended_tenants(portal.system.pool, viewer.id)
    home = home_of(viewer, suspended)
    if home != "/portfolio":  # a client of one company: its own page is its home
        return Redirect(path=home, status_code=303)
    sort = sort if sort in SORTS else "name"
    descending = order == "desc"
    tenants = await served_tenants(portal, viewer)
    rows = await portfolio(
        portal.system.pool, [t.id for t in tenants],
        today={t.id: portal.today(t) for t in tenants},
        cadence_days={t.id: t.check_in_cadence_days for t in tenants},
    )  # fmt: skip
    lines = sorted_lines([Line(t, rows[t.id]) for t in tenants], sort, descending)
    shown = {t.id for t in tenants}
    consultancies = await consultancies_offered(portal, viewer)
    return portal.pages.render(
        request, "portfolio.html", locale=locale, viewer=viewer, section="portfolio",
        lines=lines, sort=sort, descending=descending, sorts=SORTS,
        suspended=[name for tid, name in suspended.items() if tid not in shown],
        serves=bool(viewer.consultancy_roles or viewer.is_platform_admin),
        consultancies=consultancies, planned=planned, status=422 if planned else 200,
        new_client_id=(planned.typed["id"] if planned else "") or str(uuid4()),
        months=month_choices(locale), languages=language_choices(locale),
        zones=new_zone_choices(locale) if consultancies else [],  # (the new client's form's only)
    )  # fmt: skip
