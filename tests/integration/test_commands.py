"""Commands through the application and the real store: rules hold, bad input records nothing."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from domain import errors
from domain.values import Unit, UnitKind
from projections.timetravel import Change
from services.app import Context, OKRApplication
from services.bootstrap import System
from services.commands import _diff_line, _objective_titles, _shown
from services.read import state_as_of
from services.store.event_store import ConcurrencyError
from services.store.repository import Repository


@pytest.fixture
def app(system: System) -> OKRApplication:
    return OKRApplication(system.repository)


@pytest.fixture
def ctx() -> Context:
    return Context(tenant_id=uuid.uuid4(), actor="user:anna")


async def seed_kr(
    app: OKRApplication, ctx: Context, cycle: str = "Q1 2027", **overrides: Any
) -> tuple[uuid.UUID, uuid.UUID]:
    """An active Q1 cycle (named `cycle`: a tenant's cycles have names of their own), one
    objective, the seed's response-time KR (24 h -> 19.2 h)."""
    cycle_id, objective_id = await active_objective(
        app, ctx, cycle, date(2027, 1, 1), date(2027, 3, 31), "Efficienza operativa"
    )
    fields: dict[str, Any] = {
        "objective_id": objective_id, "title": "Tempo di risposta", "kind": "decrease",
        "owner": "marco", "start": Decimal(24), "target_percent": Decimal(-20),
        "unit": Unit(UnitKind.HOURS),
    }  # fmt: skip
    kr = await app.key_results.create(ctx, **(fields | overrides))
    return cycle_id, kr.item_id


async def active_objective(
    app: OKRApplication, ctx: Context, name: str, starts_on: date, ends_on: date, title: str
) -> tuple[uuid.UUID, uuid.UUID]:
    """An active cycle with one objective in it: their ids."""
    cycle = await app.cycles.create(ctx, name=name, starts_on=starts_on, ends_on=ends_on)
    await app.cycles.activate(ctx, cycle.item_id)
    objective = await app.objectives.create(ctx, cycle_id=cycle.item_id, title=title, owner="marco")
    return cycle.item_id, objective.item_id


async def test_seed_scenario_reaches_62_5_percent(app: OKRApplication, ctx: Context) -> None:
    """The seed: 24 h -> 19.2 h, a check-in at 21 h is 62.5 % of the way."""
    _, kr_id = await seed_kr(app, ctx)
    written = await app.key_results.record_check_in(
        ctx, kr_id, value=Decimal(21), on=date(2027, 2, 1), confidence=7, note="nuovo triage"
    )
    kr = await app.key_results.get(ctx, kr_id)
    assert kr.target == Decimal("19.2")
    assert kr.progress == Decimal("0.625")
    assert written.position == 5  # cycle, activation, objective, KR, check-in


BAD_CHECK_INS = [
    ("value", float("nan"), errors.InvalidValueError),
    ("value", float("inf"), errors.InvalidValueError),
    ("value", float("-inf"), errors.InvalidValueError),
    ("value", Decimal("1e20"), errors.InvalidValueError),
    ("value", "NaN", errors.InvalidValueError),
    ("confidence", 11, errors.ConfidenceRangeError),
    ("confidence", -1, errors.ConfidenceRangeError),
    ("note", "x" * 10_000, errors.InvalidTitleError),
]


@pytest.mark.parametrize(("field", "bad", "error"), BAD_CHECK_INS)
async def test_a_bad_check_in_raises_its_named_error_and_appends_nothing(
    app: OKRApplication,
    system: System,
    ctx: Context,
    field: str,
    bad: Any,
    error: type[errors.DomainError],
) -> None:
    """NaN, infinities, absurd numbers, confidence 11, a 10 kB note: refused, log unchanged."""
    _, kr_id = await seed_kr(app, ctx)
    head = await system.store.head(ctx.tenant_id)
    fields: dict[str, Any] = {"value": Decimal(21), "on": date(2027, 2, 1), "confidence": 5}
    with pytest.raises(error) as raised:
        await app.key_results.record_check_in(ctx, kr_id, **(fields | {field: bad}))
    assert raised.value.field == field
    assert await system.store.head(ctx.tenant_id) == head


@pytest.mark.parametrize(
    ("overrides", "error", "field"),
    [
        ({"title": ""}, errors.InvalidTitleError, "title"),
        ({"title": "   "}, errors.InvalidTitleError, "title"),
        ({"title": "x" * 10_240}, errors.InvalidTitleError, "title"),
        ({"target_percent": None, "target": Decimal(24)}, errors.StartEqualsTargetError, "target"),
        ({"start": Decimal("1e16")}, errors.InvalidValueError, "start"),
    ],
)
async def test_a_bad_key_result_raises_and_appends_nothing(
    app: OKRApplication,
    system: System,
    ctx: Context,
    overrides: Any,
    error: type[errors.DomainError],
    field: str,
) -> None:
    """Empty and 10 kB titles, s = t, absurd baselines: the named error, nothing written."""
    _, kr_id = await seed_kr(app, ctx)
    head = await system.store.head(ctx.tenant_id)
    objective_id = (await app.key_results.get(ctx, kr_id)).objective_id
    fields: dict[str, Any] = {
        "objective_id": objective_id, "title": "Nuovi clienti", "kind": "decrease",
        "owner": "marco", "start": Decimal(24), "target_percent": Decimal(-20),
    }  # fmt: skip
    with pytest.raises(error) as raised:
        await app.key_results.create(ctx, **(fields | overrides))
    assert raised.value.field == field
    assert await system.store.head(ctx.tenant_id) == head


async def test_check_in_on_an_unknown_or_foreign_key_result_is_unknown(
    app: OKRApplication, system: System, ctx: Context
) -> None:
    """An id that is not a KR of this tenant (random, an objective, another tenant's) is unknown."""
    cycle_id, kr_id = await seed_kr(app, ctx)
    other = Context(tenant_id=uuid.uuid4(), actor="user:bob")
    for tenant_ctx, item in [(ctx, uuid.uuid4()), (ctx, cycle_id), (other, kr_id)]:
        with pytest.raises(errors.UnknownKeyResultError) as raised:
            await app.key_results.record_check_in(tenant_ctx, item, value=1, on=date(2027, 2, 1))
        assert raised.value.field == "key_result_id"
    assert await system.store.head(other.tenant_id) == 0


async def test_a_closed_cycle_takes_no_check_in_but_takes_corrections(
    app: OKRApplication, system: System, ctx: Context
) -> None:
    """Closing grades and locks: a new check-in is refused, a correction with a reason is not."""
    cycle_id, kr_id = await seed_kr(app, ctx)
    first = await app.key_results.record_check_in(ctx, kr_id, value=21, on=date(2027, 3, 1))
    await app.cycles.close(ctx, cycle_id)
    cycle = await app.cycles.get(ctx, cycle_id)
    assert cycle.key_result_scores == {kr_id: Decimal("0.625")}
    head = await system.store.head(ctx.tenant_id)
    with pytest.raises(errors.CycleClosedError):
        await app.key_results.record_check_in(ctx, kr_id, value=20, on=date(2027, 3, 20))
    assert await system.store.head(ctx.tenant_id) == head
    check_in_id = first.extra["check_in_id"]
    with pytest.raises(errors.ReasonRequiredError):  # a correction needs its reason
        await app.key_results.correct_check_in(
            ctx, kr_id, check_in_id=check_in_id, value=22, reason=""
        )
    await app.key_results.correct_check_in(
        ctx, kr_id, check_in_id=check_in_id, value=22, reason="typo: the report said 22 h"
    )
    kr = await app.key_results.get(ctx, kr_id)
    assert kr.current_value == 22
    assert kr.check_ins[check_in_id].original_value == 21


async def test_reparenting_into_a_loop_is_refused_and_appends_nothing(
    app: OKRApplication, system: System, ctx: Context
) -> None:
    """A -> B -> C; putting A under C would make a loop: ReparentLoopError, log unchanged."""
    cycle_id, _ = await seed_kr(app, ctx)
    a = await app.objectives.create(ctx, cycle_id=cycle_id, title="A", owner="m")
    b = await app.objectives.create(
        ctx, cycle_id=cycle_id, title="B", owner="m", parent_id=a.item_id
    )
    c = await app.objectives.create(
        ctx, cycle_id=cycle_id, title="C", owner="m", parent_id=b.item_id
    )
    head = await system.store.head(ctx.tenant_id)
    with pytest.raises(errors.ReparentLoopError):
        await app.objectives.reparent(ctx, a.item_id, parent_id=c.item_id)
    with pytest.raises(errors.ReparentLoopError):
        await app.objectives.reparent(ctx, a.item_id, parent_id=a.item_id)
    assert await system.store.head(ctx.tenant_id) == head
    await app.objectives.reparent(ctx, c.item_id, parent_id=a.item_id)
    assert (await app.objectives.get(ctx, c.item_id)).parent_id == a.item_id


async def test_each_check_in_sees_the_cycle_as_it_is_now(
    app: OKRApplication, system: System, ctx: Context
) -> None:
    """Later check-ins load the KR and its cycle together: a cycle closed in between (by
    another process) still refuses the next one, and another tenant's KR stays unknown."""
    cycle_id, kr_id = await seed_kr(app, ctx)
    await app.key_results.record_check_in(ctx, kr_id, value=22, on=date(2027, 2, 1))
    await app.key_results.record_check_in(ctx, kr_id, value=21, on=date(2027, 3, 1))
    await OKRApplication(system.repository).cycles.close(ctx, cycle_id)
    head = await system.store.head(ctx.tenant_id)
    with pytest.raises(errors.CycleClosedError):
        await app.key_results.record_check_in(ctx, kr_id, value=20, on=date(2027, 3, 20))
    other = Context(tenant_id=uuid.uuid4(), actor="user:bob")
    with pytest.raises(errors.UnknownKeyResultError):
        await app.key_results.record_check_in(other, kr_id, value=20, on=date(2027, 3, 20))
    assert await system.store.head(ctx.tenant_id) == head
    assert len((await app.key_results.get(ctx, kr_id)).check_ins) == 2


async def test_concurrent_check_ins_on_one_key_result_are_all_kept(
    app: OKRApplication, ctx: Context
) -> None:
    """Twenty people check in at once on one KR: every check-in lands, none is lost."""
    _, kr_id = await seed_kr(app, ctx)
    await asyncio.gather(
        *(
            app.key_results.record_check_in(ctx, kr_id, value=20 + i % 4, on=date(2027, 2, 1 + i))
            for i in range(20)
        )
    )
    assert len((await app.key_results.get(ctx, kr_id)).check_ins) == 20


async def test_if_match_refuses_a_stale_edit(app: OKRApplication, ctx: Context) -> None:
    """An edit made against an old version is refused instead of overwriting a newer change."""
    from services.app.base import VersionMismatchError

    _, kr_id = await seed_kr(app, ctx)
    seen = (await app.key_results.get(ctx, kr_id)).version
    await app.key_results.edit(ctx, kr_id, title="Tempo di prima risposta", if_match=seen)
    with pytest.raises(VersionMismatchError):
        await app.key_results.edit(ctx, kr_id, title="Altro", if_match=seen)


async def test_a_kpi_measurement_feeds_its_linked_key_result(
    app: OKRApplication, system: System, ctx: Context
) -> None:
    """A KPI linked to a KR records a check-in on it in the same command; corrections follow."""
    kpi = await app.kpis.create(
        ctx, name="Tempo medio di risposta", direction="lower_is_better", green=20, red=26,
        frequency_days=7, owner="marco", unit=Unit(UnitKind.HOURS),
    )  # fmt: skip
    _, kr_id = await seed_kr(app, ctx, kpi_id=kpi.item_id)
    measured = await app.kpis.record_measurement(
        ctx, kpi.item_id, value=Decimal("21.5"), on=date(2027, 2, 8)
    )
    assert measured.extra["fed_key_results"] == [kr_id]
    rows = await system.store.read_log(ctx.tenant_id, measured.positions[0] - 1)
    assert {r.correlation_id for r in rows} == {ctx.correlation_id}
    kr = await app.key_results.get(ctx, kr_id)
    [check_in] = kr.check_ins.values()
    assert (check_in.value, check_in.source.value) == (Decimal("21.5"), "kpi")
    await app.kpis.correct_measurement(
        ctx, kpi.item_id, measurement_id=measured.extra["measurement_id"], value=21,
        reason="the helpdesk export double-counted a ticket",
    )  # fmt: skip
    assert (await app.key_results.get(ctx, kr_id)).current_value == 21
    # The fed check-in corrected by hand to what the next correction of the measurement
    # says: that correction goes through, and leaves the check-in as it is (correcting it
    # to what it says would be refused as unchanged).
    await app.key_results.correct_check_in(
        ctx, kr_id, check_in_id=check_in.check_in_id, value=Decimal("20.5"), reason="typed in"
    )
    version = (await app.key_results.get(ctx, kr_id)).version
    await app.kpis.correct_measurement(
        ctx, kpi.item_id, measurement_id=measured.extra["measurement_id"], value="20.5",
        reason="the export again",
    )  # fmt: skip
    kr = await app.key_results.get(ctx, kr_id)
    assert (kr.current_value, kr.version) == (Decimal("20.5"), version)


async def test_a_kpi_correction_reaches_a_key_result_unlinked_since(
    app: OKRApplication, ctx: Context
) -> None:
    """A measurement of 4 fed a key result, which was then unlinked; the measurement is
    corrected to 9: the KPI read 9 and the key result stayed at 4, said nowhere. The check-in
    it fed is corrected too, and the correction says which key results it corrected; so is
    the one a key result linked after the measurement was fed at its link."""
    kpi = await app.kpis.create(
        ctx, name="Ore di attesa", direction="lower_is_better", green=5, red=10,
        frequency_days=7, owner="marco", unit=Unit(UnitKind.HOURS),
    )  # fmt: skip
    _, kr_id = await seed_kr(app, ctx, kpi_id=kpi.item_id)  # (in hours)
    measured = await app.kpis.record_measurement(ctx, kpi.item_id, value=4, on=date(2027, 2, 8))
    await app.key_results.unlink_kpi(ctx, kr_id)
    later = (await app.objectives.create(
        ctx, cycle_id=(await app.key_results.get(ctx, kr_id)).cycle_id, title="Altro",
        owner="marco",
    )).item_id  # fmt: skip
    other = await app.key_results.create(
        ctx, objective_id=later, title="Attese", kind="decrease", owner="marco", start=12,
        target=4, kpi_id=kpi.item_id, unit=Unit(UnitKind.HOURS),
    )  # fmt: skip
    corrected = await app.kpis.correct_measurement(
        ctx, kpi.item_id, measurement_id=measured.extra["measurement_id"], value=9,
        reason="the export missed a queue",
    )  # fmt: skip
    assert set(corrected.extra["fed_key_results"]) == {kr_id, other.item_id}
    kr = await app.key_results.get(ctx, kr_id)
    assert (kr.kpi_id, kr.current_value) == (None, Decimal(9))
    assert (await app.key_results.get(ctx, other.item_id)).current_value == 9


async def test_a_key_result_linked_to_a_kpi_takes_what_it_measured_for_the_cycle(
    app: OKRApplication, ctx: Context
) -> None:
    """Linked mid-quarter, a key result showed nothing until the KPI's next measurement. It
    takes at once each measurement of its cycle's days, as corrected, by whom it was
    measured, with its note; none of the days before the cycle, none twice when linked
    again; and, made linked, the same."""
    kpi = await app.kpis.create(
        ctx, name="Ore di attesa", direction="lower_is_better", green=5, red=10,
        frequency_days=7, owner="marco", unit=Unit(UnitKind.HOURS),
    )  # fmt: skip
    measurer = replace(ctx, actor="user:00000000-0000-0000-0000-00000000beef")
    for value, on in ((12, date(2026, 12, 28)), (10, date(2027, 1, 11)), (8, date(2027, 2, 8))):
        await app.kpis.record_measurement(measurer, kpi.item_id, value=value, on=on, note="dal CRM")
    earlier = (await app.kpis.get(ctx, kpi.item_id)).measurements
    (second,) = [m for m in earlier.values() if m.on == date(2027, 1, 11)]
    await app.kpis.correct_measurement(
        ctx, kpi.item_id, measurement_id=second.measurement_id, value=11, reason="una coda persa"
    )
    _, kr_id = await seed_kr(app, ctx)  # Q1 2027, in hours, linked to nothing

    await app.key_results.link_kpi(ctx, kr_id, kpi_id=kpi.item_id)

    kr = await app.key_results.get(ctx, kr_id)
    fed = sorted(kr.check_ins.values(), key=lambda c: c.on)
    assert [(c.on, c.value) for c in fed] == [
        (date(2027, 1, 11), Decimal(11)), (date(2027, 2, 8), Decimal(8))
    ]  # fmt: skip
    assert {(c.author, c.note, c.source.value) for c in fed} == {(measurer.actor, "dal CRM", "kpi")}
    await app.key_results.unlink_kpi(ctx, kr_id)
    await app.key_results.link_kpi(ctx, kr_id, kpi_id=kpi.item_id)
    assert len((await app.key_results.get(ctx, kr_id)).check_ins) == 2
    _, made_linked = await seed_kr(app, ctx, "Q1 2027 bis", kpi_id=kpi.item_id)
    assert (await app.key_results.get(ctx, made_linked)).current_value == 8


async def test_linking_a_key_result_to_the_kpi_it_is_linked_to_records_nothing(
    app: OKRApplication, ctx: Context
) -> None:
    """Linked again to the KPI that feeds it, a key result recorded a second 'linked' (its
    history said so twice, its version moved) where the KPI, linked already, recorded none."""
    kpi = await app.kpis.create(
        ctx, name="Ore di attesa", direction="lower_is_better", green=5, red=10,
        frequency_days=7, owner="marco", unit=Unit(UnitKind.HOURS),
    )  # fmt: skip
    _, kr_id = await seed_kr(app, ctx, kpi_id=kpi.item_id)
    before = (await app.key_results.get(ctx, kr_id)).version

    await app.key_results.link_kpi(ctx, kr_id, kpi_id=kpi.item_id)

    kr = await app.key_results.get(ctx, kr_id)
    assert (kr.version, kr.kpi_id) == (before, kpi.item_id)


async def test_concurrency_error_surfaces_for_non_retryable_edits(
    app: OKRApplication, system: System, ctx: Context
) -> None:
    """Two edits of one objective from the same version: one wins, one gets ConcurrencyError."""
    cycle_id, _ = await seed_kr(app, ctx)
    objective = await app.objectives.create(ctx, cycle_id=cycle_id, title="X", owner="m")
    one = await app.objectives.get(ctx, objective.item_id)
    two = await app.objectives.get(ctx, objective.item_id)
    cycle = await app.cycles.get(ctx, cycle_id)
    one.rename(title="One", cycle=cycle, author="a")
    two.rename(title="Two", cycle=cycle, author="b")
    await system.repository.save(ctx.tenant_id, one, actor="a")
    with pytest.raises(ConcurrencyError):
        await system.repository.save(ctx.tenant_id, two, actor="b")


async def test_a_check_in_stored_before_sources_existed_still_loads(
    app: OKRApplication, system: System, ctx: Context
) -> None:
    """A KeyResult.CheckedIn row in its v1 shape (no `source`) is upcast when loaded."""
    from eventsourcing.persistence import StoredEvent

    from services.store.transcoder import MsgspecTranscoder

    _, kr_id = await seed_kr(app, ctx)
    kr = await app.key_results.get(ctx, kr_id)
    v1_state = {
        "timestamp": kr.modified_on, "check_in_id": uuid.uuid4(), "value": Decimal("22.5"),
        "on": date(2027, 1, 20), "confidence": 6, "note": "v1", "author": "user:old",
    }  # fmt: skip
    await system.store.append(
        ctx.tenant_id,
        [
            StoredEvent(
                kr_id,
                kr.version + 1,
                "okr.KeyResult.CheckedIn",
                MsgspecTranscoder().encode(v1_state),
            )
        ],
        actor="user:old",
        correlation_id=uuid.uuid4(),
    )
    loaded = await app.key_results.get(ctx, kr_id)
    [check_in] = loaded.check_ins.values()
    assert (check_in.value, check_in.source.value) == (Decimal("22.5"), "manual")


async def test_a_check_in_loads_its_cycle_by_the_tenants_last_one_and_still_its_own(
    app: OKRApplication, system: System, ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key result seen for the first time comes with the tenant's last cycle in one round
    trip; when that is not its cycle, its own cycle's rules still hold (a closed one refuses)."""
    closed_cycle, closed_kr = await seed_kr(app, ctx)
    await app.key_results.record_check_in(ctx, closed_kr, value=21, on=date(2027, 3, 1))
    await app.cycles.close(ctx, closed_cycle)
    cycle_id, objective_id = await active_objective(
        app, ctx, "Q2 2027", date(2027, 4, 1), date(2027, 6, 30), "Clienti"
    )
    krs = []
    for i in range(3):
        kr = await app.key_results.create(
            ctx, objective_id=objective_id, title=f"KR {i}", kind="increase",
            owner="marco", start=Decimal(0), target=Decimal(10),
        )  # fmt: skip
        krs.append(kr.item_id)
    commands = OKRApplication(system.repository).key_results  # a process that saw none
    loads: list[int] = []
    for name in ("load_stream", "load_streams"):
        real = getattr(system.store, name)

        async def counted(*args: Any, _real: Any = real, **kwargs: Any) -> Any:
            loads.append(1)
            return await _real(*args, **kwargs)

        monkeypatch.setattr(system.store, name, counted)

    await commands.record_check_in(ctx, krs[0], value=1, on=date(2027, 4, 2))
    assert len(loads) == 2  # the first key result of a tenant: itself, then its cycle
    loads.clear()
    await commands.record_check_in(ctx, krs[1], value=2, on=date(2027, 4, 2))
    assert len(loads) == 1  # never seen, but in the tenant's last cycle: one round trip
    loads.clear()
    head = await system.store.head(ctx.tenant_id)
    with pytest.raises(errors.CycleClosedError):  # guessed Q2, then loaded its own Q1
        await commands.record_check_in(ctx, closed_kr, value=20, on=date(2027, 3, 20))
    assert len(loads) == 2  # the guess (Q2) and the key result, then its own cycle (Q1)
    assert await system.store.head(ctx.tenant_id) == head
    with pytest.raises(errors.UnknownKeyResultError):  # a cycle's id is no key result's
        await commands.record_check_in(ctx, cycle_id, value=1, on=date(2027, 4, 2))
    written = await commands.record_check_in(ctx, krs[2], value=3, on=date(2027, 4, 3))
    assert written.position == head + 1
    assert (await app.key_results.get(ctx, krs[2])).current_value == 3


async def test_a_snapshot_that_fails_after_the_commit_fails_nothing(
    system: System, ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A snapshot is taken after the command committed: if it cannot be written (a lost
    connection, a privilege taken back), the command still answers what it wrote, rather
    than an error for a check-in that is in the log (a client would send it twice)."""
    app = OKRApplication(Repository(system.store, snapshot_every=1))
    _, kr_id = await seed_kr(app, ctx)

    async def refused(*args: object, **kwargs: object) -> None:
        raise asyncpg.InsufficientPrivilegeError("permission denied for table snapshots")

    monkeypatch.setattr(system.store, "save_snapshot", refused)
    written = await app.key_results.record_check_in(
        ctx, kr_id, value=Decimal(21), on=date(2027, 2, 1)
    )
    assert written.position == await system.store.head(ctx.tenant_id)
    assert (await app.key_results.get(ctx, kr_id)).current_value == 21


async def test_the_cli_s_diff_names_a_new_parent_by_its_title(
    app: OKRApplication, system: System, ctx: Context
) -> None:
    """`okr diff` printed a re-parenting as ids (parent_id — → a6c5…): it names the
    parents as they stood, by title, even one renamed or archived since."""
    cycle_id, _ = await seed_kr(app, ctx)
    a = await app.objectives.create(ctx, cycle_id=cycle_id, title="Crescere", owner="m")
    b = await app.objectives.create(ctx, cycle_id=cycle_id, title="Vendere", owner="m")
    await app.objectives.reparent(ctx, b.item_id, parent_id=a.item_id)
    await app.objectives.edit(ctx, a.item_id, title="Crescere ancora")
    now = datetime.now(UTC)
    titles = _objective_titles(
        [await state_as_of(system.repository, ctx.tenant_id, recorded_at=now)]
    )
    assert _shown("parent_id", str(a.item_id), titles, {}) == "'Crescere ancora'"
    assert _shown("parent_id", None, titles, {}) == "—"
    assert _shown("parent_id", str(uuid.uuid4()), titles, {}) != "'Crescere ancora'"
    assert [_shown("raw_progress", p, {}, {}) for p in ("9.642", "-0.4", "0.5", None)] == [
        "100.0 % (+864.2 % over)", "0.0 %", "50.0 %", "—",  # as shown everywhere: clamped
    ]  # fmt: skip
    revised = Change("key_result", b.item_id, "Vendite", "value", "75", "77", date(2027, 1, 25))
    assert _diff_line(revised, titles, {}, {}) == (
        f"key_result {'Vendite':<50} value of 2027-01-25 75 → 77"  # an earlier day's value
    )
    hidden = Change("key_result", b.item_id, "Vendite", "raw_progress", "-0.4", "-0.2")
    assert _diff_line(hidden, titles, {}, {}) is None  # 0.0 % both


async def test_a_link_made_before_the_unit_rule_feeds_nothing(
    app: OKRApplication, ctx: Context
) -> None:
    """Links to a key result of another unit, or to a milestone, are refused now; those made
    before stay in the log. A measurement fed the first a wrong unit's value and failed on
    the second, so the KPI could take no value at all. Now it is recorded, and feeds only
    the key result of its unit."""
    from domain.key_result import KeyResult

    kpi = await app.kpis.create(
        ctx, name="Ore di attesa", direction="lower_is_better", green=5, red=10,
        frequency_days=7, owner="marco", unit=Unit(UnitKind.HOURS),
    )  # fmt: skip
    _, hours = await seed_kr(app, ctx, kpi_id=kpi.item_id)
    objective = (await app.key_results.get(ctx, hours)).objective_id
    old = [
        (await app.key_results.create(ctx, objective_id=objective, owner="marco", **kr)).item_id
        for kr in (
            {"title": "Costi", "kind": "decrease", "start": 100, "target": 90,
             "unit": Unit(UnitKind.CURRENCY, "EUR")},
            {"title": "Portale", "kind": "milestone"},
        )
    ]  # fmt: skip
    made = await app.kpis.get(ctx, kpi.item_id)
    for kr_id in old:  # as the rule's absence let them be made
        kr = await app.key_results.get(ctx, kr_id)
        kr.trigger_event(KeyResult.LinkedToKpi, kpi_id=made.id, author="marco")
        made.link_key_result(key_result_id=kr.id, author="marco")
        await app.key_results.save(ctx, kr)
    await app.kpis.save(ctx, made)

    measured = await app.kpis.record_measurement(ctx, kpi.item_id, value=7, on=date(2027, 2, 8))

    assert measured.extra["fed_key_results"] == [hours]
    costs, portal = [await app.key_results.get(ctx, kr_id) for kr_id in old]
    assert costs.check_ins == {} and portal.check_ins == {}
    corrected = await app.kpis.correct_measurement(
        ctx, kpi.item_id, measurement_id=measured.extra["measurement_id"], value=8,
        reason="il gestionale contava male",
    )  # fmt: skip
    assert corrected.extra["fed_key_results"] == [hours]
