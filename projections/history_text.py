"""Words of the history timeline: one template per kind of change, in English and Italian.

A history line keeps its template key and parameters, so the portal renders either language;
:func:`render` fills a template. Parameters are text already (numbers without exponent,
dates ISO: :func:`value_text`); a missing value reads as "—".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from uuid import UUID

from domain.access import OPERATOR
from domain.progress import score_places, score_shown
from projections.codec import decimal_text, text

LANGUAGES = ("en", "it")
MISSING = "—"
_PRECISION = 28  # digits of the default decimal context

TEMPLATES: dict[str, dict[str, str]] = {
    "cycle.created": {
        "en": "cycle '{title}' planned from {starts_on} to {ends_on} by {actor}",
        "it": "ciclo '{title}' pianificato dal {starts_on} al {ends_on} da {actor}",
    },
    "cycle.renamed": {
        "en": "cycle renamed '{before}' → '{after}' by {actor}",
        "it": "ciclo rinominato '{before}' → '{after}' da {actor}",
    },
    "cycle.rescheduled": {
        "en": "cycle '{title}' dates changed {starts_before} \u2013 {ends_before} →"
        " {starts_after} \u2013 {ends_after} by {actor}",
        "it": "ciclo '{title}' date cambiate {starts_before} \u2013 {ends_before} →"
        " {starts_after} \u2013 {ends_after} da {actor}",
    },
    "cycle.discarded": {
        "en": "cycle '{title}' discarded by {actor}: '{reason}'",
        "it": "ciclo '{title}' scartato da {actor}: '{reason}'",
    },
    "cycle.activated": {
        "en": "cycle '{title}' started by {actor}",
        "it": "ciclo '{title}' avviato da {actor}",
    },
    "cycle.closed": {
        "en": "cycle '{title}' closed and scored by {actor}: {scored} (key results:"
        " {key_results}, objectives: {objectives})",
        "it": "ciclo '{title}' chiuso e valutato da {actor}: {scored} (risultati chiave:"
        " {key_results}, obiettivi: {objectives})",
    },
    "cycle.score_adjusted": {
        "en": "score of '{title}' adjusted {before} → {after} by {actor}: '{reason}'",
        "it": "punteggio di '{title}' modificato {before} → {after} da {actor}: '{reason}'",
    },
    "objective.created": {
        "en": "objective '{title}' set by {actor}, owner {owner}",
        "it": "obiettivo '{title}' creato da {actor}, responsabile {owner}",
    },
    "objective.renamed": {
        "en": "objective renamed '{before}' → '{after}' by {actor}",
        "it": "obiettivo rinominato '{before}' → '{after}' da {actor}",
    },
    "objective.described": {
        "en": "description of '{title}' changed by {actor}",
        "it": "descrizione di '{title}' modificata da {actor}",
    },
    "objective.owner_changed": {
        "en": "owner of '{title}' changed {before} → {after} by {actor}",
        "it": "responsabile di '{title}' cambiato {before} → {after} da {actor}",
    },
    "objective.weight_changed": {
        "en": "weight of '{title}' changed {before} → {after} by {actor}",
        "it": "peso di '{title}' cambiato {before} → {after} da {actor}",
    },
    "objective.committed": {
        "en": "'{title}' made committed by {actor}",
        "it": "'{title}' reso vincolante da {actor}",
    },
    "objective.aspirational": {
        "en": "'{title}' made aspirational by {actor}",
        "it": "'{title}' reso aspirazionale da {actor}",
    },
    "objective.roll_up_on": {
        "en": "'{title}' now rolls up its aligned objectives (set by {actor})",
        "it": "'{title}' ora include gli obiettivi allineati (impostato da {actor})",
    },
    "objective.roll_up_off": {
        "en": "'{title}' no longer rolls up its aligned objectives (set by {actor})",
        "it": "'{title}' non include più gli obiettivi allineati (impostato da {actor})",
    },
    "objective.aligned": {
        "en": "'{title}' aligned under '{after}' by {actor}",
        "it": "'{title}' allineato sotto '{after}' da {actor}",
    },
    "objective.realigned": {
        "en": "'{title}' re-aligned '{before}' → '{after}' by {actor}",
        "it": "'{title}' riallineato '{before}' → '{after}' da {actor}",
    },
    "objective.unaligned": {
        "en": "'{title}' moved to the top level (was under '{before}') by {actor}",
        "it": "'{title}' portato al livello più alto (era sotto '{before}') da {actor}",
    },
    "objective.archived": {
        "en": "objective '{title}' archived by {actor}: '{reason}'",
        "it": "obiettivo '{title}' archiviato da {actor}: '{reason}'",
    },
    "objective.restored": {
        "en": "objective '{title}' restored by {actor}: '{reason}'",
        "it": "obiettivo '{title}' ripristinato da {actor}: '{reason}'",
    },
    "key_result.created": {
        "en": "key result '{title}' added by {actor}: from {start} to {target}",
        "it": "risultato chiave '{title}' aggiunto da {actor}: da {start} a {target}",
    },
    "key_result.created_stay_above": {
        "en": "key result '{title}' added by {actor}: stay at or above {target}",
        "it": "risultato chiave '{title}' aggiunto da {actor}: restare almeno a {target}",
    },
    "key_result.created_stay_below": {
        "en": "key result '{title}' added by {actor}: stay at or below {target}",
        "it": "risultato chiave '{title}' aggiunto da {actor}: restare al massimo a {target}",
    },
    "key_result.created_milestone": {
        "en": "milestone '{title}' added by {actor}",
        "it": "traguardo intermedio '{title}' aggiunto da {actor}",
    },
    "key_result.checked_in": {
        "en": "'{title}': check-in {after} for {on} by {actor}",
        "it": "'{title}': aggiornamento {after} per il {on} da {actor}",
    },
    "key_result.checked_in_confidence": {
        "en": "'{title}': check-in {after} for {on} by {actor}, confidence {confidence}/10",
        "it": "'{title}': aggiornamento {after} per il {on} da {actor}, fiducia {confidence}/10",
    },
    "key_result.milestone_checked_in": {
        "en": "'{title}': {after} on {on}, said by {actor}",
        "it": "'{title}': {after} al {on}, secondo {actor}",
    },
    "key_result.milestone_checked_in_confidence": {
        "en": "'{title}': {after} on {on}, said by {actor}, confidence {confidence}/10",
        "it": "'{title}': {after} al {on}, secondo {actor}, fiducia {confidence}/10",
    },
    "key_result.checked_in_from_kpi": {
        "en": "'{title}': {after} for {on} fed by KPI '{kpi}'",
        "it": "'{title}': {after} per il {on} dall'indicatore '{kpi}'",
    },
    "key_result.check_in_corrected": {
        "en": "'{title}': check-in for {on} corrected {before} → {after} by {actor}: '{reason}'",
        "it": "'{title}': aggiornamento del {on} corretto {before} → {after} da {actor}:"
        " '{reason}'",
    },
    "key_result.target_revised": {
        "en": "'{title}': target revised {before} → {after} by {actor}: '{reason}'",
        "it": "'{title}': traguardo rivisto {before} → {after} da {actor}: '{reason}'",
    },
    "key_result.renamed": {
        "en": "key result renamed '{before}' → '{after}' by {actor}",
        "it": "risultato chiave rinominato '{before}' → '{after}' da {actor}",
    },
    "key_result.weight_changed": {
        "en": "weight of '{title}' changed {before} → {after} by {actor}",
        "it": "peso di '{title}' cambiato {before} → {after} da {actor}",
    },
    "key_result.owner_changed": {
        "en": "owner of '{title}' changed {before} → {after} by {actor}",
        "it": "responsabile di '{title}' cambiato {before} → {after} da {actor}",
    },
    "key_result.due_date_changed": {
        "en": "'{title}': due date moved {before} → {after} by {actor}",
        "it": "'{title}': scadenza spostata {before} → {after} da {actor}",
    },
    "key_result.linked_to_kpi": {
        "en": "'{title}' now fed by KPI '{kpi}' (linked by {actor})",
        "it": "'{title}' ora alimentato dall'indicatore '{kpi}' (collegato da {actor})",
    },
    "key_result.unlinked_from_kpi": {
        "en": "'{title}' no longer fed by KPI '{kpi}' (unlinked by {actor})",
        "it": "'{title}' non più alimentato dall'indicatore '{kpi}' (scollegato da {actor})",
    },
    "key_result.archived": {
        "en": "key result '{title}' archived by {actor}: '{reason}'",
        "it": "risultato chiave '{title}' archiviato da {actor}: '{reason}'",
    },
    "kpi.created": {
        "en": "KPI '{title}' defined by {actor}: green {green}, red {red}, {every}",
        "it": "indicatore '{title}' definito da {actor}: verde {green}, rosso {red}, {every}",
    },
    "kpi.measured": {
        "en": "KPI '{title}': {after} measured for {on} by {actor}",
        "it": "indicatore '{title}': misurato {after} per il {on} da {actor}",
    },
    "kpi.measurement_corrected": {
        "en": "KPI '{title}': measurement for {on} corrected {before} → {after} by {actor}:"
        " '{reason}'",
        "it": "indicatore '{title}': misura del {on} corretta {before} → {after} da {actor}:"
        " '{reason}'",
    },
    "kpi.thresholds_changed": {
        "en": "KPI '{title}': thresholds changed (green {green_before} → {green_after},"
        " red {red_before} → {red_after}) by {actor}: '{reason}'",
        "it": "indicatore '{title}': soglie cambiate (verde {green_before} → {green_after},"
        " rosso {red_before} → {red_after}) da {actor}: '{reason}'",
    },
    "kpi.direction_changed": {
        "en": "KPI '{title}' turned: {after}, was {before} (green {green_before} →"
        " {green_after}, red {red_before} → {red_after}) by {actor}: '{reason}'",
        "it": "indicatore '{title}' invertito: {after}, era {before} (verde {green_before} →"
        " {green_after}, rosso {red_before} → {red_after}) da {actor}: '{reason}'",
    },
    "kpi.key_result_linked": {
        "en": "KPI '{title}' now feeds '{key_result}' (linked by {actor})",
        "it": "l'indicatore '{title}' ora alimenta '{key_result}' (collegato da {actor})",
    },
    "kpi.key_result_unlinked": {
        "en": "KPI '{title}' no longer feeds '{key_result}' (unlinked by {actor})",
        "it": "l'indicatore '{title}' non alimenta più '{key_result}' (scollegato da {actor})",
    },
    "kpi.renamed": {
        "en": "KPI renamed '{before}' → '{after}' by {actor}",
        "it": "indicatore rinominato '{before}' → '{after}' da {actor}",
    },
    "kpi.owner_changed": {
        "en": "owner of KPI '{title}' changed {before} → {after} by {actor}",
        "it": "responsabile dell'indicatore '{title}' cambiato {before} → {after} da {actor}",
    },
    "kpi.frequency_changed": {
        "en": "KPI '{title}' to be measured {every} (was {every_before}), by {actor}",
        "it": "indicatore '{title}' da misurare {every} (prima {every_before}), da {actor}",
    },
    "kpi.archived": {
        "en": "KPI '{title}' archived by {actor}: '{reason}'",
        "it": "indicatore '{title}' archiviato da {actor}: '{reason}'",
    },
    "event.recorded": {
        "en": "{topic} recorded by {actor}",
        "it": "{topic} registrato da {actor}",
    },
    "tenant.settings_changed": {
        "en": "settings of '{title}' changed by {actor}: {what}",
        "it": "impostazioni di '{title}' cambiate da {actor}: {what}",
    },
    "tenant.created": {
        "en": "'{title}' made by {actor}: {what}",
        "it": "'{title}' creata da {actor}: {what}",
    },
    "access.member_added": {
        "en": "{member} given the role {after} by {actor}",
        "it": "ruolo {after} dato a {member} da {actor}",
    },
    "access.member_role_changed": {
        "en": "role of {member} changed {before} → {after} by {actor}",
        "it": "ruolo di {member} cambiato {before} → {after} da {actor}",
    },
    "access.member_removed": {
        "en": "{member} removed by {actor} (role {before})",
        "it": "accesso tolto a {member} da {actor} (ruolo {before})",
    },
    "access.api_key_created": {
        "en": "API key '{name}' made by {actor}, role {after}",
        "it": "chiave API '{name}' creata da {actor}, ruolo {after}",
    },
    "access.api_key_revoked": {
        "en": "API key '{name}' revoked by {actor} (role {before})",
        "it": "chiave API '{name}' revocata da {actor} (ruolo {before})",
    },
    "access.password_link_made": {
        "en": "password link for {member} made by {actor}",
        "it": "collegamento per la password di {member} creato da {actor}",
    },
    "access.password_reset": {
        "en": "password of {member} reset by {actor}",
        "it": "password di {member} reimpostata da {actor}",
    },
    "access.suspended": {
        "en": "'{title}' suspended by {actor}: its people and keys lost access",
        "it": "'{title}' sospesa da {actor}: le sue persone e chiavi non vi accedono più",
    },
    "access.reactivated": {
        "en": "'{title}' reactivated by {actor}: its people and keys reach it again",
        "it": "'{title}' riattivata da {actor}: le sue persone e chiavi vi accedono di nuovo",
    },
}
NOTED_TEMPLATES: dict[str, dict[str, str]] = {
    "key_result.check_in_corrected": {
        "en": "'{title}': check-in for {on} corrected {before} → {after}, {noted}, by {actor}:"
        " '{reason}'",
        "it": "'{title}': aggiornamento del {on} corretto {before} → {after}, {noted}, da"
        " {actor}: '{reason}'",
    },
    "kpi.measurement_corrected": {
        "en": "KPI '{title}': measurement for {on} corrected {before} → {after}, {noted}, by"
        " {actor}: '{reason}'",
        "it": "indicatore '{title}': misura del {on} corretta {before} → {after}, {noted}, da"
        " {actor}: '{reason}'",
    },
}
"""A correction that changed its note or a check-in's confidence too (its line's "note"
parameter, the note after it; "confidence"): said in place of its template's sentence,
{noted} from CONFIDENCE_TEXTS and NOTE_TEXTS, by commas."""
DESCRIBED_TEMPLATE = "objective.described"
DESCRIBED_TEXTS = {
    "written": {
        "en": "description of '{title}' written by {actor}: '{after}'",
        "it": "descrizione di '{title}' scritta da {actor}: '{after}'",
    },
    "changed": {
        "en": "description of '{title}' changed by {actor}: '{before}' → '{after}'",
        "it": "descrizione di '{title}' modificata da {actor}: '{before}' → '{after}'",
    },
    "taken_away": {
        "en": "description of '{title}' taken away by {actor} (was '{before}')",
        "it": "descrizione di '{title}' tolta da {actor} (era '{before}')",
    },
}
"""An objective's description: written where it had none, changed, or taken away ("")."""
NOTE_TEXTS = {
    "changed": {"en": "note '{note}'", "it": "nota '{note}'"},
    "taken_away": {"en": "note taken away", "it": "nota tolta"},
}
"""A correction's note: the note it leaves, or none left ("": taken away)."""
DAY_STANDS_TEXTS = {
    "key_result.check_in_corrected": {
        "en": "; the value of {on} stays {day_value} (a later check-in for that day)",
        "it": "; il valore del {on} resta {day_value} (un aggiornamento successivo per quel"
        " giorno)",
    },
    "kpi.measurement_corrected": {
        "en": "; the value of {on} stays {day_value} (a later measurement for that day)",
        "it": "; il valore del {on} resta {day_value} (una misura successiva per quel giorno)",
    },
}
"""A correction of a check-in or measurement that a later one of its day had superseded
(its line's "day_value": the day's value, which stays): the views and the diff read the
day's value from the later one, so the correction changes none of them, and its
"20 → 18" alone read as the day's value moved."""
NOTE_ENDED_TEMPLATES = frozenset(
    {
        "key_result.checked_in", "key_result.checked_in_confidence",
        "key_result.milestone_checked_in", "key_result.milestone_checked_in_confidence",
        "key_result.checked_in_from_kpi", "kpi.measured",
    }
)  # fmt: skip
"""A value given with a note (its line's "note" parameter): said at the end of its
sentence, from NOTE_TEXTS, after a comma."""
CONFIDENCE_TEXTS = {
    "changed": {
        "en": "confidence {before}/10 → {after}/10",
        "it": "fiducia {before}/10 → {after}/10",
    },
    "given": {"en": "confidence {after}/10", "it": "fiducia {after}/10"},
}
"""A check-in's correction's confidence ("confidence"), from the one it had
("confidence_before"), or given where it had none."""
CLOSED_TEMPLATE = "cycle.closed"
SAID_OBJECTIVES = 3
"""How many objectives a close's line names with their scores ("objective_1", and its
"objective_1_score", …): the top-level ones first; of the others it says how many more."""
CLOSED_TITLES = frozenset(f"objective_{n}" for n in range(1, SAID_OBJECTIVES + 1))
CLOSED_TEXTS = {
    "score": {"en": "score {score}", "it": "punteggio {score}"},
    "no_score": {"en": "no score", "it": "nessun punteggio"},
    "objectives": {"en": "; objectives {said}", "it": "; obiettivi {said}"},
    "objective": {"en": "'{title}' {score}", "it": "'{title}' {score}"},
    "one_more": {"en": " and 1 more", "it": " e un altro"},
    "more": {"en": " and {n} more", "it": " e altri {n}"},
}
"""A close's {scored}: the cycle's score, then its first objectives' and how many more."""
CLOSED_FOR_TEXTS = {
    "key_result": {
        "en": "cycle '{title}' closed and scored by {actor}: this key result scored"
        " {item_score} (cycle: {scored})",
        "it": "ciclo '{title}' chiuso e valutato da {actor}: questo risultato chiave ha"
        " ottenuto {item_score} (ciclo: {scored})",
    },
    "objective": {
        "en": "cycle '{title}' closed and scored by {actor}: this objective scored"
        " {item_score} (cycle: {scored})",
        "it": "ciclo '{title}' chiuso e valutato da {actor}: questo obiettivo ha ottenuto"
        " {item_score} (ciclo: {scored})",
    },
}
"""A close read in the timeline of a key result or objective it scored (its line's
"scored_kind" and "item_score", see history.as_read_for)."""
ADJUSTED_TEMPLATE = "cycle.score_adjusted"
CYCLE_SCORE = ("cycle_before", "cycle_after")
"""A score adjusted that moved its cycle's score: the cycle's score before and after."""
ADJUSTED_CYCLE_TEXTS = {
    "en": "score of '{title}' adjusted {before} → {after} by {actor} (cycle: score"
    " {cycle_before} → {cycle_after}): '{reason}'",
    "it": "punteggio di '{title}' modificato {before} → {after} da {actor} (ciclo: punteggio"
    " {cycle_before} → {cycle_after}): '{reason}'",
}
"""A score adjusted that moved its cycle's score says so, as a close says the cycle's."""
SCORE_PARAMS: dict[str, frozenset[str]] = {
    CLOSED_TEMPLATE: frozenset(
        {"score", "item_score", *(f"{title}_score" for title in CLOSED_TITLES)}
    ),
    ADJUSTED_TEMPLATE: frozenset({"before", "after", *CYCLE_SCORE}),
}
"""The parameters of a line that are scores: said to two places, rounded down, as the
portal shows scores ("0.40 → 0.70", not "0.4 → 0.7")."""
SETTINGS_TEMPLATE = "tenant.settings_changed"
"""A change of the tenant's settings: {what} says each setting changed, from SETTING_TEXTS
and the line's "<setting>.before" and "<setting>.after"; "settings" names them, by commas."""
SETTING_TEXTS: dict[str, dict[str, str]] = {
    "name": {"en": "name '{before}' → '{after}'", "it": "nome '{before}' → '{after}'"},
    "colour": {"en": "colour {before} → {after}", "it": "colore {before} → {after}"},
    "fiscal_year_start_month": {
        "en": "fiscal year starting in {before} → {after}",
        "it": "anno fiscale da {before} → {after}",
    },
    "check_in_cadence_days": {
        "en": "check-in cadence {before} → {after} days",
        "it": "cadenza degli aggiornamenti {before} → {after} giorni",
    },
    "check_in_cadence_days.one": {
        "en": "check-in cadence {before} → {after} day",
        "it": "cadenza degli aggiornamenti {before} → {after} giorno",
    },
    "locale": {"en": "language {before} → {after}", "it": "lingua {before} → {after}"},
    "time_zone": {"en": "time zone {before} → {after}", "it": "fuso orario {before} → {after}"},
}
MONTH_NAMES = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"],
    "it": ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
           "settembre", "ottobre", "novembre", "dicembre"],
}  # fmt: skip
"""The months by name, in each language (the portal's dates say them too: catalog)."""
SETTING_WORDS: dict[str, dict[str, dict[str, str]]] = {
    "locale": {
        "it": {"en": "Italian", "it": "italiano"},
        "en": {"en": "English", "it": "inglese"},
    },
    "fiscal_year_start_month": {
        str(number): {"en": english, "it": italian}
        for number, (english, italian) in enumerate(
            zip(MONTH_NAMES["en"], MONTH_NAMES["it"], strict=True), start=1
        )
    },
}
"""A setting's values in words, by setting and value: a language by name, not its code; a
month by name, not its number (as the settings page offers them)."""
CREATED_TEMPLATE = "tenant.created"
"""The settings a tenant was made with: {what} says each, from SETTING_VALUE_TEXTS."""
SETTING_VALUE_TEXTS: dict[str, dict[str, str]] = {
    name: {language: re.sub(r"'?\{before\}'? → ", "", text) for language, text in texts.items()}
    for name, texts in SETTING_TEXTS.items()
}
"""SETTING_TEXTS without their before: "check-in cadence {after} days"."""
ACCESS_TEMPLATES = frozenset(t for t in TEMPLATES if t.startswith("access."))
"""Changes of access (domain.access): {before} and {after} are roles, said in ROLE_TEXTS."""
ROLE_TEXTS: dict[str, dict[str, str]] = {
    "consultancy_admin": {"en": "consultancy admin", "it": "amministratore della consulenza"},
    "consultant": {"en": "consultant", "it": "consulente"},
    "client_admin": {"en": "client admin", "it": "amministratore"},
    "client_member": {"en": "client member", "it": "membro"},
    "client_viewer": {"en": "client viewer", "it": "lettore"},
}
SYSTEM_TEXTS: dict[str, dict[str, str]] = {
    OPERATOR: {"en": "an operator", "it": "un operatore"},
}
"""Who a `system:` actor with words of its own is: the operator who reset a password."""
SYSTEM_TEXT = {"en": "the system", "it": "il sistema"}
"""Any other `system:` actor (the load of okr bench, system:bench-load)."""
_SYSTEM_ACTOR = re.compile(r"system:\S+")
UNNAMED_TEXTS: dict[str, dict[str, str]] = {
    "key": {"en": "an integration", "it": "un'integrazione"},
    "user": {"en": "someone", "it": "qualcuno"},
}
"""Who an actor no name was found for is: a key not the tenant's (or gone), an account not
known here."""
ACTOR = re.compile(r"(?:user|key|system):\S+")
"""A value that names an actor (or an owner given as one): said as said_person says it."""
RENAMED_TEMPLATE = "cycle.renamed"
"""A cycle renamed: its reason, if one was given, said at the end (REASON_TEXTS)."""
RESCHEDULED_TEMPLATE = "cycle.rescheduled"
"""A cycle's days set right: its reason, if one was given, said at the end too."""
OPTIONAL_REASON = frozenset(
    {SETTINGS_TEMPLATE, CREATED_TEMPLATE, RENAMED_TEMPLATE, RESCHEDULED_TEMPLATE,
     *ACCESS_TEMPLATES}
)  # fmt: skip
"""Changes that may go without a reason: their sentence says it only when given."""
REASON_TEXTS = {"en": "; reason: '{reason}'", "it": "; motivo: '{reason}'"}
PARENT_TEXTS = {"en": ", aligned under '{parent}'", "it": ", allineato sotto '{parent}'"}
"""An objective made aligned under another (its line's "parent"): said after its owner."""
OBJECTIVE_CREATED = "objective.created"
MADE_AS_TEXTS = {
    "company": {"en": "company level", "it": "livello aziendale"},
    "team": {"en": "team level", "it": "livello di team"},
    "individual": {"en": "individual level", "it": "livello individuale"},
    "true": {"en": "committed", "it": "vincolante"},
    "false": {"en": "aspirational", "it": "aspirazionale"},
}
"""An objective's level and commitment (its line's "level" and "committed"), said after its
owner; a line written before it carried them (history version 13) says neither."""
DESCRIPTION_TEXTS = {
    "en": ", described as '{description}'",
    "it": ", descritto come '{description}'",
}
"""An objective made with a description (its line's "description"): said last."""
KINDS = frozenset(TEMPLATES) | {
    template.partition(".")[0] for template in TEMPLATES if template != "event.recorded"
}
"""What the history can be filtered by: a kind of change ("key_result.target_revised") or of
item ("key_result")."""
SAID_OTHERWISE = {
    "key_result.checked_in": (
        "key_result.checked_in_confidence", "key_result.checked_in_from_kpi",
        "key_result.milestone_checked_in", "key_result.milestone_checked_in_confidence",
    ),
    "key_result.created": (
        "key_result.created_stay_above", "key_result.created_stay_below",
        "key_result.created_milestone",
    ),
}  # fmt: skip
"""Kinds of change whose lines some sentences say in their own way (a check-in with a
confidence, of a milestone, fed by a KPI; a guardrail or a milestone added): filtered by the
kind, the history gives them all, where it gave only the lines of its own sentence (1 of a
demo's 126 check-ins)."""


def templates_of(kind: str) -> tuple[str, ...]:
    """What a kind filter matches: the kind (a template, or an item's kind) and the other
    sentences of that kind of change."""
    return (kind, *SAID_OTHERWISE.get(kind, ()))


MEASURED_PARAMS = {
    "key_result.created": frozenset({"start", "target"}),
    "key_result.created_stay_above": frozenset({"target"}),
    "key_result.created_stay_below": frozenset({"target"}),
    "key_result.checked_in": frozenset({"after"}),
    "key_result.checked_in_confidence": frozenset({"after"}),
    "key_result.checked_in_from_kpi": frozenset({"after"}),
    "key_result.check_in_corrected": frozenset({"before", "after", "day_value"}),
    "key_result.target_revised": frozenset({"before", "after"}),
    "kpi.created": frozenset({"green", "red"}),
    "kpi.measured": frozenset({"after"}),
    "kpi.measurement_corrected": frozenset({"before", "after", "day_value"}),
    "kpi.thresholds_changed": frozenset({"green_before", "green_after", "red_before", "red_after"}),
    "kpi.direction_changed": frozenset({"green_before", "green_after", "red_before", "red_after"}),
}
"""The parameters of each sentence that are values of its item's unit (a key result's, a
KPI's): where the reader knows the unit, they read "€ 118.000", not "118.000"."""


class _Params(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return MISSING


DIRECTION_TEMPLATE = "kpi.direction_changed"
DIRECTION_TEXTS = {
    "higher_is_better": {"en": "higher is better", "it": "più alto è meglio"},
    "lower_is_better": {"en": "lower is better", "it": "più basso è meglio"},
}
"""A KPI's direction, as its line says it ({before} and {after})."""
EVERY = {
    "kpi.created": {"every": "frequency_days"},
    "kpi.frequency_changed": {"every": "after", "every_before": "before"},
}
"""The lines that say how often a KPI is measured ({every}, and {every_before} it was), and
of which parameter."""
EVERY_TEXTS = {
    "one": {"en": "every day", "it": "ogni giorno"},
    "many": {"en": "every {n} days", "it": "ogni {n} giorni"},
}
"""How often a KPI is measured: every day, not "every 1 days"."""

MILESTONE_TEMPLATES = frozenset(
    {"key_result.milestone_checked_in", "key_result.milestone_checked_in_confidence"}
)
MILESTONE_TEXTS = {
    "1": {"en": "done", "it": "completato"},
    "0": {"en": "not done", "it": "non completato"},
}
"""A milestone's check-in says done or not done, not "check-in 1" (as a person reads it,
whatever the number's local form: the values are 0 and 1)."""


def _of_milestone(template: str, params: Mapping[str, str | None]) -> bool:
    """A milestone's check-in, or its correction (whose line has a "kind" of "milestone")."""
    return template in MILESTONE_TEMPLATES or (
        template == "key_result.check_in_corrected" and params.get("kind") == "milestone"
    )


FOLLOWS = (
    "follows the scores it is made of ('{title}' was rescored)"
    " / segue i punteggi di cui è fatto ('{title}' è stato rivalutato)"
)
"""The reason an objective's score follows with (services.app.cycles), stored in the event
in both of the portal's languages, as a person's reason is; said in the reader's (see
said_reason)."""
_FOLLOWS = re.compile(re.escape(FOLLOWS).replace(re.escape("{title}"), "(.*)"), re.DOTALL)
_FOLLOWS_TEXTS = {
    "en": "follows the scores it is made of ('{title}' was rescored)",
    "it": "segue i punteggi di cui è fatto ('{title}' è stato rivalutato)",
}


def said_reason(reason: str | None, language: str = "en") -> str | None:
    """A stored reason as the reader reads it: the half of a score's FOLLOWS in their
    language, any other as it was written."""
    found = _FOLLOWS.fullmatch(reason) if reason else None
    if found is None or found[1] != found[2]:
        return reason
    return _in(_FOLLOWS_TEXTS, language).format(title=found[1])


def said_system(actor: str | None, language: str = "en") -> str | None:
    """A `system:` actor as the reader reads it ("an operator", else "the system"), as no
    account's name is; None for any other actor."""
    if actor is None or not _SYSTEM_ACTOR.fullmatch(actor):
        return None
    return _in(SYSTEM_TEXTS.get(actor, SYSTEM_TEXT), language)


def said_person(actor: str | None, names: Mapping[str, str], language: str = "en") -> str:
    """Who an actor (or an owner) is, in words: their name in `names`, a `system:` actor as
    said_system says it, "an integration" for a key with no name, "someone" for an account
    not known here; an owner given as plain text ("Anna Neri"), or an import's "user:anna"
    (no account's id), as written ("anna")."""
    if actor is not None and actor in names:
        return names[actor]
    said = said_system(actor, language)
    if said is not None:
        return said
    kind, _, rest = (actor or "").partition(":")
    if kind == "key":
        return _in(UNNAMED_TEXTS["key"], language)
    if actor and (kind != "user" or not _is_uuid(rest)):
        return rest if kind == "user" else actor
    return _in(UNNAMED_TEXTS["user"], language)


def _is_uuid(text: str) -> bool:
    try:
        UUID(text)
    except ValueError:
        return False
    return True


def render(template: str, params: Mapping[str, str | None], language: str = "en") -> str:
    """The sentence of a history line in a language ("en" or "it"; others fall back to en)."""
    noted = NOTED_TEMPLATES.get(template)
    also = [n for n in ("confidence", "note") if params.get(n) is not None] if noted else []
    said = noted if noted and also else TEMPLATES.get(template, TEMPLATES["event.recorded"])
    if template == DESCRIBED_TEMPLATE and "after" in params:  # (its before and after)
        said = DESCRIBED_TEXTS[_described(params)]
    if template == ADJUSTED_TEMPLATE and CYCLE_SCORE[1] in params:
        said = ADJUSTED_CYCLE_TEXTS
    pattern = _in(said, language)
    values = _Params({k: MISSING if v is None else v for k, v in params.items()})
    if also:
        values["noted"] = ", ".join(_noted(name, params, language) for name in also)
    if template in (SETTINGS_TEMPLATE, CREATED_TEMPLATE):
        texts = SETTING_TEXTS if template == SETTINGS_TEMPLATE else SETTING_VALUE_TEXTS
        values["what"] = ", ".join(
            _in(texts[_one(name, values[f"{name}.after"], texts)], language).format(
                before=_setting(name, values[f"{name}.before"], language),
                after=_setting(name, values[f"{name}.after"], language),
            )
            for name in values["settings"].split(",")
            if name in texts
        )
    elif template in ACCESS_TEMPLATES:
        for side in ("before", "after"):
            if values[side] in ROLE_TEXTS:
                values[side] = _in(ROLE_TEXTS[values[side]], language)
    elif _of_milestone(template, params) or template == DIRECTION_TEMPLATE:
        texts = MILESTONE_TEXTS if _of_milestone(template, params) else DIRECTION_TEXTS
        for side in ("before", "after", *(("day_value",) if "day_value" in params else ())):
            if values[side] in texts:
                values[side] = _in(texts[values[side]], language)
    for name in SCORE_PARAMS.get(template, ()):
        if params.get(name) is not None:
            places = score_places_of(template, params, name)
            values[name] = _score_said(values[name], language, places)
    if template == CLOSED_TEMPLATE:
        values["scored"] = _scored(params, values, language)
        if params.get("item_score") is not None:
            pattern = _in(CLOSED_FOR_TEXTS[params.get("scored_kind") or "key_result"], language)
    for said_as, name in EVERY.get(template, {}).items():
        n = values[name]
        values[said_as] = _in(EVERY_TEXTS["one" if n == "1" else "many"], language).format(n=n)
    if template == OBJECTIVE_CREATED:
        pattern += _made_as(params, values, language)
    if template in NOTE_ENDED_TEMPLATES and params.get("note"):
        pattern += ", " + _in(NOTE_TEXTS["changed"], language)
    if template in DAY_STANDS_TEXTS and params.get("day_value") is not None:
        pattern += _in(DAY_STANDS_TEXTS[template], language)
    if template in OPTIONAL_REASON and params.get("reason") is not None:
        pattern += _in(REASON_TEXTS, language)
    if params.get("reason") is not None:
        values["reason"] = said_reason(values["reason"], language) or MISSING
    if language == "it":  # "dato ad Anna", not "a Anna"
        pattern = _A_NAME.sub(
            lambda m: ("ad " if values[m[1]][:1] in "aA" else "a ") + m[0][2:], pattern
        )
    return pattern.format_map(values)


def _made_as(params: Mapping[str, str | None], values: dict[str, str], language: str) -> str:
    """What an objective's creation says after its owner (of the pattern, its words filled
    in `values`): its level and commitment, the objective it was aligned under, its
    description."""
    said = ""
    for name in ("level", "committed"):
        words = MADE_AS_TEXTS.get(params.get(name) or "")
        if words is not None:
            values[name] = _in(words, language)
            said += f", {{{name}}}"
    if params.get("parent"):
        said += _in(PARENT_TEXTS, language)
    if params.get("description"):
        said += _in(DESCRIPTION_TEXTS, language)
    return said


def score_places_of(template: str, params: Mapping[str, str | None], name: str = "after") -> int:
    """The places a line's score `name` is said to: those that tell a score adjusted from
    its before (domain.progress.score_places: 0.669 → 0.661), the item's or its cycle's
    (CYCLE_SCORE), each pair its own; two for any other line."""
    if template != ADJUSTED_TEMPLATE:
        return 2
    pair = CYCLE_SCORE if name in CYCLE_SCORE else ("before", "after")
    return score_places(*(_number(params.get(side)) for side in pair))


def _number(value: str | None) -> Decimal | None:
    """A parameter as a number; None: none, or words."""
    try:
        return None if value is None else Decimal(value)
    except InvalidOperation:
        return None


def _score_said(value: str, language: str, places: int = 2) -> str:
    """A score to two places (or `places`), rounded down (domain.progress.score_shown), in
    the language's decimal mark; a value given already in words (the portal's "0,40") as
    it is."""
    number = _number(value)
    if number is None or not number.is_finite():
        return value
    said = f"{score_shown(number, places):.{places}f}"
    return said.replace(".", ",") if language == "it" else said


def _scored(params: Mapping[str, str | None], values: Mapping[str, str], language: str) -> str:
    """A close's {scored} (CLOSED_TEXTS): the cycle's score, its first objectives' scores,
    and how many more objectives it scored; read for one item, the cycle's score alone."""
    score = params.get("score")
    texts = CLOSED_TEXTS
    said = _in(texts["no_score" if score is None else "score"], language)
    said = said.format(score=values["score"])
    titles = sorted(t for t in CLOSED_TITLES if t in params)
    if not titles or params.get("item_score") is not None:
        return said
    objectives = ", ".join(
        _in(texts["objective"], language).format(title=values[t], score=values[f"{t}_score"])
        for t in titles
    )
    more = sum(1 for key in params if key.startswith("objective:")) - len(titles)
    if more == 1:
        objectives += _in(texts["one_more"], language)
    elif more > 1:
        objectives += _in(texts["more"], language).format(n=more)
    return said + _in(texts["objectives"], language).format(said=objectives)


def _described(params: Mapping[str, str | None]) -> str:
    """How a description changed (DESCRIBED_TEXTS)."""
    if not params.get("before"):
        return "written"
    return "changed" if params.get("after") else "taken_away"


def _one(name: str, value: str, texts: Mapping[str, object]) -> str:
    """The words of a setting whose value is 1, where it has its own ("<name>.one": "1 day",
    not "1 days"), else its own name."""
    one = f"{name}.one"
    return one if value == "1" and one in texts else name


def _setting(name: str, value: str, language: str) -> str:
    """A setting's value as its line says it (SETTING_WORDS), else as given."""
    said = SETTING_WORDS.get(name, {}).get(value)
    return value if said is None else _in(said, language)


def _noted(name: str, params: Mapping[str, str | None], language: str) -> str:
    """What a correction changed besides the value, said (see NOTED_TEMPLATES)."""
    if name == "confidence":
        before = params.get("confidence_before")
        said = CONFIDENCE_TEXTS["given" if before is None else "changed"]
        return _in(said, language).format(before=before, after=params["confidence"])
    note = params["note"]
    return _in(NOTE_TEXTS["changed" if note else "taken_away"], language).format(note=note)


_A_NAME = re.compile(r"\ba \{(member|actor|name)\}")


def _in(texts: Mapping[str, str], language: str) -> str:
    return texts.get(language, texts["en"])


_REMEMBERED = 8192
_said: dict[Decimal, str] = {}
"""Numbers said lately: a check-in's value is said again as the next one's "before"."""


def number_text(value: Decimal) -> str:
    """:func:`projections.codec.decimal_text` (60, 19.2, 0.625); equal Decimals say the
    same, so the words of recent ones are remembered."""
    try:
        said = _said.get(value)
    except TypeError:  # a signalling NaN has no hash
        return decimal_text(value)
    if said is None:
        if len(_said) >= _REMEMBERED:
            _said.clear()
        said = _said[value] = _plain(value)
    return said


def _plain(value: Decimal) -> str:
    """decimal_text, mostly without Decimal arithmetic: str() already says it when it has no
    exponent, no trailing zero and fewer digits than normalize() rounds to; without an
    exponent, trailing zeros are cut as text."""
    plain = str(value)
    if "E" in plain or "e" in plain or len(plain) >= _PRECISION:
        return decimal_text(value)
    if plain[-1] in "123456789" or not value.is_finite():  # NaN, Infinity: str() as well
        return plain
    if "." in plain:
        plain = plain.rstrip("0").rstrip(".")
    return "0" if plain in ("", "-", "-0") else plain


date_text: Callable[[date], str] = lru_cache(maxsize=4096)(date.isoformat)
"""A date as ISO text (a few hundred days, said over and over)."""

_TEXT_OF: dict[type, Callable[[Any], str]] = {
    str: str,
    int: str,
    bool: lambda value: "true" if value else "false",
    Decimal: number_text,
    date: date_text,
    datetime: datetime.isoformat,
    UUID: str,
}


def value_text(value: object) -> str | None:
    """:func:`projections.codec.text`, by exact type: the same words, cheaper (a hot spot)."""
    if value is None:
        return None
    convert = _TEXT_OF.get(type(value))
    return text(value) if convert is None else convert(value)
