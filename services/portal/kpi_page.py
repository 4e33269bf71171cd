"""A KPI's own page: what it is, its health today, its values over time (with their
corrections), the key results it feeds; and what its forms offer, to whoever may use them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta, tzinfo
from decimal import Decimal
from itertools import pairwise
from typing import Any
from uuid import UUID

from litestar import Request, Response
from markupsafe import Markup

from domain.values import Unit, UnitKind, same_unit
from projections.history import HistoryLine
from projections.progress_state import (
    CycleView,
    KeyResultView,
    KPIView,
    ObjectiveView,
    ProgressView,
    latest_per_day,
)
from projections.progress_tree import is_fed, key_result_node, kpi_board
from services.i18n import Locale
from services.instants import after
from services.portal.charts import Chart, ChartLine, ChartPoint, line_chart
from services.portal.controllers.key_results import people_choices
from services.portal.planning import Planned
from services.portal.portal import Portal
from services.portal.views import with_forms
from services.read import history
from tenants.models import Tenant
from tenants.principal import Principal
from tenants.roles import Permission

CORRECTED, THRESHOLDS, TURNED, ARCHIVED = (
    "kpi.measurement_corrected", "kpi.thresholds_changed", "kpi.direction_changed",
    "kpi.archived",
)  # fmt: skip
"""The history lines the page reads: a measurement's corrections, the thresholds moved, the
KPI turned the other way (its thresholds with it), the KPI retired (by whom, when, why)."""


@dataclass(frozen=True)
class Step:
    """The thresholds in force from a day on (None: from the KPI's start)."""

    day: date | None
    green: Decimal
    red: Decimal


@dataclass(frozen=True)
class Fed:
    """A key result the KPI feeds, and its cycle (closed: it may no longer stop feeding it)
    and objective."""

    kr: KeyResultView
    cycle: CycleView
    objective: ObjectiveView


def fed_key_results(state: ProgressView, kpi: KPIView) -> list[Fed]:
    """The key results whose measurements come from this KPI (as the app feeds them: the
    key result names the KPI, and neither it nor its objective is archived), by title."""
    fed = [
        Fed(kr, state.cycles[kr.cycle_id], state.objectives[kr.objective_id])
        for kr in state.key_results.values()
        if kr.kpi_id == kpi.kpi_id and is_fed(state, kr) and kr.cycle_id in state.cycles
        and kr.objective_id in state.objectives
    ]  # fmt: skip
    return sorted(fed, key=lambda f: f.kr.title.casefold())


def feedable(state: ProgressView, kpi: KPIView, locale: Locale) -> list[tuple[str, str]]:
    """The key results the KPI may start feeding (id, "title — cycle"): of its unit, not
    milestones (the domain's rules), not archived nor of an archived objective, of a
    cycle not closed, not fed by it already; one fed by another KPI moves to this one,
    and says which it leaves. One that goes against its direction is offered all the same:
    chosen, the refusal says why beside it (another unit shows at a glance, another way
    does not)."""
    offered = [
        (str(kr.key_result_id), _feed_option(state, kr, locale))
        for kr in state.key_results.values()
        if kr.kpi_id != kpi.kpi_id and is_fed(state, kr) and kr.kind != "milestone"
        and same_unit(_unit(kr), _unit(kpi))
        and kr.cycle_id in state.cycles and not state.cycles[kr.cycle_id].is_closed
    ]  # fmt: skip
    return sorted(offered, key=lambda pair: pair[1].casefold())


def _unit(item: KeyResultView | KPIView) -> Unit:
    return Unit(UnitKind(item.unit_kind), item.currency, item.unit_label)


def _feed_option(state: ProgressView, kr: KeyResultView, locale: Locale) -> str:
    said = f"{kr.title} — {state.cycles[kr.cycle_id].name}"
    feeding = None if kr.kpi_id is None else state.kpis.get(kr.kpi_id)
    return said if feeding is None else locale.t("kpi_page.feed_moves", kr=said, kpi=feeding.name)


def corrections(kpi: KPIView, lines: list[HistoryLine]) -> dict[UUID, list[HistoryLine]]:
    """The correction lines of each measurement, oldest first. A line names the day and
    the value it changed, not the measurement: it goes to the measurement of that day whose
    value then was the one it changed (two of one day with one value read the same)."""
    now = {m.measurement_id: m.original_value for m in kpi.measurements}
    out: dict[UUID, list[HistoryLine]] = {}
    for line in sorted((ln for ln in lines if ln.template == CORRECTED), key=lambda x: x.position):
        change = next((c for c in line.changes if c.field == "value"), None)
        if change is None or change.before is None or change.after is None:
            continue
        for m in kpi.measurements:
            if m.on.isoformat() == line.params.get("on") and now[m.measurement_id] == Decimal(
                change.before
            ):
                now[m.measurement_id] = Decimal(change.after)
                out.setdefault(m.measurement_id, []).append(line)
                break
    return out


def threshold_steps(kpi: KPIView, moves: list[HistoryLine], zone: tzinfo) -> list[Step]:
    """The thresholds as they stood over time, from the lines that moved them (moved or
    turned with the KPI's direction): those before the first move, then each move's from
    the tenant's day it was recorded on, as the API's series as of that day has them."""
    ordered = sorted(
        (ln for ln in moves if ln.params.keys() >= _KEYS), key=lambda line: line.position
    )
    if not ordered:
        return [Step(None, kpi.green, kpi.red)]
    first = ordered[0].params
    steps = [Step(None, Decimal(str(first["green_before"])), Decimal(str(first["red_before"])))]
    for line in ordered:
        day = line.recorded_at.astimezone(zone).date()
        green, red = line.params["green_after"], line.params["red_after"]
        steps.append(Step(day, Decimal(str(green)), Decimal(str(red))))
    return steps


_KEYS = frozenset({"green_before", "red_before", "green_after", "red_after"})


def _threshold_lines(steps: list[Step], first: date, today: date) -> list[ChartLine]:
    """Each threshold's lines over the window [first, today]: one per stretch it held,
    and a joint (`threshold-joint`) up or down on the day it moved, so a threshold reads
    as one stepped line, not as stretches at two heights that could be two thresholds."""
    lines = []
    for which in ("green", "red"):
        css = f"threshold-{which}"
        stretches = []
        start, value = first, getattr(steps[0], which)
        for step in steps[1:]:
            new = getattr(step, which)
            if step.day is None or step.day > today or new == value:
                continue
            if step.day > start:
                stretches.append(ChartLine((start, value), (step.day, value), css))
                start = step.day
            value = new
        stretches.append(ChartLine((start, value), (today, value), css))
        lines += stretches
        lines += [
            ChartLine(before.end, after.start, f"{css} threshold-joint")
            for before, after in pairwise(stretches)
        ]
    return lines


def kpi_chart(
    locale: Locale,
    kpi: KPIView,
    today: date,
    *,
    as_of: bool = False,
    steps: list[Step] | None = None,
) -> Markup | None:
    """Its values over valid time (one a day: the one recorded last) against its green and
    red thresholds as they stood (`steps`, see threshold_steps; else today's throughout),
    `today` marked as today, or by its date when the chart shows a past day (`as_of`, as a
    key result's does); None without a measurement."""
    by_day = latest_per_day(kpi.measurements)
    if not by_day:
        return None
    first = min(min(by_day), today - timedelta(days=kpi.frequency_days))
    points = [
        ChartPoint(
            on=m.on, value=m.value, label=f"{locale.date(m.on)}: {locale.value(m.value, kpi)}",
            original=m.original_value if m.corrected else None,
        )
        for m in by_day.values()
    ]  # fmt: skip
    lines = _threshold_lines(steps or [Step(None, kpi.green, kpi.red)], first, today)
    latest = by_day[max(by_day)]
    said = "kpi_page.chart_desc" + ("_one" if len(points) == 1 else "")  # 1 day, not 1 days
    chart = Chart(
        title=locale.t("kpi_page.chart_title", name=kpi.name),
        description=locale.t(
            said, count=len(points), value=locale.value(latest.value, kpi),
            green=locale.value(kpi.green, kpi), red=locale.value(kpi.red, kpi),
        ),
        window=(first, today), points=points, y_labels=lambda ticks: locale.axis(ticks, kpi),
        x_label=locale.day_month, lines=lines, today=today,
        today_label=locale.date(today) if as_of else locale.t("chart.today"),
        ident=f"chart-{kpi.kpi_id.hex[:8]}",
    )  # fmt: skip
    return line_chart(chart)


def shown(planned: Planned | None, kpi: KPIView, fed: list[Fed], may: dict[str, bool]) -> bool:
    """Whether the page offers the form that failed (to say its refusal beside its
    fields): not once the KPI is retired, nor a key result's it no longer feeds."""
    if planned is None or kpi.archived or not may.get(planned.form, False):
        return False
    if planned.form == "unfeed":
        return any(str(f.kr.key_result_id) == planned.at and not f.cycle.is_closed for f in fed)
    if planned.form == "correct":
        return any(str(m.measurement_id) == planned.at for m in kpi.measurements)
    return True


FORMS = {"edit": Permission.EDIT_OKRS, "thresholds": Permission.EDIT_OKRS,
         "direction": Permission.EDIT_OKRS,
         "correct": Permission.CHECK_IN, "feed": Permission.EDIT_OKRS,
         "unfeed": Permission.EDIT_OKRS, "archive": Permission.EDIT_OKRS}  # fmt: skip
"""The page's forms, and who may use them (the API's guards)."""


async def kpi_page(
    request: Request[Any, Any, Any],
    portal: Portal,
    locale: Locale,
    viewer: Principal,
    tenant: Tenant,
    state: ProgressView,
    kpi: KPIView,
    *,
    said: str | None = None,
    planned: Planned | None = None,
    status: int = 200,
    as_of: date | None = None,
    asked: str | None = None,
    date_note: str | None = None,
) -> Response[Any]:
    """The page of today; `said`: what was just done; `planned`: a form that failed (open
    again beside its fields, or its refusal said at the top when the page no longer
    offers it); `asked`: the measurement whose correction form is open. With `as_of` (and
    the state of the end of that day), the KPI as it stood that day: its health then, what
    was known of it by that day's end, and no form. `date_note`: why the day shown is not
    the ?date= asked (views.day_note)."""
    today, pool = as_of or portal.today(tenant), portal.system.pool
    until = None if as_of is None else after(as_of, tenant.zone)
    node = next(n for n in kpi_board(state, today=today, include_archived=True)
                if n.kpi_id == kpi.kpi_id)  # fmt: skip
    lines = {
        template: await history(
            pool, tenant.id, item_id=kpi.kpi_id, kind=template, until=until, limit=most
        )
        for template, most in ((CORRECTED, 1000), (THRESHOLDS, 200), (TURNED, 200), (ARCHIVED, 1))
    }
    # who acted, never the owner: an owner is anyone's to type (see services.read.people)
    actors = {m.author for m in kpi.measurements}
    actors |= {line.actor for found in lines.values() for line in found}
    names = await portal.people.names(tenant.id, actors)
    may = {
        form: viewer.can(tenant.id, p) and not kpi.archived and as_of is None
        for form, p in FORMS.items()
    }
    people = people_choices(names) if may["edit"] else []  # (names: the tenant's people too)
    fed = fed_key_results(state, kpi)
    statuses = {
        f.kr.key_result_id: key_result_node(
            state, f.kr, today=today, cadence_days=tenant.check_in_cadence_days
        ).status
        for f in fed
    }
    measurements = sorted(kpi.measurements, key=lambda m: (m.on, m.position), reverse=True)
    open_form = planned if shown(planned, kpi, fed, may) else None
    refused = " ".join(planned.errors.values()) if planned and open_form is None else None
    return portal.pages.render(
        request, "kpi.html", locale=locale, viewer=viewer, tenant=tenant, section="dashboard",
        status=status, kpi=kpi, node=node, names=names, fed=fed, statuses=statuses,
        offered=feedable(state, kpi, locale),
        cycle_open=any(not c.is_closed for c in state.cycles.values()),
        measurements=measurements, asked=asked,
        with_form=with_forms(
            [str(m.measurement_id) for m in measurements], asked,
            planned.at if planned and planned.form == "correct" else None,
        ),
        corrections=corrections(kpi, lines[CORRECTED]),
        moves=sorted(lines[THRESHOLDS], key=lambda x: x.position, reverse=True),
        archived_line=next(iter(lines[ARCHIVED]), None),
        chart=kpi_chart(
            locale, kpi, today, as_of=as_of is not None,
            steps=threshold_steps(kpi, lines[THRESHOLDS] + lines[TURNED], tenant.zone),
        ),
        may=may, people=people,
        planned=open_form, said=said, refused=refused, today=today, as_of=as_of,
        date_note=date_note,
    )  # fmt: skip
