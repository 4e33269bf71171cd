"""`okr serve`: the API on uvicorn, and the projector in a child process it keeps running
(see services.projector_process).

With no DATABASE_URL: the embedded server, migrated, read-model tables made, and the demo
tenant with its logins (password ``demo_data.PASSWORD``); a JWT secret is made once and kept
in ``.okr/jwt-secret``. With DATABASE_URL, OKR_JWT_SECRET must be set. On an empty database,
OKR_ADMIN_EMAIL / OKR_ADMIN_PASSWORD make the platform admin.

Shutdown on SIGTERM or Ctrl-C, in order: uvicorn stops accepting and lets in-flight requests
finish, a purge under way is cancelled (rolled back), the projector's process commits (or
rolls back) its pass and exits, the pool closes, the embedded server stops.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import functools
import os
import secrets
import signal
import socket
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import FrameType

import asyncpg
import structlog
import uvicorn

from services import demo_data as d
from services.api import create_app
from services.bootstrap import System, bootstrap
from services.db import LONG_STATEMENT_SECONDS
from services.demo import load_demo
from services.logs import configure_logging
from services.projector.registry import PROJECTIONS
from services.projector.schema import ensure_tables
from services.projector_process import ProjectorProcess
from services.runtime import admin_database
from services.settings import PROJECT_ROOT, Settings
from tenants import api_keys, directory, memberships, users
from tenants.errors import (
    DuplicateMembershipError,
    UnknownConsultancyError,
    UnknownTenantError,
)
from tenants.ratelimit import LoginRateLimiter
from tenants.tokens import purge_refresh_tokens

SECRET_FILE = PROJECT_ROOT / ".okr" / "jwt-secret"
PROJECTOR_STOP_SECONDS = 15.0
HOUSEKEEPING_SECONDS = 3600.0
SAME_CTRL_C = 1.0
"""Seconds within which a SIGINT after the first signal is the same interrupt (GracefulServer)."""
log = structlog.get_logger("okr.serve")


class GracefulServer(uvicorn.Server):
    """uvicorn, minus re-raising the signal after its shutdown: we still have to stop the
    projector and the database, in that order, and then exit normally. `on_exit` hears of
    the signal at once (the projector's process is not started again from then on).

    A SIGINT within SAME_CTRL_C seconds of the signal that began the shutdown is the same
    interrupt: with no terminal (an IDE's run, a process manager, CI), `uv run` (so `python3
    dev.py serve` too) passes on to its child the SIGINT its process group got, which the
    child got already. uvicorn took that second one for an impatient user's and quit at
    once: no request under way let finish, no lifespan shutdown. One sent again later
    still quits at once."""

    def __init__(
        self,
        config: uvicorn.Config,
        on_exit: Callable[[], None],
        on_listening: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__(config)
        self.on_exit, self.on_listening = on_exit, on_listening
        self._exit_began: float | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's start; `on_listening` once it listens (not when its port is taken: it
        said "listening", then that the port was in use)."""
        await super().startup(sockets)
        if self.started:
            self.on_listening()

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        now = time.monotonic()
        if self._exit_began is None:
            self._exit_began = now
        elif sig == signal.SIGINT and now - self._exit_began < SAME_CTRL_C:
            return
        self.on_exit()
        super().handle_exit(sig, frame)
        self._captured_signals.clear()


def dev_jwt_secret(path: Path = SECRET_FILE) -> str:
    """The embedded dev mode's JWT secret: made once, kept private under .okr/."""
    if path.is_file():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):  # another process made it first: use theirs
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def serving_settings(settings: Settings) -> Settings:
    """The settings with a JWT secret (made for the embedded mode, required otherwise)."""
    if settings.jwt_secret:
        return settings
    if settings.database_url:
        raise SystemExit("okr serve: set OKR_JWT_SECRET (32+ bytes) when DATABASE_URL is set")
    return dataclasses.replace(settings, jwt_secret=dev_jwt_secret())


async def ensure_platform_admin(system: System, settings: Settings) -> None:
    """While the platform has no admin, the one named by OKR_ADMIN_EMAIL/_PASSWORD (the
    demo's logins, which `okr demo` makes, are no reason to go without one)."""
    if not (settings.admin_email and settings.admin_password):
        return
    if await system.pool.fetchval("SELECT EXISTS (SELECT FROM users WHERE is_platform_admin)"):
        return
    if await users.find_user_by_email(system.pool, settings.admin_email) is not None:
        log.warning("serve.platform_admin_email_taken", email=settings.admin_email)
        return
    user = await users.create_user(
        system.pool, settings.admin_email, "Platform admin", password=settings.admin_password
    )
    await _make_platform_admin(system, user.id)
    log.info("serve.platform_admin_created", email=user.email)


async def ensure_demo(system: System, *, platform_admin: bool) -> None:
    """The demo consultancy, tenant, logins and history (each step skipped when done); with
    `platform_admin`, admin@okr.local too, a platform admin (the embedded server's only:
    `okr demo` on a database of one's own makes no login with powers over every tenant)."""
    pool = system.pool
    try:
        await directory.get_consultancy(pool, d.CONSULTANCY_ID)
    except UnknownConsultancyError:
        await directory.create_consultancy(
            pool, d.CONSULTANCY_NAME, consultancy_id=d.CONSULTANCY_ID
        )
    try:
        await directory.get_tenant(pool, d.TENANT_ID)
    except UnknownTenantError:
        await directory.create_tenant(
            pool, d.CONSULTANCY_ID, d.TENANT_NAME, slug=d.TENANT_SLUG, colour=d.TENANT_COLOUR,
            fiscal_year_start_month=d.FISCAL_YEAR_START_MONTH, time_zone=d.TENANT_TIME_ZONE,
            tenant_id=d.TENANT_ID,
        )  # fmt: skip
    for person in d.PEOPLE if platform_admin else d.MEMBERS:
        if await users.find_user_by_email(pool, person.email) is None:
            await users.create_user(
                pool, person.email, person.name, password=d.PASSWORD, user_id=person.id
            )
    with contextlib.suppress(DuplicateMembershipError):
        await memberships.add_consultancy_member(pool, d.CONSULTANCY_ID, d.PAOLA.id, d.PAOLA.role)
    with contextlib.suppress(DuplicateMembershipError):
        await memberships.add_consultancy_member(pool, d.CONSULTANCY_ID, d.LUCA.id, d.LUCA.role)
    for person in (d.LUCA, d.GIULIA, d.MARCO, d.SARA):
        with contextlib.suppress(DuplicateMembershipError):
            await memberships.add_membership(pool, d.TENANT_ID, person.id, person.role)
    keys = await api_keys.list_api_keys(pool, d.TENANT_ID, include_revoked=True)
    if not any(k.id == d.HELPDESK_KEY_ID for k in keys):  # (revoked: it stays revoked)
        await api_keys.create_api_key(
            pool, d.TENANT_ID, d.HELPDESK_KEY_NAME, created_by=d.GIULIA.id, key_id=d.HELPDESK_KEY_ID
        )
    if platform_admin:
        await _make_platform_admin(system, d.ADMIN.id)
    await load_demo(system)


async def _make_platform_admin(system: System, user_id: object) -> None:
    conn = await asyncpg.connect(system.admin_dsn)
    try:
        await users.make_platform_admin(conn, user_id)  # type: ignore[arg-type]
    finally:
        await conn.close()


async def serve(args: argparse.Namespace, settings: Settings) -> int:
    """Serve until SIGTERM / Ctrl-C, then shut down in order."""
    configure_logging()
    settings = serving_settings(settings)
    embedded = not settings.database_url
    with admin_database(settings) as admin_dsn:
        system = await bootstrap(settings, admin_dsn)
        if system.migrated:  # an operator learns what a start changed in the schema
            log.info("serve.migrated", applied=system.migrated)
        try:
            await ensure_tables(admin_dsn, PROJECTIONS)
            await ensure_platform_admin(system, settings)
            if embedded:
                await ensure_demo(system, platform_admin=True)
            await _serve(args, settings, system)
        finally:
            await system.close()
    log.info("serve.stopped")
    return 0


async def housekeeping(system: System, settings: Settings, stop: asyncio.Event) -> None:
    """Every hour: drop expired idempotency keys, refresh tokens and sign-in attempts (at
    the start too; the shutdown cancels a purge under way)."""
    ttl = timedelta(hours=settings.idempotency_ttl_hours)
    while not stop.is_set():
        try:
            keys = await system.pool.fetchval(
                "SELECT okr_purge_idempotency_keys($1)", ttl, timeout=LONG_STATEMENT_SECONDS
            )
            tokens = await purge_refresh_tokens(system.pool)
            attempts = await LoginRateLimiter(system.pool).purge()
            log.info("serve.housekeeping", keys=keys, tokens=tokens, attempts=attempts)
        except Exception as error:  # a chore: whatever failed is tried again next hour,
            log.warning("serve.housekeeping_failed", error=repr(error))  # never ends it
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), HOUSEKEEPING_SECONDS)


async def _serve(args: argparse.Namespace, settings: Settings, system: System) -> None:
    projector = None if args.no_projector else ProjectorProcess(system.app_dsn)
    app = create_app(system, settings, projector=projector)
    config = uvicorn.Config(
        app, host=args.host, port=args.port, log_config=None, access_log=False,
        proxy_headers=True, forwarded_allow_ips=settings.trusted_proxies,
        timeout_graceful_shutdown=30, lifespan="on",
    )  # fmt: skip
    stop = asyncio.Event()
    if projector is not None:
        projector.start()
    chores = asyncio.create_task(housekeeping(system, settings, stop))
    listening = functools.partial(
        log.info, "serve.listening", host=args.host, port=args.port,
        projector=projector is not None,
    )  # fmt: skip
    try:
        await GracefulServer(
            config, projector.stopping if projector else lambda: None, listening
        ).serve()
    finally:
        stop.set()
        chores.cancel()  # a purge under way rolls back, to be done at the next start: one
        with contextlib.suppress(asyncio.CancelledError):  # waiting on a lock held the
            await chores  # shutdown for as long (an hour at most), the projector running
        if projector is not None:
            await projector.stop(PROJECTOR_STOP_SECONDS)
