"""Words and numbers in the reader's language: GLOSSARY's examples, written by hand with
Decimal, both ways."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import NamedTuple
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec
import pytest

from services.catalog import MESSAGES
from services.i18n import Locale, negotiate

IT, EN = Locale("it"), Locale("en")
NB = "\u00a0"


class Unit(NamedTuple):
    unit_kind: str
    currency: str | None = None
    unit_label: str | None = None


def test_every_message_speaks_both_languages() -> None:
    """A key missing in one language would show English words to an Italian reader."""
    assert all(set(texts) == {"it", "en"} for texts in MESSAGES.values())


@pytest.mark.parametrize(
    ("value", "unit", "italian", "english"),
    [
        (Decimal("4.5"), Unit("score", None, "su 5"), "4,5 su 5", "4.5 of 5"),
        (Decimal(1200000), Unit("currency", "EUR"), f"€{NB}1.200.000", "€1,200,000"),
        (Decimal("19.2"), Unit("hours"), f"19,2{NB}ore", f"19.2{NB}hours"),
        (Decimal(1), Unit("hours"), f"1{NB}ora", f"1{NB}hour"),
        (Decimal(79), Unit("percent"), f"79{NB}%", "79%"),
        (Decimal(55), Unit("count", None, "clienti"), "55 clienti", "55 clienti"),
        (Decimal("18000.5"), Unit("currency", "EUR"), f"€{NB}18.000,50", "€18,000.50"),
        (Decimal(-1500), Unit("currency", "USD"), f"-${NB}1.500", "-$1,500"),
        (Decimal(10), Unit("currency", "CHF"), f"CHF{NB}10", f"CHF{NB}10"),
    ],
)
def test_values_are_written_the_way_each_language_writes_them(
    value: Decimal, unit: Unit, italian: str, english: str
) -> None:
    """The issue's own examples: "4,5 su 5", "€ 1.200.000", "19,2 ore" against English."""
    assert IT.value(value, unit) == italian
    assert EN.value(value, unit) == english


@pytest.mark.parametrize(
    ("value", "unit", "italian", "english"),
    [
        (Decimal("0.002"), Unit("count"), "0,002", "0.002"),
        (Decimal("0.0015"), Unit("score", None, "su 1"), "0,0015 su 1", "0.0015 of 1"),
        (Decimal("0.000002"), Unit("count", None, "ppm"), "0,000002 ppm", "0.000002 ppm"),
        (Decimal("-0.004"), Unit("hours"), f"-0,004{NB}ore", f"-0.004{NB}hours"),
        (Decimal("0.005"), Unit("currency", "EUR"), f"€{NB}0,005", "€0.005"),
        (Decimal("0.123456"), Unit("count"), "0,12", "0.12"),
        (Decimal("4.333333"), Unit("count"), "4,33", "4.33"),
    ],
)
def test_a_value_below_one_keeps_its_first_figures(
    value: Decimal, unit: Unit, italian: str, english: str
) -> None:
    """A defect rate aimed from 0,005 to 0,002 read "0,01" → "0" on its page (two places
    rounded), where the API said 0.005 and 0.002: a value below one keeps the places to its
    first two figures (six at most), a larger one its two."""
    assert IT.value(value, unit) == italian
    assert EN.value(value, unit) == english


def test_a_value_is_singular_and_signed_as_it_is_shown() -> None:
    """1.001 hours read "1 ore" (shown as 1, said as many) and -0.004 euros "-€ 0,00"
    (shown as nothing, said as below it): the word and the sign follow the figures shown."""
    assert IT.hours(Decimal("1.001")) == f"1{NB}ora"
    assert EN.hours(Decimal("0.999")) == f"1{NB}hour"
    assert IT.hours(Decimal("1.01")) == f"1,01{NB}ore"
    assert IT.money(Decimal("-0.004"), "EUR") == f"€{NB}0,00"
    assert EN.money(Decimal("-0.005"), "EUR", 3) == "-€0.005"
    assert EN.money(Decimal("-0.006"), "USD", 2) == "-$0.01"


def test_percentages_round_only_at_display() -> None:
    """62.5 % is GLOSSARY's worked example; 1/3 shows one decimal, half-up."""
    assert IT.percent(Decimal("0.625")) == f"62,5{NB}%"
    assert EN.percent(Decimal("0.625")) == "62.5%"
    assert EN.percent(Decimal(1) / 3) == "33.3%"
    assert EN.percent(Decimal("0.99996")) == "99.9%"
    assert IT.percent(Decimal("0.5")) == f"50{NB}%"
    assert EN.percent(None) == "—"


def test_a_progress_not_reached_never_shows_100_percent() -> None:
    """0.9996 said "100 %" on the page: a key result one check-in short of its target read
    as done. Under 1 it is rounded down near the end (99,9 %); 1 and past it are 100 %."""
    assert IT.percent(Decimal("0.9996")) == f"99,9{NB}%"
    assert EN.percent(Decimal("0.99951")) == "99.9%"
    assert EN.percent(Decimal("0.9994")) == "99.9%"
    assert EN.percent(Decimal("0.99949")) == "99.9%"
    assert EN.percent(Decimal(1)) == "100%"
    assert EN.percent(Decimal("1.0004")) == "100%"


def test_a_progress_begun_never_shows_0_percent() -> None:
    """0.0004 said "0 %" beside a key result not started, and 0.0004 past the target
    "+0 % over": a fraction not 0 reads 0,1 % at least, in both languages, and the CLI's
    table says it as the portal does (never "-0.0 %")."""
    from services.tree_print import percent

    assert IT.percent(Decimal("0.0004")) == f"0,1{NB}%"
    assert EN.percent(Decimal("0.0004")) == "0.1%"
    assert IT.percent(Decimal(0)) == f"0{NB}%"
    assert percent(Decimal("0.0004")) == "0.1 %"
    assert percent(Decimal("-0.0004")) == "-0.1 %"
    assert percent(Decimal("-0")) == "0.0 %"


def test_numbers_group_thousands_and_never_show_an_exponent() -> None:
    assert IT.number(Decimal("1E+6")) == "1.000.000"
    assert EN.number(Decimal("1234567.891")) == "1,234,567.89"
    assert IT.number(Decimal("-0.001")) == "0"
    assert EN.number(Decimal("-2.5")) == "-2.5"


def test_an_axis_says_every_tick_in_one_form() -> None:
    """Ticks from 800,000 to 1,200,000 read "800k" beside "1 Mln", and 1,05 beside 1,1:
    one scale and the same places for the whole axis, the scale's word in each language."""
    euros, plain = Unit("currency", "EUR"), Unit("count", None, "clienti")
    ticks = [Decimal(v) for v in (800000, 900000, 1000000, 1100000, 1200000)]
    assert IT.axis(ticks, euros) == [f"{n}{NB}Mln" for n in ("0,8", "0,9", "1,0", "1,1", "1,2")]
    assert EN.axis(ticks, euros) == ["0.8M", "0.9M", "1.0M", "1.1M", "1.2M"]
    thousands = [Decimal(v) for v in (18000, 18500, 19000)]
    assert IT.axis(thousands, euros) == ["18,0k", "18,5k", "19,0k"]
    assert EN.axis([Decimal(v) for v in ("0", "2.5", "5")], plain) == ["0.0", "2.5", "5.0"]
    assert IT.axis([Decimal(v) for v in (40, 50, 60)], plain) == ["40", "50", "60"]


def test_a_milestone_reads_done_or_not_done() -> None:
    text = Unit("text", None, "fatto")
    assert IT.value(Decimal(1), text, kind="milestone") == "Completato"
    assert EN.value(Decimal(0), text, kind="milestone") == "Not done"


def test_dates_use_the_language_s_month_names() -> None:
    day = date(2026, 3, 3)
    assert IT.date(day) == "3 mar 2026"
    assert IT.date(day, long=True) == "3 marzo 2026"
    assert EN.date(day, long=True) == "3 March 2026"
    assert EN.datetime(datetime(2026, 3, 3, 14, 5)) == "3 Mar 2026, 14:05 UTC"
    rome = timezone(timedelta(hours=1))
    assert IT.datetime(datetime(2026, 3, 3, 15, 5, tzinfo=rome)) == "3 mar 2026, 14:05 UTC"


@pytest.mark.parametrize(
    ("typed", "italian", "english"),
    [
        ("4,5", Decimal("4.5"), Decimal("4.5")),
        ("4.5", Decimal("4.5"), Decimal("4.5")),
        ("1.200", Decimal(1200), Decimal("1.2")),
        ("1,200", Decimal("1.2"), Decimal(1200)),
        ("1.200.000,50", Decimal("1200000.50"), Decimal("1200000.50")),
        ("1,200,000.50", Decimal("1200000.50"), Decimal("1200000.50")),
        ("€ 1.140.000", Decimal(1140000), None),
        ("-3", Decimal(-3), Decimal(-3)),
        ("abc", None, None),
        ("", None, None),
        ("1.2.3", None, None),
        ("0.125", Decimal("0.125"), Decimal("0.125")),
        ("0,250", Decimal("0.250"), Decimal("0.250")),
        ("-0.500", Decimal("-0.500"), Decimal("-0.500")),
        ("012.500", Decimal("12.500"), Decimal("12.500")),
        ("1,2.5", None, None),
        ("0.125,5", None, None),
        ("12.345,6", Decimal("12345.6"), Decimal("12345.6")),
    ],
)
def test_typed_numbers_are_read_in_the_reader_s_language(
    typed: str, italian: Decimal | None, english: Decimal | None
) -> None:
    """An Italian types "4,5" and "1.200"; an English reader types "4.5" and "1,200"."""
    assert IT.parse_number(typed) == italian
    assert EN.parse_number(typed) == english


@pytest.mark.parametrize(
    ("typed", "unit", "italian", "english"),
    [
        (f"4{NB}ore", Unit("hours"), Decimal(4), None),
        ("19,2 ORE", Unit("hours"), Decimal("19.2"), None),
        ("1 hour", Unit("hours"), None, Decimal(1)),
        ("19.2 hours", Unit("hours"), None, Decimal("19.2")),
        ("4,4 su 5", Unit("score", None, "su 5"), Decimal("4.4"), Decimal("4.4")),
        ("4.4 of 5", Unit("score", None, "su 5"), None, Decimal("4.4")),
        ("56 clienti", Unit("count", None, "clienti"), Decimal(56), Decimal(56)),
        ("CHF 1.200", Unit("currency", "CHF"), Decimal(1200), Decimal("1.2")),
        ("56 ordini", Unit("count", None, "clienti"), None, None),
        ("ore", Unit("hours"), None, None),
        ("4 ore", None, None, None),
    ],
)
def test_a_value_is_read_as_the_page_writes_it_in_its_unit(
    typed: str, unit: Unit | None, italian: Decimal | None, english: Decimal | None
) -> None:
    """A check-in's form gives its target as the example ("Per esempio 4 ore", "For example
    4.5 of 5"): typed so, it was refused as no number. The words of its unit, as the
    reader's language writes them, are read past; other words are not."""
    assert IT.parse_value(typed, unit) == italian
    assert EN.parse_value(typed, unit) == english


@pytest.mark.parametrize(
    ("cookie", "header", "tenant", "chosen"),
    [
        ("en", "it-IT,it;q=0.9", "it", "en"),
        (None, "en-GB,en;q=0.9,it;q=0.8", "it", "en"),
        (None, "de-DE,de;q=0.9,it;q=0.5,en;q=0.4", None, "it"),
        (None, "fr, en;q=0.1", None, "en"),
        (None, "de", "en-GB", "en"),
        (None, None, None, "it"),
        ("xx", "it;q=0, en;q=0", None, "it"),
    ],
)
def test_the_language_comes_from_the_switch_then_the_browser_then_the_tenant(
    cookie: str | None, header: str | None, tenant: str | None, chosen: str
) -> None:
    assert negotiate(cookie, header, tenant) == chosen


def test_history_parameters_become_local() -> None:
    names = {"user:1": "Giulia Bianchi"}
    assert IT.param("1200000", names) == "1.200.000"
    assert EN.param("2026-03-03", names) == "3 Mar 2026"
    assert IT.param("user:1", names) == "Giulia Bianchi"
    assert IT.param("key:9", names) == "un'integrazione"
    assert EN.param("Q1 2027", names) == "Q1 2027"


def test_scores_show_two_places_rounded_down_so_never_a_better_band() -> None:
    """0.695 is amber: it shows 0,69, not 0,7 (the green band's)."""
    assert IT.score(Decimal("0.695")) == "0,69"
    assert EN.score(Decimal(2) / Decimal(3)) == "0.66"
    assert EN.score(Decimal("0.7")) == "0.70"


def test_scores_always_show_both_places_in_each_language() -> None:
    """A dashboard read "0,7" beside "0,82", and "1" beside "0,50": every score, on a chip, in
    a hint, in a history line, has its two places."""
    from projections.history_lines import HistoryLine
    from services.history_words import Phrases

    assert [IT.score(Decimal(s)) for s in ("0.7", "1", "0", "0.82")] == [
        "0,70", "1,00", "0,00", "0,82"
    ]  # fmt: skip
    assert [EN.score(Decimal(s)) for s in ("0.7", "1", "0.5")] == ["0.70", "1.00", "0.50"]
    adjusted = HistoryLine(
        position=1, recorded_at=datetime(2027, 1, 4, 9, tzinfo=UTC), item_kind="key_result",
        item_id=UUID(int=1), item_title="t", cycle_id=None, valid_on=None, actor="Anna",
        template="cycle.score_adjusted",
        params={"title": "Rinnovi", "before": "0.7", "after": "1", "reason": "r"},
        changes=[], reason="r", text="",
    )  # fmt: skip
    assert "0,70 → 1,00 da Anna" in Phrases(IT, {}).text(adjusted)
    assert "0.70 → 1.00 by Anna" in Phrases(EN, {}).text(adjusted)


def test_a_changed_score_shows_as_the_cycle_shows_it_never_of_a_better_band() -> None:
    """In the diff, a score reads as the closed cycle's page says it, two places rounded
    down: 0.69996 (amber) is 0,69, not 0,70 (it read "69 %" where the dashboard said 0,69),
    where progress is a percentage rounded to the nearest."""
    from uuid import uuid4

    from projections.progress_state import ProgressView
    from projections.timetravel import Change
    from services.portal.history_text import diff_value

    score = Change("objective", uuid4(), "Crescere", "score", None, "0.69996")
    assert diff_value(score, score.after, ProgressView(), IT, {}) == "0,69"
    assert diff_value(score, score.after, ProgressView(), EN, {}) == "0.69"
    progress = Change("objective", uuid4(), "Crescere", "progress", None, "0.69996")
    assert diff_value(progress, progress.after, ProgressView(), EN, {}) == "70%"
    beaten = Change("key_result", uuid4(), "Costi", "raw_progress", "0.5", "9.642")
    assert diff_value(beaten, beaten.after, ProgressView(), EN, {}) == (
        "100% (+864.2% over target)"  # it read 964.2 %, where the page says 100 %
    )
    behind = Change("key_result", uuid4(), "Costi", "raw_progress", "0.5", "-0.4")
    assert diff_value(behind, behind.after, ProgressView(), EN, {}) == "0%"


def test_a_score_changed_to_one_that_reads_the_same_shows_in_the_comparison() -> None:
    """0.669 rescored 0.661 read 0,66 both sides, and the comparison left it out as a
    change that does not show (as progress -40 % to -20 %, 0 % both): a score is said to
    the places that tell it apart, as its history line says it, and okr diff too."""
    from uuid import uuid4

    from projections.progress_state import ProgressView
    from projections.timetravel import Change
    from services.commands import _diff_line
    from services.portal.history_text import diff_groups

    rescored = Change("objective", uuid4(), "Crescere", "score", "0.669", "0.661")
    (group,) = diff_groups([rescored], ProgressView(), IT, {})
    assert group.rows == [("punteggio", "0,669", "0,661")]
    (group,) = diff_groups([rescored], ProgressView(), EN, {})
    assert group.rows[0][1:] == ("0.669", "0.661")
    line = _diff_line(rescored, {}, {}, {})
    assert line is not None and line.endswith("score            0.669 → 0.661")
    first = Change("objective", uuid4(), "Crescere", "score", None, "0.669")
    (group,) = diff_groups([first], ProgressView(), EN, {})
    assert group.rows[0][1:] == ("—", "0.66")


def test_a_description_changed_reads_as_written_in_the_comparison_and_okr_diff() -> None:
    """An objective's description rewritten between two days is a row of the comparison,
    named in the reader's language and said as written (a "2027" is not 2.027), an empty
    one as "—"; okr diff says it too."""
    from uuid import uuid4

    from projections.progress_state import ProgressView
    from projections.timetravel import Change
    from services.commands import _diff_line
    from services.portal.history_text import diff_groups

    described = Change("objective", uuid4(), "Crescere", "description", "", "2027")
    (group,) = diff_groups([described], ProgressView(), IT, {})
    assert group.rows == [("descrizione", "—", "2027")]
    (group,) = diff_groups([described], ProgressView(), EN, {})
    assert group.rows == [("description", "—", "2027")]
    line = _diff_line(described, {}, {}, {})
    assert line is not None and line.endswith("description      — → 2027")


def test_the_history_csv_splits_as_each_language_s_spreadsheet_does() -> None:
    """Semicolons for an Italian reader (Excel there splits on them, the comma being its
    decimal mark), commas in English."""
    from services.portal.history_text import csv_lines

    assert csv_lines(IT, [], {}, header=True).startswith("posizione;registrato_il;")
    assert csv_lines(EN, [], {}, header=True).startswith("position,recorded_at,")


def test_no_cell_of_a_history_csv_becomes_a_formula_under_either_separator() -> None:
    """A title or note holding the other language's separator ("Q4;=1+1;" in the English
    file, whose reader's Excel may split on semicolons) began a formula at it: under either
    split no cell of the history's or the audit trail's CSV begins one now, and the JSON of
    a payload reads back as it was."""
    import csv
    import io
    import json

    from projections.audit import AuditEntry
    from projections.history_lines import HistoryLine
    from services.portal.history_text import CSV_DELIMITER, audit_csv_lines, csv_lines

    title = "Q4;=1+1;x,=2+2,"
    line = HistoryLine(
        position=7, recorded_at=datetime(2027, 1, 4, 9, tzinfo=UTC),
        item_kind="key_result", item_id=UUID(int=1), item_title=title, cycle_id=None,
        valid_on=None, actor="=HYPERLINK(1)", template="key_result.created",
        params={"title": title, "start": "1", "target": "2"}, changes=[],
        reason="-1;=cmd|' /C calc'!A0", text="",
    )  # fmt: skip
    for locale in (IT, EN):
        text = csv_lines(locale, [line], {})
        for separator in (";", ","):
            for row in csv.reader(io.StringIO(text), delimiter=separator):
                assert not [cell for cell in row if cell.startswith(("=", "+", "-", "@"))], row
        (row,) = csv.reader(io.StringIO(text), delimiter=CSV_DELIMITER[locale.language])
        assert row[3] == "'=HYPERLINK(1)"
        assert (row[5], row[7]) == {  # a quote only after the other file's separator
            "it": ("Q4;=1+1;x,'=2+2,", "'-1;=cmd|' /C calc'!A0"),
            "en": ("Q4;'=1+1;x,=2+2,", "'-1;'=cmd|' /C calc'!A0"),
        }[locale.language]
    for locale, plain in ((EN, "Revenue 5,-3 FTE"), (IT, "ciao;-) grazie")):  # its own: none
        text = csv_lines(locale, [msgspec.structs.replace(line, item_title=plain)], {})
        (row,) = csv.reader(io.StringIO(text), delimiter=CSV_DELIMITER[locale.language])
        assert row[5] == plain
    payload = {"title": title, "values": [1, -2], "note": 'a"b,=c'}
    entry = AuditEntry(
        position=7, recorded_at=datetime(2027, 1, 4, 9, tzinfo=UTC), actor="x",
        correlation_id=UUID(int=2), stream_id=UUID(int=1), version=1, topic="okr.KeyResult",
        hash="ab", payload=payload,
    )  # fmt: skip
    for locale in (IT, EN):
        text = audit_csv_lines(locale, [entry], {7: title}, {})
        for separator in (";", ","):
            for row in csv.reader(io.StringIO(text), delimiter=separator):
                assert not [cell for cell in row if cell.startswith(("=", "+", "-", "@"))], row
        (row,) = csv.reader(io.StringIO(text), delimiter=CSV_DELIMITER[locale.language])
        assert json.loads(row[10]) == payload


def test_a_person_is_named_as_well_as_they_can_be() -> None:
    """A known account by its name; an owner given as text, or an import's "user:anna",
    as written (they read "someone", though the history named them); an account or a key
    not known here as someone, or an integration; an operator as one."""
    known = "user:7d3c5a7e-52a4-4f4e-8b8a-9d3f64a3b111"
    it = Locale("it")
    names = {known: "Giulia Bianchi"}
    assert [it.person(a, names) for a in (known, "Anna Neri", "user:anna")] == [
        "Giulia Bianchi", "Anna Neri", "anna",
    ]  # fmt: skip
    stranger = "user:0b6f8a49-2c57-4a59-9d9e-1a2b3c4d5e6f"
    assert it.person(stranger, names) == "qualcuno"
    assert it.person("key:0b6f8a49-2c57-4a59-9d9e-1a2b3c4d5e6f", names) == "un'integrazione"
    assert it.person(None, names) == "qualcuno"
    assert it.person("system:operator", names) == "un operatore"  # who reset a password
    assert it.person("system:bench-load", names) == "il sistema"


def test_a_change_that_does_not_show_is_not_listed() -> None:
    """Progress from -40 % to -20 % reads 0 % on both sides: the comparison does not list
    a row "0 % → 0 %"; one that shows is listed."""
    from uuid import uuid4

    from projections.progress_state import ProgressView
    from projections.timetravel import Change
    from services.portal.history_text import diff_groups

    kr = uuid4()
    changes = [
        Change("key_result", kr, "Costi", "raw_progress", "-0.4", "-0.2"),
        Change("key_result", kr, "Costi", "value", "26", "25"),
    ]
    (group,) = diff_groups(changes, ProgressView(), IT, {})
    assert [row[1:] for row in group.rows] == [("26", "25")]


def test_an_earlier_day_s_value_revised_is_named_by_its_day() -> None:
    """A value of an earlier day, recorded late or corrected, reads "valore del 25 gen
    2027" beside the latest value's "valore"."""
    from datetime import date
    from uuid import uuid4

    from projections.progress_state import ProgressView
    from projections.timetravel import Change
    from services.portal.history_text import diff_groups

    kr = uuid4()
    changes = [
        Change("key_result", kr, "Costi", "value", "79", "80"),
        Change("key_result", kr, "Costi", "value", None, "77", date(2027, 1, 25)),
    ]
    (group,) = diff_groups(changes, ProgressView(), IT, {})
    assert group.rows == [("valore", "79", "80"), ("valore del 25 gen 2027", "—", "77")]
    (group,) = diff_groups(changes, ProgressView(), EN, {})
    assert group.rows[1] == ("value of 25 Jan 2027", "—", "77")


def test_the_diff_says_how_a_new_and_an_archived_item_stand_in_both_languages() -> None:
    """A key result made between the two days shows its weight, status and what it counts
    as in its objective's progress (0: no check-in yet); one archived, what it stood at
    where it still counted, each field unchanged said so (not "50 % → 50 %", which reads
    as a change, nor left out, which left its part in the roll-up unsaid)."""
    from uuid import uuid4

    from projections.progress_state import ProgressView
    from projections.timetravel import Change
    from services.portal.history_text import diff_groups

    new, gone = uuid4(), uuid4()
    changes = [
        Change("key_result", new, "Nuovi clienti", "created", None, "Nuovi clienti"),
        Change("key_result", new, "Nuovi clienti", "weight", None, "1"),
        Change("key_result", new, "Nuovi clienti", "status", None, "not_started"),
        Change("key_result", new, "Nuovi clienti", "counted_progress", None, "0"),
        Change("key_result", gone, "Costi", "archived", "false", "true"),
        Change("key_result", gone, "Costi", "raw_progress", "0.5", "0.5"),
        Change("key_result", gone, "Costi", "weight", "2", "2"),
    ]

    italian = [g.rows for g in diff_groups(changes, ProgressView(), IT, {})]
    english = [g.rows for g in diff_groups(changes, ProgressView(), EN, {})]

    assert italian == [
        [("creato", "—", "Nuovi clienti"), ("peso", "—", "1"), ("stato", "—", "Non iniziato"),
         ("conta nel totale come", "—", f"0{NB}%")],
        [("archiviato", "no", "sì"), ("avanzamento", f"50{NB}%", "invariato"),
         ("peso", "2", "invariato")],
    ]  # fmt: skip
    assert english == [
        [("created", "—", "Nuovi clienti"), ("weight", "—", "1"), ("status", "—", "Not started"),
         ("counts in the roll-up as", "—", "0%")],
        [("archived", "no", "yes"), ("progress", "50%", "unchanged"),
         ("weight", "2", "unchanged")],
    ]  # fmt: skip


def test_the_diff_says_names_and_titles_that_look_like_numbers_as_written() -> None:
    """A cycle named "2027" made between the two days read "creato — → 2.027" in the
    diff, and one renamed "2026" → "2027" "2.026 → 2.027"; an objective "NaN" made the
    comparison a 500 page (a NaN is not compared), "1e5" read "100.000" and "2.50" "2,5".
    A name, a title and the title an item was made or removed with are said as written, in
    each language; a number of the same item (its weight) stays in local form."""
    from uuid import uuid4

    from projections.progress_state import ProgressView
    from projections.timetravel import Change
    from services.portal.history_text import diff_groups

    made, renamed, titled, nan, cycle = uuid4(), uuid4(), uuid4(), uuid4(), uuid4()
    changes = [
        Change("cycle", made, "2027", "created", None, "2027"),
        Change("cycle", renamed, "2027", "name", "2026", "2027"),
        Change("objective", titled, "1500", "title", "1000", "1500"),
        Change("objective", titled, "1500", "weight", "1000", "1500"),
        Change("objective", nan, "NaN", "created", None, "NaN"),
        Change("objective", nan, "NaN", "weight", None, "1.50"),
        Change("key_result", uuid4(), "2.50", "title", "1e5", "2.50"),
        Change("cycle", cycle, "Infinity", "name", "Q1", "Infinity"),
    ]

    for locale, weights, weight in (
        (IT, ("1.000", "1.500"), "1,5"),
        (EN, ("1,000", "1,500"), "1.5"),
    ):
        rows = [row[1:] for g in diff_groups(changes, ProgressView(), locale, {}) for row in g.rows]
        assert sorted(rows) == sorted([
            ("—", "2027"), ("2026", "2027"), ("1000", "1500"), weights,
            ("—", "NaN"), ("—", weight), ("1e5", "2.50"), ("Q1", "Infinity"),
        ])  # fmt: skip


def test_a_history_line_says_an_owner_as_typed_or_by_name() -> None:
    """An owner is a person or words as typed ("007", "Ufficio 2026"): the portal's history
    said "007" as 7 and "2026" as 2.026 (and a day-shaped one as a day), as if they were
    values, where the API's text said them as typed. An owner who is a person of the
    tenant is still said by name, in each language."""
    from projections.history_lines import HistoryLine
    from services.history_words import Phrases

    marco = "user:" + str(UUID(int=7))

    def line(template: str, **params: str | None) -> HistoryLine:
        return HistoryLine(
            position=1, recorded_at=datetime(2027, 1, 4, 9, tzinfo=UTC),
            item_kind="key_result", item_id=UUID(int=1), item_title="t", cycle_id=None,
            valid_on=None, actor=marco, template=template,
            params={"title": "Fatturato", **params}, changes=[], reason=None, text="",
        )  # fmt: skip

    changed = line("key_result.owner_changed", before="007", after="2026")
    made = line("objective.created", owner="2027-01-04")
    to_marco = line("kpi.owner_changed", before="2026", after=marco)
    names = {marco: "Marco Neri"}
    assert Phrases(IT, names).text(changed) == (
        "responsabile di 'Fatturato' cambiato 007 → 2026 da Marco Neri"
    )
    assert Phrases(EN, names).text(changed) == (
        "owner of 'Fatturato' changed 007 → 2026 by Marco Neri"
    )
    assert Phrases(IT, names).text(made).endswith("responsabile 2027-01-04")
    assert "2026 → Marco Neri" in Phrases(EN, names).text(to_marco)


def test_a_history_line_says_its_values_in_their_unit() -> None:
    """ "check-in 118.000" did not say euros, hours or clients: a line about a key result or
    a KPI whose unit the reader has says its values in it, in each language; another
    number of the line (a confidence, a weight) and a line of an item of unknown unit
    stay plain."""
    from projections.history_lines import HistoryLine
    from services.history_words import Phrases, Units

    def local_text(
        line: HistoryLine, locale: Locale, names: dict[str, str], units: Units | None = None
    ) -> str:
        return Phrases(locale, names, units).text(line)

    revenue, clients, reply = UUID(int=1), UUID(int=2), UUID(int=3)
    units = {revenue: Unit("currency", "EUR"), clients: Unit("count", None, "clienti"),
             reply: Unit("hours")}  # fmt: skip

    def line(item: UUID, template: str, **params: str) -> HistoryLine:
        return HistoryLine(
            position=1, recorded_at=datetime(2027, 1, 4, 9, tzinfo=UTC),
            item_kind="key_result", item_id=item, item_title="t", cycle_id=None,
            valid_on=None, actor="Anna", template=template,
            params={"title": "Fatturato", "on": "2027-01-04", **params}, changes=[],
            reason=None, text="",
        )  # fmt: skip

    check_in = line(revenue, "key_result.checked_in_confidence", after="118000", confidence="7")
    assert local_text(check_in, IT, {}, units) == (
        "'Fatturato': aggiornamento €\u00a0118.000 per il 4 gen 2027 da Anna, fiducia 7/10"
    )
    assert "check-in €118,000 for" in local_text(check_in, EN, {}, units)
    assert "aggiornamento 118.000 per" in local_text(check_in, IT, {})  # no units known
    assert "aggiornamento 118.000 per" in local_text(check_in, IT, {}, {})  # not its item
    revised = line(clients, "key_result.target_revised", before="60", after="55", reason="r")
    assert "60 clienti → 55 clienti" in local_text(revised, IT, {}, units)
    thresholds = line(
        reply, "kpi.thresholds_changed", green_before="20", green_after="19.5",
        red_before="24", red_after="24",
    )  # fmt: skip
    assert "verde 20\u00a0ore → 19,5\u00a0ore" in local_text(thresholds, IT, {}, units)
    assert "19.5\u00a0hours" in local_text(thresholds, EN, {}, units)
    weight = line(revenue, "key_result.weight_changed", before="1", after="2")
    assert "1 → 2" in local_text(weight, IT, {}, units)
    fine = {revenue: Unit("percent"), reply: Unit("hours"), clients: Unit("currency", "EUR")}
    for item, before, after, said in (  # every place a correction changed (read 99,95 twice)
        (revenue, "99.951", "99.954", "99,951\u00a0% → 99,954\u00a0%"),
        (reply, "19.2", "19.25", "19,2\u00a0ore → 19,25\u00a0ore"),
        (clients, "1200.5", "1200.505", "€\u00a01.200,50 → €\u00a01.200,505"),
    ):
        corrected = line(item, "key_result.check_in_corrected", before=before, after=after,
                         reason="r")  # fmt: skip
        assert said in local_text(corrected, IT, {}, fine)


def test_a_refusal_says_the_limit_of_its_own_field() -> None:
    """A reason over its 1,000 characters was told "2000 at most" (a note's limit)."""
    from domain.errors import InvalidValueError
    from services.portal.controllers.key_results import domain_message

    reason = InvalidValueError("reason is too long", field="reason", rule="too_long")
    note = InvalidValueError("note is too long", field="note", rule="too_long")
    assert "1000" in domain_message(IT, reason) and "2000" in domain_message(IT, note)


def test_a_kpi_s_turn_refused_names_the_key_results_in_each_language() -> None:
    """A turn refused for the key results a KPI feeds said "key results" alone (the API
    named them): the reader had to find which to unlink; each language names them in its
    quotes, and the English said "the new direction would make aim to make it worse"."""
    from domain.errors import FedAgainstError
    from services.portal.controllers.key_results import domain_message

    refused = FedAgainstError("", field="direction", key_results=("Ricavi", "Clienti"))
    assert "(«Ricavi», «Clienti»: un aumento" in domain_message(IT, refused)
    assert domain_message(EN, refused).startswith(
        "It feeds key results of cycles not closed that, with the new direction, would aim"
        " to make it worse (“Ricavi”, “Clienti”: an increase where lower is better"
    )


def test_an_instant_is_shown_in_the_zone_of_the_tenant_and_names_it() -> None:
    """07:39 UTC is 08:39 in Rome in winter, 09:39 in summer (and a day later, near
    midnight): the zone's own name says which; without a tenant, UTC, as before."""
    rome = ZoneInfo("Europe/Rome")
    winter, summer = datetime(2026, 11, 30, 7, 39, tzinfo=UTC), datetime(2026, 7, 1, 7, 39)
    assert IT.in_zone(rome).datetime(winter) == "30 nov 2026, 08:39 CET"
    assert EN.in_zone(rome).datetime(summer) == "1 Jul 2026, 09:39 CEST"
    late = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    assert IT.in_zone(rome).datetime(late) == "1 dic 2026, 00:30 CET"
    assert IT.datetime(winter) == "30 nov 2026, 07:39 UTC"
    # on a page of several tenants (the portfolio), each row's time in its own tenant's zone
    assert IT.datetime(winter, "Europe/Rome") == "30 nov 2026, 08:39 CET"
    assert IT.datetime(winter, "America/New_York") == "30 nov 2026, 02:39 EST"


def test_every_event_of_the_log_has_its_words_in_both_languages() -> None:
    """The trail says each event in words (the code's name, KeyResult.CheckedIn, only
    beside them): an event the log can hold without words would show its code's name
    again; a kind newer than this code still shows that, not a key."""
    from services.catalog import MESSAGES
    from services.read.logs import AGGREGATE_TOPICS, TOPICS

    for topic in TOPICS - set(AGGREGATE_TOPICS):
        assert set(MESSAGES[f"audit.event.{topic}"]) == {"it", "en"}, topic
    assert IT.event("okr.KeyResult.CheckedIn") == "Aggiornamento registrato"
    assert EN.event("okr.KeyResult.CheckedIn") == "Check-in recorded"
    assert EN.event("okr.KeyResult.Forecast") == "KeyResult.Forecast"
