"""The operator's commands, run as a person would: okr demo, progress, diff, verify."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from tests.conftest import DatabaseFactory


def okr(dsn: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"DATABASE_URL": dsn}
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


async def test_demo_progress_as_of_diff_and_verify(databases: DatabaseFactory) -> None:
    """The demo loads once, prints its tree; a past day's tree differs; verify passes."""
    dsn = await databases.create()
    first = okr(dsn, "demo")
    assert first.returncode == 0, first.stderr
    assert "Esempio Consulenza" in first.stdout
    assert "Ridurre il tempo medio di risposta" in first.stdout
    again = okr(dsn, "demo")
    assert again.stdout == first.stdout  # loading twice changes nothing

    now = json.loads(okr(dsn, "progress", "--tenant", "demo", "--json").stdout)
    month_ago = (datetime.now(UTC) - timedelta(days=30)).isoformat()
    then = okr(dsn, "progress", "--tenant", "demo", "--as-of", month_ago, "--json")
    assert then.returncode == 0, then.stderr
    assert 0 < json.loads(then.stdout)["position"] < now["position"]

    changes = okr(dsn, "diff", "--tenant", "demo", "--from", month_ago,
                  "--to", datetime.now(UTC).isoformat(), "--json")  # fmt: skip
    assert changes.returncode == 0, changes.stderr
    assert any(c["field"] == "value" for c in json.loads(changes.stdout))

    verify = okr(dsn, "projections", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "verify: 0 differing row(s)" in verify.stdout
    chain = okr(dsn, "audit", "verify", "--tenant", "demo")
    assert chain.returncode == 0 and "chain intact" in chain.stdout


async def test_bad_arguments_are_refused_with_a_message(databases: DatabaseFactory) -> None:
    """An unknown tenant or a malformed date ends with a clear message and exit code."""
    dsn = await databases.create()
    unknown = okr(dsn, "progress", "--tenant", "no-such-client")
    assert unknown.returncode != 0 and "no tenant" in unknown.stderr
    bad_date = okr(dsn, "progress", "--tenant", "demo", "--as-of", "last tuesday")
    assert bad_date.returncode != 0 and "ISO 8601" in bad_date.stderr
