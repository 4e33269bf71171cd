"""Request bodies read exactly: a JSON number is the number written, never a float.

Litestar reads a body into Python values first, and only then into its struct: a number with
a point or an exponent became a float on the way, so 99999999999.123456 arrived as
99999999999.12346 and 0.30000000000000001 as 0.3. Here it is a Decimal from its text, and
the domain checks it as written. A body that is not JSON at all, not UTF-8 included, is a
400 naming the body.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec
from litestar import Request
from litestar.types import Empty

from services.api.problems import BODY, MalformedJsonError

_EXACT = msgspec.json.Decoder(float_hook=Decimal)


def read_json(body: bytes) -> Any:
    """The JSON value of a request body (null for none), numbers with a point as Decimal."""
    try:
        return _EXACT.decode(body or b"null")
    except (msgspec.DecodeError, UnicodeDecodeError) as error:
        detail = str(error).removesuffix(" - at `$[...]`")
        raise MalformedJsonError(detail, field=BODY, rule="malformed_json") from None


class ExactRequest(Request[Any, Any, Any]):
    """The app's request: its JSON body read by read_json (once, kept for the handler)."""

    async def json(self) -> Any:
        if self._connection_state.json is Empty:
            self._connection_state.json = read_json(await self.body())
        return self._connection_state.json
