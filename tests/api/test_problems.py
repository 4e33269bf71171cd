"""Every error is RFC 9457 problem+json naming the field and the rule."""

from __future__ import annotations

import asyncio
import gzip
import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import msgspec
import msgspec.inspect
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute

from domain import values
from domain.errors import InvalidValueError
from domain.values import KRKind, UnitKind
from services.api.openapi import NUMBER_PATTERN
from services.api.queries import body_struct, refuse_unknown_query
from services.app import base as app_base
from services.app.cycles import CycleCommands
from services.bootstrap import System
from tests.api.builders import World
from tests.api.conftest import BODY_LIMIT
from tests.api.test_views import fresh_key_result
from tests.api.test_writes import idled_out


async def log_head(client: httpx.AsyncClient, world: World) -> int:
    """Where tenant A's log stands, as its chain check says: a refused write moves it not."""
    response = await client.get(
        f"/api/v1/tenants/{world.a.tenant.id}/audit/verify", headers=world.a.auth("client_admin")
    )
    return int(response.json()["head_position"])


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail", "errors"} <= problem.keys()
    assert problem["status"] == status
    for error in problem["errors"]:
        assert set(error) == {"field", "rule", "message"}
    return problem


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        ({"value": "NaN", "on": "2027-02-02"}, "value", "not_finite"),
        ({"value": "Infinity", "on": "2027-02-02"}, "value", "not_finite"),
        (
            {"value": 20, "on": "2027-02-02", "confidence": 11},
            "confidence",
            "confidence_out_of_range",
        ),
        ({"value": 20, "on": "2027-02-02", "mood": "ok"}, "mood", "unknown_field"),
        ({"on": "2027-02-02"}, "value", "required"),
        ({"value": 20, "on": "2 febbraio"}, "on", "invalid_date"),
        ({"value": "venti", "on": "2027-02-02"}, "value", "not_a_number"),
    ],
)
async def test_bad_check_ins_name_the_field_and_rule(
    client: httpx.AsyncClient, world: World, body: dict[str, Any], field: str, rule: str
) -> None:
    """NaN, confidence 11, an unknown field...: 422 with the field and the rule at fault."""
    path = f"/api/v1/tenants/{world.a.tenant.id}/key-results/{world.ids.key_result_id}/check-ins"
    response = await client.post(path, headers=world.a.auth("client_member"), json=body)
    problem = assert_problem(response, 422)
    assert (problem["errors"][0]["field"], problem["errors"][0]["rule"]) == (field, rule)


@pytest.mark.parametrize(
    ("path", "body", "faults"),
    [
        (
            "check-ins",
            {"value": "venti", "on": "2027-02-30", "confidence": "5", "mood": "ok"},
            [
                ("value", "not_a_number"),
                ("on", "invalid_date"),
                ("confidence", "wrong_type"),
                ("mood", "unknown_field"),
            ],
        ),
        (
            "cycles",
            {"starts_on": "1 aprile", "period": "month", "unit": {}},
            [
                ("name", "required"),
                ("starts_on", "invalid_date"),
                ("ends_on", "required"),
                ("period", "unknown_choice"),
                ("unit", "unknown_field"),
            ],
        ),
        (
            "key-results",
            {"title": 7, "kind": "increase", "unit": {"kind": "euro"}, "weight": True},
            [
                ("objective_id", "required"),
                ("title", "wrong_type"),
                ("unit.kind", "unknown_choice"),
                ("weight", "wrong_type"),
            ],
        ),
        (
            "kpis",
            {
                "name": "K",
                "direction": "higher_is_better",
                "green": 5,
                "red": 1,
                "owner": 3,
                "unit": {"kind": "count", "colour": "blu"},
            },
            [("owner", "wrong_type"), ("unit.colour", "unknown_field")],  # (was "unit" alone)
        ),
    ],
)
async def test_a_body_with_several_wrong_fields_names_each(
    client: httpx.AsyncClient,
    world: World,
    path: str,
    body: dict[str, Any],
    faults: list[tuple[str, str]],
) -> None:
    """A body of four wrong fields named only the first: a client fixed it, sent it again,
    and learnt of the next. Each field at fault is named, with its rule, in the errors and
    in the detail; nothing is written."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    url = f"{base}/key-results/{world.ids.key_result_id}/check-ins"
    head = await log_head(client, world)
    response = await client.post(
        url if path == "check-ins" else f"{base}/{path}",
        headers=world.a.auth("client_admin"),
        json=body,
    )
    problem = assert_problem(response, 422)
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == faults
    assert all(f"{field}: " in problem["detail"] for field, _ in faults)
    assert await log_head(client, world) == head


@pytest.mark.parametrize(
    "text",
    ["19.2", "-3", "1.5e6", "2E-3", " 5", "5\t", "\u00a012 ", "+5", ".5", "5.", "1_000", "\u0663",
     "1,5", "", " ", "5 5", "0x10", "NaN", "-Infinity"],
)  # fmt: skip
def test_the_documented_number_pattern_takes_what_the_api_takes(text: str) -> None:
    """The OpenAPI's pattern of a number written as text is the one the API reads: " 5"
    was taken (spaces cut, as pasted from a sheet) where the pattern refused it."""
    try:
        taken = values.measured(text, "value").is_finite()
    except InvalidValueError:
        taken = False
    assert (re.fullmatch(NUMBER_PATTERN, text) is not None) == taken


async def test_a_value_not_among_a_field_s_choices_is_told_them(
    client: httpx.AsyncClient, world: World
) -> None:
    """ "Invalid enum value 'euro'" named no value the field takes: the message lists them,
    a field inside another's (unit.kind) too; nothing is written."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    body = {
        "objective_id": str(world.ids.objective_id), "title": "Costi", "kind": "shrink",
        "start": 10, "target": 5, "unit": {"kind": "euro"},
    }  # fmt: skip
    head = await log_head(client, world)
    response = await client.post(
        f"{base}/key-results", headers=world.a.auth("client_admin"), json=body
    )
    problem = assert_problem(response, 422)
    said = {e["field"]: (e["rule"], e["message"]) for e in problem["errors"]}
    kinds = ", ".join(repr(k) for k in sorted(k.value for k in KRKind))
    units = ", ".join(repr(k) for k in sorted(k.value for k in UnitKind))
    assert said == {
        "kind": ("unknown_choice", f"Invalid enum value 'shrink': one of {kinds}"),
        "unit.kind": ("unknown_choice", f"Invalid enum value 'euro': one of {units}"),
    }
    assert await log_head(client, world) == head


@pytest.mark.parametrize("path", ["objectives", "key-results", "kpis"])
async def test_an_empty_owner_is_refused_not_taken_for_the_caller(
    client: httpx.AsyncClient, world: World, path: str
) -> None:
    """An owner left out is the caller; an owner sent empty was the caller too (201, owned
    by whoever sent it), where one of spaces is refused: both are 422 empty owner, nothing
    written."""
    ids = world.ids
    bodies: dict[str, dict[str, Any]] = {
        "objectives": {"cycle_id": str(ids.cycle_id), "title": "Di nessuno"},
        "key-results": {
            "objective_id": str(ids.objective_id), "title": "Di nessuno", "kind": "increase",
            "start": 0, "target": 10,
        },
        "kpis": {"name": "Di nessuno", "direction": "higher_is_better", "green": 5, "red": 1},
    }  # fmt: skip
    head = await log_head(client, world)
    response = await client.post(
        f"/api/v1/tenants/{world.a.tenant.id}/{path}",
        headers=world.a.auth("client_admin"),
        json={**bodies[path], "owner": ""},
    )
    problem = assert_problem(response, 422)
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [("owner", "empty")]
    assert await log_head(client, world) == head


async def test_a_key_result_that_starts_at_its_target_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    """s = t has no progress formula: 422 start_equals_target (use a guardrail instead)."""
    response = await client.post(
        f"/api/v1/tenants/{world.a.tenant.id}/key-results",
        headers=world.a.auth("client_admin"),
        json={
            "objective_id": str(world.ids.objective_id), "title": "Fermo", "kind": "increase",
            "start": "10", "target": 10,
        },
    )  # fmt: skip
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["rule"] == "start_equals_target"


async def test_an_unknown_id_in_the_url_is_404_and_in_the_body_422(
    client: httpx.AsyncClient, world: World
) -> None:
    """Which one was wrong decides: the item addressed (404) or one it refers to (422)."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    missing = "00000000-0000-4000-8000-000000000000"
    problem = assert_problem(await client.get(f"{base}/key-results/{missing}", headers=auth), 404)
    assert problem["errors"][0]["field"] == "key_result_id"
    response = await client.post(
        f"{base}/objectives", headers=auth, json={"cycle_id": missing, "title": "Orfano"}
    )
    assert assert_problem(response, 422)["errors"][0]["rule"] == "unknown_cycle"


async def test_a_body_over_the_limit_is_413(client: httpx.AsyncClient, world: World) -> None:
    """The body size limit holds with or without an Idempotency-Key, and says how many
    bytes it takes: a nightly push of many values knows how to split them (it was told
    "Request Entity Too Large", whatever the limit)."""
    path = f"/api/v1/tenants/{world.a.tenant.id}/key-results/{world.ids.key_result_id}/check-ins"
    big = b'{"value": 1, "on": "2027-02-02", "note": "' + b"x" * BODY_LIMIT + b'"}'
    for extra in ({}, {"Idempotency-Key": "too-big"}):
        response = await client.post(
            path,
            headers={**world.a.auth("client_member"), **extra, "content-type": "application/json"},
            content=big,
        )
        problem = assert_problem(response, 413)
        assert f"over {BODY_LIMIT} bytes" in problem["detail"]
        assert problem["errors"][0]["field"] == "body"


async def test_a_refresh_token_not_usable_is_named(client: httpx.AsyncClient) -> None:
    """The refresh token is the one input of /auth/refresh: one never issued (or spent,
    revoked, expired) is refused naming it, as every refused input is named; the problem
    said no field at all."""
    refused = await client.post("/api/v1/auth/refresh", json={"refresh_token": "never issued"})
    problem = assert_problem(refused, 401)
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [
        ("refresh_token", "invalid_token")
    ]


async def test_malformed_json_is_400(client: httpx.AsyncClient, world: World) -> None:
    response = await client.post(
        f"/api/v1/tenants/{world.a.tenant.id}/cycles",
        headers={**world.a.auth("client_admin"), "content-type": "application/json"},
        content=b'{"name": ',
    )
    assert assert_problem(response, 400)["errors"][0]["rule"] == "malformed_json"


async def test_conflicts_with_state_are_409(client: httpx.AsyncClient, world: World) -> None:
    """Activating an active cycle breaks the planning -> active -> closed rule: 409."""
    response = await client.post(
        f"/api/v1/tenants/{world.a.tenant.id}/cycles/{world.ids.cycle_id}/activate",
        headers=world.a.auth("client_admin"),
    )
    assert assert_problem(response, 409)["errors"][0]["rule"] == "cycle_not_planning"


async def test_an_unknown_route_is_a_problem_too(client: httpx.AsyncClient, world: World) -> None:
    response = await client.get("/api/v1/nothing-here", headers=world.a.auth("client_admin"))
    assert_problem(response, 404)


LATER, EARLIER = "2027-02-01T01:00:00Z", "2027-01-31T23:59:59Z"
RANGED = ("history", "audit", "audit.csv", "audit.jsonl")
"""The views filtered by a range of recorded instants, ?since= to ?until=."""


@pytest.mark.parametrize(
    ("path", "params", "field", "rule"),
    [
        ("diff", {}, "from", "required"),
        ("diff", {"from": "last monday"}, "from", "invalid_date"),
        ("diff", {"from": "2027-01-01T00:00:00Z", "to": "soon"}, "to", "invalid_date"),
        ("progress", {"as_of": "yesterday"}, "as_of", "invalid_date"),
        ("progress", {"as_of": "2027-02-30"}, "as_of", "invalid_date"),
        ("diff", {"from": "2027-01-01", "to": "2027-1-2"}, "to", "invalid_date"),
        ("audit.csv", {"until": "31/01/2027"}, "until", "invalid_date"),
        ("audit.jsonl", {"until": "20270131"}, "until", "invalid_date"),
        ("progress", {"as_of": "0001-01-01T00:00:00+01:00"}, "as_of", "out_of_range"),
        ("history", {"since": "2027-01-31+02:00"}, "since", "invalid_date"),
        ("diff", {"from": "2027-02-01", "to": "2027-01-31"}, "from", "range_order"),
        ("audit", {"since": "2027-02-01", "until": "2027-01-31"}, "since", "range_order"),
        ("progress", {"as_of_position": -1}, "as_of_position", "out_of_range"),
        ("history", {"since": "2027-13-01T00:00:00Z"}, "since", "invalid_date"),
        ("audit", {"limit": 0}, "limit", "out_of_range"),
        ("audit", {"limit": 501}, "limit", "out_of_range"),
        ("history", {"after_position": -1}, "after_position", "out_of_range"),
        ("history", {"since": "2" * 65}, "since", "too_long"),
        ("history", {"kind": "key\x01result"}, "kind", "invalid_format"),
        ("history", {"kind": "check-in"}, "kind", "unknown_choice"),
        ("audit", {"topic": ""}, "topic", "empty"),  # an empty filter would match nothing
        ("audit", {"topic": "okr.Nope"}, "topic", "unknown_topic"),  # a typo: not "nothing"
        ("audit.jsonl", {"topic": "okr.KeyResult.CheckedOut"}, "topic", "unknown_topic"),
        ("audit.csv", {"topic": "KeyResult"}, "topic", "unknown_topic"),
        ("audit.csv", {"actor": ""}, "actor", "empty"),
        ("history", {"actor": "giulia@esempio.example"}, "actor", "not_an_actor"),  # not "none"
        ("audit", {"actor": "Giulia Bianchi"}, "actor", "not_an_actor"),
        ("audit.jsonl", {"actor": "user:giulia"}, "actor", "not_an_actor"),
        ("history", {"kind": ""}, "kind", "empty"),
        ("diff", {"from": LATER, "to": EARLIER}, "from", "range_order"),
        *((path, {"since": LATER, "until": EARLIER}, "since", "range_order") for path in RANGED),
        ("audit", {"since": "2027-02-01T00:30:00-01:00", "until": LATER}, "since", "range_order"),
        ("audit", {"kind": "check-in"}, "kind", "unknown_parameter"),  # the trail's is topic
        ("audit.csv", {"item": "x", "topic": "okr"}, "item", "unknown_parameter"),
        ("audit/verify", {"deep": "1"}, "deep", "unknown_parameter"),
        ("progress", {"asof": "2027-01-01"}, "asof", "unknown_parameter"),
    ],
)
async def test_bad_query_parameters_are_named_as_the_request_names_them(
    client: httpx.AsyncClient,
    world: World,
    path: str,
    params: dict[str, Any],
    field: str,
    rule: str,
) -> None:
    """A missing, malformed or unknown query parameter is named by its name in the URL
    (?from=, not the handler's `since`), in the errors and first in the detail."""
    response = await client.get(
        f"/api/v1/tenants/{world.a.tenant.id}/{path}",
        headers=world.a.auth("client_admin"),
        params=params,
    )
    problem = assert_problem(response, 422)
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [(field, rule)]
    assert problem["detail"].startswith(field)


@pytest.mark.parametrize(
    ("path", "name", "sent"),
    [
        ("audit", "since", "2027-01-31T10:00:00 01:00"),  # date -Ins in a URL, unencoded
        ("history", "until", "2027-01-31 10:00:00  0100"),  # git log --date=iso
        ("progress", "as_of", "2027-01-31T10:00 02"),
    ],
)
async def test_an_offset_s_plus_read_as_a_space_is_said(
    client: httpx.AsyncClient, world: World, path: str, name: str, sent: str
) -> None:
    """An instant pasted into a URL as `date -Ins` prints it reaches the API with a space
    for its offset's "+" (a URL's "+" is a space): the answer said it must be ISO 8601,
    which it was as written. It now says how to send the "+"."""
    response = await client.get(
        f"/api/v1/tenants/{world.a.tenant.id}/{path}",
        headers=world.a.auth("client_admin"),
        params={name: sent},
    )
    problem = assert_problem(response, 422)
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [(name, "invalid_date")]
    assert "%2B" in problem["detail"]


@pytest.mark.parametrize(
    ("path", "name", "written"),
    [
        ("audit", "limit", "1.0"),
        ("key-results", "limit", "1e0"),
        ("history", "limit", " 5"),
        ("history", "limit", "05"),  # it said "Expected `int`, got `str`"
        ("progress", "as_of_position", "1.0"),
        ("key-results", "min_position", "0.0"),
    ],
)
async def test_a_whole_number_in_the_query_is_written_as_one(
    client: httpx.AsyncClient, world: World, path: str, name: str, written: str
) -> None:
    """?limit=1.0, 1e0: a page of one, as if 1 was written, where limit=one is refused; a
    whole number is written as one, so each is 422 wrong_type naming it and saying what was
    written, like any text."""
    response = await client.get(
        f"/api/v1/tenants/{world.a.tenant.id}/{path}",
        headers=world.a.auth("client_admin"),
        params={name: written},
    )
    problem = assert_problem(response, 422)
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [(name, "wrong_type")]
    assert problem["detail"].startswith(name) and problem["detail"].endswith(f"not {written!r}")


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("objectives", "parent_id"),
        ("objectives", "cycle_id"),
        ("audit", "item_id"),
        ("history", "item_id"),
        ("key-results", "today"),
        ("progress", "valid_at"),
    ],
)
async def test_null_in_the_query_is_not_read_as_no_filter(
    client: httpx.AsyncClient, world: World, path: str, name: str
) -> None:
    """?parent_id=null answered every objective, children too, to a client asking for the
    top-level ones; ?item_id=null the whole trail as if filtered: the lenient reading of
    parameters took "null" for the parameter left out. A parameter is left out to mean
    none: "null" is 422 naming it, like any value it does not take."""
    response = await client.get(
        f"/api/v1/tenants/{world.a.tenant.id}/{path}",
        headers=world.a.auth("client_admin"),
        params={name: "null"},
    )
    problem = assert_problem(response, 422)
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [(name, "wrong_type")]


async def test_a_write_with_a_query_parameter_it_does_not_take_changes_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    """?dry_run=1 on a command the API has no dry run for: 422 naming it, nothing written
    (the log's head is where it was), rather than a write the caller thought was a trial."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    head = await log_head(client, world)
    response = await client.post(
        f"{base}/objectives",
        headers=auth,
        params={"dry_run": "1"},
        json={"cycle_id": str(world.ids.cycle_id), "title": "Prova"},
    )
    problem = assert_problem(response, 422)
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [
        ("dry_run", "unknown_parameter")
    ]
    assert "(it takes: none)" in problem["detail"]
    after = await log_head(client, world)
    assert after == head


async def test_every_api_route_refuses_what_it_does_not_take_but_min_position_on_reads(
    app: Litestar, client: httpx.AsyncClient, world: World
) -> None:
    """The check is the before_request of every /api/v1 route (Litestar runs only the
    innermost layer's: a controller with a hook of its own would turn it off unseen); a
    tenant's read takes min_position though it declares none (an item read from its events
    has every position), checked all the same (a number, within the log), the portfolio
    across tenants does not, and a preflight (OPTIONS) is never refused for its query."""
    hooks = {
        handler.resolve_before_request()
        for route in app.routes
        if isinstance(route, HTTPRoute) and route.path.startswith("/api/v1")
        for handler, _ in route.route_handler_map.values()
    }
    assert hooks == {refuse_unknown_query}
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    item = f"{base}/key-results/{world.ids.key_result_id}"
    read = await client.get(item, headers=auth, params={"min_position": 1})
    assert read.status_code == 200, read.text
    for given, rule in (
        ("abc", "wrong_type"),
        ("-5", "out_of_range"),
        ("1000000000", "beyond_head"),
    ):
        refused = await client.get(item, headers=auth, params={"min_position": given})
        problem = assert_problem(refused, 422)
        assert [(e["field"], e["rule"]) for e in problem["errors"]] == [("min_position", rule)]
    preflight = await client.options(f"{base}/objectives", headers=auth, params={"x": "1"})
    assert preflight.status_code == 204, preflight.text
    portfolio = await client.get(  # across tenants: no position to wait for
        f"/api/v1/consultancies/{world.a.consultancy.id}/portfolio",
        headers=world.a.auth("consultancy_admin"),
        params={"min_position": 1},
    )
    problem = assert_problem(portfolio, 422)
    assert problem["errors"][0]["field"] == "min_position"


async def test_a_value_of_a_day_still_to_come_is_refused(
    client: httpx.AsyncClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On 10 February 2027 (13:00 in Rome, the tenant's zone): a check-in or a measurement
    of the 12th is refused, 422 naming "on", and nothing is written (recorded, it would be
    the current value and could count its key result done); one of the 11th too, though
    somewhere (UTC+14) it is the 11th, until the 11th begins in Rome."""
    monkeypatch.setattr(app_base, "now", lambda: datetime(2027, 2, 10, 12, tzinfo=UTC))
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    head = await log_head(client, world)
    for path in (
        f"key-results/{world.ids.key_result_id}/check-ins",
        f"kpis/{world.ids.kpi_id}/measurements",
    ):
        refused = await client.post(
            f"{base}/{path}", headers=auth, json={"value": 20, "on": "2027-02-12"}
        )
        problem = assert_problem(refused, 422)
        assert [(e["field"], e["rule"]) for e in problem["errors"]] == [("on", "in_the_future")]
    after = await log_head(client, world)
    assert after == head
    kr, _ = await fresh_key_result(client, world)  # of its own: the world's keep their values
    early = await client.post(
        f"{base}/key-results/{kr}/check-ins", headers=auth, json={"value": 81, "on": "2027-02-11"}
    )
    assert [e["rule"] for e in assert_problem(early, 422)["errors"]] == ["in_the_future"]
    # At 23:00 UTC of the 10th the 11th has begun in Rome (CET, UTC+1).
    monkeypatch.setattr(app_base, "now", lambda: datetime(2027, 2, 10, 23, tzinfo=UTC))
    taken = await client.post(
        f"{base}/key-results/{kr}/check-ins", headers=auth, json={"value": 80, "on": "2027-02-11"}
    )
    assert taken.status_code == 201, taken.text


@pytest.mark.parametrize(
    ("content", "status", "kind", "rule"),
    [
        (b"", 422, "validation", "required"),  # no body at all
        (b"{", 400, "malformed-json", "malformed_json"),
        (b'{"weight": ' + b"9" * 5000 + b"}", 400, "malformed-json", "malformed_json"),
        ('{"title": "Caffè"}'.encode("latin-1"), 400, "malformed-json", "malformed_json"),
        (b'"a reason"', 422, "validation", "wrong_type"),  # JSON, but not an object
        (b"[" * 5000 + b"]" * 5000, 400, "malformed-json", "malformed_json"),  # too deep
        (
            b'{"title": ' + b"[" * 5000 + b"]" * 5000 + b"}",
            400,
            "malformed-json",
            "malformed_json",
        ),
    ],
)
async def test_a_body_missing_or_not_json_says_so(
    client: httpx.AsyncClient, world: World, content: bytes, status: int, kind: str, rule: str
) -> None:
    """No body: 422, "this request needs a JSON body" (it said "'data'"); a body that is
    not JSON, an integer of more digits than Python reads (it named no field), not UTF-8
    (a 500), or nested deeper than msgspec reads (a 500): 400, of its own kind (it was
    about:blank), and nothing written."""
    head = await log_head(client, world)
    response = await client.post(
        f"/api/v1/tenants/{world.a.tenant.id}/objectives",
        headers={**world.a.auth("client_admin"), "content-type": "application/json"},
        content=content,
    )
    problem = assert_problem(response, status)
    assert problem["type"] == f"/problems/{kind}"
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [("body", rule)]
    if rule == "required":
        assert problem["errors"][0]["message"] == "this request needs a JSON body"
    assert await log_head(client, world) == head


async def test_a_member_given_twice_is_refused_naming_it(
    client: httpx.AsyncClient, world: World
) -> None:
    """{"value": "10", "value": "20"} recorded 20 and said nothing: the client's first
    value was dropped, and another reader of the same body (a proxy, a log) could take 10.
    A name given twice in one object, the body's or one inside it, is 422 naming it, and
    nothing is written; the same name in two objects is two members."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    headers = {**world.a.auth("client_member"), "content-type": "application/json"}
    check_ins = f"{base}/key-results/{world.ids.key_result_id}/check-ins"
    head = await log_head(client, world)
    for body, name in (
        (b'{"value": "10", "on": "2027-02-11", "value": "20"}', "value"),
        (b'{"value": "10", "note": "a", "on": "2027-02-11", "note": "b"}', "note"),
    ):
        problem = assert_problem(await client.post(check_ins, headers=headers, content=body), 422)
        assert [(e["field"], e["rule"]) for e in problem["errors"]] == [(name, "duplicate_name")]
    admin = {**world.a.auth("client_admin"), "content-type": "application/json"}
    nested = (
        b'{"objective_id": "%s", "title": "Doppia", "kind": "increase", "start": 0,'
        b' "target": 10, "unit": {"kind": "count", "kind": "hours"}}'
        % str(world.ids.objective_id).encode()
    )
    problem = assert_problem(await client.post(f"{base}/key-results", headers=admin,
                                               content=nested), 422)  # fmt: skip
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [("kind", "duplicate_name")]
    assert await log_head(client, world) == head
    taken = await client.post(
        f"{base}/key-results", headers=admin,
        content=nested.replace(b', "kind": "hours"', b', "label": "pezzi"'),
    )  # fmt: skip
    assert taken.status_code == 201, taken.text


async def test_a_body_of_white_space_or_with_a_lone_surrogate_says_so(
    client: httpx.AsyncClient, world: World
) -> None:
    """msgspec says "Input data was truncated" of a body of white space alone and of a title
    with "\\ud800" and no low surrogate after it (no text, RFC 8259, 8.2), which sent a
    client looking for a body cut short on the way. The 400 says what the body is, naming
    the escape and where it is, and nothing is written; a pair ("\\ud83d\\ude00") is an
    emoji and is taken, and so is an escaped backslash before "ud800", which is text."""
    base = f"/api/v1/tenants/{world.a.tenant.id}/objectives"
    headers = {**world.a.auth("client_admin"), "content-type": "application/json"}
    head = await log_head(client, world)
    blank = assert_problem(await client.post(base, headers=headers, content=b" \r\n\t"), 400)
    assert blank["detail"] == "the body is only white space: it holds no JSON value"
    for title, lone in ((rb"a\ud800b", rb"\ud800"), (rb"a\ud800", rb"\ud800"),
                        (rb"\\\uDBFF", rb"\uDBFF")):  # fmt: skip
        body = b'{"cycle_id": "%s", "title": "%s"}' % (str(world.ids.cycle_id).encode(), title)
        problem = assert_problem(await client.post(base, headers=headers, content=body), 400)
        assert [(e["field"], e["rule"]) for e in problem["errors"]] == [("body", "malformed_json")]
        assert problem["detail"] == (
            f"the body's {lone.decode()} (from byte {body.rindex(lone)}) is half of a UTF-16"
            " surrogate pair, without its other half: no character (RFC 8259, 8.2)"
        ), title
    assert await log_head(client, world) == head
    for title in (rb"\ud83d\ude00", rb"\\ud800"):
        body = b'{"cycle_id": "%s", "title": "%s"}' % (str(world.ids.cycle_id).encode(), title)
        made = await client.post(base, headers=headers, content=body)
        assert made.status_code == 201, made.text


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("99999999999.123456", "99999999999.123456"),
        ("0.30000000000000001", "too_precise"),
        ("1e-400", "too_precise"),
        ("1e400", "too_large"),
    ],
)
async def test_a_json_number_is_read_from_its_text_never_through_a_float(
    client: httpx.AsyncClient, world: World, written: str, kept: str
) -> None:
    """A value sent as a JSON number is the number written: one of 17 digits was kept as the
    float nearest it (99999999999.12346, acknowledged 201); one of more decimal places than
    a value takes was rounded and kept (0.3; 1e-400 as 0.0), and one past what a double
    holds was a 400 naming no field: now each is refused naming the value, nothing
    written."""
    kr, _ = await fresh_key_result(client, world)
    path = f"/api/v1/tenants/{world.a.tenant.id}/key-results/{kr}/check-ins"
    auth = {**world.a.auth("client_admin"), "content-type": "application/json"}
    head = await log_head(client, world)
    body = b'{"value": ' + written.encode() + b', "on": "2027-02-05"}'
    response = await client.post(path, headers=auth, content=body)
    if not kept[0].isdigit():
        problem = assert_problem(response, 422)
        assert [(e["field"], e["rule"]) for e in problem["errors"]] == [("value", kept)]
        assert await log_head(client, world) == head
        return
    assert response.status_code == 201, response.text
    listed = await client.get(path, headers=auth, params={"limit": 500})
    [mine] = [c for c in listed.json()["items"] if c["id"] == response.json()["check_in_id"]]
    assert mine["value"] == kept


async def test_a_body_sent_to_a_command_that_takes_none_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    """Activating a cycle takes no body: one with fields is refused (its fields would have
    been ignored) before the command runs; an empty object, or none, is nothing, and the
    command answers (409: the world's cycle is active already)."""
    path = f"/api/v1/tenants/{world.a.tenant.id}/cycles/{world.ids.cycle_id}/activate"
    auth = world.a.auth("consultancy_admin")
    refused = await client.post(path, headers=auth, json={"starts_on": "2027-01-01"})
    problem = assert_problem(refused, 422)
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [("body", "unexpected_body")]
    bodies: tuple[dict[str, Any], ...] = ({"json": {}}, {})
    for body in bodies:
        ran = await client.post(path, headers=auth, **body)
        assert ran.status_code == 409, ran.text


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("check-ins", {"value": 20, "on": "2027-02-02", "confidence": "5"}, "confidence"),
        ("check-ins", {"value": 20, "on": "2027-02-02", "confidence": 5.0}, "confidence"),
        ("objectives", {"title": "Prova", "committed": "true"}, "committed"),
        ("objectives", {"title": "Prova", "committed": 1}, "committed"),
        ("objectives", {"title": "Prova", "roll_up_children": "false"}, "roll_up_children"),
    ],
)
async def test_a_whole_number_or_a_flag_is_sent_as_one(
    client: httpx.AsyncClient, world: World, path: str, body: dict[str, Any], field: str
) -> None:
    """confidence "5" (text) or 5.0, committed "true" or 1: 422 wrong_type naming the
    field, nothing written; the lenient decoding of bodies would have taken each."""
    head = await log_head(client, world)
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    if path == "check-ins":
        url = f"{base}/key-results/{world.ids.key_result_id}/check-ins"
    else:
        url, body = f"{base}/{path}", {"cycle_id": str(world.ids.cycle_id), **body}
    response = await client.post(url, headers=world.a.auth("client_admin"), json=body)
    problem = assert_problem(response, 422)
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [(field, "wrong_type")]
    assert await log_head(client, world) == head


@pytest.mark.parametrize("written", ["1_000", "+5", ".5", "\u0663", "5."])
async def test_a_number_sent_as_text_is_one_the_api_documents(
    client: httpx.AsyncClient, world: World, written: str
) -> None:
    """msgspec's Decimal takes "1_000", "+5", ".5" and other scripts' digits; the API takes
    a number written as its schema says (19.2, -3, 1.5e6): 422 naming the field, nothing
    written."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    head = await log_head(client, world)
    response = await client.post(
        f"{base}/key-results/{world.ids.key_result_id}/check-ins",
        headers=auth,
        json={"value": written, "on": "2027-02-02"},
    )
    problem = assert_problem(response, 422)
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [("value", "not_a_number")]
    after = await log_head(client, world)
    assert after == head


class _Inner(msgspec.Struct):
    value: Decimal


class _Nested(msgspec.Struct):
    """A body the check of numbers written as text would miss."""

    inner: _Inner | None
    values: list[Decimal]


def test_every_decimal_of_a_request_body_is_at_its_top_level(app: Litestar) -> None:
    """The check of numbers written as text looks at a body's top-level fields (see
    services.api.queries._fields_of): a body type with a decimal deeper down, in a
    nested object or a list, would slip past it, so none may have one."""

    def deep(t: msgspec.inspect.Type, top: bool) -> bool:
        if isinstance(t, msgspec.inspect.DecimalType):
            return not top
        if isinstance(t, msgspec.inspect.UnionType):
            return any(deep(member, top) for member in t.types)
        if isinstance(t, msgspec.inspect.StructType):
            return any(deep(f.type, False) for f in t.fields)
        inner = [getattr(t, name, None) for name in ("item_type", "key_type", "value_type")]
        return any(deep(i, False) for i in inner if isinstance(i, msgspec.inspect.Type))

    nested = msgspec.inspect.type_info(_Nested)
    assert isinstance(nested, msgspec.inspect.StructType)
    assert [deep(f.type, True) for f in nested.fields] == [True, True]
    bodies = {
        data.annotation
        for route in app.routes
        if isinstance(route, HTTPRoute) and route.path.startswith("/api/v1")
        for handler, _ in route.route_handler_map.values()
        if (data := handler.parsed_fn_signature.parameters.get("data")) is not None
    }
    assert bodies
    for body in bodies:
        info = body_struct(msgspec.inspect.type_info(body))  # optional bodies: their struct
        assert isinstance(info, msgspec.inspect.StructType), body
        assert not any(deep(f.type, True) for f in info.fields), body


@pytest.mark.parametrize("path", ["progress", "objectives", "key-results"])
async def test_a_cycle_the_tenant_does_not_have_is_404(
    client: httpx.AsyncClient, world: World, path: str
) -> None:
    """?cycle_id= of no cycle of the tenant (a random id): 404 naming
    cycle_id, not an empty answer that says nothing of why; A's own cycle answers 200."""
    base = f"/api/v1/tenants/{world.a.tenant.id}/{path}"
    auth = world.a.auth("client_viewer")
    missing = await client.get(base, headers=auth, params={"cycle_id": str(uuid.uuid4())})
    problem = assert_problem(missing, 404)
    assert problem["errors"][0]["field"] == "cycle_id"
    found = await client.get(base, headers=auth, params={"cycle_id": str(world.ids.cycle_id)})
    assert found.status_code == 200, found.text


@pytest.mark.parametrize(
    ("path", "field"), [("key-results", "objective_id"), ("objectives", "parent_id")]
)
async def test_an_objective_the_tenant_does_not_have_is_404_naming_the_filter(
    client: httpx.AsyncClient, world: World, path: str, field: str
) -> None:
    """?objective_id= (key results) or ?parent_id= (objectives) of no objective of the
    tenant: 404 naming it, as ?cycle_id= is, where an empty page told an integrator with
    a mistyped id that the objective had nothing; A's own objective answers 200."""
    base = f"/api/v1/tenants/{world.a.tenant.id}/{path}"
    auth = world.a.auth("client_viewer")
    missing = await client.get(base, headers=auth, params={field: str(uuid.uuid4())})
    problem = assert_problem(missing, 404)
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [(field, "not_found")]
    found = await client.get(base, headers=auth, params={field: str(world.ids.objective_id)})
    assert found.status_code == 200, found.text


async def test_a_cycle_asked_as_of_an_instant_is_404_when_it_was_not_there(
    client: httpx.AsyncClient, world: World
) -> None:
    """Progress as of an instant, of a cycle the tenant does not have: 404 naming cycle_id,
    as it is now (an empty tree said nothing of why); of A's cycle as of before it was made:
    404 not_yet (it is in the log, not yet then); of A's cycle as of now: 200."""
    base = f"/api/v1/tenants/{world.a.tenant.id}/progress"
    auth = world.a.auth("client_viewer")
    now = datetime.now(UTC).isoformat()
    missing = await client.get(
        base, headers=auth, params={"cycle_id": str(uuid.uuid4()), "as_of": now}
    )
    problem = assert_problem(missing, 404)
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [("cycle_id", "not_found")]
    cycle = str(world.ids.cycle_id)
    before = await client.get(base, headers=auth, params={"cycle_id": cycle, "as_of_position": 0})
    problem = assert_problem(before, 404)
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [("cycle_id", "not_yet")]
    found = await client.get(base, headers=auth, params={"cycle_id": cycle, "as_of": now})
    assert found.status_code == 200, found.text
    assert [c["cycle_id"] for c in found.json()["cycles"]] == [cycle]


async def test_a_cycle_named_as_another_is_409_naming_name(
    client: httpx.AsyncClient, world: World
) -> None:
    """Two cycles "Q1 2027" made the picker, `okr --cycle` and the history ambiguous: a
    name another cycle of the tenant has (trimmed, in any case) is refused, nothing is
    written; the other tenant may have it."""
    cycles = f"/api/v1/tenants/{world.a.tenant.id}/cycles"
    auth = world.a.auth("client_admin")
    name = f"Trimestre {uuid.uuid4().hex[:8]}"
    body = {"name": name, "starts_on": "2027-04-01", "ends_on": "2027-06-30"}
    made = await client.post(cycles, headers=auth, json=body)
    assert made.status_code == 201, made.text
    head = await log_head(client, world)
    refused = await client.post(cycles, headers=auth, json={**body, "name": f"  {name.upper()} "})
    problem = assert_problem(refused, 409)
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [("name", "duplicate_name")]
    assert name in problem["detail"]
    assert await log_head(client, world) == head
    theirs = await client.post(
        f"/api/v1/tenants/{world.b.tenant.id}/cycles", headers=world.b.auth("client_admin"),
        json=body,
    )  # fmt: skip
    assert theirs.status_code == 201, theirs.text


async def test_two_cycles_sent_at_once_with_one_name_make_one(
    client: httpx.AsyncClient, world: World
) -> None:
    """Two requests at once (two tabs, two people) with one new name: one is made, the
    other is told 409 naming name."""
    cycles = f"/api/v1/tenants/{world.a.tenant.id}/cycles"
    auth = world.a.auth("client_admin")
    body = {"name": f"Q2 {uuid.uuid4().hex[:8]}", "starts_on": "2027-04-01",
            "ends_on": "2027-06-30"}  # fmt: skip
    head = await log_head(client, world)
    answers = await asyncio.gather(
        *(client.post(cycles, headers=auth, json=body) for _ in range(4))
    )
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409]
    assert await log_head(client, world) == head + 1


async def a_cycle_is_refused_503(client: httpx.AsyncClient, world: World) -> None:
    """A cycle made through the API is told 503, to try again in a second, the database out
    of reach."""
    refused = await client.post(
        f"/api/v1/tenants/{world.a.tenant.id}/cycles", headers=world.a.auth("client_admin"),
        json={"name": "Q3 2027", "starts_on": "2027-07-01", "ends_on": "2027-09-30"},
    )  # fmt: skip
    problem = assert_problem(refused, 503)
    assert refused.headers["retry-after"] == "1"
    assert [e["rule"] for e in problem["errors"]] == ["database_unavailable"]


@pytest.mark.parametrize(
    "lost",
    [
        asyncpg.InternalClientError("cannot switch to state 12; another operation (2) is in"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        ConnectionRefusedError("connection refused"),
    ],
)  # fmt: skip
async def test_the_database_out_of_reach_is_503_to_try_again(
    client: httpx.AsyncClient, world: World, monkeypatch: pytest.MonkeyPatch, lost: Exception
) -> None:
    """A terminated session, a failover or a server that refuses: 503 with Retry-After, to be
    sent again (with its Idempotency-Key, if in doubt), not a 500 that reads as a bug."""

    async def out_of_reach(*args: object, **kwargs: object) -> None:
        raise lost

    monkeypatch.setattr(CycleCommands, "create", out_of_reach)
    await a_cycle_is_refused_503(client, world)


async def test_a_huge_refused_value_is_not_sent_back(
    client: httpx.AsyncClient, world: World
) -> None:
    """A refusal names the field and says why; a megabyte of input is not echoed (twice)."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    huge = "x" * 20_000
    for response in (
        await client.patch(base, headers=auth, json={"locale": huge}),
        await client.post(f"{base}/users", headers=auth, json={
            "email": huge + "@x.it", "display_name": "X", "role": "client_viewer"}),
        await client.get(f"{base}/audit", headers=auth, params={"actor": "a" * 900}),
    ):  # fmt: skip
        problem = assert_problem(response, 422)
        assert len(response.content) < 3_000, response.text[:200]
        assert problem["errors"][0]["field"] in {"locale", "email", "actor"}


async def test_a_malformed_id_in_the_path_is_named(client: httpx.AsyncClient, world: World) -> None:
    """An id in the URL that is not a UUID names nothing that could exist: 404, like an
    unknown id, but naming the parameter (Litestar's router named none); a write so
    addressed writes nothing, and a path no route has stays a plain 404."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    head = await log_head(client, world)

    response = await client.get("/api/v1/tenants/not-a-uuid/progress", headers=auth)
    problem = assert_problem(response, 404)
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [("tenant_id", "malformed")]
    assert problem["detail"] == "tenant_id: not a UUID: 'not-a-uuid'"

    response = await client.post(
        f"{base}/key-results/12345/check-ins", headers=auth, json={"value": 1, "on": "2027-02-02"}
    )
    problem = assert_problem(response, 404)
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [("key_result_id", "malformed")]
    assert await log_head(client, world) == head

    response = await client.get(f"{base}/no-such-thing/12345", headers=auth)
    assert [e["rule"] for e in assert_problem(response, 404)["errors"]] == ["not_found"]


async def test_a_cycle_of_an_implausible_year_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    """A cycle to 9999-12-31 was made, and every check-in on it then failed (500): now 422
    naming the day, and nothing is written."""
    head = await log_head(client, world)
    refused = await client.post(
        f"/api/v1/tenants/{world.a.tenant.id}/cycles", headers=world.a.auth("client_admin"),
        json={"name": "Per sempre", "starts_on": "2027-01-01", "ends_on": "9999-12-31"},
    )  # fmt: skip
    problem = assert_problem(refused, 422)
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [("ends_on", "out_of_range")]
    assert await log_head(client, world) == head


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("progress", "today"),
        ("key-results", "today"),
        ("objectives/tree", "today"),
        ("kpis", "today"),
        ("portfolio", "today"),
        ("progress", "valid_at"),
        ("kpis", "valid_at"),
    ],
)
async def test_a_day_in_the_query_is_of_the_years_business_dates_are_of(
    client: httpx.AsyncClient, world: World, path: str, name: str
) -> None:
    """?today=9999-12-31 (or 0001-01-01) was taken, and pace and status said of a day no
    value can be of: a day in the query is of the years 1900 to 2199, as every business
    date (422 naming it, out_of_range); the first and the last of them are taken."""
    if path == "portfolio":
        url = f"/api/v1/consultancies/{world.a.consultancy.id}/portfolio"
        auth = world.a.auth("consultancy_admin")
    else:
        url, auth = f"/api/v1/tenants/{world.a.tenant.id}/{path}", world.a.auth("client_admin")
    head = await log_head(client, world)
    for day in ("0001-01-01", "1899-12-31", "2200-01-01", "9999-12-31"):
        refused = await client.get(url, headers=auth, params={name: day})
        problem = assert_problem(refused, 422)
        assert [(e["field"], e["rule"]) for e in problem["errors"]] == [(name, "out_of_range")]
        assert "1900-01-01" in problem["detail"]
    for day in ("1900-01-01", "2199-12-31") if name == "today" else ("1900-01-01",):
        taken = await client.get(url, headers=auth, params={name: day})
        assert taken.status_code == 200, taken.text
    assert await log_head(client, world) == head


async def test_a_control_character_in_a_name_an_email_or_a_filter_is_named(
    client: httpx.AsyncClient, world: World
) -> None:
    """A NUL in a tenant's name or a person's email reached the database (422 naming no
    field); in a trail's filter it failed the query halfway through a download (a cut
    200). Now each is refused naming its field, and nothing is written; a sign-in with
    one is only a wrong email."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    head = await log_head(client, world)
    cases = [
        ("PATCH", base, {"name": "Esempio\u0007"}, "name", "control_character"),
        ("POST", f"{base}/users",
         {"email": "a\u0000@x.example", "display_name": "A", "role": "client_viewer"},
         "email", "invalid_email"),
        ("POST", f"{base}/users",
         {"email": "ada@x.example", "display_name": "Ada\u0000", "role": "client_viewer"},
         "display_name", "control_character"),
        ("POST", f"{base}/api-keys", {"name": "crm\u0000"}, "name", "control_character"),
    ]  # fmt: skip
    for method, url, body, field, rule in cases:
        refused = await client.request(method, url, headers=auth, json=body)
        problem = assert_problem(refused, 422)
        assert [(e["field"], e["rule"]) for e in problem["errors"]] == [(field, rule)], body
    assert await log_head(client, world) == head
    for path in ("audit", "audit.csv", "audit.jsonl", "history"):
        for actor in ("user:\u0000", "user:anna\n"):  # a last line break too
            refused = await client.get(f"{base}/{path}", headers=auth, params={"actor": actor})
            assert [e["field"] for e in assert_problem(refused, 422)["errors"]] == ["actor"], path
    refused = await client.get(f"{base}/history", headers=auth, params={"kind": "cycle\u0000"})
    assert [e["field"] for e in assert_problem(refused, 422)["errors"]] == ["kind"]
    refused = await client.get(f"{base}/audit", headers=auth, params={"topic": "okr\u0000"})
    assert [e["field"] for e in assert_problem(refused, 422)["errors"]] == ["topic"]
    signed = await client.post(
        "/api/v1/auth/token", json={"email": "a\u0000@x.example", "password": "x" * 12}
    )
    assert signed.status_code == 401, signed.text


async def test_an_id_already_taken_is_named(client: httpx.AsyncClient, world: World) -> None:
    """Making an item with the id of one the tenant has (of any kind) is 409 duplicate_id
    naming `id`, not a concurrent write to reload and try again (which would fail again);
    a check-in's id used twice names `id` too, as the body calls it. Nothing is written."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    taken = str(world.ids.objective_id)
    head = await log_head(client, world)
    for path, body in (
        ("objectives", {"cycle_id": str(world.ids.cycle_id), "title": "Doppio", "id": taken}),
        ("cycles", {"name": "Q9", "starts_on": "2027-07-01", "ends_on": "2027-09-30", "id": taken}),
        ("kpis", {"name": "Doppio", "direction": "higher_is_better", "green": 5, "red": 1,
                  "id": taken}),
    ):  # fmt: skip
        refused = await client.post(f"{base}/{path}", headers=auth, json=body)
        problem = assert_problem(refused, 409)
        assert [(e["field"], e["rule"]) for e in problem["errors"]] == [("id", "duplicate_id")]
    assert await log_head(client, world) == head
    check_ins = f"{base}/key-results/{world.ids.key_result_id}/check-ins"
    once = {"value": 20, "on": "2027-02-02", "id": str(uuid.uuid4())}
    assert (await client.post(check_ins, headers=auth, json=once)).status_code == 201
    twice = await client.post(check_ins, headers=auth, json={**once, "value": 21})
    problem = assert_problem(twice, 409)
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [("id", "duplicate_id")]


async def test_an_id_the_tenant_keeps_for_itself_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    """The nil UUID is the read model's row of the tenant's own facts: a KPI made with it
    was recorded, and the projector failed on the tenant at every pass from then on (two
    rows of one key), its views standing still for good; the tenant's own id mixed the
    item's lines into its settings' and access history. Either is 422 naming `id`, nothing
    recorded; the next write is seen as ever."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    head = await log_head(client, world)
    for kept in (str(uuid.UUID(int=0)), str(world.a.tenant.id)):
        for path, body in (
            ("kpis", {"name": "Zero", "direction": "higher_is_better", "green": 5, "red": 1}),
            ("cycles", {"name": "Q0", "starts_on": "2027-07-01", "ends_on": "2027-09-30"}),
            ("objectives", {"cycle_id": str(world.ids.cycle_id), "title": "Zero"}),
            ("key-results", {"objective_id": str(world.ids.objective_id), "title": "Zero",
                             "kind": "milestone"}),
        ):  # fmt: skip
            refused = await client.post(f"{base}/{path}", headers=auth, json={**body, "id": kept})
            problem = assert_problem(refused, 422)
            assert [(e["field"], e["rule"]) for e in problem["errors"]] == [("id", "reserved_id")]
    assert await log_head(client, world) == head
    made = await client.post(
        f"{base}/kpis", headers=auth,
        json={"name": "Dopo", "direction": "higher_is_better", "green": 5, "red": 1},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    position = made.headers["x-okr-position"]
    seen = await client.get(f"{base}/kpis", headers=auth, params={"min_position": position})
    assert "Dopo" in [k["name"] for k in seen.json()["items"]]


@pytest.mark.parametrize(
    ("unit", "field", "rule"),
    [
        ({"kind": "currency", "currency": "EURO"}, "unit.currency", "unknown_currency"),
        ({"kind": "currency"}, "unit.currency", "required"),
        ({"kind": "text"}, "unit.label", "required"),
        ({"kind": "count", "label": "x" * 5000}, "unit.label", "too_long"),
    ],
)
async def test_a_bad_unit_names_its_field_as_the_body_has_it(
    client: httpx.AsyncClient, world: World, unit: dict[str, str], field: str, rule: str
) -> None:
    """unit.currency, not the domain's currency (which the body does not have)."""
    head = await log_head(client, world)
    refused = await client.post(
        f"/api/v1/tenants/{world.a.tenant.id}/key-results", headers=world.a.auth("client_admin"),
        json={"objective_id": str(world.ids.objective_id), "title": "Ricavi", "kind": "increase",
              "start": 0, "target": 10, "unit": unit},
    )  # fmt: skip
    problem = assert_problem(refused, 422)
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [(field, rule)]
    assert await log_head(client, world) == head


async def test_as_of_and_as_of_position_together_are_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    """Two points in time: one was quietly not used (and the CLI's header named it). 422
    naming as_of_position, on the tree and on a series."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    both: dict[str, str | int] = {"as_of": "2027-02-10", "as_of_position": 1}
    for path in ("progress", f"key-results/{world.ids.key_result_id}/series"):
        refused = await client.get(f"{base}/{path}", headers=world.a.auth("client_admin"),
                                   params=both)  # fmt: skip
        problem = assert_problem(refused, 422)
        assert [(e["field"], e["rule"]) for e in problem["errors"]] == [
            ("as_of_position", "one_point_in_time")
        ], path


async def test_a_valid_at_still_to_come_is_refused(client: httpx.AsyncClient, world: World) -> None:
    """No value is of a day still to come: ?valid_at= of one answered a tree of every key
    result off track and stale; now 422 naming it, as a check-in for that day is."""
    auth = world.a.auth("client_admin")
    for path in ("progress", "kpis"):
        refused = await client.get(
            f"/api/v1/tenants/{world.a.tenant.id}/{path}", headers=auth,
            params={"valid_at": "2028-01-02"},  # the suite's commands live on 2027-12-31
        )  # fmt: skip
        problem = assert_problem(refused, 422)
        assert [(e["field"], e["rule"]) for e in problem["errors"]] == [
            ("valid_at", "in_the_future")
        ], path
        taken = await client.get(  # a past day of the commands' clock, not the machine's
            f"/api/v1/tenants/{world.a.tenant.id}/{path}", headers=auth,
            params={"valid_at": "2027-02-14"},
        )  # fmt: skip
        assert taken.status_code == 200, (path, taken.text)


async def test_today_with_valid_at_is_refused_and_the_answer_says_the_day_of_pace(
    client: httpx.AsyncClient, world: World
) -> None:
    """With ?valid_at= the pace, status and staleness are of that day: ?today= beside it was
    quietly not used, and the tree answered `today` as the other day, so an integrator
    worked out a pace that disagreed with every status. Both: 422 naming today; valid_at
    alone: the tree's `today` is that day."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    for path in ("progress", "kpis"):
        refused = await client.get(
            f"{base}/{path}", headers=auth, params={"valid_at": "2027-02-14", "today": "2027-03-01"}
        )
        problem = assert_problem(refused, 422)
        assert [(e["field"], e["rule"]) for e in problem["errors"]] == [
            ("today", "with_valid_at")
        ], path
    tree = await client.get(f"{base}/progress", headers=auth, params={"valid_at": "2027-02-14"})
    assert (tree.json()["today"], tree.json()["valid_at"]) == ("2027-02-14", "2027-02-14")


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "application/xml"],
)
async def test_a_body_not_sent_as_json_is_415(
    client: httpx.AsyncClient, world: World, content_type: str | None
) -> None:
    """A JSON body sent as text, as a form (what `curl -d` sends) or with no type was read
    as JSON all the same: 415 naming Content-Type, and nothing is written; as JSON (with a
    charset, or a +json type) it is taken."""
    base = f"/api/v1/tenants/{world.a.tenant.id}/objectives"
    auth = world.a.auth("client_admin")
    head = await log_head(client, world)
    body = b'{"cycle_id": "%s", "title": "Crescere", "owner": "anna"}' % (
        str(world.ids.cycle_id).encode()
    )
    typed = {} if content_type is None else {"content-type": content_type}
    refused = await client.post(base, headers={**auth, **typed}, content=body)
    problem = assert_problem(refused, 415)
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [
        ("Content-Type", "unsupported_media_type")
    ]
    assert await log_head(client, world) == head
    for taken in (
        "application/json; charset=utf-8",
        "application/json; charset=UTF8",  # the alias many clients send
        "application/vnd.okr+json",
    ):
        made = await client.post(base, headers={**auth, "content-type": taken}, content=body)
        assert made.status_code == 201, made.text


async def test_a_body_sent_compressed_is_415_naming_content_encoding(
    client: httpx.AsyncClient, world: World
) -> None:
    """A client that gzips its body (Content-Encoding: gzip) was told "JSON is malformed:
    invalid character (byte 0)", as if it had sent bad JSON: the API reads a body as it
    comes. Now 415 naming Content-Encoding (RFC 9110, 15.5.16), and nothing is written; the
    same body sent as it is, or said to be so (identity), is taken."""
    base = f"/api/v1/tenants/{world.a.tenant.id}/objectives"
    headers = {**world.a.auth("client_admin"), "content-type": "application/json"}
    body = f'{{"cycle_id": "{world.ids.cycle_id}", "title": "Compresso"}}'.encode()
    head = await log_head(client, world)
    for coding, sent in (("gzip", gzip.compress(body)), ("br", body), ("GZIP, identity", body)):
        refused = await client.post(
            base, headers={**headers, "content-encoding": coding}, content=sent
        )
        problem = assert_problem(refused, 415)
        assert [(e["field"], e["rule"]) for e in problem["errors"]] == [
            ("Content-Encoding", "unsupported_encoding")
        ], coding
    assert await log_head(client, world) == head
    for taken in ({}, {"content-encoding": "identity"}):
        made = await client.post(base, headers={**headers, **taken}, content=body)
        assert made.status_code == 201, made.text


@pytest.mark.parametrize(
    "charset", ["latin-1", "ISO-8859-1", "windows-1252", '"utf-16"', "utf-8-sig"]
)
async def test_a_json_body_declared_in_another_charset_than_utf_8_is_415(
    client: httpx.AsyncClient, world: World, charset: str
) -> None:
    """JSON exchanged between systems is UTF-8 (RFC 8259, 8.1). A body declared
    `charset=latin-1` was read as UTF-8 all the same: one in ASCII was taken, one with
    "Caffè" in latin-1 refused as malformed JSON, not for its charset. Now either is 415
    naming Content-Type, and nothing is written; charset=utf-8 (any case, quoted or not)
    and no charset are taken, and bytes that are not UTF-8 are 400 at the body, saying so."""
    base = f"/api/v1/tenants/{world.a.tenant.id}/objectives"
    auth = world.a.auth("client_admin")
    head = await log_head(client, world)
    for title in ("Crescere", "Caffè"):
        body = f'{{"cycle_id": "{world.ids.cycle_id}", "title": "{title}", "owner": "anna"}}'
        refused = await client.post(
            base, headers={**auth, "content-type": f"application/json; charset={charset}"},
            content=body.encode("latin-1"),
        )  # fmt: skip
        problem = assert_problem(refused, 415)
        assert [(e["field"], e["rule"]) for e in problem["errors"]] == [
            ("Content-Type", "unsupported_charset")
        ]
    assert await log_head(client, world) == head
    body = f'{{"cycle_id": "{world.ids.cycle_id}", "title": "Caffè", "owner": "anna"}}'
    not_utf_8 = await client.post(
        base, headers={**auth, "content-type": "application/json"}, content=body.encode("latin-1")
    )
    problem = assert_problem(not_utf_8, 400)
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [("body", "malformed_json")]
    assert "not UTF-8" in problem["detail"]
    assert await log_head(client, world) == head
    for taken in ("charset=UTF-8", 'charset="utf-8"', "Charset=utf-8"):
        made = await client.post(
            base, headers={**auth, "content-type": f"application/json; {taken}"},
            content=body.encode(),
        )  # fmt: skip
        assert made.status_code == 201, made.text


def answered(path: str) -> list[str]:
    """What a route answers, its own type first."""
    own = {"audit.csv": ["text/csv"], "export": ["application/jsonl"]}.get(path, [])
    return [*own, "application/json", "application/problem+json"]


@pytest.mark.parametrize(
    ("path", "accept", "status"),
    [
        ("objectives", "application/xml", 406),
        ("objectives", "text/html", 406),
        ("objectives", "text/*", 406),
        ("objectives", "application/json;q=0", 406),  # JSON said no to
        ("objectives", "text/csv", 406),  # an export's type, not this route's
        ("audit.csv", "application/xml", 406),
        ("export", "text/csv", 406),
        ("history", "text/html", 406),  # a route of no type of its own (it answers a Response)
        ("objectives", "", 200),  # blank: as none
        ("objectives", "*/*", 200),
        ("objectives", "application/*", 200),
        ("objectives", "application/xml, application/json;q=0.5", 200),
        ("objectives", "application/problem+json", 200),
        ("objectives", "Application/JSON", 200),
        ("audit.csv", "text/csv", 200),
        ("audit.csv", "text/*;q=0.3", 200),
        ("audit.jsonl", "application/jsonl", 200),
        ("export", "application/jsonl, */*;q=0.1", 200),
        ("export", "application/json", 200),
    ],
)
async def test_an_accept_that_admits_nothing_the_route_answers_is_406(
    client: httpx.AsyncClient, world: World, path: str, accept: str, status: int
) -> None:
    """Accept: application/xml was answered JSON, as if it were not said: 406 naming
    Accept, with what the route answers. JSON, problem+json (the errors) and a route's own
    type (an export's CSV or JSON Lines) are admitted, with wildcards and q-values (q=0:
    not that one), and no Accept at all is anything. What it answers is listed as it is:
    the history, of no type of its own, listed a blank first (": , application/json")."""
    url = f"/api/v1/tenants/{world.a.tenant.id}/{path}"
    answer = await client.get(url, headers={**world.a.auth("client_admin"), "accept": accept})
    if status == 200:
        assert answer.status_code == 200, answer.text
        return
    problem = assert_problem(answer, 406)
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [("Accept", "not_acceptable")]
    assert problem["detail"].endswith("answers: " + ", ".join(answered(path)))


async def test_a_write_with_an_accept_it_cannot_answer_changes_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    """A write whose answer the client would not take is refused before it runs: 406, and
    the log's head is where it was (Idempotency-Key or not: no answer is kept)."""
    head = await log_head(client, world)
    for keyed in ({}, {"Idempotency-Key": str(uuid.uuid4())}):
        refused = await client.post(
            f"/api/v1/tenants/{world.a.tenant.id}/objectives",
            headers={**world.a.auth("client_admin"), "accept": "application/xml", **keyed},
            json={"cycle_id": str(world.ids.cycle_id), "title": "Mai scritto"},
        )
        assert_problem(refused, 406)
    assert await log_head(client, world) == head


async def test_a_query_parameter_given_twice_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    """`limit=1&limit=2` took the last one, unsaid (no parameter of this API is a list):
    422 naming it; given once, it is taken."""
    base = f"/api/v1/tenants/{world.a.tenant.id}/history"
    auth = world.a.auth("client_admin")
    refused = await client.get(f"{base}?limit=1&limit=2", headers=auth)
    problem = assert_problem(refused, 422)
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [("limit", "repeated_parameter")]
    assert (await client.get(f"{base}?limit=1", headers=auth)).status_code == 200


async def test_a_kpi_s_owner_and_frequency_change_in_one_edit_and_refuse_what_is_wrong(
    client: httpx.AsyncClient, world: World
) -> None:
    """PATCH /kpis/{id} takes a new owner and frequency besides the name (a person leaves, a
    weekly KPI becomes monthly); the same values again write nothing; a frequency outside
    1..366 days, not a whole number, or a blank owner is a problem naming the field, and
    nothing is written; an archived KPI takes neither (409)."""
    base = f"/api/v1/tenants/{world.a.tenant.id}/kpis"
    auth = world.a.auth("client_admin")
    made = await client.post(base, headers=auth, json={
        "name": "Reclami", "direction": "lower_is_better", "green": 5, "red": 9,
        "frequency_days": 7, "owner": "user:giulia",
    })  # fmt: skip
    kpi = f"{base}/{made.json()['id']}"
    edited = await client.patch(kpi, headers=auth, json={"owner": "Marco", "frequency_days": 30})
    assert edited.status_code == 200, edited.text
    after = {"min_position": edited.headers["x-okr-position"]}
    shown = (await client.get(kpi, headers=auth, params=after)).json()
    assert (shown["owner"], shown["frequency_days"], shown["name"]) == ("Marco", 30, "Reclami")
    for same in ({"owner": "Marco", "frequency_days": 30}, {"owner": " Marco "}):
        again = await client.patch(kpi, headers=auth, json=same)  # as it would be kept
        assert again.headers["x-okr-position"] == edited.headers["x-okr-position"], same
        assert again.headers["etag"] == edited.headers["etag"], same
    head = await log_head(client, world)
    for body, status, field in (
        ({"frequency_days": 0}, 422, "frequency_days"),
        ({"frequency_days": 367}, 422, "frequency_days"),
        ({"frequency_days": "monthly"}, 422, "frequency_days"),
        ({"frequency_days": 7.5}, 422, "frequency_days"),
        ({"owner": "  "}, 422, "owner"),
        ({"name": "Reclami aperti", "owner": ""}, 422, "owner"),  # the name neither
    ):
        refused = await client.patch(kpi, headers=auth, json=body)
        assert assert_problem(refused, status)["errors"][0]["field"] == field, body
    assert await log_head(client, world) == head
    lines = await client.get(
        f"/api/v1/tenants/{world.a.tenant.id}/history", headers=auth,
        params={"item_id": made.json()["id"], **after},
    )  # fmt: skip
    said = [line["text"] for line in lines.json()["items"]]
    assert any("to be measured every 30 days (was every 7 days)" in t for t in said), said
    await client.post(f"{kpi}/archive", headers=auth, json={"reason": "non serve più"})
    late = await client.patch(kpi, headers=auth, json={"frequency_days": 14})
    assert assert_problem(late, 409)["errors"][0]["field"] == "kpi_id"


async def test_a_transaction_cut_off_by_a_lost_connection_is_503_too(
    client: httpx.AsyncClient, world: World, system: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A transaction block whose connection is lost in it (a sign-in's, a token refresh's,
    during a restart) ends with asyncpg's InterfaceError "the underlying connection is
    closed" in place of the loss: it was told 500, as for a bug, where the database was
    out of reach for a moment."""

    async def cut_off(*args: object, **kwargs: object) -> None:
        async with system.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")

    monkeypatch.setattr(CycleCommands, "create", cut_off)
    await a_cycle_is_refused_503(client, world)


async def test_a_transaction_whose_session_the_server_ended_for_idling_is_503_too(
    client: httpx.AsyncClient, world: World, system: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A transaction left idle past idle_in_transaction_session_timeout (a request stuck
    between two statements) has its session ended by the server while the client is not
    looking: its next statement, and the end of its block, were asyncpg's InterfaceError
    "connection is closed" with no loss behind it, told 500 as a bug. It is the database
    out of reach for the request, as a terminated session is: 503, to try again."""

    async def left_idle(*args: object, **kwargs: object) -> None:
        async with system.pool.acquire() as conn, conn.transaction():
            await idled_out(conn)
            await conn.execute("SELECT 1")

    monkeypatch.setattr(CycleCommands, "create", left_idle)
    await a_cycle_is_refused_503(client, world)
