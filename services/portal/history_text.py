"""History lines and differences in the reader's language: numbers, dates and people local."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from uuid import UUID

import msgspec

from domain.progress import over_achievement, score_places, shown_progress
from projections.audit import AuditEntry, defused_json
from projections.history import HistoryLine
from projections.history_text import said_reason
from projections.progress_state import ProgressView
from projections.timetravel import PROGRESS_FIELDS, Change
from services.history_words import Phrases, Units, decimal_of
from services.i18n import Locale

ITEM_KINDS = ("cycle", "objective", "key_result", "kpi", "tenant", "access")
CHANGE_KINDS = (
    "key_result.check_in_corrected", "key_result.target_revised", "cycle.score_adjusted",
    "kpi.measured", "kpi.measurement_corrected",
)  # fmt: skip
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


_FORMULA_AFTER = {sep: re.compile(rf"({sep})(?=[=+\-@\t\r])") for sep in ",;"}


def _defused(cell: str, other: str) -> str:
    """A cell no spreadsheet reads as a formula: a quote before one at its start, and after
    the `other` language's separator within it, where a spreadsheet set to split on that
    one starts a cell ("Q4;=1+1" in the English file, split on semicolons, had a cell
    "=1+1"). This file's own separator needs none: the cell is quoted where it holds one,
    and the other split does not cut there."""
    if other in cell:
        cell = _FORMULA_AFTER[other].sub(r"\1'", cell)
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


CSV_DELIMITER = {"it": ";", "en": ","}
"""The list separator of each language's spreadsheets (Excel's, by regional settings)."""


def csv_lines(
    locale: Locale,
    lines: Sequence[HistoryLine],
    names: dict[str, str],
    *,
    header: bool = False,
    units: Units | None = None,
) -> str:
    """CSV text of timeline lines (a header when asked), guarded against spreadsheet formulas,
    as the reader's spreadsheet splits it: by semicolons in Italian (its decimal mark is the
    comma), by commas in English."""
    buffer, writer, defused = _sheet(locale)
    phrases = Phrases(locale, names, units)
    if header:
        writer.writerow(
            [
                locale.t(f"csv.{c}")
                for c in (
                    "position",
                    "recorded_at",
                    "valid_on",
                    "actor",
                    "kind",
                    "item",
                    "text",
                    "reason",
                )
            ]
        )
    for line in lines:
        writer.writerow([
            str(line.position), line.recorded_at.isoformat(),
            line.valid_on.isoformat() if line.valid_on else "",
            defused(phrases.person(line.actor)), locale.t(f"kind.{line.item_kind}"),
            defused(line.item_title),
            defused(phrases.text(line)),
            defused(said_reason(line.reason, locale.language) or ""),
        ])  # fmt: skip
    return buffer.getvalue()


def _sheet(locale: Locale) -> tuple[io.StringIO, Any, Callable[[str], str]]:
    """A CSV writer as the reader's spreadsheet splits lines (CSV_DELIMITER), into a buffer,
    and what defuses a cell of it (_defused, after the other language's separator)."""
    buffer = io.StringIO()
    delimiter = CSV_DELIMITER.get(locale.language, ",")
    other = ";" if delimiter == "," else ","
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    return buffer, writer, partial(_defused, other=other)


AUDIT_COLUMNS = (
    "position", "recorded_at", "actor", "text", "topic", "actor_id", "item_id", "version",
    "correlation_id", "hash", "payload",
)  # fmt: skip


def audit_csv_lines(
    locale: Locale,
    entries: Sequence[AuditEntry],
    said: Mapping[int, str],
    names: dict[str, str],
    *,
    header: bool = False,
) -> str:
    """CSV text of audit trail entries for a person's spreadsheet (a header when asked), as
    csv_lines writes the timeline: who by name and what changed in words (`said`, by
    position) first, then every fact the API's CSV has, the payload as JSON."""
    buffer, writer, defused = _sheet(locale)
    if header:
        writer.writerow([locale.t(f"csv.{c}") for c in AUDIT_COLUMNS])
    for e in entries:  # the payload's own commas followed by a space (indent 0): no formula
        writer.writerow([
            str(e.position), e.recorded_at.isoformat(), defused(locale.person(e.actor, names)),
            defused(said.get(e.position, "")), defused(e.topic), defused(e.actor),
            str(e.stream_id), str(e.version), str(e.correlation_id), e.hash,
            defused_json(msgspec.json.format(msgspec.json.encode(e.payload), indent=0).decode()),
        ])  # fmt: skip
    return buffer.getvalue()


@dataclass
class DiffGroup:
    """The changes of one item between two days."""

    kind: str
    item_id: UUID
    title: str
    rows: list[tuple[str, str, str]] = field(default_factory=list)
    """(field label, before, after) in words."""


_NAME_FIELDS = frozenset({"created", "removed", "name", "title", "description"})
"""Fields whose values are names, titles or an objective's description (an item made or
gone says its title): people's words, said as written (a cycle "2027" is not the number
2.027)."""
_DATE_FIELDS = frozenset({"starts_on", "ends_on", "due_on"})
_FLAG_FIELDS = frozenset({"committed", "roll_up_children", "archived"})
_UNIT_FIELDS = frozenset({"value", "start", "target"})
_KPI_VALUES = frozenset({"value", "green", "red"})


def diff_groups(
    changes: Sequence[Change], state: ProgressView, locale: Locale, names: dict[str, str]
) -> list[DiffGroup]:
    """Changes grouped by item, in tree order, values in words; a field of an item archived
    or restored that stayed as it was (said for the roll-ups: before equal to after) is
    "unchanged" after."""
    groups: dict[tuple[str, UUID], DiffGroup] = {}
    for change in changes:
        before = diff_value(change, change.before, state, locale, names)
        after = diff_value(change, change.after, state, locale, names)
        if change.before == change.after:
            after = locale.t("diff.unchanged")
        elif before == after:  # a change that does not show (progress -40 % to -20 %: 0 %)
            continue
        key = (change.item_kind, change.item_id)
        group = groups.setdefault(key, DiffGroup(change.item_kind, change.item_id, change.title))
        label = locale.t(f"field.{change.field}")
        if change.valid_on is not None:  # an earlier day's value, revised
            label = locale.t("diff.value_of", day=locale.date(change.valid_on))
        group.rows.append((label, before, after))
    return list(groups.values())


def diff_value(
    change: Change, text: str | None, state: ProgressView, locale: Locale, names: dict[str, str]
) -> str:
    """One side of a change in words: percentages, statuses, dates, names, titles, units."""
    if text is None or text == "":
        return "—"
    name = change.field
    if name in _NAME_FIELDS:
        return text
    if name == "score":  # as a closed cycle's scores are shown: 0,69, rounded down (0,669
        score = decimal_of(text)  # and 0,661 beside each other, as the history says them)
        places = score_places(*(decimal_of(side or "") for side in (change.before, change.after)))
        return text if score is None else locale.score(score, places)
    if name in PROGRESS_FIELDS:  # shown as everywhere: 0 to 100 %, the excess apart
        raw = decimal_of(text)
        if raw is None:
            return text
        shown = locale.percent(shown_progress(raw))
        over = over_achievement(raw)
        return f"{shown} ({locale.t('progress.over', pct=locale.percent(over))})" if over else shown
    if name == "status":
        return locale.status(text)
    if name == "health":
        return locale.health(text)
    if name == "direction":
        return locale.t("plan.kpi.higher" if text == "higher_is_better" else "plan.kpi.lower")
    if name == "state":
        return locale.t(f"cycle_state.{text}")
    if name == "owner":
        return locale.person(text, names)
    if name == "confidence":
        return locale.t("kr.confidence_value", n=text)
    if name in _FLAG_FIELDS:
        return locale.t("yes" if text.lower() == "true" else "no")
    if name in _DATE_FIELDS:
        return locale.param(text) or text
    if name in ("parent_id", "objective_id", "kpi_id"):
        return _title_of(state, text)
    kr = state.key_results.get(change.item_id) if change.item_kind == "key_result" else None
    kpi = state.kpis.get(change.item_id) if change.item_kind == "kpi" else None
    number = decimal_of(text)
    if number is not None and name in _UNIT_FIELDS and kr is not None:
        return locale.value(number, kr, kind=kr.kind)
    if number is not None and name in _KPI_VALUES and kpi is not None:
        return locale.value(number, kpi)
    if number is not None:
        return locale.number(number, 4)
    return text


def _title_of(state: ProgressView, text: str) -> str:
    try:
        item = UUID(text)
    except ValueError:
        return text
    if item in state.objectives:
        return state.objectives[item].title
    if item in state.kpis:
        return state.kpis[item].name
    return text
