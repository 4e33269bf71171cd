"""The `okr` command line: one sub-command per operator task."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Callable, Coroutine
from typing import Any
from uuid import UUID

import asyncpg

from services import commands
from services.bootstrap import SchemaBehindError, UnwalledLoginError
from services.db import CONNECTION_LOST
from services.read import UnreadableLogError
from services.settings import MAX_PORT, Settings
from services.store.event_store import MAX_POSITION

Handler = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]


def _count(text: str) -> int:
    """A whole number of at least 1, for argparse."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {text!r}")
    return value


def _position(text: str) -> int:
    """A tenant position, a whole number from 0 to the largest a bigint holds, for argparse."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_POSITION:
        raise argparse.ArgumentTypeError(f"expected a position (0 to {MAX_POSITION}), not {text!r}")
    return value


def _port(text: str) -> int:
    """A TCP port a server can bind, 1 to 65535, for argparse."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_PORT:
        raise argparse.ArgumentTypeError(f"expected a port (1 to {MAX_PORT}), not {text!r}")
    return value


def _uuid(text: str) -> UUID:
    """An id (a UUID), for argparse."""
    try:
        return UUID(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an id (a UUID), not {text!r}") from None


def _command(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, what: str
) -> argparse.ArgumentParser:
    """A sub-command that says what it does in the list of commands and in its own --help."""
    return sub.add_parser(name, help=what, description=what)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="okr", description=__doc__)
    sub = root.add_subparsers(dest="command", required=True)
    _command(sub, "migrate", "apply the SQL migrations (safe to run concurrently)")
    _command(sub, "demo", "load the demo tenant (once) and print its objective tree")

    bench = _command(sub, "bench", "benchmarks; one JSON object on stdout")
    bench.add_argument("target", choices=["store", "projections", "api"])
    bench.add_argument("--quick", action="store_true", help="shorter runs, for a smoke check")
    bench.add_argument("--json", action="store_true", help="JSON only (the default output)")

    _command(sub, "project", "run the projector until SIGTERM / Ctrl-C")
    projections = _command(sub, "projections", "rebuild or verify the read models")
    action = projections.add_subparsers(dest="action", required=True)
    rebuild = _command(action, "rebuild", "rebuild from the logs, swapping tables in")
    rebuild.add_argument("--tenant", help="one tenant (id or slug); default all")
    rebuild.add_argument("--projection", action="append", help="one projection; repeatable")
    rebuild.add_argument(
        "--workers",
        type=_count,
        help="processes a full rebuild folds in (default OKR_REBUILD_WORKERS, or one per core,"
        " at most 8)",
    )
    rebuild.set_defaults(refuse=rebuild.error)  # its usage, not the list of commands
    verify = _command(action, "verify", "compare live tables with a rebuild in memory")
    verify.add_argument("--tenant", help="one tenant (id or slug); default all")

    progress = _command(sub, "progress", "a tenant's objective tree")
    progress.add_argument("--tenant", required=True, help="tenant id, slug, or 'demo'")
    progress.add_argument(
        "--as-of",
        help="what the system knew at this instant (ISO 8601; a date: by its end, in the"
        " tenant's time zone)",
    )
    progress.add_argument(
        "--as-of-position",
        type=_position,
        metavar="N",
        help="what the system knew when the tenant's log stood at position N",
    )
    progress.add_argument("--valid-at", help="values for this business date (YYYY-MM-DD)")
    progress.add_argument("--cycle", help="only this cycle (its id or its name)")
    progress.add_argument("--json", action="store_true", help="JSON instead of a table")

    diff = _command(sub, "diff", "what changed in a tenant between two instants")
    diff.add_argument("--tenant", required=True, help="tenant id, slug, or 'demo'")
    diff.add_argument(
        "--from", dest="since", required=True, help="ISO 8601 instant, or a date: from its start"
    )
    diff.add_argument(
        "--to", dest="until", required=True, help="ISO 8601 instant, or a date: as at its end"
    )
    diff.add_argument(
        "--cycle", help="only this cycle's changes (its id or its name) and the KPIs'"
    )
    diff.add_argument("--json", action="store_true", help="JSON instead of lines")

    audit = _command(sub, "audit", "the audit trail")
    audit_action = audit.add_subparsers(dest="action", required=True)
    audit_verify = _command(audit_action, "verify", "recompute a tenant's hash chain")
    audit_verify.add_argument("--tenant", required=True, help="tenant id, slug, or 'demo'")
    users = _command(sub, "users", "people's accounts, for an operator")
    users_action = users.add_subparsers(dest="action", required=True)
    reset = _command(
        users_action,
        "reset-password",
        "give a person who forgot their password a new one (printed once), ending"
        " every session of theirs",
    )
    reset.add_argument("--email", required=True, help="the email they sign in with")
    reset.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the new password from the first line of stdin instead of making one",
    )
    reset.add_argument(
        "--by",
        metavar="EMAIL",
        help="the platform admin who resets it, named as its author in the history of the"
        " companies the person reaches (default: an operator)",
    )
    reset.add_argument("--reason", help="why, kept with the reset in those histories")
    tenants = _command(sub, "tenants", "client tenants, for an operator")
    tenants_action = tenants.add_subparsers(dest="action", required=True)
    create = _command(
        tenants_action,
        "create",
        "make a client tenant of a consultancy (its log begins with who made it, with which"
        " settings) and print its id",
    )
    create.add_argument("--consultancy", required=True, type=_uuid, help="the consultancy's id")
    create.add_argument("--name", required=True, help="its name, one no other client has")
    create.add_argument("--slug", help="its short name (default: made from the name)")
    create.add_argument("--locale", default="it", help="its language (it)")
    create.add_argument("--time-zone", help="an IANA name (default: its language's)")
    create.add_argument(
        "--encrypted",
        action="store_true",
        help="store its events encrypted with an AES key of its own, for good (its erasure"
        " shreds the key); default: unencrypted",
    )
    create.add_argument(
        "--by",
        metavar="EMAIL",
        help="the platform admin who makes it, named in its log (default: an operator)",
    )
    serve = _command(sub, "serve", "serve the API (and run the projector) until SIGTERM")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8000, help="port to bind (8000)")
    serve.add_argument("--no-projector", action="store_true", help="another process projects")
    return root


async def serve(args: argparse.Namespace, settings: Settings) -> int:
    from services.serve import serve as run_server  # uvicorn and the app: only when serving

    return await run_server(args, settings)


HANDLERS: dict[str, Handler] = {
    "migrate": commands.migrate,
    "demo": commands.demo,
    "bench": commands.bench,
    "project": commands.project,
    "projections": commands.projections,
    "progress": commands.progress,
    "diff": commands.diff,
    "audit": commands.audit,
    "users": commands.users,
    "tenants": commands.tenants,
    "serve": serve,
}


def main(argv: list[str] | None = None) -> None:
    cli = parser()
    args = cli.parse_args(argv)
    if getattr(args, "workers", None) is not None and args.tenant is not None:
        args.refuse("--workers is for a rebuild of every tenant; one tenant rebuilds in-process")
    try:
        settings = Settings.from_env()
    except ValueError as error:  # a setting that does not parse: say which, no traceback
        raise SystemExit(f"okr: {error}") from None
    command = HANDLERS[args.command](args, settings)
    try:
        if args.command in ("serve", "project"):  # they stop in order on SIGTERM themselves
            code = asyncio.run(command)
        else:
            code = asyncio.run(_ended_by_sigterm(command))
    except KeyboardInterrupt:
        print("okr: interrupted (Ctrl-C) before the end", file=sys.stderr)
        code = 130
    except BrokenPipeError:  # its reader went away (okr progress | head): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    except UNREACHABLE as error:  # a wrong DATABASE_URL, a server down: one line, no traceback
        raise SystemExit(
            f"okr: the database is out of reach: {unreachable(error, settings)}"
        ) from None
    except (UnreadableLogError, SchemaBehindError, UnwalledLoginError) as error:  # in a line
        raise SystemExit(f"okr: {error}") from None
    sys.exit(code)


UNREACHABLE = (
    *CONNECTION_LOST,  # refused, terminated, timed out
    asyncpg.InvalidCatalogNameError,  # no such database
    asyncpg.InvalidAuthorizationSpecificationError,  # no such role, no entry in pg_hba.conf
    asyncpg.ClientConfigurationError,  # a DATABASE_URL that is not one
)


def unreachable(error: BaseException, settings: Settings) -> str:
    """Why the database is out of reach, in words: a connection or statement that timed out
    says so (its error is blank: "okr: the database is out of reach: " and nothing), and,
    when OKR_DB_TIMEOUT_SECONDS bounds it, how long that is."""
    if str(error):
        return str(error)
    if not isinstance(error, TimeoutError):
        return type(error).__name__
    bound = settings.db_timeout_seconds
    return "no answer in time" + (
        f" (OKR_DB_TIMEOUT_SECONDS bounds each connection and statement of the"
        f" application's: {bound:g} s)"
        if bound
        else ""
    )


async def _ended_by_sigterm(command: Coroutine[Any, Any, int]) -> int:
    """Run a command that SIGTERM cancels as Ctrl-C does, so that it unwinds (a full
    rebuild drops its shadow tables on its way out), then exits 143 (Ctrl-C: 130, from
    main; it exited 143 too)."""
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    terminated = False

    def terminate() -> None:
        nonlocal terminated
        terminated = True
        task.cancel()

    loop.add_signal_handler(signal.SIGTERM, terminate)
    try:
        return await command
    except asyncio.CancelledError:
        if not terminated:
            raise  # Ctrl-C: asyncio.run raises KeyboardInterrupt
        print("okr: stopped by SIGTERM before the end", file=sys.stderr)
        return 143
    finally:
        loop.remove_signal_handler(signal.SIGTERM)


if __name__ == "__main__":
    main()
