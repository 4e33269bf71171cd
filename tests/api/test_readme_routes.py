"""The README's route tables are the app's own: every route it serves, with its methods and
who may call each, and only those; and every API route is in the OpenAPI document."""

from __future__ import annotations

import re

import httpx
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute

from services.api.security import PUBLIC, is_schema_path
from services.settings import PROJECT_ROOT
from tests.api.routes import path_scope

SHOWN = ("GET", "POST", "PUT", "PATCH", "DELETE")
"""The methods the tables list (OPTIONS answers on every route)."""
OPERATIONS = ("/healthz", "/readyz", "/metrics")
_TYPED = re.compile(r"\{(\w+):\w+\}")


def who(handler: HTTPRouteHandler) -> str:
    """Who may call a route: the permission its guard asks (the README's permission table
    says which roles hold it), else anyone signed in, or anyone for a public one."""
    for guard in handler.resolve_guards():
        name = getattr(guard, "__name__", "").removeprefix("requires_")
        if name == "platform_admin":
            return "platform admin"
        if name.startswith("consultancy_"):
            return f"`{name.removeprefix('consultancy_')}` in the consultancy"
        if name:
            return f"`{name}`"
    return "anyone" if handler.opt.get(PUBLIC) else "signed in"


def served(app: Litestar) -> dict[str, dict[str, HTTPRouteHandler]]:
    """Each path the app serves, as its OpenAPI document writes it (`{tenant_id}`), with the
    handler of each of its methods; the schema's own pages aside."""
    paths: dict[str, dict[str, HTTPRouteHandler]] = {}
    for route in app.routes:
        if isinstance(route, HTTPRoute) and not is_schema_path(path_scope(route.path)):
            for handler in route.route_handlers:
                for method in handler.http_methods & set(SHOWN):
                    paths.setdefault(_TYPED.sub(r"{\1}", route.path), {})[method] = handler
    return dict(sorted(paths.items()))


def is_api(path: str) -> bool:
    return path.startswith("/api/") or path in OPERATIONS


def api_table(app: Litestar) -> str:
    """The README's table of API routes, as the app serves them."""
    rows = ["| path | method: who may |", "|---|---|"]
    for path, handlers in served(app).items():
        if is_api(path):
            calls = "; ".join(f"{m}: {who(handlers[m])}" for m in SHOWN if m in handlers)
            rows.append(f"| `{path}` | {calls} |")
    return "\n".join(rows)


def readme_portal_routes() -> dict[str, str]:
    """The README's table of portal routes: each path with its methods."""
    readme = (PROJECT_ROOT / "README.md").read_text()
    table = readme.split("### The portal's routes", 1)[1].split("\n\n", 2)[1]
    rows = (line.split(" | ") for line in table.splitlines()[2:])
    return {path.strip("| `"): methods for path, methods, *_ in rows}


async def test_readme_api_routes_are_the_app_s(app: Litestar) -> None:
    """The README described the API in prose, naming some routes and no guard: which routes
    exist, by which method, and what each asks of its caller was in the code alone."""
    readme = (PROJECT_ROOT / "README.md").read_text()
    expected = api_table(app)
    assert expected in readme, f"the README's API routes should be:\n{expected}"


async def test_readme_portal_routes_are_the_app_s(app: Litestar) -> None:
    """Every page and form the portal serves is in the README's table, by its methods, and
    the table names no other."""
    portal = {
        path: ", ".join(m for m in SHOWN if m in handlers)
        for path, handlers in served(app).items()
        if not is_api(path)
    }
    assert readme_portal_routes() == portal


async def test_every_api_route_is_in_the_openapi_document(
    app: Litestar, client: httpx.AsyncClient
) -> None:
    """A client generated from /schema/openapi.json can call every route the API serves."""
    documented = (await client.get("/schema/openapi.json")).json()["paths"]
    for path, handlers in served(app).items():
        if is_api(path):
            assert {m.lower() for m in handlers} <= set(documented.get(path, {})), path
