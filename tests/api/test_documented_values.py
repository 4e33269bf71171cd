"""The answers' fields of a closed set of values (a status, a state, a band, a kind) say
their values in the OpenAPI document, as the requests' do: a client generated from it
knows every value it may be given, and one it does not know is the document's mistake."""

from __future__ import annotations

from typing import Any, Literal, get_args

import httpx

from domain import values as v
from tenants.roles import Role

CLOSED: dict[tuple[str, str], tuple[Any, bool]] = {
    ("KeyResultNode", "status"): (v.Status, False),
    ("KeyResultNode", "kind"): (v.KRKind, False),
    ("KeyResultNode", "unit_kind"): (v.UnitKind, False),
    ("KeyResultNode", "kpi_health"): (v.Health, True),
    ("KeyResultNode", "score_band"): (v.Health, True),
    ("KeyResultNode", "last_check_in_source"): (v.CheckInSource, True),
    ("ObjectiveNode", "level"): (v.ObjectiveLevel, False),
    ("ObjectiveNode", "score_band"): (v.Health, True),
    ("CycleNode", "state"): (v.CycleState, False),
    ("CycleNode", "period"): (v.CyclePeriod, False),
    ("KPINode", "health"): (v.Health, True),
    ("KPINode", "direction"): (v.Direction, False),
    ("CycleSummary", "state"): (v.CycleState, False),
    ("CycleSummary", "score_band"): (v.Health, True),
    ("ObjectiveSummary", "level"): (v.ObjectiveLevel, False),
    ("CycleOut", "state"): (v.CycleState, False),
    ("CycleOut", "period"): (v.CyclePeriod, False),
    ("ObjectiveOut", "level"): (v.ObjectiveLevel, False),
    ("KeyResultOut", "kind"): (v.KRKind, False),
    ("CheckInOut", "source"): (v.CheckInSource, False),
    ("MeasurementOut", "source"): (v.CheckInSource, False),
    ("KpiOut", "direction"): (v.Direction, False),
    ("KpiOut", "health"): (v.Health, True),
    ("UnitOut", "kind"): (v.UnitKind, False),
    ("KeyResultSeries", "kind"): (v.KRKind, False),
    ("KPISeries", "direction"): (v.Direction, False),
    ("Grant", "role"): (Role, False),
    ("MeOut", "kind"): (Literal["user", "api_key"], False),
}
"""(schema, field): the values it takes, and whether it may be null."""


async def test_an_answer_s_closed_fields_say_their_values(client: httpx.AsyncClient) -> None:
    """Each field of CLOSED documents exactly its values, null too where it may be null
    (on a nullable field the enum holds for null as well, or null would fail it): they
    were documented as any string, so a client could not tell on_track from a typo."""
    schemas = (await client.get("/schema/openapi.json")).json()["components"]["schemas"]
    wrong = {}
    for (schema, field), (values, nullable) in CLOSED.items():
        named = list(get_args(values)) or [c.value for c in values]
        expected = named + ([None] if nullable else [])
        documented = schemas[schema]["properties"][field]
        if "$ref" in documented:  # an enum of its own (Role)
            documented = schemas[documented["$ref"].rsplit("/", 1)[-1]]
        documented = documented.get("enum")
        if documented != expected:
            wrong[f"{schema}.{field}"] = documented
    assert not wrong, wrong
