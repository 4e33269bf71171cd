"""`okr serve`'s projector: `Projector.run` in a process of its own, beside the API's.

Folding is CPU work. In the API's process it held the event loop while it folded (a batch
of 500 events takes about 100 ms) and shared one core with the requests: on two shared
cores at 500 check-ins/s the writers fell behind their rate and the lag grew to seconds,
where the same projector in a process of its own kept up (`okr bench projections`:
`lag_in_process_*` against `lag_*`). As a child it takes the machine's other core.

The child (this module run with ``-m``) reads the application DSN from OKR_PROJECTOR_DSN
(not from its arguments, which ``ps`` shows), its settings from the environment it
inherits, and logs as `okr serve` does, on the same stdout. It stops when its stdin
closes: the parent's end of that pipe, closed by `stop` (after uvicorn has let in-flight
requests finish) or by the parent's death, however it died. It runs in a session of its
own, so that a signal to the terminal's or a launcher's process group (Ctrl-C) reaches
only the parent, which stops it in order (a SIGTERM to the child alone stops it, and the
parent starts another). A child that dies unasked is started again, one second later,
then twice as late up to a minute while it keeps dying within a minute; not once the
server shuts down. On a pipe of their own it tells the parent whether its projector runs
yet (it listens, and has caught up what it found behind at its start) and which tenants
fail and how often (a line of JSON when that changes, looked at every REPORT_EVERY
seconds, and every HEARTBEAT_EVERY seconds all the same), for /readyz and /metrics.

A child whose event loop no longer turns (a call that never returns, a stopped process)
projects nothing while its process lives, and was said to run for good: /readyz stayed
ready as its tenants fell behind. Its silence tells: once it has said a first line, a child
silent for SILENT_AFTER seconds is said not to run, and one silent for UNRESPONSIVE_AFTER
is killed, and started again as one that died.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from uuid import UUID

import structlog

from services.db import close_pool
from services.logs import configure_logging
from services.projector.worker import Projector, projector_pool
from services.settings import Settings
from services.store.event_store import EventStore
from services.store.repository import Repository

DSN_VARIABLE, REPORT_VARIABLE = "OKR_PROJECTOR_DSN", "OKR_PROJECTOR_REPORT_FD"
REPORT_EVERY = 0.25
REPORT_MOST = 1_000
"""Failing tenants a report names at most, those failing longest first (a line of 50 kB):
more would not fit a metrics scrape either."""
REPORT_LIMIT = 1 << 20
"""Bytes a report line may have, well over REPORT_MOST tenants' worth."""
HEARTBEAT_EVERY = 1.0
"""Seconds after which the child says what it said last again: it is alive and turning."""
SILENT_AFTER, UNRESPONSIVE_AFTER = 10.0, 60.0
"""Seconds of a child's silence after which it is said not to run / is killed."""
RESTART_FIRST, RESTART_MAX = 1.0, 60.0
"""Seconds before a child that died unasked is started again, doubling while it dies."""
HEALTHY_SECONDS = 60.0
"""A child that ran this long before dying is started again after RESTART_FIRST."""
log = structlog.get_logger("okr.serve")


class ProjectorProcess:
    """The child projector of `okr serve`: started, kept running, stopped."""

    def __init__(self, app_dsn: str) -> None:
        self.app_dsn = app_dsn
        self._child: asyncio.subprocess.Process | None = None
        self._keeper: asyncio.Task[None] | None = None
        self._stopping = False
        self.failures: dict[UUID, int] = {}
        """What the child last said of its failing tenants: attempts in a row each."""
        self._listening = False
        """What the child last said of its projector: running (see Projector.running) or not yet."""
        self.exit_code: int | None = None
        """How the last child ended: 0 when it stopped by itself, minus the signal that
        killed it (None before one ended)."""
        self._heard_at: float | None = None
        """When (time.monotonic()) the child last said a line; None before its first."""

    @property
    def running(self) -> bool:
        """Whether the child is alive and its projector runs (listens, caught up), as it said:
        what `Projector.running` says in a process that runs one (readiness reports it)."""
        alive = self._child is not None and self._child.returncode is None
        return alive and self._listening and self._silent_for() < SILENT_AFTER

    def _silent_for(self) -> float:
        """Seconds since the child's last line (0 before its first)."""
        return 0.0 if self._heard_at is None else time.monotonic() - self._heard_at

    @property
    def pid(self) -> int | None:
        """The child's process id (None before the first one starts)."""
        return None if self._child is None else self._child.pid

    def start(self) -> None:
        """Start the child, and start it again whenever it dies unasked (until `stop`)."""
        self._keeper = asyncio.create_task(self._keep())

    def stopping(self) -> None:
        """The server is shutting down: the child goes on projecting until `stop`, but one
        that ends from now on (a signal to every process of the service) is not started
        again."""
        self._stopping = True

    async def stop(self, grace: float) -> None:
        """Ask the child to stop and wait for it to commit or roll back its pass and exit;
        killed when it takes longer than `grace` seconds."""
        self._stopping = True
        child = self._child
        if child is not None and child.returncode is None:
            _close_stdin(child)
            try:
                await asyncio.wait_for(child.wait(), grace)
            except TimeoutError:
                log.warning("serve.projector_stop_timeout")
                child.kill()
                await child.wait()
        if self._keeper is not None:
            self._keeper.cancel()  # asleep before a restart, or about done
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
        self.failures = {}

    async def _keep(self) -> None:
        delay = RESTART_FIRST
        while not self._stopping:
            began = time.monotonic()
            try:
                await self._run_child()
            except Exception:  # no child (no memory, no file descriptors...): try again
                log.exception("serve.projector_start_failed", restart_in=delay)
            else:
                if self._stopping:
                    return
                log.error("serve.projector_died", code=self.exit_code, restart_in=delay)
            if time.monotonic() - began >= HEALTHY_SECONDS:
                delay = RESTART_FIRST
            await asyncio.sleep(delay)
            delay = min(delay * 2, RESTART_MAX)

    async def _run_child(self) -> None:
        """One child, from its start to its end, and what it reports meanwhile."""
        read_end, write_end = os.pipe()
        try:
            child = self._child = await asyncio.create_subprocess_exec(
                sys.executable, "-m", __name__, stdin=asyncio.subprocess.PIPE,
                pass_fds=(write_end,), start_new_session=True,
                env=os.environ | {DSN_VARIABLE: self.app_dsn, REPORT_VARIABLE: str(write_end)},
            )  # fmt: skip
        except BaseException:
            os.close(read_end)
            raise
        finally:
            os.close(write_end)  # the child's now: the pipe ends when the child does
        if self._stopping:  # `stop` came while it was being started
            _close_stdin(child)
        heard = asyncio.Event()
        hearing = asyncio.create_task(self._hear(read_end, heard))
        watching = asyncio.create_task(self._watch(child, heard))
        try:
            self.exit_code = await child.wait()
            await hearing  # the pipe's end: the child's exit
        finally:
            hearing.cancel()
            watching.cancel()
            self.failures, self._listening, self._heard_at = {}, False, None

    async def _watch(self, child: asyncio.subprocess.Process, heard: asyncio.Event) -> None:
        """Kill the child once it has been silent for UNRESPONSIVE_AFTER seconds after its
        first line (`heard`: a line came): its event loop is stuck, and it projects nothing
        (`_keep` starts another)."""
        await heard.wait()
        with contextlib.suppress(TimeoutError):
            while True:
                heard.clear()
                await asyncio.wait_for(heard.wait(), UNRESPONSIVE_AFTER)
        log.error("serve.projector_unresponsive", pid=child.pid, silent=UNRESPONSIVE_AFTER)
        with contextlib.suppress(ProcessLookupError):
            child.kill()

    async def _hear(self, read_end: int, heard: asyncio.Event) -> None:
        """Keep what the child reports until it closes its end (it exited), setting `heard`
        at each line. Read to the end whatever comes: a child whose pipe fills would stop
        projecting."""
        lines = asyncio.StreamReader(limit=REPORT_LIMIT)
        transport, _ = await asyncio.get_running_loop().connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(lines), os.fdopen(read_end, "rb")
        )
        try:
            while line := await lines.readline():
                try:
                    said = json.loads(line)
                    failures = {UUID(t): int(n) for t, n in said["failures"].items()}
                    self.failures, self._listening = failures, bool(said["running"])
                    self._heard_at = time.monotonic()
                    heard.set()
                except (ValueError, AttributeError, TypeError, KeyError):
                    log.warning("serve.projector_report_unreadable", line=line[:200])
        finally:
            transport.close()


def _close_stdin(child: asyncio.subprocess.Process) -> None:
    if child.stdin is not None:
        child.stdin.close()


async def project_until_told(
    dsn: str,
    settings: Settings,
    *,
    on_committed: Callable[[UUID, int], None] | None = None,
    caught_up: Callable[[], None] | None = None,
) -> None:
    """The child: project until SIGTERM, SIGINT or the end of stdin. `on_committed`: see
    Projector; `caught_up` hears when every tenant has been caught up once and the others
    warmed up, before the projector listens (the bench's lag starts there)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    watching = await stop_at_end_of_stdin(stop)
    pool = await projector_pool(dsn, answer_within=settings.db_timeout)
    reporting = None
    try:
        projector = Projector.configured(
            pool, Repository(EventStore(pool)), settings, on_committed=on_committed
        )
        if (fd := os.environ.get(REPORT_VARIABLE)) is not None:
            reporting = asyncio.create_task(report(projector, int(fd)))
        if caught_up is not None:
            await projector.catch_up_all(stop)
            await projector.warm_up(stop)
            caught_up()
        await projector.run(dsn, stop)
    finally:
        for task in (watching, reporting):
            if task is not None:
                task.cancel()
        await close_pool(pool)


async def stop_at_end_of_stdin(stop: asyncio.Event) -> asyncio.Task[None]:
    """A task that sets `stop` once stdin ends: the parent closed its end, or died."""
    stdin = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)

    async def stop_at_eof() -> None:
        await stdin.read()
        stop.set()

    return asyncio.create_task(stop_at_eof())


async def report(projector: Projector, fd: int) -> None:
    """A line of JSON on `fd` whenever what it says changes, and every HEARTBEAT_EVERY
    seconds: whether the projector runs (Projector.running) and its failing tenants with
    their attempts (REPORT_MOST at most). A pipe, read by the parent's event loop: a short
    line never waits there for long."""
    with os.fdopen(fd, "w", buffering=1) as out:  # a line at a time
        said, at = None, 0.0
        while True:
            longest = sorted(projector.failures.items(), key=lambda f: -f[1])[:REPORT_MOST]
            now = {"running": projector.running, "failures": {str(t): n for t, n in longest}}
            if now != said or time.monotonic() - at >= HEARTBEAT_EVERY:
                out.write(json.dumps(now) + "\n")
                said, at = now, time.monotonic()
            await asyncio.sleep(REPORT_EVERY)


if __name__ == "__main__":
    configure_logging()
    asyncio.run(project_until_told(os.environ[DSN_VARIABLE], Settings.from_env()))
