"""A TCP proxy between the app and the real PostgreSQL that can be told to stop answering.

`blackhole()` makes the path forward nothing, closing nothing: every connection open then,
and every one opened while it lasts, is dead for good (what it sends is dropped, nothing
comes back), as through a firewall or NAT that lost its state, or to a server that froze
and was replaced. `resume()` lets new connections through again; the dead stay dead, as
they would. A dead connection the app closes is closed towards the server too (a real
partition would not tell the server; here the test's database must be dropped at the end).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

PORTS = range(8781, 8790)
"""The ports these tests may listen on."""


@dataclass
class Link:
    """One connection through the proxy."""

    dead: bool = False
    closed_by_app: bool = False
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


class BlackholeProxy:
    """Forwards 127.0.0.1:port to the server of `upstream_dsn` until told otherwise."""

    def __init__(self, upstream_dsn: str) -> None:
        parts = urlsplit(upstream_dsn)
        query = dict(parse_qsl(parts.query))
        host = query.get("host") or parts.hostname or "127.0.0.1"
        self.upstream = (host, int(query.get("port") or parts.port or 5432))
        """Where the server listens: a host and port, or (the embedded server's) a socket
        directory and the port its socket is named by."""
        self.links: list[Link] = []
        self.silent = False
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        for port in PORTS:
            with contextlib.suppress(OSError):
                self._server = await asyncio.start_server(self._link, "127.0.0.1", port)
                return
        raise RuntimeError(f"no free port in {PORTS}")

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    def dsn(self, dsn: str) -> str:
        """The same login and database as `dsn`, through this proxy (its host and port,
        in the netloc or the query, are the proxy's)."""
        parts = urlsplit(dsn)
        auth = parts.netloc.rpartition("@")[0]
        netloc = f"{auth}@127.0.0.1:{self.port}" if auth else f"127.0.0.1:{self.port}"
        query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("host", "port")]
        return urlunsplit(parts._replace(netloc=netloc, query=urlencode(query)))

    async def _open_upstream(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        host, port = self.upstream
        if host.startswith("/"):  # a socket directory
            return await asyncio.open_unix_connection(f"{host}/.s.PGSQL.{port}")
        return await asyncio.open_connection(host, port)

    def blackhole(self) -> None:
        """From now on nothing goes through: the open connections die, silently."""
        self.silent = True
        for link in self.links:
            link.dead = True

    def resume(self) -> None:
        """New connections go through again (the dead ones stay dead)."""
        self.silent = False

    def dead_closed_by_app(self) -> int:
        """How many dead connections the app has closed (given up on)."""
        return sum(link.dead and link.closed_by_app for link in self.links)

    def dead_kept_by_app(self) -> int:
        """How many dead connections the app still holds open."""
        return sum(link.dead and not link.closed_by_app for link in self.links)

    async def until_every_dead_one_is_dropped(self, within: float = 30.0) -> None:
        """Return once the app has closed every dead connection (one it was opening when
        the path died gives up when its own timeout ends); AssertionError after `within`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while self.dead_kept_by_app():
            assert loop.time() < deadline, f"{self.dead_kept_by_app()} dead connection(s) kept"
            await asyncio.sleep(0.05)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for link in self.links:
            for task in link.tasks:
                task.cancel()
        await asyncio.gather(
            *(t for link in self.links for t in link.tasks), return_exceptions=True
        )

    async def _link(self, app_in: asyncio.StreamReader, app_out: asyncio.StreamWriter) -> None:
        link = Link(dead=self.silent)
        self.links.append(link)
        try:
            server_in, server_out = await self._open_upstream()
        except OSError:
            app_out.close()
            return
        link.tasks = [
            asyncio.create_task(self._pump(app_in, server_out, link, from_app=True)),
            asyncio.create_task(self._pump(server_in, app_out, link, from_app=False)),
        ]

    async def _pump(
        self,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        link: Link,
        *,
        from_app: bool,
    ) -> None:
        try:
            async for data in _chunks(source):
                if not link.dead:
                    sink.write(data)
                    await sink.drain()
            if from_app:
                link.closed_by_app = True
        except OSError:
            if from_app:
                link.closed_by_app = True
        finally:
            sink.close()


async def _chunks(source: asyncio.StreamReader) -> AsyncIterator[bytes]:
    while data := await source.read(65536):
        yield data
