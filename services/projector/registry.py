"""The read models the system keeps, in one place."""

from __future__ import annotations

from typing import Any

from projections.audit import audit_projection
from projections.base import Projection
from projections.history import history_projection
from projections.portfolio import portfolio_projection
from projections.progress import progress_projection
from projections.series import series_projection

PROJECTIONS: tuple[Projection[Any], ...] = (
    progress_projection,
    series_projection,
    history_projection,
    audit_projection,
    portfolio_projection,
)


def by_name(names: list[str] | None = None) -> tuple[Projection[Any], ...]:
    """The projections named (all when None); an unknown name is an error."""
    if not names:
        return PROJECTIONS
    known = {p.name: p for p in PROJECTIONS}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown projection(s): {', '.join(unknown)}; known: {', '.join(known)}")
    return tuple(known[n] for n in names)
