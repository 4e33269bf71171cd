"""The headers a client acts on (Location, ETag, X-OKR-Position, Idempotent-Replayed) are in
the OpenAPI document of every answer that carries them: a client generated from it exposes
only the headers it documents."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.api.builders import World
from tests.api.test_schemathesis import OWN_HEADERS

TENANT = "/api/v1/tenants/{tenant_id}"
CONSULTANCY = "/api/v1/consultancies/{consultancy_id}"


def undocumented(
    doc: dict[str, Any], method: str, template: str, answer: httpx.Response
) -> list[str]:
    """The headers of OWN_HEADERS the answer carries that its document does not name."""
    response = doc["paths"][template][method]["responses"][str(answer.status_code)]
    documented = {name.lower() for name in response.get("headers", {})}
    return [name for name in OWN_HEADERS if name in answer.headers and name not in documented]


async def test_every_header_a_client_acts_on_is_documented(
    client: httpx.AsyncClient, world: World
) -> None:
    """An item read answers the ETag to send back as If-Match, a view as of an instant the
    instant it read (X-OKR-Read-As-Of), a create its Location, a
    consultancy's write to a tenant the X-OKR-Position to read from, a retry that it is one,
    a stale If-Match the version the item is at, a 401 its challenge, a retry of a new API
    key (409: its secret is not shown again) where to revoke it: each said in the
    document, or a generated client cannot read it (they were sent, and the document named
    none of them)."""
    doc = (await client.get("/schema/openapi.json")).json()
    a, ids = world.a, world.ids
    tenant, admin = f"/api/v1/tenants/{a.tenant.id}", a.auth("consultancy_admin")
    consultancy = f"/api/v1/consultancies/{a.consultancy.id}"
    made = await client.post(
        f"{consultancy}/tenants", headers=admin, json={"name": f"Nuova {uuid.uuid4().hex[:6]}"}
    )
    retry = {**a.auth("client_member"), "Idempotency-Key": str(uuid.uuid4())}
    once = {**admin, "Idempotency-Key": str(uuid.uuid4())}
    check_in = {"value": "21", "on": "2027-02-11"}
    quarter = {"name": f"Q2 {uuid.uuid4().hex[:6]}", "starts_on": "2027-04-01",
               "ends_on": "2027-06-30"}  # fmt: skip
    calls = [  # (method, template, path, headers, body): the path is the template's, of A
        ("get", "/cycles/{cycle_id}", f"/cycles/{ids.cycle_id}", admin, None),
        ("get", "/kpis/{kpi_id}", f"/kpis/{ids.kpi_id}", admin, None),
        ("get", "/progress", "/progress?as_of=2999-01-01", admin, None),  # read as now
        ("post", "/cycles", "/cycles", admin, quarter),
        ("post", "/api-keys", "/api-keys", once, {"name": "BI"}),
        ("post", "/api-keys", "/api-keys", once, {"name": "BI"}),  # its secret: not again
        ("post", "/key-results/{key_result_id}/check-ins",
         f"/key-results/{ids.key_result_id}/check-ins", retry, check_in),
        ("post", "/key-results/{key_result_id}/check-ins",
         f"/key-results/{ids.key_result_id}/check-ins", retry, check_in),
        ("patch", "/key-results/{key_result_id}", f"/key-results/{ids.key_result_id}",
         {**admin, "If-Match": '"1000"'}, {"title": "Risposta"}),
    ]  # fmt: skip
    answers = [("post", CONSULTANCY + "/tenants", made)]
    for method, template, path, headers, body in calls:
        sent = await client.request(method, tenant + path, headers=headers, json=body)
        answers.append((method, TENANT + template, sent))
    suspend = f"{consultancy}/tenants/{made.json()['id']}/suspend"
    suspended = await client.post(suspend, headers=admin)
    answers.append(("post", CONSULTANCY + "/tenants/{tenant_id}/suspend", suspended))
    expired = {"Authorization": f"Bearer {world.expired_token}"}
    answers.append(
        ("get", TENANT + "/cycles", await client.get(f"{tenant}/cycles", headers=expired))
    )
    statuses = [answer.status_code for _, _, answer in answers]
    assert statuses == [201, 200, 200, 200, 201, 201, 409, 201, 201, 412, 200, 401], statuses
    assert answers[8][2].headers["idempotent-replayed"] == "true"
    assert answers[6][2].headers["location"] == answers[5][2].headers["location"]
    missing = {f"{m} {t} {r.status_code}": undocumented(doc, m, t, r) for m, t, r in answers}
    assert not any(missing.values()), missing
    positions = [  # each documented as the integer it is (it was said a string)
        doc["paths"][t][m]["responses"][str(r.status_code)]["headers"]["X-OKR-Position"]
        for m, t, r in answers
        if "x-okr-position" in r.headers and r.headers["x-okr-position"].isdigit()
    ]
    assert positions and all(h["schema"]["type"] == "integer" for h in positions), positions


async def test_a_412_is_documented_where_if_match_is_taken_and_only_there(
    client: httpx.AsyncClient,
) -> None:
    """A write that checks If-Match documents the header and its 412; one that does not
    (a tenant's settings, its members and keys, a suspension) answers If-Match with 400
    if_match_not_taken, never 412, and its document said 412 all the same."""
    doc = (await client.get("/schema/openapi.json")).json()
    wrong = []
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
            if ("If-Match" in headers) != ("412" in operation.get("responses", {})):
                wrong.append(f"{method.upper()} {path}")
    assert not wrong, wrong
