"""Choosing read models by name (the list itself is projections.registry.PROJECTIONS)."""

from __future__ import annotations

from typing import Any

from projections.base import Projection
from projections.registry import PROJECTIONS

__all__ = ["PROJECTIONS", "by_name"]


def by_name(names: list[str] | None = None) -> tuple[Projection[Any], ...]:
    """The projections named (all when None), each once and in the registry's order, the
    order every reader and swap locks their tables in; an unknown name is an error."""
    if not names:
        return PROJECTIONS
    known = {p.name: p for p in PROJECTIONS}
    unknown = [n for n in names if n not in known]
    if unknown:
        said = ", ".join(map(repr, unknown))  # quoted: --projection "" said nothing at all
        noun = "projection" if len(unknown) == 1 else "projections"
        raise ValueError(f"--projection: unknown {noun} {said}; known: {', '.join(known)}")
    return tuple(p for p in PROJECTIONS if p.name in names)
