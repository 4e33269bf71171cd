"""Strings of a closed set of values (a status, a state, a band), as the read models answer
them: still `str` to the code that makes them, and in the API's schema with their values
(`enum`), so a client generated from it knows every value it may be given."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import msgspec

from domain import values


def _one_of(choices: type[StrEnum], *more: None) -> Any:
    """The schema's `enum` of a field: these values (and null, `more`, of one that may be
    null: on the field as a whole, the schema's enum holds for null too)."""
    return msgspec.Meta(extra_json_schema={"extra": {"enum": [*(c.value for c in choices), *more]}})


StatusText = Annotated[str, _one_of(values.Status)]
StateText = Annotated[str, _one_of(values.CycleState)]
PeriodText = Annotated[str, _one_of(values.CyclePeriod)]
HealthOrNone = Annotated[str | None, _one_of(values.Health, None)]
"""A KPI's health, or a score's band: none before one is measured."""
KindText = Annotated[str, _one_of(values.KRKind)]
LevelText = Annotated[str, _one_of(values.ObjectiveLevel)]
DirectionText = Annotated[str, _one_of(values.Direction)]
SourceText = Annotated[str, _one_of(values.CheckInSource)]
SourceOrNone = Annotated[str | None, _one_of(values.CheckInSource, None)]
UnitKindText = Annotated[str, _one_of(values.UnitKind)]
