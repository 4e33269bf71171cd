"""The history timeline: every change in words, before → after, in English and Italian."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from domain import AccessChange, Cycle, KeyResult, Objective
from domain.settings import SettingsChange
from projections.base import collect
from projections.codec import text
from projections.history import (
    TEMPLATES,
    FieldChange,
    HistoryLine,
    history_projection,
    item_timeline,
    line_actors,
    line_from_row,
    render,
)
from projections.history_text import FOLLOWS, said_reason, value_text
from projections.progress_state import kpi_stale
from services.history_words import Phrases, Units
from services.i18n import Locale
from tests.projections.builders import (
    Log,
    active_quarter,
    busy_tenant,
    check_in,
    fold_all,
    key_result,
    kpi,
    objective,
    seed_efficiency,
)

D = Decimal


def _lines(log: Log) -> list[HistoryLine]:
    _, rows = collect(history_projection, log.records)
    return [line_from_row(row) for row in rows["rm_history"]]


def test_target_revision_reads_before_after_actor_and_reason() -> None:
    """The line a manager reads when the goalposts moved: old, new, who and why."""
    log = Log()
    cycle = active_quarter(log)
    goal = objective(log, cycle)
    kr = key_result(log, cycle, goal, "Nuovi clienti", "increase", start=50, target=60)
    kr.revise_target(cycle=cycle, target=D(55), reason="market shrank", author="carla")
    log.save(kr, actor="carla")

    line = _lines(log)[-1]

    assert line.text == "'Nuovi clienti': target revised 60 → 55 by carla: 'market shrank'"
    assert line.changes == [FieldChange("target", "60", "55")]
    assert (line.item_kind, line.item_id, line.actor, line.reason) == (
        "key_result",
        kr.id,
        "carla",
        "market shrank",
    )
    assert render(line.template, line.params, "it") == (
        "'Nuovi clienti': traguardo rivisto 60 → 55 da carla: 'market shrank'"
    )


def test_correction_keeps_the_original_value_in_history() -> None:
    """A correction never erases: the first value stays readable next to the new one."""
    log = Log()
    _, _, response, *_ = seed_efficiency(log)
    first = next(iter(response.check_ins))
    response.correct_check_in(
        check_in_id=first, value=D("22.8"), reason="wrong export", author="eve"
    )
    log.save(response, actor="eve")

    lines = item_timeline(_lines(log), response.id)

    corrected, original = lines[0], lines[1]
    assert corrected.changes[0] == FieldChange("value", "21", "22.8")
    assert corrected.valid_on == date(2027, 2, 15)
    assert corrected.text == (
        "'Ridurre il tempo di risposta': check-in for 2027-02-15 corrected 21 → 22.8 by eve:"
        " 'wrong export'"
    )
    assert original.changes[0] == FieldChange("value", None, "21")
    assert original.template == "key_result.checked_in_confidence"


def test_a_correction_names_the_check_in_it_corrects_among_those_of_its_day() -> None:
    """Two check-ins of one day, the second corrected: the line says which one, so the
    portal shows the correction under that one alone (it grouped them by day)."""
    from services.portal.controllers.key_results import _corrections

    log = Log()
    cycle = active_quarter(log)
    goal = objective(log, cycle)
    kr = key_result(log, cycle, goal, "Contratti", "increase", start=0, target=100)
    day = date(2027, 2, 10)
    first, second = check_in(log, cycle, kr, 63, day), check_in(log, cycle, kr, 36, day)
    kr.correct_check_in(check_in_id=second, value=D("63.6"), reason="typo", author="eve")
    log.save(kr, actor="eve")

    lines = item_timeline(_lines(log), kr.id)
    assert lines[0].params["check_in"] == str(second)
    grouped = _corrections(lines)
    assert list(grouped) == [str(second)] and str(first) not in grouped
    assert grouped[str(second)][0].changes[0] == FieldChange("value", "36", "63.6")


def test_late_check_in_compares_with_the_value_that_date_had() -> None:
    """A back-dated value is compared with what that date showed, not with today's value."""
    log = Log()
    cycle = active_quarter(log)
    goal = objective(log, cycle)
    kr = key_result(log, cycle, goal, "Contratti", "increase", start=0, target=100)
    check_in(log, cycle, kr, "10", date(2027, 1, 8))
    check_in(log, cycle, kr, "30", date(2027, 1, 18))
    check_in(log, cycle, kr, "15", date(2027, 1, 14))

    line = _lines(log)[-1]

    assert line.changes[0] == FieldChange("value", "10", "15")
    assert line.valid_on == date(2027, 1, 14)


def test_reparenting_writes_a_line_with_both_parents() -> None:
    """The alignment tree has a history a person can read."""
    log = Log()
    cycle = active_quarter(log)
    first = objective(log, cycle, "Crescere")
    second = objective(log, cycle, "Fidelizzare")
    team = objective(log, cycle, "Vendere", parent=first)
    team.reparent(new_parent=second, new_parent_ancestors=[], cycle=cycle, author="alice")
    log.save(team)

    line = _lines(log)[-1]

    assert line.text == "'Vendere' re-aligned 'Crescere' → 'Fidelizzare' by alice"
    assert line.changes == [FieldChange("parent_id", str(first.id), str(second.id))]
    assert render(line.template, line.params, "it") == (
        "'Vendere' riallineato 'Crescere' → 'Fidelizzare' da alice"
    )


def test_an_objective_made_under_another_says_under_which() -> None:
    """The tree's history began with a gap: an objective made aligned under another read
    only "set by alice, owner alice", so where it stood until its first re-alignment was
    said nowhere. Its line says the objective it was made under, in both languages (and
    in the portal's words, its title as written); one made at the top level reads as it
    did."""
    log = Log()
    cycle = active_quarter(log)
    top = objective(log, cycle, "2027")
    objective(log, cycle, "Vendere", parent=top)

    made_top, made_under = _lines(log)[-2:]

    assert made_top.text == "objective '2027' set by alice, owner alice, team level, aspirational"
    assert made_under.text == (
        "objective 'Vendere' set by alice, owner alice, team level, aspirational,"
        " aligned under '2027'"
    )
    assert Phrases(Locale("it"), {}).text(made_under) == (
        "obiettivo 'Vendere' creato da alice, responsabile alice, livello di team,"
        " aspirazionale, allineato sotto '2027'"
    )


def test_an_objective_s_creation_says_its_level_commitment_and_description() -> None:
    """A reader of the timeline could not know what an objective was made as: whether it
    was the company's, a team's or a person's, to be met in full (committed) or at 0.7
    (aspirational), nor its description until someone changed it. Its line says them, in
    both languages (the description as written, "2027" not a number); a line stored
    before it carried them (no "level") reads as it did."""
    log = Log()
    cycle = active_quarter(log)
    objective(log, cycle, "Crescere", level="company", committed=True, description="2027")

    (made,) = _lines(log)[-1:]

    assert made.text == (
        "objective 'Crescere' set by alice, owner alice, company level, committed,"
        " described as '2027'"
    )
    assert Phrases(Locale("it"), {}).text(made) == (
        "obiettivo 'Crescere' creato da alice, responsabile alice, livello aziendale,"
        " vincolante, descritto come '2027'"
    )
    assert FieldChange("description", None, "2027") in made.changes
    stored_before = {"title": "Crescere", "actor": "alice", "owner": "alice", "parent": None}
    assert render(made.template, stored_before, "it") == (
        "obiettivo 'Crescere' creato da alice, responsabile alice"
    )


def test_names_and_titles_that_look_like_numbers_are_said_as_written() -> None:
    """A cycle renamed "2026" → "2027" read "ciclo rinominato '2.026' → '2.027'" in the
    portal, and an objective re-aligned under one titled "2030" or a KPI feeding a key
    result titled "2029" said that title as a number too: names and titles in a line are
    said as written, in each language; values stay in local form."""
    log = Log()
    cycle = active_quarter(log, "2026")
    cycle.rename(name="2027", author="eve")
    log.save(cycle, actor="eve")
    first, second = objective(log, cycle, "2028"), objective(log, cycle, "2030")
    team = objective(log, cycle, "Vendere", parent=first)
    team.reparent(new_parent=second, new_parent_ancestors=[], cycle=cycle, author="eve")
    log.save(team, actor="eve")
    kr = key_result(log, cycle, team, "2029", "increase", start=0, target=1000)
    meter = kpi(log, "Contratti")
    meter.link_key_result(key_result_id=kr.id, author="eve")
    log.save(meter, actor="eve")
    meter.rename(name="1500", author="eve")
    log.save(meter, actor="eve")

    lines = {line.template: line for line in _lines(log)}
    said = {t: Phrases(Locale("it"), {}).text(line) for t, line in lines.items()}

    assert said["cycle.renamed"] == "ciclo rinominato '2026' → '2027' da eve"
    assert said["objective.realigned"] == "'Vendere' riallineato '2028' → '2030' da eve"
    assert said["kpi.key_result_linked"] == (
        "l'indicatore 'Contratti' ora alimenta '2029' (collegato da eve)"
    )
    assert said["kpi.renamed"] == "indicatore rinominato 'Contratti' → '1500' da eve"
    assert said["key_result.created"] == ("risultato chiave '2029' aggiunto da alice: da 0 a 1.000")


def test_an_objective_s_description_changed_says_what_it_was_and_is() -> None:
    """ "description of 'Vendere' changed by eve" never said what it said, before or after,
    and the portal shows an objective's description nowhere else. Its line says the
    description written, changed (before → after) or taken away, in each language, as
    written (a description "2027" is no number)."""
    log = Log()
    cycle = active_quarter(log)
    team = objective(log, cycle, "Vendere")
    for description in ("2027", "Più clienti al nord", ""):
        team.describe(description=description, cycle=cycle, author="eve")
        log.save(team, actor="eve")

    written, changed, taken_away = _lines(log)[-3:]

    assert written.text == "description of 'Vendere' written by eve: '2027'"
    assert Phrases(Locale("it"), {}).text(written) == (
        "descrizione di 'Vendere' scritta da eve: '2027'"
    )
    assert changed.text == (
        "description of 'Vendere' changed by eve: '2027' → 'Più clienti al nord'"
    )
    assert render(changed.template, changed.params, "it") == (
        "descrizione di 'Vendere' modificata da eve: '2027' → 'Più clienti al nord'"
    )
    assert taken_away.text == (
        "description of 'Vendere' taken away by eve (was 'Più clienti al nord')"
    )
    assert render(taken_away.template, taken_away.params, "it") == (
        "descrizione di 'Vendere' tolta da eve (era 'Più clienti al nord')"
    )


def test_a_kpi_handed_over_and_measured_less_often_says_both() -> None:
    """Its owner and its frequency change in words, before → after, in both languages; the
    state then counts it overdue by the new frequency."""
    log = Log()
    meter = kpi(log, "Soddisfazione")
    meter.record_measurement(value=85, on=date(2027, 1, 4), author="alice")
    log.save(meter)
    weekly = fold_all(log.records).kpis[meter.id]
    meter.change_owner(owner="dario", author="alice")
    meter.change_frequency(frequency_days=30, author="alice")
    log.save(meter, actor="alice")

    owner, frequency = _lines(log)[-2:]

    assert owner.text == "owner of KPI 'Soddisfazione' changed alice → dario by alice"
    assert owner.changes == [FieldChange("owner", "alice", "dario")]
    assert render(frequency.template, frequency.params, "it") == (
        "indicatore 'Soddisfazione' da misurare ogni 30 giorni (prima ogni 7 giorni), da alice"
    )
    assert frequency.changes == [FieldChange("frequency_days", "7", "30")]
    state = fold_all(log.records).kpis[meter.id]
    assert (state.owner, state.frequency_days) == ("dario", 30)
    twenty_days_on = date(2027, 1, 24)
    assert kpi_stale(weekly, weekly.latest, twenty_days_on)
    assert not kpi_stale(state, state.latest, twenty_days_on)


def test_a_measurement_s_note_corrected_is_the_kpi_s_and_said_in_both_languages() -> None:
    """A measurement's note restated by a correction is its note from then on in the
    state (as a check-in's is), and its line says the note beside the value, in English
    and Italian; a correction of the value alone reads as it did."""
    log = Log()
    meter = kpi(log, "Soddisfazione")
    measured = meter.record_measurement(value=85, on=date(2027, 1, 4), author="alice",
                                        note="dal CRM")  # fmt: skip
    log.save(meter)
    meter.correct_measurement(measurement_id=measured, value=D(85), note="12",
                              reason="fonte sbagliata", author="eve")  # fmt: skip
    log.save(meter, actor="eve")
    meter.correct_measurement(measurement_id=measured, value=D(86), reason="x", author="eve")
    log.save(meter, actor="eve")

    state = fold_all(log.records).kpis[meter.id]
    assert [(m.value, m.note, m.corrected) for m in state.measurements] == [(D(86), "12", True)]
    assert state.latest is not None and state.latest.note == "12"
    noted, value_only = _lines(log)[-2:]
    assert noted.changes == [FieldChange("value", "85", "85"), FieldChange("note", "dal CRM", "12")]
    assert noted.text == (
        "KPI 'Soddisfazione': measurement for 2027-01-04 corrected 85 → 85, note '12', by eve:"
        " 'fonte sbagliata'"
    )
    assert render(noted.template, noted.params, "it") == (
        "indicatore 'Soddisfazione': misura del 2027-01-04 corretta 85 → 85, nota '12', da eve:"
        " 'fonte sbagliata'"
    )
    assert value_only.changes == [FieldChange("value", "85", "86")]
    assert value_only.text == (
        "KPI 'Soddisfazione': measurement for 2027-01-04 corrected 85 → 86 by eve: 'x'"
    )


def test_a_check_in_s_note_corrected_is_said_in_both_languages() -> None:
    """A check-in's correction that changed its note said only its value: the note was in
    its line's changes alone. Its sentence now says the note it leaves, or that it was
    taken away, in English and Italian, as a measurement's does; a correction that leaves
    the note reads as it did."""
    log = Log()
    cycle = active_quarter(log)
    goal = objective(log, cycle)
    kr = key_result(log, cycle, goal, "Contratti", "increase", start=0, target=100)
    first = check_in(log, cycle, kr, 36, date(2027, 2, 10), note="dal CRM")
    for note in ("dal gestionale", ""):
        kr.correct_check_in(check_in_id=first, value=D(36), note=note, reason="fonte",
                            author="eve")  # fmt: skip
        log.save(kr, actor="eve")
    kr.correct_check_in(check_in_id=first, value=D(40), reason="errore", author="eve")
    log.save(kr, actor="eve")

    noted, taken_away, value_only = _lines(log)[-3:]
    assert noted.changes == [FieldChange("value", "36", "36"),
                             FieldChange("note", "dal CRM", "dal gestionale")]  # fmt: skip
    assert noted.text == (
        "'Contratti': check-in for 2027-02-10 corrected 36 → 36, note 'dal gestionale', by"
        " eve: 'fonte'"
    )
    assert render(noted.template, noted.params, "it") == (
        "'Contratti': aggiornamento del 2027-02-10 corretto 36 → 36, nota 'dal gestionale', da"
        " eve: 'fonte'"
    )
    assert taken_away.changes[-1] == FieldChange("note", "dal gestionale", "")
    assert taken_away.text == (
        "'Contratti': check-in for 2027-02-10 corrected 36 → 36, note taken away, by eve: 'fonte'"
    )
    assert render(taken_away.template, taken_away.params, "it") == (
        "'Contratti': aggiornamento del 2027-02-10 corretto 36 → 36, nota tolta, da eve: 'fonte'"
    )
    assert "note" not in value_only.params
    assert value_only.text == (
        "'Contratti': check-in for 2027-02-10 corrected 36 → 40 by eve: 'errore'"
    )


def test_a_check_in_s_confidence_corrected_is_said_in_both_languages() -> None:
    """A correction that changed only a check-in's confidence read "corrected 41 → 41":
    the confidence was in its line's changes alone. Its sentence now says the confidence
    from what to what (or given, where the check-in had none), before a note it changed,
    in English and Italian; a correction that leaves it reads as it did."""
    log = Log()
    cycle = active_quarter(log)
    goal = objective(log, cycle)
    kr = key_result(log, cycle, goal, "Contratti", "increase", start=0, target=100)
    sure = check_in(log, cycle, kr, 41, date(2027, 2, 10), confidence=6)
    unsaid = check_in(log, cycle, kr, 42, date(2027, 2, 11))
    for check_in_id, value, confidence, note in (
        (sure, 41, 8, None), (unsaid, 42, 5, "dal CRM"), (sure, 40, None, None),
    ):  # fmt: skip
        kr.correct_check_in(check_in_id=check_in_id, value=D(value), confidence=confidence,
                            note=note, reason="rivista", author="eve")  # fmt: skip
        log.save(kr, actor="eve")

    alone, with_note, value_only = _lines(log)[-3:]
    assert alone.changes == [FieldChange("value", "41", "41"), FieldChange("confidence", "6", "8")]
    assert alone.text == (
        "'Contratti': check-in for 2027-02-10 corrected 41 → 41, confidence 6/10 → 8/10, by"
        " eve: 'rivista'"
    )
    assert render(alone.template, alone.params, "it") == (
        "'Contratti': aggiornamento del 2027-02-10 corretto 41 → 41, fiducia 6/10 → 8/10, da"
        " eve: 'rivista'"
    )
    assert with_note.text == (
        "'Contratti': check-in for 2027-02-11 corrected 42 → 42, confidence 5/10, note 'dal"
        " CRM', by eve: 'rivista'"
    )
    assert render(with_note.template, with_note.params, "it") == (
        "'Contratti': aggiornamento del 2027-02-11 corretto 42 → 42, fiducia 5/10, nota 'dal"
        " CRM', da eve: 'rivista'"
    )
    assert "confidence" not in value_only.params
    assert value_only.text == (
        "'Contratti': check-in for 2027-02-10 corrected 41 → 40 by eve: 'rivista'"
    )


def test_a_check_in_s_and_a_measurement_s_note_are_said_in_both_languages() -> None:
    """A check-in's or a measurement's note ("market shrank") was in its line's changes
    alone: the timeline said the value and who, never the words they gave with it, though
    a correction of that note said the new one. Each line now ends with its note, in
    English and Italian; one without a note reads as it did."""
    log = Log()
    cycle = active_quarter(log)
    goal = objective(log, cycle)
    kr = key_result(log, cycle, goal, "Contratti", "increase", start=0, target=100)
    check_in(log, cycle, kr, 36, date(2027, 2, 10), confidence=6, note="mercato in calo")
    check_in(log, cycle, kr, 40, date(2027, 2, 17))
    meter = kpi(log, "Soddisfazione")
    meter.record_measurement(value=85, on=date(2027, 1, 4), author="alice", note="dal CRM")
    log.save(meter)

    noted, plain, _, measured = _lines(log)[-4:]

    assert noted.text == (
        "'Contratti': check-in 36 for 2027-02-10 by bob, confidence 6/10, note 'mercato in calo'"
    )
    assert render(noted.template, noted.params, "it") == (
        "'Contratti': aggiornamento 36 per il 2027-02-10 da bob, fiducia 6/10, nota 'mercato"
        " in calo'"
    )
    assert plain.text == "'Contratti': check-in 40 for 2027-02-17 by bob"
    assert measured.text == (
        "KPI 'Soddisfazione': 85 measured for 2027-01-04 by alice, note 'dal CRM'"
    )
    assert render(measured.template, measured.params, "it") == (
        "indicatore 'Soddisfazione': misurato 85 per il 2027-01-04 da alice, nota 'dal CRM'"
    )


def test_a_measurement_s_note_taken_away_is_said_so() -> None:
    """A measurement's correction that took its note away read "note ''": it says the note
    was taken away, in English and Italian, as a check-in's does."""
    log = Log()
    meter = kpi(log, "Soddisfazione")
    measured = meter.record_measurement(value=85, on=date(2027, 1, 4), author="alice",
                                        note="dal CRM")  # fmt: skip
    log.save(meter)
    meter.correct_measurement(measurement_id=measured, value=D(85), note="",
                              reason="nota sbagliata", author="eve")  # fmt: skip
    log.save(meter, actor="eve")

    line = _lines(log)[-1]
    assert line.changes[-1] == FieldChange("note", "dal CRM", "")
    assert line.text == (
        "KPI 'Soddisfazione': measurement for 2027-01-04 corrected 85 → 85, note taken away,"
        " by eve: 'nota sbagliata'"
    )
    assert render(line.template, line.params, "it") == (
        "indicatore 'Soddisfazione': misura del 2027-01-04 corretta 85 → 85, nota tolta, da"
        " eve: 'nota sbagliata'"
    )


def test_a_kpi_turned_the_right_way_round_is_read_so_and_said_in_both_languages() -> None:
    """Turned from lower to higher is better, the state takes its direction and thresholds
    (its health follows, its values stay), the diff sees the direction, and its line
    says both ways and both thresholds in English and Italian."""
    from projections.progress_tree import kpi_board
    from projections.timetravel import diff

    log = Log()
    meter = kpi(log, "Soddisfazione", direction="lower_is_better", green=60, red=80)
    meter.record_measurement(value=85, on=date(2027, 1, 4), author="alice")
    log.save(meter)
    before = fold_all(log.records)
    meter.change_direction(direction="higher_is_better", green=D(80), red=D(60),
                           reason="creato al contrario", author="eve")  # fmt: skip
    log.save(meter, actor="eve")

    after = fold_all(log.records)
    (node,) = kpi_board(after, today=date(2027, 1, 5))
    assert (node.direction, node.green, node.red, node.health) == (
        "higher_is_better", D(80), D(60), "green",
    )  # fmt: skip
    assert [(m.value, m.on) for m in after.kpis[meter.id].measurements] == [
        (D(85), date(2027, 1, 4))
    ]
    day = date(2027, 1, 5)
    changed = {c.field: (c.before, c.after) for c in diff(before, after, today_from=day,
                                                          today_to=day)}  # fmt: skip
    assert changed["direction"] == ("lower_is_better", "higher_is_better")
    line = _lines(log)[-1]
    assert line.changes[0] == FieldChange("direction", "lower_is_better", "higher_is_better")
    assert line.text == (
        "KPI 'Soddisfazione' turned: higher is better, was lower is better (green 60 → 80,"
        " red 80 → 60) by eve: 'creato al contrario'"
    )
    assert render(line.template, line.params, "it") == (
        "indicatore 'Soddisfazione' invertito: più alto è meglio, era più basso è meglio"
        " (verde 60 → 80, rosso 80 → 60) da eve: 'creato al contrario'"
    )


def test_a_cycle_renamed_is_read_by_its_new_name_and_said_in_both_languages() -> None:
    """The state, the tree and the diff take the cycle's new name; its line says both
    names and who renamed it, in English and Italian, and the reason only when given."""
    from projections.progress_tree import progress_tree
    from projections.timetravel import diff

    log = Log()
    cycle = active_quarter(log, "Q1 2072")
    before = fold_all(log.records)
    cycle.rename(name="Q1 2027", reason="typo", author="eve")
    log.save(cycle, actor="eve")
    cycle.rename(name="Q1 2027 Milano", author="eve")
    log.save(cycle, actor="eve")

    after = fold_all(log.records)
    assert after.cycles[cycle.id].name == "Q1 2027 Milano"
    (node,) = progress_tree(after, today=date(2027, 1, 5)).cycles
    assert (node.name, node.state) == ("Q1 2027 Milano", "active")
    day = date(2027, 1, 5)
    changed = [(c.item_kind, c.title, c.field, c.before, c.after)
               for c in diff(before, after, today_from=day, today_to=day)]  # fmt: skip
    assert changed == [("cycle", "Q1 2027 Milano", "name", "Q1 2072", "Q1 2027 Milano")]
    typo, plain = _lines(log)[-2:]
    assert typo.changes == [FieldChange("name", "Q1 2072", "Q1 2027")]
    assert (typo.item_kind, typo.item_id, typo.cycle_id) == ("cycle", cycle.id, cycle.id)
    assert typo.text == "cycle renamed 'Q1 2072' → 'Q1 2027' by eve; reason: 'typo'"
    assert render(typo.template, typo.params, "it") == (
        "ciclo rinominato 'Q1 2072' → 'Q1 2027' da eve; motivo: 'typo'"
    )
    assert plain.text == "cycle renamed 'Q1 2027' → 'Q1 2027 Milano' by eve"
    assert render(plain.template, plain.params, "it") == (
        "ciclo rinominato 'Q1 2027' → 'Q1 2027 Milano' da eve"
    )


def test_every_event_of_a_busy_tenant_gets_a_known_template_in_both_languages() -> None:
    """No event may fall back to the generic line, and no template may miss a language."""
    log = Log()
    busy_tenant(log)

    lines = _lines(log)

    assert len(lines) == len(log.records)
    assert all(line.template != "event.recorded" for line in lines)
    assert all(set(texts) == {"en", "it"} for texts in TEMPLATES.values())
    for line in lines:
        for language in ("en", "it"):
            assert "{" not in render(line.template, line.params, language)
            assert "—" not in render(line.template, line.params, language), line.text


def test_score_adjustment_lands_on_the_scored_item_timeline() -> None:
    """People look for a score change on the objective, not on the cycle."""
    log = Log()
    busy_tenant(log)
    lines = _lines(log)
    adjusted = lines[-1]

    assert adjusted.template == "cycle.score_adjusted"
    assert adjusted.item_kind == "objective"
    assert adjusted.changes == [FieldChange("score", "0.4", "0.5")]
    assert adjusted in item_timeline(lines, adjusted.item_id)


def closed_with(log: Log, objective_score: D) -> tuple[Cycle, Objective, KeyResult]:
    """The seed's cycle closed by alice, its objective scored `objective_score` (and its
    response time's key result)."""
    cycle, goal, response, milestone, costs = seed_efficiency(log)
    cycle.close(
        key_result_scores={kr.id: kr.score for kr in (response, milestone, costs)},
        objective_scores={goal.id: objective_score},
        closed_by="alice",
    )
    log.save(cycle)
    return cycle, goal, response


def test_a_score_is_said_to_two_places_and_kept_exact() -> None:
    """2/3 adjusted to 0.5: the line says 0.66 → 0.50 (rounded down, both to two places,
    as scores are shown); its change keeps every digit."""
    log = Log()
    cycle, goal, _ = closed_with(log, D(2) / D(3))
    cycle.adjust_score(item_id=goal.id, score=D("0.5"), reason="contesto", author="alice")
    log.save(cycle, actor="alice")

    adjusted = _lines(log)[-1]

    assert adjusted.text == (
        "score of 'Efficienza operativa' adjusted 0.66 → 0.50 by alice (cycle: score 0.66 →"
        " 0.50): 'contesto'"
    )
    assert adjusted.changes == [FieldChange("score", text(D(2) / D(3)), "0.5")]


def test_a_score_adjusted_that_moves_its_cycle_s_score_says_the_cycle_s() -> None:
    """The close's line said the cycle scored 0.40, progress and the diff said 0.70 after
    its only top-level objective was rescored, and no line of the cycle's timeline said
    why: the objective's line says the cycle's score moved with it, in both languages, in
    the API's text and the portal's words; a key result's score, which the cycle's is not
    made of, says none."""
    log = Log()
    cycle, goal, response = closed_with(log, D("0.4"))
    cycle.adjust_score(item_id=goal.id, score=D("0.7"), reason="contesto", author="alice")
    cycle.adjust_score(item_id=response.id, score=D("0.9"), reason="dati nuovi", author="alice")
    log.save(cycle, actor="alice")

    of_goal, of_response = _lines(log)[-2:]

    assert (of_goal.params["cycle_before"], of_goal.params["cycle_after"]) == ("0.4", "0.7")
    assert of_goal.text == (
        "score of 'Efficienza operativa' adjusted 0.40 → 0.70 by alice (cycle: score 0.40 →"
        " 0.70): 'contesto'"
    )
    assert "(ciclo: punteggio 0,40 → 0,70): 'contesto'" in render(
        of_goal.template, of_goal.params, "it"
    )
    assert "(ciclo: punteggio 0,40 → 0,70)" in Phrases(Locale("it"), {}).text(of_goal)
    assert "cycle_after" not in of_response.params
    assert "cycle:" not in of_response.text


def test_a_score_adjusted_to_one_that_reads_the_same_says_the_places_that_differ() -> None:
    """0.669 adjusted to 0.661 read "0.66 → 0.66", a change that showed none: its line
    says both to the places that tell them apart, in the API's text and the portal's
    words, in both languages."""
    log = Log()
    cycle, goal, _ = closed_with(log, D("0.669"))
    cycle.adjust_score(item_id=goal.id, score=D("0.661"), reason="contesto", author="alice")
    log.save(cycle, actor="alice")

    adjusted = _lines(log)[-1]

    assert "adjusted 0.669 → 0.661 by alice" in adjusted.text
    assert "modificato 0,669 → 0,661 da alice" in render(adjusted.template, adjusted.params, "it")
    assert "0,669 → 0,661" in Phrases(Locale("it"), {}).text(adjusted)
    assert "0.669 → 0.661" in Phrases(Locale("en"), {}).text(adjusted)


def test_a_score_adjusted_past_the_28th_place_is_folded_and_said() -> None:
    """A score keeps up to 64 places: two that differ only past the 28th (one of 31 places
    adjusted to one of 30) were told apart by quantizing to more places than the default
    context's 28 digits hold, which raised InvalidOperation in the history's fold (the
    tenant's timeline stopped there) and wherever the line was read."""
    before, after = D("0." + "6" * 30 + "7"), D("0." + "6" * 29 + "7")
    log = Log()
    cycle, goal, _ = closed_with(log, before)
    cycle.adjust_score(item_id=goal.id, score=after, reason="contesto", author="alice")
    log.save(cycle, actor="alice")

    adjusted = _lines(log)[-1]

    assert adjusted.template == "cycle.score_adjusted"
    assert "score of 'Efficienza operativa' adjusted 0.66" in adjusted.text
    for language in ("en", "it"):
        assert "contesto" in Phrases(Locale(language), {}).text(adjusted)
        assert "contesto" in render(adjusted.template, adjusted.params, language)


def test_values_in_lines_read_as_exports_write_them() -> None:
    """The history's quick words for values are the export's words, said twice or once:
    no exponent, no trailing zeros, no minus zero, ISO dates."""
    values: list[object] = [
        D("24.0"), D("23.9"), D("-0.0"), D("0E-7"), D("1E+3"), D("0.000001"), D("1E-7"),
        D("100"), D("-12.50"), D("1234567890123456789012345678.9"), D("NaN"), D("sNaN"),
        D("-Infinity"), date(2027, 1, 2), 7, True, None, "in linea",
    ]  # fmt: skip

    for value in values * 2:
        assert value_text(value) == text(value), value


def test_changes_of_access_read_in_both_languages_with_roles_in_words() -> None:
    """Who was given which role, a key made and revoked, the tenant suspended: the role and
    status before → after in words; a member is an actor, named where the line is read."""
    log = Log()
    changes = [
        ("member", None, "client_admin"), ("member", "client_admin", "client_viewer"),
        ("member", "client_viewer", None), ("api_key", None, "client_member"),
        ("api_key", "client_member", None), ("tenant", "active", "suspended"),
        ("tenant", "suspended", "active"),
    ]  # fmt: skip
    for subject, before, after in changes:
        change = AccessChange.make(
            subject=subject, subject_id="a1", name="CRM" if subject == "api_key" else None,
            tenant="Esempio", before=before, after=after, author="giulia",
        )  # fmt: skip
        log.save(change, actor="giulia")

    lines = _lines(log)

    assert [(line.item_kind, line.item_id, line.item_title) for line in lines] == [
        ("access", log.tenant_id, "Esempio")
    ] * 7
    assert [line.text for line in lines] == [
        "user:a1 given the role client admin by giulia",
        "role of user:a1 changed client admin → client viewer by giulia",
        "user:a1 removed by giulia (role client viewer)",
        "API key 'CRM' made by giulia, role client member",
        "API key 'CRM' revoked by giulia (role client member)",
        "'Esempio' suspended by giulia: its people and keys lost access",
        "'Esempio' reactivated by giulia: its people and keys reach it again",
    ]
    assert [render(line.template, {**line.params, "member": "Anna"}, "it") for line in lines] == [
        "ruolo amministratore dato ad Anna da giulia",
        "ruolo di Anna cambiato amministratore → lettore da giulia",
        "accesso tolto ad Anna da giulia (ruolo lettore)",
        "chiave API 'CRM' creata da giulia, ruolo membro",
        "chiave API 'CRM' revocata da giulia (ruolo membro)",
        "'Esempio' sospesa da giulia: le sue persone e chiavi non vi accedono più",
        "'Esempio' riattivata da giulia: le sue persone e chiavi vi accedono di nuovo",
    ]
    assert lines[5].changes == [FieldChange("status", "active", "suspended")]
    assert lines[2].changes == [FieldChange("role", "client_viewer", None)]
    assert line_actors(lines[:1]) == {"giulia", "user:a1"}  # its member is named as actors are


EXAMPLE_SETTINGS = {
    "name": "Esempio", "colour": "#2563eb", "fiscal_year_start_month": 1,
    "check_in_cadence_days": 7, "locale": "it", "time_zone": "Europe/Rome",
}  # fmt: skip
"""A company's settings, as made."""


def test_a_change_of_access_or_settings_says_why_when_its_author_did() -> None:
    """They may go without a reason (nothing is added then); given one, the sentence ends
    with it, in both languages."""
    log = Log()
    settings = EXAMPLE_SETTINGS
    log.save(
        SettingsChange.make(
            before=settings,
            after={**settings, "check_in_cadence_days": 14},
            author="giulia",
            reason="cadenza mensile",
        ),
        actor="giulia",
    )
    log.save(
        AccessChange.make(
            subject="tenant",
            subject_id="t",
            tenant="Esempio",
            before="active",
            after="suspended",
            author="giulia",
            reason="contract ended",
        ),
        actor="giulia",
    )

    settings_line, suspended = _lines(log)

    assert settings_line.reason == "cadenza mensile"
    assert settings_line.text == (
        "settings of 'Esempio' changed by giulia: check-in cadence 7 → 14 days;"
        " reason: 'cadenza mensile'"
    )
    assert render(suspended.template, suspended.params, "it") == (
        "'Esempio' sospesa da giulia: le sue persone e chiavi non vi accedono più;"
        " motivo: 'contract ended'"
    )


def test_a_language_and_a_fiscal_year_s_month_are_said_in_words() -> None:
    """A company's settings read "lingua it → en" and "anno fiscale dal mese 7 → 1": a
    language's code and a month's number, where its settings page names them. The lines of
    its making and of a change say the language and the month by name, in the reader's
    language."""
    log = Log()
    made = {**EXAMPLE_SETTINGS, "fiscal_year_start_month": 7}
    log.save(SettingsChange.make(before=None, after=made, author="paola"), actor="paola")
    changed = {**made, "fiscal_year_start_month": 1, "locale": "en"}
    log.save(SettingsChange.make(before=made, after=changed, author="paola"), actor="paola")

    creation, change = _lines(log)

    assert creation.text == (
        "'Esempio' made by paola: name 'Esempio', colour #2563eb, fiscal year starting in"
        " July, check-in cadence 7 days, language Italian, time zone Europe/Rome"
    )
    assert render(creation.template, creation.params, "it") == (
        "'Esempio' creata da paola: nome 'Esempio', colore #2563eb, anno fiscale da luglio,"
        " cadenza degli aggiornamenti 7 giorni, lingua italiano, fuso orario Europe/Rome"
    )
    assert change.text == (
        "settings of 'Esempio' changed by paola: fiscal year starting in July → January,"
        " language Italian → English"
    )
    assert render(change.template, change.params, "it") == (
        "impostazioni di 'Esempio' cambiate da paola: anno fiscale da luglio → gennaio,"
        " lingua italiano → inglese"
    )
    assert change.changes[0] == FieldChange("fiscal_year_start_month", "7", "1")  # as given


def test_a_check_in_cadence_of_one_day_is_said_in_the_singular() -> None:
    """A company checking in daily read "check-in cadence 1 days" ("1 giorni") where it was
    made and "7 → 1 days" where it changed: one day is a day, in both languages, in the
    API's text and the portal's words alike."""
    log = Log()
    made = {**EXAMPLE_SETTINGS, "check_in_cadence_days": 1}
    log.save(SettingsChange.make(before=None, after=made, author="paola"), actor="paola")
    weekly = {**made, "check_in_cadence_days": 7}
    log.save(SettingsChange.make(before=made, after=weekly, author="paola"), actor="paola")
    log.save(SettingsChange.make(before=weekly, after=made, author="paola"), actor="paola")

    creation, slower, daily = _lines(log)

    assert "check-in cadence 1 day," in creation.text
    assert "cadenza degli aggiornamenti 1 giorno," in Phrases(Locale("it"), {}).text(creation)
    assert slower.text.endswith("check-in cadence 1 → 7 days")
    assert daily.text.endswith("check-in cadence 7 → 1 day")
    assert Phrases(Locale("it"), {}).text(daily).endswith("aggiornamenti 7 → 1 giorno")


def test_a_password_reset_says_whose_by_whom_and_why() -> None:
    """An operator's reset of a person's password is a change of their access: its line
    names the person and who reset it, and says why when they did, in both languages."""
    log = Log()
    log.save(
        AccessChange.make(
            subject="password", subject_id="a1", tenant="Esempio", before=None,
            after="reset", author="system:operator", reason="ticket 42",
        ),
        actor="system:operator",
    )  # fmt: skip
    (line,) = _lines(log)
    assert (line.item_kind, line.template, line.reason) == (
        "access", "access.password_reset", "ticket 42"
    )  # fmt: skip
    assert line.params["member"] == "user:a1"
    assert line.changes == [FieldChange("password", None, "reset")]
    said = {**line.params, "member": "Marta", "actor": "un operatore"}
    assert render(line.template, said, "it") == (
        "password di Marta reimpostata da un operatore; motivo: 'ticket 42'"
    )
    assert render(line.template, {**said, "actor": "Ops", "reason": None}, "en") == (
        "password of Marta reset by Ops"
    )


def test_a_score_that_follows_says_so_in_the_reader_s_language() -> None:
    """An objective's score that follows a rescored key result is stored with a reason in
    both languages; each reader reads theirs (both were shown, on every page); a person's
    reason is said as written, even one that looks alike."""
    stored = FOLLOWS.format(title="Contratti: 'nuovi'")
    params = {"title": "Crescere", "before": "0.31", "after": "0.41", "actor": "Anna",
              "reason": stored}  # fmt: skip
    assert render("cycle.score_adjusted", params, "it") == (
        "punteggio di 'Crescere' modificato 0,31 → 0,41 da Anna: 'segue i punteggi di cui è"
        " fatto ('Contratti: 'nuovi'' è stato rivalutato)'"
    )
    assert said_reason(stored, "en") == (
        "follows the scores it is made of ('Contratti: 'nuovi'' was rescored)"
    )
    mixed = FOLLOWS.replace("{title}", "A", 1).replace("{title}", "B")
    for own in ("contratto firmato dopo", mixed, None):
        assert said_reason(own, "it") == own


def test_a_milestone_s_check_in_says_done_or_not_done() -> None:
    """Not "check-in 0": a milestone is done or not done, in each language."""
    log = Log()
    cycle, _, _, milestone, _ = seed_efficiency(log)  # checked in: not done
    check_in(log, cycle, milestone, 1, date(2027, 2, 20), confidence=9)
    not_done, done = [ln for ln in _lines(log) if ln.item_id == milestone.id][-2:]
    assert render(not_done.template, {**not_done.params, "actor": "Bruno"}, "it") == (
        "'Nuovo sistema di ticketing': non completato al 2027-02-15, secondo Bruno"
    )
    assert render(done.template, {**done.params, "actor": "Bruno"}, "en") == (
        "'Nuovo sistema di ticketing': done on 2027-02-20, said by Bruno, confidence 9/10"
    )
    assert done.changes[0] == FieldChange("value", "0", "1")  # the values stay numbers


def test_a_milestone_s_check_in_corrected_says_done_or_not_done() -> None:
    """A milestone's check-in says done or not done, but its correction read "corrected 1 →
    0", in the API's words and the portal's: it says "done → not done" too, in each
    language (its changes keep the numbers)."""
    log = Log()
    cycle, _, _, milestone, _ = seed_efficiency(log)
    done = check_in(log, cycle, milestone, 1, date(2027, 2, 20))
    milestone.correct_check_in(check_in_id=done, value=D(0), reason="not live yet", author="eve")
    log.save(milestone, actor="eve")

    corrected = _lines(log)[-1]

    assert corrected.text == (
        "'Nuovo sistema di ticketing': check-in for 2027-02-20 corrected done → not done by"
        " eve: 'not live yet'"
    )
    state = fold_all(log.records)  # units_of reads the same units from the read model's rows
    units: Units = {**state.key_results, **state.kpis}
    assert Phrases(Locale("it"), {}, units).text(corrected) == (
        "'Nuovo sistema di ticketing': aggiornamento del 20 feb 2027 corretto completato → non"
        " completato da eve: 'not live yet'"
    )
    assert corrected.changes == [FieldChange("value", "1", "0")]


def test_italian_says_ad_before_a_name_beginning_with_a() -> None:
    """ "ruolo ... dato ad Anna", "accesso tolto ad Andrea"; "a Marco" stays."""
    for member, said in (("Anna Neri", "dato ad Anna Neri"), ("Marco", "dato a Marco")):
        text = render("access.member_added", {"member": member, "after": "client_member",
                                              "actor": "Giulia"}, "it")  # fmt: skip
        assert said in text, text
    removed = render("access.member_removed", {"member": "andrea", "before": "client_viewer",
                                               "actor": "Giulia"}, "it")  # fmt: skip
    assert "accesso tolto ad andrea da Giulia" in removed


def test_a_daily_kpi_is_said_to_be_measured_every_day() -> None:
    """A KPI measured daily read "every 1 days" / "ogni 1 giorni" in its history, made and
    turned daily alike: it says every day / ogni giorno, and any other frequency as before;
    the frequency it had is said so too, where it read "(was 1)" and "(erano 1)", a bare
    number, in Italian a plural of one."""
    log = Log()
    meter = kpi(log, "Ordini evasi", frequency_days=1)
    meter.change_frequency(frequency_days=7, author="alice")
    meter.change_frequency(frequency_days=1, author="alice")
    log.save(meter, actor="alice")

    made, weekly, daily = _lines(log)[-3:]

    assert made.text.endswith("green 90, red 80, every day")
    assert render(made.template, made.params, "it").endswith("verde 90, rosso 80, ogni giorno")
    assert weekly.text == (
        "KPI 'Ordini evasi' to be measured every 7 days (was every day), by alice"
    )
    assert render(weekly.template, weekly.params, "it") == (
        "indicatore 'Ordini evasi' da misurare ogni 7 giorni (prima ogni giorno), da alice"
    )
    assert daily.text == "KPI 'Ordini evasi' to be measured every day (was every 7 days), by alice"
    assert render(daily.template, daily.params, "it") == (
        "indicatore 'Ordini evasi' da misurare ogni giorno (prima ogni 7 giorni), da alice"
    )


def test_a_close_says_the_scores_it_gave_and_each_item_reads_its_own() -> None:
    """A later "0,37 → 0,50" starts from a score the timeline must have shown: the close
    says the cycle's score and its objective's; the timeline of a key result or objective
    says the score the close gave it, in either language (two places, rounded down)."""
    log = Log()
    cycle, goal, response = closed_with(log, D("0.375"))
    lines = _lines(log)

    closed = lines[-1]
    assert closed.text == (
        "cycle 'Q1 2027' closed and scored by alice: score 0.37; objectives"
        " 'Efficienza operativa' 0.37 (key results: 3, objectives: 1)"
    )
    assert Phrases(Locale("it"), {}).text(closed) == (
        "ciclo 'Q1 2027' chiuso e valutato da alice: punteggio 0,37; obiettivi"
        " 'Efficienza operativa' 0,37 (risultati chiave: 3, obiettivi: 1)"
    )
    of_response = item_timeline(lines, response.id)[0]
    assert of_response.position == closed.position
    assert of_response.text == (
        "cycle 'Q1 2027' closed and scored by alice: this key result scored 0.62"
        " (cycle: score 0.37)"
    )
    assert Phrases(Locale("it"), {}).text(item_timeline(lines, goal.id)[0]) == (
        "ciclo 'Q1 2027' chiuso e valutato da alice: questo obiettivo ha ottenuto 0,37"
        " (ciclo: punteggio 0,37)"
    )
    assert item_timeline(lines, cycle.id)[0] == closed


def test_a_close_of_many_objectives_names_the_first_and_counts_the_rest() -> None:
    """Five objectives: the line names three, top-level first, titles as written ("2026"
    no number), and says how many more; each of the five reads its own score."""
    log = Log()
    cycle = active_quarter(log)
    child_of = objective(log, cycle, "Crescere")
    children = [objective(log, cycle, f"Figlio {n}", parent=child_of) for n in (1, 2)]
    tops = [child_of, objective(log, cycle, "2026"), objective(log, cycle, "Clienti")]
    ordered = [*children, *tops]  # the children first, as the event may list them
    given = map(D, ("0.9", "0.8", "0.4", "0.719", "1"))
    scores = dict(zip((o.id for o in ordered), given, strict=True))
    cycle.close(key_result_scores={}, objective_scores=scores, closed_by="alice")
    log.save(cycle)
    lines = _lines(log)

    closed = lines[-1]
    assert closed.text == (
        "cycle 'Q1 2027' closed and scored by alice: score 0.70; objectives 'Crescere' 0.40,"
        " '2026' 0.71, 'Clienti' 1.00 and 2 more (key results: 0, objectives: 5)"
    )
    assert Phrases(Locale("it"), {}).text(closed) == (
        "ciclo 'Q1 2027' chiuso e valutato da alice: punteggio 0,70; obiettivi 'Crescere'"
        " 0,40, '2026' 0,71, 'Clienti' 1,00 e altri 2 (risultati chiave: 0, obiettivi: 5)"
    )
    assert item_timeline(lines, children[1].id)[0].text.endswith(
        "this objective scored 0.80 (cycle: score 0.70)"
    )


def test_a_correction_a_later_value_of_its_day_superseded_says_the_day_s_value_stays() -> None:
    """Two check-ins for one day (20, then 19.5): the views and the diff read the day's
    value from the later, so correcting the earlier to 18 changes none of them, and its
    line "corrected 20 → 18" read as the day's value moved. It says the day's value stays
    19.5, in the API's words and the portal's (Italian); so does a KPI's
    measurement corrected so. A correction of the day's own value says nothing more."""
    log = Log()
    cycle, _, response, _, _ = seed_efficiency(log)
    log.at(date(2027, 2, 20))
    first = check_in(log, cycle, response, "20", date(2027, 2, 20))
    check_in(log, cycle, response, "19.5", date(2027, 2, 20))
    response.correct_check_in(check_in_id=first, value=D("18"), reason="typo", author="bob")
    log.save(response, actor="bob")
    feed = kpi(log)
    early = feed.record_measurement(value=D("85"), on=date(2027, 2, 18), author="alice")
    feed.record_measurement(value=D("88"), on=date(2027, 2, 18), author="alice")
    feed.correct_measurement(measurement_id=early, value=D("92"), reason="typo", author="alice")
    latest = feed.record_measurement(value=D("90"), on=date(2027, 2, 19), author="alice")
    feed.correct_measurement(measurement_id=latest, value=D("91"), reason="typo", author="alice")
    log.save(feed)

    lines = _lines(log)
    superseded = next(ln for ln in lines if ln.template == "key_result.check_in_corrected")
    measured = [ln for ln in lines if ln.template == "kpi.measurement_corrected"]

    assert superseded.text == (
        "'Ridurre il tempo di risposta': check-in for 2027-02-20 corrected 20 → 18 by bob:"
        " 'typo'; the value of 2027-02-20 stays 19.5 (a later check-in for that day)"
    )
    assert (
        Phrases(Locale("it"), {})
        .text(superseded)
        .endswith(
            "; il valore del 20 feb 2027 resta 19,5 (un aggiornamento successivo per quel giorno)"
        )
    )
    assert measured[0].text.endswith(
        "; the value of 2027-02-18 stays 88 (a later measurement for that day)"
    )
    assert "stays" not in measured[1].text and "day_value" not in measured[1].params
