"""The progress tree as a readable terminal table."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Protocol

from domain.progress import percent_shown, score_shown
from projections.codec import decimal_text
from projections.progress_tree import CycleNode, KeyResultNode, ObjectiveNode, ProgressTree

STATUS = {
    "on_track": "on track",
    "at_risk": "at risk",
    "off_track": "OFF TRACK",
    "done": "done",
    "not_started": "not started",
}
WIDTH = 58


def percent(value: Decimal | None) -> str:
    """To one place, half up, as the portal says it (0.3125 is 31.3 %, not 31.2 %); one
    short of 1 never 100.0 % (0.9996 is 99.9 %: domain.progress.percent_shown)."""
    if value is None:
        return "—"
    return f"{percent_shown(value)} %"


class Measured(Protocol):
    """What a value is measured in: a key result's, a KPI's."""

    @property
    def unit_kind(self) -> str: ...
    @property
    def currency(self) -> str | None: ...


def amount(value: Decimal | None, kr: Measured) -> str:
    """A value as the rest of the table writes numbers (19.2 h, 62.5 %): money grouped by
    commas, "EUR 1,140,000", "EUR 19,350.5" (grouped by points, it read as 1.14 euros)."""
    if value is None:
        return "—"
    text = decimal_text(value)
    if kr.unit_kind == "currency":
        return f"{kr.currency} {Decimal(text):,f}"
    suffix = {"percent": " %", "hours": " h"}.get(kr.unit_kind, "")
    return text + suffix


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def score(value: Decimal | None, band: str | None, places: int = 2) -> str:
    """A score at close to two places (or `places`: see score_shown), with its band (0.66
    amber); empty for none."""
    if value is None:
        return ""
    return f"{score_shown(value, places)}" + (f" {band}" if band else "")


def render(
    tree: ProgressTree, title: str, as_of: datetime | None = None, head: int | None = None
) -> str:
    """Header, then per cycle its objectives (indented by alignment) and key results.

    `head`: the log's head, for a tree of the read models (which may stand before it: the
    header says so, as the tree lacks what the projector has yet to apply)."""
    known = f"as known at {as_of.isoformat()}, " if as_of is not None else ""
    when = f"{known}log position {tree.position}" + (
        f", values valid at {tree.valid_at}" if tree.valid_at else ""
    )
    lines = [f"{title} — {tree.today} ({when})"]
    if head is not None and head > tree.position:
        lines.append(
            f"NOTE: the read models stand at position {tree.position}, the log at {head}:"
            f" the tree lacks the latest {counted(head - tree.position, 'event')}"
            " (is a projector running?)"
        )
    for cycle in tree.cycles:
        lines += _cycle(cycle)
    if not tree.cycles:
        lines.append("no cycle yet" if tree.position else "nothing recorded yet")
    return "\n".join(lines)


def _cycle(cycle: CycleNode) -> list[str]:
    scored = cycle.score is not None
    total = f"  score {score(cycle.score, cycle.score_band)}" if scored else ""
    head = f"{cycle.name} [{cycle.state}] {cycle.starts_on} → {cycle.ends_on}{total}"
    lines = ["", head, "-" * len(head)]
    lines.append(
        f"{'':{WIDTH}} {'value':>14} {'progress':>9} {'expected':>9} {'status':<12} conf"
        + (f" {'score':>11}" if scored else "")
    )
    for objective in cycle.objectives:
        lines += _objective(objective, 0, scored)
    return lines


def _objective(objective: ObjectiveNode, depth: int, scored: bool) -> list[str]:
    pad = "  " * depth
    line = f"{_cut(pad + objective.title, WIDTH):{WIDTH}} {'':>14} {percent(objective.progress):>9}"
    if scored:
        line += f" {'':>9} {'':<12} {'':4} {score(objective.score, objective.score_band):>11}"
    lines = [line.rstrip()]
    for kr in objective.key_results:
        lines.append(_key_result(kr, depth + 1, scored))
    for child in objective.children:
        lines += _objective(child, depth + 1, scored)
    return lines


def _key_result(kr: KeyResultNode, depth: int, scored: bool) -> str:
    name = _cut("  " * depth + "• " + kr.title, WIDTH)
    confidence = "" if kr.confidence is None else str(kr.confidence)
    status = STATUS.get(kr.status, kr.status) + (" (stale)" if kr.stale else "")
    line = (
        f"{name:{WIDTH}} {amount(kr.value, kr):>14} {percent(kr.shown_progress):>9}"
        f" {percent(kr.expected_progress):>9} {status:<12} {confidence:4}"
    )
    if scored:
        line += f" {score(kr.score, kr.score_band):>11}"
    return line.rstrip() + over(kr.over_achievement)


def over(value: Decimal | None) -> str:
    """How far past its target a key result went, apart from its progress (which stops at
    100 %), as the portal and okr diff say it: 24 h → 19.2 h at 18 h is 100.0 %, and
    "(+25.0 % over)"."""
    return f"  (+{percent(value)} over)" if value else ""


def counted(n: int, noun: str) -> str:
    """ "1 event", "0 events", "2 events": what an operator reads, not "1 events" nor
    "event(s)"."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
