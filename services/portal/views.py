"""From read models to what pages show: the chosen cycle, KPI tiles, a key result's chart,
CSV downloads."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol, TypeVar
from urllib.parse import urlencode
from uuid import UUID

from litestar.response import Stream
from markupsafe import Markup

from domain.progress import percent_shown
from domain.values import KRKind
from projections.progress_state import (
    KeyResultView,
    KPIView,
    ProgressView,
    latest_per_day,
)
from projections.progress_tree import CycleNode, KeyResultNode, KPINode, ObjectiveNode
from projections.series import pace_line
from services import instants
from services.i18n import Locale
from services.portal.charts import Chart, ChartLine, ChartPoint, line_chart, sparkline
from services.read import ItemNames, item_names, names_in_log
from tenants.validation import has_control

if TYPE_CHECKING:
    from services.portal.portal import Portal

SPARK_POINTS = 12


def csv_download(rows: AsyncIterator[str], tenant_slug: str, what: str, today: date) -> Stream:
    """CSV text streamed as a file named `<tenant>-<what>-<day>.csv`."""
    return download(rows, "text/csv", tenant_slug, what, "csv", today)  # (+ "; charset=utf-8")


def download(
    rows: AsyncIterator[str] | AsyncIterator[bytes],
    media_type: str,
    tenant_slug: str,
    what: str,
    extension: str,
    today: date,
) -> Stream:
    """Rows streamed as a file named `<tenant>-<what>-<day>.<extension>`, kept in no cache
    (as every page: a tenant's figures)."""
    filename = f"{tenant_slug}-{what}-{today.isoformat()}.{extension}"
    return Stream(
        rows,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


class Dated(Protocol):
    """A cycle as a picker lists it: a node of a tree, or the state's CycleView."""

    @property
    def cycle_id(self) -> UUID: ...
    @property
    def name(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def starts_on(self) -> date: ...
    @property
    def ends_on(self) -> date: ...


C = TypeVar("C", bound=Dated)


def by_date(cycles: Iterable[C]) -> list[C]:
    """Cycles as the pages list them: by when they start, then end (not as they were made)."""
    return sorted(cycles, key=lambda c: (c.starts_on, c.ends_on, c.name))


CORRECTION_FORMS = 20
"""The newest entries of a page (check-ins, measurements) whose correction form it holds;
an older one has a link that opens the page with its own (a key result checked in 310
times made a page of 670 KiB, a form each)."""


def with_forms(newest_first: list[str], *also: str | None) -> set[str]:
    """The entries (ids, newest first) whose correction form a page holds: the newest, and
    `also` those of them named (the one asked for with ?correct=, the one whose correction
    failed, to say why)."""
    return set(newest_first[:CORRECTION_FORMS]) | {e for e in also if e in newest_first}


def choose_cycle(cycles: Sequence[C], wanted: UUID | None) -> C | None:
    """The asked cycle, else the first active one (in the order given: the pages give them
    by_date), else the latest to start."""
    for cycle in cycles:
        if cycle.cycle_id == wanted:
            return cycle
    active = [c for c in cycles if c.state == "active"]
    if active:
        return active[0]
    return max(cycles, key=lambda c: c.starts_on, default=None)


def cycle_of_day(cycles: Sequence[C], wanted: UUID | None, day: date) -> C | None:
    """The cycle a page of a past `day` shows: the asked one, else the first one active
    that `day` falls in (in the order given), else one closed since that it falls in (the
    values of a day as known today), else as choose_cycle picks."""
    for cycle in cycles:
        if cycle.cycle_id == wanted:
            return cycle
    during = [c for c in cycles if c.starts_on <= day <= c.ends_on]
    for state in ("active", "closed"):
        for cycle in during:
            if cycle.state == state:
                return cycle
    return choose_cycle(cycles, None)


def walk(objectives: Sequence[ObjectiveNode]) -> Iterator[ObjectiveNode]:
    for objective in objectives:
        yield objective
        yield from walk(objective.children)


def status_counts(cycle: CycleNode) -> dict[str, int]:
    """Key results of a cycle by status, for the summary above the tree."""
    counts = dict.fromkeys(("on_track", "at_risk", "off_track", "done", "not_started"), 0)
    for objective in walk(cycle.objectives):
        for kr in objective.key_results:
            counts[kr.status] = counts.get(kr.status, 0) + 1
    return counts


@dataclass(frozen=True)
class KpiTile:
    """A KPI on the dashboard: its node and the trend of its last values."""

    node: KPINode
    spark: Markup


def kpi_tiles(state: ProgressView, nodes: Sequence[KPINode], locale: Locale) -> list[KpiTile]:
    tiles = []
    for node in nodes:
        view = state.kpis[node.kpi_id]
        values = [m.value for m in latest_per_day(view.measurements).values()]  # as its chart
        shown = values[-SPARK_POINTS:]
        spark = sparkline(shown, css=node.health or "none", label=_trend(locale, view, shown))
        tiles.append(KpiTile(node, spark))
    return tiles


def kpi_of(state: ProgressView, kpi_id: UUID | None) -> KPIView | None:
    return None if kpi_id is None else state.kpis.get(kpi_id)


@dataclass(frozen=True, kw_only=True)
class DayFilters:
    """Filters of a page by days (`from`, `to`: the days given, as typed) and more (a
    subclass's), which its downloads and its next page take again."""

    since: str | None = None
    until: str | None = None

    @property
    def bad(self) -> dict[str, str]:
        """The days given that are not days, and a last day before the first, by field (a
        page lists nothing then, and says why beside the field: see day_problem)."""
        bad = bad_days(**{"from": self.since, "to": self.until})
        first, last = parse_day(self.since), parse_day(self.until)
        if first and last and last < first:
            bad["to"] = self.until or ""
        return bad

    def days(self, zone: tzinfo) -> dict[str, datetime | None]:
        """`since` and `until` as instants: the first day's start, the last day's end, in
        the tenant's `zone`; a day at the calendar's edge, as much of it as UTC holds
        (0001-01-01 began in year 0 in UTC, in Rome: see instants.start_of)."""
        first, last = parse_day(self.since), parse_day(self.until)
        return {
            "since": instants.start_of(first, zone) if first else None,
            "until": instants.after(last, zone) if last else None,
        }

    def shown(self) -> dict[str, str]:
        """The filters as the form shows them (a bad day as it was typed)."""
        return {"from": self.since or "", "to": self.until or ""}

    def link(self) -> str:
        """The filters as a query string."""
        return urlencode({k: v for k, v in self.shown().items() if v})


@dataclass(frozen=True, kw_only=True)
class LogFilters(DayFilters):
    """Filters of a page of the tenant's log (the timeline, the trail): by days, by one
    item (`item`: its id as given, which the page chooses by its title: item_field of
    _macros.html) and by one person (`person`: an actor as the log writes it)."""

    item: str | None = None
    person: str | None = None

    @property
    def bad(self) -> dict[str, str]:
        """The days at fault, and an item that is no item's id."""
        bad = super().bad
        if self.item and self.item_id is None:
            bad["item"] = self.item
        return bad

    @property
    def item_id(self) -> UUID | None:
        return optional_id(self.item)

    def shown(self) -> dict[str, str]:
        return {"item": self.item or "", "person": self.person or "", **super().shown()}


async def not_offered(
    portal: Portal,
    tenant_id: UUID,
    filters: LogFilters,
    items: ItemNames | None = None,
    *,
    tenant_lines: bool = False,
) -> dict[str, str]:
    """A person or an item the page's lists do not offer (a hand-made link), by field: one
    the log does not name (offered_person); an id of none of the tenant's cycles,
    objectives, key results and KPIs (in `items`, read here when the caller has none; the
    history's lines of settings and access have the tenant's own id: `tenant_lines`).
    Asked for, they listed nothing, unsaid."""
    bad: dict[str, str] = {}
    person, item = filters.person, filters.item_id
    if person and not await offered_person(portal, tenant_id, person):
        bad["person"] = person
    if item is not None and not (tenant_lines and item == tenant_id):
        items = items or await item_names(portal.system.pool, tenant_id)
        if not items.has_item(item):
            bad["item"] = filters.item or ""
    return bad


def optional_id(text: str | None) -> UUID | None:
    try:
        return None if not text else UUID(text)
    except ValueError:
        return None


async def offered_person(portal: Portal, tenant_id: UUID, person: str) -> bool:
    """Whether the pages' lists of people may offer this one (an actor string): one who may
    act in the tenant, or one its log names (who acted, whose access changed); never text
    with a control character (a NUL failed the query: a 500)."""
    if has_control(person):
        return False
    return person in await portal.people.names(tenant_id) or await names_in_log(
        portal.system.pool, tenant_id, person
    )


def bad_days(**given: str | None) -> dict[str, str]:
    """The days of a page's query that are given but are not days (name: the text given),
    for the page to say so beside each field rather than show another day unsaid."""
    return {name: text for name, text in given.items() if text and parse_day(text) is None}


def day_problem(given: str) -> str:
    """The message of a day field at fault (see DayFilters.bad): not a day, or a last day
    before the first."""
    return "filter.bad_day" if parse_day(given) is None else "filter.before_first"


def day_note(locale: Locale, text: str | None, today: date) -> str | None:
    """What a page says of its ?date= when it shows another day than asked: one that is not
    a day (today's page instead), one still to come (today's)."""
    day = parse_day(text)
    if text and day is None:
        return locale.t("filter.bad_day", given=text)
    if day is not None and day > today:
        return locale.t("as_of.to_come", given=locale.date(day, long=True))
    return None


def day_said(locale: Locale, text: str | None) -> str:
    """A day of a page's query as the page writes days ("1 nov 2026"), or as it was typed
    when it is not one."""
    day = parse_day(text)
    return (text or "") if day is None else locale.date(day)


def parse_day(text: str | None) -> date | None:
    """A ?date= of a page: the day, or None when it is missing or not a date (in the form
    the API takes: 2026-10-15, not 20261015)."""
    try:
        return None if not text else instants.day(text)
    except ValueError:
        return None


def kr_chart(
    locale: Locale,
    state: ProgressView,
    kr: KeyResultView,
    node: KeyResultNode,
    today: date,
    *,
    as_of: bool = False,
) -> Markup:
    """Values over valid time against the expected-pace line and the target; `today` is
    marked as today, or by its date when the chart shows a past day (`as_of`)."""
    cycle = state.cycles[kr.cycle_id]
    lines = []
    if not KRKind(kr.kind).is_guardrail:  # its pace is its threshold: the target's line
        pace = pace_line(kr, cycle)
        lines += [ChartLine((p1.on, p1.value), (p2.on, p2.value), "pace") for p1, p2 in [pace]]
    end = max([kr.due_on, *(c.on for c in kr.check_ins)])
    lines.append(ChartLine((cycle.starts_on, kr.target), (end, kr.target), "target"))
    if kr.original_target != kr.target:
        lines.append(
            ChartLine((cycle.starts_on, kr.original_target), (end, kr.original_target), "original")
        )
    points = [
        ChartPoint(
            on=c.on,
            value=c.value,
            label=f"{locale.date(c.on)}: {locale.value(c.value, kr, kind=kr.kind)}",
            original=c.original_value if c.corrected else None,
        )
        for c in latest_per_day(kr.check_ins).values()
    ]
    chart = Chart(
        title=locale.t("kr.chart_title", title=kr.title),
        description=_describe(locale, kr, node, len(points), today if as_of else None),
        window=(cycle.starts_on, kr.due_on),
        points=points,
        y_labels=lambda ticks: locale.axis(ticks, kr),
        x_label=locale.day_month,
        lines=lines,
        today=today,
        today_label=locale.date(today) if as_of else locale.t("chart.today"),
        ident=f"chart-{kr.key_result_id.hex[:8]}",
    )
    return line_chart(chart)


def _describe(
    locale: Locale, kr: KeyResultView, node: KeyResultNode, count: int, day: date | None
) -> str:
    """What the chart shows, in words; its value that of `day` on a page of a past day (one
    check-in is "1 check-in", not "1 check-ins")."""
    key = "kr.chart_desc" if day is None else "kr.chart_desc_on"
    return locale.t(
        key + ("_one" if count == 1 else ""),
        count=count,
        value=locale.value(node.value, kr, kind=kr.kind),
        target=locale.value(kr.target, kr, kind=kr.kind),
        due=locale.date(kr.due_on),
        date="" if day is None else locale.date(day),
    )


def _trend(locale: Locale, kpi: KPIView, shown: Sequence[Decimal]) -> str:
    """A sparkline in words, for whoever cannot see its slope: from its first value to its
    last (a bare "Trend of X" told a screen reader nothing of the trend)."""
    if len(shown) < 2:
        return locale.t("kpi.trend", name=kpi.name)
    first, last = (locale.value(v, kpi) for v in (shown[0], shown[-1]))
    return locale.t("kpi.trend_from_to", name=kpi.name, count=len(shown), first=first, last=last)


def progress_width(fraction: Decimal | None) -> str:
    """A CSS width for a bar (always with a dot, whatever the language), also its
    aria-valuenow: one short of 1 never 100.0 (domain.progress.percent_shown)."""
    if fraction is None:
        return "0%"
    clamped = min(max(Decimal(fraction), Decimal(0)), Decimal(1))
    return f"{percent_shown(clamped)}%"
