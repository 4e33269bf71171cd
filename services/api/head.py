"""HEAD wherever GET (RFC 9110 9.3.2): the GET's status and headers, no body.

Litestar routes HEAD only to handlers declared for it, so every GET of the API and the
portal answered HEAD with 405. Here, before routing, a HEAD is run as the GET it asks
about (a GET changes nothing, so neither does its HEAD), its headers passed on as they are
(ETag, Content-Type, Content-Length) and its body dropped: it costs what the GET costs (a
streamed export runs to its end: told the client was gone, it rolled back its open
transaction mid-read, which the pool logs as an error). An Allow that lists GET lists HEAD
too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, cast

from litestar.types import ASGIApp

HEAD_OF_GET = "okr.head"
"""Scope key: this GET is a HEAD's (the access log says HEAD)."""
Message = dict[str, Any]
"""An ASGI message, as this module reads and writes them (Litestar's TypedDicts are a
union of every kind of message)."""
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def answering_head(app: ASGIApp) -> ASGIApp:
    """`app`, answering HEAD wherever it answers GET."""

    async def handle(scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)  # type: ignore[arg-type]
        elif scope["method"] == "HEAD":
            await _as_get(app, scope, receive, send)
        else:
            await app(scope, receive, _head_allowed(send))  # type: ignore[arg-type]

    return cast(ASGIApp, handle)


async def _as_get(app: ASGIApp, scope: dict[str, Any], receive: Receive, send: Send) -> None:
    started = ended = False

    async def headers_only(message: Message) -> None:
        nonlocal started, ended
        if message["type"] == "http.response.start":
            started = True
            await send(_with_head(message))
        elif message["type"] == "http.response.body":
            if not ended:
                ended = True
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        else:
            await send(message)

    # in place: the app's before_send hooks were given this scope (the access log)
    scope["method"] = "GET"
    scope[HEAD_OF_GET] = True
    await app(scope, receive, headers_only)  # type: ignore[arg-type]


def _head_allowed(send: Send) -> Send:
    async def sending(message: Message) -> None:
        await send(_with_head(message) if message["type"] == "http.response.start" else message)

    return sending


def _with_head(message: Message) -> Message:
    """A start whose Allow lists GET lists HEAD after it."""
    headers = message.get("headers") or []
    if not any(name.lower() == b"allow" for name, _ in headers):
        return message
    message["headers"] = [
        (name, _allow_head(value) if name.lower() == b"allow" else value) for name, value in headers
    ]
    return message


def _allow_head(allow: bytes) -> bytes:
    methods = [m.strip() for m in allow.split(b",")]
    if b"GET" not in methods or b"HEAD" in methods:
        return allow
    methods.insert(methods.index(b"GET") + 1, b"HEAD")
    return b", ".join(methods)
