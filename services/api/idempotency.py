"""Idempotency-Key on writes: a retry gets the first response back and records nothing new.

The key belongs to one principal in one tenant (or, outside tenants, to the principal): the
first request claims it with the hash of its method, path (as its route read it: an id in
any case is one id) and body; a retry with the same request replays the stored status,
headers and body; the same key with another request is 422; a retry while the first is
still running is 409: while it runs, its request holds the key's lock (KeyStore.owning),
which goes with its process, so a retry after a crash finds it free and runs at once, its
claim taken over. Only successful (2xx) answers are kept: a failed write recorded
nothing, so trying it again is safe. An answer that holds a secret (Cache-Control:
no-store: a new API key) is kept without it: a retry is told the write was done (409),
never given the secret again. Keys expire after ``idempotency_ttl_hours``.

This middleware also enforces the body size limit on writes (413) while it reads the body.
The portal's forms are kept the same way (services.portal.submissions): KeyStore (its
claimed: the claim and the lock) and run_and_keep serve both, each with its Keeping (what
it keeps of an answer, how it refuses).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol, cast
from uuid import UUID

import asyncpg
import msgspec
import structlog
from litestar.datastructures import Headers
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.middleware import ASGIMiddleware
from litestar.types import (
    ASGIApp,
    HTTPDisconnectEvent,
    HTTPRequestEvent,
    HTTPResponseStartEvent,
    HTTPScope,
    Message,
    Receive,
    ReceiveMessage,
    Scope,
    Send,
)

from services.api.bodies import EXACT_JSON
from services.api.problems import (
    PROBLEM_JSON,
    UNAVAILABLE,
    FieldProblem,
    IdempotencyInProgressError,
    IdempotencyKeyReusedError,
    InvalidHeaderError,
    Problem,
    says_nothing,
    send_problem,
)
from services.api.runtime import runtime_of
from services.db import CONNECTION_LOST, admit_sql, connection_lost, tenant_transaction
from services.session_locks import SessionLocks, lock_id
from services.store.event_store import EventStore
from services.store.repository import JOINED, Joined
from tenants.principal import Principal

log = structlog.get_logger("okr.idempotency")

HEADER = "idempotency-key"
MAX_KEY = 255
REPLAYED = "idempotent-replayed"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
KEPT_HEADERS = frozenset({"content-type", "etag", "location", "x-okr-position"})
"""What a replay gives back of the first answer's headers (names in lower case)."""
ABANDONED_AFTER = timedelta(minutes=2)
"""A claim still unanswered after this long is taken over whatever its lock says (a claim
of a process that held no lock: one of before the locks, or whose lock's connection was
lost). A claim whose lock is free is taken over at once: its request died."""
RELEASE_AGAIN = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0)
"""Seconds before each new try to release the claim of a failed request while the database
is out of reach (about ABANDONED_AFTER in all: by then a retry takes the claim over)."""


class BodyTooLargeError(HTTPException):
    status_code = 413


@dataclass(frozen=True)
class Stored:
    """A claimed key as found: the request hash and, once answered, the response."""

    request_hash: bytes
    status: int | None
    headers: list[tuple[str, str]]
    body: bytes
    abandoned: bool


@dataclass(frozen=True)
class Claimed:
    """A key claimed for this request, at an instant that tells this claim from a later
    one of the same key (a take-over): only this claim answers or releases it."""

    at: datetime


@dataclass(frozen=True)
class KeyStore:
    """The idempotency rows of one principal in one tenant (or on the platform).

    Every statement binds $1 actor, $2 key (and $3 tenant); its own values come after.
    """

    pool: asyncpg.Pool
    tenant_id: UUID | None
    actor: str
    ttl: timedelta
    locks: SessionLocks | None = None
    """Where a request holds its key's lock while it runs (see owning); None: none is held,
    and an unanswered claim is taken for abandoned after ABANDONED_AFTER only."""

    @asynccontextmanager
    async def _conn(self) -> AsyncIterator[asyncpg.Connection]:
        if self.tenant_id is None:
            async with self.pool.acquire() as conn, conn.transaction():
                yield conn
        else:
            async with tenant_transaction(self.pool, [self.tenant_id]) as conn:
                yield conn

    @property
    def _table(self) -> str:
        return "platform_idempotency_keys" if self.tenant_id is None else "idempotency_keys"

    def _keyed(self, key: str) -> tuple[str, list[Any]]:
        """The WHERE clause of this key and its arguments."""
        if self.tenant_id is None:
            return "actor = $1 AND key = $2", [self.actor, key]
        return "actor = $1 AND key = $2 AND tenant_id = $3", [self.actor, key, self.tenant_id]

    @asynccontextmanager
    async def owning(self, key: str) -> AsyncIterator[bool | None]:
        """For the block, the key's lock, held by the request that claimed the key while
        it runs, and let go when it ends or its process dies (services.session_locks):
        True if this request holds it, False if another request, still running, does;
        None without `locks`. Taken before the key is claimed (see claimed): a claim found
        unanswered by a request that holds its lock is one whose request died (take_over
        with `owned`)."""
        if self.locks is None:
            yield None
            return
        lock = lock_id(self._table, str(self.tenant_id), self.actor, key)
        held = await self.locks.try_hold(lock)
        try:
            yield held
        finally:
            if held:
                await self.locks.let_go(lock)

    async def claim(self, key: str, request_hash: bytes) -> Claimed | Stored:
        """Claim the key for this request, or what an earlier request left."""
        where, args = self._keyed(key)
        n = len(args)
        columns = "actor, key" + ("" if self.tenant_id is None else ", tenant_id")
        values = ", ".join(f"${i}" for i in range(1, n + 1))
        async with self._conn() as conn:
            await conn.execute(
                f"DELETE FROM {self._table} WHERE {where}"
                f" AND created_at < now() - ${n + 1}::interval",
                *args, self.ttl,
            )  # fmt: skip
            claimed = await conn.fetchval(
                f"INSERT INTO {self._table} ({columns}, request_hash)"
                f" VALUES ({values}, ${n + 1}) ON CONFLICT DO NOTHING RETURNING created_at",
                *args, request_hash,
            )  # fmt: skip
            if claimed is not None:
                return Claimed(claimed)
            found = await self._stored(conn, key)
        if found is None:  # purged between the two statements: claim again
            return await self.claim(key, request_hash)
        return found

    async def look(self, key: str) -> Stored | None:
        """What a request with the key left, claiming nothing (None: no row yet)."""
        async with self._conn() as conn:
            return await self._stored(conn, key)

    async def _stored(self, conn: asyncpg.Connection, key: str) -> Stored | None:
        where, args = self._keyed(key)
        row = await conn.fetchrow(
            f"SELECT request_hash, status, headers, body,"
            f" created_at < now() - ${len(args) + 1}::interval AS old"
            f" FROM {self._table} WHERE {where}",
            *args, ABANDONED_AFTER,
        )  # fmt: skip
        if row is None:
            return None
        headers = msgspec.json.decode(row["headers"]) if row["headers"] else []
        return Stored(
            request_hash=bytes(row["request_hash"]),
            status=row["status"],
            headers=[(str(h[0]), str(h[1])) for h in headers],
            body=bytes(row["body"] or b""),
            abandoned=bool(row["old"]) and row["status"] is None,
        )

    async def take_over(
        self, key: str, request_hash: bytes, owned: bool | None = None
    ) -> Claimed | None:
        """Claim anew for this request a key whose claim was abandoned (unanswered for
        ABANDONED_AFTER, or at once while `owned`: its request died); None if another
        request took it over first (or its first request answered meanwhile)."""
        where, args = self._keyed(key)
        n = len(args)
        older = timedelta(0) if owned else ABANDONED_AFTER
        async with self._conn() as conn:
            at = await conn.fetchval(
                f"UPDATE {self._table} SET request_hash = ${n + 1}, created_at = now()"
                f" WHERE {where} AND status IS NULL AND created_at <= now() - ${n + 2}::interval"
                " RETURNING created_at",
                *args, request_hash, older,
            )  # fmt: skip
        return None if at is None else Claimed(at)

    @asynccontextmanager
    async def claimed(
        self,
        key: str,
        request_hash: bytes,
        *,
        same: Callable[[bytes], bool] | None = None,
        wait: float = 0.0,
    ) -> AsyncIterator[Claimed | Stored | None]:
        """For the block, the claim this request runs under, its key's lock held (Claimed);
        or what an earlier request left: its answer, or the hash of another request
        (Stored); or None: the first request with the key still runs, waited for up to
        `wait` seconds in case it answers. `same`: whether a stored hash is this request's
        (by default, the one given).

        The key's lock is taken first, then the claim made: a request with the key that
        still runs holds the lock, so an unanswered claim found by one that holds it is of a
        request that died, taken over at once (see owning); one found while another holds the
        lock is read, never claimed, and waited for; after ABANDONED_AFTER it is taken over
        whatever its lock says. (Claimed first, then locked, a retry sent at once took the
        free lock between the two and the claim with it, and the first was told 409: the
        portal's double click landed on a refusal.) The API and the portal's forms alike:
        the portal waited IN_FLIGHT_WAIT before it took over a claim whose request was known
        dead."""
        deadline = time.monotonic() + wait
        while True:
            async with self.owning(key) as owned:
                if owned is False:
                    found: Claimed | Stored | None = await self.look(key)
                else:
                    found = await self.claim(key, request_hash)
                if isinstance(found, Claimed):
                    yield found
                    return
                if found is not None:
                    mine = (same or request_hash.__eq__)(found.request_hash)
                    if not mine or found.status is not None:  # another's, or answered
                        yield found
                        return
                    taken = None
                    if found.abandoned or owned:
                        taken = await self.take_over(key, request_hash, owned)
                    if taken is not None:
                        yield taken
                        return
                if time.monotonic() >= deadline:
                    yield None
                    return
            await asyncio.sleep(0.1)

    def joined(self) -> Joined:
        """A transaction that the request's appends join (JOINED): the write's events and
        its answer commit together, or neither does (a rollback, a crash)."""
        return Joined(self.pool, "" if self.tenant_id is None else admit_sql([self.tenant_id]))

    async def answer(
        self,
        key: str,
        claim: Claimed,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes,
        conn: asyncpg.Connection,
    ) -> bool:
        """Keep the first response, in the write's transaction (`conn`); False if the claim
        was taken over meanwhile (this request ran so long it was taken for dead)."""
        where, args = self._keyed(key)
        n = len(args)
        kept = await conn.fetchval(
            f"UPDATE {self._table} SET status = ${n + 1}, headers = ${n + 2}::jsonb,"
            f" body = ${n + 3} WHERE {where} AND created_at = ${n + 4} AND status IS NULL"
            " RETURNING true",
            *args, status, msgspec.json.encode(headers).decode(), body, claim.at,
        )  # fmt: skip
        return bool(kept)

    async def release(self, key: str, claim: Claimed) -> None:
        """Forget this claim of a request that failed: a retry may run again."""
        where, args = self._keyed(key)
        async with self._conn() as conn:
            await conn.execute(
                f"DELETE FROM {self._table} WHERE {where} AND created_at = ${len(args) + 1}"
                " AND status IS NULL",
                *args, claim.at,
            )  # fmt: skip


def request_hash(method: str, path: str, query: bytes, body: bytes, *, raw: bool = False) -> bytes:
    """What makes two requests the same request (a body that says nothing is no body: a
    removal retried with `{}` is the same removal; a JSON body is its content, whatever the
    order of its keys or its spaces: a client may write it anew for a retry). `raw`: the
    body's bytes as they came, as keys claimed before the content was compared were."""
    if says_nothing(body):
        body = b""
    elif not raw:
        body = _canonical(body)
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query, body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.digest()


def routed_path(scope: HTTPScope) -> str:
    """The path as its route understood it, each parameter as parsed: an id in canonical
    lower case ("/key-results/ABCD…" and "/key-results/abcd…" are one path), as it came
    where no route took it apart."""
    params = scope.get("path_params") or {}
    template = scope.get("path_template")
    if not template or not params:
        return scope["path"]
    return _PARAMETER.sub(lambda found: str(params.get(found[1], found[0])), template)


_PARAMETER = re.compile(r"\{(\w+)\}")
"""A parameter of a route's path template ("/tenants/{tenant_id}")."""


def _as_sent(scope: HTTPScope, body: bytes) -> Iterator[bytes]:
    """The hashes of the request as it came, as keys claimed before bodies were compared by
    content (its path and bytes as they came) or paths as routed (its path as it came)."""
    method, path, query = scope["method"], scope["path"], scope.get("query_string", b"")
    yield request_hash(method, path, query, body, raw=True)
    if path != routed_path(scope):
        yield request_hash(method, path, query, body)


def _canonical(body: bytes) -> bytes:
    """A JSON body with its keys sorted and no spaces, numbers as written (19.2 and 19.20
    stay two bodies); anything else as it came. (A review measured about 65 ms for a
    megabyte of numbers, once per keyed write.)"""
    try:
        return _SORTED.encode(EXACT_JSON.decode(body))
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return body


_SORTED = msgspec.json.Encoder(order="sorted", decimal_format="number")
"""Numbers stay numbers, as written (19.20 is not 19.2), and strings strings ("20.5" is not
20.5)."""


class ClientGoneError(Exception):
    """The client went away before its request's body was whole."""


async def read_body(receive: Receive, limit: int) -> bytes:
    """The whole request body, 413 past ``limit`` bytes; ClientGoneError if the client
    disconnects before its end (what came is not the body it sent)."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGoneError
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError(detail="Request Entity Too Large")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replaying(body: bytes) -> Receive:
    """A receive() that hands the already-read body to the app."""
    sent = False

    async def receive() -> ReceiveMessage:
        nonlocal sent
        if sent:
            return HTTPDisconnectEvent(type="http.disconnect")
        sent = True
        return HTTPRequestEvent(type="http.request", body=body, more_body=False)

    return receive


class IdempotencyMiddleware(ASGIMiddleware):
    """Replay the first answer to a write retried with the same Idempotency-Key."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        scope = cast("HTTPScope", scope)
        headers = Headers.from_scope(scope)
        key = headers.get(HEADER)
        principal = scope.get("user")
        if scope["method"] not in WRITES or key is None or not isinstance(principal, Principal):
            await next_app(scope, receive, send)
            return
        runtime = runtime_of(scope)
        if not 1 <= len(key) <= MAX_KEY:
            raise InvalidHeaderError(
                f"Idempotency-Key must be 1 to {MAX_KEY} characters", field="Idempotency-Key",
                rule="invalid_key",
            )  # fmt: skip
        tenant_id = cast("UUID | None", scope.get("path_params", {}).get("tenant_id"))
        if _outlives_its_tenant(scope):
            tenant_id = None  # kept with the principal's platform keys
        elif tenant_id is not None and principal.role_in(tenant_id) is None:
            await next_app(scope, receive, send)  # the guard answers 404: claim nothing
            return
        try:
            body = await read_body(receive, runtime.settings.max_body_bytes)
        except ClientGoneError:  # gone mid-upload: a part of a body claims and runs nothing
            return  # (its retry, whole, is the request; a claim would refuse it 422)
        digest = request_hash(
            scope["method"], routed_path(scope), scope.get("query_string", b""), body
        )
        store = KeyStore(
            runtime.pool, tenant_id, principal.actor,
            timedelta(hours=runtime.settings.idempotency_ttl_hours), runtime.system.key_locks,
        )  # fmt: skip

        def same(stored: bytes) -> bool:
            return stored == digest or stored in _as_sent(scope, body)

        async with store.claimed(key, digest, same=same) as found:
            if isinstance(found, Stored) and not same(found.request_hash):
                raise IdempotencyKeyReusedError(
                    "this Idempotency-Key was used for another request",
                    field="Idempotency-Key", rule="key_reused",
                )  # fmt: skip
            if isinstance(found, Stored):
                await replay(found, send)
                return
            if found is None:
                raise IdempotencyInProgressError(
                    "the first request with this Idempotency-Key is still running",
                    field="Idempotency-Key", rule="in_progress", headers={"Retry-After": "1"},
                )  # fmt: skip
            await run_and_keep(
                store, key, found, scope, replaying(body), send, next_app,
                runtime.system.store, ApiKeeping(),
            )  # fmt: skip


PLATFORM = "platform"
"""A route's `opt["idempotency"]` when its keys are kept on the platform, not in its tenant:
erasing a tenant erases its keys, so a retry would find no first answer and be told 404."""


IF_LOST = "if_lost"
"""A route's `opt[IF_LOST]`: what a retry of it with its Idempotency-Key is told to do if
the first answer, holding a secret shown once, was lost (see _shown_once)."""


def _outlives_its_tenant(scope: Scope) -> bool:
    handler = scope.get("route_handler")
    return handler is not None and handler.opt.get("idempotency") == PLATFORM


class Keeping(Protocol):
    """What a kind of keyed request keeps of its answer, and how it is told what
    `run_and_keep` refuses itself (the API: problem+json; the portal: its pages)."""

    def kept(
        self, scope: Scope, start: HTTPResponseStartEvent, messages: list[Message]
    ) -> tuple[int, list[tuple[str, str]], bytes] | None:
        """What a retry gets of this answer: its status, headers and body; None if it is no
        success (what it appended rolls back, and the key is released)."""
        ...

    async def refuse(
        self, scope: Scope, send: Send, why: Literal["taken_over", "unavailable"]
    ) -> None:
        """Answer that a retry took the claim over (it runs there), or that the database
        was out of reach (nothing was recorded: the client may try again)."""
        ...


class ApiKeeping:
    """The API keeps a 2xx answer (without a secret it held) and refuses in problem+json."""

    def kept(
        self, scope: Scope, start: HTTPResponseStartEvent, messages: list[Message]
    ) -> tuple[int, list[tuple[str, str]], bytes] | None:
        return _kept(scope, start, messages) if 200 <= start["status"] < 300 else None

    async def refuse(
        self, scope: Scope, send: Send, why: Literal["taken_over", "unavailable"]
    ) -> None:
        if why == "taken_over":
            await send_problem(scope, send, Problem(
                type="/problems/idempotency-in-progress", title="Request still in progress",
                status=409, instance=scope["path"],
                detail="a retry with this Idempotency-Key took this request over: it runs there",
                errors=[FieldProblem("Idempotency-Key", "in_progress", "taken over by a retry")],
            ))  # fmt: skip
        else:
            await send_problem(scope, send, Problem(
                type="/problems/database-unavailable", title="Service unavailable", status=503,
                detail=UNAVAILABLE, instance=scope["path"],
                errors=[FieldProblem(None, "database_unavailable", UNAVAILABLE)],
            ))  # fmt: skip


async def run_and_keep(
    store: KeyStore,
    key: str,
    claim: Claimed,
    scope: Scope,
    receive: Receive,
    send: Send,
    next_app: ASGIApp,
    events: EventStore,
    keeping: Keeping,
) -> None:
    """Run the write in a transaction its appends join, and keep a success in it before
    the client sees it (a retry arriving right after the answer finds it): its events and
    its answer are committed together. Anything else rolls back what it appended, and
    forgets the claim: a retry runs it again. Once committed, the projectors are told and
    what waited for the commit (Joined.afterwards) runs, before the answer is sent."""
    messages: list[Message] = []

    async def hold(message: Message) -> None:
        messages.append(message)

    joined = store.joined()
    token = JOINED.set(joined)
    try:
        await next_app(scope, receive, hold)
        start = cast("HTTPResponseStartEvent", _first(messages, "http.response.start"))
        answer = keeping.kept(scope, start, messages)
        if answer is None:
            raise _Refused
        if not await store.answer(key, claim, *answer, await joined.connection()):
            raise _TakenOver
        await joined.end(commit=True)
    except _Refused:
        await joined.end(commit=False)
        await _release(store, key, claim)
    except _TakenOver:  # the retry that took it over writes it: this one's events roll back
        await joined.end(commit=False)
        await keeping.refuse(scope, send, "taken_over")
        return
    except CONNECTION_LOST:  # nothing committed, nothing sent yet: the client may retry
        await joined.end(commit=False)
        await _release(store, key, claim)
        await keeping.refuse(scope, send, "unavailable")
        return
    except BaseException:
        await joined.end(commit=False)
        await _release(store, key, claim)
        raise
    finally:
        JOINED.reset(token)
    for tenant_id, position in joined.heads.items():
        events.appended(tenant_id, position)
    for wait in joined.afterwards:  # (best effort: what it waits for is committed)
        with suppress(*CONNECTION_LOST):
            await wait()
    for message in messages:
        await send(message)


_releasing: set[asyncio.Task[None]] = set()
"""Releases tried again in the background (kept here: the loop holds its tasks weakly)."""


async def _release(store: KeyStore, key: str, claim: Claimed) -> None:
    """Forget the claim of a request that recorded nothing, so that its retry runs. While
    the database is out of reach, again in the background, shortly and then less often
    (RELEASE_AGAIN): left claimed, every retry of a request told 503 "try again in a
    moment" was told 409 "still running" instead, for ABANDONED_AFTER."""
    if not await _released(store, key, claim):
        task = asyncio.create_task(_release_again(store, key, claim))
        _releasing.add(task)
        task.add_done_callback(_releasing.discard)


async def _release_again(store: KeyStore, key: str, claim: Claimed) -> None:
    """Retry the release while the database is out of reach; an error of another kind
    ends the retries, logged (no one awaits this task to hear of it)."""
    try:
        for delay in RELEASE_AGAIN:
            await asyncio.sleep(delay)
            if await _released(store, key, claim):
                return
    except Exception as error:
        log.error("idempotency.release_failed", key=key, error=repr(error))


async def _released(store: KeyStore, key: str, claim: Claimed) -> bool:
    """Release the claim; False if the database was out of reach."""
    try:
        await store.release(key, claim)
    except Exception as error:
        if not connection_lost(error):
            raise
        return False
    return True


class _Refused(Exception):
    """The write answered no success: what it appended is rolled back."""


class _TakenOver(Exception):
    """The claim was taken over by a retry while this request ran."""


def _first(messages: list[Message], kind: str) -> Message:
    return next(m for m in messages if m["type"] == kind)


def _kept(
    scope: Scope, start: HTTPResponseStartEvent, messages: list[Message]
) -> tuple[int, list[tuple[str, str]], bytes]:
    """What a retry gets of a success: its status, the headers it keeps, its body."""
    headers = [
        (name.decode("latin-1").lower(), value.decode("latin-1"))
        for name, value in start.get("headers", [])
    ]
    kept = [(name, value) for name, value in headers if name in KEPT_HEADERS]
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    if any(name == "cache-control" and "no-store" in value for name, value in headers):
        return _shown_once(scope, kept)
    return start["status"], kept, body


def _shown_once(
    scope: Scope, kept: list[tuple[str, str]]
) -> tuple[int, list[tuple[str, str]], bytes]:
    """What a retry gets of an answer that holds a secret (Cache-Control: no-store, as a new
    API key's plaintext): never the secret, which is not kept anywhere, but a 409 that says
    the write was done, with its Location and position."""
    handler = scope.get("route_handler")
    lost = None if handler is None else handler.opt.get(IF_LOST)
    if lost is None and any(name == "location" for name, _ in kept):
        lost = "revoke what was made (its Location) and make another"
    elif lost is None:
        lost = "make another (a password link replaces the last)"
    problem = Problem(
        type="/problems/answered-once",
        title="Answered once",
        status=409,
        detail="the first request with this Idempotency-Key succeeded, and its answer held a"
        f" secret shown only once: it is not kept. If it was lost, {lost}.",
        instance=scope["path"],
        errors=[FieldProblem("Idempotency-Key", "secret_shown_once", "answered once")],
    )
    headers = [(n, v) for n, v in kept if n != "content-type"]
    return 409, [*headers, ("content-type", PROBLEM_JSON)], msgspec.json.encode(problem)


async def replay(found: Stored, send: Send) -> None:
    """The first answer again, marked as a replay."""
    headers = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in found.headers]
    headers.append((b"content-length", str(len(found.body)).encode()))
    headers.append((REPLAYED.encode(), b"true"))
    assert found.status is not None
    await send({"type": "http.response.start", "status": found.status, "headers": headers})
    await send({"type": "http.response.body", "body": found.body, "more_body": False})
