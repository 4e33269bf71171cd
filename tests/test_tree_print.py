"""The progress tree as the terminal shows it (`okr progress`, `okr demo`)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from projections.progress import progress_tree
from services.tree_print import render, score
from tests.projections.builders import Log, fold_all, seed_efficiency

D = Decimal


def test_scores_show_to_two_places_with_their_band() -> None:
    """Rounding only at display (GLOSSARY): half up, as people round."""
    assert score(D(2) / D(3), "amber") == "0.67 amber"
    assert score(D("0.625"), None) == "0.63"
    assert score(D("0.375"), "red") == "0.38 red"
    assert score(None, None) == ""


def test_a_closed_cycle_shows_every_items_score_and_band() -> None:
    """The cycle's score in its header, each objective's and key result's in a column."""
    log = Log()
    cycle, goal, response, milestone, costs = seed_efficiency(log)
    cycle.close(
        key_result_scores={kr.id: kr.score for kr in (response, milestone, costs)},
        objective_scores={goal.id: D("0.375")},
        closed_by="alice",
    )
    log.save(cycle)
    text = render(progress_tree(fold_all(log.records), today=date(2027, 4, 2)), "Acme")
    header, *rest = text.splitlines()
    assert header == f"Acme — 2027-04-02 (log position {len(log.records)})"
    assert any(line.endswith("score 0.38 red") for line in rest), text
    scored = [line for line in rest if line.rstrip().endswith(("amber", "red", "green"))]
    assert len(scored) == 5, text  # the cycle, its objective, its three key results
    assert sum(line.endswith("0.63 amber") for line in rest) == 1, text


def test_an_as_of_before_anything_says_so() -> None:
    """The instant asked for in the header, and a line for a tree with nothing in it."""
    empty = progress_tree(fold_all([]), today=date(2020, 1, 1))
    at = datetime(2020, 1, 1, 23, 59, tzinfo=UTC)
    assert render(empty, "Acme", at).splitlines() == [
        "Acme — 2020-01-01 (as known at 2020-01-01T23:59:00+00:00, log position 0)",
        "nothing recorded yet",
    ]
