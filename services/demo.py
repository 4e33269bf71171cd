"""Load the demo tenant (once) as a history of real commands spread over past weeks.

Every change goes through the application, as an import of history: each command carries
the instant it happened (`Context.imported_at`), in time order, so "as of" any past day
shows the demo as it stood then. Ids are stable, and a tenant that already has events is
left alone: loading twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.values import Unit, UnitKind
from services import demo_data as d
from services.app import Context, OKRApplication
from services.bootstrap import System
from services.instants import today as today_in

Step = Callable[[OKRApplication, Context], Awaitable[object]]
ZONE = ZoneInfo(d.TENANT_TIME_ZONE)
"""The demo tenant's zone: its days, and the hours of its history."""
NOTES = (
    "avviato il nuovo processo di triage",
    "due clienti chiave in trattativa",
    "settimana difficile: picco di richieste",
    "campagna referral partita",
    "in linea con il piano",
    "fornitore rinegoziato",
)
HELPDESK_KEY = f"key:{d.HELPDESK_KEY_ID}"


@dataclass(order=True)
class Planned:
    """One command of the demo's history, at the instant it happened."""

    at: datetime
    seq: int
    actor: str = field(compare=False)
    step: Step = field(compare=False)


def quarter_bounds(day: date) -> tuple[date, date]:
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    end = date(day.year + (first_month + 3 > 12), (first_month + 2) % 12 + 1, 1) - timedelta(1)
    return start, end


def fiscal_year(day: date, start_month: int) -> tuple[date, date]:
    """The fiscal year (first and last day) that contains `day`."""
    year = day.year if day.month >= start_month else day.year - 1
    start = date(year, start_month, 1)
    return start, date(year + 1, start_month, 1) - timedelta(days=1)


def fiscal_name(start: date, end: date) -> str:
    """ "FY 2026" for a calendar year, "FY 2026/27" for one that straddles two."""
    if start.year == end.year:
        return f"FY {start.year}"
    return f"FY {start.year}/{str(end.year)[2:]}"


def quantize(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places))


def unit(spec: tuple[str, str | None, str | None]) -> Unit:
    kind, currency, label = spec
    return Unit(UnitKind(kind), currency, label)


class DemoPlan:
    """The demo's history relative to `today`: set-up, then weekly check-ins up to last week."""

    def __init__(self, today: date, now: datetime) -> None:
        self.today, self.now = today, now
        self.fy = fiscal_year(today, d.FISCAL_YEAR_START_MONTH)
        self.quarter = quarter_bounds(today)
        first_monday = self.today - timedelta(days=self.today.weekday() + 7 * 12)
        self.mondays = [
            first_monday + timedelta(weeks=i)
            for i in range(13)
            if self.fy[0] <= first_monday + timedelta(weeks=i) < self.today
        ]
        self.steps: list[Planned] = []

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        """An instant on `day` in the demo tenant's zone (office hours in Rome), never later
        than an hour ago."""
        moment = datetime.combine(day, time(hour, minute), tzinfo=ZONE)
        return min(moment, self.now - timedelta(hours=1))

    def add(self, when: datetime, actor: str, step: Step) -> None:
        self.steps.append(Planned(when, len(self.steps), actor, step))

    def build(self) -> list[Planned]:
        self._set_up_year()
        self._set_up_quarter()
        for week, monday in enumerate(self.mondays):
            self._week(week, monday)
        self._correction_and_revision()
        return sorted(self.steps)

    def _set_up_year(self) -> None:
        start, end = self.fy
        when = self.at(start + timedelta(days=1), 9)
        fy_id = d.demo_id("cycle:fy")
        main_id = d.demo_id("objective:main")

        async def create_year(app: OKRApplication, ctx: Context) -> None:
            await app.cycles.create(
                ctx, name=fiscal_name(start, end), starts_on=start, ends_on=end, period="year",
                cycle_id=fy_id,
            )  # fmt: skip
            await app.cycles.activate(ctx, fy_id)
            await app.objectives.create(
                ctx, cycle_id=fy_id, title=d.MAIN.title, owner=d.MAIN.owner.actor,
                level="company", committed=True, roll_up_children=True, objective_id=main_id,
            )  # fmt: skip

        self.add(when, d.PAOLA.actor, create_year)
        for offset, kpi in enumerate(d.KPIS):
            self.add(when + timedelta(minutes=10 + offset), d.PAOLA.actor, self._create_kpi(kpi))
        for offset, objective in enumerate(d.FY_OBJECTIVES):
            moment = when + timedelta(hours=1, minutes=10 * offset)
            self.add(moment, d.LUCA.actor, self._create_objective(objective, fy_id, main_id))

    def _set_up_quarter(self) -> None:
        start, end = self.quarter
        q_id = d.demo_id("cycle:quarter")
        name = f"Q{(start.month - 1) // 3 + 1} {start.year}"

        async def create_quarter(app: OKRApplication, ctx: Context) -> None:
            await app.cycles.create(
                ctx, name=name, starts_on=start, ends_on=end, period="quarter", cycle_id=q_id
            )
            await app.cycles.activate(ctx, q_id)

        when = self.at(start, 8) if start > self.fy[0] else self.at(start + timedelta(1), 12)
        self.add(when, d.LUCA.actor, create_quarter)
        objective = self._create_objective(d.QUARTER_OBJECTIVE, q_id, None)
        self.add(when + timedelta(minutes=5), d.LUCA.actor, objective)

    def _create_kpi(self, kpi: d.Kpi) -> Step:
        async def create(app: OKRApplication, ctx: Context) -> None:
            await app.kpis.create(
                ctx, name=kpi.name, direction=kpi.direction, green=kpi.green, red=kpi.red,
                frequency_days=kpi.frequency_days, owner=d.MARCO.actor, unit=unit(kpi.unit),
                kpi_id=d.demo_id("kpi:" + kpi.key),
            )  # fmt: skip

        return create

    def _create_objective(self, objective: d.Obj, cycle_id: UUID, parent: UUID | None) -> Step:
        async def create(app: OKRApplication, ctx: Context) -> None:
            objective_id = d.demo_id("objective:" + objective.key)
            await app.objectives.create(
                ctx, cycle_id=cycle_id, title=objective.title, owner=objective.owner.actor,
                parent_id=parent, objective_id=objective_id,
                level="team" if parent is None else "company",
            )  # fmt: skip
            for kr in objective.krs:
                await app.key_results.create(
                    ctx, objective_id=objective_id, title=kr.title, kind=kr.kind,
                    owner=kr.owner.actor, start=kr.start, target=kr.target,
                    target_percent=kr.target_percent, unit=unit(kr.unit),
                    due_on=self.quarter[1] if kr.due == "quarter" else None,
                    kpi_id=None if kr.kpi is None else d.demo_id("kpi:" + kr.kpi),
                    key_result_id=d.demo_id("kr:" + kr.key),
                )  # fmt: skip

        return create

    def _week(self, week: int, monday: date) -> None:
        krs = [kr for o in d.FY_OBJECTIVES for kr in o.krs]
        if monday >= self.quarter[0]:
            krs += list(d.QUARTER_OBJECTIVE.krs)
        for offset, kr in enumerate(krs):
            when = self.at(monday, 10, 3 * offset)
            value = self.value(kr, week)
            if kr.kpi is not None:
                actor = HELPDESK_KEY if kr.kpi == "response" else kr.owner.actor
                self.add(when, actor, self._measure(kr, value, monday, week))
            else:
                self.add(when, kr.owner.actor, self._check_in(kr, value, monday, week))

    def value(self, kr: d.KR, week: int) -> Decimal:
        """The KR's value in week `week`: first -> current along the weeks, a breach or two."""
        if kr.kind == "stay_below":
            return Decimal("4.2") if week == len(self.mondays) - 2 else kr.current
        if kr.kind == "milestone":
            return Decimal(0)
        last = max(len(self.mondays) - 1, 1)
        step = (kr.current - kr.first) * Decimal(week) / Decimal(last)
        return quantize(kr.first + step, kr.places)

    def _check_in(self, kr: d.KR, value: Decimal, on: date, week: int) -> Step:
        async def check_in(app: OKRApplication, ctx: Context) -> None:
            await app.key_results.record_check_in(
                ctx, d.demo_id("kr:" + kr.key), value=value, on=on, confidence=6 + week % 3,
                note=NOTES[(week + len(kr.key)) % len(NOTES)],
                check_in_id=d.demo_id(f"check-in:{kr.key}:{week}"),
            )  # fmt: skip

        return check_in

    def _measure(self, kr: d.KR, value: Decimal, on: date, week: int) -> Step:
        assert kr.kpi is not None
        kpi_id = d.demo_id("kpi:" + kr.kpi)
        key, typo, _ = d.CORRECTION
        if kr.key == key and week == len(self.mondays) - 3:
            value = typo
        source = "api" if kr.kpi == "response" else "manual"

        async def measure(app: OKRApplication, ctx: Context) -> None:
            await app.kpis.record_measurement(
                ctx, kpi_id, value=value, on=on, source=source,
                measurement_id=d.demo_id(f"measurement:{kr.kpi}:{week}"),
            )  # fmt: skip

        return measure

    def _correction_and_revision(self) -> None:
        if len(self.mondays) < 4:
            return
        self._correction(len(self.mondays) - 3)
        self._revision(len(self.mondays) - 4)

    def _correction(self, week: int) -> None:
        key, _, said = d.CORRECTION
        kr = next(kr for o in d.FY_OBJECTIVES for kr in o.krs if kr.key == key)
        right = self.value(kr, week)
        reason = said.format(right=str(right).replace(".", ","))  # as an Italian writes it

        async def correct(app: OKRApplication, ctx: Context) -> None:
            await app.kpis.correct_measurement(
                ctx, d.demo_id("kpi:csat"), measurement_id=d.demo_id(f"measurement:csat:{week}"),
                value=right, reason=reason,
            )  # fmt: skip

        self.add(self.at(self.mondays[week] + timedelta(1), 9, 30), d.GIULIA.actor, correct)

    def _revision(self, week: int) -> None:
        key, target, reason = d.TARGET_REVISION

        async def revise(app: OKRApplication, ctx: Context) -> None:
            await app.key_results.revise_target(
                ctx, d.demo_id("kr:" + key), target=target, reason=reason
            )

        self.add(self.at(self.mondays[week] + timedelta(2), 15), d.GIULIA.actor, revise)


async def load_demo(system: System, today: date | None = None) -> UUID:
    """Load the demo tenant's history unless it is there already; its tenant id."""
    tenant = d.TENANT_ID
    if await system.store.head(tenant) > 0:
        return tenant
    now = datetime.now(UTC)
    app = OKRApplication(system.repository)
    for planned in DemoPlan(today or now.astimezone(ZONE).date(), now).build():
        ctx = Context(tenant_id=tenant, actor=planned.actor, imported_at=planned.at)
        await planned.step(app, ctx)
    return tenant


async def print_demo(system: System, tenant_id: UUID) -> None:
    """Project the demo tenant, then print its objective tree from the read model."""
    from services.app.base import tenant_zone
    from services.projector.registry import PROJECTIONS
    from services.projector.worker import Projector
    from services.read import cadence_days, progress_tree
    from services.tree_print import render

    await Projector(system.pool, system.repository, PROJECTIONS).catch_up(tenant_id)
    tree = await progress_tree(
        system.pool, tenant_id, today=today_in(await tenant_zone(system.pool, tenant_id)),
        cadence_days=await cadence_days(system.pool, tenant_id),
    )  # fmt: skip
    print(render(tree, d.TENANT_NAME))
