"""Errors the domain raises when a command or a value breaks a rule.

Every error names the input ``field`` at fault (when there is one) and a short
machine-readable ``rule`` slug, so the API can turn it into problem+json in one place.
Concurrency conflicts are not here: the event store owns them.
"""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    """A domain rule was broken; nothing was recorded."""

    default_rule: ClassVar[str] = "domain_rule"

    def __init__(self, message: str, *, field: str | None = None, rule: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.rule = rule or self.default_rule

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, field={self.field!r}, rule={self.rule!r})"


class InvalidValueError(DomainError):
    """A value is not a finite, sane number (or has the wrong type)."""

    default_rule = "invalid_value"


class InvalidTitleError(DomainError):
    """A title, name, note or reason is empty or too long."""

    default_rule = "invalid_text"


class ConfidenceRangeError(DomainError):
    """Confidence is not an integer from 0 to 10."""

    default_rule = "confidence_out_of_range"


class StartEqualsTargetError(DomainError):
    """An increase/decrease key result would start where it ends (use a guardrail)."""

    default_rule = "start_equals_target"


class TargetDirectionError(DomainError):
    """The target points the wrong way for the kind (increase needs t > s, decrease t < s)."""

    default_rule = "target_direction"


class InvalidUnitError(DomainError):
    """Unknown unit kind, a currency that is not ISO 4217, or a missing text label."""

    default_rule = "invalid_unit"


class InvalidWeightError(DomainError):
    """A weight outside 0 < w <= 1000."""

    default_rule = "weight_out_of_range"


class InvalidDateError(DomainError):
    """A date outside its allowed window (due date, cycle bounds, check-in date)."""

    default_rule = "date_out_of_range"


class CycleClosedError(DomainError):
    """The cycle is closed: only corrections with a reason are accepted."""

    default_rule = "cycle_closed"


class CycleStateError(DomainError):
    """A cycle state transition that is not planning -> active -> closed."""

    default_rule = "cycle_state"


class UnknownCycleError(DomainError):
    """A cycle id that is not known where it was named."""

    default_rule = "unknown_cycle"


class UnknownKpiError(DomainError):
    """A KPI id that is not known where it was named."""

    default_rule = "unknown_kpi"


class UnknownKeyResultError(DomainError):
    """A key result id that is not known where it was named."""

    default_rule = "unknown_key_result"


class UnknownCheckInError(DomainError):
    """A correction names a check-in the key result never recorded."""

    default_rule = "unknown_check_in"


class UnknownMeasurementError(DomainError):
    """A correction names a measurement the KPI never recorded."""

    default_rule = "unknown_measurement"


class DuplicateIdError(DomainError):
    """A check-in or measurement id that was already used on this stream."""

    default_rule = "duplicate_id"


class DuplicateNameError(DomainError):
    """A name another item of its kind has already in the tenant (two cycles "Q1 2027")."""

    default_rule = "duplicate_name"


class UnknownObjectiveError(DomainError):
    """An objective id that is not known where it was named."""

    default_rule = "unknown_objective"


class UnknownScoreItemError(DomainError):
    """A score adjustment names an item that was not scored when the cycle closed."""

    default_rule = "unknown_score_item"


class ReparentLoopError(DomainError):
    """Re-parenting would make an objective its own ancestor."""

    default_rule = "reparent_loop"


class CrossCycleAlignmentError(DomainError):
    """Two items of different cycles were put together (alignment, KR, command)."""

    default_rule = "cross_cycle"


class ReasonRequiredError(DomainError):
    """A correction, revision or adjustment came without a reason."""

    default_rule = "reason_required"


class ArchivedError(DomainError):
    """The objective, key result or KPI is archived and cannot change."""

    default_rule = "archived"


class NotArchivedError(DomainError):
    """A restore of an item that is not archived (it is live already)."""

    default_rule = "not_archived"


class FedAgainstError(DomainError):
    """A KPI and a key result it feeds going opposite ways (a KPI turned under the key
    results it feeds, or a key result linked against its KPI's direction): the key result
    would aim to make the KPI worse. `key_results`: the titles of those a turn would (for a
    reader to know which to unlink, in any language)."""

    default_rule = "feeds_key_results"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        rule: str | None = None,
        key_results: tuple[str, ...] = (),
    ):
        super().__init__(message, field=field, rule=rule)
        self.key_results = key_results


class ThresholdError(DomainError):
    """KPI thresholds in the wrong order for its direction."""

    default_rule = "threshold_order"


class DueOutsideError(DomainError):
    """A cycle's new days would leave key results due outside it (a due date someone set,
    not the cycle's end, which follows it): those due dates are moved first."""

    default_rule = "key_results_due_outside"
