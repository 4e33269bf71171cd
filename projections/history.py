"""The history timeline: every change in words, per item and per tenant.

Each event becomes one line of rm_history: a template key and its parameters (rendered
where lines are read, in English or Italian, see :mod:`projections.history_text`), the
before → after of each field, the actor, the reason, the valid date (check-ins and
measurements) and the recorded time. The fold keeps a progress state to know the "before".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

import msgspec

from projections.base import Recorded, RowsByTable, Table
from projections.codec import NO_ROWS, table_of
from projections.history_lines import (
    KEY_RESULT,
    OBJECTIVE,
    FieldChange,
    HistoryLine,
    StoredLine,
    history_row,
)
from projections.history_text import (
    ACTOR,
    CLOSED_TEMPLATE,
    CLOSED_TITLES,
    LANGUAGES,
    TEMPLATES,
    render,
    said_person,
)
from projections.progress_fold import progress_fold
from projections.progress_state import PROGRESS_CODEC, ProgressView

__all__ = [
    "LANGUAGES",
    "TEMPLATES",
    "WORDS",
    "FieldChange",
    "HistoryLine",
    "HistoryProjection",
    "HistoryView",
    "StoredLine",
    "as_read_for",
    "history_fold",
    "history_follow",
    "history_projection",
    "item_timeline",
    "line_actors",
    "line_from_row",
    "render",
    "with_names",
    "words_of",
]


HistoryView = ProgressView
"""The facts needed to say what each change was before it happened: the progress state."""


def history_fold(state: HistoryView, record: Recorded) -> tuple[HistoryView, RowsByTable]:
    """The next state and the history line of this event."""
    after = progress_fold(state, record)
    return after, history_follow(state, after, record)


def history_follow(before: HistoryView, after: HistoryView, record: Recorded) -> RowsByTable:
    """The history line of this event, the progress fold having given `after` (see Follows)."""
    return {"rm_history": (history_row(before, after, record),)}


def line_from_row(row: Sequence[Any]) -> HistoryLine:
    """A line back from an rm_history row (params/changes as JSON text or as data), in English."""
    data = dict(zip(StoredLine.__struct_fields__, row, strict=True))
    for name in ("params", "changes"):
        if isinstance(data[name], str | bytes):
            data[name] = msgspec.json.decode(data[name])
    data["text"] = render(data["template"], data["params"])
    return msgspec.convert(data, HistoryLine)


WORDS = frozenset({
    "title", "reason", "kpi", "topic", "settings", "name.before", "name.after", "name", "note",
    "parent", "key_result", "description",
})  # fmt: skip
"""Parameters that are people's words: never an actor, a number or a date."""
NAMED_CHANGES = frozenset({
    "cycle.renamed", "objective.renamed", "key_result.renamed", "kpi.renamed",
    "objective.aligned", "objective.realigned", "objective.unaligned", "objective.described",
})  # fmt: skip
"""Changes whose before and after are names, titles or a description: people's words too."""
_NAMES = WORDS | {"before", "after"}
SCORED_KINDS = (KEY_RESULT, OBJECTIVE)
"""What a close scores, each by id among its line's parameters ("key_result:<id>")."""


def words_of(template: str) -> frozenset[str]:
    """The parameters of a line of this template that are people's words (WORDS, and the
    before and after of a name or title changed): a cycle "2026" renamed "2027" is not
    the number 2.026."""
    if template == CLOSED_TEMPLATE:  # the objectives it names with their scores
        return WORDS | CLOSED_TITLES
    return _NAMES if template in NAMED_CHANGES else WORDS


def line_actors(lines: Iterable[HistoryLine]) -> set[str]:
    """Who acted in these lines, and whose access they changed (owners among their
    parameters are anyone's to type: see services.read.people)."""
    return {line.actor for line in lines} | {
        member for line in lines if (member := line.params.get("member"))
    }


def with_names(line: HistoryLine, names: Mapping[str, str], language: str = "en") -> HistoryLine:
    """The line in a language ("en", "it") with the actors it names in words (who acted, the
    owners before and after), and who acted in words, as the portal says them
    (history_text.said_person): a name, "an operator" or "the system", "an integration" for
    a key with no name, "someone" for an account not known here, an import's "user:anna" as
    "anna"."""
    words = words_of(line.template)

    def said(v: str) -> str:
        return said_person(v, names, language)

    params = {
        k: said(v) if k not in words and v is not None and ACTOR.fullmatch(v) else v
        for k, v in line.params.items()
    }
    text = render(line.template, params, language)
    return msgspec.structs.replace(line, text=text, actor_name=said(line.actor))


def without_reason(line: HistoryLine) -> HistoryLine:
    """The line without its reason: what a reader not entitled to it is shown (see
    services.read.history's `access_reasons`)."""
    if line.reason is None and line.params.get("reason") is None:
        return line
    params = {k: v for k, v in line.params.items() if k != "reason"}
    text = render(line.template, params)
    return msgspec.structs.replace(line, params=params, reason=None, text=text)


def scored_at_close(line: HistoryLine, item_id: UUID) -> str | None:
    """The kind of item ("key_result", "objective") this close's line scored `item_id` as;
    None if the line is no close, or scored no such item."""
    if line.template != CLOSED_TEMPLATE:
        return None
    return next((kind for kind in SCORED_KINDS if f"{kind}:{item_id}" in line.params), None)


def as_read_for(line: HistoryLine, item_id: UUID) -> HistoryLine:
    """The line as the timeline of `item_id` says it: a close that scored it says the score
    it gave it ("this key result scored 0.40"); any other line as it is."""
    kind = scored_at_close(line, item_id)
    if kind is None or line.item_id == item_id:
        return line
    params = {**line.params, "scored_kind": kind, "item_score": line.params[f"{kind}:{item_id}"]}
    return msgspec.structs.replace(line, params=params, text=render(line.template, params))


def item_timeline(lines: Iterable[HistoryLine], item_id: UUID) -> list[HistoryLine]:
    """The lines of one item (cycle, objective, key result or KPI), newest first, with the
    close that scored it (as_read_for)."""
    return sorted(
        (
            as_read_for(line, item_id)
            for line in lines
            if line.item_id == item_id or scored_at_close(line, item_id) is not None
        ),
        key=lambda line: line.position,
        reverse=True,
    )


TABLES: tuple[Table, ...] = (
    # an item's lines, newest first (its page, its history), by (item_id, position)
    table_of(
        "rm_history", StoredLine, key=("position",), kind="log", lookups=(("item_id", "position"),)
    ),
)


class HistoryProjection:
    """The timeline: one log table, rm_history."""

    name: str = "history"
    version = 16  # 2: no stored English text, it is rendered where lines are read; 3: scores
    # adjusted are said to two places (their change keeps them exact); 4: a correction
    # names the check-in it corrects; 5: access lines name a member by id, not by email;
    # 6: its state (progress's) no longer takes settings or access as last activity; 7: a
    # milestone's check-in says done or not done; 8: a check-in's correction that changed
    # its note carries it (the "note" parameter), as a measurement's does, and one that
    # changed its confidence carries it before and after ("confidence", "confidence_before");
    # 9: a measurement carries its note (the "note" parameter), as a check-in does; 10: a
    # milestone's check-in corrected says so (its "kind"), to be said done or not done; 11: a
    # close carries the scores it gave (the cycle's, and each item's by id); 12: an objective
    # restored has its line (objective.restored), where it was an unknown event's; 13: an
    # objective's creation carries its level, commitment and description (and its changes
    # the description); 14: a score adjusted to one that reads the same to two places is
    # said to the places that tell them apart (0.669 → 0.661, not 0.66 → 0.66); 15: a score
    # adjusted that moved its cycle's score says the cycle's before and after; 16: a
    # correction of a check-in or measurement a later one of its day superseded says the
    # day's value stays
    tables: tuple[Table, ...] = TABLES

    def __init__(self) -> None:
        self._codec = PROGRESS_CODEC

    def initial(self) -> HistoryView:
        return HistoryView()

    fold = staticmethod(history_fold)  # the fold itself: no extra call per event
    follows = "progress"
    """Its state is the progress state: a projector folding both folds progress once."""
    follow = staticmethod(history_follow)

    def rows(self, state: HistoryView) -> RowsByTable:
        return NO_ROWS

    def encode_state(self, state: HistoryView) -> bytes:
        return self._codec.encode(state)

    def decode_state(self, data: bytes) -> HistoryView:
        return self._codec.decode(data)


history_projection = HistoryProjection()
"""The module-level Projection object the projector registers."""
