#!/usr/bin/env python3
"""Run the product or its tests on a fresh machine that has only Python 3.11+.

    python3 dev.py serve   ->  uv run okr serve   (API + portal, embedded PostgreSQL, demo tenant)
    python3 dev.py test    ->  uv run pytest      (any extra arguments go to pytest)
    python3 dev.py demo    ->  uv run okr demo    (load the demo tenant once, print its tree)
    python3 dev.py okr ... ->  uv run okr ...

uv comes from PATH when it is there, else it is installed once into .okr/tools (a venv).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
TOOLS = ROOT / ".okr" / "tools"
COMMANDS = {"serve": ["okr", "serve"], "demo": ["okr", "demo"], "test": ["pytest"], "okr": ["okr"]}


def find_uv() -> str:
    """uv from PATH, or from the project's own tools venv (created on first use)."""
    found = shutil.which("uv")
    if found:
        return found
    bin_dir = TOOLS / ("Scripts" if os.name == "nt" else "bin")
    uv = bin_dir / "uv"
    if not uv.exists():
        print("installing uv into .okr/tools (once)...", file=sys.stderr)
        venv.create(TOOLS, with_pip=True)
        pip = [str(bin_dir / "python"), "-m", "pip", "install", "-q", "uv"]
        subprocess.run(pip, check=True)  # noqa: S603 - fixed arguments
    return str(uv)


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(f"usage: python3 dev.py {{{'|'.join(COMMANDS)}}} [args...]")
    uv = find_uv()
    command = [uv, "run", "--frozen", *COMMANDS[sys.argv[1]], *sys.argv[2:]]
    os.chdir(ROOT)
    os.execv(uv, command)  # noqa: S606 - hand over to uv, nothing to quote


if __name__ == "__main__":
    main()
