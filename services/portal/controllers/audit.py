"""The audit trail for those who may read it: every event with its hash, filtered by person,
kind of event and days, the chain verified, and the trail as CSV or JSON Lines.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery, QueryParameter
from litestar.response import Stream

from projections.audit import AuditEntry, audit_csv, audit_jsonl
from projections.history import line_actors
from services.portal.dependencies import LocaleDep, PortalDep, TenantDep, ViewerDep
from services.portal.errors import BadFiltersError, ForbiddenError
from services.portal.history_text import local_text
from services.portal.views import DayFilters, csv_download, download, offered_person
from services.read import audit, history_at
from services.read.logs import AGGREGATE_TOPICS
from services.store.chain import verify_chain
from tenants.roles import Permission

PAGE = 100
TOPICS = AGGREGATE_TOPICS
"""The kinds of event the page filters by: each aggregate's topics (a dotted prefix)."""
T = TypeVar("T", str, bytes)


def requires_audit(viewer: ViewerDep, tenant: TenantDep) -> None:
    if not viewer.can(tenant.id, Permission.READ_AUDIT):
        raise ForbiddenError


@dataclass(frozen=True, kw_only=True)
class Filters(DayFilters):
    """The trail's filters as the page's query gave them; the downloads take the same."""

    person: str | None = None
    topic: str | None = None

    @property
    def bad(self) -> dict[str, str]:
        """The days that are not days, and a kind of event the page does not offer."""
        bad = super().bad
        if self.topic and self.topic not in TOPICS:
            bad["topic"] = self.topic
        return bad

    def query(self) -> dict[str, Any]:
        """The arguments of read.audit."""
        return {"actor": self.person or None, "topic": self.topic or None, **self.days()}

    def shown(self) -> dict[str, str]:
        return {"person": self.person or "", "topic": self.topic or "", **super().shown()}


def audit_filters(
    person: FromQuery[str | None] = None,
    topic: FromQuery[str | None] = None,
    since: Annotated[str | None, QueryParameter(name="from")] = None,
    until: Annotated[str | None, QueryParameter(name="to")] = None,
) -> Filters:
    """The trail's filters from the query: one declaration for the page and its downloads."""
    return Filters(person=person, topic=topic, since=since, until=until)


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
        verify: FromQuery[bool] = False,
    ) -> Response[Any]:
        requires_audit(viewer, tenant)
        bad = filters.bad or await _not_offered(portal, tenant, filters)
        entries = [] if bad else await audit(
            portal.system.repository, tenant.id, **filters.query(), after_position=after,
            limit=PAGE + 1,
        )  # fmt: skip
        report = await verify_chain(portal.system.pool, tenant.id) if verify else None
        shown = entries[:PAGE]
        lines = await history_at(portal.system.pool, tenant.id, [e.position for e in shown])
        acted = {e.actor for e in shown} | line_actors(lines.values())
        names = await portal.people.names(tenant.id, acted)
        said = {at: local_text(line, locale, names) for at, line in lines.items()}
        return portal.pages.render(
            request, "audit.html", locale=locale, viewer=viewer, tenant=tenant,
            section="audit", entries=shown, said=said, names=names, report=report, after=after,
            more=shown[-1].position if len(entries) > PAGE else None, filters=filters.shown(),
            filter_link=filters.link(), bad=bad,
            topics=[(t, locale.t(f"audit.topic.{t}")) for t in TOPICS],
        )  # fmt: skip

    @get(["/audit.csv", "/audit.jsonl"], name="portal:audit-download")
    async def trail_download(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        filters: FiltersDep,
    ) -> Stream:
        """The trail as the page's filters show it, as the API writes it: CSV (a header, then
        a line an event) or JSON Lines (one JSON object an event)."""
        requires_audit(viewer, tenant)
        bad = filters.bad or await _not_offered(portal, tenant, filters)
        if bad:
            raise BadFiltersError(bad, viewer)  # only a hand-made link: the page never offers it
        if request.url.path.endswith(".csv"):
            rows = _pages(portal, tenant, filters, audit_csv, header=1)
            return csv_download(rows, tenant.slug, "audit", portal.today())
        lines = _pages(portal, tenant, filters, audit_jsonl)
        return download(lines, "application/jsonl", tenant.slug, "audit", "jsonl", portal.today())


async def _not_offered(portal: PortalDep, tenant: TenantDep, filters: Filters) -> dict[str, str]:
    """A person the page's list does not offer (a hand-made link: see views.offered_person).
    Asked for, they listed nothing, unsaid."""
    person = filters.person
    offered = not person or await offered_person(portal, tenant.id, person)
    return {} if offered else {"person": person or ""}


def _pages(
    portal: PortalDep,
    tenant: TenantDep,
    filters: Filters,
    lines_of: Callable[[Iterable[AuditEntry]], Iterator[T]],
    *,
    header: int = 0,
) -> AsyncIterator[T]:
    """Every page of the filtered trail, as `lines_of` writes it (its `header` lines once)."""

    async def rows() -> AsyncIterator[T]:
        after: int | None = None
        first = True
        while True:
            entries = await audit(
                portal.system.repository, tenant.id, **filters.query(), after_position=after,
                limit=1000,
            )  # fmt: skip
            lines = list(lines_of(entries))
            for line in lines if first else lines[header:]:
                yield line
            first = False
            if len(entries) < 1000:
                return
            after = entries[-1].position

    return rows()
