"""The API's Response: Litestar's, its JSON written by the product's one encoder."""

from __future__ import annotations

import re
from typing import Any, TypeVar

import msgspec
from litestar import Response as LitestarResponse
from litestar.exceptions import ImproperlyConfiguredException
from litestar.serialization import default_serializer
from litestar.types import Serializer

from projections.codec import json_bytes

T = TypeVar("T")
_JSON = re.compile(r"^application/(?:.+\+)?json")
"""The media types Litestar writes as JSON (application/json, problem+json...)."""


class Response(LitestarResponse[T]):
    """A Response whose JSON writes Decimals without exponent (projections.codec.json_bytes):
    the app's response_class, and the one the API's handlers make themselves."""

    def render(
        self, content: Any, media_type: str, enc_hook: Serializer = default_serializer
    ) -> bytes:
        if isinstance(content, bytes | str) or not _JSON.match(media_type):
            return super().render(content, media_type, enc_hook)
        try:
            return json_bytes(content, enc_hook)
        except (TypeError, ValueError, msgspec.EncodeError) as error:  # as Litestar says it
            raise ImproperlyConfiguredException("Unable to serialize response content") from error
