"""Objectives: alignment tree with history, same-cycle rule, closed cycles and archiving."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain import Objective, ObjectiveLevel
from domain.errors import (
    ArchivedError,
    CrossCycleAlignmentError,
    CycleClosedError,
    InvalidTitleError,
    InvalidValueError,
    InvalidWeightError,
    NotArchivedError,
    ReasonRequiredError,
    ReparentLoopError,
)
from tests.domain import AUTHOR, a_cycle, an_objective, assert_nothing_recorded, settled


def test_objective_is_created_with_its_defaults() -> None:
    """Team level, aspirational, weight 1 and no roll-up unless said otherwise."""
    cycle = a_cycle()
    objective = an_objective(cycle)
    assert objective.cycle_id == cycle.id
    assert objective.level is ObjectiveLevel.TEAM
    assert (objective.committed, objective.weight, objective.roll_up_children) == (
        False,
        Decimal(1),
        False,
    )
    assert objective.parent_id is None


def test_objective_cannot_align_to_a_parent_of_another_cycle() -> None:
    """Alignment across quarters would mix progress from different periods."""
    parent = an_objective(a_cycle(name="Q4 2026"))
    with pytest.raises(CrossCycleAlignmentError) as err:
        an_objective(a_cycle(), parent=parent)
    assert err.value.field == "parent_id"


def test_objective_cannot_be_set_in_a_closed_cycle() -> None:
    """A closed cycle is graded; new goals belong in the next one."""
    with pytest.raises(CycleClosedError):
        an_objective(a_cycle(state="closed"))


def test_reparenting_is_an_event_with_the_previous_parent() -> None:
    """The tree has a history: who moved what from where to where."""
    cycle = a_cycle()
    company = an_objective(cycle, level="company")
    team = an_objective(cycle)
    settled(team)
    team.reparent(new_parent=company, new_parent_ancestors=[], cycle=cycle, author=AUTHOR)
    team.reparent(new_parent=None, new_parent_ancestors=[], cycle=cycle, author=AUTHOR)
    moved, back = team.collect_events()
    assert isinstance(moved, Objective.Reparented) and isinstance(back, Objective.Reparented)
    assert (moved.previous_parent_id, moved.parent_id) == (None, company.id)
    assert (back.previous_parent_id, back.parent_id) == (company.id, None)
    assert team.parent_id is None


def test_reparenting_under_the_parent_it_has_records_nothing() -> None:
    """A move to where it is already is no move: no event, no history line "aligned
    under '—'"."""
    cycle = a_cycle()
    company = an_objective(cycle, level="company")
    team = an_objective(cycle, parent=company)
    top = an_objective(cycle)
    settled(team), settled(top)
    team.reparent(new_parent=company, new_parent_ancestors=[], cycle=cycle, author=AUTHOR)
    top.reparent(new_parent=None, new_parent_ancestors=[], cycle=cycle, author=AUTHOR)
    assert team.collect_events() == [] and top.collect_events() == []
    assert team.parent_id == company.id


def test_reparenting_under_itself_is_a_loop() -> None:
    """An objective cannot be its own parent."""
    cycle = a_cycle()
    objective = an_objective(cycle)
    version = settled(objective)
    with pytest.raises(ReparentLoopError):
        objective.reparent(
            new_parent=objective, new_parent_ancestors=[], cycle=cycle, author=AUTHOR
        )
    assert_nothing_recorded(objective, version)


def test_reparenting_under_a_descendant_is_a_loop() -> None:
    """Company -> team -> person: moving company under person would orphan the tree."""
    cycle = a_cycle()
    company = an_objective(cycle, level="company")
    team = an_objective(cycle, parent=company)
    person = an_objective(cycle, parent=team, level="individual")
    version = settled(company)
    with pytest.raises(ReparentLoopError):
        company.reparent(
            new_parent=person,
            new_parent_ancestors=[team.id, company.id],
            cycle=cycle,
            author=AUTHOR,
        )
    assert_nothing_recorded(company, version)


def test_reparenting_across_cycles_is_refused() -> None:
    """The same-cycle rule holds for moves as for creation."""
    cycle = a_cycle()
    objective = an_objective(cycle)
    elsewhere = an_objective(a_cycle(name="Q2 2027"))
    version = settled(objective)
    with pytest.raises(CrossCycleAlignmentError):
        objective.reparent(
            new_parent=elsewhere, new_parent_ancestors=[], cycle=cycle, author=AUTHOR
        )
    assert_nothing_recorded(objective, version)


def test_edits_on_a_closed_cycle_are_refused() -> None:
    """Closing locks the cycle: titles and weights are part of what was graded."""
    cycle = a_cycle()
    objective = an_objective(cycle)
    cycle.close(key_result_scores={}, objective_scores={}, closed_by=AUTHOR)
    version = settled(objective)
    with pytest.raises(CycleClosedError):
        objective.rename(title="Altro", cycle=cycle, author=AUTHOR)
    with pytest.raises(CycleClosedError):
        objective.change_weight(weight=2, cycle=cycle, author=AUTHOR)
    assert_nothing_recorded(objective, version)


def test_commands_need_the_objectives_own_cycle() -> None:
    """Passing another cycle must not let an edit dodge the closed-cycle rule."""
    objective = an_objective(a_cycle())
    with pytest.raises(CrossCycleAlignmentError):
        objective.rename(title="Altro", cycle=a_cycle(), author=AUTHOR)


def test_archived_objective_cannot_change() -> None:
    """Archiving is final; the archive event carries the reason."""
    cycle = a_cycle()
    objective = an_objective(cycle)
    with pytest.raises(ReasonRequiredError):
        objective.archive(reason=" ", cycle=cycle, author=AUTHOR)
    objective.archive(reason="merged into another objective", cycle=cycle, author=AUTHOR)
    version = settled(objective)
    with pytest.raises(ArchivedError):
        objective.rename(title="Altro", cycle=cycle, author=AUTHOR)
    with pytest.raises(ArchivedError):
        an_objective(cycle, parent=objective)
    assert_nothing_recorded(objective, version)


def test_edits_validate_their_input_first() -> None:
    """Bad input records nothing, whatever the command."""
    cycle = a_cycle()
    objective = an_objective(cycle)
    version = settled(objective)
    with pytest.raises(InvalidTitleError):
        objective.rename(title="", cycle=cycle, author=AUTHOR)
    with pytest.raises(InvalidWeightError):
        objective.change_weight(weight=0, cycle=cycle, author=AUTHOR)
    with pytest.raises(InvalidValueError):
        # Text where a bool goes, as a careless client sends it: the point of the test.
        objective.set_committed(committed="yes", cycle=cycle, author=AUTHOR)  # type: ignore[arg-type]
    assert_nothing_recorded(objective, version)


def test_edits_record_one_event_each() -> None:
    """Every change is its own past-tense event for the audit trail."""
    cycle = a_cycle()
    objective = an_objective(cycle)
    settled(objective)
    objective.rename(title="Ridurre i costi", cycle=cycle, author=AUTHOR)
    objective.describe(description="Sprechi e fornitori", cycle=cycle, author=AUTHOR)
    objective.change_owner(owner="user-lucia", cycle=cycle, author=AUTHOR)
    objective.change_weight(weight="2.5", cycle=cycle, author=AUTHOR)
    objective.set_committed(committed=True, cycle=cycle, author=AUTHOR)
    objective.set_roll_up_children(roll_up_children=True, cycle=cycle, author=AUTHOR)
    names = [type(e).__name__ for e in objective.collect_events()]
    assert names == [
        "Renamed",
        "Described",
        "OwnerChanged",
        "WeightChanged",
        "CommitmentChanged",
        "RollUpChanged",
    ]
    assert (objective.title, objective.owner, objective.weight) == (
        "Ridurre i costi",
        "user-lucia",
        Decimal("2.5"),
    )
    assert objective.committed and objective.roll_up_children


def test_an_archived_objective_is_restored_with_a_reason() -> None:
    """Nothing brought an archived objective back (an archive by mistake lost it, its key
    results, their check-ins and KPI links for good): Restored, with its reason and author,
    makes it live and editable again."""
    cycle = a_cycle()
    objective = an_objective(cycle)
    objective.archive(reason="archiviato per errore", cycle=cycle, author=AUTHOR)
    version = settled(objective)
    with pytest.raises(ReasonRequiredError) as err:
        objective.restore(reason=" ", cycle=cycle, parent=None, author=AUTHOR)
    assert err.value.field == "reason"
    assert_nothing_recorded(objective, version)

    objective.restore(reason="ancora una priorità", cycle=cycle, parent=None, author=AUTHOR)

    (restored,) = objective.collect_events()
    assert isinstance(restored, Objective.Restored)
    assert (restored.reason, restored.author) == ("ancora una priorità", AUTHOR)
    assert not objective.is_archived
    objective.rename(title="Altro", cycle=cycle, author=AUTHOR)  # editable again


def test_only_an_archived_objective_of_an_open_cycle_under_a_live_parent_is_restored() -> None:
    """A live objective has nothing to restore (not_archived, naming objective_id); a closed
    cycle's scores left it out (cycle_closed, naming cycle_id); under a parent still archived
    it would hang under a retired one (parent_archived, naming parent_id). Nothing recorded."""
    cycle = a_cycle()
    live = an_objective(cycle)
    version = settled(live)
    with pytest.raises(NotArchivedError) as err:
        live.restore(reason="perché", cycle=cycle, parent=None, author=AUTHOR)
    assert (err.value.field, err.value.rule) == ("objective_id", "not_archived")
    assert_nothing_recorded(live, version)

    parent = an_objective(cycle, level="company")
    child = an_objective(cycle, parent=parent)
    child.archive(reason="fuori fuoco", cycle=cycle, author=AUTHOR)
    parent.archive(reason="fuori fuoco", cycle=cycle, author=AUTHOR)
    version = settled(child)
    with pytest.raises(ArchivedError) as archived:
        child.restore(reason="perché", cycle=cycle, parent=parent, author=AUTHOR)
    assert (archived.value.field, archived.value.rule) == ("parent_id", "parent_archived")
    assert_nothing_recorded(child, version)

    cycle.close(key_result_scores={}, objective_scores={}, closed_by=AUTHOR)
    with pytest.raises(CycleClosedError) as closed:
        parent.restore(reason="perché", cycle=cycle, parent=None, author=AUTHOR)
    assert closed.value.field == "cycle_id"
