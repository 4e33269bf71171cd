"""Every read model the projector keeps, in one tuple (names are unique)."""

from __future__ import annotations

from typing import Any

from projections.base import Projection
from projections.history import history_projection
from projections.progress import progress_projection
from projections.series import series_projection

PROJECTIONS: tuple[Projection[Any], ...] = (
    progress_projection,
    series_projection,
    history_projection,
)
"""Progress first: the others never depend on it at run time, the order is only for reading."""
