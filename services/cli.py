"""The `okr` command line: one sub-command per operator task."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from services.runtime import admin_database, running_system
from services.settings import Settings

Handler = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]


async def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from services.store.migrate import migrate

    with admin_database(settings) as dsn:
        applied = await migrate(dsn, settings.app_db_password)
    print("applied: " + (", ".join(applied) if applied else "nothing, already up to date"))
    return 0


async def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from services.demo import load_demo, print_demo

    with admin_database(settings) as dsn:
        async with running_system(settings, dsn) as system:
            tenant_id = await load_demo(system)
            await print_demo(system, tenant_id)
    return 0


async def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    from services.bench import run_bench

    return await run_bench(args, settings)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="okr", description=__doc__)
    sub = root.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply the SQL migrations (safe to run concurrently)")
    sub.add_parser("demo", help="load the demo tenant (once) and print its objective tree")
    bench = sub.add_parser("bench", help="benchmarks; one JSON object on stdout")
    bench.add_argument("target", choices=["store"])
    bench.add_argument("--quick", action="store_true", help="shorter runs, for a smoke check")
    bench.add_argument("--json", action="store_true", help="JSON only (the default output)")
    return root


HANDLERS: dict[str, Handler] = {"migrate": cmd_migrate, "demo": cmd_demo, "bench": cmd_bench}


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    settings = Settings.from_env()
    try:
        code = asyncio.run(HANDLERS[args.command](args, settings))
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)
