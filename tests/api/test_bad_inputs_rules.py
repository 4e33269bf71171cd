"""Bad inputs a body's types let through but the product's rules refuse, one line each:
the write, the body, and the field and rule the 422 names. Whatever the write, nothing
anywhere changed (tests/api/state.py)."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import pytest

from tests.api.builders import World
from tests.api.state import the_state
from tests.api.test_problems import assert_problem

KR = "key-results/{key_result_id}"
KPI = "kpis/{kpi_id}"
NEW_KR = {"objective_id": "{objective_id}", "title": "Nuovo", "kind": "increase",
          "start": "0", "target": "10"}  # fmt: skip
NEW_KPI = {"name": "Nuovo", "direction": "higher_is_better", "green": "5", "red": "1"}
LATER = {"name": "Q3 2027", "starts_on": "2027-07-01", "ends_on": "2027-09-30"}


def a(body: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**body, **changes}


CASES = [
    # what, method, path under the tenant, body, field, rule
    ("a cycle ending before it starts", "POST", "cycles",
     a(LATER, ends_on="2027-06-30"), "ends_on", "date_out_of_range"),
    ("a cycle of a blank name", "POST", "cycles", a(LATER, name="  "), "name", "empty"),
    ("a cycle rescheduled to end before it starts", "PATCH", "cycles/{cycle_id}",
     {"ends_on": "2026-12-31"}, "ends_on", "date_out_of_range"),
    ("a cycle rescheduled to start after it ends", "PATCH", "cycles/{cycle_id}",
     {"starts_on": "2027-04-01"}, "starts_on", "date_out_of_range"),
    ("a cycle rescheduled to 1899", "PATCH", "cycles/{cycle_id}",
     {"starts_on": "1899-12-31"}, "starts_on", "out_of_range"),
    ("a cycle rescheduled to the days it has", "PATCH", "cycles/{cycle_id}",
     {"starts_on": "2027-01-01", "ends_on": "2027-03-31"}, "starts_on", "unchanged"),
    ("a cycle rescheduled with a reason of nothing", "PATCH", "cycles/{cycle_id}",
     {"ends_on": "2027-04-30", "reason": " "}, "reason", "empty"),
    ("a cycle rescheduled to a period there is not", "PATCH", "cycles/{cycle_id}",
     {"period": "decade"}, "period", "unknown_choice"),
    ("a cycle rescheduled to a day that is not one", "PATCH", "cycles/{cycle_id}",
     {"ends_on": "2027-02-30"}, "ends_on", "invalid_date"),
    ("a weight of 0", "POST", "key-results", a(NEW_KR, weight=0), "weight",
     "weight_out_of_range"),
    ("a negative weight", "POST", "key-results", a(NEW_KR, weight=-1), "weight",
     "weight_out_of_range"),
    ("an absurd weight", "POST", "key-results", a(NEW_KR, weight=10**12), "weight",
     "weight_out_of_range"),
    ("a due date before the cycle", "POST", "key-results", a(NEW_KR, due_on="2026-01-01"),
     "due_on", "date_out_of_range"),
    ("a currency no one has", "POST", "key-results",
     a(NEW_KR, unit={"kind": "currency", "currency": "XYZ"}), "unit.currency",
     "unknown_currency"),
    ("a currency unit without its currency", "POST", "key-results",
     a(NEW_KR, unit={"kind": "currency"}), "unit.currency", "required"),
    ("a currency on a count", "POST", "key-results",
     a(NEW_KR, unit={"kind": "count", "currency": "EUR"}), "unit.currency", "unexpected"),
    ("a milestone of target 5", "POST", "key-results",
     a(NEW_KR, kind="milestone", target="5"), "target", "milestone_fixed"),
    ("a guardrail without a threshold", "POST", "key-results",
     {"objective_id": "{objective_id}", "title": "Soglia", "kind": "stay_below"},
     "target", "one_target"),
    ("a decrease whose target is above its start", "POST", "key-results",
     a(NEW_KR, kind="decrease", start="10", target="20"), "target", "target_direction"),
    ("an objective in a cycle the tenant lacks", "POST", "objectives",
     {"cycle_id": "{key_result_id}", "title": "Altrove"}, "cycle_id", "unknown_cycle"),
    ("an objective under a parent the tenant lacks", "POST", "objectives",
     {"cycle_id": "{cycle_id}", "title": "Figlio", "parent_id": "{kpi_id}"}, "parent_id",
     "unknown_objective"),
    ("an objective of a level there is not", "POST", "objectives",
     {"cycle_id": "{cycle_id}", "title": "Galassia", "level": "galaxy"}, "level",
     "unknown_choice"),
    ("an objective aligned under itself", "PUT", "objectives/{objective_id}/parent",
     {"parent_id": "{objective_id}"}, "parent_id", "reparent_loop"),
    ("an objective aligned under a key result", "PUT", "objectives/{objective_id}/parent",
     {"parent_id": "{key_result_id}"}, "parent_id", "unknown_objective"),
    ("a check-in before its cycle", "POST", f"{KR}/check-ins",
     {"value": "20", "on": "2026-06-01"}, "on", "date_out_of_range"),
    ("a check-in of confidence -1", "POST", f"{KR}/check-ins",
     {"value": "20", "on": "2027-02-02", "confidence": -1}, "confidence",
     "confidence_out_of_range"),
    ("a check-in of an absurd value", "POST", f"{KR}/check-ins",
     {"value": "-1e30", "on": "2027-02-02"}, "value", "too_large"),
    ("a check-in's note of null", "POST", f"{KR}/check-ins",
     {"value": "20", "on": "2027-02-02", "note": None}, "note", "wrong_type"),
    ("a target revised to the start", "POST", f"{KR}/target-revisions",
     {"target": "24", "reason": "come all'inizio"}, "target", "start_equals_target"),
    ("a target revised to itself", "POST", f"{KR}/target-revisions",
     {"target": "19.2", "reason": "uguale"}, "target", "unchanged"),
    ("a measurement of 1899", "POST", f"{KPI}/measurements",
     {"value": "20", "on": "1899-12-31"}, "on", "out_of_range"),
    ("a KPI whose red is above its green, higher being better", "POST", "kpis",
     a(NEW_KPI, green="1", red="5"), "red", "threshold_order"),
    ("a KPI measured every 0 days", "POST", "kpis", a(NEW_KPI, frequency_days=0),
     "frequency_days", "out_of_range"),
    ("a KPI measured every billion days", "POST", "kpis",
     a(NEW_KPI, frequency_days=10**9), "frequency_days", "out_of_range"),
    ("a KPI in a currency no one has", "POST", "kpis",
     a(NEW_KPI, unit={"kind": "currency", "currency": "xyz"}), "unit.currency",
     "unknown_currency"),
    ("a KPI feeding a key result the tenant lacks", "POST", f"{KPI}/key-results",
     {"key_result_id": "{objective_id}"}, "key_result_id", "unknown_key_result"),
    ("a cadence of 0 days", "PATCH", "", {"check_in_cadence_days": 0},
     "check_in_cadence_days", "cadence_out_of_range"),
    ("a cadence of a billion days", "PATCH", "", {"check_in_cadence_days": 10**9},
     "check_in_cadence_days", "cadence_out_of_range"),
    ("a time zone there is not", "PATCH", "", {"time_zone": "Mars/Olympus"}, "time_zone",
     "invalid_time_zone"),
    ("a language the portal does not speak", "PATCH", "", {"locale": "klingon"}, "locale",
     "invalid_locale"),
    ("a tenant of no name", "PATCH", "", {"name": ""}, "name", "invalid_name"),
    ("an API key of an admin's role", "POST", "api-keys", {"name": "k", "role": "client_admin"},
     "role", "unknown_choice"),
    ("an API key of no name", "POST", "api-keys", {"name": ""}, "name", "invalid_name"),
    ("a member invited as consultancy admin", "POST", "users",
     {"email": "x@esempio.it", "display_name": "X", "role": "consultancy_admin"}, "role",
     "unknown_choice"),
    ("a member of no name", "POST", "users",
     {"email": "x@esempio.it", "display_name": "", "role": "client_member"}, "display_name",
     "invalid_name"),
]  # fmt: skip


def filled(text: Any, world: World) -> Any:
    """The case's body or path with the world's ids in place of their names."""
    ids = {name: str(value) for name, value in vars(world.ids).items()}
    if isinstance(text, str):
        return text.format(**ids) if "{" in text else text
    if isinstance(text, dict):
        return {key: filled(value, world) for key, value in text.items()}
    return text


@pytest.mark.parametrize(
    ("method", "path", "body", "field", "rule"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
async def test_a_body_against_the_rules_is_refused_naming_the_rule_and_changes_nothing(
    client: httpx.AsyncClient,
    world: World,
    admin: asyncpg.Connection,
    method: str,
    path: str,
    body: dict[str, Any],
    field: str,
    rule: str,
) -> None:
    """Each is 422 naming its one field and rule, with a sentence a person reads, and the
    log and the directory are as before."""
    url = f"/api/v1/tenants/{world.a.tenant.id}/{filled(path, world)}".rstrip("/")
    before = await the_state(admin)
    response = await client.request(
        method, url, json=filled(body, world), headers=world.a.auth("consultancy_admin")
    )
    problem = assert_problem(response, 422)
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [(field, rule)]
    assert len(problem["errors"][0]["message"]) > 10
    assert await the_state(admin) == before


TAKEN = [
    ("a cycle named as another, in another case and spacing", "tenants/{tenant}/cycles",
     {"name": "  q1   2027 ", "starts_on": "2027-07-01", "ends_on": "2027-09-30"}, "name",
     "duplicate_name"),
    ("a cycle of an id an objective has", "tenants/{tenant}/cycles",
     {"name": "Q9", "starts_on": "2027-07-01", "ends_on": "2027-09-30", "id": "{objective_id}"},
     "id", "duplicate_id"),
    ("a client named as another of the consultancy", "consultancies/{consultancy}/tenants",
     {"name": "{tenant_name}"}, "name", "duplicate_client_name"),
    ("a client of a slug taken", "consultancies/{consultancy}/tenants",
     {"name": "Altro nome", "slug": "{slug}"}, "slug", "duplicate_slug"),
    ("a client of its twin's id", "consultancies/{consultancy}/tenants",
     {"name": "Gemello", "id": "{twin}"}, "id", "duplicate_id"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "body", "field", "rule"), [pytest.param(*case[1:], id=case[0]) for case in TAKEN]
)
async def test_a_name_or_id_already_taken_is_409_naming_it_and_changes_nothing(
    client: httpx.AsyncClient,
    world: World,
    admin: asyncpg.Connection,
    path: str,
    body: dict[str, Any],
    field: str,
    rule: str,
) -> None:
    """Names compared trimmed, in any case, runs of spaces as one; ids of any item of the
    tenant, or of any tenant: 409 naming the field, and nothing made."""
    names = {
        "tenant": str(world.a.tenant.id), "consultancy": str(world.a.consultancy.id),
        "tenant_name": world.a.tenant.name, "slug": world.a.tenant.slug,
        "twin": str(world.b.tenant.id), "objective_id": str(world.ids.objective_id),
    }  # fmt: skip
    sent = {key: str(value).format(**names) for key, value in body.items()}
    before = await the_state(admin)
    response = await client.post(
        f"/api/v1/{path.format(**names)}", json=sent, headers=world.a.auth("consultancy_admin")
    )
    problem = assert_problem(response, 409)
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [(field, rule)]
    assert len(problem["errors"][0]["message"]) > 10
    assert await the_state(admin) == before
