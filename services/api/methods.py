"""HEAD wherever GET, and OPTIONS as the route table says (RFC 9110 9.3.2, 9.3.7).

Litestar routes HEAD only to handlers declared for it, so every GET of the API and the
portal answered HEAD with 405. Here, before routing, a HEAD is run as the GET it asks
about (a GET changes nothing, so neither does its HEAD), its headers passed on as they are
(ETag, Content-Type, Content-Length) and its body dropped: it costs what the GET costs (a
streamed export runs to its end: told the client was gone, it rolled back its open
transaction mid-read, which the pool logs as an error). An Allow that lists GET lists HEAD
too.

Litestar's own OPTIONS handler of a path listed the methods of the first handlers
registered on it (`OPTIONS, POST` for a list that answers GET too) and ran their
controller's guards, with no principal (OPTIONS takes no bearer): 401 "authentication
required" to a request that sent its token. An OPTIONS is routed here as a method no route
has, and the 405 the router answers, whose Allow is the path's methods, becomes the 204.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, cast

from litestar.types import ASGIApp

ASKED_METHOD = "okr.method"
"""Scope key: the method the client sent, where it is run as another (the access log)."""
_NO_SUCH_METHOD = "OKR-ALLOW"
"""A method no route answers: its request is refused 405 with the path's Allow."""
Message = dict[str, Any]
"""An ASGI message, as this module reads and writes them (Litestar's TypedDicts are a
union of every kind of message)."""
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def answering_head_and_options(app: ASGIApp) -> ASGIApp:
    """`app`, answering HEAD wherever it answers GET, and OPTIONS with each path's methods."""

    async def handle(scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)  # type: ignore[arg-type]
        elif scope["method"] == "HEAD":
            await _run_as("GET", app, scope, receive, _headers_only(send))
        elif scope["method"] == "OPTIONS":
            await _run_as(_NO_SUCH_METHOD, app, scope, receive, _allowed(send))
        else:
            await app(scope, receive, _head_allowed(send))  # type: ignore[arg-type]

    return cast(ASGIApp, handle)


async def _run_as(
    method: str, app: ASGIApp, scope: dict[str, Any], receive: Receive, send: Send
) -> None:
    # in place: the app's before_send hooks were given this scope (the access log)
    scope[ASKED_METHOD] = scope["method"]
    scope["method"] = method
    await app(scope, receive, send)  # type: ignore[arg-type]


def _headers_only(send: Send) -> Send:
    """The GET's start, then an empty body for all of its body."""
    ended = False

    async def sending(message: Message) -> None:
        nonlocal ended
        if message["type"] == "http.response.start":
            await send(_with_head(message))
        elif message["type"] != "http.response.body":
            await send(message)
        elif not ended:
            ended = True
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    return sending


def _allowed(send: Send) -> Send:
    """The router's 405 as 204 with its Allow (and the hooks' headers), without its
    problem or page (nor the cookie a page sets); any other answer (a path that is not
    there: 404) as it is."""
    allowing = False

    async def sending(message: Message) -> None:
        nonlocal allowing
        if message["type"] == "http.response.start" and message["status"] == 405:
            allowing = True
            dropped = (b"content-type", b"content-length", b"set-cookie")  # the 405's page
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in dropped]
            await send(_with_head({**message, "status": 204, "headers": headers}))
        elif not allowing or message["type"] != "http.response.body":
            await send(message)
        elif not message.get("more_body", False):
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    return sending


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
