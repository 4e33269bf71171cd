"""A cycle planned by mistake is discarded, with a reason; one that ran never is."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from domain import Cycle
from domain.errors import CycleStateError, ReasonRequiredError, UnknownCycleError
from tests.domain import AUTHOR, a_cycle, assert_nothing_recorded, settled


def test_a_planned_cycle_is_discarded_with_its_author_and_reason() -> None:
    """A cycle made by mistake no longer stays in every list for good: discarded, it says
    who and why, and is no cycle for any later command."""
    cycle = a_cycle(state="planning")
    settled(cycle)
    cycle.discard(reason="creato per errore", author=AUTHOR)
    (event,) = cycle.collect_events()
    assert isinstance(event, Cycle.Discarded)
    assert (event.reason, event.author) == ("creato per errore", AUTHOR)
    assert cycle.is_discarded
    later: list[Callable[[], None]] = [
        lambda: cycle.activate(author=AUTHOR),
        lambda: cycle.rename(name="Altro", author=AUTHOR),
        lambda: cycle.reschedule(ends_on=date(2027, 4, 30), author=AUTHOR),
        lambda: cycle.check_open_for(cycle.id),
        lambda: cycle.discard(reason="ancora", author=AUTHOR),
    ]
    for command in later:
        with pytest.raises(UnknownCycleError) as refused:
            command()
        assert refused.value.field == "cycle_id"


@pytest.mark.parametrize("state", ["active", "closed"])
def test_a_cycle_that_ran_is_never_discarded(state: str) -> None:
    """Its key results were checked in or graded: 409 naming state, nothing recorded."""
    cycle = a_cycle(state=state)
    version = settled(cycle)
    with pytest.raises(CycleStateError) as refused:
        cycle.discard(reason="per errore", author=AUTHOR)
    assert (refused.value.field, refused.value.rule) == ("state", "cycle_not_planning")
    assert_nothing_recorded(cycle, version)
    assert not cycle.is_discarded


def test_a_cycle_with_a_live_objective_or_no_reason_is_not_discarded() -> None:
    """Nothing live vanishes unseen: its objectives not archived are named (409
    cycle_not_empty naming cycle_id); a discard says why (reason required)."""
    cycle = a_cycle(state="planning")
    version = settled(cycle)
    with pytest.raises(CycleStateError) as refused:
        cycle.discard(reason="per errore", author=AUTHOR, live_objectives=["Crescere"])
    assert (refused.value.field, refused.value.rule) == ("cycle_id", "cycle_not_empty")
    assert "Crescere" in refused.value.message
    with pytest.raises(ReasonRequiredError) as blank:
        cycle.discard(reason="  ", author=AUTHOR)
    assert blank.value.field == "reason"
    assert_nothing_recorded(cycle, version)
