"""A query parameter an API route does not take is refused, not ignored.

`?kind=` on the audit trail (its filter is `topic`) or `?item=` (it is `item_id`) would
otherwise answer the whole trail as if filtered: 422 naming the parameter, and the ones the
route takes. The names come from each route's own signature, once, when the app is made.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Request
from litestar.routes import HTTPRoute

from services.api.problems import InvalidQueryError

_STATE_KEY = "okr_query_names"


def learn_query_names(app: Litestar, prefix: str) -> None:
    """Keep, per route handler under `prefix`, the query parameters it takes (a tenant's
    reads: min_position too, see ANY_TENANT_READ)."""
    names: dict[int, frozenset[str]] = {}
    tenant_reads = f"{prefix}/tenants/{{"
    for route in app.routes:
        if isinstance(route, HTTPRoute) and route.path.startswith(prefix):
            for method, (handler, model) in route.route_handler_map.items():
                taken = frozenset(p.field_alias for p in model.expected_query_params)
                if method == "GET" and route.path.startswith(tenant_reads):
                    taken |= ANY_TENANT_READ
                names[id(handler)] = taken
    app.state[_STATE_KEY] = names


ANY_TENANT_READ = frozenset({"min_position"})
"""Taken by every read of one tenant: a client may send it with each. Those that do not
declare it read the log, an item's events or the directory themselves, and so have every
position written. (A read across tenants, the portfolio, has no position to wait for.)"""


async def refuse_unknown_query(request: Request[Any, Any, Any]) -> None:
    """A before_request hook: 422 for the first query parameter the route does not take
    (not for OPTIONS, a browser's preflight, which takes whatever the request it is for)."""
    known = request.app.state[_STATE_KEY].get(id(request.route_handler))
    if known is None or request.method == "OPTIONS":
        return
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        takes = ", ".join(sorted(known)) or "none"
        raise InvalidQueryError(
            f"{unknown[0]}: this route takes no such query parameter (it takes: {takes})",
            field=unknown[0],
            rule="unknown_parameter",
        )
