"""Cycle life: planning -> active -> closed with scores, adjustable only with a reason."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest

from domain import Cycle, CycleState
from domain.cycle import check_name_free, name_key
from domain.errors import (
    CycleStateError,
    DuplicateNameError,
    InvalidDateError,
    InvalidTitleError,
    InvalidValueError,
    ReasonRequiredError,
    UnknownScoreItemError,
)
from tests.domain import AUTHOR, Q1_END, Q1_START, a_cycle, assert_nothing_recorded, settled


def test_cycle_runs_from_planning_to_active_to_closed() -> None:
    """The three states are the only life a cycle has."""
    cycle = a_cycle(state="planning")
    seen = [cycle.state]
    cycle.activate(author=AUTHOR)
    seen.append(cycle.state)
    cycle.close(key_result_scores={}, objective_scores={}, closed_by=AUTHOR)
    seen.append(cycle.state)
    assert seen == [CycleState.PLANNING, CycleState.ACTIVE, CycleState.CLOSED]
    assert cycle.is_closed
    names = [type(e).__name__ for e in cycle.collect_events()]
    assert names == ["Created", "Activated", "Closed"]


def test_client_supplied_id_is_kept() -> None:
    """Ids come from the client so retries and Citus routing are deterministic."""
    cycle_id = uuid4()
    assert a_cycle(id=cycle_id).id == cycle_id


def test_cycle_cannot_end_before_it_starts() -> None:
    """A negative window would make every pace computation meaningless."""
    with pytest.raises(InvalidDateError) as err:
        Cycle.create(name="Q1", starts_on=date(2027, 3, 31), ends_on=date(2027, 1, 1))
    assert err.value.field == "ends_on"


def test_cycle_needs_a_name_and_a_known_period() -> None:
    """Names are shown everywhere; periods drive the calendar."""
    with pytest.raises(InvalidTitleError):
        Cycle.create(name=" ", starts_on=Q1_START, ends_on=Q1_END)
    with pytest.raises(InvalidValueError) as err:
        Cycle.create(name="Q1", starts_on=Q1_START, ends_on=Q1_END, period="fortnight")
    assert err.value.field == "period"


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "period"),
    [
        (date(2027, 1, 1), date(2027, 3, 31), "quarter"),  # 90 days
        (date(2027, 7, 1), date(2027, 9, 30), "quarter"),  # 92
        (date(2026, 7, 1), date(2027, 6, 30), "year"),  # a fiscal year, July to June
        (date(2028, 1, 1), date(2028, 12, 31), "year"),  # 366
        (date(2027, 1, 1), date(2027, 6, 30), "custom"),  # a half year
        (date(2027, 1, 1), date(2027, 1, 31), "custom"),
    ],
)
def test_a_period_not_named_is_the_cycle_s_length(
    starts_on: date, ends_on: date, period: str
) -> None:
    """A year-long cycle made without a period was labelled a quarter."""
    cycle = Cycle.create(name="C", starts_on=starts_on, ends_on=ends_on)
    assert cycle.period == period
    named = Cycle.create(name="C", starts_on=starts_on, ends_on=ends_on, period="custom")
    assert named.period == "custom"  # as named, whatever its length


@pytest.mark.parametrize(
    ("state", "command"),
    [
        ("active", "activate"),
        ("closed", "activate"),
        ("planning", "close"),
        ("closed", "close"),
    ],
)
def test_bad_transitions_are_refused_and_record_nothing(state: str, command: str) -> None:
    """There is no reopening and no skipping: a closed cycle stays graded."""
    cycle = a_cycle(state=state)
    version = settled(cycle)
    with pytest.raises(CycleStateError):
        if command == "activate":
            cycle.activate(author=AUTHOR)
        else:
            cycle.close(key_result_scores={}, objective_scores={}, closed_by=AUTHOR)
    assert_nothing_recorded(cycle, version)


def test_closing_keeps_the_scores_and_rejects_impossible_ones() -> None:
    """Scores are in [0, 1]; 1.25 at close would be an over-achievement leaking through."""
    kr, objective = uuid4(), uuid4()
    cycle = a_cycle()
    version = settled(cycle)
    with pytest.raises(InvalidValueError):
        cycle.close(key_result_scores={kr: Decimal("1.25")}, objective_scores={}, closed_by="x")
    assert_nothing_recorded(cycle, version)
    cycle.close(
        key_result_scores={kr: Decimal(2) / Decimal(3)},
        objective_scores={objective: Decimal("0.5")},
        closed_by=AUTHOR,
    )
    assert cycle.scores == {kr: Decimal(2) / Decimal(3), objective: Decimal("0.5")}


def test_score_adjustment_needs_a_reason_and_keeps_the_original_in_history() -> None:
    """Grading is a judgement; changing it leaves a why and the old score in the log."""
    kr = uuid4()
    cycle = a_cycle()
    cycle.close(key_result_scores={kr: Decimal("0.4")}, objective_scores={}, closed_by=AUTHOR)
    version = settled(cycle)
    with pytest.raises(ReasonRequiredError):
        cycle.adjust_score(item_id=kr, score=Decimal("0.7"), reason="", author=AUTHOR)
    assert_nothing_recorded(cycle, version)
    cycle.adjust_score(item_id=kr, score=Decimal("0.7"), reason="data arrived late", author="b")
    (adjusted,) = cycle.collect_events()
    assert isinstance(adjusted, Cycle.ScoreAdjusted)
    assert cycle.key_result_scores[kr] == Decimal("0.7")


def test_only_scored_items_of_a_closed_cycle_can_be_adjusted() -> None:
    """An adjustment before close or on an unknown item is a mistake, not a new score."""
    open_cycle = a_cycle()
    with pytest.raises(CycleStateError):
        open_cycle.adjust_score(item_id=uuid4(), score=Decimal(1), reason="r", author=AUTHOR)
    closed = a_cycle(state="closed")
    version = settled(closed)
    with pytest.raises(UnknownScoreItemError):
        closed.adjust_score(item_id=uuid4(), score=Decimal(1), reason="r", author=AUTHOR)
    assert_nothing_recorded(closed, version)


def test_a_refused_change_of_state_reads_as_english() -> None:
    """Activating an active cycle said "cannot activate a active cycle"."""
    cycle = a_cycle()  # active
    with pytest.raises(CycleStateError) as refused:
        cycle.activate(author=AUTHOR)
    assert str(refused.value.message) == "cannot activate an active cycle"


@pytest.mark.parametrize(
    "name", ["Q1 2027", " q1 2027 ", "Q1  2027", "Q1\u00a02027", "\uff511 2027"]
)
def test_a_cycle_name_another_cycle_has_is_refused_whatever_its_case_and_spaces(
    name: str,
) -> None:
    """A picker shows " q1  2027" as "Q1 2027" says it, nearly: a reader cannot tell them
    apart, so neither may the rule."""
    with pytest.raises(DuplicateNameError) as refused:
        check_name_free(name, ["FY 2027", "Q1 2027"])
    assert refused.value.field == "name"
    assert refused.value.rule == "duplicate_name"


def test_a_cycle_name_no_other_cycle_has_passes() -> None:
    """Names alike but not the same are different cycles ("Q1 2027" and "Q1 2028")."""
    check_name_free("Q1 2027", ["Q1 2028", "Q1 2027 bis", "FY 2027"])
    check_name_free("Q1 2027", [])
    assert name_key(" Q1\t2027 ") == name_key("q1 2027")


@pytest.mark.parametrize("state", ["planning", "active", "closed"])
def test_a_cycle_is_renamed_in_any_state_with_its_author_and_reason(state: str) -> None:
    """A typo, or a name two cycles shared before names were their own, had no fix; a
    closed cycle stays in the picker and the history, so its name may be set right too
    (closing locked its scores, not its name)."""
    cycle = a_cycle(state=state)
    settled(cycle)
    cycle.rename(name="  Q1 2027 (Milano) ", reason="two offices", author=AUTHOR)
    cycle.rename(name="Q1 2027 Milano", author=AUTHOR)
    first, second = cycle.collect_events()
    assert isinstance(first, Cycle.Renamed) and isinstance(second, Cycle.Renamed)
    assert (first.name, first.reason, first.author) == ("Q1 2027 (Milano)", "two offices", AUTHOR)
    assert (second.name, second.reason) == ("Q1 2027 Milano", None)
    assert cycle.name == "Q1 2027 Milano"
    assert cycle.state == state


@pytest.mark.parametrize(
    ("name", "reason", "field", "rule"),
    [
        ("  ", None, "name", "empty"),
        ("Q" * 201, None, "name", "too_long"),
        ("Q1\x002027", None, "name", "control_character"),
        (" Q1 2027 ", None, "name", "unchanged"),
        ("Q1 2027 bis", "", "reason", "empty"),
        ("Q1 2027 bis", "r" * 1001, "reason", "too_long"),
    ],
)
def test_a_bad_rename_names_its_field_and_records_nothing(
    name: str, reason: str | None, field: str, rule: str
) -> None:
    """A blank, too long or unchanged name, or a reason given empty, is refused beside the
    field at fault; the cycle keeps its name."""
    cycle = a_cycle()
    version = settled(cycle)
    with pytest.raises((InvalidTitleError, InvalidValueError)) as refused:
        cycle.rename(name=name, reason=reason, author=AUTHOR)
    assert (refused.value.field, refused.value.rule) == (field, rule)
    assert_nothing_recorded(cycle, version)
    assert cycle.name == "Q1 2027"


def test_a_rename_that_changes_only_the_case_is_a_rename() -> None:
    """ "q1 2027" set right as "Q1 2027" is a change a reader sees: the cycle's own name is
    not another cycle's (check_name_free leaves it out), nor unchanged."""
    cycle = a_cycle(name="q1 2027")
    cycle.rename(name="Q1 2027", author=AUTHOR)
    assert cycle.name == "Q1 2027"


def test_a_score_adjusted_to_the_one_it_has_is_refused() -> None:
    """An adjustment to the score the item has (0.40 for 0.4) changes nothing: refused
    naming score, as thresholds moved to where they stand, and nothing is recorded."""
    kr = uuid4()
    cycle = a_cycle()
    cycle.close(key_result_scores={kr: Decimal("0.4")}, objective_scores={}, closed_by=AUTHOR)
    version = settled(cycle)
    with pytest.raises(InvalidValueError) as refused:
        cycle.adjust_score(item_id=kr, score=Decimal("0.40"), reason="ricontato", author=AUTHOR)
    assert (refused.value.field, refused.value.rule) == ("score", "unchanged")
    assert_nothing_recorded(cycle, version)
