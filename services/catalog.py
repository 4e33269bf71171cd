"""Every word the portal prints, in Italian and English (GLOSSARY.md's Italian domain words).

Keys are dotted; ``{name}`` placeholders are filled by :meth:`Locale.t`. A key missing in
one language falls back to English; a test checks both languages have every key.
"""

from __future__ import annotations

from projections.history_text import EVERY_TEXTS, MONTH_NAMES

M = dict[str, dict[str, str]]

_APP: M = {
    "app.name": {"it": "OKR", "en": "OKR"},
    "footer.text": {
        "it": "Obiettivi e risultati chiave — ogni modifica resta nello storico.",
        "en": "Objectives and key results — every change stays in the history.",
    },
    "nav.skip": {"it": "Vai al contenuto", "en": "Skip to content"},
    "nav.label": {"it": "Sezioni", "en": "Sections"},
    "nav.portfolio": {"it": "Portafoglio clienti", "en": "Portfolio"},
    "nav.dashboard": {"it": "Cruscotto", "en": "Dashboard"},
    "nav.history": {"it": "Storico", "en": "History"},
    "nav.audit": {"it": "Registro modifiche", "en": "Audit trail"},
    "nav.sign_out": {"it": "Esci", "en": "Sign out"},
    "nav.breadcrumb": {"it": "Percorso", "en": "Breadcrumb"},
    "lang.switch": {"it": "English", "en": "Italiano"},
    "action.show": {"it": "Mostra", "en": "Show"},
    "action.compare": {"it": "Confronta", "en": "Compare"},
    "action.filter": {"it": "Filtra", "en": "Filter"},
    "action.reset": {"it": "Azzera i filtri", "en": "Clear filters"},
    "yes": {"it": "sì", "en": "yes"},
    "no": {"it": "no", "en": "no"},
    "person.left": {"it": "non più membro", "en": "no longer a member"},
    "months.short": {
        "it": "gen feb mar apr mag giu lug ago set ott nov dic",
        "en": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec",
    },
    "months.long": {language: " ".join(names) for language, names in MONTH_NAMES.items()},
}

_UNITS: M = {
    "unit.hours": {"it": "{n}\u00a0ore", "en": "{n}\u00a0hours"},
    "unit.hour": {"it": "{n}\u00a0ora", "en": "{n}\u00a0hour"},
    "unit.out_of": {"it": "{n} su {of}", "en": "{n} of {of}"},
    "unit.million": {"it": "\u00a0Mln", "en": "M"},
    "milestone.done": {"it": "Completato", "en": "Done"},
    "milestone.not_done": {"it": "Non completato", "en": "Not done"},
}

_STATES: M = {
    "status.on_track": {"it": "In linea", "en": "On track"},
    "status.at_risk": {"it": "A rischio", "en": "At risk"},
    "status.off_track": {"it": "Fuori rotta", "en": "Off track"},
    "status.done": {"it": "Completato", "en": "Done"},
    "status.not_started": {"it": "Non iniziato", "en": "Not started"},
    "health.green": {"it": "In salute", "en": "Healthy"},
    "health.amber": {"it": "Da tenere d'occhio", "en": "Watch"},
    "health.red": {"it": "Critico", "en": "Unhealthy"},
    "health.none": {"it": "Nessuna misura", "en": "No measurement"},
    "cycle_action.activate": {"it": "Avvia il ciclo", "en": "Start the cycle"},
    "cycle_action.activate_done": {"it": "Ciclo avviato.", "en": "Cycle started."},
    "cycle_action.close": {"it": "Chiudi il ciclo", "en": "Close the cycle"},
    "cycle_action.close_explained": {
        "it": "Chiudendo «{name}» ogni risultato chiave e obiettivo riceve il punteggio di come"
        " sta oggi, e non si registrano più aggiornamenti; le correzioni restano possibili,"
        " ma non cambiano i punteggi.",
        "en": "Closing '{name}' gives every key result and objective the score of how it"
        " stands today, and takes no more check-ins; corrections stay possible, but do not"
        " change the scores.",
    },
    "cycle_action.close_confirm": {
        "it": "Chiudi e fissa i punteggi",
        "en": "Close and set the scores",
    },
    "cycle_action.close_done": {
        "it": "Ciclo chiuso: i punteggi sono fissati.",
        "en": "Cycle closed: the scores are set.",
    },
    "cycle_state.planning": {"it": "in pianificazione", "en": "planning"},
    "cycle_state.active": {"it": "attivo", "en": "active"},
    "cycle_state.closed": {"it": "chiuso", "en": "closed"},
    "level.company": {"it": "Aziendale", "en": "Company"},
    "level.team": {"it": "Di team", "en": "Team"},
    "level.individual": {"it": "Individuale", "en": "Individual"},
    "objective.committed": {"it": "vincolante", "en": "committed"},
    "objective.weight": {"it": "peso {weight}", "en": "weight {weight}"},
    "objective.rolls_up": {
        "it": "conta gli obiettivi allineati",
        "en": "counts its aligned objectives",
    },
    "objective.aspirational": {"it": "aspirazionale", "en": "aspirational"},
    "source.manual": {"it": "inserito a mano", "en": "entered by hand"},
    "source.api": {"it": "da integrazione", "en": "from an integration"},
    "source.kpi": {"it": "dall'indicatore collegato", "en": "from the linked KPI"},
    "source.correction": {"it": "correzione", "en": "correction"},
    "score.value": {"it": "Punteggio {score}", "en": "Score {score}"},
    "score.heading": {"it": "Punteggio", "en": "Score"},
}

_DASHBOARD: M = {
    "dashboard.cycle": {"it": "Ciclo", "en": "Cycle"},
    "dashboard.by_status": {"it": "Risultati chiave per stato", "en": "Key results by status"},
    "dashboard.no_cycles": {"it": "Ancora nessun ciclo.", "en": "No cycles yet."},
    "dashboard.no_objectives": {
        "it": "Nessun obiettivo in questo ciclo.",
        "en": "No objectives in this cycle.",
    },
    "progress.of": {"it": "Avanzamento di {title}", "en": "Progress of {title}"},
    "progress.none": {"it": "nessun avanzamento misurabile", "en": "nothing measurable yet"},
    "progress.expected": {"it": "Avanzamento atteso {pct}", "en": "Expected progress {pct}"},
    "progress.over": {"it": "+{pct} oltre il traguardo", "en": "+{pct} over target"},
    "kr.heading": {"it": "Risultato chiave", "en": "Key result"},
    "kr.summary": {"it": "Come sta andando", "en": "How it stands"},
    "kr.value": {"it": "Valore attuale", "en": "Current value"},
    "kr.value_on": {"it": "Valore il {date}", "en": "Value on {date}"},
    "kr.start": {"it": "Partenza", "en": "Start"},
    "kr.target": {"it": "Traguardo", "en": "Target"},
    "kr.target_value": {"it": "{value}", "en": "{value}"},
    "kr.at_least": {"it": "almeno {value}", "en": "at least {value}"},
    "kr.at_most": {"it": "al massimo {value}", "en": "at most {value}"},
    "kr.milestone": {"it": "Completato", "en": "Done"},
    "kr.original_target": {"it": "Traguardo iniziale", "en": "Original target"},
    "kr.expected": {"it": "Avanzamento atteso oggi", "en": "Expected progress today"},
    "kr.expected_on": {"it": "Avanzamento atteso il {date}", "en": "Expected progress on {date}"},
    "kr.confidence": {"it": "Fiducia", "en": "Confidence"},
    "kr.confidence_value": {"it": "{n}/10", "en": "{n}/10"},
    "kr.owner": {"it": "Responsabile", "en": "Owner"},
    "kr.due": {"it": "Scadenza", "en": "Due"},
    "kr.weight": {"it": "Peso", "en": "Weight"},
    "kr.kpi": {"it": "Indicatore collegato", "en": "Linked KPI"},
    "kr.stale": {"it": "Aggiornamento in ritardo", "en": "Check-in overdue"},
    "kr.chart": {"it": "Andamento nel tempo", "en": "Over time"},
    "kr.chart_title": {"it": "Valori di «{title}»", "en": "Values of “{title}”"},
    "kr.chart_desc": {
        "it": "{count} aggiornamenti; valore attuale {value}; traguardo {target} entro il {due}.",
        "en": "{count} check-ins; current value {value}; target {target} by {due}.",
    },
    "kr.chart_desc_on": {
        "it": "{count} aggiornamenti; valore il {date}: {value}; traguardo {target} entro il"
        " {due}.",
        "en": "{count} check-ins; value on {date}: {value}; target {target} by {due}.",
    },
    "kr.chart_desc_one": {
        "it": "1 aggiornamento; valore attuale {value}; traguardo {target} entro il {due}.",
        "en": "1 check-in; current value {value}; target {target} by {due}.",
    },
    "kr.chart_desc_on_one": {
        "it": "1 aggiornamento; valore il {date}: {value}; traguardo {target} entro il {due}.",
        "en": "1 check-in; value on {date}: {value}; target {target} by {due}.",
    },
    "kr.revisions": {"it": "Revisioni del traguardo", "en": "Target revisions"},
    "kr.revision": {
        "it": "Traguardo rivisto da {before} a {after} da {who}, {when}:",
        "en": "Target revised from {before} to {after} by {who}, {when}:",
    },
    "kr.score_changes": {"it": "Punteggio modificato", "en": "Score changed"},
    "kr.score_adjusted": {
        "it": "Punteggio portato da {before} a {after} da {who}, {when}:",
        "en": "Score changed from {before} to {after} by {who}, {when}:",
    },
    "kr.corrected_after_close": {
        "it": "Un aggiornamento è stato corretto dopo la chiusura del ciclo: il punteggio resta"
        " quello dato alla chiusura, finché non lo si modifica con un motivo.",
        "en": "A check-in was corrected after the cycle closed: the score stays the one given"
        " at the close until someone changes it, with a reason.",
    },
    "chart.values": {"it": "Valori", "en": "Values"},
    "chart.corrected": {"it": "Valore prima della correzione", "en": "Value before its correction"},
    "chart.pace": {"it": "Andamento atteso", "en": "Expected pace"},
    "chart.threshold": {"it": "Soglia", "en": "Threshold"},
    "chart.target": {"it": "Traguardo", "en": "Target"},
    "chart.original_target": {"it": "Traguardo iniziale", "en": "Original target"},
    "chart.today": {"it": "oggi", "en": "today"},
    "kpi.heading": {"it": "Indicatori (KPI)", "en": "KPIs"},
    "kpi.none": {"it": "Nessun indicatore.", "en": "No KPIs."},
    "kpi.stale": {"it": "Misura in ritardo", "en": "Overdue"},
    "kpi.trend": {"it": "Andamento di {name}", "en": "Trend of {name}"},
    "kpi.trend_from_to": {
        "it": "Andamento di {name}, ultime {count} misure: da {first} a {last}",
        "en": "Trend of {name}, last {count} measurements: from {first} to {last}",
    },
    "kpi.measured_on": {"it": "Ultima misura: {date}", "en": "Last measured {date}"},
    "kpi.never": {"it": "Mai misurato", "en": "Never measured"},
    "kpi.thresholds_higher_is_better": {
        "it": "Verde da {green}, rosso sotto {red}",
        "en": "Green from {green}, red below {red}",
    },
    "kpi.thresholds_lower_is_better": {
        "it": "Verde fino a {green}, rosso sopra {red}",
        "en": "Green up to {green}, red above {red}",
    },
}

_CHECK_IN: M = {
    "check_in.heading": {"it": "Aggiornamenti", "en": "Check-ins"},
    "check_in.new": {"it": "Nuovo aggiornamento", "en": "New check-in"},
    "check_in.value": {"it": "Valore", "en": "Value"},
    "check_in.value_hint": {"it": "Per esempio {example}", "en": "For example {example}"},
    "check_in.on": {"it": "Riferito al giorno", "en": "For the day"},
    "check_in.confidence": {"it": "Fiducia (0–10)", "en": "Confidence (0–10)"},  # noqa: RUF001
    "check_in.confidence_hint": {
        "it": "Quanto pensi sia probabile raggiungere il traguardo",
        "en": "How likely you think the target is reached",
    },
    "check_in.note": {"it": "Nota", "en": "Note"},
    "check_in.submit": {"it": "Registra l'aggiornamento", "en": "Record check-in"},
    "check_in.saved": {"it": "Aggiornamento registrato.", "en": "Check-in recorded."},
    "check_in.locked": {
        "it": "Questo risultato chiave non accetta più aggiornamenti (ciclo chiuso o archiviato).",
        "en": "This key result takes no more check-ins (closed cycle or archived).",
    },
    "check_in.none": {"it": "Ancora nessun aggiornamento.", "en": "No check-ins yet."},
    "check_in.by": {"it": "di {who}, registrato il {when}", "en": "by {who}, recorded {when}"},
    "check_in.corrected": {"it": "Corretto", "en": "Corrected"},
    "check_in.original": {"it": "Valore originale", "en": "Original value"},
    "check_in.correction": {
        "it": "Corretto da {before} a {after} da {who}, {when}:",
        "en": "Corrected from {before} to {after} by {who}, {when}:",
    },
    "check_in.value_invalid": {
        "it": "Scrivi un numero, per esempio 4,5.",
        "en": "Write a number, for example 4.5.",
    },
    "check_in.date_invalid": {"it": "Scegli una data.", "en": "Choose a date."},
    "check_in.on_outside": {
        "it": "Un aggiornamento di questo ciclo è di un giorno dal {first} al {last} (31 giorni"
        " dopo la sua fine).",
        "en": "A check-in of this cycle is for a day from {first} to {last} (31 days after its"
        " end).",
    },
    "correction.confidence_now": {
        "it": "Fiducia ora: {confidence}.",
        "en": "Confidence now: {confidence}.",
    },
    "correction.note_now": {"it": "Nota ora: «{note}»", "en": "Note now: “{note}”"},
    "correction.note_taken_away": {"it": "Nota tolta.", "en": "Note taken away."},
    "correction.open": {"it": "Correggi", "en": "Correct"},
    "correction.of": {"it": "l'aggiornamento del {date}", "en": "the check-in of {date}"},
    "correction.value": {"it": "Valore corretto", "en": "Corrected value"},
    "correction.reason": {"it": "Motivo", "en": "Reason"},
    "correction.reason_hint": {
        "it": "Perché lo correggi: resta nello storico, con il valore originale.",
        "en": "Why you correct it: it stays in the history, with the original value.",
    },
    "correction.reason_missing": {
        "it": "Scrivi perché lo correggi.",
        "en": "Say why you correct it.",
    },
    "correction.submit": {"it": "Salva la correzione", "en": "Save the correction"},
    "correction.saved": {"it": "Correzione registrata.", "en": "Correction recorded."},
    "edit.open": {"it": "Modifica", "en": "Edit"},
    "edit.title": {"it": "Titolo", "en": "Title"},
    "edit.submit": {"it": "Salva le modifiche", "en": "Save the changes"},
    "edit.saved": {"it": "Modifiche salvate.", "en": "Changes saved."},
    "edit.nothing": {"it": "Non hai cambiato nulla.", "en": "You changed nothing."},
    "edit.owner_not_offered": {
        "it": "Scegli una persona dell'elenco.",
        "en": "Choose a person from the list.",
    },
    "error.due_on": {
        "it": "La scadenza cade nel ciclo, tra il suo inizio e la sua fine.",
        "en": "The due date falls within the cycle, from its start to its end.",
    },
    "error.due_on.outside": {
        "it": "La scadenza cade nel ciclo: dal {first} al {last}.",
        "en": "The due date falls within the cycle: from {first} to {last}.",
    },
    "edit.cycle_closed": {
        "it": "Il ciclo è chiuso: il risultato chiave non si modifica più.",
        "en": "The cycle is closed: the key result no longer changes.",
    },
    "revision.open": {"it": "Rivedi il traguardo", "en": "Revise the target"},
    "revision.value": {"it": "Nuovo traguardo", "en": "New target"},
    "revision.value_hint": {
        "it": "O di quanto cambiare la partenza, con «%» («-10 %»).",
        "en": "Or by how much to change the start, with “%” (“-10%”).",
    },
    "revision.reason_hint": {
        "it": "Perché lo sposti: resta nello storico, con il traguardo originale.",
        "en": "Why you move it: it stays in the history, with the original target.",
    },
    "revision.submit": {"it": "Salva il nuovo traguardo", "en": "Save the new target"},
    "revision.saved": {"it": "Traguardo rivisto.", "en": "Target revised."},
    "revision.cycle_closed": {
        "it": "Il ciclo è chiuso: il traguardo non si sposta più.",
        "en": "The cycle is closed: the target no longer moves.",
    },
    "revision.milestone": {
        "it": "Il traguardo di una tappa è fisso: completata o no.",
        "en": "A milestone's target is fixed: done or not done.",
    },
    "revision.far_off": {
        "it": "{value} è molto lontano dalla partenza ({start}) e dal traguardo di oggi"
        " ({target}): se è giusto, salvalo di nuovo.",
        "en": "{value} is far from the start ({start}) and today's target ({target}): if it"
        " is right, save it again.",
    },
    "revision.far_off_threshold": {
        "it": "{value} è molto lontano dalla soglia di oggi ({target}): se è giusto, salvalo"
        " di nuovo.",
        "en": "{value} is far from today's threshold ({target}): if it is right, save it again.",
    },
    "revision.reason_missing": {"it": "Scrivi perché lo sposti.", "en": "Say why you move it."},
    "error.target.unchanged": {
        "it": "Il traguardo è già questo: una revisione lo sposta.",
        "en": "That is the target already: a revision moves it.",
    },
    "check_in.far_off_threshold": {
        "it": "{value} è molto lontano dalla soglia ({target}): se è giusto, registralo di nuovo.",
        "en": "{value} is far from the threshold ({target}): if it is right, record it again.",
    },
    "check_in.far_off": {
        "it": "{value} è molto lontano dalla partenza ({start}) e dal traguardo ({target}):"
        " se è giusto, registralo di nuovo.",
        "en": "{value} is far from the start ({start}) and the target ({target}): if it is"
        " right, record it again.",
    },
    "filter.bad_day": {
        "it": "«{given}» non è una data (aaaa-mm-gg): non è stata usata.",
        "en": "“{given}” is not a date (yyyy-mm-dd): it was not used.",
    },
    "filter.before_first": {
        "it": "{given} viene prima del primo giorno ({first}): nessun giorno sta tra i due.",
        "en": "{given} is before the first day ({first}): no day lies between the two.",
    },
    "filter.bad_choice": {
        "it": "«{given}» non è tra le scelte: non è stato usato.",
        "en": "“{given}” is not one of the choices: it was not used.",
    },
    "filter.bad_day_link": {
        "it": "«{given}» non è una data (aaaa-mm-gg).",
        "en": "“{given}” is not a date (yyyy-mm-dd).",
    },
    "filter.before_first_link": {
        "it": "{given} viene prima del primo giorno.",
        "en": "{given} is before the first day.",
    },
    "filter.bad_choice_link": {
        "it": "«{given}» non è tra le scelte della pagina.",
        "en": "“{given}” is not one of the page's choices.",
    },
    "filter.bad_link": {
        "it": "Non è stato scaricato nulla: il collegamento chiede filtri che non si"
        " possono usare.",
        "en": "Nothing was downloaded: the link asks for filters that cannot be used.",
    },
}

_SCORES: M = {
    "score.changes": {"it": "Modifiche del punteggio", "en": "Score changes"},
    "score.open": {"it": "Modifica il punteggio", "en": "Change the score"},
    "score.new": {"it": "Nuovo punteggio, da 0 a 1", "en": "New score, from 0 to 1"},
    "score.new_hint": {
        "it": "Come sono mostrati i punteggi: 0,7 (oppure 70 %). Ora è {now}.",
        "en": "As scores are shown: 0.7 (or 70%). It is {now} now.",
    },
    "score.reason_hint": {
        "it": "Perché lo modifichi: resta nello storico, con il punteggio di prima. Gli"
        " obiettivi di cui fa parte seguono, se nessuno li ha modificati a mano.",
        "en": "Why you change it: it stays in the history, with the score before. The"
        " objectives it is part of follow, unless someone changed them by hand.",
    },
    "score.submit": {"it": "Modifica il punteggio", "en": "Change the score"},
    "score.done": {
        "it": "Punteggio modificato: gli obiettivi di cui fa parte lo seguono, tranne quelli"
        " modificati a mano.",
        "en": "Score changed: the objectives it is part of follow it, except those set by hand.",
    },
    "score.out_of_range": {
        "it": "Un punteggio va da 0 a 1 (per esempio 0,7), oppure da 0 a 100 %.",
        "en": "A score is from 0 to 1 (for example 0.7), or from 0 to 100%.",
    },
    "score.changed_meanwhile": {
        "it": "Qualcun altro ha appena modificato questo punteggio: ora è {now}. Riprova se"
        " serve ancora.",
        "en": "Someone else changed this score just now: it is {now}. Try again if still needed.",
    },
    "score.unchanged": {
        "it": "Il punteggio è già {now}: scrivine un altro.",
        "en": "The score is {now} already: write another.",
    },
    "score.not_closed": {
        "it": "Il ciclo '{name}' non è chiuso: non ci sono ancora punteggi da modificare.",
        "en": "The cycle '{name}' is not closed: there are no scores to change yet.",
    },
    "score.archived": {
        "it": "È archiviato: il suo punteggio non si modifica.",
        "en": "It is archived: its score is not changed.",
    },
    "score.not_scored": {
        "it": "Non ha avuto un punteggio alla chiusura: non ce n'è uno da modificare.",
        "en": "It had no score at the close: there is none to change.",
    },
    "error.cycle_not_closed": {
        "it": "Il ciclo non è chiuso: non ci sono ancora punteggi da modificare.",
        "en": "The cycle is not closed: there are no scores to change yet.",
    },
    "error.unknown_score_item": {
        "it": "Non ha avuto un punteggio alla chiusura: non ce n'è uno da modificare.",
        "en": "It had no score at the close: there is none to change.",
    },
}

_ERRORS: M = {
    "error.not_finite": {
        "it": "Il valore deve essere un numero.",
        "en": "The value must be a number.",
    },
    "error.not_a_number": {
        "it": "Il valore deve essere un numero.",
        "en": "The value must be a number.",
    },
    "error.wrong_type": {"it": "Valore non valido.", "en": "Not a valid value."},
    "error.too_large": {"it": "Il valore è troppo grande.", "en": "The value is too large."},
    "error.too_precise": {"it": "Troppe cifre decimali.", "en": "Too many decimal places."},
    "error.too_long": {
        "it": "Il testo è troppo lungo: al massimo {max} caratteri.",
        "en": "The text is too long: {max} characters at most.",
    },
    "error.empty": {"it": "Questo campo è obbligatorio.", "en": "This field is required."},
    "error.control_character": {
        "it": "Il testo contiene caratteri non ammessi.",
        "en": "The text contains characters that are not allowed.",
    },
    "error.milestone_value": {
        "it": "Un traguardo intermedio è completato (1) o no (0).",
        "en": "A milestone is done (1) or not done (0).",
    },
    "error.date_out_of_range": {
        "it": "La data deve cadere tra l'inizio del ciclo e 31 giorni dopo la sua fine.",
        "en": "The date must fall between the cycle start and 31 days after its end.",
    },
    "error.negative": {
        "it": "Un conteggio o un numero di ore non può essere sotto lo zero.",
        "en": "A count or a number of hours cannot be below zero.",
    },
    "error.target_direction": {
        "it": "Il traguardo va oltre la partenza nel verso del risultato: sopra se aumenta,"
        " sotto se diminuisce.",
        "en": "The target lies beyond the start the way the key result goes: above for an"
        " increase, below for a decrease.",
    },
    "error.start_equals_target": {
        "it": "Il traguardo è uguale alla partenza: non c'è strada da fare.",
        "en": "The target equals the start: there is no way to go.",
    },
    "error.reason_required": {"it": "Scrivi un motivo.", "en": "Give a reason."},
    "error.required": {"it": "Questo campo è obbligatorio.", "en": "This field is required."},
    "error.out_of_range": {
        "it": "Il valore è fuori dall'intervallo ammesso.",
        "en": "The value is out of the range allowed.",
    },
    "error.ends_on.date_out_of_range": {
        "it": "L'ultimo giorno non può venire prima del primo.",
        "en": "The last day cannot come before the first.",
    },
    "error.starts_on.date_out_of_range": {
        "it": "Il primo giorno non può venire dopo l'ultimo.",
        "en": "The first day cannot come after the last.",
    },
    "error.starts_on.unchanged": {
        "it": "Il ciclo ha già queste date: scrivi quelle giuste.",
        "en": "The cycle has these days already: type the right ones.",
    },
    "error.starts_on.cycle_closed": {
        "it": "Il ciclo è chiuso: le sue date non cambiano più.",
        "en": "The cycle is closed: its days no longer change.",
    },
    "error.key_results_due_outside": {
        "it": "Alcuni risultati chiave scadono in un giorno scelto fuori dalle nuove date:"
        " sposta prima la loro scadenza.",
        "en": "Some key results are due on a chosen day outside the new days: move their due"
        " dates first.",
    },
    "error.cycle_id.cycle_closed": {
        "it": "Il ciclo è chiuso: non vi cambia più nulla.",
        "en": "The cycle is closed: nothing in it changes any more.",
    },
    "error.objective_id.archived": {
        "it": "L'obiettivo è archiviato: non vi si aggiunge più nulla.",
        "en": "The objective is archived: nothing more is added to it.",
    },
    "error.parent_id.archived": {
        "it": "Quell'obiettivo è archiviato: scegline un altro.",
        "en": "That objective is archived: choose another.",
    },
    "error.parent_id.parent_archived": {
        "it": "L'obiettivo sotto cui è allineato è archiviato: ripristina prima quello.",
        "en": "The objective it is aligned under is archived: restore that one first.",
    },
    "error.objective_id.not_archived": {
        "it": "L'obiettivo non è archiviato: è già nell'albero.",
        "en": "The objective is not archived: it is in the tree already.",
    },
    "error.currency.unknown_currency": {
        "it": "Non è un codice di valuta ISO 4217 (EUR, CHF…).",
        "en": "That is not an ISO 4217 currency code (EUR, CHF…).",
    },
    "error.unit_label.required": {
        "it": "Per l'unità «testo» scrivi cosa si misura.",
        "en": "For the unit “text”, say what is measured.",
    },
    "error.weight_out_of_range": {
        "it": "Il peso è un numero maggiore di 0, fino a 1000.",
        "en": "A weight is a number above 0, up to 1000.",
    },
    "error.direction.feeds_key_results": {
        "it": "Alimenta risultati chiave di cicli non chiusi che, con la nuova direzione,"
        " mirerebbero a peggiorarlo ({key_results}: un aumento dove è meglio più basso, o il"
        " contrario): scollegali prima dall'indicatore (quelli di un obiettivo archiviato:"
        " ripristinalo prima).",
        "en": "It feeds key results of cycles not closed that, with the new direction, would"
        " aim to make it worse ({key_results}: an increase where lower is better, or the"
        " other way): unlink them from the KPI first (one of an archived objective: restore"
        " that first).",
    },
    "error.key_result_named": {"it": "«{title}»", "en": "“{title}”"},
    "error.unchanged": {
        "it": "È già questo il valore: una correzione lo cambia.",
        "en": "That is the value already: a correction changes it.",
    },
    "error.in_the_future": {
        "it": "Un valore è di un giorno già iniziato, non di uno che deve ancora venire.",
        "en": "A value is of a day that has begun, not of one still to come.",
    },
    "error.on.out_of_range": {
        "it": "Scegli un giorno degli anni dal 1900 al 2199.",
        "en": "Choose a day of the years 1900 to 2199.",
    },
    "error.confidence_out_of_range": {
        "it": "La fiducia è un numero intero da 0 a 10.",
        "en": "Confidence is a whole number from 0 to 10.",
    },
    "error.cycle_not_planning": {
        "it": "Il ciclo non è più in pianificazione: qualcuno l'ha già avviato.",
        "en": "The cycle is no longer in planning: someone started it already.",
    },
    "error.cycle_not_active": {
        "it": "Il ciclo non è attivo: è già chiuso, o non è ancora avviato.",
        "en": "The cycle is not active: it is closed already, or not started yet.",
    },
    "error.changed_meanwhile": {
        "it": "Qualcun altro l'ha appena cambiato: ecco com'è ora. Riprova se serve ancora.",
        "en": "Someone else changed it just now: here is how it stands. Try again if still needed.",
    },
    "error.cycle_closed": {
        "it": "Il ciclo è chiuso: non accetta nuovi aggiornamenti.",
        "en": "The cycle is closed: it takes no new check-ins.",
    },
    "error.archived": {
        "it": "Il risultato chiave è archiviato.",
        "en": "The key result is archived.",
    },
    "error.objective_archived": {
        "it": "L'obiettivo di questo risultato chiave è archiviato.",
        "en": "The key result's objective is archived.",
    },
    "error.name.unchanged": {
        "it": "Il ciclo ha già questo nome: scrivi quello nuovo.",
        "en": "The cycle has this name already: type the new one.",
    },
    "error.name.duplicate_name": {
        "it": "Un altro ciclo ha già questo nome: dagli un nome che lo distingua.",
        "en": "Another cycle has this name already: give it a name that tells it apart.",
    },
    "error.duplicate_id": {
        "it": "Questo aggiornamento è già stato registrato.",
        "en": "This check-in was already recorded.",
    },
    "error.home": {"it": "Torna alla pagina iniziale", "en": "Back to the start page"},
    "error.400.title": {"it": "Richiesta non valida", "en": "Bad request"},
    "error.400.text": {
        "it": "La pagina non ha capito la richiesta. Torna indietro e riprova.",
        "en": "The page did not understand the request. Go back and try again.",
    },
    "error.413.title": {"it": "Modulo troppo grande", "en": "Form too large"},
    "error.413.text": {
        "it": "Quanto hai inviato è più grande di quanto questo sito accetti: accorcia i testi"
        " più lunghi e invialo di nuovo.",
        "en": "What you sent is larger than this site takes: shorten the longest texts and send"
        " it again.",
    },
    "error.403.title": {"it": "Azione non consentita", "en": "Not allowed"},
    "error.403.text": {
        "it": "Il tuo ruolo non permette questa azione qui.",
        "en": "Your role does not allow this action here.",
    },
    "error.csrf.text": {
        "it": "Il modulo è scaduto o non viene da questo sito. Ricarica la pagina e riprova.",
        "en": "The form has expired or did not come from this site. Reload the page and try again.",
    },
    "error.409.title": {"it": "Modulo già inviato", "en": "Form already sent"},
    "error.409.text": {
        "it": "Questo modulo è già stato inviato. Riapri la pagina per inviarne un altro.",
        "en": "This form was already sent. Open the page again to send another.",
    },
    "error.in_flight.text": {
        "it": "Questo modulo è già stato inviato e lo stiamo ancora registrando. Ricarica la"
        " pagina tra un momento: vedrai quello che è stato registrato, una volta sola.",
        "en": "This form was already sent and is still being recorded. Reload the page in a"
        " moment: you will see what was recorded, once.",
    },
    "error.sent_before.text": {
        "it": "Questo modulo era già stato inviato, con altri valori, e quelli sono stati"
        " registrati. Per registrare questi, riapri la pagina e invia di nuovo il modulo.",
        "en": "This form was already sent, with other values, and those were recorded. To"
        " record these, open the page again and send the form anew.",
    },
    "error.suspended.title": {"it": "Azienda sospesa", "en": "Company suspended"},
    "error.suspended.text": {
        "it": "L'accesso a '{name}' è sospeso: tornerà quando l'azienda sarà riattivata.",
        "en": "Access to '{name}' is suspended: it comes back once the company is reactivated.",
    },
    "error.not_yet.title": {"it": "Non c'era ancora", "en": "Not there yet"},
    "error.not_yet.text": {
        "it": "Questo risultato chiave non c'era ancora il {name}: è stato aggiunto dopo.",
        "en": "This key result did not exist yet on {name}: it was added later.",
    },
    "error.not_yet.link": {"it": "Aprilo com'è oggi", "en": "Open it as it is today"},
    "error.not_yet_kpi.title": {"it": "Non c'era ancora", "en": "Not there yet"},
    "error.not_yet_kpi.text": {
        "it": "Questo indicatore non c'era ancora il {name}: è stato aggiunto dopo.",
        "en": "This KPI did not exist yet on {name}: it was added later.",
    },
    "error.not_yet_kpi.link": {"it": "Aprilo com'è oggi", "en": "Open it as it is today"},
    "error.404.title": {"it": "Pagina non trovata", "en": "Page not found"},
    "error.404.text": {
        "it": "Questa pagina non esiste, oppure non fa parte delle aziende a cui hai accesso.",
        "en": "This page does not exist, or it is not part of the companies you can access.",
    },
    "error.405.title": {"it": "Azione non disponibile", "en": "Not available"},
    "error.405.text": {
        "it": "Questa pagina non accetta questa azione.",
        "en": "This page does not accept this action.",
    },
    "error.500.title": {"it": "Qualcosa è andato storto", "en": "Something went wrong"},
    "error.500.text": {
        "it": "Non siamo riusciti a completare la richiesta. Riprova tra poco.",
        "en": "We could not complete the request. Please try again shortly.",
    },
    "error.503.title": {"it": "Dati momentaneamente irraggiungibili", "en": "Data out of reach"},
    "error.503.text": {
        "it": "Non riusciamo a raggiungere il database in questo momento. Nessun dato è andato"
        " perso: riprova tra qualche secondo.",
        "en": "We cannot reach the database right now. No data was lost: try again in a few"
        " seconds.",
    },
}

_SIGN_IN: M = {
    "welcome.title": {"it": "Scegli la tua password", "en": "Choose your password"},
    "welcome.lead": {
        "it": "Entrerai con l'email {email} e questa password. Il link si può usare una sola"
        " volta.",
        "en": "You will sign in with the email {email} and this password. The link works once.",
    },
    "welcome.password": {
        "it": "Password (almeno 12 caratteri)",
        "en": "Password (12 characters or more)",
    },
    "welcome.again": {"it": "Ripeti la password", "en": "Repeat the password"},
    "welcome.submit": {"it": "Salva ed entra", "en": "Save and sign in"},
    "welcome.mismatch": {
        "it": "Le due password non coincidono.",
        "en": "The two passwords differ.",
    },
    "welcome.weak": {
        "it": "Scegli una password da {min} a {max} caratteri.",
        "en": "Choose a password of {min} to {max} characters.",
    },
    "notice.password_saved": {
        "it": "Password salvata: d'ora in poi entra con la tua email e questa password.",
        "en": "Password saved: from now on, sign in with your email and this password.",
    },
    "notice.password_changed": {
        "it": "Password cambiata: sei uscito da ogni altro dispositivo e browser.",
        "en": "Password changed: you are signed out of every other device and browser.",
    },
    "account.title": {"it": "Il tuo account", "en": "Your account"},
    "account.name": {"it": "Nome", "en": "Name"},
    "account.change": {"it": "Cambia la password", "en": "Change your password"},
    "account.signs_out": {
        "it": "Cambiandola esci da ogni altro dispositivo e browser in cui sei entrato:"
        " chi conoscesse quella di prima non entra più.",
        "en": "Changing it signs you out of every other device and browser: whoever knew the"
        " old one is out.",
    },
    "account.current": {"it": "Password attuale", "en": "Current password"},
    "account.new": {
        "it": "Nuova password (almeno 12 caratteri)",
        "en": "New password (12 characters or more)",
    },
    "account.again": {"it": "Ripeti la nuova password", "en": "Repeat the new password"},
    "account.submit": {"it": "Cambia la password", "en": "Change the password"},
    "account.wrong_current": {
        "it": "Non è la tua password attuale: nulla è cambiato.",
        "en": "This is not your current password: nothing changed.",
    },
    "account.unchanged": {
        "it": "È la password che hai già: scegline un'altra.",
        "en": "This is the password you have: choose another.",
    },
    "account.link": {"it": "Il tuo account", "en": "Your account"},
    "welcome.gone_title": {"it": "Link non più valido", "en": "Link no longer valid"},
    "welcome.signed_in_as": {
        "it": "Sei entrato come {name}: salvando questa password entrerai invece come {email}.",
        "en": "You are signed in as {name}: saving this password signs you in as {email} instead.",
    },
    "welcome.link_gone": {
        "it": "Questo collegamento non vale più: è già stato usato, è scaduto o non è"
        " completo. Chiedine uno nuovo a chi ti ha invitato.",
        "en": "This link no longer works: it was used, it expired, or it is incomplete. Ask"
        " whoever invited you for a new one.",
    },
    "sign_in.title": {"it": "Accedi", "en": "Sign in"},
    "sign_in.email": {"it": "Email", "en": "Email"},
    "sign_in.password": {"it": "Password", "en": "Password"},
    "sign_in.submit": {"it": "Accedi", "en": "Sign in"},
    "sign_in.email_required": {"it": "Scrivi la tua email.", "en": "Enter your email."},
    "sign_in.password_required": {"it": "Scrivi la password.", "en": "Enter your password."},
    "sign_in.wrong": {"it": "Email o password errate.", "en": "Wrong email or password."},
    "sign_in.being_checked": {
        "it": "Accesso in verifica: riprova tra un secondo.",
        "en": "Signing in is being checked: try again in a second.",
    },
    "sign_in.rate_limited": {
        "it": "Troppi tentativi falliti: riprova tra {seconds} secondi.",
        "en": "Too many failed attempts: try again in {seconds} seconds.",
    },
    "sign_in.rate_limited_one": {
        "it": "Troppi tentativi falliti: riprova tra un secondo.",
        "en": "Too many failed attempts: try again in a second.",
    },
    "sign_in.rate_limited_minutes": {
        "it": "Troppi tentativi falliti: riprova tra {minutes} minuti.",
        "en": "Too many failed attempts: try again in {minutes} minutes.",
    },
    "sign_in.rate_limited_minutes_one": {
        "it": "Troppi tentativi falliti: riprova tra un minuto.",
        "en": "Too many failed attempts: try again in a minute.",
    },
    "sign_in.signed_out": {"it": "Sei uscito.", "en": "You have signed out."},
}

_PORTFOLIO: M = {
    "portfolio.mine.title": {"it": "Le tue aziende", "en": "Your companies"},
    "portfolio.mine.lead": {
        "it": "Le aziende che puoi aprire: {n}.",
        "en": "The companies you can open: {n}.",
    },
    "portfolio.title": {"it": "Portafoglio clienti", "en": "Client portfolio"},
    "portfolio.lead": {
        "it": "Le aziende clienti che segui: {n}. Ordina per colonna, apri un'azienda dal nome.",
        "en": "The client companies you serve: {n}. Sort by column, open a company by its name.",
    },
    "portfolio.caption": {
        "it": "Aziende clienti con l'avanzamento dei loro cicli attivi",
        "en": "Client companies with the progress of their active cycles",
    },
    "portfolio.company": {"it": "Azienda", "en": "Company"},
    "portfolio.progress": {"it": "Avanzamento", "en": "Progress"},
    "portfolio.cycles": {
        "it": "di {n} cicli attivi, insieme: i loro obiettivi principali, pesati",
        "en": "of {n} active cycles together: their top objectives, weighted",
    },
    "portfolio.no_cycle": {"it": "nessun ciclo attivo", "en": "no active cycle"},
    "portfolio.last_cycle": {
        "it": "ultimo: {name}, punteggio {score}",
        "en": "last: {name}, score {score}",
    },
    "portfolio.next_cycle": {
        "it": "prossimo: {name}, dal {day}",
        "en": "next: {name}, from {day}",
    },
    "portfolio.late_cycle": {
        "it": "{name} doveva partire il {day}: è ancora in pianificazione",
        "en": "{name} was due to start on {day}: it is still being planned",
    },
    "portfolio.done_one": {"it": "+{n} completato", "en": "+{n} done"},
    "portfolio.done": {"it": "+{n} completati", "en": "+{n} done"},
    "portfolio.not_started_one": {"it": "{n} non iniziato", "en": "{n} not started"},
    "portfolio.not_started": {"it": "{n} non iniziati", "en": "{n} not started"},
    "portfolio.stale": {"it": "Aggiornamenti in ritardo", "en": "Stale check-ins"},
    "portfolio.unhealthy": {"it": "Indicatori non in verde", "en": "KPIs not green"},
    "portfolio.activity": {"it": "Ultima attività", "en": "Last activity"},
    "portfolio.no_activity": {"it": "nessuna", "en": "none"},
    "portfolio.critical_one": {"it": "{n} critico", "en": "{n} unhealthy"},
    "portfolio.critical": {"it": "{n} critici", "en": "{n} unhealthy"},
    "portfolio.unmeasured": {"it": "{n} senza misure", "en": "{n} not measured"},
    "portfolio.overdue": {"it": "{n} con la misura in ritardo", "en": "{n} overdue"},
    "portfolio.unrecovered": {
        "it": "{n} senza OKR di recupero",
        "en": "{n} with no recovery OKR",
    },
    "portfolio.empty": {
        "it": "Nessuna azienda cliente da mostrare.",
        "en": "No client companies to show.",
    },
}

_HISTORY: M = {
    "history.title": {"it": "Storico", "en": "History"},
    "history.timeline": {"it": "Tutte le modifiche", "en": "Every change"},
    "history.item": {"it": "Elemento", "en": "Item"},
    "history.all": {"it": "Tutti gli elementi", "en": "All items"},
    "history.group_cycles": {"it": "Cicli", "en": "Cycles"},
    "history.group_objectives": {"it": "Obiettivi", "en": "Objectives"},
    "history.group_key_results": {"it": "Risultati chiave", "en": "Key results"},
    "history.group_kpis": {"it": "Indicatori", "en": "KPIs"},
    "history.person": {"it": "Persona", "en": "Person"},
    "history.everyone": {"it": "Tutte le persone", "en": "Everyone"},
    "history.cycle": {"it": "Ciclo", "en": "Cycle"},
    "history.all_cycles": {"it": "Tutti i cicli", "en": "Every cycle"},
    "history.kind": {"it": "Tipo", "en": "Kind"},
    "history.all_kinds": {"it": "Tutti i tipi", "en": "All kinds"},
    "history.from": {"it": "Dal giorno", "en": "From"},
    "history.to": {"it": "Al giorno", "en": "To"},
    "history.none": {"it": "Nessuna modifica con questi filtri.", "en": "No changes match."},
    "history.older": {"it": "Modifiche precedenti", "en": "Older changes"},
    "history.csv": {"it": "Scarica lo storico (CSV)", "en": "Download the history (CSV)"},
    "kind.cycle": {"it": "Ciclo", "en": "Cycle"},
    "kind.objective": {"it": "Obiettivo", "en": "Objective"},
    "kind.key_result": {"it": "Risultato chiave", "en": "Key result"},
    "kind.kpi": {"it": "Indicatore", "en": "KPI"},
    "kind.tenant": {"it": "Impostazioni dell'azienda", "en": "Company settings"},
    "kind.access": {"it": "Accessi (persone, chiavi API)", "en": "Access (people, API keys)"},
    "tenant.suspended": {"it": "Sospesa", "en": "Suspended"},
    "tenant.suspended_title": {
        "it": "Le sue persone e chiavi API non vi accedono finché non è riattivata",
        "en": "Its people and API keys cannot reach it until it is reactivated",
    },
    "kind.key_result.check_in_corrected": {
        "it": "Correzioni di aggiornamenti",
        "en": "Check-in corrections",
    },
    "kind.key_result.target_revised": {"it": "Revisioni del traguardo", "en": "Target revisions"},
    "kind.kpi.measured": {"it": "Misure degli indicatori", "en": "KPI measurements"},
    "kind.kpi.measurement_corrected": {
        "it": "Correzioni di misure degli indicatori",
        "en": "KPI measurement corrections",
    },
    "kind.cycle.score_adjusted": {"it": "Punteggi modificati", "en": "Score changes"},
    "as_of.heading": {"it": "Com'era in un giorno", "en": "As it stood on a day"},
    "as_of.help": {
        "it": "L'intero albero degli obiettivi come il sistema lo conosceva quel giorno, o i"
        " valori di quel giorno come si sanno oggi (aggiornamenti tardivi e correzioni"
        " compresi).",
        "en": "The whole objective tree as the system knew it that day, or that day's values"
        " as known today (late check-ins and corrections included).",
    },
    "as_of.label": {"it": "Giorno", "en": "Day"},
    "as_of.banner": {"it": "Com'era il {date}.", "en": "As it stood on {date}."},
    "as_of.to_come": {
        "it": "Il {given} deve ancora venire: ecco come sta oggi.",
        "en": "{given} is still to come: this is how it stands today.",
    },
    "as_of.cycle_not_yet": {
        "it": "Il ciclo «{name}» non c'era ancora il {date}.",
        "en": "The cycle “{name}” was not there yet on {date}.",
    },
    "as_of.back": {"it": "Torna a oggi", "en": "Back to today"},
    "as_of.known": {"it": "Valori", "en": "Values"},
    "as_of.known_then": {"it": "come si sapevano quel giorno", "en": "as known that day"},
    "as_of.known_now": {
        "it": "di quel giorno, come si sanno oggi",
        "en": "of that day, as known today",
    },
    "as_of.banner_now": {
        "it": "I valori del {date} come si sanno oggi: con gli aggiornamenti registrati dopo"
        " per quel giorno e le correzioni. Obiettivi e traguardi sono quelli di oggi.",
        "en": "The values of {date} as known today: with check-ins recorded later for that"
        " day, and corrections. Objectives and targets are today's.",
    },
    "diff.heading": {"it": "Cosa è cambiato", "en": "What changed"},
    "diff.help": {
        "it": "Cosa è cambiato dall'inizio del primo giorno alla fine del secondo, elemento"
        " per elemento.",
        "en": "What changed from the start of the first day to the end of the second, item by"
        " item.",
    },
    "diff.title_one_day": {"it": "Cosa è cambiato il {day}", "en": "What changed on {day}"},
    "diff.title": {
        "it": "Cosa è cambiato dal {first} al {last}",
        "en": "What changed from {first} to {last}",
    },
    "diff.from": {"it": "Dal", "en": "From"},
    "diff.to": {"it": "Al", "en": "To"},
    "diff.back": {"it": "Torna allo storico", "en": "Back to the history"},
    "diff.recorded": {
        "it": "Ogni modifica registrata in questi giorni, con chi l'ha fatta e perché",
        "en": "Every change recorded in these days, with who made it and why",
    },
    "diff.value_of": {"it": "valore del {day}", "en": "value of {day}"},
    "diff.to_come": {
        "it": "il {given} deve ancora venire: al suo posto c'è oggi.",
        "en": "{given} is still to come: today stands in for it.",
    },
    "diff.from_to_come": {
        "it": "il {given} deve ancora venire: non se ne sa ancora nulla, quindi nulla può"
        " essere cambiato da allora.",
        "en": "{given} is still to come: nothing is known of it yet, so nothing can have"
        " changed since.",
    },
    "diff.cycle_made_after": {
        "it": "Il ciclo «{name}» è stato creato dopo il {date}: fino ad allora non c'era.",
        "en": "The cycle “{name}” was made after {date}: there was no such cycle by then.",
    },
    "diff.no_such_cycle": {
        "it": "«{given}» non è un ciclo di questa azienda.",
        "en": "“{given}” is no cycle of this company.",
    },
    "diff.count": {"it": "Elementi cambiati: {n}.", "en": "Items changed: {n}."},
    "diff.none": {
        "it": "Nessuna differenza tra questi due giorni.",
        "en": "No differences between these days.",
    },
    "diff.field": {"it": "Campo", "en": "Field"},
    "diff.before": {"it": "Prima", "en": "Before"},
    "diff.after": {"it": "Dopo", "en": "After"},
    "diff.unchanged": {"it": "invariato", "en": "unchanged"},
    "csv.position": {"it": "posizione", "en": "position"},
    "csv.recorded_at": {"it": "registrato_il", "en": "recorded_at"},
    "csv.valid_on": {"it": "riferito_al", "en": "valid_on"},
    "csv.actor": {"it": "autore", "en": "actor"},
    "csv.kind": {"it": "tipo", "en": "kind"},
    "csv.item": {"it": "elemento", "en": "item"},
    "csv.text": {"it": "descrizione", "en": "text"},
    "csv.reason": {"it": "motivo", "en": "reason"},
    "csv.topic": {"it": "tipo_evento", "en": "topic"},
    "csv.actor_id": {"it": "id_autore", "en": "actor_id"},
    "csv.item_id": {"it": "id_elemento", "en": "item_id"},
    "csv.version": {"it": "versione", "en": "version"},
    "csv.correlation_id": {"it": "id_correlazione", "en": "correlation_id"},
    "csv.hash": {"it": "hash", "en": "hash"},
    "csv.payload": {"it": "dati", "en": "payload"},
}

_FIELDS: M = {
    "field.created": {"it": "creato", "en": "created"},
    "field.removed": {"it": "rimosso", "en": "removed"},
    "field.name": {"it": "nome", "en": "name"},
    "field.title": {"it": "titolo", "en": "title"},
    "field.description": {"it": "descrizione", "en": "description"},
    "field.state": {"it": "stato del ciclo", "en": "cycle state"},
    "field.starts_on": {"it": "inizio", "en": "start date"},
    "field.ends_on": {"it": "fine", "en": "end date"},
    "field.progress": {"it": "avanzamento", "en": "progress"},
    "field.raw_progress": {"it": "avanzamento", "en": "progress"},
    "field.counted_progress": {"it": "conta nel totale come", "en": "counts in the roll-up as"},
    "field.score": {"it": "punteggio", "en": "score"},
    "field.owner": {"it": "responsabile", "en": "owner"},
    "field.level": {"it": "livello", "en": "level"},
    "field.parent_id": {"it": "allineato sotto", "en": "aligned under"},
    "field.objective_id": {"it": "obiettivo", "en": "objective"},
    "field.weight": {"it": "peso", "en": "weight"},
    "field.committed": {"it": "vincolante", "en": "committed"},
    "field.roll_up_children": {"it": "include gli allineati", "en": "rolls up aligned"},
    "field.archived": {"it": "archiviato", "en": "archived"},
    "field.discarded": {"it": "scartato", "en": "discarded"},
    "field.start": {"it": "partenza", "en": "start"},
    "field.target": {"it": "traguardo", "en": "target"},
    "field.due_on": {"it": "scadenza", "en": "due date"},
    "field.kpi_id": {"it": "indicatore collegato", "en": "linked KPI"},
    "field.value": {"it": "valore", "en": "value"},
    "field.confidence": {"it": "fiducia", "en": "confidence"},
    "field.status": {"it": "stato", "en": "status"},
    "field.green": {"it": "soglia verde", "en": "green threshold"},
    "field.red": {"it": "soglia rossa", "en": "red threshold"},
    "field.health": {"it": "salute", "en": "health"},
    "field.direction": {"it": "com'è meglio", "en": "which way is better"},
    "field.frequency_days": {"it": "ogni quanti giorni", "en": "every how many days"},
    "kpi.retired": {"it": "ritirato", "en": "retired"},
}

_PLANNING: M = {
    "plan.not_offered": {"it": "Scegli una voce dell'elenco.", "en": "Choose one from the list."},
    "plan.weight_hint": {
        "it": "Quanto conta rispetto agli altri: 1 se contano tutti uguale.",
        "en": "How much it counts against the others: 1 if they all count the same.",
    },
    "plan.cycle.open": {"it": "Nuovo ciclo", "en": "New cycle"},
    "plan.cycle.name": {"it": "Nome", "en": "Name"},
    "plan.cycle.name_hint": {"it": "Per esempio «T1 2027».", "en": "For example “Q1 2027”."},
    "plan.cycle.period": {"it": "Periodo", "en": "Period"},
    "plan.cycle.starts_on": {"it": "Primo giorno", "en": "First day"},
    "plan.cycle.ends_on": {"it": "Ultimo giorno", "en": "Last day"},
    "plan.cycle.submit": {"it": "Pianifica il ciclo", "en": "Plan the cycle"},
    "plan.cycle.done": {
        "it": "Ciclo pianificato: aggiungi gli obiettivi, poi avvialo.",
        "en": "Cycle planned: add its objectives, then start it.",
    },
    "plan.cycle.rename": {"it": "Rinomina il ciclo", "en": "Rename the cycle"},
    "plan.cycle.rename_hint": {
        "it": "Un nome che nessun altro ciclo ha, anche chiuso.",
        "en": "A name no other cycle has, closed ones included.",
    },
    "plan.cycle.rename_submit": {"it": "Salva il nome", "en": "Save the name"},
    "plan.cycle.renamed": {"it": "Ciclo rinominato.", "en": "Cycle renamed."},
    "plan.cycle.dates": {"it": "Cambia le date", "en": "Change the dates"},
    "plan.cycle.dates_hint": {
        "it": "I risultati chiave in scadenza alla fine del ciclo seguono la nuova fine.",
        "en": "Key results due at the cycle's end follow its new end.",
    },
    "plan.cycle.dates_submit": {"it": "Salva le date", "en": "Save the dates"},
    "plan.cycle.rescheduled": {"it": "Date del ciclo cambiate.", "en": "Cycle dates changed."},
    "plan.cycle.renamed_meanwhile": {
        "it": "Qualcun altro l'ha appena rinominato: ora si chiama «{now}». Riprova se serve"
        " ancora.",
        "en": "Someone else renamed it just now: it is “{now}”. Try again if still needed.",
    },
    "period.quarter": {"it": "Trimestre", "en": "Quarter"},
    "period.year": {"it": "Anno", "en": "Year"},
    "period.custom": {"it": "Altro periodo", "en": "Other period"},
    "plan.objective.open": {"it": "Nuovo obiettivo", "en": "New objective"},
    "plan.objective.level": {"it": "Livello", "en": "Level"},
    "plan.objective.parent": {"it": "Allineato sotto", "en": "Aligned under"},
    "plan.objective.no_parent": {"it": "Nessun obiettivo", "en": "No objective"},
    "plan.objective.committed": {"it": "Vincolante", "en": "Committed"},
    "plan.objective.committed_hint": {
        "it": "Da raggiungere per intero; se no, è ambizioso (0,7 è già un successo).",
        "en": "To be met in full; otherwise it is aspirational (0.7 is a success).",
    },
    "plan.objective.manage": {"it": "Modifica, allinea o archivia", "en": "Edit, align or archive"},
    "plan.objective.rolls_up": {"it": "Include gli allineati", "en": "Rolls up aligned ones"},
    "plan.objective.rolls_up_hint": {
        "it": "Il suo avanzamento conta anche gli obiettivi allineati sotto di esso.",
        "en": "Its progress counts the objectives aligned under it too.",
    },
    "plan.objective.align": {"it": "Allinea", "en": "Align"},
    "plan.objective.aligned": {"it": "Obiettivo allineato.", "en": "Objective aligned."},
    "plan.objective.archive": {"it": "Archivia l'obiettivo", "en": "Archive the objective"},
    "plan.objective.archive_hint": {
        "it": "Perché lo archivi: esce dall'albero e dai calcoli, e resta nello storico.",
        "en": "Why you archive it: it leaves the tree and the sums, and stays in the history.",
    },
    "plan.objective.archived": {"it": "Obiettivo archiviato.", "en": "Objective archived."},
    "plan.objective.archived_list": {"it": "Obiettivi archiviati", "en": "Archived objectives"},
    "plan.objective.restore_open": {"it": "Ripristina", "en": "Restore"},
    "plan.objective.restore_explained": {
        "it": "Torna nell'albero e nei calcoli con i suoi risultati chiave; lo storico dice"
        " che era stato archiviato.",
        "en": "It comes back to the tree and the sums with its key results; the history says"
        " it was archived.",
    },
    "plan.objective.restore_hint": {
        "it": "Perché lo ripristini: resta nello storico.",
        "en": "Why you restore it: it stays in the history.",
    },
    "plan.objective.restore": {"it": "Ripristina l'obiettivo", "en": "Restore the objective"},
    "plan.objective.restored": {"it": "Obiettivo ripristinato.", "en": "Objective restored."},
    "plan.objective.restore_reason_missing": {
        "it": "Scrivi perché lo ripristini.",
        "en": "Say why you restore it.",
    },
    "archive.open": {"it": "Archivia", "en": "Archive"},
    "archive.reason_hint": {
        "it": "Perché lo archivi: esce dall'albero e dai calcoli, e resta nello storico.",
        "en": "Why you archive it: it leaves the tree and the sums, and stays in the history.",
    },
    "archive.submit": {"it": "Archivia il risultato chiave", "en": "Archive the key result"},
    "archive.done": {"it": "Risultato chiave archiviato.", "en": "Key result archived."},
    "kr.archived_banner": {
        "it": "Archiviato da {who} il {date}: «{reason}». Non conta più nei calcoli.",
        "en": "Archived by {who} on {date}: “{reason}”. It no longer counts in the sums.",
    },
    "kr.archived_plain": {
        "it": "Archiviato: non conta più nei calcoli.",
        "en": "Archived: it no longer counts in the sums.",
    },
    "archive.reason_missing": {"it": "Scrivi perché lo archivi.", "en": "Say why you archive it."},
    "plan.objective.submit": {"it": "Aggiungi l'obiettivo", "en": "Add the objective"},
    "plan.objective.done": {"it": "Obiettivo aggiunto.", "en": "Objective added."},
    "plan.key_result.open": {"it": "Nuovo risultato chiave", "en": "New key result"},
    "plan.key_result.kind": {"it": "Come si misura", "en": "How it is measured"},
    "plan.key_result.start_hint": {
        "it": "Il valore di oggi. Una tappa non ne ha; una soglia può non averlo.",
        "en": "Today's value. A milestone has none; a threshold may have none.",
    },
    "plan.key_result.target_hint": {
        "it": "Dove arrivare, o la soglia da tenere; o di quanto cambiare la partenza, con «%»"
        " («-10 %»), se l'unità non è la percentuale. Una tappa non ne ha.",
        "en": "Where to get to, or the threshold to hold; or by how much to change the start,"
        " with “%” (“-10%”), unless the unit is percent. A milestone has none.",
    },
    "plan.key_result.unit": {"it": "Unità", "en": "Unit"},
    "plan.key_result.currency": {"it": "Valuta", "en": "Currency"},
    "plan.key_result.currency_hint": {
        "it": "Codice ISO 4217 (EUR, CHF…), per l'unità «valuta».",
        "en": "ISO 4217 code (EUR, CHF…), for the unit “money”.",
    },
    "plan.key_result.unit_label": {"it": "Etichetta", "en": "Label"},
    "plan.key_result.unit_label_hint": {
        "it": "Cosa si conta («clienti», «ordini»); obbligatoria per l'unità «testo».",
        "en": "What is counted (“clients”, “orders”); required for the unit “text”.",
    },
    "plan.key_result.submit": {"it": "Aggiungi il risultato chiave", "en": "Add the key result"},
    "plan.key_result.kpi": {"it": "Alimentato dall'indicatore", "en": "Fed by the KPI"},
    "plan.key_result.no_kpi": {
        "it": "Nessuno: aggiornato a mano",
        "en": "None: checked in by hand",
    },
    "plan.key_result.kpi_hint": {
        "it": "Le sue misure del ciclo diventano aggiornamenti, ora e dopo; l'unità è la sua.",
        "en": "Its measurements of the cycle become check-ins, now and after; its unit is used.",
    },
    "plan.key_result.done": {"it": "Risultato chiave aggiunto.", "en": "Key result added."},
    "plan.kpi.open": {"it": "Nuovo indicatore", "en": "New KPI"},
    "plan.kpi.direction": {"it": "Com'è meglio", "en": "Which way is better"},
    "plan.kpi.higher": {"it": "Più alto è meglio", "en": "Higher is better"},
    "plan.kpi.lower": {"it": "Più basso è meglio", "en": "Lower is better"},
    "plan.kpi.frequency": {"it": "Ogni quanti giorni si misura", "en": "Measured every (days)"},
    "plan.kpi.frequency_hint": {
        "it": "Oltre, l'indicatore risulta in ritardo.",
        "en": "Past it, the KPI shows as overdue.",
    },
    "plan.kpi.frequency_invalid": {
        "it": "Un numero intero di giorni, da 1 a {most}.",
        "en": "A whole number of days, from 1 to {most}.",
    },
    "plan.kpi.green": {"it": "Soglia verde", "en": "Green threshold"},
    "plan.kpi.green_hint": {
        "it": "Da qui in poi è in salute.",
        "en": "From here on it is healthy.",
    },
    "plan.kpi.red": {"it": "Soglia rossa", "en": "Red threshold"},
    "plan.kpi.red_hint": {
        "it": "Oltre questa è critico; tra le due, da tenere d'occhio.",
        "en": "Past this it is unhealthy; between the two, to watch.",
    },
    "plan.kpi.submit": {"it": "Aggiungi l'indicatore", "en": "Add the KPI"},
    "plan.kpi.done": {"it": "Indicatore aggiunto.", "en": "KPI added."},
    "error.green.unchanged": {
        "it": "Le soglie sono già queste: spostane almeno una.",
        "en": "The thresholds are these already: move at least one.",
    },
    "error.red.threshold_order": {
        "it": "La soglia rossa sta dalla parte peggiore della verde: sotto se più alto è"
        " meglio, sopra se più basso è meglio.",
        "en": "The red threshold lies on the worse side of the green: below it if higher is"
        " better, above it if lower is better.",
    },
    "measurement.open": {"it": "Registra una misura", "en": "Record a measurement"},
    "measurement.value": {"it": "Valore", "en": "Value"},
    "measurement.latest": {
        "it": "L'ultimo: {value}, il {date}.",
        "en": "The last: {value}, on {date}.",
    },
    "measurement.on": {"it": "Giorno", "en": "Day"},
    "measurement.note": {"it": "Nota (facoltativa)", "en": "Note (optional)"},
    "measurement.submit": {"it": "Registra", "en": "Record"},
    "measurement.done": {"it": "Misura registrata.", "en": "Measurement recorded."},
    "measurement.far_off": {
        "it": "{value} è molto lontano dalle soglie ({green} verde, {red} rossa): se è giusto,"
        " registralo di nuovo.",
        "en": "{value} is far from the thresholds ({green} green, {red} red): if it is right,"
        " record it again.",
    },
    "measurement.retired": {
        "it": "L'indicatore è stato ritirato: non si misura più.",
        "en": "The KPI was retired: it is no longer measured.",
    },
    "nav.people": {"it": "Persone e chiavi", "en": "People and keys"},
    "nav.settings": {"it": "Impostazioni", "en": "Settings"},
    "client.new": {"it": "Nuovo cliente", "en": "New client"},
    "client.new_hint": {
        "it": "Poi pianifica il suo primo ciclo e invita le sue persone da «Persone e chiavi».",
        "en": "Then plan its first cycle, and invite its people from 'People and keys'.",
    },
    "client.create": {"it": "Crea il cliente", "en": "Create the client"},
    "client.consultancy": {"it": "Società di consulenza", "en": "Consultancy"},
    "client.name": {"it": "Nome dell'azienda", "en": "Company name"},
    "client.colour": {"it": "Colore", "en": "Colour"},
    "client.colour_hint": {
        "it": "Il colore delle sue pagine e del portafoglio.",
        "en": "The colour of its pages and of the portfolio.",
    },
    "client.fiscal_year_start_month": {
        "it": "L'anno fiscale inizia a",
        "en": "The fiscal year begins in",
    },
    "client.fiscal_hint": {
        "it": "I cicli proposti seguono i suoi trimestri.",
        "en": "The cycles proposed follow its quarters.",
    },
    "client.check_in_cadence_days": {
        "it": "Aggiornamenti ogni (giorni)",
        "en": "Check-ins every (days)",
    },
    "client.cadence_hint": {
        "it": "Un risultato chiave senza aggiornamenti da più giorni è segnalato. Da 1 a {most}.",
        "en": "A key result with no check-in for longer is flagged. From 1 to {most}.",
    },
    "client.locale": {"it": "Lingua", "en": "Language"},
    "client.locale_hint": {
        "it": "Quella di chi non ne ha scelta una.",
        "en": "For whoever has not chosen one.",
    },
    "client.time_zone": {"it": "Fuso orario", "en": "Time zone"},
    "client.time_zone_of_language": {
        "it": "Secondo la lingua: {it} per l'italiano, {other} per le altre",
        "en": "As its language: {it} for Italian, {other} for any other",
    },
    "client.time_zone_hint": {
        "it": "Dove cominciano i suoi giorni, e l'ora delle modifiche.",
        "en": "Where its days begin, and the time of its changes.",
    },
    "client.encrypted": {
        "it": "Cifra i suoi eventi con una chiave propria",
        "en": "Encrypt its events with a key of its own",
    },
    "client.encrypted_hint": {
        "it": "Si sceglie ora, per sempre. Se il cliente viene cancellato, la chiave va con"
        " lui: le copie dei suoi eventi non si leggono più.",
        "en": "Chosen now, for good. Should the client be erased, its key goes with it:"
        " copies of its events can no longer be read.",
    },
    "error.checkbox": {
        "it": "Spunta la casella o lasciala vuota.",
        "en": "Tick the box or leave it empty.",
    },
    "error.time_zone": {
        "it": "Scegli un fuso orario dell'elenco.",
        "en": "Choose a time zone from the list.",
    },
    "client.language.it": {"it": "Italiano", "en": "Italian"},
    "client.language.en": {"it": "Inglese", "en": "English"},
    "client.created": {
        "it": "Cliente creato. Pianifica il suo primo ciclo qui sotto, e invita le sue persone"
        " da «Persone e chiavi».",
        "en": "Client created. Plan its first cycle below, and invite its people from"
        " 'People and keys'.",
    },
    "error.name.duplicate_client_name": {
        "it": "Un altro cliente della consulenza ha già questo nome: dagliene uno che lo"
        " distingua.",
        "en": "Another client of the consultancy has this name already: give it one that"
        " tells it apart.",
    },
    "error.name.duplicate_slug": {
        "it": "Ci sono già troppi clienti con questo nome: scegline un altro.",
        "en": "Too many clients have this name already: choose another.",
    },
    "client.not_offered": {
        "it": "Puoi creare clienti solo delle società di consulenza che amministri.",
        "en": "You can make clients only for the consultancies you administer.",
    },
    "client.form_used": {
        "it": "Questo modulo non può più creare un cliente: invialo di nuovo.",
        "en": "This form can no longer make a client: send it again.",
    },
    "settings.title": {"it": "Impostazioni dell'azienda", "en": "Company settings"},
    "settings.save": {"it": "Salva le impostazioni", "en": "Save the settings"},
    "settings.reason": {"it": "Motivo (facoltativo)", "en": "Reason (optional)"},
    "settings.reason_hint": {
        "it": "Resta nello storico con la modifica.",
        "en": "Kept in the history with the change.",
    },
    "settings.encrypted": {
        "it": "I suoi eventi sono salvati cifrati, con una chiave propria (scelto alla sua"
        " creazione).",
        "en": "Its events are stored encrypted, with a key of its own (chosen when it was made).",
    },
    "settings.plain": {
        "it": "I suoi eventi sono salvati in chiaro (la cifratura si sceglie alla creazione"
        " di un cliente).",
        "en": "Its events are stored unencrypted (encryption is chosen as a client is made).",
    },
    "settings.saved": {"it": "Impostazioni salvate.", "en": "Settings saved."},
    "settings.unchanged": {
        "it": "Nulla è cambiato: non è stato registrato nulla.",
        "en": "Nothing changed: nothing was recorded.",
    },
    "settings.access": {"it": "Accesso", "en": "Access"},
    "settings.suspend_text": {
        "it": "Sospesa, le persone e le chiavi API di '{name}' non vi accedono più; i suoi dati"
        " restano, e la società di consulenza la può riattivare.",
        "en": "Once suspended, the people and API keys of '{name}' lose access; its data stays,"
        " and the consultancy can reactivate it.",
    },
    "settings.reactivate_text": {
        "it": "'{name}' è sospesa: le sue persone e chiavi API non vi accedono.",
        "en": "'{name}' is suspended: its people and API keys cannot reach it.",
    },
    "settings.suspend": {"it": "Sospendi '{name}'", "en": "Suspend '{name}'"},
    "settings.reactivate": {"it": "Riattiva '{name}'", "en": "Reactivate '{name}'"},
    "settings.suspended": {
        "it": "Azienda sospesa: le sue persone e chiavi non vi accedono più.",
        "en": "Company suspended: its people and keys lost access.",
    },
    "settings.reactivated": {
        "it": "Azienda riattivata: le sue persone e chiavi vi accedono di nuovo.",
        "en": "Company reactivated: its people and keys reach it again.",
    },
    "error.colour": {
        "it": "Scegli un colore (#rrggbb).",
        "en": "Choose a colour (#rrggbb).",
    },
    "error.fiscal_year_start_month": {
        "it": "Scegli un mese dell'elenco.",
        "en": "Choose a month from the list.",
    },
    "error.check_in_cadence_days": {
        "it": "Un numero intero di giorni, da 1 a {max}.",
        "en": "A whole number of days, from 1 to {max}.",
    },
    "error.locale": {
        "it": "Scegli una lingua dell'elenco.",
        "en": "Choose a language from the list.",
    },
    "people.title": {"it": "Persone e chiavi API", "en": "People and API keys"},
    "people.members": {"it": "Persone", "en": "People"},
    "people.name": {"it": "Nome", "en": "Name"},
    "people.email": {"it": "Email", "en": "Email"},
    "people.role": {"it": "Ruolo", "en": "Role"},
    "people.role_of": {"it": "Ruolo di {name}", "en": "Role of {name}"},
    "people.sign_in": {"it": "Accesso", "en": "Sign-in"},
    "people.you": {"it": "tu", "en": "you"},
    "people.last_admin_you": {
        "it": "Sei l'ultimo amministratore dell'azienda: per cambiare il tuo ruolo o toglierti"
        " l'accesso, nomina prima amministratore un'altra persona (con la sua password).",
        "en": "You are the company's last admin: to change your role or give up your access,"
        " first make another person admin (one who has chosen a password).",
    },
    "people.consultancy_kept": {
        "it": "Della società di consulenza: ne cambiano il ruolo, o lo tolgono, i suoi"
        " amministratori.",
        "en": "Of the consultancy: its admins change their role here, or end it.",
    },
    "people.change_role": {"it": "Cambia", "en": "Change"},
    "people.can_sign_in": {"it": "Può accedere.", "en": "Can sign in."},
    "people.no_password": {
        "it": "Non ha ancora una password.",
        "en": "Has no password yet.",
    },
    "people.link_until": {"it": "Un link vale fino al {date}.", "en": "A link works until {date}."},
    "people.make_link": {"it": "Crea il link per la password", "en": "Make the password link"},
    "people.link_made": {
        "it": "Consegna questo link alla persona: vale 7 giorni, una volta sola, e non sarà"
        " più mostrato (un nuovo link lo sostituisce).",
        "en": "Hand this link to the person: it works once, for 7 days, and will not be"
        " shown again (a new link replaces it).",
    },
    "people.link_label": {"it": "Link per la password", "en": "Password link"},
    "people.remove": {"it": "Togli l'accesso", "en": "Remove access"},
    "people.remove_confirm": {"it": "Togli l'accesso a {name}", "en": "Remove {name}'s access"},
    "people.reason": {"it": "Motivo (facoltativo)", "en": "Reason (optional)"},
    "people.reason_hint": {
        "it": "Resta nello storico dell'azienda, dove lo legge chi può leggerne il registro:"
        " i suoi amministratori, i suoi consulenti.",
        "en": "Kept in the company's history, where whoever may read its audit trail reads"
        " it: its admins, its consultants.",
    },
    "people.change_reason": {
        "it": "Motivo del cambio per {name} (facoltativo)",
        "en": "Reason for the change of {name} (optional)",
    },
    "people.invite": {"it": "Invita una persona", "en": "Invite a person"},
    "people.invite_hint": {
        "it": "Chi non ha un account lo riceve senza password: crea poi il link per sceglierla.",
        "en": "Someone with no account gets one without a password: then make the link to"
        " choose it.",
    },
    "people.invite_submit": {"it": "Invita", "en": "Invite"},
    "people.invited": {"it": "Persona invitata.", "en": "Person invited."},
    "people.key_shown_before": {
        "it": "La chiave è stata creata e mostrata una volta sola, quando il modulo è stato"
        " inviato: non si vede più. Se non l'hai copiata, revocala e creane un'altra.",
        "en": "The key was made and shown once, when the form was sent: it is not shown"
        " again. If you did not copy it, revoke it and make another.",
    },
    "people.link_shown_before": {
        "it": "Il link è stato creato e mostrato una volta sola, quando il modulo è stato"
        " inviato: non si vede più. Se non l'hai copiato, creane un altro (sostituisce questo).",
        "en": "The link was made and shown once, when the form was sent: it is not shown"
        " again. If you did not copy it, make another (it replaces this one).",
    },
    "people.role_changed": {"it": "Ruolo cambiato.", "en": "Role changed."},
    "people.role_same": {
        "it": "Aveva già quel ruolo: non è cambiato nulla.",
        "en": "That was their role already: nothing changed.",
    },
    "error.reason.empty": {
        "it": "Il motivo non ha nulla da leggere: scrivilo, o lascia vuoto il campo.",
        "en": "The reason has nothing to read: write it, or leave the field empty.",
    },
    "people.removed": {"it": "Accesso tolto.", "en": "Access removed."},
    "people.keys": {"it": "Chiavi API", "en": "API keys"},
    "people.key_name": {"it": "Nome della chiave", "en": "Key name"},
    "people.key_used": {"it": "Ultimo uso", "en": "Last used"},
    "people.never_used": {"it": "mai", "en": "never"},
    "people.key_by": {"it": "Creata da", "en": "Made by"},
    "people.key_by_nobody": {"it": "un account cancellato", "en": "an erased account"},
    "people.key_by_gone": {
        "it": "non gestisce più le chiavi dell'azienda e ne ha visto il segreto:"
        " revocala e creane un'altra",
        "en": "no longer manages the company's keys and saw its secret: revoke it and make another",
    },
    "people.no_keys": {"it": "Nessuna chiave.", "en": "No keys."},
    "people.revoke": {"it": "Revoca", "en": "Revoke"},
    "people.revoke_confirm": {"it": "Revoca «{name}»", "en": "Revoke “{name}”"},
    "people.revoked": {"it": "Chiave revocata.", "en": "Key revoked."},
    "people.revoked_on": {"it": "Revocata il {date}", "en": "Revoked on {date}"},
    "people.new_key": {"it": "Nuova chiave API", "en": "New API key"},
    "people.new_key_submit": {"it": "Crea la chiave", "en": "Make the key"},
    "people.key_made": {
        "it": "Copia ora la chiave: non sarà più mostrata, da nessuna parte.",
        "en": "Copy the key now: it will not be shown again, anywhere.",
    },
    "people.key_label": {"it": "Chiave API", "en": "API key"},
    "role.client_admin": {"it": "Amministratore", "en": "Admin"},
    "role.client_member": {"it": "Membro", "en": "Member"},
    "role.client_viewer": {"it": "Lettore", "en": "Viewer"},
    "role.consultant": {"it": "Consulente", "en": "Consultant"},
    "role.consultancy_admin": {"it": "Amministratore della consulenza", "en": "Consultancy admin"},
    "team.title": {"it": "Le persone di {name}", "en": "{name}'s people"},
    "team.lead": {
        "it": "Un amministratore della consulenza raggiunge ogni suo cliente; un consulente"
        " solo i clienti in cui ha un ruolo, quello detto accanto a ciascuno.",
        "en": "A consultancy admin reaches every client of it; a consultant only the clients"
        " they hold a role in, the one given beside each.",
    },
    "team.clients": {"it": "Clienti", "en": "Clients"},
    "team.all_clients": {"it": "Tutti i clienti", "en": "Every client"},
    "team.no_clients": {"it": "Nessuno, per ora.", "en": "None yet."},
    "team.assign_hint": {
        "it": "Un consulente si assegna a un cliente dalla pagina «Persone e chiavi» del"
        " cliente, con il ruolo Consulente.",
        "en": "A consultant is assigned to a client on the client's 'People and keys' page,"
        " with the role Consultant.",
    },
    "team.remove_hint": {
        "it": "Non raggiungerà più alcun cliente della consulenza; il suo account resta.",
        "en": "They will reach none of the consultancy's clients; their account stays.",
    },
    "team.reason_hint": {
        "it": "Resta nello storico di ogni cliente di cui cambia l'accesso, dove lo legge chi"
        " può leggerne il registro: i suoi amministratori, i suoi consulenti.",
        "en": "Kept in the history of each client whose access it changes, where whoever may"
        " read its audit trail reads it: its admins, its consultants.",
    },
    "team.remove_confirm": {
        "it": "Togli {name} dalla consulenza",
        "en": "Remove {name} from the consultancy",
    },
    "team.last_admin_kept": {
        "it": "È l'ultimo amministratore della consulenza che può accedere: per cambiarne il"
        " ruolo o toglierlo, nomina prima amministratore un'altra persona (con la sua"
        " password).",
        "en": "This is the consultancy's last admin who can sign in: to change their role or"
        " remove them, first make another person admin (one who has chosen a password).",
    },
    "team.last_admin": {
        "it": "È l'ultimo amministratore della consulenza che può accedere: nomina prima un"
        " altro amministratore (chi è invitato deve aver scelto la password).",
        "en": "This is the consultancy's last admin who can sign in: make another one admin"
        " first (one invited must have chosen a password).",
    },
    "error.email.invalid_email": {
        "it": "Scrivi un indirizzo email valido.",
        "en": "Write a valid email address.",
    },
    "error.bound_elsewhere": {
        "it": "Questo account ha scelto la password con un link di un'altra azienda: invitalo"
        " con un altro indirizzo.",
        "en": "This account chose its password with a link of another company: invite its"
        " owner under another address.",
    },
    "error.not_consultancy_member": {
        "it": "Un consulente appartiene alla società di consulenza dell'azienda: la sua"
        " amministrazione lo aggiunge prima lì, dalle persone della consulenza nel portafoglio.",
        "en": "A consultant belongs to the company's consultancy: its admin adds them there first,"
        " from the consultancy's people in the portfolio.",
    },
    "error.unreadable": {
        "it": "Non c'è nulla da leggere: scrivi del testo.",
        "en": "There is nothing to read: write some text.",
    },
    "error.user_id.beyond": {
        "it": "Questa persona raggiunge più di quanto gestisci: il link lo crea chi la gestisce"
        " ovunque.",
        "en": "This person reaches beyond what you manage: whoever manages all they reach"
        " makes the link.",
    },
    "error.user_id.consultancy_person": {
        "it": "Questa persona è della società di consulenza: ne cambiano il ruolo, o lo"
        " tolgono, i suoi amministratori.",
        "en": "This person is of the consultancy: its admins change their role here, or end it.",
    },
    "error.has_password": {
        "it": "Ha già una password: accede con quella.",
        "en": "They have a password already: they sign in with it.",
    },
    "error.email.beyond": {
        "it": "Questo indirizzo è di un account che va oltre ciò che gestisci: lo aggiunge un"
        " amministratore della piattaforma.",
        "en": "This address is an account that reaches beyond what you manage: a platform"
        " admin adds it.",
    },
    "error.invalid_name": {
        "it": "Scrivi un nome, fino a {max} caratteri.",
        "en": "Write a name, up to {max} characters.",
    },
    "error.duplicate_membership": {
        "it": "Questa persona ha già un ruolo qui: cambialo nella tabella.",
        "en": "This person has a role here already: change it in the table.",
    },
    "error.last_admin": {
        "it": "È l'ultimo amministratore dell'azienda: nomina prima un altro.",
        "en": "This is the company's last admin: name another first.",
    },
    "kr_kind.increase": {"it": "Aumentare fino al traguardo", "en": "Increase to the target"},
    "kr_kind.decrease": {"it": "Ridurre fino al traguardo", "en": "Decrease to the target"},
    "kr_kind.stay_above": {"it": "Restare almeno alla soglia", "en": "Stay at or above"},
    "kr_kind.stay_below": {"it": "Restare al massimo alla soglia", "en": "Stay at or below"},
    "kr_kind.milestone": {"it": "Tappa: fatta o no", "en": "Milestone: done or not"},
    "unit_kind.count": {"it": "Numero", "en": "Count"},
    "unit_kind.percent": {"it": "Percentuale", "en": "Percent"},
    "unit_kind.currency": {"it": "Valuta", "en": "Money"},
    "unit_kind.hours": {"it": "Ore", "en": "Hours"},
    "unit_kind.score": {"it": "Punteggio", "en": "Score"},
    "unit_kind.text": {"it": "Testo (etichetta)", "en": "Text (label)"},
}

_AUDIT: M = {
    "audit.title": {"it": "Registro modifiche", "en": "Audit trail"},
    "audit.lead": {
        "it": "Ogni evento come è stato registrato, con la sua impronta (hash) concatenata alla"
        " precedente.",
        "en": "Every event as it was recorded, with its hash chained to the one before.",
    },
    "audit.verify": {"it": "Verifica la catena", "en": "Verify the chain"},
    "audit.csv": {"it": "Scarica il registro (CSV)", "en": "Download the trail (CSV)"},
    "audit.jsonl": {
        "it": "Scarica il registro (JSON Lines)",
        "en": "Download the trail (JSON Lines)",
    },
    "audit.topic": {"it": "Tipo di evento", "en": "Kind of event"},
    "audit.topic.okr.Cycle": {"it": "Cicli", "en": "Cycles"},
    "audit.topic.okr.Objective": {"it": "Obiettivi", "en": "Objectives"},
    "audit.topic.okr.KeyResult": {"it": "Risultati chiave", "en": "Key results"},
    "audit.topic.okr.KPI": {"it": "Indicatori", "en": "KPIs"},
    "audit.topic.okr.SettingsChange": {"it": "Impostazioni dell'azienda", "en": "Company settings"},
    "audit.topic.okr.AccessChange": {
        "it": "Accessi (persone, chiavi API)",
        "en": "Access (people, API keys)",
    },
    "audit.event.okr.Cycle.Created": {"it": "Ciclo creato", "en": "Cycle created"},
    "audit.event.okr.Cycle.Activated": {"it": "Ciclo avviato", "en": "Cycle started"},
    "audit.event.okr.Cycle.Closed": {
        "it": "Ciclo chiuso e valutato",
        "en": "Cycle closed and scored",
    },
    "audit.event.okr.Cycle.Renamed": {"it": "Ciclo rinominato", "en": "Cycle renamed"},
    "audit.event.okr.Cycle.Discarded": {"it": "Ciclo scartato", "en": "Cycle discarded"},
    "audit.event.okr.Cycle.Rescheduled": {
        "it": "Date del ciclo cambiate",
        "en": "Cycle dates changed",
    },
    "audit.event.okr.Cycle.ScoreAdjusted": {"it": "Punteggio modificato", "en": "Score adjusted"},
    "audit.event.okr.Objective.Created": {"it": "Obiettivo creato", "en": "Objective created"},
    "audit.event.okr.Objective.Archived": {
        "it": "Obiettivo archiviato",
        "en": "Objective archived",
    },
    "audit.event.okr.Objective.Restored": {
        "it": "Obiettivo ripristinato",
        "en": "Objective restored",
    },
    "audit.event.okr.Objective.Renamed": {"it": "Obiettivo rinominato", "en": "Objective renamed"},
    "audit.event.okr.Objective.Described": {
        "it": "Descrizione dell'obiettivo cambiata",
        "en": "Objective's description changed",
    },
    "audit.event.okr.Objective.OwnerChanged": {
        "it": "Responsabile dell'obiettivo cambiato",
        "en": "Objective's owner changed",
    },
    "audit.event.okr.Objective.Reparented": {
        "it": "Allineamento dell'obiettivo cambiato",
        "en": "Objective's alignment changed",
    },
    "audit.event.okr.Objective.CommitmentChanged": {
        "it": "Obiettivo reso vincolante o ambizioso",
        "en": "Objective made committed or aspirational",
    },
    "audit.event.okr.Objective.RollUpChanged": {
        "it": "Inclusione degli allineati cambiata",
        "en": "Roll-up of aligned objectives changed",
    },
    "audit.event.okr.Objective.WeightChanged": {
        "it": "Peso dell'obiettivo cambiato",
        "en": "Objective's weight changed",
    },
    "audit.event.okr.KeyResult.Created": {
        "it": "Risultato chiave creato",
        "en": "Key result created",
    },
    "audit.event.okr.KeyResult.Archived": {
        "it": "Risultato chiave archiviato",
        "en": "Key result archived",
    },
    "audit.event.okr.KeyResult.Renamed": {
        "it": "Risultato chiave rinominato",
        "en": "Key result renamed",
    },
    "audit.event.okr.KeyResult.CheckedIn": {
        "it": "Aggiornamento registrato",
        "en": "Check-in recorded",
    },
    "audit.event.okr.KeyResult.CheckInCorrected": {
        "it": "Aggiornamento corretto",
        "en": "Check-in corrected",
    },
    "audit.event.okr.KeyResult.TargetRevised": {"it": "Traguardo rivisto", "en": "Target revised"},
    "audit.event.okr.KeyResult.DueDateChanged": {
        "it": "Scadenza cambiata",
        "en": "Due date changed",
    },
    "audit.event.okr.KeyResult.OwnerChanged": {
        "it": "Responsabile del risultato chiave cambiato",
        "en": "Key result's owner changed",
    },
    "audit.event.okr.KeyResult.WeightChanged": {
        "it": "Peso del risultato chiave cambiato",
        "en": "Key result's weight changed",
    },
    "audit.event.okr.KeyResult.LinkedToKpi": {
        "it": "Risultato chiave collegato a un indicatore",
        "en": "Key result linked to a KPI",
    },
    "audit.event.okr.KeyResult.UnlinkedFromKpi": {
        "it": "Risultato chiave scollegato dall'indicatore",
        "en": "Key result unlinked from its KPI",
    },
    "audit.event.okr.KPI.Created": {"it": "Indicatore creato", "en": "KPI created"},
    "audit.event.okr.KPI.Archived": {"it": "Indicatore archiviato", "en": "KPI archived"},
    "audit.event.okr.KPI.Renamed": {"it": "Indicatore rinominato", "en": "KPI renamed"},
    "audit.event.okr.KPI.Measured": {"it": "Misura registrata", "en": "Measurement recorded"},
    "audit.event.okr.KPI.MeasurementCorrected": {
        "it": "Misura corretta",
        "en": "Measurement corrected",
    },
    "audit.event.okr.KPI.ThresholdsChanged": {
        "it": "Soglie dell'indicatore cambiate",
        "en": "KPI's thresholds changed",
    },
    "audit.event.okr.KPI.DirectionChanged": {
        "it": "Verso dell'indicatore cambiato",
        "en": "KPI's direction changed",
    },
    "audit.event.okr.KPI.FrequencyChanged": {
        "it": "Frequenza di misura cambiata",
        "en": "Measuring frequency changed",
    },
    "audit.event.okr.KPI.OwnerChanged": {
        "it": "Responsabile dell'indicatore cambiato",
        "en": "KPI's owner changed",
    },
    "audit.event.okr.KPI.KeyResultLinked": {
        "it": "L'indicatore alimenta un risultato chiave",
        "en": "KPI feeds a key result",
    },
    "audit.event.okr.KPI.KeyResultUnlinked": {
        "it": "L'indicatore non alimenta più un risultato chiave",
        "en": "KPI no longer feeds a key result",
    },
    "audit.event.okr.SettingsChange.Created": {
        "it": "Impostazioni dell'azienda cambiate",
        "en": "Company settings changed",
    },
    "audit.event.okr.AccessChange.Created": {"it": "Accessi cambiati", "en": "Access changed"},
    "audit.chain_ok": {
        "it": "Catena integra: {n} eventi verificati, fino alla posizione {head}.",
        "en": "Chain intact: {n} events checked, up to position {head}.",
    },
    "audit.chain_broken": {
        "it": "Catena interrotta alla posizione {position} ({problem}) dopo {n} eventi integri.",
        "en": "Chain broken at position {position} ({problem}) after {n} good events.",
    },
    "audit.chain_ok_one": {
        "it": "Catena integra: 1 evento verificato, fino alla posizione {head}.",
        "en": "Chain intact: 1 event checked, up to position {head}.",
    },
    "audit.chain_broken_one": {
        "it": "Catena interrotta alla posizione {position} ({problem}) dopo 1 evento integro.",
        "en": "Chain broken at position {position} ({problem}) after 1 good event.",
    },
    "audit.problem.hash_mismatch": {
        "it": "l'impronta non corrisponde all'evento",
        "en": "hash mismatch",
    },
    "audit.problem.gap": {
        "it": "manca l'evento di questa posizione",
        "en": "gap in positions",
    },
    "audit.problem.head_position": {
        "it": "il registro finisce alla posizione {n}, ma ne risultano registrati {head}",
        "en": "the log ends at position {n}, its head says {head}",
    },
    "audit.problem.head_hash": {
        "it": "l'impronta finale conservata a parte non è quella dell'evento {n}, l'ultimo",
        "en": "the head's hash is not that of event {n}, the last",
    },
    "audit.caption": {"it": "Eventi del registro", "en": "Events of the trail"},
    "audit.recorded": {"it": "Registrato", "en": "Recorded"},
    "audit.actor": {"it": "Autore", "en": "Actor"},
    "audit.event": {"it": "Evento", "en": "Event"},
    "audit.change": {"it": "Cosa è cambiato", "en": "What changed"},
    "audit.hash": {"it": "Impronta", "en": "Hash"},
    "audit.latest": {"it": "Ai più recenti", "en": "To the latest"},
    "audit.earlier": {"it": "Eventi precedenti", "en": "Earlier events"},
    "audit.oldest_first": {"it": "Dal primo evento", "en": "From the first event"},
    "audit.next": {"it": "Eventi successivi", "en": "Later events"},
    "audit.none": {"it": "Nessun evento.", "en": "No events."},
}

_KPI_PAGE: M = {
    "kpi_page.heading": {"it": "Indicatore (KPI)", "en": "KPI"},
    "kpi_page.every": {"it": "Si misura", "en": "Measured"},
    "kpi_page.days": EVERY_TEXTS["many"],  # as the history says how often
    "kpi_page.days_one": EVERY_TEXTS["one"],
    "kpi_page.edit": {
        "it": "Nome, responsabile, frequenza",
        "en": "Name, owner, frequency",
    },
    "kpi_page.edit_submit": {"it": "Salva le modifiche", "en": "Save the changes"},
    "kpi_page.thresholds": {"it": "Sposta le soglie", "en": "Move the thresholds"},
    "kpi_page.thresholds_hint": {
        "it": "Perché le sposti: resta nello storico, con le soglie di prima.",
        "en": "Why you move them: it stays in the history, with the thresholds before.",
    },
    "kpi_page.thresholds_submit": {"it": "Salva le soglie", "en": "Save the thresholds"},
    "kpi_page.moves": {"it": "Soglie spostate", "en": "Thresholds moved"},
    "kpi_page.moved": {"it": "{moves}, da {who} il {when}:", "en": "{moves}, by {who} on {when}:"},
    "kpi_page.moved_green": {"it": "Verde {before} → {after}", "en": "Green {before} → {after}"},
    "kpi_page.moved_red_first": {"it": "Rossa {before} → {after}", "en": "Red {before} → {after}"},
    "kpi_page.moved_red": {"it": "rossa {before} → {after}", "en": "red {before} → {after}"},
    "kpi_page.feeds": {"it": "Risultati chiave alimentati", "en": "Key results it feeds"},
    "kpi_page.fed_until_retired": {
        "it": "Risultati chiave che alimentava fino al ritiro",
        "en": "Key results it fed until it was retired",
    },
    "kpi_page.feeds_none": {
        "it": "Non alimenta nessun risultato chiave.",
        "en": "It feeds no key result.",
    },
    "recovery.none": {
        "it": "Nessun OKR di recupero: l'indicatore non è verde e non alimenta alcun risultato"
        " chiave di un ciclo attivo.",
        "en": "No recovery OKR: the KPI is not green and feeds no key result of an active cycle.",
    },
    "recovery.none_short": {"it": "Senza OKR di recupero", "en": "No recovery OKR"},
    "recovery.add": {
        "it": "Aggiungi un risultato chiave alimentato dall'indicatore",
        "en": "Add a key result fed by the KPI",
    },
    "recovery.chosen": {
        "it": "In ogni «Nuovo risultato chiave» è già scelto l'indicatore «{kpi}»: aprilo"
        " sotto l'obiettivo che deve recuperarlo, o crea prima un «Nuovo obiettivo».",
        "en": "Each “New key result” has the KPI “{kpi}” chosen already: open it under the"
        " objective that is to recover it, or make a “New objective” first.",
    },
    "recovery.no_cycle": {
        "it": "Nessun ciclo è attivo o in pianificazione: pianifica prima un ciclo, poi"
        " aggiungi un risultato chiave alimentato dall'indicatore.",
        "en": "No cycle is active or in planning: plan a cycle first, then add a key result"
        " fed by the KPI.",
    },
    "recovery.plan": {"it": "Pianifica un ciclo", "en": "Plan a cycle"},
    "recovery.chosen_no_cycle": {
        "it": "Per un risultato chiave alimentato dall'indicatore «{kpi}» serve un ciclo attivo"
        " o in pianificazione: pianifica prima un ciclo con «Nuovo ciclo».",
        "en": "A key result fed by the KPI “{kpi}” needs a cycle that is active or in"
        " planning: plan a cycle first with “New cycle”.",
    },
    "kpi_page.feed": {"it": "Alimenta un risultato chiave", "en": "Feed a key result"},
    "kpi_page.feed_which": {"it": "Risultato chiave", "en": "Key result"},
    "kpi_page.feed_choose": {"it": "Scegli…", "en": "Choose…"},
    "kpi_page.feed_hint": {
        "it": "Le misure dei giorni del suo ciclo diventano subito i suoi aggiornamenti, e"
        " così ogni misura dopo.",
        "en": "The measurements of its cycle's days become its check-ins at once, and so does"
        " every measurement after.",
    },
    "kpi_page.feed_submit": {"it": "Collega", "en": "Link"},
    "kpi_page.unfeed": {"it": "Smetti di alimentarlo", "en": "Stop feeding it"},
    "kpi_page.not_fed": {
        "it": "L'indicatore non alimenta più quel risultato chiave.",
        "en": "The KPI no longer feeds that key result.",
    },
    "kpi_page.chart_title": {"it": "Andamento di {name}", "en": "{name} over time"},
    "kpi_page.chart_desc": {
        "it": "{count} giorni misurati; l'ultimo valore è {value} (verde {green}, rossa {red}).",
        "en": "{count} days measured; the latest value is {value} (green {green}, red {red}).",
    },
    "kpi_page.chart_desc_one": {
        "it": "1 giorno misurato; l'ultimo valore è {value} (verde {green}, rossa {red}).",
        "en": "1 day measured; the latest value is {value} (green {green}, red {red}).",
    },
    "kpi_page.measurements": {"it": "Misure", "en": "Measurements"},
    "kpi_page.measurements_none": {"it": "Nessuna misura.", "en": "No measurements."},
    "kpi_page.correction_of": {"it": "la misura del {date}", "en": "the measurement of {date}"},
    "kpi_page.correction_hint": {
        "it": "Perché la correggi: corregge anche gli aggiornamenti che ha alimentato.",
        "en": "Why you correct it: the check-ins it fed are corrected too.",
    },
    "kpi_page.far_off": {
        "it": "{value} è molto lontano dalle soglie ({green} verde, {red} rossa): se è giusto,"
        " salvalo di nuovo.",
        "en": "{value} is far from the thresholds ({green} green, {red} red): if it is right,"
        " save it again.",
    },
    "kpi_page.archive": {"it": "Ritira l'indicatore", "en": "Retire the KPI"},
    "kpi_page.archive_hint": {
        "it": "Perché lo ritiri: non si misura più e non alimenta più i risultati chiave;"
        " resta nello storico.",
        "en": "Why you retire it: it is measured no more and feeds its key results no more;"
        " it stays in the history.",
    },
    "kpi_page.archive_submit": {"it": "Ritira l'indicatore", "en": "Retire the KPI"},
    "kpi_page.archive_reason_missing": {
        "it": "Scrivi perché lo ritiri.",
        "en": "Say why you retire it.",
    },
    "kpi_page.archived_banner": {
        "it": "Ritirato da {who} il {date}: «{reason}». Non si misura più.",
        "en": "Retired by {who} on {date}: “{reason}”. It is measured no more.",
    },
    "kpi_page.archived_plain": {
        "it": "Ritirato: non si misura più.",
        "en": "Retired: it is measured no more.",
    },
    "error.kpi_id.unit_mismatch": {
        "it": "L'indicatore si misura in un'altra unità: alimenta solo risultati chiave della sua.",
        "en": "The KPI is measured in another unit: it feeds only key results of its own.",
    },
    "error.kpi_id.against_direction": {
        "it": "Il risultato chiave va contro l'indicatore (un aumento dove è meglio più basso,"
        " o il contrario): alimentato da esso, mirerebbe a peggiorarlo. L'indicatore alimenta"
        " solo risultati chiave che vanno nella sua direzione, o soglie da tenere.",
        "en": "The key result goes against the KPI (an increase where lower is better, or the"
        " other way): fed by it, it would aim to make it worse. The KPI feeds only key results"
        " that go its way, or thresholds to hold.",
    },
    "error.kpi_id.milestone": {
        "it": "Una tappa è raggiunta o no: nessun indicatore la alimenta.",
        "en": "A milestone is done or not: no KPI feeds it.",
    },
    "error.kpi_id.archived": {
        "it": "L'indicatore è stato ritirato: non cambia più.",
        "en": "The KPI was retired: it changes no more.",
    },
    "kpi_page.feed_moves": {
        "it": "{kr} (ora alimentato da «{kpi}», che smette)",
        "en": "{kr} (now fed by '{kpi}', which stops)",
    },
    "kpi_page.done.edited": {"it": "Modifiche salvate.", "en": "Changes saved."},
    "kpi_page.done.thresholds": {"it": "Soglie spostate.", "en": "Thresholds moved."},
    "kpi_page.done.corrected": {"it": "Correzione registrata.", "en": "Correction recorded."},
    "kpi_page.done.fed": {
        "it": "Collegato: le misure del suo ciclo e le prossime alimentano il risultato chiave.",
        "en": "Linked: the measurements of its cycle, and the next ones, feed the key result.",
    },
    "kpi_page.done.unfed": {
        "it": "Non alimenta più quel risultato chiave.",
        "en": "It no longer feeds that key result.",
    },
    "kpi_page.done.archived": {"it": "Indicatore ritirato.", "en": "KPI retired."},
    "kpi_page.done.turned": {
        "it": "Direzione cambiata: la salute delle misure segue la nuova.",
        "en": "Direction changed: the measurements' health follows the new one.",
    },
    "kpi_page.direction": {
        "it": "Cambia com'è meglio (creato al contrario)",
        "en": "Turn which way is better (made the wrong way round)",
    },
    "kpi_page.direction_hint": {
        "it": "Le misure restano com'erano; le soglie vanno date per la nuova direzione. Scrivi"
        " perché.",
        "en": "The measurements stay as they were; give thresholds for the new direction. Say why.",
    },
    "kpi_page.direction_submit": {"it": "Salva la direzione", "en": "Save the direction"},
    "kpi_page.unit_fixed": {
        "it": "L'unità non cambia: le misure sono state prese in questa. Per un'altra unità,"
        " crea un nuovo indicatore.",
        "en": "The unit does not change: the measurements were taken in this one. For another"
        " unit, make a new KPI.",
    },
}

MESSAGES: M = {
    **_APP, **_UNITS, **_STATES, **_DASHBOARD, **_CHECK_IN, **_ERRORS, **_SIGN_IN,
    **_PORTFOLIO, **_HISTORY, **_FIELDS, **_PLANNING, **_AUDIT, **_SCORES,
    **_KPI_PAGE,
}  # fmt: skip
