"""The operator's commands, run as a person would: okr demo, progress, diff, verify."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from services.app import Context, OKRApplication
from services.app.base import Written
from services.bootstrap import System
from services.demo_data import TENANT_ID
from services.projector.rebuild import REBUILD_LOCK_KEY
from services.projector.registry import PROJECTIONS
from services.projector.worker import SHARE_SWAP_SQL, Projector
from services.read import audit
from tenants.directory import create_consultancy, create_tenant
from tenants.memberships import add_consultancy_member, add_membership
from tenants.models import Tenant
from tenants.users import authenticate_password, create_user, make_platform_admin
from tests.conftest import DatabaseFactory

T = TypeVar("T")


def okr(
    dsn: str, *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"DATABASE_URL": dsn} | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        env=env, input=stdin, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def on_one_utc_day(run: Callable[[], T]) -> T:
    """What `run` gives, run again if UTC midnight passed while it ran: commands it compares
    work out pace and staleness from the day they run on."""
    for _ in range(2):
        day = datetime.now(UTC).date()
        result = run()
        if datetime.now(UTC).date() == day:
            return result
    raise AssertionError("UTC midnight passed twice in one comparison")


async def a_key_result_checked_in_ten_days_ago(
    system: System, cadence_days: int, ids: tuple[uuid.UUID, uuid.UUID, uuid.UUID]
) -> uuid.UUID:
    """A tenant with this cadence, a running cycle, one key result last checked in 10 days ago."""
    consultancy = await create_consultancy(system.pool, "Studio")
    tenant = await create_tenant(
        system.pool, consultancy.id, "Acme Servizi", check_in_cadence_days=cadence_days
    )
    cycle_id, objective_id, kr_id = ids
    app, ctx = OKRApplication(system.repository), Context(tenant_id=tenant.id, actor="user:builder")
    today = datetime.now(UTC).date()
    await app.cycles.create(
        ctx, name="Trimestre", starts_on=today - timedelta(days=30),
        ends_on=today + timedelta(days=60), cycle_id=cycle_id,
    )  # fmt: skip
    await app.cycles.activate(ctx, cycle_id)
    await app.objectives.create(
        ctx, cycle_id=cycle_id, title="Efficienza", owner="marco", objective_id=objective_id
    )
    await app.key_results.create(
        ctx, objective_id=objective_id, title="Rinnovi", kind="increase", owner="marco",
        start=70, target=85, key_result_id=kr_id,
    )  # fmt: skip
    await app.key_results.record_check_in(ctx, kr_id, value=75, on=today - timedelta(days=10))
    await Projector(system.pool, system.repository, PROJECTIONS).catch_up(tenant.id)
    return tenant.id


def stale_key_results(dsn: str, *args: str) -> list[bool]:
    done = okr(dsn, "progress", *args, "--json")
    assert done.returncode == 0, done.stderr
    tree = json.loads(done.stdout)
    return [kr["stale"] for c in tree["cycles"] for o in c["objectives"] for kr in o["key_results"]]


async def test_progress_marks_stale_by_the_tenant_cadence(system: System, admin_dsn: str) -> None:
    """Ten days without a check-in is overdue for a weekly tenant, not for a fortnightly one:
    the operator's tree must say what the API and the portal say for the same tenant."""
    ids = (uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
    fortnightly = await a_key_result_checked_in_ten_days_ago(system, 14, ids)
    weekly = await a_key_result_checked_in_ten_days_ago(system, 7, ids)
    now = datetime.now(UTC).isoformat()
    for as_of in ((), ("--as-of", now)):
        assert stale_key_results(admin_dsn, "--tenant", str(fortnightly), *as_of) == [False]
        assert stale_key_results(admin_dsn, "--tenant", str(weekly), *as_of) == [True]


async def test_progress_as_json_writes_a_tiny_value_without_exponent(
    system: System, admin_dsn: str
) -> None:
    """`okr progress --json` wrote a progress of 1E-7 as "1E-7" (msgspec writes
    str(Decimal)), which a script reading it as a number does not take: "0.0000001", as the
    API writes it."""
    consultancy = await create_consultancy(system.pool, "Studio")
    tenant = await create_tenant(system.pool, consultancy.id, "Acme Servizi")
    app, ctx = OKRApplication(system.repository), Context(tenant_id=tenant.id, actor="user:x")
    today = datetime.now(UTC).date()
    cycle = await app.cycles.create(
        ctx, name="Trimestre", starts_on=today - timedelta(days=30),
        ends_on=today + timedelta(days=60),
    )  # fmt: skip
    goal = await app.objectives.create(ctx, cycle_id=cycle.item_id, title="Crescita", owner="x")
    kr = await app.key_results.create(
        ctx, objective_id=goal.item_id, title="Iscritti", kind="increase", owner="x",
        start=0, target=10_000_000,
    )  # fmt: skip
    await app.key_results.record_check_in(ctx, kr.item_id, value=1, on=today - timedelta(days=1))
    await Projector(system.pool, system.repository, PROJECTIONS).catch_up(tenant.id)

    done = okr(admin_dsn, "progress", "--tenant", str(tenant.id), "--json")

    assert done.returncode == 0, done.stderr
    assert '"progress":"0.0000001"' in done.stdout and "E-7" not in done.stdout


async def test_diff_orders_a_day_and_an_instant_in_the_tenant_s_zone(
    system: System, admin_dsn: str
) -> None:
    """From 30 November (in Rome: from 23:00 UTC of the 29th) to 00:30 of the 30th at
    +01:00 (23:30 UTC of the 29th) is half an hour of changes, as the API takes it; the
    command refused it as a reversed range, ordering the day in UTC before it knew the
    tenant's zone. Reversed in Rome too, it is still refused."""
    consultancy = await create_consultancy(system.pool, "Studio")
    tenant = await create_tenant(system.pool, consultancy.id, "Roma", time_zone="Europe/Rome")
    since = ("--tenant", str(tenant.id), "--from", "2026-11-30", "--to")
    half_an_hour = okr(admin_dsn, "diff", *since, "2026-11-30T00:30+01:00")
    assert half_an_hour.returncode == 0, half_an_hour.stderr
    assert half_an_hour.stdout.strip().endswith(  # (the day as typed, not the instant
        "0 changes between the start of 2026-11-30 and 2026-11-30T00:30:00+01:00"  # before
        " (Europe/Rome)"  # it, 2026-11-29T23:59:59.999999+01:00, as it said)
    )
    two_days = okr(admin_dsn, "diff", *since, "2026-11-30")
    assert two_days.stdout.strip().endswith(
        "0 changes between the start of 2026-11-30 and the end of 2026-11-30 (Europe/Rome)"
    )
    reversed_there = okr(admin_dsn, "diff", *since, "2026-11-29T23:30+01:00")
    assert reversed_there.returncode == 1
    assert reversed_there.stderr.strip() == (
        "okr: --from (2026-11-30) must not be after --to (2026-11-29T23:30+01:00)"
    )


async def test_diff_from_a_day_still_to_come_is_refused(system: System, admin_dsn: str) -> None:
    """okr diff from a day still to come printed "0 changes", as if that span had been
    looked at and found quiet (the portal showed today's changes instead): nothing is
    known of it yet, so it exits 1 saying so, as the API's 422 does; a --to still to come
    is read as now."""
    consultancy = await create_consultancy(system.pool, "Studio")
    tenant = await create_tenant(system.pool, consultancy.id, "Roma", time_zone="Europe/Rome")
    tomorrow = (datetime.now(ZoneInfo("Europe/Rome")) + timedelta(days=1)).date().isoformat()
    for since, until in ((tomorrow, "2999-06-01"), ("2999-01-01T00:00Z", "2999-06-01")):
        refused = okr(admin_dsn, "diff", "--tenant", str(tenant.id), "--from", since, "--to", until)
        assert refused.returncode == 1, refused.stdout
        assert refused.stderr.strip() == (
            f"okr: --from {since} is still to come: nothing is known of it yet, so nothing"
            " can have changed since (a --to still to come is read as now)"
        )
    to_now = okr(admin_dsn, "diff", "--tenant", str(tenant.id), "--from", "2026-01-01", "--to",
                 "2999-06-01")  # fmt: skip
    assert to_now.returncode == 0, to_now.stderr


async def test_progress_as_of_an_instant_still_to_come_says_it_shows_now(
    system: System, admin_dsn: str
) -> None:
    """okr progress --as-of an instant still to come printed today's tree headed "as known
    at" now, and never said the instant asked was not the one read: it is read as now, as
    okr diff reads a --to still to come, and a note says so (on stderr with --json, whose
    stdout is the tree alone); an instant gone by has no note."""
    tenant = await a_key_result_checked_in_ten_days_ago(
        system, 7, (uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
    )
    for asked in ("2999-01-01", "2999-01-01T00:00:00Z"):
        shown = okr(admin_dsn, "progress", "--tenant", str(tenant), "--as-of", asked)
        assert shown.returncode == 0, shown.stderr
        note = shown.stdout.splitlines()[-1]
        assert note.startswith(f"NOTE: --as-of {asked} is still to come: read as now, "), note
        read_at = datetime.fromisoformat(note.rsplit(", ", 1)[1])
        assert datetime.now(UTC) - timedelta(minutes=1) < read_at <= datetime.now(UTC)
    as_json = okr(admin_dsn, "progress", "--tenant", str(tenant), "--as-of", "2999-01-01",
                  "--json")  # fmt: skip
    assert json.loads(as_json.stdout)["position"] > 0
    assert as_json.stderr.startswith("NOTE: --as-of 2999-01-01 is still to come: read as now")
    gone_by = okr(admin_dsn, "progress", "--tenant", str(tenant), "--as-of",
                  datetime.now(UTC).isoformat())  # fmt: skip
    assert gone_by.returncode == 0, gone_by.stderr
    assert "NOTE" not in gone_by.stdout + gone_by.stderr


async def an_objective_of_an_active_cycle(
    system: System, title: str
) -> tuple[Tenant, OKRApplication, Context, Written]:
    """A new tenant's objective `title`, owned by m, in a cycle active from 30 days ago."""
    consultancy = await create_consultancy(system.pool, "Studio")
    tenant = await create_tenant(system.pool, consultancy.id, "Acme Servizi")
    app, ctx = OKRApplication(system.repository), Context(tenant_id=tenant.id, actor="user:m")
    today = datetime.now(UTC).date()
    cycle = await app.cycles.create(ctx, name="Trimestre", starts_on=today - timedelta(days=30),
                                    ends_on=today + timedelta(days=60))  # fmt: skip
    await app.cycles.activate(ctx, cycle.item_id)
    goal = await app.objectives.create(ctx, cycle_id=cycle.item_id, title=title, owner="m")
    return tenant, app, ctx, goal


async def test_diff_says_how_a_new_and_an_archived_key_result_stand(
    system: System, admin_dsn: str
) -> None:
    """An objective fell from 55 % to 30 %: one of its key results (costs at 50 %) was
    archived, and one added not yet checked in. `okr diff` said the fall, "created" of the
    new one and "archived" of the other, not what either weighs and stands at, so the fall
    could not be worked out from it: (1·60 % + 1·0 %) / 2, where it was (1·60 % + 1·50 %) / 2.
    It now says both, the new one counting 0, the archived one as it stood; its footer
    counts the changes, not the lines saying how one stood unchanged (it counted them)."""
    tenant, app, ctx, goal = await an_objective_of_an_active_cycle(system, "Efficienza")
    today = datetime.now(UTC).date()
    for title, start, target, value in (("Rinnovi", 70, 85, 79), ("Costi", 100, 80, 90)):
        kr = await app.key_results.create(ctx, objective_id=goal.item_id, title=title,
                                          kind="increase" if target > start else "decrease",
                                          owner="m", start=start, target=target)  # fmt: skip
        await app.key_results.record_check_in(ctx, kr.item_id, value=value, on=today)
    since = datetime.now(UTC).isoformat()
    await app.key_results.archive(ctx, kr.item_id, reason="fuori perimetro")
    await app.key_results.create(ctx, objective_id=goal.item_id, title="Nuovi clienti",
                                 kind="increase", owner="m", start=50, target=60)  # fmt: skip

    done = okr(admin_dsn, "diff", "--tenant", str(tenant.id), "--from", since,
               "--to", datetime.now(UTC).isoformat())  # fmt: skip

    assert done.returncode == 0, done.stderr
    said = {" ".join(line.split()) for line in done.stdout.splitlines()}
    assert {
        "objective Efficienza progress 55.0 % → 30.0 %",
        "key_result Costi archived false → true",
        "key_result Costi weight 1 (unchanged)",
        "key_result Costi raw_progress 50.0 % (unchanged)",
        "key_result Costi target 80 (unchanged)",
        "key_result Nuovi clienti created — → Nuovi clienti",
        "key_result Nuovi clienti start — → 50",
        "key_result Nuovi clienti target — → 60",
        "key_result Nuovi clienti weight — → 1",
        "key_result Nuovi clienti status — → not started",
        "key_result Nuovi clienti counted_progress — → 0.0 %",
    } <= said, done.stdout
    *lines, footer = done.stdout.splitlines()
    changed = [line for line in lines if not line.endswith("(unchanged)")]
    assert len(changed) < len(lines)  # the footer counts changes, not how Costi stood
    noun = "change" if len(changed) == 1 else "changes"  # (not "change(s)")
    assert footer.startswith(f"{len(changed)} {noun} between "), done.stdout


async def test_diff_says_values_in_their_unit_as_progress_does(
    system: System, admin_dsn: str
) -> None:
    """`okr progress` writes a value in its unit ("EUR 1,175,000", "21.2 h", "62.8 %");
    `okr diff` said the same values bare ("1175000 → 1145000", a revised target "49500 →
    48500"), so the two read of the same key result as two kinds of number. The diff says
    them as the tree does; --json keeps them as stored."""
    from domain.values import Unit, UnitKind

    tenant, app, ctx, goal = await an_objective_of_an_active_cycle(system, "Costi")
    today = datetime.now(UTC).date()
    euro = Unit(UnitKind.CURRENCY, "EUR")
    costs = await app.key_results.create(ctx, objective_id=goal.item_id, title="Costi annui",
                                         kind="decrease", owner="m", start=1200000,
                                         target=1080000, unit=euro)  # fmt: skip
    hours = await app.key_results.create(ctx, objective_id=goal.item_id, title="Risposta",
                                         kind="decrease", owner="m", start=24, target=18,
                                         unit=Unit(UnitKind.HOURS))  # fmt: skip
    await app.key_results.record_check_in(ctx, costs.item_id, value=1175000, on=today)
    await app.key_results.record_check_in(ctx, hours.item_id, value="22.8", on=today)
    since = datetime.now(UTC).isoformat()
    await app.key_results.record_check_in(ctx, costs.item_id, value=1145000, on=today)
    await app.key_results.record_check_in(ctx, hours.item_id, value="21.2", on=today)
    await app.key_results.revise_target(ctx, costs.item_id, target=1070000, reason="budget")
    until = datetime.now(UTC).isoformat()

    done = okr(admin_dsn, "diff", "--tenant", str(tenant.id), "--from", since, "--to", until)

    assert done.returncode == 0, done.stderr
    said = {" ".join(line.split()) for line in done.stdout.splitlines()}
    assert {
        "key_result Costi annui value EUR 1,175,000 → EUR 1,145,000",
        "key_result Costi annui target EUR 1,080,000 → EUR 1,070,000",
        "key_result Risposta value 22.8 h → 21.2 h",
    } <= said, done.stdout
    exact = okr(admin_dsn, "diff", "--tenant", str(tenant.id), "--from", since, "--to", until,
                "--json")  # fmt: skip
    values = [
        (c["before"], c["after"])
        for c in json.loads(exact.stdout)
        if (c["item_id"], c["field"]) == (str(hours.item_id), "value")
    ]
    assert values == [("22.8", "21.2")]


async def test_diff_names_owners_as_the_portal_does(system: System, admin_dsn: str) -> None:
    """An objective handed from a member to a name typed as text, and a key result from
    that member to a colleague: `okr diff` printed the members' account ids
    ("user:3f2a… → Carla"), where the portal's comparison names them. It names a member
    by their name, a typed owner as written; --json keeps the ids, as the API does."""
    consultancy = await create_consultancy(system.pool, "Studio")
    tenant = await create_tenant(system.pool, consultancy.id, "Acme Servizi")
    tag = uuid.uuid4().hex[:8]
    anna = await create_user(system.pool, f"anna-{tag}@acme.example", "Anna Neri")
    bruno = await create_user(system.pool, f"bruno-{tag}@acme.example", "Bruno Riva")
    for person in (anna, bruno):
        await add_membership(system.pool, tenant.id, person.id, "client_member")
    app, ctx = OKRApplication(system.repository), Context(tenant_id=tenant.id, actor="user:m")
    today = datetime.now(UTC).date()
    cycle = await app.cycles.create(ctx, name="Trimestre", starts_on=today - timedelta(days=30),
                                    ends_on=today + timedelta(days=60))  # fmt: skip
    goal = await app.objectives.create(
        ctx, cycle_id=cycle.item_id, title="Efficienza", owner=f"user:{anna.id}"
    )
    kr = await app.key_results.create(ctx, objective_id=goal.item_id, title="Costi",
                                      kind="decrease", owner=f"user:{anna.id}", start=100,
                                      target=80)  # fmt: skip
    since = datetime.now(UTC).isoformat()
    await app.objectives.edit(ctx, goal.item_id, owner="Carla")
    await app.key_results.edit(ctx, kr.item_id, owner=f"user:{bruno.id}")
    until = datetime.now(UTC).isoformat()

    done = okr(admin_dsn, "diff", "--tenant", str(tenant.id), "--from", since, "--to", until)
    as_json = okr(admin_dsn, "diff", "--tenant", str(tenant.id), "--from", since, "--to",
                  until, "--json")  # fmt: skip

    assert done.returncode == 0, done.stderr
    said = {" ".join(line.split()) for line in done.stdout.splitlines()}
    assert "objective Efficienza owner Anna Neri → Carla" in said, done.stdout
    assert "key_result Costi owner Anna Neri → Bruno Riva" in said, done.stdout
    owners = [(c["before"], c["after"]) for c in json.loads(as_json.stdout)]
    assert owners == [(f"user:{anna.id}", "Carla"), (f"user:{anna.id}", f"user:{bruno.id}")]


async def test_a_damaged_row_past_an_as_of_is_said_in_one_line(
    system: System, admin_dsn: str
) -> None:
    """`okr progress --as-of` (and `okr diff`) past a row damaged on disk: one line naming
    the position and exit 1, where it printed a traceback."""
    ids = (uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
    tenant = await a_key_result_checked_in_ten_days_ago(system, 7, ids)
    head = await system.store.head(tenant)
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(
            "UPDATE events SET state = set_byte(state, 0, 193)"
            " WHERE tenant_id = $1 AND position = $2",
            tenant, head,
        )  # fmt: skip
    finally:
        await conn.close()
    now = datetime.now(UTC).isoformat()
    for args in (("progress", "--as-of", now), ("diff", "--from", "2020-01-01", "--to", now)):
        done = okr(admin_dsn, *args, "--tenant", str(tenant))
        said = done.stderr.strip().splitlines()
        assert done.returncode == 1 and len(said) == 1, done.stderr
        assert f"cannot be read at position {head}" in said[0]


async def test_a_command_that_only_reads_changes_no_schema(databases: DatabaseFactory) -> None:
    """`okr progress`, `okr diff`, `okr audit verify`, `okr projections verify` on a database
    not at this code's schema (a check run from another checkout): they migrated it and
    made its read models anew, silently. They say how it differs, in a line, exit 1, and
    change nothing: behind, `okr migrate` applies what it lacks; ahead (a migration this
    code does not know), a newer checkout is what to run, not `okr migrate`."""
    empty = await databases.create()
    done = okr(empty, "progress", "--tenant", "demo")
    assert done.returncode == 1 and "behind this code" in done.stderr, done.stderr
    assert re.search(r"\(\d+ migrations, 0001_event_store\.sql to ", done.stderr)  # not (s)
    conn = await asyncpg.connect(empty)
    try:
        assert await conn.fetchval("SELECT to_regclass('schema_migrations')") is None
    finally:
        await conn.close()

    dsn = await databases.create()
    assert okr(dsn, "demo").returncode == 0
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "UPDATE read_model_schemas SET fingerprint = 'older' WHERE projection = 'history'"
        )
        lines = await conn.fetchval("SELECT count(*) FROM rm_history")
        for args in (
            ("progress", "--tenant", "demo", "--as-of", "2026-10-15"),
            ("diff", "--tenant", "demo", "--from", "2026-10-01", "--to", "2026-10-15"),
            ("audit", "verify", "--tenant", "demo"),
            ("projections", "verify"),
        ):
            done = okr(dsn, *args)
            said = done.stderr.strip().splitlines()
            assert done.returncode == 1 and len(said) == 1, (args, done.stderr)
            assert "the read model history is not of this code's version" in said[0]
        assert await conn.fetchval("SELECT count(*) FROM rm_history") == lines  # untouched
        await conn.execute("INSERT INTO schema_migrations (name) VALUES ('9999_newer.sql')")
        ahead = okr(dsn, "audit", "verify", "--tenant", "demo")
        assert ahead.returncode == 1 and "ahead of this code" in ahead.stderr, ahead.stderr
        assert "okr migrate" not in ahead.stderr
        await conn.execute("DELETE FROM schema_migrations WHERE name = '9999_newer.sql'")
        assert okr(dsn, "migrate").returncode == 0
        assert okr(dsn, "audit", "verify", "--tenant", "demo").returncode == 0
    finally:
        await conn.close()


async def test_demo_progress_as_of_diff_and_verify(databases: DatabaseFactory) -> None:
    """The demo loads once, prints its tree; a past day's tree differs; verify passes."""
    dsn = await databases.create()
    first, again = on_one_utc_day(lambda: (okr(dsn, "demo"), okr(dsn, "demo")))
    assert first.returncode == 0, first.stderr
    assert "Esempio Consulenza" in first.stdout
    assert "Ridurre il tempo medio di risposta" in first.stdout
    assert again.stdout == first.stdout  # loading twice changes nothing, and says so
    assert "loaded already" not in first.stderr and "loaded already" in again.stderr
    conn = await asyncpg.connect(dsn)
    try:  # the demo's correction says the value it stores (it said 4,2 and stored 4.27)
        reason, after = await conn.fetchrow(
            "SELECT reason, changes->0->>'after' FROM rm_history"
            " WHERE template = 'kpi.measurement_corrected'"
        )
    finally:
        await conn.close()
    assert (
        reason == f"errore di battitura: il sondaggio riportava {after.replace('.', ',')}, non 4,6"
    )

    def progress(*as_of: str) -> subprocess.CompletedProcess[str]:
        return okr(dsn, "progress", "--tenant", "demo", *as_of, "--json")

    today, to_come = on_one_utc_day(lambda: (progress(), progress("--as-of", "2999-01-01")))
    now = json.loads(today.stdout)
    assert json.loads(to_come.stdout) == now  # what is known now, with today's pace
    month_ago = (datetime.now(UTC) - timedelta(days=30)).isoformat()
    then = progress("--as-of", month_ago)
    assert then.returncode == 0, then.stderr
    assert 0 < json.loads(then.stdout)["position"] < now["position"]
    at = json.loads(then.stdout)["position"]  # with the pace of the day it was recorded
    by_position = json.loads(progress("--as-of-position", str(at)).stdout)
    assert by_position["position"] == at
    assert by_position["today"] <= month_ago[:10] < now["today"]
    both = progress("--as-of", month_ago, "--as-of-position", str(at))  # two points in time
    assert both.returncode != 0 and "not both" in both.stderr
    scored = okr(dsn, "progress", "--tenant", "demo", "--as-of-position", str(at))
    assert scored.stdout.startswith(f"Esempio Consulenza S.r.l. — {by_position['today']} (")

    changes = okr(dsn, "diff", "--tenant", "demo", "--from", month_ago,
                  "--to", datetime.now(UTC).isoformat(), "--json")  # fmt: skip
    assert changes.returncode == 0, changes.stderr
    assert any(c["field"] == "value" for c in json.loads(changes.stdout))
    as_text = okr(dsn, "diff", "--tenant", "demo", "--from", month_ago,
                  "--to", datetime.now(UTC).isoformat())  # fmt: skip
    shares = [line for line in as_text.stdout.splitlines() if re.search(r" (raw_)?progress ", line)]
    assert shares, as_text.stdout  # fractions as the tree shows them, a dash for none
    share = r"(-?\d+\.\d %|—)"
    assert all(re.search(rf" {share} → {share}$", line) for line in shares), shares

    verify = okr(dsn, "projections", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "verify: 0 differing rows" in verify.stdout
    tamper = await asyncpg.connect(dsn)
    try:
        await tamper.execute("UPDATE rm_history SET actor = 'mallory' WHERE position = 5")
    finally:
        await tamper.close()
    tampered = okr(dsn, "projections", "verify", "--tenant", "demo")
    assert tampered.returncode == 1
    lines = tampered.stdout.splitlines()
    assert lines[0] == f"DIFF tenant {TENANT_ID} rm_history key 5", tampered.stdout
    assert re.fullmatch(r"    actor: live 'mallory' → rebuilt 'user:[0-9a-f-]+'", lines[1])
    assert lines[-1] == "verify: 1 differing row"
    rebuilt = okr(dsn, "projections", "rebuild", "--workers", "2")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert f"rebuilt progress, series, history: {now['position']} events" in rebuilt.stdout
    assert okr(dsn, "projections", "verify").returncode == 0
    past = okr(dsn, "progress", "--tenant", "demo", "--as-of-position", "100000")
    assert past.returncode == 1 and past.stderr.strip().endswith(
        f"okr: --as-of-position 100000 is past the tenant's log, which ends at position"
        f" {now['position']}"
    )
    chain = okr(dsn, "audit", "verify", "--tenant", "demo")
    assert chain.returncode == 0 and "chain intact" in chain.stdout


async def test_bad_arguments_are_refused_with_a_message(databases: DatabaseFactory) -> None:
    """An unknown tenant, a malformed date, a diff from a later instant to an earlier one,
    a count of workers below one or given for one tenant, a full rebuild while another
    runs, an unknown projection: each ends with a clear message and an exit code, before
    any work."""
    dsn = await databases.create()
    assert okr(dsn, "migrate").returncode == 0  # (a command that reads changes no schema)
    unknown = okr(dsn, "progress", "--tenant", "no-such-client")
    assert unknown.returncode != 0 and "no tenant" in unknown.stderr
    nobody = str(uuid.uuid4())  # an id in neither the directory nor the log
    for command in (("progress",), ("diff", "--from", "2026-01-01", "--to", "2026-02-01"),
                    ("projections", "verify"), ("audit", "verify")):  # fmt: skip
        refused = okr(dsn, *command, "--tenant", nobody)
        assert refused.returncode == 1
        assert refused.stderr.strip().endswith(f"okr: no tenant with id or slug '{nobody}'")
    bad_date = okr(dsn, "progress", "--tenant", "demo", "--as-of", "last tuesday")
    assert bad_date.returncode != 0 and "ISO 8601" in bad_date.stderr
    beyond = okr(dsn, "progress", "--tenant", "demo", "--as-of", "0001-01-01T00:00+01:00")
    assert beyond.returncode == 1  # an instant, though not one UTC holds: said so
    assert beyond.stderr.strip() == (
        "okr: '0001-01-01T00:00+01:00' is not an instant"
        " from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z"
    )
    an_instant = okr(dsn, "progress", "--tenant", "demo", "--valid-at", "2026-10-15T10:00")
    assert an_instant.returncode == 1  # a business date, as the API's valid_at
    assert an_instant.stderr.strip() == (
        "okr: --valid-at takes a date (YYYY-MM-DD), not '2026-10-15T10:00'"
    )
    for long_ago in ("1899-12-31", "0026-11-15"):  # a year mistyped: no value is of it
        refused = okr(dsn, "progress", "--tenant", "demo", "--valid-at", long_ago)
        assert refused.returncode == 1  # as the API's 422 out_of_range
        assert refused.stderr.strip() == (
            "okr: --valid-at must be a day from 1900-01-01 to 2199-12-31"
        )
    for position in ("-1", "ten", str(10**23)):
        refused = okr(dsn, "progress", "--tenant", "demo", "--as-of-position", position)
        assert refused.returncode == 2 and "expected a position (0 to " in refused.stderr
    elsewhere = urlunsplit(urlsplit(dsn)._replace(path="/no_such_database"))  # same server
    out_of_reach = okr(elsewhere, "progress", "--tenant", "demo")
    assert out_of_reach.returncode == 1
    assert out_of_reach.stderr.startswith("okr: the database is out of reach: ")
    assert 'database "no_such_database" does not' in out_of_reach.stderr
    assert "Traceback" not in out_of_reach.stderr
    not_a_url = okr("not a url", "progress", "--tenant", "demo")
    assert not_a_url.returncode == 1
    assert not_a_url.stderr.startswith("okr: DATABASE_URL: expected a postgresql:// URL")
    for command in (("progress",), ("audit", "verify")):  # no demo on this database
        absent = okr(dsn, *command, "--tenant", "demo")
        assert absent.returncode == 1
        assert absent.stderr.strip().endswith("okr: no tenant with id or slug 'demo'")
    backwards = okr(dsn, "diff", "--tenant", "demo", "--from", "2026-11-01", "--to", "2026-10-01")
    assert backwards.returncode == 1
    assert backwards.stderr.strip() == (
        "okr: --from (2026-11-01) must not be after --to (2026-10-01)"
    )
    for workers in ("0", "-1", "two"):
        refused = okr(dsn, "projections", "rebuild", "--workers", workers)
        assert refused.returncode == 2 and "at least 1" in refused.stderr
    one_tenant = okr(dsn, "projections", "rebuild", "--tenant", "demo", "--workers", "2")
    assert one_tenant.returncode == 2 and "--workers is for a rebuild of every" in one_tenant.stderr
    assert one_tenant.stderr.startswith("usage: okr projections rebuild ")  # (not okr's list)
    assert "okr projections rebuild: error: --workers" in one_tenant.stderr
    holder = await asyncpg.connect(dsn)  # as a full rebuild running elsewhere holds it
    try:
        await holder.execute(f"SELECT pg_advisory_lock({REBUILD_LOCK_KEY})")
        busy = okr(dsn, "projections", "rebuild")
    finally:
        await holder.close()
    assert busy.returncode == 1
    assert busy.stderr.strip().endswith(
        "okr: another full rebuild is running on this database: wait for it to end"
    )
    no_such = okr(dsn, "projections", "rebuild", "--projection", "history", "--projection", "nope")
    assert no_such.returncode == 1
    assert no_such.stderr.strip() == (
        "okr: --projection: unknown projection 'nope'; known: progress, series, history"
    )
    blank = okr(dsn, "projections", "rebuild", "--projection", "", "--projection", "Progress")
    assert blank.stderr.strip() == (
        "okr: --projection: unknown projections '', 'Progress'; known: progress, series, history"
    )
    for name, value, expected in (
        ("OKR_POOL_MIN", "two", "OKR_POOL_MIN: expected a whole number, not 'two'"),
        ("OKR_PROJECTOR_POLL", "soon", "OKR_PROJECTOR_POLL: expected a number, not 'soon'"),
        (
            "OKR_REBUILD_WORKERS",
            "-1",
            "OKR_REBUILD_WORKERS: expected 0 (one per core) or more, not -1",
        ),
        (
            "OKR_SESSION_HOURS",
            "0",
            "OKR_SESSION_HOURS: expected a number of hours above 0, not 0.0",
        ),
        ("OKR_PROJECTOR_BATCH", "0", "OKR_PROJECTOR_BATCH: expected 1 or more, not 0"),
    ):
        bad_setting = okr(dsn, "projections", "verify", env={name: value})
        assert bad_setting.returncode == 1
        assert bad_setting.stderr.strip() == f"okr: {expected}"


def test_a_database_that_does_not_answer_in_time_is_said_so() -> None:
    """A connection or statement that timed out (a host that drops packets, a bound set
    too short) said "okr: the database is out of reach: " and nothing: its error is blank.
    It says now that no answer came in time, and the bound OKR_DB_TIMEOUT_SECONDS set."""
    from services.cli import unreachable
    from services.settings import Settings

    bounded = Settings.from_env({"OKR_DB_TIMEOUT_SECONDS": "2.5"})
    assert unreachable(TimeoutError(), bounded) == (
        "no answer in time (OKR_DB_TIMEOUT_SECONDS bounds each connection and statement of"
        " the application's: 2.5 s)"
    )
    unbounded = Settings.from_env({"OKR_DB_TIMEOUT_SECONDS": "0"})
    assert unreachable(TimeoutError(), unbounded) == "no answer in time"
    refused = ConnectionRefusedError(111, "Connect call failed")
    assert unreachable(refused, bounded) == str(refused)  # as it was


def test_an_embedded_data_folder_that_cannot_be_used_is_said_naming_okr_data_dir(
    tmp_path: Path,
) -> None:
    """With no DATABASE_URL, an OKR_DATA_DIR that is a file said "the database is out of
    reach: [Errno 17] File exists", naming no variable, and a folder of other files
    stopped on a traceback (EmbeddedPostgresError). Each is one line naming OKR_DATA_DIR,
    exit 1, and no server starts."""
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    other_files = tmp_path / "other-files"
    other_files.mkdir()
    (other_files / "notes.txt").write_text("not a PostgreSQL cluster")
    for folder in (a_file, other_files):
        refused = okr("", "migrate", env={"OKR_DATA_DIR": str(folder)})
        assert refused.returncode == 1, refused.stderr
        said = refused.stderr.strip().splitlines()[-1]
        assert said.startswith(f"okr: OKR_DATA_DIR ({folder}): the embedded server did not start:")
        assert "Traceback" not in refused.stderr
    assert a_file.read_text() == "not a folder"
    assert [p.name for p in other_files.iterdir()] == ["notes.txt"]


async def test_a_slug_two_consultancies_clients_share_names_neither(
    system: System, admin_dsn: str
) -> None:
    """A slug is unique within one consultancy only: two firms may each have an 'acme'
    client. `--tenant acme` picked one of them, whichever the database read first, and
    printed (or rebuilt, or verified) that company's data as if it were the one meant; it
    is now refused, naming each one's id, and an id still reaches each."""
    slug = f"acme-{uuid.uuid4().hex[:8]}"
    firm = await create_consultancy(system.pool, "Studio Alfa")
    rival = await create_consultancy(system.pool, "Beta")
    mine = await create_tenant(system.pool, firm.id, "Acme di Alfa", slug=slug)
    theirs = await create_tenant(system.pool, rival.id, "Acme di Beta", slug=slug)
    for command in (("progress",), ("audit", "verify"), ("projections", "verify")):
        refused = okr(admin_dsn, *command, "--tenant", slug)
        assert refused.returncode == 1, refused.stdout
        said = refused.stderr.strip()
        assert f"2 tenants have the slug '{slug}'" in said, said
        assert f"{theirs.id} (Beta)" in said and f"{mine.id} (Studio Alfa)" in said
        assert "Acme di" not in refused.stdout
    chosen = okr(admin_dsn, "progress", "--tenant", str(theirs.id))
    assert chosen.returncode == 0 and chosen.stdout.startswith("Acme di Beta"), chosen.stderr
    alone = await create_tenant(system.pool, firm.id, "Solo", slug=f"solo-{slug}")
    one = okr(admin_dsn, "progress", "--tenant", alone.slug)  # a slug of one: as before
    assert one.returncode == 0 and one.stdout.startswith("Solo"), one.stderr


@pytest.mark.parametrize(
    ("ending", "code", "said"),
    [(signal.SIGTERM, 143, "stopped by SIGTERM"), (signal.SIGINT, 130, "interrupted (Ctrl-C)")],
)
async def test_a_rebuild_ended_by_sigterm_leaves_no_shadow_tables(
    databases: DatabaseFactory, ending: signal.Signals, code: int, said: str
) -> None:
    """SIGTERM (a deploy, `kill`) ends a full rebuild as Ctrl-C does: it drops its shadow
    tables on the way out, says it stopped, and exits 143 (Ctrl-C: 130, where it exited
    143 too, silently). It died at once, leaving a copy of every read model. The rebuild is
    held at its swap, its shadow tables filled, by a pass's share of the swap lock."""
    dsn = await databases.create()
    assert okr(dsn, "demo").returncode == 0
    holder = await asyncpg.connect(dsn)
    shadows = (
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE '%shadow'"
    )
    try:
        await holder.execute(f"BEGIN; {SHARE_SWAP_SQL}")
        rebuild = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services.cli", "projections", "rebuild",
            env=os.environ | {"DATABASE_URL": dsn}, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        for _ in range(600):  # until it waits for the swap, its shadows made
            waiting = await holder.fetchval(  # (pg_locks is the whole server's)
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
            if waiting:
                break
            await asyncio.sleep(0.05)
        assert waiting, "the rebuild never reached its swap"
        assert await holder.fetchval(shadows) > 0
        rebuild.send_signal(ending)
        _, err = await asyncio.wait_for(rebuild.communicate(), timeout=60)
        await holder.execute("ROLLBACK")
        assert rebuild.returncode == code, err
        assert f"okr: {said} before the end" in err.decode()
        assert await holder.fetchval(shadows) == 0
    finally:
        await holder.close()


async def test_an_operator_gives_a_person_who_forgot_their_password_a_new_one(
    databases: DatabaseFactory,
) -> None:
    """`okr users reset-password` makes a password (printed once) or takes one from stdin:
    only it signs in then, and every session of theirs ended. An unknown email, or a
    password given out of the rule (said of --password-stdin, where it came from), is said
    in a line and changes nothing."""
    from tenants.errors import RateLimitedError
    from tenants.ratelimit import LoginRateLimiter
    from tenants.users import (
        authenticate_password,
        create_user,
        disable_user,
        resolve_user_principal,
    )

    dsn = await databases.create()
    assert okr(dsn, "migrate").returncode == 0
    email, old = f"smemorata-{uuid.uuid4().hex[:6]}@esempio.example", "la vecchia password"
    conn_pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    try:
        person = await create_user(conn_pool, email, "Smemorata", password=old)
        limiter = LoginRateLimiter(conn_pool)
        for _ in range(5):  # locked out by the guesses she made
            await limiter.failed(await limiter.attempt(email, "192.0.2.1"))
        with pytest.raises(RateLimitedError):
            await limiter.attempt(email, "192.0.2.1")
        made = okr(dsn, "users", "reset-password", "--email", email.upper())
        assert made.returncode == 0, made.stderr
        new = re.search(r"is now: (\S+)$", made.stdout.splitlines()[0])
        assert new is not None and len(new[1]) == 20
        assert "they change it at /account" in made.stdout
        await limiter.succeeded(await limiter.attempt(email, "192.0.2.1"))  # let in at once
        assert await authenticate_password(conn_pool, email, old) is None
        assert await authenticate_password(conn_pool, email, new[1]) is not None
        assert await resolve_user_principal(conn_pool, person.id, 0) is None  # sessions ended
        assert await resolve_user_principal(conn_pool, person.id, 1) is not None

        given = "una scelta dall'operatore"
        reset = ("users", "reset-password", "--email", email, "--password-stdin")
        chosen = okr(dsn, *reset, stdin=given + "\n")
        assert chosen.returncode == 0, chosen.stderr
        assert given not in chosen.stdout  # not printed back
        assert await authenticate_password(conn_pool, email, given) is not None
        from_windows = "una riga di un file di Windows"  # its line ends in CR LF
        crlf = okr(dsn, *reset, stdin=from_windows + "\r\n")
        assert crlf.returncode == 0, crlf.stderr  # it was refused: a control character
        assert await authenticate_password(conn_pool, email, from_windows) is not None
        chosen = okr(dsn, *reset, stdin=given + "\n")  # (the one the checks below expect)
        assert chosen.returncode == 0, chosen.stderr

        short = okr(dsn, *reset, stdin="corta\n")
        assert short.returncode == 1
        assert short.stderr.strip() == (
            "okr: --password-stdin: password must be 12 to 1024 characters: nothing changed"
        )
        nobody = okr(dsn, "users", "reset-password", "--email", "nessuno@esempio.example")
        assert nobody.returncode == 1
        assert nobody.stderr.strip() == (
            "okr: no account signs in with nessuno@esempio.example: nothing changed"
        )
        assert await authenticate_password(conn_pool, email, given) is not None
        await disable_user(conn_pool, person.id)
        disabled = okr(dsn, "users", "reset-password", "--email", email)
        assert disabled.returncode == 1
        assert disabled.stderr.strip() == (
            f"okr: the account of {email} is disabled: nothing changed"
        )
    finally:
        await conn_pool.close()


async def test_a_password_reset_is_in_the_log_of_every_company_its_person_reaches(
    system: System, admin_dsn: str, admin: asyncpg.Connection
) -> None:
    """An operator's reset of a forgotten password left no trace: whoever reset it knew the
    password, and no company the person reaches could tell. Each one's log now records it
    (subject "password", by an operator or by `--by`'s platform admin, with `--reason`),
    never the password; a company they do not reach records nothing. A bad reason or a
    `--by` who is no platform admin is said in a line and changes nothing."""
    consultancy = await create_consultancy(system.pool, "Studio")
    tenants = [await create_tenant(system.pool, consultancy.id, n) for n in ("Uno", "Due")]
    elsewhere = await create_tenant(
        system.pool, (await create_consultancy(system.pool, "Altro")).id, "Tre"
    )
    tag = uuid.uuid4().hex[:6]
    email, old = f"smemorata-{tag}@esempio.example", "la vecchia password"
    member = await create_user(system.pool, email, "Smemorata", password=old)
    await add_membership(system.pool, tenants[0].id, member.id, "client_member")
    boss = await create_user(system.pool, f"capo-{tag}@esempio.example", "Capo", password=old)
    await add_consultancy_member(system.pool, consultancy.id, boss.id, "consultancy_admin")
    platform = await create_user(system.pool, f"ops-{tag}@okr.example", "Ops")
    await make_platform_admin(admin, platform.id)
    everywhere = [*tenants, elsewhere]
    heads = [await system.store.head(t.id) for t in everywhere]

    reset = ("users", "reset-password", "--password-stdin")
    given = "una scelta dall'operatore"
    for refused, said in (
        (("--email", email, "--reason", "   "), "okr: --reason must not be empty"),
        (("--email", email, "--by", boss.email), f"okr: --by: no platform admin signs in with"
                                                 f" {boss.email}"),
    ):  # fmt: skip
        answer = okr(admin_dsn, *reset, *refused, stdin=given + "\n")
        assert (answer.returncode, answer.stderr.strip()) == (1, said + ": nothing changed")
    assert [await system.store.head(t.id) for t in everywhere] == heads
    assert await authenticate_password(system.pool, email, old) is not None

    done = okr(admin_dsn, *reset, "--email", email, "--reason", "ticket 42", stdin=given + "\n")
    assert done.returncode == 0, done.stderr
    assert "recorded in the history of the company they reach" in done.stdout
    by_admin = okr(admin_dsn, *reset, "--email", boss.email, "--by", platform.email,
                   stdin=given + "\n")  # fmt: skip
    assert by_admin.returncode == 0, by_admin.stderr
    assert await authenticate_password(system.pool, boss.email, given) is not None

    async def resets(tenant_id: uuid.UUID) -> list[tuple[object, ...]]:
        found = await audit(system.repository, tenant_id, topic="okr.AccessChange.Created")
        assert all(given not in json.dumps(e.payload) for e in found)  # never the password
        return [
            (e.payload["subject"], e.payload["subject_id"], e.payload["after"], e.actor,
             e.payload["reason"])
            for e in found if e.payload["subject"] == "password"
        ]  # fmt: skip

    assert await resets(tenants[0].id) == [
        ("password", str(member.id), "reset", "system:operator", "ticket 42"),
        ("password", str(boss.id), "reset", f"user:{platform.id}", None),
    ]
    assert await resets(tenants[1].id) == [
        ("password", str(boss.id), "reset", f"user:{platform.id}", None)
    ]
    assert await system.store.head(elsewhere.id) == heads[2]


async def test_a_reset_of_someone_who_reaches_no_company_says_none_records_it(
    system: System, admin_dsn: str
) -> None:
    """A platform admin, or a consultancy's admin of no client yet, reaches no company: the
    reset was said "recorded in the history of the 0 companies they reach", which no
    history holds. It says now that none records it."""
    tag = uuid.uuid4().hex[:6]
    email = f"solo-{tag}@okr.example"
    await create_user(system.pool, email, "Solo", password="la vecchia password")
    done = okr(admin_dsn, "users", "reset-password", "--email", email)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == (
        "they reach no company: no company's history records it"
    )


async def test_progress_on_a_day_exactly_on_the_pace_says_so(
    system: System, admin_dsn: str
) -> None:
    """0 → 89 over Q1 2026 (89 days), 76 on 22 March (day 80): exactly 0.95 of the pace,
    on track that day and at risk the next, as the API says; the operator's tree said at
    risk on the day itself (0.95 of a rounded 80/89 came out a digit past p)."""
    consultancy = await create_consultancy(system.pool, "Studio")
    tenant = await create_tenant(system.pool, consultancy.id, "Acme Servizi")
    app, ctx = OKRApplication(system.repository), Context(tenant_id=tenant.id, actor="user:builder")
    cycle, objective, kr = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await app.cycles.create(
        ctx, name="Q1 2026", starts_on=date(2026, 1, 1), ends_on=date(2026, 3, 31), cycle_id=cycle
    )
    await app.cycles.activate(ctx, cycle)
    await app.objectives.create(
        ctx, cycle_id=cycle, title="Crescere", owner="marco", objective_id=objective
    )
    await app.key_results.create(
        ctx, objective_id=objective, title="Nuovi clienti", kind="increase", owner="marco",
        start=0, target=89, key_result_id=kr,
    )  # fmt: skip
    await app.key_results.record_check_in(ctx, kr, value=76, on=date(2026, 3, 1))
    await Projector(system.pool, system.repository, PROJECTIONS).catch_up(tenant.id)

    def status_on(day: str) -> list[str]:
        done = okr(admin_dsn, "progress", "--tenant", str(tenant.id), "--valid-at", day, "--json")
        assert done.returncode == 0, done.stderr
        tree = json.loads(done.stdout)
        return [k["status"] for c in tree["cycles"] for o in c["objectives"]
                for k in o["key_results"]]  # fmt: skip

    assert status_on("2026-03-22") == ["on_track"]
    assert status_on("2026-03-23") == ["at_risk"]


async def test_a_valid_at_still_to_come_for_the_tenant_is_refused(
    system: System, admin_dsn: str
) -> None:
    """--valid-at of the day after the tenant's today printed a tree of pace and staleness of
    a day still to come where its days begin (the day had begun somewhere, in UTC+14, as it
    always has for a tenant of UTC-11), where no value of its may be of it yet: it now exits
    1 saying so, as the API's valid_at answers 422; its today is taken, as before."""
    consultancy = await create_consultancy(system.pool, "Studio")
    tenant = await create_tenant(
        system.pool, consultancy.id, "Samoa Servizi", time_zone="Pacific/Pago_Pago"
    )
    its_today = datetime.now(ZoneInfo("Pacific/Pago_Pago")).date()
    asked = {
        day: okr(admin_dsn, "progress", "--tenant", str(tenant.id), "--valid-at", day.isoformat())
        for day in (its_today, its_today + timedelta(days=1))
    }
    assert [(done.returncode, done.stderr.strip()) for done in asked.values()] == [
        (0, ""),
        (1, f"okr: --valid-at {its_today + timedelta(days=1)} is a day still to come"),
    ]


def test_a_port_no_server_can_bind_is_refused_before_anything_starts() -> None:
    """`okr serve --port 99999` migrated the database, started the projector, then stopped
    on a traceback (OverflowError: bind(): port must be 0-65535)."""
    for port in ("99999", "0", "-1", "http"):
        refused = okr("postgresql://127.0.0.1:1/never_reached", "serve", "--port", port)
        assert refused.returncode == 2
        assert f"argument --port: expected a port (1 to 65535), not '{port}'" in refused.stderr
        assert "Traceback" not in refused.stderr


async def test_an_application_login_that_row_level_security_does_not_hold_is_refused(
    databases: DatabaseFactory,
) -> None:
    """OKR_APP_DATABASE_URL set to the admin's login (a superuser) was taken: `okr serve`
    answered as ever, every tenant table's row-level security, the second wall between
    tenants, passed over without a word. A login that is superuser or BYPASSRLS is now
    refused in a line naming the variable, and nothing is read."""
    dsn = await databases.create()
    assert okr(dsn, "migrate").returncode == 0
    refused = okr(dsn, "progress", "--tenant", "demo", env={"OKR_APP_DATABASE_URL": dsn})
    assert refused.returncode == 1
    user = urlsplit(dsn).username
    assert refused.stderr.strip() == (
        f"okr: OKR_APP_DATABASE_URL: its login {user!r} is a superuser or BYPASSRLS, which"
        " row-level security does not hold: give the application a login of its own, as"
        " the okr_app that okr migrate makes"
    )
    own = okr(dsn, "progress", "--tenant", "demo")  # okr_app, from DATABASE_URL
    assert own.returncode == 1 and "no tenant with id or slug 'demo'" in own.stderr


async def test_progress_as_of_before_a_rename_carries_the_name_of_then(
    system: System, admin_dsn: str
) -> None:
    """okr progress --as-of titled a past view with the tenant's name of now: a company
    renamed since ("Acme Servizi" → "Acme Italia") read as if it had had its new name
    then. A view of then carries the name of then (from its log's changes of settings),
    as the portal's tree of a day does; one of now, the name of now."""
    ids = (uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
    tenant = await a_key_result_checked_in_ten_days_ago(system, 7, ids)
    before_rename = datetime.now(UTC).isoformat()
    app, ctx = OKRApplication(system.repository), Context(tenant_id=tenant, actor="user:builder")
    await app.settings.change(ctx, name="Acme Italia")
    await Projector(system.pool, system.repository, PROJECTIONS).catch_up(tenant)

    def title(*args: str) -> str:
        done = okr(admin_dsn, "progress", "--tenant", str(tenant), *args)
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()[0].split(" — ")[0]

    assert title("--as-of", before_rename) == "Acme Servizi"
    assert title("--as-of-position", "1") == "Acme Servizi"
    assert title() == "Acme Italia"
    assert title("--as-of", datetime.now(UTC).isoformat()) == "Acme Italia"
    # one made through the API, its log begun with its settings: before anything, its
    # name is the one it was made with (that first change replaced none)
    consultancy = await create_consultancy(system.pool, "Studio")
    made, _ = await app.settings.create_tenant(consultancy.id, "Beta Servizi", "user:builder")
    ctx = Context(tenant_id=made.id, actor="user:builder")
    await app.settings.change(ctx, name="Beta Italia")
    tenant = made.id
    assert title("--as-of-position", "0") == "Beta Servizi"
    assert title("--as-of-position", "1") == "Beta Servizi"
    assert title() == "Beta Italia"


async def test_progress_as_of_before_a_cycle_was_made_says_so(
    system: System, admin_dsn: str
) -> None:
    """okr progress --as-of a point before a cycle was made, of that cycle, said "no cycle
    of the tenant as it stood then", as it said of a name no cycle ever had: it says the
    cycle was made after --as-of (the API's 404 not_yet), and of the other that the
    tenant has no such cycle, as okr diff --cycle says them."""
    ids = (uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
    tenant = str(await a_key_result_checked_in_ten_days_ago(system, 7, ids))
    then = ("progress", "--tenant", tenant, "--as-of", "2020-01-01")

    made_later = okr(admin_dsn, *then, "--cycle", "Trimestre")
    never = okr(admin_dsn, *then, "--cycle", "Semestre")

    assert (made_later.returncode, never.returncode) == (1, 1)
    assert made_later.stderr.strip() == (
        "okr: --cycle 'Trimestre' was made after --as-of: the tenant had no such cycle then"
    )
    assert never.stderr.strip() == "okr: --cycle 'Semestre' is no cycle of the tenant"


async def test_progress_and_diff_of_one_cycle_named_by_its_name(
    databases: DatabaseFactory,
) -> None:
    """The portal and the API show one cycle's tree and changes (?cycle=, ?cycle_id=);
    `okr progress` and `okr diff` printed every cycle, with no way to ask for one. With
    --cycle (its id, or its name as names are compared: in any case, spaces as one) they
    print that one, the diff the KPIs' changes too; a cycle the tenant lacks is refused."""
    dsn = await databases.create()
    assert okr(dsn, "demo").returncode == 0
    month_ago = (datetime.now(UTC) - timedelta(days=30)).isoformat()
    now = datetime.now(UTC).isoformat()
    every = json.loads(okr(dsn, "progress", "--tenant", "demo", "--json").stdout)["cycles"]
    assert len(every) == 2  # the fiscal year and its quarter
    named = " " + every[0]["name"].upper().replace(" ", "  ") + " "  # "FY 2026/27" its way
    tree = okr(dsn, "progress", "--tenant", "demo", "--cycle", named, "--json")
    assert tree.returncode == 0, tree.stderr
    cycles = json.loads(tree.stdout)["cycles"]
    assert [c["cycle_id"] for c in cycles] == [every[0]["cycle_id"]]
    changes = okr(dsn, "diff", "--tenant", "demo", "--from", month_ago, "--to", now,
                  "--cycle", cycles[0]["cycle_id"], "--json")  # fmt: skip
    assert changes.returncode == 0, changes.stderr
    said = json.loads(changes.stdout)
    kinds = {c["item_kind"] for c in said}
    assert {"cycle", "key_result", "kpi"} <= kinds
    assert {c["item_id"] for c in said if c["item_kind"] == "cycle"} == {cycles[0]["cycle_id"]}
    unknown = okr(dsn, "diff", "--tenant", "demo", "--from", month_ago, "--to", now,
                  "--cycle", "Q9 2099")  # fmt: skip
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == "okr: --cycle 'Q9 2099' is no cycle of the tenant"
    before_demo = okr(dsn, "diff", "--tenant", "demo", "--from", "2020-01-01", "--to",
                      "2020-02-01", "--cycle", cycles[0]["cycle_id"])  # fmt: skip
    assert before_demo.returncode == 1  # made after --to: said so, as the API's 404 says it
    assert before_demo.stderr.strip() == (
        f"okr: --cycle {cycles[0]['cycle_id']!r} was made after --to: the tenant had no such"
        " cycle by then"
    )


async def test_a_past_view_of_one_cycle_takes_the_name_it_has_now(
    system: System, admin_dsn: str
) -> None:
    """A cycle renamed since ("Trimestre" → "Trimestre 1") is the same cycle: asked by the
    name it has now, `okr progress --as-of` and `okr diff --to` before the rename refused it
    as "no cycle of the tenant as it stood then", though it was there under its old name;
    they show it now, as they do by its id (its old name still finds it too)."""
    ids = (uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
    tenant = await a_key_result_checked_in_ten_days_ago(system, 7, ids)
    before_rename = datetime.now(UTC).isoformat()
    app, ctx = OKRApplication(system.repository), Context(tenant_id=tenant, actor="user:builder")
    await app.cycles.rename(ctx, ids[0], name="Trimestre 1")
    await Projector(system.pool, system.repository, PROJECTIONS).catch_up(tenant)
    then = ("--tenant", str(tenant), "--as-of", before_rename, "--json")

    for name in ("Trimestre 1", "Trimestre"):
        shown = okr(admin_dsn, "progress", *then, "--cycle", name)
        assert shown.returncode == 0, shown.stderr
        assert [c["name"] for c in json.loads(shown.stdout)["cycles"]] == ["Trimestre"]
    changed = okr(admin_dsn, "diff", "--tenant", str(tenant), "--from", "2020-01-01",
                  "--to", before_rename, "--cycle", "Trimestre 1", "--json")  # fmt: skip
    assert changed.returncode == 0, changed.stderr
    assert {c["item_id"] for c in json.loads(changed.stdout) if c["item_kind"] == "cycle"} == {
        str(ids[0])
    }
    unknown = okr(admin_dsn, "progress", *then, "--cycle", "Trimestre 2")
    assert unknown.returncode == 1
    assert "no cycle of the tenant" in unknown.stderr
