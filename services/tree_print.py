"""The progress tree as a readable terminal table."""

from __future__ import annotations

from decimal import Decimal

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
    return "—" if value is None else f"{value * 100:.1f} %"


def amount(value: Decimal | None, kr: KeyResultNode) -> str:
    if value is None:
        return "—"
    text = decimal_text(value)
    if kr.unit_kind == "currency":
        return f"{kr.currency} {int(value):,}".replace(",", ".") if value == int(value) else text
    suffix = {"percent": " %", "hours": " h"}.get(kr.unit_kind, "")
    return text + suffix


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def render(tree: ProgressTree, title: str) -> str:
    """Header, then per cycle its objectives (indented by alignment) and key results."""
    when = f"as of position {tree.position}" + (
        f", valid at {tree.valid_at}" if tree.valid_at else ""
    )
    lines = [f"{title} — {tree.today} ({when})"]
    for cycle in tree.cycles:
        lines += _cycle(cycle)
    return "\n".join(lines)


def _cycle(cycle: CycleNode) -> list[str]:
    score = "" if cycle.score is None else f"  score {decimal_text(cycle.score)}"
    head = f"{cycle.name} [{cycle.state}] {cycle.starts_on} → {cycle.ends_on}{score}"
    lines = ["", head, "-" * len(head)]
    lines.append(f"{'':{WIDTH}} {'value':>14} {'progress':>9} {'expected':>9} {'status':<12} conf")
    for objective in cycle.objectives:
        lines += _objective(objective, 0)
    return lines


def _objective(objective: ObjectiveNode, depth: int) -> list[str]:
    pad = "  " * depth
    lines = [
        f"{_cut(pad + objective.title, WIDTH):{WIDTH}} {'':>14} {percent(objective.progress):>9}"
    ]
    for kr in objective.key_results:
        lines.append(_key_result(kr, depth + 1))
    for child in objective.children:
        lines += _objective(child, depth + 1)
    return lines


def _key_result(kr: KeyResultNode, depth: int) -> str:
    name = _cut("  " * depth + "• " + kr.title, WIDTH)
    confidence = "" if kr.confidence is None else str(kr.confidence)
    status = STATUS.get(kr.status, kr.status) + (" (stale)" if kr.stale else "")
    return (
        f"{name:{WIDTH}} {amount(kr.value, kr):>14} {percent(kr.shown_progress):>9}"
        f" {percent(kr.expected_progress):>9} {status:<12} {confidence}"
    )
