"""`okr bench <target>`: each target measures one part of the system and prints ONE JSON object.

A target is a module with `async def run(args, settings) -> dict[str, Any]`; register it in
TARGETS (one line) and add its name to the CLI's choices. Logs go to stderr, the result alone
to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import sys
from typing import Any

from services.settings import Settings

TARGETS: dict[str, str] = {
    "store": "services.bench.store",
    "projections": "services.bench.projections",
    "api": "services.bench.api",
}


async def run_bench(args: argparse.Namespace, settings: Settings) -> int:
    """Run the benchmark named by args.target; print its result as one JSON object."""
    module = importlib.import_module(TARGETS[args.target])
    stdout = sys.stdout
    with contextlib.redirect_stdout(sys.stderr):  # stray prints and logs must not mix in
        result: dict[str, Any] = await module.run(args, settings)
    stdout.write(json.dumps(result, indent=2) + "\n")
    stdout.flush()
    return 0
