"""Corrections and target revisions are new events with a reason; originals stay visible."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from domain import KeyResult
from domain.errors import (
    ArchivedError,
    CycleClosedError,
    InvalidValueError,
    ReasonRequiredError,
    StartEqualsTargetError,
    TargetDirectionError,
    UnknownCheckInError,
)
from tests.domain import AUTHOR, a_cycle, a_key_result, assert_nothing_recorded, settled

D = Decimal
JAN_15 = date(2027, 1, 15)


def test_correction_names_the_check_in_and_keeps_the_original() -> None:
    """Check-ins are never edited: the log shows what was said and what it became."""
    cycle = a_cycle()
    kr = a_key_result(cycle)
    check_in_id = kr.record_check_in(
        cycle=cycle, value=D(12), on=JAN_15, author=AUTHOR, confidence=6, note="typo"
    )
    settled(kr)
    kr.correct_check_in(check_in_id=check_in_id, value=D(21), reason="12 was a typo", author="b")
    (corrected,) = kr.collect_events()
    assert isinstance(corrected, KeyResult.CheckInCorrected)
    assert (corrected.check_in_id, corrected.value, corrected.reason) == (
        check_in_id,
        D(21),
        "12 was a typo",
    )
    check_in = kr.check_ins[check_in_id]
    assert (check_in.value, check_in.original_value, check_in.corrected) == (D(21), D(12), True)
    assert (check_in.confidence, check_in.note) == (6, "typo")
    assert kr.progress == D("0.625")


def test_correction_needs_a_known_check_in_and_a_reason() -> None:
    """A correction of nothing, or without a why, would corrupt the audit trail."""
    cycle = a_cycle()
    kr = a_key_result(cycle)
    check_in_id = kr.record_check_in(cycle=cycle, value=D(22), on=JAN_15, author=AUTHOR)
    version = settled(kr)
    with pytest.raises(UnknownCheckInError) as err:
        kr.correct_check_in(check_in_id=uuid4(), value=D(21), reason="r", author=AUTHOR)
    assert err.value.field == "check_in_id"
    with pytest.raises(ReasonRequiredError):
        kr.correct_check_in(check_in_id=check_in_id, value=D(21), reason=" ", author=AUTHOR)
    with pytest.raises(InvalidValueError):
        kr.correct_check_in(check_in_id=check_in_id, value="NaN", reason="r", author=AUTHOR)
    assert_nothing_recorded(kr, version)


def test_corrections_are_allowed_after_close() -> None:
    """Late-found errors are fixed with a reason even when the cycle is graded."""
    cycle = a_cycle()
    kr = a_key_result(cycle)
    check_in_id = kr.record_check_in(cycle=cycle, value=D(22), on=JAN_15, author=AUTHOR)
    cycle.close(key_result_scores={kr.id: D("0.4")}, objective_scores={}, closed_by=AUTHOR)
    kr.correct_check_in(check_in_id=check_in_id, value=D(21), reason="audit", author=AUTHOR)
    assert kr.current_value == D(21)


def test_archived_key_result_takes_no_correction() -> None:
    """Archived means frozen, corrections included."""
    cycle = a_cycle()
    kr = a_key_result(cycle)
    check_in_id = kr.record_check_in(cycle=cycle, value=D(22), on=JAN_15, author=AUTHOR)
    kr.archive(reason="duplicate", cycle=cycle, author=AUTHOR)
    with pytest.raises(ArchivedError):
        kr.correct_check_in(check_in_id=check_in_id, value=D(21), reason="r", author=AUTHOR)


def test_target_revision_keeps_the_original_target_in_history() -> None:
    """A moved goalpost must stay visible: original, each revision, and why."""
    cycle = a_cycle()
    kr = a_key_result(cycle)
    kr.revise_target(cycle=cycle, target=D(20), reason="new tooling delayed", author=AUTHOR)
    kr.revise_target(cycle=cycle, target_percent=D(-25), reason="tooling arrived", author="b")
    assert kr.original_target == D("19.2")
    assert kr.target == D(18)
    assert [(r.target, r.target_relative_percent, r.reason) for r in kr.target_revisions] == [
        (D(20), None, "new tooling delayed"),
        (D(18), D(-25), "tooling arrived"),
    ]


@pytest.mark.parametrize(
    ("revision", "error"),
    [
        ({"target": D(19), "reason": ""}, ReasonRequiredError),
        ({"target": D(24), "reason": "r"}, StartEqualsTargetError),
        ({"target": D(30), "reason": "r"}, TargetDirectionError),
        ({"target": D(19), "target_percent": D(-10), "reason": "r"}, InvalidValueError),
        ({"target": D("1e20"), "reason": "r"}, InvalidValueError),
    ],
)
def test_bad_target_revision_records_nothing(
    revision: dict[str, Any], error: type[Exception]
) -> None:
    """Revisions obey the same rules as creation, plus a required reason."""
    cycle = a_cycle()
    kr = a_key_result(cycle)
    version = settled(kr)
    with pytest.raises(error):
        kr.revise_target(cycle=cycle, author=AUTHOR, **revision)
    assert_nothing_recorded(kr, version)
    assert kr.target == D("19.2")


def test_target_revision_on_a_closed_cycle_is_refused() -> None:
    """Graded targets are locked with the cycle."""
    cycle = a_cycle()
    kr = a_key_result(cycle)
    cycle.close(key_result_scores={}, objective_scores={}, closed_by=AUTHOR)
    version = settled(kr)
    with pytest.raises(CycleClosedError):
        kr.revise_target(cycle=cycle, target=D(20), reason="too late", author=AUTHOR)
    assert_nothing_recorded(kr, version)


def test_milestone_target_cannot_be_revised() -> None:
    """Done is done: a milestone has no target to move."""
    cycle = a_cycle()
    kr = a_key_result(cycle, kind="milestone", start=None, target_percent=None)
    with pytest.raises(InvalidValueError):
        kr.revise_target(cycle=cycle, target=D(2), reason="r", author=AUTHOR)
