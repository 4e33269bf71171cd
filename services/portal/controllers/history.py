"""History: the timeline in words with filters, the tree "as of" a day, the diff of two days,
and the timeline as CSV.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta, tzinfo
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery, QueryParameter
from litestar.response import Stream

from projections.audit import BOM
from projections.history import line_actors
from projections.progress_tree import kpi_board, progress_tree
from projections.timetravel import Change
from services.history_words import Phrases, units_of
from services.instants import before, end_of
from services.portal.dependencies import LocaleDep, PortalDep, TenantDep, ViewerDep
from services.portal.errors import BadFiltersError
from services.portal.history_text import (
    CHANGE_KINDS,
    ITEM_KINDS,
    csv_lines,
    diff_groups,
)
from services.portal.views import (
    DayFilters,
    LogFilters,
    bad_days,
    by_date,
    choose_cycle,
    csv_download,
    cycle_of_day,
    day_note,
    kpi_tiles,
    not_offered,
    optional_id,
    parse_day,
)
from services.read import (
    CycleNotMadeError,
    ItemNames,
    diff,
    history,
    item_names,
    name_as_of,
    progress_state,
    state_as_of,
)
from tenants.roles import Permission

PAGE = 50


@dataclass(frozen=True, kw_only=True)
class Filters(LogFilters):
    """The timeline's filters as the page's query gave them; the CSV takes the same."""

    kind: str | None = None
    cycle: str | None = None
    """A cycle whose changes the timeline lists: its own, its objectives' and key results'."""

    @property
    def bad(self) -> dict[str, str]:
        """The days that are not days, an item or a cycle that is no item's id, a kind the
        page does not offer."""
        bad = super().bad
        if self.kind and self.kind not in ITEM_KINDS + CHANGE_KINDS:
            bad["kind"] = self.kind
        if self.cycle and optional_id(self.cycle) is None:
            bad["cycle"] = self.cycle
        return bad

    def query(self, zone: tzinfo) -> dict[str, Any]:
        """The arguments of read.history (the days' bounds in the tenant's `zone`)."""
        return {"item_id": self.item_id, "cycle_id": optional_id(self.cycle),
                "actor": self.person or None, "kind": self.kind or None,
                **self.days(zone)}  # fmt: skip

    def shown(self) -> dict[str, str]:
        return {**super().shown(), "kind": self.kind or "", "cycle": self.cycle or ""}

    def not_a_cycle(self, items: ItemNames) -> dict[str, str]:
        """The cycle asked for, if it is none of the tenant's (a hand-made link)."""
        wanted = optional_id(self.cycle)
        return {} if wanted is None or wanted in items.cycles else {"cycle": self.cycle or ""}


def history_filters(
    item: FromQuery[str | None] = None,
    person: FromQuery[str | None] = None,
    kind: FromQuery[str | None] = None,
    since: Annotated[str | None, QueryParameter(name="from")] = None,
    until: Annotated[str | None, QueryParameter(name="to")] = None,
    cycle: FromQuery[str | None] = None,
) -> Filters:
    """The timeline's filters from the query: one declaration for the page and its CSV."""
    return Filters(item=item, person=person, kind=kind, since=since, until=until, cycle=cycle)


FiltersDep = NamedDependency[Filters]


KNOWN = ("then", "now")
"""How the tree of a day is known (see HistoryController.as_of)."""


class HistoryController(Controller):
    """/t/{tenant_id}/history, /as-of, /diff, /history.csv."""

    path = "/t/{tenant_id:str}"
    dependencies = {"filters": Provide(history_filters, sync_to_thread=False)}

    @get("/history", name="portal:history")
    async def timeline(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        filters: FiltersDep,
        before: FromQuery[int | None] = None,
    ) -> Response[Any]:
        items = await item_names(portal.system.pool, tenant.id)
        bad = (
            filters.bad
            or filters.not_a_cycle(items)
            or await not_offered(portal, tenant.id, filters, items, tenant_lines=True)
        )
        lines = [] if bad else await history(
            portal.system.pool, tenant.id, **filters.query(tenant.zone), before_position=before,
            limit=PAGE + 1, access_reasons=viewer.can(tenant.id, Permission.READ_AUDIT),
        )  # fmt: skip
        names = await portal.people.names(tenant.id, line_actors(lines))
        shown, phrases = lines[:PAGE], Phrases(locale, names, units_of(items))
        today = portal.today(tenant)
        return portal.pages.render(
            request, "history.html", locale=locale, viewer=viewer, tenant=tenant,
            section="history", lines=[(ln, phrases.text(ln)) for ln in shown],
            more=shown[-1].position if len(lines) > PAGE else None, names=names, items=items,
            filters=filters.shown(), filter_link=filters.link(), bad=bad,
            cycle_choices=[(str(i), c.title) for i, c in items.cycles.items()],
            item_kinds=ITEM_KINDS, change_kinds=CHANGE_KINDS, today=today,
            default_as_of=(today - timedelta(days=30)).isoformat(),
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
        known: FromQuery[str | None] = None,
        cycle: FromQuery[str | None] = None,
    ) -> Response[Any]:
        """The tree of a day: as the system knew it by that day's end (known=then), or that
        day's values as known today (known=now: check-ins recorded late for it and
        corrections since included; the objectives and targets of today); of one cycle,
        the one asked for, else the one under way that day (see cycle_of_day): every cycle
        at once made a page of 815 KiB for a tenant of 10,000 events."""
        today = portal.today(tenant)
        chosen = min(parse_day(day) or today - timedelta(days=30), today)
        bad = bad_days(date=day)
        if known not in (None, "", *KNOWN):
            bad["known"] = known
        name_then = tenant.name  # the company's name that day, as okr progress --as-of says
        if known == "now":
            state = await progress_state(portal.system.pool, tenant.id)
        else:
            state = await state_as_of(
                portal.system.repository, tenant.id, recorded_at=end_of(chosen, tenant.zone)
            )
            then = state.last_position
            name_then = await name_as_of(portal.system.repository, tenant.id, then) or name_then
        valid_at = chosen if known == "now" else None
        cycles = by_date(state.cycles.values())
        picked = cycle_of_day(cycles, optional_id(cycle), chosen)
        cycle_note = None
        if cycle and (picked is None or picked.cycle_id != optional_id(cycle)):
            later = await progress_state(portal.system.pool, tenant.id)
            wanted = optional_id(cycle)
            made = None if wanted is None else later.cycles.get(wanted)
            if made is None:  # not the tenant's: said beside the picker
                bad["cycle"] = cycle
            else:  # a link of a later day's cycle, its day changed: the day's own shown
                cycle_note = locale.t(
                    "as_of.cycle_not_yet", name=made.name, date=locale.date(chosen, long=True)
                )
        tree = progress_tree(
            state, today=chosen, valid_at=valid_at, cadence_days=tenant.check_in_cadence_days,
            cycle_id=picked.cycle_id if picked else None,
        )  # fmt: skip
        kpis = kpi_board(state, today=chosen, valid_at=valid_at)
        names = await portal.people.names(tenant.id)  # owners: the tenant's people
        return portal.pages.render(
            request, "dashboard.html", locale=locale, viewer=viewer, tenant=tenant,
            section="history", cycles=cycles, cycle=next(iter(tree.cycles), None), names=names,
            counts={},
            kpis=kpi_tiles(state, kpis, locale), today=today, as_of=chosen,
            known_now=known == "now", bad=bad,
            date_note=None if bad.get("date") else day_note(locale, day, today),
            cycle_note=cycle_note, name_then=name_then,
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
        cycle: FromQuery[str | None] = None,
    ) -> Response[Any]:
        """What changed from the start of one day to the end of another: of one cycle (the
        one asked for, else the active one) and of the KPIs, which belong to none."""
        today = portal.today(tenant)
        first = min(parse_day(since) or today - timedelta(days=7), today)
        last = min(parse_day(until) or today, today)
        bad = DayFilters(since=since, until=until).bad  # as the timeline says it
        to_come = {name: d for name, d in (("from", parse_day(since)), ("to", parse_day(until)))
                   if d is not None and d > today}  # fmt: skip
        if "from" in to_come and "from" not in bad:  # nothing is known of it yet: refused,
            bad["from"] = since or ""  # as the API and okr diff refuse it (not today's shown)
        if not bad:  # a `to` before the default `from`: the range between them
            first, last = min(first, last), max(first, last)
        state = await progress_state(portal.system.pool, tenant.id)
        cycles = by_date(state.cycles.values())
        wanted = optional_id(cycle)
        picked = choose_cycle(cycles, wanted)
        if cycle and wanted is None:
            bad["cycle"] = cycle  # not an id: said beside the picker
        changes: list[Change] = []
        cycle_problem = None
        if not bad:
            try:
                changes = await diff(
                    portal.system.repository, tenant.id, since=before(first, tenant.zone),
                    until=end_of(last, tenant.zone),
                    cycle_id=wanted or (None if picked is None else picked.cycle_id),
                    asked=wanted is not None,
                )  # fmt: skip
            except CycleNotMadeError as error:  # as the API's 404 and okr diff say it
                bad["cycle"] = cycle or str(error.cycle_id)
                named = state.cycles.get(error.cycle_id)
                cycle_problem = locale.t(
                    "diff.cycle_made_after" if error.later else "diff.no_such_cycle",
                    name=named.name if named else str(error.cycle_id),
                    date=locale.date(last, long=True), given=bad["cycle"][:80],
                )  # fmt: skip
        names = await portal.people.names(tenant.id)  # owners: the tenant's people
        return portal.pages.render(
            request, "diff.html", locale=locale, viewer=viewer, tenant=tenant,
            section="history", first=first, last=last, today=today, bad=bad,
            asked_from=since or first.isoformat(),  # as asked: a day to come is not today
            to_come=to_come, cycles=cycles, cycle=picked, cycle_problem=cycle_problem,
            groups=diff_groups(changes, state, locale, names),
        )  # fmt: skip

    @get("/history.csv", name="portal:history-csv")
    async def history_csv(
        self,
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        filters: FiltersDep,
    ) -> Stream:
        """The timeline as the page's filters show it, every page of it."""
        items = await item_names(portal.system.pool, tenant.id)
        bad = (
            filters.bad
            or filters.not_a_cycle(items)
            or await not_offered(portal, tenant.id, filters, items, tenant_lines=True)
        )
        if bad:
            raise BadFiltersError(bad, viewer)  # only a hand-made link: the page never offers it

        async def rows() -> AsyncIterator[str]:
            before: int | None = None
            names = await portal.people.names(tenant.id)
            units = units_of(items)
            yield BOM + csv_lines(locale, [], names, header=True)
            while True:
                lines = await history(
                    portal.system.pool, tenant.id, **filters.query(tenant.zone),
                    before_position=before, limit=1000,
                    access_reasons=viewer.can(tenant.id, Permission.READ_AUDIT),
                )  # fmt: skip
                if not lines:
                    return
                names = await portal.people.names(tenant.id, line_actors(lines))
                yield csv_lines(locale, lines, names, units=units)
                before = lines[-1].position

        return csv_download(rows(), tenant.slug, "history", portal.today(tenant))
