"""httpx's in-process transport for the app, typed once."""

from __future__ import annotations

from typing import Any, cast

import httpx
from litestar import Litestar


def asgi_transport(
    app: Litestar,
    *,
    client: tuple[str, int] = ("127.0.0.1", 123),
    raise_app_exceptions: bool = True,
) -> httpx.ASGITransport:
    """httpx's transport calling the app in this process, on this event loop (httpx's own
    defaults). httpx types an ASGI app's scope and messages as plain dicts, Litestar as a
    TypedDict of each kind: the same calls, which mypy cannot match (a dict is invariant)."""
    return httpx.ASGITransport(
        app=cast(Any, app), client=client, raise_app_exceptions=raise_app_exceptions
    )
