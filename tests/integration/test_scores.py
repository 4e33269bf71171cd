"""Closing scores: adjusting a key result's carries to its objective while it follows."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from domain.progress import score_shown
from services.app import Context, OKRApplication, Written
from services.bootstrap import System

D = Decimal


async def an_active_quarter(system: System) -> tuple[OKRApplication, Context, Written]:
    """A new tenant's Q1 2027, active."""
    app = OKRApplication(system.repository)
    ctx = Context(tenant_id=uuid.uuid4(), actor="user:anna")
    cycle = await app.cycles.create(
        ctx, name="Q1 2027", starts_on=date(2027, 1, 1), ends_on=date(2027, 3, 31)
    )
    await app.cycles.activate(ctx, cycle.item_id)
    return app, ctx, cycle


async def a_closed_quarter(
    system: System,
) -> tuple[OKRApplication, Context, uuid.UUID, list[uuid.UUID]]:
    """A closed quarter: one objective, two key results (weights 1 and 3) at 0.5 and 0.25."""
    app, ctx, cycle = await an_active_quarter(system)
    goal = await app.objectives.create(ctx, cycle_id=cycle.item_id, title="Crescere", owner="anna")
    krs = []
    for title, weight, value in (("Contratti", 1, 50), ("Clienti", 3, 25)):
        kr = await app.key_results.create(
            ctx, objective_id=goal.item_id, title=title, owner="anna", kind="increase",
            start=0, target=D(100), weight=D(weight),
        )  # fmt: skip
        await app.key_results.record_check_in(ctx, kr.item_id, value=D(value), on=date(2027, 3, 1))
        krs.append(kr.item_id)
    await app.cycles.close(ctx, cycle.item_id)
    return app, ctx, cycle.item_id, [goal.item_id, *krs]


async def test_a_rescored_key_result_carries_its_objective_while_it_follows(
    system: System,
) -> None:
    """Closed at 0.5 and 0.25 (weights 1, 3): the objective is 0.3125. The first key result
    rescored to 0.9: the objective follows, to 0.4125, in the same append. Set by hand to
    0.6, it no longer follows: a later rescore of the other leaves it at 0.6."""
    app, ctx, cycle_id, (goal, first, second) = await a_closed_quarter(system)
    closed = await app.cycles.get(ctx, cycle_id)
    assert closed.objective_scores[goal] == D("0.3125")

    written = await app.cycles.adjust_score(
        ctx, cycle_id, item_id=first, score=D("0.9"), reason="contratto firmato dopo"
    )
    assert len(written.positions) == 2  # the key result's and its objective's, together
    rescored = await app.cycles.get(ctx, cycle_id)
    assert rescored.key_result_scores[first] == D("0.9")
    assert rescored.objective_scores[goal] == D("0.4125")

    await app.cycles.adjust_score(ctx, cycle_id, item_id=goal, score=D("0.6"), reason="a mano")
    written = await app.cycles.adjust_score(
        ctx, cycle_id, item_id=second, score=D("0.5"), reason="ricontato"
    )
    assert len(written.positions) == 1
    assert (await app.cycles.get(ctx, cycle_id)).objective_scores[goal] == D("0.6")


async def test_an_objective_that_rolls_up_its_children_is_scored_and_follows_with_them(
    system: System,
) -> None:
    """A parent that rolls up its aligned children (weights 1 and 1) and has a key result
    of its own at 0.5: closed, its score is the weighted mean of that 0.5 and its child's
    0.3125, as its progress is. A key result of the child rescored: the child follows, then
    the parent, bottom up, in the same append."""
    app, ctx, cycle = await an_active_quarter(system)
    parent = await app.objectives.create(
        ctx, cycle_id=cycle.item_id, title="Crescere", owner="anna", roll_up_children=True
    )
    child = await app.objectives.create(
        ctx, cycle_id=cycle.item_id, title="Vendere", owner="anna", parent_id=parent.item_id
    )
    krs = {}
    for objective, title, weight, value in (
        (parent.item_id, "Margine", 1, 50),
        (child.item_id, "Contratti", 1, 50),
        (child.item_id, "Clienti", 3, 25),
    ):
        kr = await app.key_results.create(
            ctx, objective_id=objective, title=title, owner="anna", kind="increase",
            start=0, target=D(100), weight=D(weight),
        )  # fmt: skip
        await app.key_results.record_check_in(ctx, kr.item_id, value=D(value), on=date(2027, 3, 1))
        krs[title] = kr.item_id
    await app.cycles.close(ctx, cycle.item_id)
    closed = await app.cycles.get(ctx, cycle.item_id)
    assert closed.objective_scores[child.item_id] == D("0.3125")
    assert closed.objective_scores[parent.item_id] == (D("0.5") + D("0.3125")) / 2

    written = await app.cycles.adjust_score(
        ctx, cycle.item_id, item_id=krs["Contratti"], score=D("0.9"), reason="firmato dopo"
    )
    assert len(written.positions) == 3  # the key result, its objective, the parent
    rescored = await app.cycles.get(ctx, cycle.item_id)
    assert rescored.objective_scores[child.item_id] == D("0.4125")
    assert rescored.objective_scores[parent.item_id] == (D("0.5") + D("0.4125")) / 2


async def test_a_parent_scored_as_close_used_to_follows_its_own_key_results(
    system: System,
) -> None:
    """A cycle closed when close rolled no children up: the parent's score is its own key
    results' mean (0.5, made so here). Its own key result rescored to 0.7: it follows by
    that rule, to 0.7, rather than count as set by hand."""
    app, ctx, cycle = await an_active_quarter(system)
    parent = await app.objectives.create(
        ctx, cycle_id=cycle.item_id, title="Crescere", owner="anna", roll_up_children=True
    )
    child = await app.objectives.create(
        ctx, cycle_id=cycle.item_id, title="Vendere", owner="anna", parent_id=parent.item_id
    )
    own = None
    for objective, value in ((parent.item_id, 50), (child.item_id, 25)):
        kr = await app.key_results.create(
            ctx, objective_id=objective, title="Margine", owner="anna", kind="increase",
            start=0, target=D(100),
        )  # fmt: skip
        await app.key_results.record_check_in(ctx, kr.item_id, value=D(value), on=date(2027, 3, 1))
        own = own or kr.item_id
    await app.cycles.close(ctx, cycle.item_id)
    await app.cycles.adjust_score(  # as the old close scored it
        ctx, cycle.item_id, item_id=parent.item_id, score=D("0.5"), reason="come prima"
    )
    assert own is not None
    await app.cycles.adjust_score(
        ctx, cycle.item_id, item_id=own, score=D("0.7"), reason="ricontato"
    )
    assert (await app.cycles.get(ctx, cycle.item_id)).objective_scores[parent.item_id] == D("0.7")


async def three_key_results_at_two_fifths(
    app: OKRApplication, ctx: Context, cycle_id: uuid.UUID
) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """An objective whose key results stand at 1/5, 21/22 and 1/22: exactly 0.4 together."""
    goal = await app.objectives.create(ctx, cycle_id=cycle_id, title="Crescere", owner="anna")
    krs = []
    for title, target, value in (("Contratti", 5, 1), ("Clienti", 22, 21), ("Rinnovi", 22, 1)):
        kr = await app.key_results.create(
            ctx, objective_id=goal.item_id, title=title, owner="anna", kind="increase",
            start=0, target=D(target),
        )  # fmt: skip
        await app.key_results.record_check_in(ctx, kr.item_id, value=D(value), on=date(2027, 3, 1))
        krs.append(kr.item_id)
    return goal.item_id, krs


async def test_an_objective_scored_exactly_on_a_band_s_edge_is_in_that_band(
    system: System,
) -> None:
    """1/5, 21/22 and 1/22 are 0.4 together, amber's first score: summed as 0.2, 0.9545…5
    and 0.04545…5 (28 digits each), the objective closed at 0.3999…97, which shows as 0.39
    and red. It closes at 0.4, amber, as its progress stood before the close."""
    from services.read import progress_as_of

    app, ctx, cycle = await an_active_quarter(system)
    goal, _ = await three_key_results_at_two_fifths(app, ctx, cycle.item_id)
    await app.cycles.close(ctx, cycle.item_id)

    closed = await app.cycles.get(ctx, cycle.item_id)
    assert closed.objective_scores[goal] == D("0.4")
    tree = await progress_as_of(system.repository, ctx.tenant_id, today=date(2027, 4, 1))
    (node,) = tree.cycles[0].objectives
    assert (node.progress, node.score, node.score_band) == (D("0.4"), D("0.4"), "amber")
    assert node.score is not None and score_shown(node.score) == D("0.40")


async def test_a_score_closed_a_digit_off_still_follows_its_key_results(
    system: System,
) -> None:
    """An objective closed before the mean was rounded once kept 0.3999…97 for 0.4: it is
    what its key results made it, not a score set by hand, so one of them rescored to 0.5
    still carries it, to 0.5, in the same append."""
    app, ctx, cycle = await an_active_quarter(system)
    goal, krs = await three_key_results_at_two_fifths(app, ctx, cycle.item_id)
    scores = {kr: (await app.key_results.get(ctx, kr)).score for kr in krs}
    closing = await app.cycles.get(ctx, cycle.item_id)
    closing.close(
        key_result_scores=scores,
        objective_scores={goal: D("0.3999999999999999999999999997")},
        closed_by="user:anna",
    )
    await app.cycles.save(ctx, closing)

    written = await app.cycles.adjust_score(
        ctx, cycle.item_id, item_id=krs[0], score=D("0.5"), reason="contratto firmato dopo"
    )

    assert len(written.positions) == 2
    assert (await app.cycles.get(ctx, cycle.item_id)).objective_scores[goal] == D("0.5")
