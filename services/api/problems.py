"""Every error the API answers, as RFC 9457 problem+json, from this one module.

Handlers and middleware raise; nobody builds an error response anywhere else. Domain and
tenancy errors carry the input ``field`` at fault and a ``rule`` slug; both travel in
``errors: [{field, rule, message}]``. An unknown id named in the URL is 404 (an unknown id in
the body is 422): the error's field tells which.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any
from uuid import UUID

import asyncpg
import msgspec
import structlog
from litestar import Request
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import Scope, Send

from domain.errors import (
    ArchivedError,
    CycleClosedError,
    CycleStateError,
    DomainError,
    DueOutsideError,
    DuplicateIdError,
    DuplicateNameError,
    FedAgainstError,
    NotArchivedError,
)
from services.api.responses import Response
from services.api.runtime import runtime_of
from services.app.base import VersionMismatchError
from services.db import CONNECTION_LOST, connection_lost
from services.read import UnreadableLogError
from services.store.event_store import ConcurrencyError, TenantErasedError
from tenants.errors import (
    AccountBeyondReachError,
    BoundElsewhereError,
    ChangedMeanwhileError,
    DuplicateClientNameError,
    DuplicateConsultancyIdError,
    DuplicateEmailError,
    DuplicateMembershipError,
    DuplicateSlugError,
    DuplicateTenantIdError,
    EncryptionFixedError,
    InvalidCredentialsError,
    LastAdminError,
    PasswordLinkRefusedError,
    PermissionDeniedError,
    RateLimitedError,
    ReadModelsRebuildingError,
    TenancyError,
    TenantNotSuspendedError,
    UnknownConsultancyError,
    UnknownTenantError,
)

PROBLEM_JSON = "application/problem+json"
log = structlog.get_logger("okr.api")


class FieldProblem(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One thing wrong with the request: where, which rule, in words."""

    field: str | None
    rule: str
    message: str


class Problem(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """An RFC 9457 problem document."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldProblem] = msgspec.field(default_factory=list)


async def send_problem(scope: Scope, send: Send, problem: Problem) -> None:
    """A problem answered by a middleware itself, with Retry-After, as the app would answer
    it (a 409 in use, a 503 database out of reach or a request cut short): raised there,
    after the app's answer was made and held, or once the app was cancelled, it reached the
    client as a bare 500."""
    body = msgspec.json.encode(problem)
    headers = [(b"content-type", PROBLEM_JSON.encode()), (b"retry-after", b"1"),
               (b"content-length", str(len(body)).encode())]  # fmt: skip
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


class ApiError(Exception):
    """An error of the HTTP layer itself (not of the domain or the tenancy layer)."""

    status = 400
    kind = "bad-request"
    title = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        field: str | None = None,
        rule: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail, self.field, self.rule = detail, field, rule or self.kind.replace("-", "_")
        self.headers = dict(headers or {})


class IdempotencyKeyReusedError(ApiError):
    """The Idempotency-Key was used before for a different request."""

    status, kind, title = 422, "idempotency-key-reused", "Idempotency-Key reused"


class IdempotencyInProgressError(ApiError):
    """The first request with this Idempotency-Key has not finished yet."""

    status, kind, title = 409, "idempotency-in-progress", "Request still in progress"


class ReadModelBehindError(ApiError):
    """The read model did not reach the asked min_position in time."""

    status, kind, title = 503, "read-model-behind", "Read model behind"


class InvalidHeaderError(ApiError):
    """A request header this API reads, with a value it cannot use."""

    status, kind, title = 400, "bad-header", "Malformed header"


class BadPreconditionError(ApiError):
    """An If-Match header that is not a stream version."""

    status, kind, title = 400, "bad-precondition", "Malformed If-Match"


class PreconditionFailedError(ApiError):
    """If-Match named a version the item is no longer at, or weak entity tags only, which
    never match (If-Match compares strongly)."""

    status, kind, title = 412, "precondition-failed", "Precondition failed"


class NotFoundError(ApiError):
    """An item named in the URL is not there (or not visible)."""

    status, kind, title = 404, "not-found", "Not found"


class NotAcceptableError(ApiError):
    """An Accept that admits nothing the route answers (HTTP 406)."""

    status, kind, title = 406, "not-acceptable", "Not acceptable"


class UnsupportedMediaTypeError(ApiError):
    """A request body sent as something other than JSON, as JSON in a charset other than
    UTF-8, or compressed (HTTP 415)."""

    status, kind, title = 415, "unsupported-media-type", "Unsupported media type"


class MalformedJsonError(ApiError):
    """A request body that is not JSON the API reads (not UTF-8, say)."""

    status, kind, title = 400, "malformed-json", "Malformed JSON"


class InvalidQueryError(ApiError):
    """A query parameter that does not make sense (a bad cursor, an impossible range)."""

    status, kind, title = 422, "validation", "Invalid request"


class InvalidFieldsError(Exception):
    """A request body with fields at fault, each named (msgspec would say only the first)."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = problems


# -- mapping ----------------------------------------------------------------------------------

_CONFLICTS = (
    CycleClosedError, CycleStateError, ArchivedError, DuplicateIdError, DuplicateNameError,
    NotArchivedError, FedAgainstError, DueOutsideError,
)  # fmt: skip
_TENANCY_CONFLICTS = (
    DuplicateClientNameError,
    DuplicateEmailError,
    DuplicateMembershipError,
    DuplicateConsultancyIdError,
    DuplicateSlugError,
    DuplicateTenantIdError,
    EncryptionFixedError,
    TenantNotSuspendedError,
    ReadModelsRebuildingError,
    LastAdminError,
    ChangedMeanwhileError,
    PasswordLinkRefusedError,
    BoundElsewhereError,
    AccountBeyondReachError,
)


def _problem(
    request: Request[Any, Any, Any],
    status: int,
    kind: str,
    title: str,
    detail: str,
    errors: list[FieldProblem] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response[Problem]:
    problem = Problem(
        type="about:blank" if kind == "about:blank" else f"/problems/{kind}",
        title=title,
        status=status,
        detail=_cut(detail),
        instance=_cut(request.url.path),
        errors=[
            FieldProblem(_cut(e.field) if e.field else e.field, e.rule, _cut(e.message))
            for e in errors or []
        ],
    )
    return Response(
        problem, status_code=status, media_type=PROBLEM_JSON, headers=dict(headers or {})
    )


MAX_SAID = 500
"""The longest text a problem says: a refused input of megabytes is not sent back, twice."""


def _cut(text: str) -> str:
    return text if len(text) <= MAX_SAID else text[: MAX_SAID - 1] + "…"


def _in_path(request: Request[Any, Any, Any], field: str | None) -> bool:
    return field is not None and field in request.path_params


def domain_problem(request: Request[Any, Any, Any], exc: DomainError) -> Response[Problem]:
    errors = [FieldProblem(exc.field, exc.rule, exc.message)]
    if exc.rule.startswith("unknown_") and _in_path(request, exc.field):
        return _problem(request, 404, "not-found", "Not found", exc.message, errors)
    if isinstance(exc, _CONFLICTS):
        return _problem(
            request, 409, "conflict", "Conflict with the item's state", exc.message, errors
        )
    return _problem(request, 422, "validation", "Invalid request", exc.message, errors)


BODY = "body"
"""The field of a problem with the request body as a whole (not JSON, none, not an object)."""
_NOTHING = (b"", b"{}", b"null")


def says_nothing(body: bytes) -> bool:
    """Whether a request body is no body: none, an empty object or null (whitespace aside)."""
    return b"".join(body.split()) in _NOTHING


def www_authenticate(exc: InvalidCredentialsError) -> str:
    """The challenge of a 401: which scheme, and why the credential was refused; none
    for a request without a bearer token (no Authorization, or another scheme's: RFC 6750,
    3.1, gives it no error code)."""
    if exc.rule in ("missing_token", "invalid_scheme"):
        return 'Bearer realm="okr"'
    reason = exc.message.replace('"', "'")
    return f'Bearer realm="okr", error="invalid_token", error_description="{reason}"'


def tenancy_problem(request: Request[Any, Any, Any], exc: TenancyError) -> Response[Problem]:
    errors = [FieldProblem(exc.field, exc.rule, exc.message)]
    if isinstance(exc, InvalidCredentialsError):
        headers = {"WWW-Authenticate": www_authenticate(exc)}
        return _problem(request, 401, "unauthorized", "Unauthorized", exc.message, errors, headers)
    if isinstance(exc, RateLimitedError):
        headers = {"Retry-After": str(exc.retry_after)}
        return _problem(
            request, 429, "rate-limited", "Too many requests", exc.message, errors, headers
        )
    if isinstance(exc, PermissionDeniedError):
        return _problem(request, 403, "forbidden", "Forbidden", exc.message, errors)
    if isinstance(exc, UnknownTenantError | UnknownConsultancyError):
        # One answer whether it does not exist or is not yours: no existence oracle.
        nothing = [FieldProblem(exc.field, exc.rule, "not found")]
        return _problem(request, 404, "not-found", "Not found", "not found", nothing)
    if exc.rule.startswith("unknown_") and _in_path(request, exc.field):
        return _problem(request, 404, "not-found", "Not found", exc.message, errors)
    if isinstance(exc, _TENANCY_CONFLICTS):
        return _problem(request, 409, "conflict", "Conflict", exc.message, errors)
    return _problem(request, 422, "validation", "Invalid request", exc.message, errors)


def api_problem(request: Request[Any, Any, Any], exc: ApiError) -> Response[Problem]:
    errors = [FieldProblem(exc.field, exc.rule, exc.detail)]
    return _problem(request, exc.status, exc.kind, exc.title, exc.detail, errors, exc.headers)


def version_problem(
    request: Request[Any, Any, Any], exc: VersionMismatchError
) -> Response[Problem]:
    detail = f"the item is at version {exc.actual}, not {exc.expected}"
    errors = [FieldProblem("If-Match", "version_mismatch", detail)]
    headers = {"ETag": f'"{exc.actual}"'}
    return _problem(
        request, 412, "precondition-failed", "Precondition failed", detail, errors, headers
    )


def concurrency_problem(
    request: Request[Any, Any, Any], exc: ConcurrencyError
) -> Response[Problem]:
    detail = "another change to this item was recorded first: reload and try again"
    errors = [FieldProblem(None, "concurrent_write", detail)]
    return _problem(request, 409, "conflict", "Concurrent change", detail, errors)


def unreadable_problem(
    request: Request[Any, Any, Any], exc: UnreadableLogError
) -> Response[Problem]:
    """A view "as of" a point past an event that does not decode or fold (a damaged row):
    the server's fault, said with its position, not an internal error's silence."""
    log.error("api.log_unreadable", tenant_id=str(exc.tenant_id), position=exc.position)
    errors = [FieldProblem(None, "log_unreadable", str(exc))]
    return _problem(request, 500, "log-unreadable", "The log cannot be read", str(exc), errors)


def erased_problem(request: Request[Any, Any, Any], exc: TenantErasedError) -> Response[Problem]:
    """A write that raced the tenant's erasure: the tenant is gone, as any unknown one."""
    return tenancy_problem(request, UnknownTenantError("not found", field="tenant_id"))


_DECODE_ERRORS = (
    "JSON is malformed",
    "Input data was truncated",
    "Number out of range",
    "Trailing",
)
"""How msgspec says the body is not JSON at all (Litestar answers those 400)."""


MSGSPEC_PATH = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_MSGSPEC_FIELD = re.compile(r"field `(?P<name>[^`]+)`")
_MISSING_PARAMETER = re.compile(r"(?P<message>Missing required (\w+ )?parameter '(?P<name>[^']+)')")
"""Litestar's message of a missing query, header or path parameter (then " for path ...")."""


def _wire_names(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The handler's parameters that the request names otherwise (`since` is ?from=)."""
    handler = request.scope.get("route_handler")
    parameters = getattr(getattr(handler, "parsed_fn_signature", None), "parameters", {})
    return {
        name: alias
        for name, field in parameters.items()
        if (alias := getattr(field.kwarg_definition, "name", None))
    }


def _validation_item(item: Mapping[str, Any], wire: Mapping[str, str]) -> FieldProblem:
    """One item of Litestar's ValidationException.extra as a field problem."""
    message = str(item.get("message", "invalid"))
    if item.get("key") == "data" and message == "'data'":  # Litestar's KeyError: no body
        return FieldProblem(BODY, "required", "this request needs a JSON body")
    missing = _MISSING_PARAMETER.search(message)
    if missing:
        return FieldProblem(missing.group("name"), "required", missing.group("message"))
    key = item.get("key")
    path = MSGSPEC_PATH.search(message)
    named = _MSGSPEC_FIELD.search(message)
    field = wire.get(str(key), str(key)) if key not in (None, "data") else None
    if path and path.group("path"):
        field = path.group("path").lstrip(".")
        message = message[: path.start()]
    if named:
        prefix = f"{field}." if field and field != named.group("name") else ""
        field = prefix + named.group("name")
    if field is None and key == "data":  # the body as a whole: not an object, say
        field = BODY
    return FieldProblem(field, _rule_of(message.lower()), message)


_MSGSPEC_RULES = (
    ("unknown field", "unknown_field"),
    ("missing required", "required"),
    ("invalid enum", "unknown_choice"),
    ("invalid decimal", "not_a_number"),
    ("invalid rfc3339", "invalid_date"),
    ("invalid uuid", "invalid_uuid"),
    ("out of range", "out_of_range"),
    ("of length >= 1", "empty"),
    ("of length <=", "too_long"),
    ("of length >=", "too_short"),
    ("matching regex", "invalid_format"),
    ("` >", "out_of_range"),  # "Expected `int` >= 1": a number, past a bound
    ("` <", "out_of_range"),
    ("expected", "wrong_type"),
)
"""msgspec's words, first match wins: a value of the right type past one of its bounds
(a length, a range, a pattern) is told by the bound, not as a value of another type."""


def _rule_of(lowered: str) -> str:
    """A rule slug for one of msgspec's messages."""
    return next((rule for words, rule in _MSGSPEC_RULES if words in lowered), "invalid")


def value_problem(field: str, message: str) -> FieldProblem:
    """msgspec's message about the value of a field as its problem; the path in it (" - at
    `$.kind`") names a field inside (unit.kind), and so does a field it says is missing or
    unknown (unit.colour), as _validation_item reads them."""
    path = MSGSPEC_PATH.search(message)
    if path:
        field, message = field + path.group("path"), message[: path.start()]
    named = _MSGSPEC_FIELD.search(message)
    if named:
        field = f"{field}.{named.group('name')}"
    return FieldProblem(field, _rule_of(message.lower()), message)


def validation_problem(
    request: Request[Any, Any, Any], exc: ValidationException
) -> Response[Problem]:
    detail = str(exc.detail)
    if detail.startswith(_DECODE_ERRORS):
        errors = [FieldProblem(BODY, "malformed_json", detail)]
        return _problem(request, 400, "malformed-json", "Malformed JSON", detail, errors)
    extra = exc.extra if isinstance(exc.extra, list) else []
    wire = _wire_names(request)
    errors = [_validation_item(i, wire) for i in extra if isinstance(i, Mapping)]
    if not errors and _MISSING_PARAMETER.search(detail):  # said in the detail alone
        errors = [_validation_item({"message": detail}, wire)]
    if not errors:
        message = MSGSPEC_PATH.sub("", detail)
        path = MSGSPEC_PATH.search(detail)
        field = path.group("path").lstrip(".") if path and path.group("path") else None
        errors = [FieldProblem(field or BODY, "invalid", message)]
    return _invalid(request, errors)


def fields_problem(request: Request[Any, Any, Any], exc: InvalidFieldsError) -> Response[Problem]:
    return _invalid(request, exc.problems)


def _invalid(request: Request[Any, Any, Any], errors: list[FieldProblem]) -> Response[Problem]:
    """422 naming each field at fault, in the errors and in the detail."""
    summary = "; ".join(f"{e.field or BODY}: {e.message}" for e in errors)
    return _problem(request, 422, "validation", "Invalid request", summary, errors)


def http_problem(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Problem]:
    status = exc.status_code
    detail = str(exc.detail)
    if status == 404 and isinstance(exc.__cause__, ValueError):  # the router's, see below
        malformed = _malformed_path_params(request)
        if malformed:
            summary = "; ".join(f"{e.field}: {e.message}" for e in malformed)
            return _problem(request, 404, "not-found", "Not found", summary, malformed)
    rule = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}.get(status, "http")
    if status == 413:  # Litestar's and the idempotency middleware's, which say no limit
        limit = runtime_of(request).settings.max_body_bytes
        detail = f"the body is over {limit} bytes, the most a request of this API may send"
    if status == 400 and detail.startswith(_DECODE_ERRORS):  # as validation_problem says it
        errors = [FieldProblem(BODY, "malformed_json", detail)]
        return _problem(request, 400, "malformed-json", "Malformed JSON", detail, errors)
    errors = [FieldProblem(BODY if status == 413 else None, rule, detail)]
    return _problem(request, status, "about:blank", _reason(status), detail, errors, exc.headers)


def _malformed_path_params(request: Request[Any, Any, Any]) -> list[FieldProblem]:
    """The path parameters at fault when Litestar's router found a route for the path but
    could not parse a value of it (an id that is not a UUID): it answers 404, caused by the
    parser's ValueError, naming nothing. Such a value names nothing that could exist, so it
    stays a 404, now with the parameter's name."""
    segments = [s for s in request.scope["path"].split("/") if s]
    for route in request.app.routes:
        components = [c for c in route.path_components if c != ""]
        if len(components) != len(segments):
            continue
        malformed = []
        for component, segment in zip(components, segments, strict=True):
            if isinstance(component, str):
                if component.strip("/") != segment:
                    break
            elif component.parser is not None:
                try:
                    component.parser(segment)
                except ValueError:
                    kind = "UUID" if component.type is UUID else component.type.__name__
                    message = f"not a {kind}: {segment!r}"
                    malformed.append(FieldProblem(component.name, "malformed", message))
        else:
            if malformed:
                return malformed
    return []


def depth_problem(request: Request[Any, Any, Any], exc: RecursionError) -> Response[Problem]:
    """JSON nested deeper than msgspec decodes (about 1,000 levels): 400 like any body that
    is not JSON the API reads; any other RecursionError is the server's own fault."""
    if "deserializing" not in str(exc):
        return internal_problem(request, exc)
    detail = "the body is JSON nested too deeply to read"
    errors = [FieldProblem(BODY, "malformed_json", detail)]
    return _problem(request, 400, "malformed-json", "Malformed JSON", detail, errors)


def data_problem(request: Request[Any, Any, Any], exc: asyncpg.DataError) -> Response[Problem]:
    """The database refused a value the validators let through (a NUL in text...)."""
    detail = "a value cannot be stored as given"
    errors = [FieldProblem(None, "invalid_value", detail)]
    return _problem(request, 422, "validation", "Invalid request", detail, errors)


UNAVAILABLE = "the database is out of reach for now: try again in a moment"
"""What a 503 of the database out of reach says (here and where the idempotency middleware
answers it itself)."""


def unavailable_problem(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    """The database out of reach (a restart, a failover, a terminated session): 503, to be
    tried again shortly. A write in doubt is safe to send again with its Idempotency-Key."""
    log.warning("request.database_unavailable", error_type=type(exc).__name__, error=str(exc))
    detail = UNAVAILABLE
    errors = [FieldProblem(None, "database_unavailable", detail)]
    return _problem(
        request, 503, "database-unavailable", "Service unavailable", detail, errors,
        {"Retry-After": "1"},
    )  # fmt: skip


def interface_problem(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    """asyncpg's InterfaceError: the database out of reach when it was raised ending a
    transaction on a connection lost in it (see connection_lost), else a bug."""
    if connection_lost(exc):
        return unavailable_problem(request, exc)
    return internal_problem(request, exc)


def internal_problem(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    log.exception("request.failed", error_type=type(exc).__name__)
    detail = "the server could not complete the request"
    errors = [FieldProblem(None, "internal_error", detail)]
    return _problem(request, 500, "internal-error", "Internal server error", detail, errors)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


Handler = Callable[[Request[Any, Any, Any], Any], Response[Problem]]

EXCEPTION_HANDLERS: dict[type[Exception], Handler] = {
    DomainError: domain_problem,
    TenancyError: tenancy_problem,
    ApiError: api_problem,
    VersionMismatchError: version_problem,
    ConcurrencyError: concurrency_problem,
    TenantErasedError: erased_problem,
    UnreadableLogError: unreadable_problem,
    ValidationException: validation_problem,
    InvalidFieldsError: fields_problem,
    HTTPException: http_problem,
    asyncpg.DataError: data_problem,
    RecursionError: depth_problem,
    asyncpg.InterfaceError: interface_problem,
    **dict.fromkeys(CONNECTION_LOST, unavailable_problem),
    Exception: internal_problem,
}
"""The one set of exception handlers of the app (Litestar picks the closest class)."""

ERROR_STATUSES: dict[int, str] = {
    400: "Malformed request (bad JSON, bad If-Match or Idempotency-Key)",
    401: "No, expired or invalid bearer token or API key",
    403: "Your role in this tenant does not allow it, or it is yours and suspended",
    404: "Not found, or not yours (a tenant you have no grant for answers 404, never 403); an"
    " id in the path that is not a UUID is named in errors[]",
    406: "Accept admits neither this route's media type, nor JSON, nor problem+json",
    409: "Conflicts with the item's state or a concurrent change",
    412: "If-Match names a version the item is no longer at, or only weak entity tags"
    ' (W/"3"), which never match',
    413: "Request body over the size limit",
    415: "A request body not sent as Content-Type: application/json, declared in a charset"
    " other than UTF-8, or sent compressed (Content-Encoding)",
    422: "Invalid input: errors[] names each field and rule",
    429: "Too many failed sign-ins",
    503: "The read model did not reach min_position in time, or the database is out of reach"
    " for now (Retry-After)",
}
"""What each error status means, for the OpenAPI document."""
