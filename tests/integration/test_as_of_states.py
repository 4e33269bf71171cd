"""The fold states an "as of" replay keeps in the process (services.store.fold_states): a
view from a state kept is the view a replay from the first event gives, whichever state it
starts from; they are bounded, kept per tenant, and none rests on a checkpoint a rebuild
wrote anew."""

from __future__ import annotations

import random
import uuid
from datetime import date
from decimal import Decimal

import asyncpg
import pytest

from domain.values import KRKind
from projections.base import Recorded
from projections.progress import progress_projection
from projections.progress_fold import progress_fold
from projections.progress_state import ProgressView
from projections.timetravel import diff as diff_states
from projections.timetravel import state_as_of as replayed
from services.app import Context, OKRApplication
from services.bootstrap import System
from services.projector import rebuild
from services.projector.registry import PROJECTIONS
from services.read import diff, known_position, state_as_of, tenant_records
from services.read import progress as read_progress
from services.store.event_store import EventStore
from services.store.fold_states import FoldStates
from services.store.repository import Repository
from tests.integration.test_projector import (
    a_tenant_with_history,
    checkpoints,
    projector,
    small_checkpoints,  # noqa: F401 (a fixture, by name)
)


def same(state: ProgressView, expected: ProgressView) -> bool:
    """Equal, and to the byte as stored (a Decimal's digits, the order of the items)."""
    encode = progress_projection.encode_state
    return state == expected and encode(state) == encode(expected)


async def a_tenant_that_changed_its_mind(system: System) -> uuid.UUID:
    """Check-ins, one of them corrected many events after it was recorded, a target
    revised, an objective archived and restored, and check-ins after."""
    tenant = await a_tenant_with_history(system, check_ins=30)
    app = OKRApplication(system.repository)
    ctx = Context(tenant_id=tenant, actor="user:anna")
    kinds = {
        (await app.key_results.get(ctx, kr)).kind: kr
        for kr in await system.store.stream_ids(tenant, ["okr.KeyResult.Created"])
    }
    decrease, increase = kinds[KRKind.DECREASE], kinds[KRKind.INCREASE]
    (objective,) = await system.store.stream_ids(tenant, ["okr.Objective.Created"])
    late = await app.key_results.record_check_in(ctx, increase, value=71, on=date(2027, 1, 2))
    for day in range(3, 13):
        await app.key_results.record_check_in(ctx, decrease, value=23, on=date(2027, 1, day))
    await app.key_results.correct_check_in(
        ctx, increase, check_in_id=late.extra["check_in_id"], value=Decimal("70.50"),
        reason="valore riportato male",
    )  # fmt: skip
    await app.key_results.revise_target(ctx, increase, reason="nuovo accordo", target=90)
    await app.objectives.archive(ctx, objective, reason="per errore")
    await app.objectives.restore(ctx, objective, reason="ancora una priorità")
    for day in range(13, 16):
        await app.key_results.record_check_in(ctx, increase, value=80, on=date(2027, 1, day))
    return tenant


@pytest.mark.usefixtures("small_checkpoints")
async def test_a_state_from_a_kept_state_is_the_state_a_replay_from_the_first_event_gives(
    fresh: System,
) -> None:
    """At every position, asked in any order, before the projector stored checkpoints and
    after, by a process that kept states of other positions and by one that kept none: the
    state of a late correction, a revised target, an objective archived and restored is the
    one folded from the first event, to the byte."""
    tenant = await a_tenant_that_changed_its_mind(fresh)
    records = await tenant_records(fresh.repository, tenant)
    positions = list(range(len(records) + 1))
    expected = {p: replayed(records, position=p) for p in positions}
    for position in random.Random(20270101).sample(positions, len(positions)):
        assert same(
            await state_as_of(fresh.repository, tenant, position=position), expected[position]
        )
    await projector(fresh, batch_size=7).catch_up(tenant)
    assert len(await checkpoints(fresh, "progress", tenant)) > 2
    keeping_none = Repository(EventStore(fresh.pool, notify=False))
    for repository in (fresh.repository, keeping_none):
        for position in [*reversed(positions), *positions]:
            state = await state_as_of(repository, tenant, position=position)
            assert same(state, expected[position]), position
    assert 0 < len(fresh.repository.fold_states) <= FoldStates().max_states


async def test_a_tenants_kept_states_are_never_another_tenants(fresh: System) -> None:
    """Two tenants made alike, their logs as long: each one's states at each position are
    its own, whichever was asked first, both ways."""
    a, b = [await a_tenant_with_history(fresh, check_ins=8) for _ in range(2)]
    logs = {t: await tenant_records(fresh.repository, t) for t in (a, b)}
    assert len(logs[a]) == len(logs[b])
    for tenant in (a, b, a):
        for position in range(len(logs[tenant]) + 1):
            state = await state_as_of(fresh.repository, tenant, position=position)
            assert same(state, replayed(logs[tenant], position=position))
    items = {t: set((await state_as_of(fresh.repository, t)).key_results) for t in (a, b)}
    assert items[a] and items[b] and not items[a] & items[b]


async def test_a_diff_replays_the_log_once_for_its_two_states(
    fresh: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its later state goes on from its earlier one, kept, not from the first event again:
    each event up to its later instant is folded once. Its changes are two replays'."""
    tenant = await a_tenant_that_changed_its_mind(fresh)
    records = await tenant_records(fresh.repository, tenant)
    since, until = records[len(records) // 2].recorded_at, records[-3].recorded_at
    upto = [await known_position(fresh.pool, tenant, recorded_at=i) for i in (since, until)]
    folded: list[Recorded] = []

    def counted(state: ProgressView, record: Recorded) -> ProgressView:
        folded.append(record)
        return progress_fold(state, record)

    monkeypatch.setattr(read_progress, "progress_fold", counted)

    changes = await diff(fresh.repository, tenant, since=since, until=until)

    assert [r.position for r in folded] == list(range(1, upto[1] + 1))
    before, after = (replayed(records, position=p) for p in upto)
    assert changes == diff_states(before, after, today_from=since.date(), today_to=until.date())


@pytest.mark.usefixtures("small_checkpoints")
async def test_a_state_kept_on_a_checkpoint_a_rebuild_wrote_anew_is_not_used(
    fresh: System,
) -> None:
    """A checkpoint gone bad gives bad views as of after it until a rebuild mends it (in
    another process: this one is not told); then a state this process kept that rests on
    it is not used, at its position or after."""
    tenant = await a_tenant_that_changed_its_mind(fresh)
    await projector(fresh, batch_size=7).catch_up(tenant)
    records = await tenant_records(fresh.repository, tenant)
    bad = (await checkpoints(fresh, "progress", tenant))[1]
    conn = await asyncpg.connect(fresh.admin_dsn)
    try:
        await conn.execute(
            "UPDATE rm_progress__states SET state = $3 WHERE tenant_id = $1 AND position = $2",
            tenant, bad, progress_projection.encode_state(replayed(records, position=1)),
        )  # fmt: skip
    finally:
        await conn.close()
    assert not same(
        await state_as_of(fresh.repository, tenant, position=bad + 2),
        replayed(records, position=bad + 2),
    )

    another_process = Repository(EventStore(fresh.pool, notify=False))
    await rebuild.rebuild_tenant(fresh.pool, another_process, PROJECTIONS, tenant)

    for position in (bad + 2, bad + 3, bad):
        state = await state_as_of(fresh.repository, tenant, position=position)
        assert same(state, replayed(records, position=position)), position


def test_kept_states_are_bounded_by_count_and_by_events() -> None:
    """The least recently used go first, past either bound; a state of more events than
    the bound is not kept; each is found only for its own tenant and fold."""
    a, b = uuid.uuid4(), uuid.uuid4()
    kept = FoldStates(max_states=3, max_events=100)
    for position in (10, 20, 30):
        kept.keep(a, "progress 15", position, f"a{position}", None)
    assert kept.latest(a, "progress 15", 25) == (20, "a20", None)  # now the most recent
    kept.keep(a, "progress 15", 40, "a40", None)  # four: 10, the least recently used, goes
    assert len(kept) == 3 and kept.latest(a, "progress 15", 15) is None
    kept.keep(b, "progress 15", 50, "b50", None)  # 20 + 40 + 50 > 100: 30, then 20 go
    assert (len(kept), kept.events) == (2, 90)
    assert kept.latest(b, "progress 15", 45) is None
    assert kept.latest(a, "progress 15", 1000) == (40, "a40", None)
    assert kept.latest(a, "progress 14", 1000) is None
    kept.keep(b, "progress 15", 101, "too many", None)
    assert kept.latest(b, "progress 15", 1000) == (50, "b50", None)
    kept.forget(b)
    assert (len(kept), kept.events, kept.latest(b, "progress 15", 1000)) == (1, 40, None)


async def test_a_position_among_one_append_s_events_stands_at_its_last(fresh: System) -> None:
    """A score adjusted after the close is recorded with its objective's, which follows it,
    in one append: the log never stood between the two. Asked for the first of them, an
    "as of" stands at the second (it showed the key result's new score beside its
    objective's old one, a state no one saw); one before the append stays where it is."""
    tenant = await a_tenant_with_history(fresh, check_ins=4)
    app = OKRApplication(fresh.repository)
    ctx = Context(tenant_id=tenant, actor="user:anna")
    (cycle,) = await fresh.store.stream_ids(tenant, ["okr.Cycle.Created"])
    (objective,) = await fresh.store.stream_ids(tenant, ["okr.Objective.Created"])
    await app.cycles.close(ctx, cycle)
    before = await fresh.store.head(tenant)
    key_result = next(iter((await app.cycles.get(ctx, cycle)).key_result_scores))
    last = (
        await app.cycles.adjust_score(
            ctx, cycle, item_id=key_result, score=Decimal("0.2"), reason="rivisto"
        )
    ).position
    assert last == before + 2  # the key result's score, then its objective's
    for asked, stands in [(before, before), (before + 1, last), (last, last)]:
        assert await known_position(fresh.pool, tenant, position=asked) == stands
        state = await state_as_of(fresh.repository, tenant, position=asked)
        assert same(state, await state_as_of(fresh.repository, tenant, position=stands))
    then, now = [
        (await state_as_of(fresh.repository, tenant, position=p)).cycles[cycle]
        for p in (before, before + 1)
    ]
    assert now.key_result_scores[key_result] == Decimal("0.2")
    assert now.objective_scores[objective] != then.objective_scores[objective]  # it followed
