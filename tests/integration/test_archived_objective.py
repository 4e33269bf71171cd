"""An archived objective retires its key results with it: no check-in, no KPI feed, no
score at close."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest

from domain import errors
from services.app import Context, OKRApplication
from services.bootstrap import System

D = Decimal


async def a_key_result_of_an_archived_objective(
    system: System,
) -> tuple[OKRApplication, Context, uuid.UUID, uuid.UUID, uuid.UUID]:
    """A tenant's active Q1 2027 with two objectives of one key result each, both checked in
    at 0.5 and linked to the KPI "Clienti"; the second objective archived. The cycle's id
    and the two key results'."""
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
    krs = []
    for title in ("Crescere", "Ritirato"):
        goal = await app.objectives.create(ctx, cycle_id=cycle.item_id, title=title, owner="anna")
        kr = await app.key_results.create(
            ctx, objective_id=goal.item_id, title=title, owner="anna", kind="increase",
            start=0, target=D(100),
        )  # fmt: skip
        await app.key_results.record_check_in(ctx, kr.item_id, value=D(50), on=date(2027, 2, 1))
        await app.key_results.link_kpi(ctx, kr.item_id, kpi_id=kpi.item_id)
        krs.append(kr.item_id)
    await app.objectives.archive(ctx, goal.item_id, reason="non più una priorità")
    return app, ctx, cycle.item_id, krs[0], krs[1]


async def test_a_key_result_of_an_archived_objective_takes_no_check_in(system: System) -> None:
    """Its objective out of the tree and the progress, a check-in on it counted nowhere
    yet was accepted: it is refused, naming why, and records nothing."""
    app, ctx, _, _, retired = await a_key_result_of_an_archived_objective(system)
    before = (await app.key_results.get(ctx, retired)).version
    with pytest.raises(errors.ArchivedError, match="objective is archived") as refused:
        await app.key_results.record_check_in(ctx, retired, value=D(70), on=date(2027, 2, 2))
    assert refused.value.field == "key_result_id"
    kr = await app.key_results.get(ctx, retired)
    (check_in_id,) = kr.check_ins
    with pytest.raises(errors.ArchivedError, match="objective is archived"):
        await app.key_results.correct_check_in(
            ctx, retired, check_in_id=check_in_id, value=D(60), reason="ricontato"
        )
    assert (await app.key_results.get(ctx, retired)).version == before


async def test_a_kpi_feeds_no_key_result_of_an_archived_objective(system: System) -> None:
    """A KPI's measurement was fed to a linked key result whose objective was archived
    (listed in `fed_key_results`): it feeds only the live ones, and a link to a retired
    one is refused."""
    app, ctx, _, live, retired = await a_key_result_of_an_archived_objective(system)
    kpi_id = (await app.key_results.get(ctx, live)).kpi_id
    assert kpi_id is not None
    with pytest.raises(errors.ArchivedError, match="objective is archived"):
        await app.key_results.link_kpi(ctx, retired, kpi_id=kpi_id)
    written = await app.kpis.record_measurement(ctx, kpi_id, value=D(75), on=date(2027, 2, 3))
    assert written.extra["fed_key_results"] == [live]
    assert len((await app.key_results.get(ctx, retired)).check_ins) == 1


async def test_a_key_result_of_an_archived_objective_is_not_scored_at_close(
    system: System,
) -> None:
    """Closing graded the archived objective's key result too (a score of an item shown
    nowhere): only the live one's is recorded."""
    app, ctx, cycle_id, live, _ = await a_key_result_of_an_archived_objective(system)
    await app.cycles.close(ctx, cycle_id)
    closed = await app.cycles.get(ctx, cycle_id)
    assert closed.key_result_scores == {live: D("0.5")}


async def test_a_key_result_of_an_archived_objective_takes_no_edit(system: System) -> None:
    """Only its check-ins were refused: a rename, a target revision, an unlink from its KPI
    or its own archive were still taken on a key result retired with its objective. Each
    is refused, naming it and why, and nothing is written."""
    app, ctx, _, _, retired = await a_key_result_of_an_archived_objective(system)
    before = (await app.key_results.get(ctx, retired)).version
    for change in (
        app.key_results.edit(ctx, retired, title="Altro"),
        app.key_results.revise_target(ctx, retired, target=D(120), reason="mercato"),
        app.key_results.unlink_kpi(ctx, retired),
        app.key_results.archive(ctx, retired, reason="doppio"),
    ):
        with pytest.raises(errors.ArchivedError, match="objective is archived") as refused:
            await change
        assert refused.value.field == "key_result_id"
    assert (await app.key_results.get(ctx, retired)).version == before
