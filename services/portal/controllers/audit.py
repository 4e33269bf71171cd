"""The audit trail for those who may read it: every event with its hash, filtered by item,
person, kind of event and days, the chain verified, and the trail as CSV or JSON Lines.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import tzinfo
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery, QueryParameter
from litestar.response import Stream

from projections.audit import BOM, AuditEntry, audit_jsonl
from projections.history import line_actors
from services.history_words import Phrases, units_of
from services.i18n import Locale
from services.portal.dependencies import LocaleDep, PortalDep, TenantDep, ViewerDep
from services.portal.errors import BadFiltersError, ForbiddenError
from services.portal.history_text import audit_csv_lines
from services.portal.views import LogFilters, csv_download, download, not_offered
from services.read import audit, history_at, item_names
from services.read.logs import AGGREGATE_TOPICS
from services.store.chain import verify_chain
from tenants.roles import Permission

PAGE = 100
TOPICS = AGGREGATE_TOPICS
"""The kinds of event the page filters by: each aggregate's topics (a dotted prefix)."""


def requires_audit(viewer: ViewerDep, tenant: TenantDep) -> None:
    if not viewer.can(tenant.id, Permission.READ_AUDIT):
        raise ForbiddenError


@dataclass(frozen=True, kw_only=True)
class Filters(LogFilters):
    """The trail's filters as the page's query gave them; the downloads take the same."""

    topic: str | None = None

    @property
    def bad(self) -> dict[str, str]:
        """The days that are not days, an item that is no item's id, and a kind of event
        the page does not offer."""
        bad = super().bad
        if self.topic and self.topic not in TOPICS:
            bad["topic"] = self.topic
        return bad

    def query(self, zone: tzinfo) -> dict[str, Any]:
        """The arguments of read.audit (the days' bounds in the tenant's `zone`)."""
        return {"stream_id": self.item_id, "actor": self.person or None,
                "topic": self.topic or None, **self.days(zone)}  # fmt: skip

    def shown(self) -> dict[str, str]:
        return {**super().shown(), "topic": self.topic or ""}


def audit_filters(
    item: FromQuery[str | None] = None,
    person: FromQuery[str | None] = None,
    topic: FromQuery[str | None] = None,
    since: Annotated[str | None, QueryParameter(name="from")] = None,
    until: Annotated[str | None, QueryParameter(name="to")] = None,
) -> Filters:
    """The trail's filters from the query: one declaration for the page and its downloads."""
    return Filters(item=item, person=person, topic=topic, since=since, until=until)


FiltersDep = NamedDependency[Filters]


class AuditController(Controller):
    """/t/{tenant_id}/audit, /audit.csv and /audit.jsonl."""

    path = "/t/{tenant_id:str}"
    dependencies = {"filters": Provide(audit_filters, sync_to_thread=False)}

    @get("/audit", name="portal:audit")
    async def trail(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        filters: FiltersDep,
        after: FromQuery[int | None] = None,
        before: FromQuery[int | None] = None,
        verify: FromQuery[bool] = False,
    ) -> Response[Any]:
        """The latest events first (a page, then those before: ?before=), or from a
        position on, oldest first (?after=); the downloads are in the log's order."""
        requires_audit(viewer, tenant)
        items = await item_names(portal.system.pool, tenant.id)
        bad = filters.bad or await not_offered(portal, tenant.id, filters, items)
        newest = after is None
        entries = [] if bad else await audit(
            portal.system.repository, tenant.id, **filters.query(tenant.zone), after_position=after,
            before_position=before if newest else None, newest_first=newest, limit=PAGE + 1,
        )  # fmt: skip
        report = await verify_chain(portal.system.pool, tenant.id) if verify else None
        shown = entries[:PAGE]
        lines = await history_at(portal.system.pool, tenant.id, [e.position for e in shown])
        acted = {e.actor for e in shown} | line_actors(lines.values())
        names = await portal.people.names(tenant.id, acted)
        phrases = Phrases(locale, names, units_of(items))
        said = {at: phrases.text(line) for at, line in lines.items()}
        return portal.pages.render(
            request, "audit.html", locale=locale, viewer=viewer, tenant=tenant,
            section="audit", entries=shown, said=said, names=names, report=report, after=after,
            before=before, newest=newest, filters=filters.shown(),
            more=shown[-1].position if len(entries) > PAGE else None,
            filter_link=filters.link(), bad=bad, items=items,
            topics=[(t, locale.t(f"audit.topic.{t}")) for t in TOPICS],
        )  # fmt: skip

    @get(["/audit.csv", "/audit.jsonl"], name="portal:audit-download")
    async def trail_download(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        filters: FiltersDep,
    ) -> Stream:
        """The trail as the page's filters show it: CSV for a spreadsheet in the reader's
        language (see audit_csv_lines), or JSON Lines as the API writes them (one JSON
        object an event)."""
        requires_audit(viewer, tenant)
        bad = filters.bad or await not_offered(portal, tenant.id, filters)
        if bad:
            raise BadFiltersError(bad, viewer)  # only a hand-made link: the page never offers it
        if request.url.path.endswith(".csv"):
            rows = _spreadsheet(portal, tenant, filters, locale)
            return csv_download(rows, tenant.slug, "audit", portal.today(tenant))
        lines = _json_lines(portal, tenant, filters)
        return download(
            lines, "application/jsonl", tenant.slug, "audit", "jsonl", portal.today(tenant)
        )


async def _entry_pages(
    portal: PortalDep, tenant: TenantDep, filters: Filters
) -> AsyncIterator[list[AuditEntry]]:
    """The filtered trail, a thousand entries at a time."""
    after: int | None = None
    while True:
        entries = await audit(
            portal.system.repository, tenant.id, **filters.query(tenant.zone), after_position=after,
            limit=1000,
        )  # fmt: skip
        yield entries
        if len(entries) < 1000:
            return
        after = entries[-1].position


async def _spreadsheet(
    portal: PortalDep, tenant: TenantDep, filters: Filters, locale: Locale
) -> AsyncIterator[str]:
    """The filtered trail as audit_csv_lines writes it: a BOM (Excel then reads UTF-8), the
    header, then each page with its people's names and its lines' words."""
    yield BOM
    header = True
    units = units_of(await item_names(portal.system.pool, tenant.id))
    async for entries in _entry_pages(portal, tenant, filters):
        lines = await history_at(portal.system.pool, tenant.id, [e.position for e in entries])
        acted = {e.actor for e in entries} | line_actors(lines.values())
        names = await portal.people.names(tenant.id, acted)
        phrases = Phrases(locale, names, units)
        said = {at: phrases.text(line) for at, line in lines.items()}
        yield audit_csv_lines(locale, entries, said, names, header=header)
        header = False


async def _json_lines(
    portal: PortalDep, tenant: TenantDep, filters: Filters
) -> AsyncIterator[bytes]:
    """The filtered trail as the API's JSON Lines."""
    async for entries in _entry_pages(portal, tenant, filters):
        for line in audit_jsonl(entries):
            yield line
