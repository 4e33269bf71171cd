"""History: the timeline in words with filters, the tree "as of" a day, the diff of two days,
and the timeline as CSV.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.params import FromQuery, QueryParameter
from litestar.response import Stream

from projections.history import line_actors
from projections.progress_tree import kpi_board, progress_tree
from services.instants import after, before, end_of, start_of
from services.portal.controllers.dashboard import optional_id
from services.portal.dependencies import LocaleDep, PortalDep, TenantDep, ViewerDep
from services.portal.history_text import (
    CHANGE_KINDS,
    ITEM_KINDS,
    csv_lines,
    diff_groups,
    local_text,
)
from services.portal.views import csv_download, kpi_tiles, parse_day
from services.read import diff, history, progress_state, state_as_of
from tenants.roles import Permission

PAGE = 50


class HistoryController(Controller):
    """/t/{tenant_id}/history, /as-of, /diff, /history.csv."""

    path = "/t/{tenant_id:str}"

    @get("/history", name="portal:history")
    async def timeline(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        item: FromQuery[str | None] = None,
        person: FromQuery[str | None] = None,
        kind: FromQuery[str | None] = None,
        since: Annotated[str | None, QueryParameter(name="from")] = None,
        until: Annotated[str | None, QueryParameter(name="to")] = None,
        before: FromQuery[int | None] = None,
    ) -> Response[Any]:
        first, last = parse_day(since), parse_day(until)
        kind = kind if kind in ITEM_KINDS + CHANGE_KINDS else None
        lines = await history(
            portal.system.pool, tenant.id, item_id=optional_id(item), actor=person or None,
            kind=kind, since=start_of(first) if first else None,
            until=after(last) if last else None,
            before_position=before, limit=PAGE + 1,
        )  # fmt: skip
        state = await progress_state(portal.system.pool, tenant.id)
        names = await portal.people.names(tenant.id, line_actors(lines))
        shown = lines[:PAGE]
        today = portal.today()
        return portal.pages.render(
            request, "history.html", locale=locale, viewer=viewer, tenant=tenant,
            section="history", lines=[(line, local_text(line, locale, names)) for line in shown],
            more=shown[-1].position if len(lines) > PAGE else None, names=names, state=state,
            filters={"item": item or "", "person": person or "", "kind": kind or "",
                     "from": first.isoformat() if first else "",
                     "to": last.isoformat() if last else ""},
            item_kinds=ITEM_KINDS, change_kinds=CHANGE_KINDS, today=today,
            default_as_of=(today - timedelta(days=30)).isoformat(),
            can_audit=viewer.can(tenant.id, Permission.READ_AUDIT),
        )  # fmt: skip

    @get("/as-of", name="portal:as-of")
    async def as_of(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        day: Annotated[str | None, QueryParameter(name="date")] = None,
    ) -> Response[Any]:
        today = portal.today()
        chosen = min(parse_day(day) or today - timedelta(days=30), today)
        state = await state_as_of(portal.system.repository, tenant.id, recorded_at=end_of(chosen))
        tree = progress_tree(state, today=chosen, cadence_days=tenant.check_in_cadence_days)
        names = await portal.people.names(tenant.id)  # owners: the tenant's people
        return portal.pages.render(
            request, "dashboard.html", locale=locale, viewer=viewer, tenant=tenant,
            section="history", cycles=tree.cycles, cycle=None, names=names, counts={},
            kpis=kpi_tiles(state, kpi_board(state, today=chosen), locale), today=today,
            can_audit=viewer.can(tenant.id, Permission.READ_AUDIT), as_of=chosen,
        )  # fmt: skip

    @get("/diff", name="portal:diff")
    async def difference(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        since: Annotated[str | None, QueryParameter(name="from")] = None,
        until: Annotated[str | None, QueryParameter(name="to")] = None,
    ) -> Response[Any]:
        today = portal.today()
        first = min(parse_day(since) or today - timedelta(days=7), today)
        last = min(parse_day(until) or today, today)
        first, last = min(first, last), max(first, last)
        changes = await diff(
            portal.system.repository, tenant.id, since=before(first), until=end_of(last)
        )
        state = await progress_state(portal.system.pool, tenant.id)
        names = await portal.people.names(tenant.id)  # owners: the tenant's people
        return portal.pages.render(
            request, "diff.html", locale=locale, viewer=viewer, tenant=tenant,
            section="history", first=first, last=last, today=today,
            groups=diff_groups(changes, state, locale, names),
        )  # fmt: skip

    @get("/history.csv", name="portal:history-csv")
    async def history_csv(
        self, portal: PortalDep, locale: LocaleDep, viewer: ViewerDep, tenant: TenantDep
    ) -> Stream:
        async def rows() -> AsyncIterator[str]:
            before: int | None = None
            names = await portal.people.names(tenant.id)
            yield csv_lines(locale, [], names, header=True)
            while True:
                lines = await history(
                    portal.system.pool, tenant.id, before_position=before, limit=1000
                )
                if not lines:
                    return
                names = await portal.people.names(tenant.id, line_actors(lines))
                yield csv_lines(locale, lines, names)
                before = lines[-1].position

        return csv_download(rows(), tenant.slug, "history", portal.today())
