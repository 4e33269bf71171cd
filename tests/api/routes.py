"""The app's own route table, as concrete requests on tenant A of the test world."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import cast
from uuid import UUID

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute
from litestar.types import Scope

from services.api.security import PUBLIC, is_schema_path, route_permission
from tenants.roles import Permission
from tests.api.builders import Side, World

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REQUIRED_QUERY = {"/diff": {"from": "2020-01-01T00:00:00Z"}}
"""Query parameters a route cannot do without, by the end of its path."""
_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


@dataclass(frozen=True)
class Call:
    """One route of the app, one method, with tenant A's ids in its path."""

    method: str
    template: str
    path: str
    permission: Permission | None
    handler: HTTPRouteHandler

    @property
    def params(self) -> dict[str, str]:
        return next((q for end, q in REQUIRED_QUERY.items() if self.template.endswith(end)), {})

    @property
    def is_write(self) -> bool:
        return self.method in WRITES

    @property
    def own_account(self) -> bool:
        """A write of the caller's own account (its password): anyone signed in may."""
        return self.template.endswith("/auth/password/change")

    @property
    def tenant_scoped(self) -> bool:
        return "{tenant_id" in self.template and "/consultancies/" not in self.template

    @property
    def consultancy_scoped(self) -> bool:
        return "{consultancy_id" in self.template

    def __str__(self) -> str:
        return f"{self.method} {self.template}"


def path_values(world: World, side: Side) -> dict[str, UUID]:
    return {
        "tenant_id": side.tenant.id,
        "consultancy_id": side.consultancy.id,
        "cycle_id": world.ids.cycle_id,
        "objective_id": world.ids.objective_id,
        "key_result_id": world.ids.key_result_id,
        "kpi_id": world.ids.kpi_id,
        "check_in_id": world.ids.check_in_id,
        "measurement_id": world.ids.measurement_id,
        "user_id": side.user_ids["client_viewer"],
        "key_id": side.revoked_key_id,
    }


def path_scope(path: str) -> Scope:
    """A scope of this path alone: is_schema_path reads nothing else of it."""
    return cast(Scope, {"path": path})


def authenticated_calls(app: Litestar, world: World, side: Side) -> list[Call]:
    """Every method of every route that needs a bearer, in path order."""
    values = path_values(world, side)
    calls = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or is_schema_path(path_scope(route.path)):
            continue
        for handler in route.route_handlers:
            if handler.opt.get(PUBLIC):
                continue
            path = _PARAM.sub(lambda m: str(values[m.group(1)]), route.path)
            for method in sorted(handler.http_methods - {"OPTIONS"}):
                calls.append(Call(method, route.path, path, route_permission(handler), handler))
    return sorted(calls, key=str)
