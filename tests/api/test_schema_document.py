"""The OpenAPI document and the pages under /schema, as a client generator and an
integrator meet them."""

from __future__ import annotations

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
