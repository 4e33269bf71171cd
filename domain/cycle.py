"""The cycle aggregate: a named period that is planned, run, then closed with scores."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import values
from domain.errors import (
    CrossCycleAlignmentError,
    CycleClosedError,
    CycleStateError,
    DuplicateNameError,
    InvalidDateError,
    InvalidValueError,
    UnknownCycleError,
    UnknownScoreItemError,
)
from domain.values import CyclePeriod, CycleState


class Cycle(Aggregate):
    """A period (quarter, year, custom) whose key results are graded when it closes."""

    TOPIC = "okr.Cycle"

    class Created(Aggregate.Created):
        """A cycle was planned."""

        TOPIC = "okr.Cycle.Created"
        name: str
        starts_on: date
        ends_on: date
        period: str

    class Activated(Aggregate.Event):
        """Planning ended; the cycle runs."""

        TOPIC = "okr.Cycle.Activated"
        author: str

        def apply(self, aggregate: Any) -> None:
            """Mark the cycle active."""
            cycle: Cycle = aggregate
            cycle._state = CycleState.ACTIVE.value

    class Closed(Aggregate.Event):
        """The cycle was graded and locked; keys are key result / objective ids as str."""

        TOPIC = "okr.Cycle.Closed"
        key_result_scores: dict[str, Decimal]
        objective_scores: dict[str, Decimal]
        closed_by: str

        def apply(self, aggregate: Any) -> None:
            """Lock the cycle and keep the scores."""
            cycle: Cycle = aggregate
            cycle._state = CycleState.CLOSED.value
            cycle._key_result_scores = dict(self.key_result_scores)
            cycle._objective_scores = dict(self.objective_scores)

    class ScoreAdjusted(Aggregate.Event):
        """A closing score was changed by a person, with a reason."""

        TOPIC = "okr.Cycle.ScoreAdjusted"
        item_id: UUID
        score: Decimal
        reason: str
        author: str

        def apply(self, aggregate: Any) -> None:
            """Replace the score of the key result or objective named."""
            cycle: Cycle = aggregate
            key = str(self.item_id)
            if key in cycle._key_result_scores:
                cycle._key_result_scores[key] = self.score
            else:
                cycle._objective_scores[key] = self.score

    class Renamed(Aggregate.Event):
        """The cycle was given another name, with a reason if one was given."""

        TOPIC = "okr.Cycle.Renamed"
        name: str
        reason: str | None
        author: str

        def apply(self, aggregate: Any) -> None:
            """Keep the new name."""
            cycle: Cycle = aggregate
            cycle._name = self.name

    class Rescheduled(Aggregate.Event):
        """The cycle's days (and so maybe its period) were set right while it was not yet
        closed, with a reason if one was given."""

        TOPIC = "okr.Cycle.Rescheduled"
        starts_on: date
        ends_on: date
        period: str
        reason: str | None
        author: str

        def apply(self, aggregate: Any) -> None:
            """Keep the new days and period."""
            cycle: Cycle = aggregate
            cycle._starts_on = self.starts_on
            cycle._ends_on = self.ends_on
            cycle._period = self.period

    class Discarded(Aggregate.Event):
        """A cycle planned by mistake was discarded, with a reason: it leaves every list,
        the dashboard, the portfolio and the progress; its log, history and audit keep it."""

        TOPIC = "okr.Cycle.Discarded"
        reason: str
        author: str

        def apply(self, aggregate: Any) -> None:
            """Mark the cycle discarded."""
            cycle: Cycle = aggregate
            cycle._discarded = True

    def __init__(self, *, name: str, starts_on: date, ends_on: date, period: str) -> None:
        self._name = name
        self._starts_on = starts_on
        self._ends_on = ends_on
        self._period = period
        self._state = CycleState.PLANNING.value
        self._discarded = False
        self._key_result_scores: dict[str, Decimal] = {}
        self._objective_scores: dict[str, Decimal] = {}

    @classmethod
    def create(
        cls,
        *,
        name: str,
        starts_on: date,
        ends_on: date,
        period: CyclePeriod | str | None = None,
        id: UUID | None = None,  # client-supplied id (the library's keyword)
    ) -> Cycle:
        """Plan a cycle from ``starts_on`` to ``ends_on`` (both inclusive); its period, when
        not named, by its length (CyclePeriod.of)."""
        start = values.business_date(starts_on, "starts_on")
        end = values.business_date(ends_on, "ends_on")
        check_days(start, end)
        return cls._create(
            cls.Created,
            id=id,
            name=values.title(name, "name"),
            starts_on=start,
            ends_on=end,
            period=values.choice(
                CyclePeriod, CyclePeriod.of(start, end) if period is None else period, "period"
            ).value,
        )

    def activate(self, *, author: str) -> None:
        """Start running a planned cycle."""
        self._require_state(CycleState.PLANNING, "activate")
        self.trigger_event(self.Activated, author=values.principal(author, "author"))

    def close(
        self,
        *,
        key_result_scores: Mapping[UUID, Decimal],
        objective_scores: Mapping[UUID, Decimal],
        closed_by: str,
    ) -> None:
        """Grade and lock an active cycle (scores in [0, 1], see progress.key_result_score)."""
        self._require_state(CycleState.ACTIVE, "close")
        self.trigger_event(
            self.Closed,
            key_result_scores=_scores(key_result_scores, "key_result_scores"),
            objective_scores=_scores(objective_scores, "objective_scores"),
            closed_by=values.principal(closed_by, "closed_by"),
        )

    def adjust_score(self, *, item_id: UUID, score: Decimal, reason: str, author: str) -> None:
        """Change the closing score of one key result or objective, with a reason (to the
        score it has: refused, as thresholds moved to where they stand)."""
        self._require_state(CycleState.CLOSED, "adjust a score of")
        key = str(item_id)
        current = self._key_result_scores.get(key, self._objective_scores.get(key))
        if current is None:
            raise UnknownScoreItemError(f"{item_id} was not scored", field="item_id")
        new = values.score(score)
        if new == current:
            raise InvalidValueError(
                f"the score is {new} already: an adjustment changes it",
                field="score",
                rule="unchanged",
            )
        self.trigger_event(
            self.ScoreAdjusted,
            item_id=item_id,
            score=new,
            reason=values.reason(reason),
            author=values.principal(author, "author"),
        )

    def rename(self, *, name: str, author: str, reason: str | None = None) -> None:
        """Give the cycle another name, in any state: a closed cycle stays in the cycle
        picker, the history and the portfolio, so a typo in its name, or a name it shares
        with another cycle from before names were its own, is set right there too (closing
        locks its scores, not what it is called). Whether another cycle of the tenant has
        the name is check_name_free's, which knows the others."""
        self._check_not_discarded()
        new = values.title(name, "name")
        if new == self._name:
            raise InvalidValueError(
                f"the cycle is named {new!r} already", field="name", rule="unchanged"
            )
        self.trigger_event(
            self.Renamed,
            name=new,
            reason=values.optional_reason(reason),
            author=values.principal(author, "author"),
        )

    def reschedule(
        self,
        *,
        author: str,
        starts_on: date | None = None,
        ends_on: date | None = None,
        period: CyclePeriod | str | None = None,
        reason: str | None = None,
    ) -> None:
        """Set right the days of a cycle in planning or active (None: the day it has), as
        they are checked when it is planned: its period, when not named, by its new length
        (CyclePeriod.of). A closed cycle's days are locked: its key results were graded on
        them. The key results due on its end follow it (key_result.follow_reschedule)."""
        self._check_not_discarded()
        given = [n for n, v in (("starts_on", starts_on), ("ends_on", ends_on),
                                ("period", period)) if v is not None]  # fmt: skip
        if not given:
            raise InvalidValueError(
                "give starts_on, ends_on or period", field="starts_on", rule="required"
            )
        if self.is_closed:
            raise CycleClosedError(
                f"cycle {self.name!r} is closed: its days are locked", field=given[0]
            )
        start = (
            self._starts_on if starts_on is None else values.business_date(starts_on, "starts_on")
        )
        end = self._ends_on if ends_on is None else values.business_date(ends_on, "ends_on")
        if end < start:
            raise InvalidDateError(
                "a cycle cannot end before it starts",
                field="ends_on" if ends_on is not None else "starts_on",
            )
        new_period = values.choice(
            CyclePeriod, CyclePeriod.of(start, end) if period is None else period, "period"
        ).value
        if (start, end, new_period) == (self._starts_on, self._ends_on, self._period):
            raise InvalidValueError(
                f"the cycle runs from {start} to {end} ({new_period}) already",
                field=given[0],
                rule="unchanged",
            )
        self.trigger_event(
            self.Rescheduled,
            starts_on=start,
            ends_on=end,
            period=new_period,
            reason=values.optional_reason(reason),
            author=values.principal(author, "author"),
        )

    def discard(self, *, reason: str, author: str, live_objectives: Sequence[str] = ()) -> None:
        """Discard a cycle planned by mistake, with a reason: only in planning (an active or
        closed one has run, 409), and only with no objective but archived ones
        (`live_objectives`: the titles of the others, which the caller knows; 409
        cycle_not_empty naming cycle_id): nothing of it is left live to vanish unseen."""
        self._require_state(CycleState.PLANNING, "discard")
        if live_objectives:
            titles = ", ".join(repr(t) for t in live_objectives[:5])
            raise CycleStateError(
                f"cycle {self.name!r} has {len(live_objectives)} objective(s) not archived"
                f" ({titles}): archive them first",
                field="cycle_id",
                rule="cycle_not_empty",
            )
        self.trigger_event(
            self.Discarded,
            reason=values.reason(reason),
            author=values.principal(author, "author"),
        )

    def _require_state(self, expected: CycleState, action: str) -> None:
        self._check_not_discarded()
        if self.state is not expected:
            raise CycleStateError(
                f"cannot {action} {_a(self.state.value)} cycle",
                field="state",
                rule=f"cycle_not_{expected.value}",
            )

    def check_open_for(self, cycle_id: UUID) -> None:
        """Raise unless this is the cycle ``cycle_id`` and it is not closed (edits allowed)."""
        self.check_is(cycle_id)
        self._check_not_discarded()
        if self.is_closed:
            raise CycleClosedError(f"cycle {self.name!r} is closed", field="cycle_id")

    def _check_not_discarded(self) -> None:
        if self._discarded:
            raise UnknownCycleError(f"cycle {self.name!r} was discarded", field="cycle_id")

    def check_is(self, cycle_id: UUID) -> None:
        """Raise CrossCycleAlignmentError unless this cycle is ``cycle_id``."""
        if self.id != cycle_id:
            raise CrossCycleAlignmentError(
                "the item belongs to another cycle", field="cycle_id", rule="cycle_mismatch"
            )

    @property
    def name(self) -> str:
        """Display name, e.g. "Q1 2027"."""
        return self._name

    @property
    def starts_on(self) -> date:
        """First day of the cycle."""
        return self._starts_on

    @property
    def ends_on(self) -> date:
        """Last day of the cycle (default due date of its key results)."""
        return self._ends_on

    @property
    def period(self) -> CyclePeriod:
        """Quarter, year or custom."""
        return CyclePeriod(self._period)

    @property
    def state(self) -> CycleState:
        """planning, active or closed."""
        return CycleState(self._state)

    @property
    def is_discarded(self) -> bool:
        """True once discarded (planned by mistake): as if it never was, but in its log."""
        return self._discarded

    @property
    def is_closed(self) -> bool:
        """True once the cycle has been graded and locked."""
        return self.state is CycleState.CLOSED

    @property
    def key_result_scores(self) -> dict[UUID, Decimal]:
        """Current (possibly adjusted) closing score of each key result."""
        return {UUID(k): v for k, v in self._key_result_scores.items()}

    @property
    def objective_scores(self) -> dict[UUID, Decimal]:
        """Current (possibly adjusted) closing score of each objective."""
        return {UUID(k): v for k, v in self._objective_scores.items()}

    @property
    def scores(self) -> dict[UUID, Decimal]:
        """All current closing scores, key results and objectives together."""
        return self.key_result_scores | self.objective_scores


def check_days(starts_on: date, ends_on: date) -> None:
    """Refuse a cycle that ends before it starts."""
    if ends_on < starts_on:
        raise InvalidDateError("a cycle cannot end before it starts", field="ends_on")


def name_key(name: str) -> str:
    """What two cycle names are told apart by: not their case, nor their spaces (trimmed,
    runs of them as one, as a page shows them), nor how their characters are encoded: "Q1
    2027" and " q1  2027" are one name in a cycle picker."""
    return " ".join(unicodedata.normalize("NFKC", name).split()).casefold()


def check_name_free(name: str, others: Iterable[str]) -> None:
    """Refuse a cycle name that another cycle of the tenant has (`others`: their names,
    closed cycles' too: they stay in the picker, the history and `okr --cycle`), as
    name_key compares them."""
    key = name_key(name)
    taken = next((other for other in others if name_key(other) == key), None)
    if taken is not None:
        raise DuplicateNameError(
            f"another cycle is named {taken!r}: give this one another name", field="name"
        )


def _scores(scores: Mapping[UUID, Decimal], field: str) -> dict[str, Decimal]:
    return {_item_key(item_id, field): values.score(v, field) for item_id, v in scores.items()}


def _item_key(item_id: object, field: str) -> str:
    if not isinstance(item_id, UUID):
        raise InvalidValueError(f"{field} must be keyed by UUID", field=field, rule="wrong_type")
    return str(item_id)


def _a(word: str) -> str:
    """The word with its article: "a planned", "an active"."""
    return ("an " if word[:1] in "aeiou" else "a ") + word
