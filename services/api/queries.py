"""A query parameter an API route does not take is refused, not ignored; so is a body sent
to a command that takes none, and an Accept the route cannot answer (services.api.negotiation).

`?kind=` on the audit trail (its filter is `topic`) or `?item=` (it is `item_id`) would
otherwise answer the whole trail as if filtered: 422 naming the parameter, and the ones the
route takes. The names come from each route's own signature, once, when the app is made.
A body's fields are checked here too, before the handler, each of them (bodies.faults).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

import msgspec
import msgspec.inspect
from litestar import Litestar, Request
from litestar.routes import HTTPRoute

from domain import values
from domain.errors import InvalidValueError
from services.api.bodies import faults
from services.api.dependencies import caught_up
from services.api.negotiation import refuse_unacceptable
from services.api.pagination import MAX_POSITION, NOT_FILTERS, listing
from services.api.problems import (
    BODY,
    BadPreconditionError,
    FieldProblem,
    InvalidFieldsError,
    InvalidQueryError,
    UnsupportedMediaTypeError,
    says_nothing,
)
from services.api.runtime import runtime_of

_STATE_KEY = "okr_query_names"
MIN_POSITION = "min_position"
ANY_TENANT_READ = frozenset({MIN_POSITION})
"""Taken by every read of one tenant: a client may send it with each. Those that do not
declare it read the log, an item's events or the directory themselves, which have every
position written: it is only checked (see _check_min_position). (A read across tenants,
the portfolio, has no position to wait for.)"""


class _Taken(NamedTuple):
    names: frozenset[str]
    declared: frozenset[str]
    body: bool
    """Whether the route takes a body: a command that takes none (activate, close,
    archive...) refuses one, rather than ignore fields its caller meant."""
    numbers: tuple[str, ...] = ()
    """The body's decimal fields (top level): written as a string, each must be one the
    API documents (see domain.values.parse_number), which msgspec's Decimal is not held to."""
    whole: tuple[str, ...] = ()
    """The body's whole-number fields (confidence): a whole number, not text ("5") nor a
    float (5.0), which the lenient decoding of bodies would turn into one."""
    flags: tuple[str, ...] = ()
    """The body's boolean fields (committed): true or false, not "true" nor 1, which the
    lenient decoding of bodies would take for one."""
    if_match: bool = False
    """Whether the route checks If-Match (the writes of one item of the log)."""
    whole_queries: tuple[str, ...] = ()
    """The query parameters that take a whole number (limit): written as one, not "1.0"
    nor "1e0", which the lenient reading of parameters would take for 1."""
    not_text: tuple[str, ...] = ()
    """The query parameters that take no text (an id, a day): "null" is none of their
    values, where the lenient reading of parameters took it for the parameter left out."""
    struct: type[msgspec.Struct] | None = None
    """The struct the body is read into (None: the route takes no body)."""
    days: tuple[str, ...] = ()
    """The query parameters that take a day (today, valid_at): of the years business dates
    are of (1900 to 2199), as the domain says of any (values.business_date)."""
    filters: tuple[tuple[str, Any], ...] = ()
    """A list's filters (its query parameters but pagination.NOT_FILTERS), each with the
    type it reads: a cursor is taken under the filters it was made under alone."""
    kept: tuple[str, ...] = ()
    """A change's (PATCH) body fields that may be left out and always have a value: null
    for one is refused naming it (not_clearable), where it was taken for the field left
    out, unchanged."""


def body_struct(info: msgspec.inspect.Type) -> msgspec.inspect.StructType | None:
    """The struct of a body type: the type itself, or the struct of an optional body (a
    reason for a removal, say); None for anything else."""
    if isinstance(info, msgspec.inspect.UnionType):  # optional: its one type beside None
        others = [t for t in info.types if not isinstance(t, msgspec.inspect.NoneType)]
        return body_struct(others[0]) if len(others) == 1 else None
    return info if isinstance(info, msgspec.inspect.StructType) else None


def _fields_of(annotation: Any, kind: type[msgspec.inspect.Type]) -> tuple[str, ...]:
    """The names (as sent) of a body type's top-level fields that take this kind of value."""
    info = _body_info(annotation)
    return () if info is None else tuple(f.encode_name for f in info.fields if _takes(f.type, kind))


def _not_clearable(annotation: Any) -> tuple[str, ...]:
    """The names (as sent) of a change's top-level fields that may be left out (they stay
    as they are) and take no null. A field the change requires (a cycle's new name, a
    member's role) is not one: its null is of the wrong type, as in a new item's body, and
    leaving it out is refused too."""
    info = _body_info(annotation)
    if info is None:
        return ()
    return tuple(
        f.encode_name
        for f in info.fields
        if not f.required and not _takes(f.type, msgspec.inspect.NoneType)
    )


def _struct_of(annotation: Any) -> type[msgspec.Struct] | None:
    """The struct class of a body type (None for no body)."""
    info = _body_info(annotation)
    return None if info is None else info.cls


def _body_info(annotation: Any) -> msgspec.inspect.StructType | None:
    try:
        return body_struct(msgspec.inspect.type_info(annotation))
    except (TypeError, ValueError):
        return None


def _takes(info: msgspec.inspect.Type, kind: type[msgspec.inspect.Type]) -> bool:
    """Whether a type takes this kind of value (itself, or one of a union; annotated with
    a description, the type it describes)."""
    if isinstance(info, msgspec.inspect.Metadata):
        return _takes(info.type, kind)
    if isinstance(info, msgspec.inspect.UnionType):
        return any(_takes(member, kind) for member in info.types)
    return isinstance(info, kind)


def _queries_taking(
    handler: Any, model: Any, kind: type[msgspec.inspect.Type], takes: bool = True
) -> tuple[str, ...]:
    """The names (as sent) of a route's query parameters that take (or do not take) this
    kind of value."""
    parameters = handler.parsed_fn_signature.parameters
    return tuple(
        p.field_alias
        for p in model.expected_query_params
        if _takes(msgspec.inspect.type_info(parameters[p.field_name].annotation), kind) is takes
    )


def _filters_of(handler: Any, model: Any) -> tuple[tuple[str, Any], ...]:
    """A list's filters, each with its type (none for a route that is no list)."""
    names = {p.field_alias for p in model.expected_query_params}
    if "cursor" not in names:
        return ()
    parameters = handler.parsed_fn_signature.parameters
    return tuple(
        (p.field_alias, parameters[p.field_name].annotation)
        for p in model.expected_query_params
        if p.field_alias not in NOT_FILTERS
    )


def _as_read(text: str | None, annotation: Any) -> str | None:
    """A filter's value as its parameter reads it (an id in upper case is the same id), or
    as given where it reads none (the route refuses it)."""
    if text is None:
        return None
    try:
        return msgspec.json.encode(msgspec.convert(text, annotation, strict=False)).decode()
    except (msgspec.ValidationError, TypeError, ValueError):
        return text


def learn_query_names(app: Litestar, prefix: str) -> None:
    """Keep, per route handler under `prefix`, the query parameters it takes (a tenant's
    reads: min_position too, see ANY_TENANT_READ)."""
    taken: dict[int, _Taken] = {}
    tenant_reads = f"{prefix}/tenants/{{"
    for route in app.routes:
        if isinstance(route, HTTPRoute) and route.path.startswith(prefix):
            for method, (handler, model) in route.route_handler_map.items():
                declared = frozenset(p.field_alias for p in model.expected_query_params)
                names = declared
                if method == "GET" and route.path.startswith(tenant_reads):
                    names |= ANY_TENANT_READ
                data = handler.parsed_fn_signature.parameters.get("data")
                body = None if data is None else data.annotation
                taken[id(handler)] = _Taken(
                    names, declared, data is not None,
                    _fields_of(body, msgspec.inspect.DecimalType),
                    _fields_of(body, msgspec.inspect.IntType),
                    _fields_of(body, msgspec.inspect.BoolType),
                    "if_match" in handler.parsed_fn_signature.parameters,
                    _queries_taking(handler, model, msgspec.inspect.IntType),
                    _queries_taking(handler, model, msgspec.inspect.StrType, takes=False),
                    _struct_of(body),
                    _queries_taking(handler, model, msgspec.inspect.DateType),
                    _filters_of(handler, model),
                    _not_clearable(body) if method == "PATCH" else (),
                )  # fmt: skip
    app.state[_STATE_KEY] = taken


async def refuse_unknown_query(request: Request[Any, Any, Any]) -> None:
    """A before_request hook: 422 for the first query parameter the route does not take
    (not for OPTIONS, a browser's preflight, which takes whatever the request it is for)."""
    taken: _Taken | None = request.app.state[_STATE_KEY].get(id(request.route_handler))
    if taken is None or request.method == "OPTIONS":
        return
    refuse_unacceptable(request)
    given = request.query_params
    filters = {name: _as_read(given.get(name), kind) for name, kind in taken.filters}
    listing(request.url.path, filters)  # the list its cursors are of, and its filters
    twice = sorted(n for n in set(request.query_params) if len(request.query_params.getall(n)) > 1)
    if twice:  # (no parameter of this API is a list: one of them would be dropped unsaid)
        raise InvalidQueryError(
            f"{twice[0]}: given more than once; this API takes each parameter once",
            field=twice[0],
            rule="repeated_parameter",
        )
    unknown = sorted(set(request.query_params) - taken.names)
    if unknown:
        takes = ", ".join(sorted(taken.names)) or "none"
        raise InvalidQueryError(
            f"{unknown[0]}: this route takes no such query parameter (it takes: {takes})",
            field=unknown[0],
            rule="unknown_parameter",
        )
    for name in taken.whole_queries:
        text = request.query_params.get(name)
        if text is not None and not _WHOLE.fullmatch(text):
            raise InvalidQueryError(
                f"{name} is a whole number, written without a point, an exponent or a"
                f" leading zero, not {text!r}",
                field=name, rule="wrong_type",
            )  # fmt: skip
    for name in taken.not_text:
        if request.query_params.get(name) == "null":
            raise InvalidQueryError(
                f"{name}: leave it out to mean none ('null' is not one of its values)",
                field=name, rule="wrong_type",
            )  # fmt: skip
    for name in taken.days:
        _check_day(name, request.query_params.get(name))
    if MIN_POSITION in request.query_params and MIN_POSITION not in taken.declared:
        await _check_min_position(request, request.query_params[MIN_POSITION])
    if request.method in _WRITES and not taken.if_match and "if-match" in request.headers:
        raise BadPreconditionError(
            "this write does not check If-Match, which was ignored, stale or not: send it"
            " only to the writes whose schema has it (an item's own changes)",
            field="If-Match",
            rule="if_match_not_taken",
        )
    if not taken.body and request.method in _WRITES:
        await _no_body(request)
    elif request.method in _WRITES:
        await _body_as_json(request)
        await _fields_as_documented(request, taken)


_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_DIGITS = re.compile(r"[0-9]{1,19}")
_WHOLE = re.compile(r"-?(?:0|[1-9][0-9]*)")
"""A whole number as a query writes it (a range is the parameter's own to check; msgspec
reads no leading zero, and said "Expected `int`, got `str`" of 05)."""
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
"""A day as a query writes it (RFC 3339's full-date, as the parameter reads it)."""


def _check_day(name: str, text: str | None) -> None:
    """422 naming a query's day of a year no business date is of (?today=9999-12-31); one
    that is no day at all is the parameter's own to refuse."""
    if text is None or not _DAY.fullmatch(text):
        return
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return
    values.business_date(day, name)


async def _body_as_json(request: Request[Any, Any, Any]) -> None:
    """415 for a body sent as anything but JSON (`curl -d` sends a form's type): it was read
    as JSON all the same; for JSON declared in a charset other than UTF-8, the one JSON
    between systems is in (RFC 8259, 8.1): it was read as UTF-8 all the same; and for a body
    sent compressed (Content-Encoding: gzip), which was read as JSON as it came and said to
    be malformed at byte 0 (RFC 9110, 15.5.16: 415 for a coding the server does not take)."""
    media_type, *parameters = request.headers.get("content-type", "").split(";")
    media_type = media_type.strip().lower()
    if await request.body() == b"":  # no body: the route says what it lacks
        return
    coding = request.headers.get("content-encoding", "").strip().lower()
    if coding not in ("", "identity"):
        raise UnsupportedMediaTypeError(
            f"the body is read as it is sent: send it without Content-Encoding ({coding[:50]}"
            " given)",
            field="Content-Encoding",
            rule="unsupported_encoding",
        )
    if media_type != "application/json" and not media_type.endswith("+json"):
        said = f"Content-Type {media_type}" if media_type else "no Content-Type"
        raise UnsupportedMediaTypeError(
            f"the body is read as JSON: send it as Content-Type: application/json ({said} given)",
            field="Content-Type",
            rule="unsupported_media_type",
        )
    charset = _charset(parameters)
    if charset is not None and charset.lower() not in _UTF_8:
        raise UnsupportedMediaTypeError(
            f"JSON is read in UTF-8 (RFC 8259): send the body in UTF-8, with no charset or"
            f" charset=utf-8 (charset={charset[:50]} given)",
            field="Content-Type",
            rule="unsupported_charset",
        )


_UTF_8 = ("utf-8", "utf8")
"""UTF-8's name, and the alias many clients send for it (Python's and MySQL's spelling)."""


def _charset(parameters: list[str]) -> str | None:
    """The charset a Content-Type's parameters declare (quotes taken off), None if none."""
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"')
    return None


async def _no_body(request: Request[Any, Any, Any]) -> None:
    """422 for a body sent to a command that takes none (an empty object is nothing)."""
    if not says_nothing(await request.body()):
        raise InvalidQueryError(
            "this request takes no body: its fields would be ignored",
            field=BODY,
            rule="unexpected_body",
        )


async def _check_min_position(request: Request[Any, Any, Any], text: str) -> None:
    """min_position on a tenant's read that does not declare it: a whole number (422
    wrong_type) from 0 (422 out_of_range, as a read that declares it says), within the
    tenant's log (422 beyond_head, as caught_up says)."""
    whole = _DIGITS.fullmatch(text.removeprefix("-"))  # int() takes "+5" and "5_0"
    position = int(text) if whole else None
    if position is None or not 0 <= position <= MAX_POSITION:
        raise InvalidQueryError(
            f"min_position must be a tenant position (0 to {MAX_POSITION}), not {text!r}",
            field=MIN_POSITION,
            rule="wrong_type" if position is None else "out_of_range",
        )
    runtime = runtime_of(request)
    await caught_up(runtime, request.path_params["tenant_id"], position, None, MIN_POSITION)


async def _fields_as_documented(request: Request[Any, Any, Any], taken: _Taken) -> None:
    """422 naming every field of the body at fault (see bodies.faults); a body not JSON is
    said as it is read, one not an object by the body's own decoding."""
    if taken.struct is None:
        return
    body = await request.json()
    if not isinstance(body, dict):
        return
    found = faults(body, taken.struct, lambda name, value: _undocumented(taken, name, value))
    if found:
        raise InvalidFieldsError(found)


def _undocumented(taken: _Taken, name: str, value: Any) -> FieldProblem | None:
    """A decimal field sent as a string the API does not document ("1_000", "+5", ".5",
    other scripts' digits), which msgspec's Decimal would take, a whole number sent as text
    or with a point, a flag sent as anything but true or false; a null that would clear a
    change's field that always has a value."""
    if value is None and name in taken.kept:
        return FieldProblem(
            name, "not_clearable", f"{name} always has a value, which null would clear: send"
            f" its new value, or leave {name} out to keep it as it is",
        )  # fmt: skip
    if name in taken.whole and isinstance(value, str | Decimal):
        return FieldProblem(
            name, "wrong_type", f"{name} is a whole number, written without quotes or a point"
        )
    if name in taken.flags and value is not None and not isinstance(value, bool):
        return FieldProblem(name, "wrong_type", f"{name} is true or false, written without quotes")
    if name in taken.numbers and isinstance(value, str):
        try:
            values.parse_number(value, name)
        except InvalidValueError as error:
            return FieldProblem(name, error.rule, str(error))
    return None
