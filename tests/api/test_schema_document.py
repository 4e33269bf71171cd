"""The OpenAPI document and the pages under /schema, as a client generator and an
integrator meet them."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.api.test_problems import assert_problem


@pytest.mark.parametrize("path", ["/schema/redoc", "/schema/no/such/page", "/schema/openapi.yaml"])
@pytest.mark.parametrize("accept", [None, "*/*", "text/html", "application/json"])
async def test_an_unknown_path_under_schema_is_the_api_s_404(
    client: httpx.AsyncClient, path: str, accept: str | None
) -> None:
    """/schema/redoc answered Litestar's own HTML 404 page, and /schema/openapi.yaml the
    portal's: under /schema, as under /api/, every 404 is the API's problem+json."""
    headers = {"Accept": accept} if accept else {}
    response = await client.get(path, headers=headers)
    problem = assert_problem(response, 404)
    assert problem["instance"] == path


async def test_the_schema_pages_are_still_served(client: httpx.AsyncClient) -> None:
    """The document and its two interactive pages answer as before."""
    for path in ("/schema", "/schema/swagger", "/schema/openapi.json"):
        response = await client.get(path)
        assert response.status_code == 200, path


def _refs(value: object) -> list[str]:
    if isinstance(value, dict):
        own = [value["$ref"]] if isinstance(value.get("$ref"), str) else []
        return own + [ref for item in value.values() for ref in _refs(item)]
    if isinstance(value, list):
        return [ref for item in value for ref in _refs(item)]
    return []


async def test_every_schema_has_a_short_unique_name_and_every_ref_resolves(
    client: httpx.AsyncClient,
) -> None:
    """A generic's schema was named after its argument's import path
    (`Page_tenants.models.ApiKey_`), which client generators make unusable class names of:
    each is one CamelCase word now (`ApiKeyPage`), and every $ref names one that is there."""
    schema = (await client.get("/schema/openapi.json")).json()
    names = list(schema["components"]["schemas"])
    long = [name for name in names if not re.fullmatch(r"[A-Z][A-Za-z0-9]{0,39}", name)]
    assert not long, long
    assert len({name.lower() for name in names}) == len(names)  # unique, in any case too
    refs = set(_refs(schema))
    assert {f"#/components/schemas/{name}" for name in ("ApiKeyPage", "KPINodePage")} <= refs
    dangling = {ref for ref in refs if ref.removeprefix("#/components/schemas/") not in names}
    assert not dangling, dangling


async def test_the_interactive_pages_carry_the_short_names(client: httpx.AsyncClient) -> None:
    """Swagger UI's page embeds the document (Scalar's fetches openapi.json): the same
    short names as openapi.json."""
    page = (await client.get("/schema/swagger")).text
    assert "ApiKeyPage" in page and "Page_tenants.models" not in page


async def test_every_operation_has_a_short_unique_id(client: httpx.AsyncClient) -> None:
    """Operation ids strung the path before the handler's name
    (ApiV1TenantsTenantIdKeyResultsKeyResultIdCheckInsRecordCheckIn), which client
    generators make method names of: each is the handler's name in camelCase now
    (checkIn), and no two alike."""
    schema = (await client.get("/schema/openapi.json")).json()
    ids = [
        operation["operationId"]
        for item in schema["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    ]
    long = [i for i in ids if not re.fullmatch(r"[a-z][A-Za-z0-9]{0,39}", i) or "ApiV1" in i]
    assert not long, long
    assert len(set(ids)) == len(ids)
    assert {"listCycles", "checkIn", "getKey", "archiveKpi"} <= set(ids)
    # each says what it acts on, where a verb alone does not (activate, remove, link)
    assert {"activateCycle", "removeUser", "feedKeyResult", "editKpi"} <= set(ids)
