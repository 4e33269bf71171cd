"""The OpenAPI 3.1 document at /schema (JSON at /schema/openapi.json, interactive docs at
/schema), with every route's errors documented as problem+json."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from litestar import Litestar, Request, Router
from litestar.datastructures import ResponseHeader
from litestar.enums import ParamType
from litestar.exceptions import NotFoundException
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    Components,
    OpenAPIHeader,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Parameter,
    Schema,
    SecurityScheme,
    Tag,
)
from litestar.plugins import OpenAPISchemaPlugin
from litestar.routes import HTTPRoute
from litestar.typing import FieldDefinition

from services.api.pagination import MAX_POSITION
from services.api.problems import ERROR_STATUSES, PROBLEM_JSON, Problem
from services.api.schema_pages import (
    PinnedScalarPlugin,
    PinnedSwaggerPlugin,
    ShortNamesJsonPlugin,
)
from services.api.security import PUBLIC, SCHEMA_PATH

DESCRIPTION = """\
Event-sourced OKRs and KPIs for consultancies and their client companies.

**Authentication**: `Authorization: Bearer <token>`, a short-lived JWT from
`POST /api/v1/auth/token` or a tenant-scoped API key (`okr_...`).
A tenant you hold no role in answers **404**, a role without the permission **403**.

**Numbers**: measured values are decimals: send `"19.2"` or `19.2`; answers carry strings,
in positional notation (`"0.0000001"`, `"1200000"`, never `"1E-7"`).

**Writes** take `Idempotency-Key` (a retry returns the first answer and records nothing new);
items carry their stream version as `ETag`, and `If-Match` makes a stale write fail with 412.
Every write answers `X-OKR-Position`; reads take `min_position` to see your own writes.

**Errors** are RFC 9457 `application/problem+json` with `errors: [{field, rule, message}]`.
An `Accept` that admits neither a route's own type, nor JSON, nor problem+json is 406.
"""

API_PREFIX = "/api/v1"
DOCUMENTED = ("/api/", "/healthz", "/readyz", "/metrics")
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
NUMBER_PATTERN = r"^\s*-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?\s*$"
"""A number as text, as domain.values.parse_number takes it: spaces around it are cut (as
pasted from a sheet; the pattern said they were refused)."""


class DecimalSchemaPlugin(OpenAPISchemaPlugin):
    """Decimals travel as JSON strings ("19.2") in answers and as strings or numbers in
    requests: document both, never a float."""

    @staticmethod
    def is_plugin_supported_type(value: Any) -> bool:
        return value is Decimal

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: Any) -> Schema:
        return Schema(
            one_of=[
                Schema(type=OpenAPIType.STRING, pattern=NUMBER_PATTERN, examples=["19.2"]),
                Schema(type=OpenAPIType.NUMBER),
            ],
            description="A decimal number, as a string (exact) or a JSON number.",
        )


def no_such_schema_page(request: Request[Any, Any, Any]) -> None:
    """before_request of /schema: a path under it that none of its pages has (/schema/redoc)
    is the app's own 404, problem+json as under /api/. Litestar's catch-all, the one route
    of /schema with a `path` parameter, answered an HTML page of its own."""
    if "path" in request.path_params:
        raise NotFoundException()


def operation_id(handler: HTTPRouteHandler, http_method: Any, path_components: Any) -> str:
    """An operation's id: its handler's name in camelCase (listCycles, checkIn), the
    method first for a handler of several. Litestar's default strung the path before it
    (ApiV1TenantsTenantIdCyclesListCycles), which client generators make method names of;
    it refuses two ids alike, so handlers are named apart (archive_kpi, archive_objective)."""
    words = handler.handler_name.split("_")
    if len(handler.http_methods) > 1:
        words.insert(0, str(getattr(http_method, "value", http_method)).lower())
    return words[0] + "".join(word.capitalize() for word in words[1:])


def openapi_config(version: str = "1.0.0") -> OpenAPIConfig:
    return OpenAPIConfig(
        title="OKR platform API",
        version=version,
        description=DESCRIPTION,
        path=SCHEMA_PATH,
        openapi_router=Router(
            SCHEMA_PATH,
            route_handlers=[],
            include_in_schema=False,
            before_request=no_such_schema_page,
        ),
        render_plugins=[
            PinnedScalarPlugin(path="/"),
            PinnedSwaggerPlugin(path="/swagger"),
            ShortNamesJsonPlugin(),
        ],
        components=Components(
            security_schemes={
                "bearer": SecurityScheme(
                    type="http",
                    scheme="bearer",
                    bearer_format="JWT or okr_ API key",
                    description="An access token from /api/v1/auth/token, or an API key.",
                )
            }
        ),
        security=[{"bearer": []}],
        tags=[
            Tag(name="auth", description="Tokens for people"),
            Tag(name="consultancies", description="Consultancies and their client tenants"),
            Tag(name="tenants", description="Client tenants"),
            Tag(name="views", description="Progress, history, audit, diff, export"),
            Tag(name="operations", description="Health and metrics"),
        ],
        use_handler_docstrings=True,
        operation_id_creator=operation_id,
    )


def _problem(status: int) -> ResponseSpec:
    return ResponseSpec(
        data_container=Problem,
        description=ERROR_STATUSES[status],
        media_type=PROBLEM_JSON,
        generate_examples=False,
    )


def error_statuses(handler: HTTPRouteHandler, path: str) -> set[int]:
    """The error answers a route can give, from what it is: public, scoped, a write..."""
    statuses = {400, 404, 422}
    if path.startswith(API_PREFIX):  # see services.api.negotiation
        statuses |= {406}
    if not handler.opt.get(PUBLIC):  # 403: a suspended tenant's key, on any route
        statuses |= {401, 403}
    if handler.http_methods & WRITES:
        statuses |= {409, 413, 415}
    if "if_match" in handler.parsed_fn_signature.parameters:  # the writes that check it
        statuses |= {412}  # (one sent to another write is 400 if_match_not_taken)
    if path.endswith(("/auth/token", "/auth/password/change")):
        statuses |= {401, 429}
    if path.endswith("/auth/refresh") or path == "/metrics":  # (/metrics: OKR_METRICS_TOKEN)
        statuses |= {401}
    if path.startswith(API_PREFIX):  # its bearer's grants, at least, are the database's
        statuses |= {503}
    return statuses


IDEMPOTENCY_KEY = Parameter(
    name="Idempotency-Key",
    param_in=ParamType.HEADER,
    required=False,
    description="Retry-safe writes: a retry with the same key and body gets the first answer "
    "back and records nothing new; the same key with another body is 422. Kept 24 h.",
    schema=Schema(type=OpenAPIType.STRING, min_length=1, max_length=255),
)
_STRING = Schema(type=OpenAPIType.STRING)
RETRY_AFTER = {
    "Retry-After": OpenAPIHeader(
        schema=Schema(type=OpenAPIType.INTEGER, minimum=1),
        description="Seconds to wait before trying again (a 409 carries it when the first"
        " request with this Idempotency-Key is still running).",
    )
}
CHALLENGE = {
    "WWW-Authenticate": OpenAPIHeader(
        schema=_STRING,
        description='The challenge (RFC 6750): Bearer realm="okr", and error="invalid_token"'
        " with why when a token or key was given and refused.",
    )
}
RETRIED = ("409", "429", "503")
"""The answers that may say when to try again: this API's problems of these statuses (not
/readyz's 503, its report, which says no Retry-After)."""
_POSITION = (
    "The tenant position written: pass it as min_position (a write that recorded nothing, as"
    " PATCH {}: the log's head)."
)
POSITION_HEADER = OpenAPIHeader(
    schema=Schema(type=OpenAPIType.INTEGER, minimum=0), description=_POSITION
)
"""X-OKR-Position, as every answer that carries it documents it: the integer it is (a
header declared on a handler, POSITION_WRITTEN, is documented a string without it)."""
WRITE_HEADERS = {
    "ETag": OpenAPIHeader(
        schema=_STRING, description="The item's new stream version (items of the log)."
    ),
    "X-OKR-Position": POSITION_HEADER,
}
REPLAYED = {
    "Idempotent-Replayed": OpenAPIHeader(
        schema=Schema(type=OpenAPIType.STRING, enum=["true"]),
        description="The first answer to this Idempotency-Key, given again: nothing new"
        " was recorded.",
    )
}
STALE = {
    "ETag": OpenAPIHeader(
        schema=_STRING, description="The version the item is at (a stale If-Match)."
    )
}

ITEM_ETAG = ResponseHeader(
    name="ETag",
    description="The item's stream version: send it as If-Match to a write of the item,"
    " which answers 412 if the item moved on.",
    documentation_only=True,
)
LOCATION = ResponseHeader(
    name="Location",
    description="The path of what was made: a GET there answers it (an API key without its"
    " secret; a DELETE there revokes it).",
    documentation_only=True,
)
POSITION_WRITTEN = ResponseHeader(
    name="X-OKR-Position", description=_POSITION, documentation_only=True
)
"""The headers a route answers beyond its kind's (a tenant's write answers ETag and
X-OKR-Position): declared on its handler, as response_headers."""
READ_AS_OF = "X-OKR-Read-As-Of"
READ_AS_OF_HEADER = ResponseHeader(
    name=READ_AS_OF,
    description="With as_of: the instant (UTC) the view was read at: as_of (a date: its end,"
    " in the tenant's time zone), or now where that is still to come, as nothing later is"
    " known yet (as a diff's X-OKR-Read-To).",
    documentation_only=True,
)
"""A view as of an instant still to come shows now: this header says so, as the diff's
X-OKR-Read-To does for a `to` still to come (okr progress says it below its tree, the
portal in a note)."""


@dataclass
class ApiOperation(Operation):
    """Any documented route: the problems that may be tried again say when (Retry-After),
    and a 401 its challenge (WWW-Authenticate), or a generated client would not know to
    read them."""

    def __post_init__(self) -> None:
        _add_headers(self, lambda status: status in RETRIED, RETRY_AFTER, problems_only=True)
        _add_headers(self, lambda status: status == "401", CHALLENGE, problems_only=True)


@dataclass
class WriteOperation(ApiOperation):
    """A write: documents the Idempotency-Key it takes."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.parameters = [*(self.parameters or []), IDEMPOTENCY_KEY]
        _add_headers(self, lambda status: status.startswith("2") or status == "409", REPLAYED)
        for response in (self.responses or {}).values():  # POSITION_WRITTEN's: a string
            headers = getattr(response, "headers", None) or {}  # in Litestar's document
            if "X-OKR-Position" in headers:
                headers["X-OKR-Position"] = POSITION_HEADER


@dataclass
class TenantWriteOperation(WriteOperation):
    """A write in a tenant: its answers also carry ETag (items) and X-OKR-Position."""

    def __post_init__(self) -> None:
        super().__post_init__()
        _add_headers(self, lambda status: status.startswith("2"), WRITE_HEADERS)
        _add_headers(self, lambda status: status == "412", STALE)


def _add_headers(
    operation: Operation,
    statuses: Callable[[str], bool],
    headers: dict[str, OpenAPIHeader],
    *,
    problems_only: bool = False,
) -> None:
    """Document `headers` on the answers of `statuses` (the route's own declared first);
    `problems_only`: on those that are this API's problems (not /readyz's 503, its report)."""
    for status, response in (operation.responses or {}).items():
        if not (statuses(status) and isinstance(response, OpenAPIResponse)):
            continue
        if not problems_only or PROBLEM_JSON in (response.content or {}):
            response.headers = {**headers, **(response.headers or {})}


ANSWERED_ONCE = "answered_once"
"""A handler's opt: its answer holds a secret shown once (a new API key, a password link)."""
SHOWN_ONCE = {
    "Location": OpenAPIHeader(
        schema=_STRING,
        description="Of a new API key: where to read it (never its secret, not shown again)"
        " and to revoke it.",
    ),
    "X-OKR-Position": POSITION_HEADER,
}


@dataclass
class AnsweredOnceOperation(TenantWriteOperation):
    """A tenant's write whose answer holds a secret: a retry with its Idempotency-Key is
    told 409 answered_once, with the first answer's Location and X-OKR-Position."""

    def __post_init__(self) -> None:
        super().__post_init__()
        _add_headers(self, lambda status: status == "409", SHOWN_ONCE)


MIN_POSITION = Parameter(
    name="min_position",
    param_in=ParamType.QUERY,
    required=False,
    description="A tenant position a write returned (X-OKR-Position): what this route reads"
    " (an item's events, the directory) holds it already, so it is only checked: 422 for a"
    " position past the tenant's log.",
    schema=Schema(type=OpenAPIType.INTEGER, minimum=0, maximum=MAX_POSITION),
)


@dataclass
class TenantReadOperation(ApiOperation):
    """A read of one tenant: it takes min_position, declared or not (see
    queries.ANY_TENANT_READ), and says so, or generated clients would not know of it."""

    def __post_init__(self) -> None:
        super().__post_init__()
        names = {getattr(p, "name", None) for p in self.parameters or []}
        if MIN_POSITION.name not in names:
            self.parameters = [*(self.parameters or []), MIN_POSITION]


@dataclass
class PublicOperation(ApiOperation):
    """A route that takes no bearer (sign-in, a password link): said so, over the document's
    default, or generated clients would ask for a token the caller cannot have."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.security = []


class _OptionalBody:
    """A write whose body may be left out (the reason of a removal, say): documented so,
    or generated clients would always send one."""

    request_body: Any

    def __post_init__(self) -> None:
        super().__post_init__()  # type: ignore[misc]
        if self.request_body is not None:
            self.request_body.required = False


@dataclass
class OptionalBodyWriteOperation(_OptionalBody, WriteOperation):
    """A write that may come without a body."""


@dataclass
class TenantOptionalBodyWriteOperation(_OptionalBody, TenantWriteOperation):
    """A write in a tenant that may come without a body."""


def _optional_body(handler: HTTPRouteHandler) -> bool:
    data = handler.parsed_fn_signature.parameters.get("data")
    return data is not None and data.is_optional


TENANT_PATHS = API_PREFIX + "/tenants/{tenant_id"
"""The paths of one tenant's routes."""


def document_errors(app: Litestar) -> None:
    """Give every API route its problem+json answers, and writes their headers (before the
    schema is first built)."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith(DOCUMENTED):
            continue
        for handler in route.route_handlers:
            extra = {s: _problem(s) for s in sorted(error_statuses(handler, route.path))}
            handler.responses = {**extra, **(handler.responses or {})}
            if handler.opt.get(PUBLIC):  # no principal: no Idempotency-Key either
                handler.operation_class = PublicOperation
            elif "GET" in handler.http_methods and route.path.startswith(TENANT_PATHS):
                handler.operation_class = TenantReadOperation
            elif handler.http_methods & WRITES:
                in_tenant = route.path.startswith(TENANT_PATHS)
                if _optional_body(handler):
                    handler.operation_class = (
                        TenantOptionalBodyWriteOperation
                        if in_tenant
                        else OptionalBodyWriteOperation
                    )
                elif in_tenant and handler.opt.get(ANSWERED_ONCE):
                    handler.operation_class = AnsweredOnceOperation
                else:
                    handler.operation_class = TenantWriteOperation if in_tenant else WriteOperation
            else:
                handler.operation_class = ApiOperation
