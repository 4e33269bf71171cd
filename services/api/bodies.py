"""Request bodies read exactly, and every field at fault named.

Litestar reads a body into Python values first, and only then into its struct: a number with
a point or an exponent became a float on the way, so 99999999999.123456 arrived as
99999999999.12346 and 0.30000000000000001 as 0.3. Here it is a Decimal from its text, and
the domain checks it as written. A body that is not JSON at all, not UTF-8 included, is a
400 naming the body.

msgspec, reading a body into its struct, stops at the first field at fault: a client that
sent four learnt of one, fixed it, and learnt of the next. `faults` checks each field of a
body on its own, as msgspec would, and says them all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import msgspec
from litestar import Request
from litestar.types import Empty

from services.api.problems import (
    BODY,
    MSGSPEC_PATH,
    FieldProblem,
    InvalidQueryError,
    MalformedJsonError,
    value_problem,
)

EXACT_JSON = msgspec.json.Decoder(float_hook=Decimal)
"""JSON as written: a number with a point or an exponent is a Decimal of its text."""


def read_json(body: bytes) -> Any:
    """The JSON value of a request body (null for none), numbers with a point as Decimal."""
    if body and not body.strip(_JSON_SPACE):
        raise MalformedJsonError(
            "the body is only white space: it holds no JSON value", field=BODY,
            rule="malformed_json",
        )  # fmt: skip
    try:
        value = EXACT_JSON.decode(body or b"null")
    except UnicodeDecodeError:
        raise MalformedJsonError(_not_utf_8(body), field=BODY, rule="malformed_json") from None
    except msgspec.DecodeError as error:
        detail = str(error).removesuffix(" - at `$[...]`")
        if detail == "Input data was truncated" and (lone := _LONE_SURROGATE.search(body)):
            detail = (
                f"the body's {lone[1].decode()} (from byte {lone.start(1)}) is half of a UTF-16"
                " surrogate pair, without its other half: no character (RFC 8259, 8.2)"
            )
        raise MalformedJsonError(detail, field=BODY, rule="malformed_json") from None
    if isinstance(value, dict | list):  # (a number or a text names nothing)
        json.loads(body, object_pairs_hook=_each_name_once, parse_int=str, parse_float=str)
    return value


def _each_name_once(pairs: list[tuple[str, Any]]) -> None:
    """422 naming a member an object of the body names twice: {"value": 10, "value": 20}
    recorded 20, unsaid (RFC 8259 leaves such a body to its reader; I-JSON, RFC 7493 2.3,
    names each member once)."""
    seen: set[str] = set()
    for name, _ in pairs:
        if name in seen:
            raise InvalidQueryError(
                f"{name} is given twice in one object of the body: give it once",
                field=name, rule="duplicate_name",
            )  # fmt: skip
        seen.add(name)


_JSON_SPACE = b" \t\r\n"
"""JSON's white space (RFC 8259, 2): a body of it alone, msgspec says "Input data was
truncated"."""
_LONE_SURROGATE = re.compile(rb"(?<!\\)(?:\\\\)*(\\u[dD][89abAB][0-9a-fA-F]{2})(?!\\u[dD][c-fC-F])")
"""A high surrogate escaped with no low one after it ("\\ud800" alone), which msgspec reports
as "Input data was truncated"; not one after an escaped backslash ("\\\\ud800" is text)."""


def _not_utf_8(body: bytes) -> str:
    """What is wrong with a body that is not UTF-8: where (msgspec says where in the string
    only)."""
    try:
        body.decode()
    except UnicodeDecodeError as error:
        at = f", from byte {error.start} (0x{body[error.start]:02x})"
    else:  # (msgspec found what Python does not: say it without a place)
        at = ""
    return f"the body is not UTF-8 (RFC 8259: JSON is sent in UTF-8){at}"


class ExactRequest(Request[Any, Any, Any]):
    """The app's request: its JSON body read by read_json (once, kept for the handler)."""

    async def json(self) -> Any:
        if self._connection_state.json is Empty:
            self._connection_state.json = read_json(await self.body())
        return self._connection_state.json


def faults(
    body: dict[str, Any],
    struct: type[msgspec.Struct],
    as_documented: Callable[[str, Any], FieldProblem | None],
) -> list[FieldProblem]:
    """Every field of a body at fault, in the struct's order, then those it does not take: a
    field missing, one whose value `as_documented` refuses (a check msgspec's lenient
    reading lacks), or one whose value its type does not take."""
    fields = {f.encode_name: f for f in msgspec.structs.fields(struct)}
    found = []
    for name, field in fields.items():
        if name not in body:
            if field.required:
                found.append(
                    FieldProblem(name, "required", f"Object missing required field `{name}`")
                )
        elif fault := as_documented(name, body[name]) or _of_type(name, body[name], field.type):
            found.append(fault)
    unknown = [name for name in body if name not in fields]
    return found + [
        FieldProblem(name, "unknown_field", f"Object contains unknown field `{name}`")
        for name in unknown
    ]


def _of_type(name: str, value: Any, annotation: Any) -> FieldProblem | None:
    """The problem of a value its field's type does not take, as msgspec says it."""
    try:
        msgspec.convert(value, annotation, strict=False)
    except msgspec.ValidationError as error:
        return value_problem(name, _with_choices(str(error), annotation))
    return None


def _with_choices(message: str, annotation: Any) -> str:
    """msgspec's "Invalid enum value 'euro'" with the values the field takes ("...: one of
    'count', 'percent', ..."), as the OpenAPI lists them: an integrator read none."""
    if not message.startswith("Invalid enum value"):
        return message
    at = MSGSPEC_PATH.search(message)
    path = _STEP.findall(at.group("path")) if at else []
    choices = _choices(msgspec.inspect.type_info(annotation), path)
    if not choices:
        return message
    head, tail = (message[: at.start()], message[at.start() :]) if at else (message, "")
    return f"{head}: one of {', '.join(repr(c) for c in choices)}{tail}"


_STEP = re.compile(r"\.(\w+)|\[\d+\]")
"""A step of msgspec's path into a value (`$.unit.kind`, `$[2].kind`): a field's name, or
"" for an item of an array."""


def _choices(info: msgspec.inspect.Type, path: list[str]) -> list[Any]:
    """The values of the enum or literal at `path` inside a type (none there: [])."""
    if isinstance(info, msgspec.inspect.UnionType):
        return next((found for t in info.types if (found := _choices(t, path))), [])
    if not path:
        if isinstance(info, msgspec.inspect.EnumType):
            return [member.value for member in info.cls]
        return list(info.values) if isinstance(info, msgspec.inspect.LiteralType) else []
    step, rest = path[0], path[1:]
    if isinstance(info, msgspec.inspect.StructType):
        field = next((f for f in info.fields if f.encode_name == step), None)
        return [] if field is None else _choices(field.type, rest)
    if isinstance(info, msgspec.inspect.ListType | msgspec.inspect.SetType) and not step:
        return _choices(info.item_type, rest)
    return []
