"""A restore racing a KPI's measurement or correction, through the real store: whatever
the interleaving, the restored key result ends with what the KPI gave it, as if its
objective had never been archived."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from services.app import Context, OKRApplication
from services.app.kpis import fed_check_in_id
from services.bootstrap import System
from services.store.repository import Repository
from tests.conftest import until_done_or_waiting_for_a_lock

D = Decimal
MEASURED_ON = date(2027, 2, 10)


class HeldRepository(Repository):
    """The system's store, the first save of its commands held until `go`: the command
    has read all it decides on, and written nothing yet."""

    def __init__(self, system: System) -> None:
        super().__init__(system.store, snapshot_every=system.repository.snapshot_every)
        self.reached, self.go = asyncio.Event(), asyncio.Event()

    async def save(self, tenant_id: uuid.UUID, *aggregates: Any, **kwargs: Any) -> list[int]:
        if not self.reached.is_set():
            self.reached.set()
            await self.go.wait()
        return await super().save(tenant_id, *aggregates, **kwargs)


@dataclass
class Archived:
    """A tenant's active Q1 2027 whose objective's key result (at 50) a KPI feeds, the
    objective archived since."""

    app: OKRApplication
    ctx: Context
    objective_id: uuid.UUID
    key_result_id: uuid.UUID
    kpi_id: uuid.UUID


async def an_archived_objective_fed_by_a_kpi(
    system: System, *, measured: uuid.UUID | None = None
) -> Archived:
    """`measured`: the id of a measurement of 19 the KPI took (and fed) before the archive."""
    app = OKRApplication(system.repository)
    ctx = Context(tenant_id=uuid.uuid4(), actor="user:anna")
    kpi = await app.kpis.create(
        ctx, name="Clienti", direction="higher_is_better", green=D(80), red=D(40),
        frequency_days=7, owner="anna",
    )  # fmt: skip
    cycle = await app.cycles.create(
        ctx, name="Q1 2027", starts_on=date(2027, 1, 1), ends_on=date(2027, 3, 31)
    )
    await app.cycles.activate(ctx, cycle.item_id)
    goal = await app.objectives.create(ctx, cycle_id=cycle.item_id, title="Crescere", owner="anna")
    kr = await app.key_results.create(
        ctx, objective_id=goal.item_id, title="Clienti", owner="anna", kind="increase",
        start=0, target=D(100),
    )  # fmt: skip
    await app.key_results.record_check_in(ctx, kr.item_id, value=D(50), on=date(2027, 2, 1))
    await app.key_results.link_kpi(ctx, kr.item_id, kpi_id=kpi.item_id)
    if measured is not None:
        await app.kpis.record_measurement(
            ctx, kpi.item_id, value=D(19), on=MEASURED_ON, measurement_id=measured
        )
    await app.objectives.archive(ctx, goal.item_id, reason="in pausa")
    return Archived(app, ctx, goal.item_id, kr.item_id, kpi.item_id)


async def both_held_then_let_go(
    system: System,
    kpi_command: Callable[[OKRApplication], Coroutine[Any, Any, object]],
    restore: Callable[[OKRApplication], Coroutine[Any, Any, object]],
    first: str,
) -> None:
    """Run the KPI's command and the restore, each held once it has read all it decides
    on and before it writes (so each read the other's streams as they stood before either
    wrote), then let `first` go on, until it is done or waits for the other, then the
    other."""
    held = {"kpi": HeldRepository(system), "restore": HeldRepository(system)}
    tasks = {
        "kpi": asyncio.create_task(kpi_command(OKRApplication(held["kpi"]))),
        "restore": asyncio.create_task(restore(OKRApplication(held["restore"]))),
    }
    for name in ("kpi", "restore"):
        await asyncio.wait_for(held[name].reached.wait(), 30)
    second = "restore" if first == "kpi" else "kpi"
    held[first].go.set()
    await until_done_or_waiting_for_a_lock(system, tasks[first])
    held[second].go.set()
    await asyncio.gather(*tasks.values())


@pytest.mark.parametrize("first", ["kpi", "restore"])
async def test_a_measurement_taken_as_the_objective_is_restored_reaches_its_key_result(
    system: System, first: str
) -> None:
    """The measurement read the objective archived, so fed its key result nothing; the
    restore read the KPI's measurements before that one was written, so gave it nothing
    either: the 19 was lost for the key result for good. Now, whichever saves first, the
    restored key result takes it, once."""
    given = await an_archived_objective_fed_by_a_kpi(system)
    app, ctx, measurement = given.app, given.ctx, uuid.uuid4()

    await both_held_then_let_go(
        system,
        lambda held: held.kpis.record_measurement(
            ctx, given.kpi_id, value=D(19), on=MEASURED_ON, measurement_id=measurement
        ),
        lambda held: held.objectives.restore(ctx, given.objective_id, reason="ripreso"),
        first,
    )

    kr = await app.key_results.get(ctx, given.key_result_id)
    assert kr.current_value == D(19)
    fed = kr.check_ins[fed_check_in_id(measurement, kr.id)]
    assert (fed.value, fed.on, fed.source) == (D(19), MEASURED_ON, "kpi")
    assert len(kr.check_ins) == 2  # the 50 by hand, the 19 fed once


@pytest.mark.parametrize("first", ["kpi", "restore"])
async def test_a_correction_made_as_the_objective_is_restored_reaches_its_key_result(
    system: System, first: str
) -> None:
    """The check-in a measurement fed before the archive stayed at 19 where the KPI was
    corrected to 17, when the correction and the restore each read the other's streams
    before either wrote. Now it is corrected, whichever saves first."""
    measurement = uuid.uuid4()
    given = await an_archived_objective_fed_by_a_kpi(system, measured=measurement)
    app, ctx = given.app, given.ctx

    await both_held_then_let_go(
        system,
        lambda held: held.kpis.correct_measurement(
            ctx, given.kpi_id, measurement_id=measurement, value=D(17), reason="letto male"
        ),
        lambda held: held.objectives.restore(ctx, given.objective_id, reason="ripreso"),
        first,
    )

    kr = await app.key_results.get(ctx, given.key_result_id)
    assert kr.current_value == D(17)
    assert kr.check_ins[fed_check_in_id(measurement, kr.id)].value == D(17)


async def test_two_measurements_of_one_kpi_at_once_both_land(system: System) -> None:
    """Each reads the KPI and its archived objective, then one writes first: the other,
    its check under the tenant's lock passed (the objective is as it read it), is refused
    by the KPI's version and runs again on the fresh KPI, so neither is lost; the restore
    then gives the key result both."""
    given = await an_archived_objective_fed_by_a_kpi(system)
    app, ctx = given.app, given.ctx
    held = [HeldRepository(system), HeldRepository(system)]
    days = [date(2027, 2, 10), date(2027, 2, 11)]
    measuring = [
        asyncio.create_task(
            OKRApplication(h).kpis.record_measurement(ctx, given.kpi_id, value=D(v), on=day)
        )
        for h, v, day in zip(held, (19, 23), days, strict=True)
    ]
    for h in held:
        await asyncio.wait_for(h.reached.wait(), 30)
    for h, task in zip(held, measuring, strict=True):
        h.go.set()
        await task

    kpi = await app.kpis.get(ctx, given.kpi_id)
    assert sorted((m.on, m.value) for m in kpi.measurements.values()) == [
        (days[0], D(19)), (days[1], D(23))
    ]  # fmt: skip
    await app.objectives.restore(ctx, given.objective_id, reason="ripreso")
    kr = await app.key_results.get(ctx, given.key_result_id)
    assert sorted(c.value for c in kr.check_ins.values()) == [D(19), D(23), D(50)]
    assert kr.current_value == D(23)
