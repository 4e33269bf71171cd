"""The embedded PostgreSQL: starts cold and warm, survives killed owners, always stops.

Data dirs live under the project's `.okr/` (not /tmp): as root the server runs as another
OS user, which must be able to enter every parent folder.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg
import pytest

from services.embedded import EmbeddedPostgres, EmbeddedPostgresError
from services.settings import PROJECT_ROOT

CHILD = """
import sys, time
from pathlib import Path
from services.embedded import EmbeddedPostgres

pg = EmbeddedPostgres(Path(sys.argv[1]))
if sys.argv[2] == "handlers":
    pg.install_exit_handlers()
dsn = pg.start()
print("READY", pg.last_start, dsn, flush=True)
time.sleep(120)
"""


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A fresh, empty data dir under .okr/; its server is stopped and its files removed after."""
    with _scratch() as scratch:
        yield scratch / "pg"


@pytest.fixture(scope="module")
def template() -> Iterator[Path]:
    """One initialised, stopped cluster, copied by tests that need a cluster but not initdb."""
    with _scratch() as scratch:
        with EmbeddedPostgres(scratch / "pg"):
            pass
        yield scratch / "pg"


@pytest.fixture
def cluster_dir(data_dir: Path, template: Path) -> Path:
    """A data dir that already holds a (stopped) cluster: a copy of the template."""
    shutil.copytree(template, data_dir, symlinks=True)
    return data_dir


Launch = Callable[[Path, str], subprocess.Popen[str]]


@pytest.fixture
def launch() -> Iterator[Launch]:
    """Start child processes that start the server and sleep; kill any left at the end."""
    children: list[subprocess.Popen[str]] = []

    def start_child(pg_dir: Path, mode: str) -> subprocess.Popen[str]:
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(pg_dir), mode],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        children.append(child)
        return child

    yield start_child
    for child in children:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=10)
        if child.stdout is not None:
            child.stdout.close()


@contextlib.contextmanager
def _scratch() -> Iterator[Path]:
    scratch = PROJECT_ROOT / ".okr" / f"test-embedded-{uuid.uuid4().hex[:8]}"
    scratch.mkdir(parents=True)
    try:
        yield scratch
    finally:
        for pg_dir in scratch.glob("*"):
            if pg_dir.is_dir():
                _stop_immediately(pg_dir)
        shutil.rmtree(scratch)


def _stop_immediately(pg_dir: Path) -> None:
    pid_file = pg_dir / "postmaster.pid"
    if pid_file.exists() and _alive(pid := int(pid_file.read_text().split()[0])):
        os.kill(pid, signal.SIGQUIT)  # immediate shutdown of a server a test left running
        _wait_until(lambda: not _alive(pid))


def _alive(pid: int) -> bool:
    """Running and not a zombie (PID 1 here does not reap orphans)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in {"Z", "X"}


def _wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _query(dsn: str, sql: str) -> object:
    async def run() -> object:
        connection = await asyncpg.connect(dsn)
        try:
            return await connection.fetchval(sql)
        finally:
            await connection.close()

    return asyncio.run(run())


def _postmaster_pid(pg_dir: Path) -> int:
    return int((pg_dir / "postmaster.pid").read_text().split()[0])


def _read_ready(child: subprocess.Popen[str]) -> tuple[str, str]:
    """The child's start kind and DSN, from its READY line (log lines may come first)."""
    assert child.stdout is not None
    for line in child.stdout:
        if line.startswith("READY "):
            _, kind, dsn = line.split()
            return kind, dsn
    raise AssertionError(f"child failed to start the server (exit {child.wait()})")


def test_cold_start_serves_asyncpg_and_stop_ends_the_server(data_dir: Path) -> None:
    """The DSN start() returns is what the app hands to asyncpg; stop() leaves no process."""
    pg = EmbeddedPostgres(data_dir)
    with pg as dsn:
        assert pg.last_start == "initdb"
        assert pg.owns_server
        assert _query(dsn, "SELECT current_user") == "postgres"
        assert _query(dsn, "SHOW listen_addresses") == ""
        assert _query(dsn, "SHOW max_connections") == "200"
        postmaster = _postmaster_pid(data_dir)
    assert _wait_until(lambda: not _alive(postmaster))
    assert pg.processes() == []
    pg.stop()  # idempotent


def test_second_start_is_warm(cluster_dir: Path) -> None:
    """A data dir that already holds a cluster starts without initdb and keeps its data."""
    first = EmbeddedPostgres(cluster_dir)
    with first as dsn:
        _query(dsn, "CREATE TABLE kept (n int)")
    second = EmbeddedPostgres(cluster_dir)
    with second as dsn:
        assert _query(dsn, "SELECT count(*) FROM kept") == 0
    assert first.last_start == second.last_start == "started"


def test_two_data_dirs_run_side_by_side(cluster_dir: Path, template: Path) -> None:
    """Both use port 5432, each in its own socket folder, so they never clash."""
    other = shutil.copytree(template, cluster_dir.with_name("other"), symlinks=True)
    with EmbeddedPostgres(cluster_dir) as first, EmbeddedPostgres(other) as second:
        assert first != second
        assert _query(first, "SELECT 1") == _query(second, "SELECT 1") == 1


def test_start_leaves_parent_folder_modes_unchanged(cluster_dir: Path) -> None:
    """Running as root must not loosen any folder above the data dir."""
    parents = [cluster_dir.parent, *cluster_dir.parent.parents]
    before = {p: os.stat(p).st_mode for p in parents}
    with EmbeddedPostgres(cluster_dir):
        pass
    assert {p: os.stat(p).st_mode for p in parents} == before


@pytest.mark.skipif(os.geteuid() != 0, reason="only root hands the server to another OS user")
def test_a_parent_the_server_user_cannot_enter_is_reported_not_loosened(
    data_dir: Path,
) -> None:
    """Instead of chmodding a private folder, start() names it and says what to do."""
    private = data_dir.parent / "private"
    private.mkdir(mode=0o700)
    private.chmod(0o700)
    with pytest.raises(EmbeddedPostgresError, match=str(private)):
        EmbeddedPostgres(private / "pg").start()
    assert private.stat().st_mode & 0o777 == 0o700


def test_orphan_of_a_killed_owner_is_adopted_and_stopped(cluster_dir: Path, launch: Launch) -> None:
    """SIGKILL skips every exit hook; the next start() takes the orphan over and stops it."""
    child = launch(cluster_dir, "plain")
    _read_ready(child)
    orphan = _postmaster_pid(cluster_dir)
    child.kill()
    child.wait(timeout=10)
    assert _alive(orphan)

    pg = EmbeddedPostgres(cluster_dir)
    dsn = pg.start()
    assert pg.last_start == "adopted"
    assert _postmaster_pid(cluster_dir) == orphan
    assert _query(dsn, "SELECT 1") == 1
    pg.stop()
    assert _wait_until(lambda: not _alive(orphan))


def test_stale_pid_file_of_a_killed_server_is_cleared(cluster_dir: Path, launch: Launch) -> None:
    """A server killed -9 leaves postmaster.pid with a dead pid; the next start still works."""
    child = launch(cluster_dir, "plain")
    _read_ready(child)
    postmaster = _postmaster_pid(cluster_dir)
    child.kill()
    child.wait(timeout=10)
    os.kill(postmaster, signal.SIGKILL)
    assert _wait_until(lambda: not _alive(postmaster))
    assert (cluster_dir / "postmaster.pid").exists()

    pg = EmbeddedPostgres(cluster_dir)
    with pg as dsn:
        assert pg.last_start == "started"
        assert _postmaster_pid(cluster_dir) != postmaster
        assert _query(dsn, "SELECT 1") == 1


def test_a_cold_start_killed_during_initdb_is_made_again_at_the_next_start(
    data_dir: Path, launch: Launch
) -> None:
    """The first start killed -9 while initdb ran (with the process that started it) left
    a half-made cluster: PG_VERSION and part of the rest. The next start then failed for
    good ("could not find the database system") or started a cluster without what initdb
    had not made yet; it makes the cluster again, whole."""
    child = launch(data_dir, "plain")
    assert _wait_until(lambda: (data_dir / "PG_VERSION").exists(), timeout=30)
    for pid in reversed(_descendants(child.pid)):  # initdb and its postgres
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    child.kill()
    child.wait(timeout=10)

    pg = EmbeddedPostgres(data_dir)
    with pg as dsn:
        assert pg.last_start == "initdb"
        names = "SELECT string_agg(datname, ' ' ORDER BY datname) FROM pg_database"
        assert _query(dsn, names) == "postgres template0 template1"


def _descendants(pid: int) -> list[int]:
    """The processes below `pid`, parents before their children."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            for child in (task / "children").read_text().split():
                found += [int(child), *_descendants(int(child))]
    return found


def test_sigterm_stops_the_server_of_a_process_with_exit_handlers(
    cluster_dir: Path, launch: Launch
) -> None:
    """A live owner keeps its server (others only reuse it) and stops it on SIGTERM."""
    child = launch(cluster_dir, "handlers")
    kind, _ = _read_ready(child)
    assert kind == "started"
    postmaster = _postmaster_pid(cluster_dir)

    guest = EmbeddedPostgres(cluster_dir)
    guest.start()
    assert guest.last_start == "reused"
    assert not guest.owns_server
    guest.stop()
    assert _alive(postmaster)

    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=20) == 128 + signal.SIGTERM
    assert _wait_until(lambda: not _alive(postmaster))
    assert guest.processes() == []


def test_concurrent_starts_on_one_folder_run_initdb_once(data_dir: Path, launch: Launch) -> None:
    """Two processes starting at once: one initialises and owns, the other reuses."""
    children = [launch(data_dir, "handlers"), launch(data_dir, "handlers")]
    kinds = []
    for child in children:
        kind, dsn = _read_ready(child)
        kinds.append(kind)
        assert _query(dsn, "SELECT 1") == 1
    assert sorted(kinds) == ["initdb", "reused"]
    postmaster = _postmaster_pid(data_dir)
    for child in children:
        child.send_signal(signal.SIGTERM)
        child.wait(timeout=20)
    assert _wait_until(lambda: not _alive(postmaster))
