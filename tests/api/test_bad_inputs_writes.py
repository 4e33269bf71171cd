"""Every write of the API, from its own route table, sent a body it cannot take: the
answer is problem+json naming the field at fault with a rule and a sentence, and nothing
anywhere changed (no tenant's log moved, no directory row changed)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg
import httpx
import msgspec
import pytest
from litestar import Litestar

from services.api.queries import body_struct
from tests.api.builders import World, an_email
from tests.api.conftest import BODY_LIMIT
from tests.api.routes import Call, authenticated_calls
from tests.api.state import the_state
from tests.api.test_problems import assert_problem

UNKNOWN = "h70_not_a_field"

NOT_IN_THEIR_STATE = ("/score-adjustments", "/restore", "/discard")
"""Writes the world's items are not in a state for (its cycle is active, not closed nor in
planning; its objective not archived): their 409 comes first, and changes nothing either
(checked all the same)."""

BAD_BODIES = [
    pytest.param(b'{"%s": 1}' % UNKNOWN.encode(), UNKNOWN, id="unknown-field"),
    pytest.param(b"null", "body", id="null"),
    pytest.param(b"[]", "body", id="array"),
    pytest.param(b"7", "body", id="number"),
    pytest.param(b'{"a": ', "body", id="malformed"),
]


@pytest.fixture(scope="module")
def writes(app: Litestar, world: World) -> list[Call]:
    found = [c for c in authenticated_calls(app, world, world.a) if c.is_write]
    assert len(found) > 30, "the route table should list every write"
    return found


def data_of(c: Call) -> Any:
    """The write's body parameter, None for a write that takes no body."""
    return c.handler.parsed_fn_signature.parameters.get("data")


def optional_body(c: Call) -> bool:
    """Whether the write may be sent without a body: it takes none (closing a cycle), or
    only an optional one (a removal's reason)."""
    data = data_of(c)
    return data is None or data.default is None


def fields_of(c: Call) -> list[msgspec.inspect.Field]:
    """The top-level fields of the write's body, as sent (none for a write without one)."""
    data = data_of(c)
    info = None if data is None else body_struct(msgspec.inspect.type_info(data.annotation))
    return [] if info is None else list(info.fields)


def takes(t: msgspec.inspect.Type, kind: type[msgspec.inspect.Type]) -> bool:
    if isinstance(t, msgspec.inspect.UnionType):
        return any(takes(member, kind) for member in t.types)
    if isinstance(t, msgspec.inspect.Metadata):
        return takes(t.type, kind)
    return isinstance(t, kind)


def valid_body(c: Call, world: World) -> dict[str, object]:
    """A body the write would take on the test world, but for the one field at fault: the
    fault is then the only one (with a field missing, the answer names that one first)."""
    ids = world.ids
    bodies: dict[str, dict[str, object]] = {
        "PATCH /consultancies/{consultancy_id:uuid}/members/{user_id:uuid}": {"role": "consultant"},
        "PATCH /cycles/{cycle_id:uuid}": {"name": "Q1 2027 bis"},
        "PATCH /users/{user_id:uuid}": {"role": "client_member"},
        "POST /auth/password/change": {"current_password": "x", "new_password": "y" * 20},
        "POST /consultancies/{consultancy_id:uuid}/members": {
            "email": an_email("anna"),
            "display_name": "Anna",
            "role": "consultant",
        },
        "POST /consultancies/{consultancy_id:uuid}/tenants": {"name": "Cliente nuovo"},
        "POST /api-keys": {"name": "chiave"},
        "POST /cycles": {"name": "Q3 2027", "starts_on": "2027-07-01", "ends_on": "2027-09-30"},
        "POST /score-adjustments": {"item_id": str(ids.key_result_id), "score": "0.5"},
        "POST /key-results": {
            "objective_id": str(ids.objective_id),
            "title": "T",
            "kind": "increase",
            "start": "0",
            "target": "10",
        },
        "POST /check-ins": {"value": "20", "on": "2027-02-02"},
        "POST /measurements": {"value": "20", "on": "2027-02-02"},
        "POST /corrections": {"value": "22.75", "reason": "typo"},
        "POST /target-revisions": {"target": "19", "reason": "rivisto"},
        "POST /kpis": {"name": "K", "direction": "higher_is_better", "green": "5", "red": "1"},
        "POST /objectives": {"cycle_id": str(ids.cycle_id), "title": "Prova"},
        "POST /users": {"email": an_email("bea"), "display_name": "Bea", "role": "client_viewer"},
        "PUT /direction": {
            "direction": "higher_is_better",
            "green": "24",
            "red": "20",
            "reason": "al contrario",
        },
        "PUT /thresholds": {"green": "19", "red": "25", "reason": "più stretti"},
        "PUT /parent": {"parent_id": None},
        "POST /archive": {"reason": "non serve più"},
        "POST /discard": {"reason": "per errore"},
        "POST /restore": {"reason": "serve ancora"},
    }
    return next(
        (body for end, body in bodies.items()
         if c.method == end.split()[0] and c.template.endswith(end.split()[1])),
        {},
    )  # fmt: skip


async def send(
    client: httpx.AsyncClient,
    world: World,
    c: Call,
    body: bytes,
    more: dict[str, str] | None = None,
) -> httpx.Response:
    """The write as A's consultancy admin, or the platform's admin where that one may not."""
    for auth in (world.a.auth("consultancy_admin"), world.admin()):
        headers = {**auth, "content-type": "application/json", **(more or {})}
        response = await client.request(
            c.method, c.path, params=c.params, content=body, headers=headers
        )
        if response.status_code != 403:
            return response
    return response


@pytest.mark.parametrize(("body", "field"), BAD_BODIES)
async def test_every_write_refuses_a_body_it_cannot_take_naming_it_and_changes_nothing(
    client: httpx.AsyncClient,
    world: World,
    admin: asyncpg.Connection,
    writes: list[Call],
    body: bytes,
    field: str,
) -> None:
    """A field the write does not have, a body of null, a list, a bare number or broken
    JSON: 400 or 422 problem+json whose errors name the field (the body itself where the
    body is at fault) with a rule and a message a person reads, and the log and the
    directory are exactly as before, whichever write it was sent to."""
    before = await the_state(admin)
    wrong = []
    for c in writes:
        if body == b"null" and optional_body(c):
            continue  # null is no body there, as {} is, and the command runs
        response = await send(client, world, c, body)
        assert await the_state(admin) == before, f"{c}: {response.text}"
        if response.status_code not in (400, 422):
            wrong.append(f"{c}: {response.status_code} {response.text}")
            continue
        problem = assert_problem(response, response.status_code)
        named = {e["field"] for e in problem["errors"]}
        if (field if data_of(c) is not None else "body") not in named:  # none: body unexpected
            wrong.append(f"{c}: {problem}")
        for error in problem["errors"]:
            assert error["rule"] and len(error["message"]) > 5, f"{c}: {error}"
    assert wrong == []


async def test_every_field_of_every_write_sent_the_wrong_type_is_named_and_changes_nothing(
    client: httpx.AsyncClient, world: World, admin: asyncpg.Connection, writes: list[Call]
) -> None:
    """Each top-level field of each write's body, sent as a list of lists (a type no field
    takes): 422 naming that field, rule wrong_type, and nothing changed."""
    before = await the_state(admin)
    wrong = []
    for c in writes:
        for f in fields_of(c):
            body = json.dumps({f.encode_name: [[]]}).encode()
            response = await send(client, world, c, body)
            assert await the_state(admin) == before, f"{c} {f.encode_name}"
            if response.status_code != 422:
                wrong.append(f"{c} {f.encode_name}: {response.status_code} {response.text}")
                continue
            problem = assert_problem(response, 422)
            named = [(e["field"], e["rule"]) for e in problem["errors"]]
            if (f.encode_name, "wrong_type") not in named:
                wrong.append(f"{c} {f.encode_name}: {named}")
    assert wrong == []


async def test_every_text_field_of_every_write_refuses_a_text_too_long_and_changes_nothing(
    client: httpx.AsyncClient, world: World, admin: asyncpg.Connection, writes: list[Call]
) -> None:
    """Each text field of each write's body sent 20,000 characters (a third of the body
    limit), the rest of the body one the write takes: refused 422 naming that field,
    nothing changed. A text of that length is never a name, a title, a note or a reason."""
    before = await the_state(admin)
    wrong = []
    for c in writes:
        for f in fields_of(c):
            if not takes(f.type, msgspec.inspect.StrType):
                continue
            base = valid_body(c, world)
            body = json.dumps({**base, f.encode_name: "x" * 20_000}).encode()
            response = await send(client, world, c, body)
            assert await the_state(admin) == before, f"{c} {f.encode_name} {response.text}"
            if response.status_code == 409 and c.template.endswith(NOT_IN_THEIR_STATE):
                continue
            if response.status_code != 422:
                wrong.append(f"{c} {f.encode_name}: {response.status_code} {response.text[:300]}")
                continue
            problem = assert_problem(response, 422)
            named = [(e["field"], e["rule"]) for e in problem["errors"]]
            if f.encode_name not in {field for field, _ in named}:
                wrong.append(f"{c} {f.encode_name}: {named}")
    assert wrong == []


async def test_every_write_sent_a_stale_if_match_is_refused_naming_it_and_changes_nothing(
    client: httpx.AsyncClient, world: World, admin: asyncpg.Connection, writes: list[Call]
) -> None:
    """If-Match of a version no item has: a write that checks it answers 412, one that
    does not answers 400 (if_match_not_taken), each naming If-Match, and nothing changed:
    never the write applied as though the header were not there."""
    before = await the_state(admin)
    wrong = []
    for c in writes:
        body = json.dumps(valid_body(c, world)).encode() if data_of(c) is not None else b""
        response = await send(client, world, c, body, {"If-Match": '"999999"'})
        assert await the_state(admin) == before, f"{c}: {response.text}"
        if response.status_code not in (400, 412):
            wrong.append(f"{c}: {response.status_code} {response.text[:300]}")
            continue
        problem = assert_problem(response, response.status_code)
        if "If-Match" not in {e["field"] for e in problem["errors"]}:
            wrong.append(f"{c}: {problem['errors']}")
    assert wrong == []


async def test_every_write_sent_a_body_over_the_limit_is_413_and_changes_nothing(
    client: httpx.AsyncClient, world: World, admin: asyncpg.Connection, writes: list[Call]
) -> None:
    """A body of more bytes than the API takes, to any write, keyed or not: 413 naming the
    body and saying the limit (a client knows how to split it), and nothing changed; never
    a write that read the body's first part and ran."""
    before = await the_state(admin)
    wrong = []
    for c in writes:
        body = json.dumps({**valid_body(c, world), "note": "x" * BODY_LIMIT}).encode()
        for key in ({}, {"Idempotency-Key": f"big-{uuid.uuid4()}"}):
            response = await send(client, world, c, body, key)
            assert await the_state(admin) == before, f"{c}: {response.text}"
            if response.status_code != 413:
                wrong.append(f"{c} {key}: {response.status_code} {response.text[:200]}")
                continue
            problem = assert_problem(response, 413)
            assert f"over {BODY_LIMIT} bytes" in problem["detail"], str(c)
            assert [e["field"] for e in problem["errors"]] == ["body"], str(c)
    assert wrong == []


@pytest.mark.parametrize("path", ["/auth/token", "/auth/refresh", "/auth/password"])
@pytest.mark.parametrize(("body", "field"), BAD_BODIES)
async def test_a_public_write_refuses_a_body_it_cannot_take_naming_it_and_changes_nothing(
    client: httpx.AsyncClient, admin: asyncpg.Connection, path: str, body: bytes, field: str
) -> None:
    """Signing in, refreshing a token, setting a password by link take no bearer, and are
    not in the route table's writes above: the same bad bodies, the same answers."""
    before = await the_state(admin)
    response = await client.post(
        f"/api/v1{path}", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code in (400, 422), response.text
    problem = assert_problem(response, response.status_code)
    assert field in {e["field"] for e in problem["errors"]}, problem
    assert await the_state(admin) == before


async def test_an_idempotency_key_reused_for_another_request_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, world: World, admin: asyncpg.Connection
) -> None:
    """A key that went with one write, sent again with another body, to another route, or
    with a write of the directory (an invitation): 422 key_reused naming Idempotency-Key,
    and neither the log nor the directory moved: the second request never ran."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = {**world.a.auth("consultancy_admin"), "Idempotency-Key": f"once-{uuid.uuid4()}"}
    objective = {"cycle_id": str(world.ids.cycle_id), "title": f"Una volta {uuid.uuid4().hex}"}
    first = await client.post(f"{base}/objectives", headers=auth, json=objective)
    assert first.status_code == 201, first.text
    before = await the_state(admin)
    for method, path, body in (
        ("POST", "objectives", {**objective, "title": "Un'altra"}),
        ("POST", f"key-results/{world.ids.key_result_id}/check-ins",
         {"value": "20", "on": "2027-02-11"}),
        ("PATCH", f"objectives/{world.ids.objective_id}", {"description": "altro"}),
        ("POST", "users", {"email": an_email("ri"), "display_name": "Ri", "role": "client_viewer"}),
    ):  # fmt: skip
        response = await client.request(method, f"{base}/{path}", headers=auth, json=body)
        problem = assert_problem(response, 422)
        assert [(e["field"], e["rule"]) for e in problem["errors"]] == [
            ("Idempotency-Key", "key_reused")
        ], path
        assert await the_state(admin) == before, path
