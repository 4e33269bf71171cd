"""A closed cycle's scores on the dashboard: how each was changed since the close (from what,
by whom, when, why), and the form that changes one, as typed and why it failed.

A score is typed as the portal shows it, from 0 to 1 in the reader's way ("0,7"), or as a
percentage ("70 %"): what a reader sees on the chip is what they may type back.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

import asyncpg

from domain import values
from domain.errors import DomainError
from projections.history import HistoryLine
from projections.progress_state import CycleView, ProgressView
from projections.progress_tree import CycleNode
from services.portal.controllers.key_results import domain_message
from services.portal.planning import Planned
from services.read import history

SCORE_FIELDS = ("score", "reason", "was")
"""The score form's fields: the new score, why, and the score it showed (hidden: a change
made meanwhile is said, not overwritten)."""
ADJUSTED = "cycle.score_adjusted"


@dataclass(frozen=True)
class Scored:
    """A key result or an objective: its cycle, its score (none before the close, or when
    it had nothing to score), whether it is archived."""

    cycle: CycleView
    score: Decimal | None
    archived: bool

    @property
    def adjustable(self) -> bool:
        return self.cycle.is_closed and self.score is not None and not self.archived


def scored(state: ProgressView, item_id: UUID) -> Scored | None:
    """A key result's or an objective's score; None if the tenant has no item of that id."""
    item = state.key_results.get(item_id) or state.objectives.get(item_id)
    cycle = None if item is None else state.cycles.get(item.cycle_id)
    if item is None or cycle is None:
        return None
    score = cycle.key_result_scores.get(item_id, cycle.objective_scores.get(item_id))
    return Scored(cycle, score, item.archived)


class ScoreForm(Planned):
    """The form that changes a closing score (`at`: the item's id), as typed."""

    def shown_in(self, state: ProgressView) -> bool:
        """The dashboard offers it on a scored item, not archived, of a closed cycle."""
        found = scored(state, UUID(self.at))
        return found is not None and found.adjustable

    def score(self) -> Decimal | None:
        """The score typed, from 0 to 1, or a percentage; None (said) if it is not one."""
        number = self.number("score")
        if number is None:  # (no number: said as a score, not "for example 4,5", no score)
            if self.errors.get("score") == self.locale.t("check_in.value_invalid"):
                self.errors["score"] = self.locale.t("score.out_of_range")
            return None
        typed = self.typed["score"]
        percent = typed.endswith("%")
        if typed.count("%") > percent:  # "70 %%", "7%0": not a score as a person types one
            self.errors["score"] = self.locale.t("score.out_of_range")
            return None
        if percent:
            number /= 100
        try:
            return values.score(number)
        except DomainError:
            self.errors["score"] = self.locale.t("score.out_of_range")
            return None

    def reason(self) -> str:
        """The reason, checked as the log checks it (said beside the field, with the rest)."""
        if not self.typed["reason"]:
            self.errors["reason"] = self.locale.t("error.reason_required")
            return ""
        try:
            return values.reason(self.typed["reason"])
        except DomainError as error:
            self.errors["reason"] = domain_message(self.locale, error)
            return ""

    def check(self, item: Scored, score: Decimal | None) -> None:
        """Refused where the item takes no new score (the cycle not closed, the item
        archived or never scored: said for the whole form); beside the score when it changed
        since the form showed it (another person's change came first, and is shown), or
        would not change."""
        current = item.score
        if not item.cycle.is_closed:
            self.errors["form"] = self.locale.t("score.not_closed", name=item.cycle.name)
        elif item.archived:
            self.errors["form"] = self.locale.t("score.archived")
        if current is None or "form" in self.errors:
            self.errors.setdefault("form", self.locale.t("score.not_scored"))
            return
        shown = self.shown("was")
        said = self.locale.score(current)
        if shown != current:
            self.errors["score"] = self.locale.t("score.changed_meanwhile", now=said)
        elif score == current:
            self.errors["score"] = self.locale.t("score.unchanged", now=said)


async def score_changes(
    pool: asyncpg.Pool, tenant_id: UUID, state: ProgressView, shown: CycleNode | None
) -> dict[UUID, list[HistoryLine]]:
    """The score changes of the cycle shown, if closed, by item, newest first."""
    cycle = None if shown is None else state.cycles.get(shown.cycle_id)
    if cycle is None or not cycle.is_closed:
        return {}
    items = cycle.key_result_scores.keys() | cycle.objective_scores.keys()
    changes: dict[UUID, list[HistoryLine]] = {}
    before: int | None = None
    while True:  # every page: a cycle closed long ago is under many later changes
        lines = await history(
            pool, tenant_id, kind=ADJUSTED, before_position=before, limit=_CHANGES_PAGE
        )
        for line in lines:
            if line.item_id in items:
                changes.setdefault(line.item_id, []).append(line)
        if len(lines) < _CHANGES_PAGE:
            return changes
        before = lines[-1].position


_CHANGES_PAGE = 1000
