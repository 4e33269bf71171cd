"""The locks of keyed requests (services.session_locks): each goes with its own request,
its process, or the lock statement that failed, and with nothing else."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import pytest

from services.bootstrap import System
from services.session_locks import SessionLocks, lock_id


@pytest.fixture
async def locks(system: System) -> AsyncIterator[SessionLocks]:
    """The locks of this process."""
    locks = SessionLocks(system.app_dsn, answer_within=10)
    yield locks
    await locks.close()


@pytest.fixture
async def elsewhere(system: System) -> AsyncIterator[SessionLocks]:
    """The locks of another process (a retry of a request may come to either)."""
    locks = SessionLocks(system.app_dsn, answer_within=10)
    yield locks
    await locks.close()


def a_lock() -> int:
    return lock_id("test", uuid.uuid4().hex)


async def cancelled(locks: SessionLocks) -> None:
    """A request cancelled while it asks for its lock (its client gone, a shutdown): its
    statement sent, its answer not yet read."""
    asking = asyncio.create_task(locks.try_hold(a_lock()))
    await asyncio.sleep(0)  # (the task runs until it awaits the server's answer)
    asking.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asking


async def failed(locks: SessionLocks) -> None:
    """A lock statement that fails (here with a lock no bigint holds)."""
    with pytest.raises(asyncpg.DataError):
        await locks.try_hold(2**63)


@pytest.mark.parametrize("ends", [cancelled, failed], ids=["cancelled", "failed"])
async def test_a_lock_statement_that_ends_badly_lets_go_of_no_other_request_s_lock(
    locks: SessionLocks,
    elsewhere: SessionLocks,
    ends: Callable[[SessionLocks], Awaitable[None]],
) -> None:
    """A request's lock statement cancelled or failed ended the one connection that held
    every lock of its process: every other keyed request running there lost its lock, and
    a retry of one of them, in another process, took its claim over (the first told 409
    when it was done). Now only the lock that statement asked for may go."""
    running = a_lock()
    assert await locks.try_hold(running)
    await ends(locks)
    after = a_lock()  # (a round trip after it: a session it ended would be gone by now)
    assert await locks.try_hold(after)
    await locks.let_go(after)
    assert not await elsewhere.try_hold(running)
    await locks.let_go(running)
    assert await elsewhere.try_hold(running)


async def test_a_lock_is_held_once_whichever_request_of_a_process_asks(
    locks: SessionLocks, elsewhere: SessionLocks
) -> None:
    """Two requests of one process with the same key: the second is refused the lock the
    first holds (a session's advisory locks stack: one session would have given it twice),
    and after the first let it go, it is free to every process."""
    lock = a_lock()
    assert await locks.try_hold(lock)
    assert not await locks.try_hold(lock)
    assert not await elsewhere.try_hold(lock)
    await locks.let_go(lock)
    assert await elsewhere.try_hold(lock)
    assert not await locks.try_hold(lock)


async def test_a_process_that_closes_lets_go_of_every_lock_it_holds(
    locks: SessionLocks, elsewhere: SessionLocks
) -> None:
    """What holds a lock is known to be running still: its process gone, its locks go."""
    held = [a_lock(), a_lock()]
    for lock in held:
        assert await locks.try_hold(lock)
    await locks.close()
    for lock in held:
        assert await elsewhere.try_hold(lock)
