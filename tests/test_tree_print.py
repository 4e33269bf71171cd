"""The progress tree as the terminal shows it (`okr progress`, `okr demo`)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from domain.values import unit
from projections.progress import progress_tree
from services.tree_print import counted, render, score
from tests.projections.builders import Log, check_in, fold_all, key_result, seed_efficiency

D = Decimal


def test_scores_show_to_two_places_with_their_band() -> None:
    """Rounding only at display (GLOSSARY), down, so that the number shown is never one of
    a better band than the score's own: 0.695 is amber, and shows 0.69, not 0.70."""
    assert score(D(2) / D(3), "amber") == "0.66 amber"
    assert score(D("0.695"), "amber") == "0.69 amber"
    assert score(D("0.7"), "green") == "0.70 green"
    assert score(D("0.399"), "red") == "0.39 red"
    assert score(D(1), "green") == "1.00 green"
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
    assert any(line.endswith("score 0.37 red") for line in rest), text
    scored = [line for line in rest if line.rstrip().endswith(("amber", "red", "green"))]
    assert len(scored) == 5, text  # the cycle, its objective, its three key results
    assert sum(line.endswith("0.62 amber") for line in rest) == 1, text


def test_a_beaten_target_shows_its_progress_whole_and_the_over_achievement_apart() -> None:
    """GLOSSARY: display clamp(p) and show over-achievement separately. 24 h → 19.2 h at
    18 h is 100 % (+25 % over): the table said 100.0 % and nothing of the 25 % past it,
    which the API's over_achievement and the portal's "+25 % over target" and okr diff say."""
    log = Log()
    cycle, _, response, *_ = seed_efficiency(log)
    check_in(log, cycle, response, "18", date(2027, 2, 16))

    text = render(progress_tree(fold_all(log.records), today=date(2027, 2, 16)), "Acme")

    (line,) = [line for line in text.splitlines() if "Ridurre il tempo" in line]
    assert "  100.0 % " in line and line.endswith(" done  (+25.0 % over)"), line
    assert not any(line.endswith("over") for line in text.splitlines() if "costi" in line)


def test_an_as_of_before_anything_says_so() -> None:
    """The instant asked for in the header, and a line for a tree with nothing in it."""
    empty = progress_tree(fold_all([]), today=date(2020, 1, 1))
    at = datetime(2020, 1, 1, 23, 59, tzinfo=UTC)
    assert render(empty, "Acme", at).splitlines() == [
        "Acme — 2020-01-01 (as known at 2020-01-01T23:59:00+00:00, log position 0)",
        "nothing recorded yet",
    ]


def test_percentages_round_half_up_as_the_portal_does() -> None:
    """0.3125 is 31.3 % in the terminal as on the page (half-even said 31.2 %)."""
    from services.i18n import Locale
    from services.tree_print import percent

    assert percent(D("0.3125")) == "31.3 %"
    assert Locale("en").percent(D("0.3125")) == "31.3%"
    assert percent(D("0.625")) == "62.5 %"
    assert percent(D("-0.41665")) == "-41.7 %"
    assert percent(None) == "—"


def test_a_progress_not_reached_never_shows_100_percent() -> None:
    """A key result at 0.9996 of its way read "100.0 %" in the table beside one done: under
    1 it reads 99.9 %, in the tree as in okr diff's words (both through percent)."""
    from services.tree_print import percent

    log = Log()
    cycle, _, response, *_ = seed_efficiency(log)
    check_in(log, cycle, response, "19.2024", date(2027, 2, 16))  # (24 - 19.2024) / 4.8

    text = render(progress_tree(fold_all(log.records), today=date(2027, 2, 16)), "Acme")

    (line,) = [line for line in text.splitlines() if "Ridurre il tempo" in line]
    assert "  99.9 % " in line and "100.0 %" not in line, line
    assert percent(D("0.99999")) == "99.9 %"
    assert percent(D(1)) == "100.0 %"


def test_a_tree_of_read_models_behind_the_log_says_so() -> None:
    """With no projector running, the read models lag the log: the header says by how much,
    where it showed an older tree as the current one."""
    log = Log()
    seed_efficiency(log)
    tree = progress_tree(fold_all(log.records), today=date(2027, 2, 15))
    behind = render(tree, "Esempio", head=tree.position + 2)
    assert f"the read models stand at position {tree.position}, the log at" in behind
    assert "the tree lacks the latest 2 events" in behind
    assert "NOTE" not in render(tree, "Esempio", head=tree.position)


def test_a_count_is_said_in_the_singular_for_one() -> None:
    """The CLI said "chain intact: 1 events", "1 change(s) between…", "verify: 1 differing
    row(s)"."""
    assert [counted(n, "event") for n in (0, 1, 2)] == ["0 events", "1 event", "2 events"]


def test_money_is_grouped_as_every_other_number_of_the_table_is_written() -> None:
    """The table writes numbers the English way (19.2 h, 62.5 %, 0.62 amber): an amount
    grouped with points, "EUR 1.140.000" beside "4.3", read as a bit over one euro, and
    one with cents was not grouped at all; both are grouped by commas now."""
    log = Log()
    cycle, goal, *_ = seed_efficiency(log)
    for title, start, target, value in [
        ("Fatturato", 1000000, "1200000", "1140000"),
        ("Valore medio del contratto", 18000, "20700", "19350.50"),
    ]:
        money = key_result(
            log, cycle, goal, title, kind="increase", start=start, target=D(target),
            unit=unit("currency", "EUR"),
        )  # fmt: skip
        check_in(log, cycle, money, value, date(2027, 2, 15))

    text = render(progress_tree(fold_all(log.records), today=date(2027, 2, 16)), "Acme")

    (revenue,) = [line for line in text.splitlines() if "Fatturato" in line]
    (contract,) = [line for line in text.splitlines() if "contratto" in line]
    assert " EUR 1,140,000 " in revenue, revenue
    assert " EUR 19,350.5 " in contract, contract
