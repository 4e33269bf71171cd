"""What each `okr` sub-command does (argument parsing lives in services/cli.py)."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import signal
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID

import asyncpg
import msgspec

from projections.codec import json_bytes
from services.bootstrap import System
from services.instants import (
    UTC_RANGE,
    BeyondUTCError,
    Edge,
    day,
    instant,
    not_after_now,
    still_to_come,
    today,
)
from services.runtime import admin_database, running_system
from services.settings import Settings
from services.tree_print import Measured, counted

if TYPE_CHECKING:
    from projections.progress_state import ProgressView
    from projections.timetravel import Change


async def migrate(args: argparse.Namespace, settings: Settings) -> int:
    from services.projector.registry import PROJECTIONS
    from services.projector.schema import ensure_tables
    from services.store.migrate import migrate as apply

    with admin_database(settings) as dsn:
        applied = await apply(dsn, settings.app_db_password)
        reset = await ensure_tables(dsn, PROJECTIONS)
    print("applied: " + (", ".join(applied) if applied else "nothing, already up to date"))
    if reset:
        print("read models (re)created: " + ", ".join(reset))
    return 0


async def demo(args: argparse.Namespace, settings: Settings) -> int:
    from services.demo import print_demo
    from services.demo_data import TENANT_ID
    from services.serve import ensure_demo

    with admin_database(settings) as dsn:
        async with running_system(settings, dsn) as system:
            loaded = await system.store.head(TENANT_ID) > 0
            await ensure_demo(system, platform_admin=False)
            if loaded:  # (said apart from the tree, which it prints all the same)
                print(
                    "okr demo: the demo tenant was loaded already: nothing changed", file=sys.stderr
                )
            await print_demo(system, TENANT_ID)
    return 0


async def bench(args: argparse.Namespace, settings: Settings) -> int:
    from services.bench import run_bench

    code: int = await run_bench(args, settings)
    return code


async def project(args: argparse.Namespace, settings: Settings) -> int:
    from services.logs import configure_logging
    from services.projector.worker import Projector

    configure_logging()  # JSON lines at INFO, as `okr serve` and its projector log
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    with admin_database(settings) as dsn:
        async with running_system(settings, dsn) as system:
            projector = Projector.configured(system.pool, system.repository, settings)
            await projector.run(system.app_dsn, stop)
    return 0


async def resolve_tenant(system: System, text: str) -> UUID:
    """A tenant id from an id, a slug, or 'demo' (operator convenience, read as admin). An
    id must be known: in the directory, or in the log (a tenant with events); 'demo' too
    (on a database without it, a verify found an "intact" chain of nothing). A slug is one
    consultancy's: one that clients of several have is refused, naming each one's id."""
    from services.demo_data import TENANT_ID

    try:
        tenant_id: UUID | None = TENANT_ID if text == "demo" else UUID(text)
    except ValueError:
        tenant_id = None
    conn = await asyncpg.connect(system.admin_dsn)
    try:
        if tenant_id is None:
            found = _one_of(text, await conn.fetch(_BY_SLUG, text))
        else:
            found = await conn.fetchval(
                "SELECT $1::uuid WHERE EXISTS (SELECT FROM tenants WHERE id = $1)"
                " OR EXISTS (SELECT FROM tenant_heads WHERE tenant_id = $1)",
                tenant_id,
            )
    finally:
        await conn.close()
    if found is None:
        raise SystemExit(f"okr: no tenant with id or slug {text!r}")
    return UUID(str(found))


_BY_SLUG = """
SELECT t.id, c.name FROM tenants t JOIN consultancies c ON c.id = t.consultancy_id
 WHERE t.slug = $1 ORDER BY c.name, t.id
"""


def _one_of(slug: str, rows: list[asyncpg.Record]) -> UUID | None:
    """The tenant of the slug (None: no tenant has it); several, of several consultancies
    (a slug is unique in one only): SystemExit naming them, never one of them at random."""
    if len(rows) > 1:
        each = "; ".join(f"{r['id']} ({r['name']})" for r in rows)
        raise SystemExit(
            f"okr: {len(rows)} tenants have the slug {slug!r}, each of another consultancy:"
            f" give the id of the one you mean: {each}"
        )
    return rows[0]["id"] if rows else None


async def projections(args: argparse.Namespace, settings: Settings) -> int:
    from services.projector import rebuild
    from services.projector.registry import by_name

    try:
        chosen = by_name(getattr(args, "projection", None))  # only rebuild chooses
    except ValueError as error:  # an unknown name: said before any server starts
        raise SystemExit(f"okr: {error}") from None
    unbounded = dataclasses.replace(settings, db_timeout_seconds=0)  # see README: a rebuild's
    # statements (a tenant's replay, a table's swap) take as long as the data asks; its
    # operator watches it and can stop it
    with admin_database(settings) as dsn:
        async with running_system(unbounded, dsn, migrate=args.action == "rebuild") as system:
            tenant = None if args.tenant is None else await resolve_tenant(system, args.tenant)
            if args.action == "rebuild":
                if tenant is None:
                    workers = args.workers or settings.rebuild_processes
                    try:
                        rebuilt = await rebuild.rebuild_all(
                            system, chosen, rebuild.progress_bar(), workers=workers
                        )
                    except rebuild.RebuildRunningError as error:
                        raise SystemExit(f"okr: {error}: wait for it to end") from None
                    except rebuild.RebuildOutdatedError as error:
                        raise SystemExit(f"okr: {error}: run it with that version") from None
                    events, behind = rebuilt.events, rebuilt.left_behind
                else:
                    try:
                        events = await rebuild.rebuild_tenant(
                            system.pool, system.repository, chosen, tenant
                        )
                    except rebuild.UnfoldableLogError as error:
                        raise SystemExit(
                            f"okr: {error}; its read models are as they were"
                        ) from None
                    behind = {}
                names = ", ".join(p.name for p in chosen)
                print(f"\nrebuilt {names}: {counted(events, 'event')} replayed")
                for tenant_id, why in behind.items():
                    print(f"okr: tenant {tenant_id} left behind: {why}", file=sys.stderr)
                return 1 if behind else 0
            if tenant is None:
                verified = await rebuild.verify_all(system.pool, system.repository, chosen)
            else:
                try:
                    found = await rebuild.verify_tenant(
                        system.pool, system.repository, chosen, tenant
                    )
                except rebuild.UnfoldableLogError as error:
                    raise SystemExit(f"okr: {error}") from None
                verified = rebuild.Verified(found)
            differences = verified.differences
            for d in differences[:50]:
                side = ""
                if (d.live is None) != (d.rebuilt is None):
                    side = " (rebuilt only)" if d.live is None else " (live only)"
                print(f"DIFF tenant {d.tenant_id} {d.table} key {_key(d.key)}{side}")
                for column, live, rebuilt in d.changed:
                    print(f"    {column}: live {_said(live)} → rebuilt {_said(rebuilt)}")
            if len(differences) > 50:
                print(f"... and {len(differences) - 50} more")
            for tenant_id, why in verified.unverifiable.items():
                print(f"UNVERIFIED tenant {tenant_id}: {why}")
            unverified = len(verified.unverifiable)
            print(
                f"verify: {counted(len(differences), 'differing row')}"
                + (f", {counted(unverified, 'tenant')} not verified" if unverified else "")
            )
            return 1 if differences or unverified else 0


SAID_CHARACTERS = 300


def _said(value: object) -> str:
    """A differing value for a person: its repr, cut short past SAID_CHARACTERS."""
    text = repr(value)
    return text if len(text) <= SAID_CHARACTERS else text[: SAID_CHARACTERS - 1] + "…"


def _key(key: tuple[object, ...]) -> str:
    return ", ".join(str(part) for part in key) or "(the tenant's one row)"


def parse_instant(text: str, edge: Edge = "last", zone: tzinfo = UTC) -> datetime:
    """An ISO 8601 instant; a bare date means the end of that day (in the tenant's `zone`:
    `edge`, see services.instants); naive means UTC."""
    try:
        return instant(text, edge, zone)
    except BeyondUTCError:
        raise SystemExit(f"okr: {text!r} is not an instant {UTC_RANGE}") from None
    except ValueError:
        raise SystemExit(f"okr: {text!r} is not an ISO 8601 date or instant") from None


async def progress(args: argparse.Namespace, settings: Settings) -> int:
    from projections.progress_tree import DEFAULT_CADENCE_DAYS
    from services.app.base import tenant_zone
    from services.read import name_as_of, progress_as_of, progress_tree
    from services.tree_print import render
    from tenants.directory import get_tenant
    from tenants.errors import UnknownTenantError

    valid_at = None if args.valid_at is None else parse_day(args.valid_at, "--valid-at")
    if args.as_of is not None and args.as_of_position is not None:
        raise SystemExit("okr: give --as-of or --as-of-position, not both")
    at = None if args.as_of is None else parse_instant(args.as_of)  # (refused early if bad)
    with admin_database(settings) as dsn:
        async with running_system(settings, dsn, migrate=False) as system:
            tenant = await resolve_tenant(system, args.tenant)
            zone = await tenant_zone(system.pool, tenant)
            if valid_at is not None and valid_at > today(zone):  # (no value is of it: the API's)
                raise SystemExit(f"okr: --valid-at {valid_at} is a day still to come")
            asked = None if args.as_of is None else parse_instant(args.as_of, zone=zone)
            at = None if asked is None else not_after_now(asked)
            try:
                known = await get_tenant(system.pool, tenant)
                title, cadence = known.name, known.check_in_cadence_days
            except UnknownTenantError:  # a tenant only the log knows
                title, cadence = str(tenant), DEFAULT_CADENCE_DAYS
            if args.as_of_position is not None:
                end = await system.store.head(tenant)
                if args.as_of_position > end:
                    raise SystemExit(
                        f"okr: --as-of-position {args.as_of_position} is past the tenant's log,"
                        f" which ends at position {end}"
                    )
            head: int | None = None  # a tree folded from the log itself stands where it says
            if at is not None or args.as_of_position is not None:
                tree = await progress_as_of(
                    system.repository, tenant, recorded_at=at, position=args.as_of_position,
                    valid_at=valid_at, cadence_days=cadence, zone=zone,
                )  # fmt: skip
                # titled with the name of then (it was the current one, renamed or not)
                title = await name_as_of(system.repository, tenant, tree.position) or title
            else:
                tree = await progress_tree(
                    system.pool, tenant, today=today(zone), valid_at=valid_at,
                    cadence_days=cadence,
                )  # fmt: skip
                head = await system.store.head(tenant)
            named = [(c.cycle_id, c.name) for c in tree.cycles]
            wanted = set() if args.cycle is None else await _cycles_named(
                system, tenant, args.cycle, named
            )  # fmt: skip
    if args.cycle is not None:
        cycles = [c for c in tree.cycles if c.cycle_id in wanted]
        if not cycles:  # made since (a name of now found it), or never: as the API's 404
            point = "--as-of" if args.as_of is not None else "--as-of-position"
            raise SystemExit(
                f"okr: --cycle {args.cycle!r} was made after {point}: the tenant had no such"
                " cycle then"
                if wanted
                else f"okr: --cycle {args.cycle!r} is no cycle of the tenant"
            )
        tree = msgspec.structs.replace(tree, cycles=cycles)
    if args.json:
        sys.stdout.write(json_bytes(tree).decode() + "\n")
    else:
        print(render(tree, title, at, head))
    if asked is not None and at is not None and at < asked:  # as okr diff's --to says it
        note = f"NOTE: --as-of {args.as_of} is still to come: read as now, {at.isoformat()}"
        print(note, file=sys.stderr if args.json else sys.stdout)  # (stdout: the JSON alone)
    return 0


async def _cycles_named(
    system: System, tenant: UUID, asked: str, then: Iterable[tuple[UUID, str]]
) -> set[UUID]:
    """The cycles --cycle names: by the names they had in the view asked for (`then`, ids and
    names), else by the names they have now, from the log (one renamed since is the same
    cycle: a past view refused the name it has now)."""
    from services.read import state_as_of

    found = {cycle_id for cycle_id, name in then if _named(cycle_id, name, asked)}
    if found:
        return found
    now = await state_as_of(system.repository, tenant)
    return {c.cycle_id for c in now.cycles.values() if _named(c.cycle_id, c.name, asked)}


def _named(cycle_id: UUID, name: str, asked: str) -> bool:
    """Whether `asked` (--cycle) names this cycle: its id, or its name as a cycle's name is
    compared (trimmed, in any case, runs of spaces as one: two cycles never share one)."""
    from domain.cycle import name_key

    return asked.strip().lower() == str(cycle_id) or name_key(asked) == name_key(name)


def parse_day(text: str, option: str) -> date:
    """A business date, YYYY-MM-DD of the years business dates are of (as the API takes
    valid_at), or exit naming the option."""
    from domain.values import FIRST_DAY, LAST_DAY

    try:
        given = day(text)
    except ValueError:
        raise SystemExit(f"okr: {option} takes a date (YYYY-MM-DD), not {text!r}") from None
    if not FIRST_DAY <= given <= LAST_DAY:
        raise SystemExit(f"okr: {option} must be a day from {FIRST_DAY} to {LAST_DAY}")
    return given


def _in_order(since: str, until: str, zone: tzinfo) -> tuple[datetime, datetime]:
    """--from and --to (their days in `zone`, the tenant's), or exit if --from is after --to
    (as the API refuses it)."""
    first, last = parse_instant(since, "first", zone), parse_instant(until, zone=zone)
    if first > last:
        raise SystemExit(f"okr: --from ({since}) must not be after --to ({until})")
    return parse_instant(since, "before", zone), last


def _a_day(text: str) -> bool:
    """Whether --from or --to is a bare date (its instants are its day's in a zone)."""
    try:
        day(text)
    except ValueError:
        return False
    return True


async def diff(args: argparse.Namespace, settings: Settings) -> int:
    from projections.timetravel import diff as diff_states
    from services.app.base import tenant_zone
    from services.read import state_as_of
    from services.read.people import People

    if _a_day(args.since) == _a_day(args.until):  # their order is no zone's: refused
        _in_order(args.since, args.until, UTC)  # before the database opens
    else:  # a day and an instant: ordered once the tenant's zone is known (bad ones now)
        parse_instant(args.since), parse_instant(args.until)
    with admin_database(settings) as dsn:
        async with running_system(settings, dsn, migrate=False) as system:
            tenant = await resolve_tenant(system, args.tenant)
            zone = await tenant_zone(system.pool, tenant)
            typed = _in_order(args.since, args.until, zone)
            if still_to_come(typed[0]):  # (as the API's diff and the portal's refuse it)
                raise SystemExit(
                    f"okr: --from {args.since} is still to come: nothing is known of it yet,"
                    " so nothing can have changed since (a --to still to come is read as now)"
                )
            since, until = typed[0], not_after_now(typed[1])
            states = [  # read once: the changes, and the titles of parents they name
                await state_as_of(system.repository, tenant, recorded_at=instant)
                for instant in (since, until)
            ]
            names = await People(system.pool).names(tenant)  # owners, as the portal says them
            by_to = [(c.cycle_id, c.name) for c in states[1].cycles.values()]
            wanted = set() if args.cycle is None else await _cycles_named(
                system, tenant, args.cycle, by_to
            )  # fmt: skip
    cycle_id = None
    if args.cycle is not None:
        asked = [c for c, _ in by_to if c in wanted]  # (one there by --to)
        if not asked:  # as the API's 404 and the portal say it: made later, or never
            raise SystemExit(
                f"okr: --cycle {args.cycle!r} was made after --to: the tenant had no such"
                " cycle by then"
                if wanted
                else f"okr: --cycle {args.cycle!r} is no cycle of the tenant"
            )
        cycle_id = asked[0]
    changes = diff_states(
        *states, today_from=since.date(), today_to=until.date(), cycle_id=cycle_id
    )
    if args.json:
        sys.stdout.write(json_bytes(changes).decode() + "\n")
        return 0
    titles = _objective_titles(reversed(states))
    units = _units(reversed(states))
    shown = [
        (c, line) for c in changes if (line := _diff_line(c, titles, names, units)) is not None
    ]
    for _, line in shown:
        print(line)
    changed = sum(c.before != c.after for c, _ in shown)  # not how an item stood: unchanged
    print(f"{counted(changed, 'change')} between {_span(args, typed, (since, until), zone)}")
    return 0


def _span(
    args: argparse.Namespace,
    asked: tuple[datetime, datetime],
    read: tuple[datetime, datetime],
    zone: tzinfo,
) -> str:
    """The span a diff read, as its footer says it: a day given as "the start of" (--from)
    or "the end of" (--to) it, in the tenant's zone, named; an instant, or a day's end not
    come yet (read as now), as the instant read. --from 2026-10-15 was said
    "2026-10-14T23:59:59.999999+02:00", an instant the operator never typed."""
    sides = []
    for given, edge, wanted, at in zip(
        (args.since, args.until), ("start", "end"), asked, read, strict=True
    ):
        sides.append(f"the {edge} of {given}" if _a_day(given) and at == wanted else at.isoformat())
    days = any(side.startswith("the ") for side in sides)
    return f"{sides[0]} and {sides[1]}" + (f" ({zone})" if days else "")


def _diff_line(
    change: Change,
    titles: Mapping[str, str],
    names: Mapping[str, str],
    units: Mapping[UUID, Measured],
) -> str | None:
    """A change as one line of `okr diff`; None for one that does not show (progress
    -40 % to -20 %: 0 % both). An earlier day's value revised names its day; a field of an
    item archived or restored that stayed as it was (said for the roll-ups: before equal
    to after) reads "(unchanged)". A measured value is in its unit, as `okr progress`
    writes it (EUR 48,500, 62.8 %, 21.2 h)."""
    places = _score_places(change)
    unit = units.get(change.item_id) if change.field in MEASURED_FIELDS else None
    before = _shown(change.field, change.before, titles, names, places, unit)
    after = _shown(change.field, change.after, titles, names, places, unit)
    if change.before == change.after:
        said = f"{before} (unchanged)"
    elif before == after:
        return None
    else:
        said = f"{before} → {after}"
    field = change.field
    if change.valid_on is not None:
        field = f"{field} of {change.valid_on.isoformat()}"
    return f"{change.item_kind:<10} {change.title[:50]:<50} {field:<16} {said}"


def _objective_titles(states: Iterable[ProgressView]) -> dict[str, str]:
    """Objectives' titles by id as text, as they stood in the states (the first given
    wins): a re-parenting names the parents, not their ids."""
    titles: dict[str, str] = {}
    for state in states:
        for objective_id, objective in state.objectives.items():
            titles.setdefault(str(objective_id), objective.title)
    return titles


MEASURED_FIELDS = frozenset({"value", "start", "target", "green", "red"})
"""Fields of a key result's or KPI's Change that are measured in its unit."""


def _units(states: Iterable[ProgressView]) -> dict[UUID, Measured]:
    """Key results and KPIs by id, as they stood in the states (the first given wins): what
    each one's values are measured in (a unit never changes)."""
    units: dict[UUID, Measured] = {}
    for state in states:
        for items in (state.key_results, state.kpis):
            for item_id, item in items.items():
                units.setdefault(item_id, item)
    return units


def _score_places(change: Change) -> int:
    """The places a change of score is said to: those that tell its before and after apart
    (0.669 → 0.661, as the history and the portal say it; domain.progress.score_places)."""
    from domain.progress import score_places

    if change.field != "score":
        return 2
    return score_places(*(Decimal(side) for side in (change.before, change.after) if side))


def _shown(
    field: str,
    value: str | None,
    titles: Mapping[str, str],
    names: Mapping[str, str],
    places: int = 2,
    unit: Measured | None = None,
) -> str:
    """One side of a change as the tree shows it: progress as a percentage, a score to two
    places, a parent by its title, an owner by name (one typed as text as written), a value
    in its `unit`, a status in the tree's words ("OFF TRACK", "at risk"), a dash for none
    or an empty text, a description taken away (--json keeps the exact text)."""
    from domain.progress import over_achievement, shown_progress
    from projections.history_text import said_person
    from projections.timetravel import PROGRESS_FIELDS
    from services.tree_print import STATUS, amount, percent, score

    if unit is not None and value is not None:
        return amount(Decimal(value), unit)
    if field == "status" and value is not None:
        return STATUS.get(value, value)
    if field == "parent_id" and value is not None and value in titles:
        return f"'{titles[value]}'"
    if field == "owner" and value is not None:
        return said_person(value, names)
    if field in PROGRESS_FIELDS and value is not None:  # 0 to 100 %, the excess apart
        raw = Decimal(value)
        over = over_achievement(raw)
        shown = percent(shown_progress(raw))
        return f"{shown} (+{percent(over)} over)" if over else shown
    if field == "score" and value is not None:
        return score(Decimal(value), None, places)
    return "—" if value is None or value == "" else value


async def audit(args: argparse.Namespace, settings: Settings) -> int:
    from services.store.chain import verify_chain

    with admin_database(settings) as dsn:
        async with running_system(settings, dsn, migrate=False) as system:
            tenant = await resolve_tenant(system, args.tenant)
            report = await verify_chain(system.pool, tenant)
    if report.ok:
        print(
            f"chain intact: {counted(report.checked, 'event')},"
            f" head at position {report.head_position}"
        )
        return 0
    print(f"chain BROKEN at position {report.first_bad_position}: {report.problem}")
    return 1


TEMPORARY_PASSWORD_BYTES = 15
"""A made password: 20 URL-safe characters, 120 random bits."""


async def users(args: argparse.Namespace, settings: Settings) -> int:
    """`okr users reset-password`: a person who forgot their password gets a new one from
    an operator (there is no mail to send a link with), who hands it over; every session
    and token of theirs ends, and they change it at /account. Its link-bound scope, if
    any, stays (migration 0018). The reset is recorded in the log of every company they
    reach (who reset it: `--by`'s platform admin, else an operator; why, with `--reason`),
    never the password."""
    import getpass
    import secrets

    from domain.access import OPERATOR
    from domain.errors import DomainError
    from domain.values import optional_reason
    from services.app.access import AccessCommands
    from tenants.errors import TenancyError
    from tenants.ratelimit import LoginRateLimiter
    from tenants.users import find_user_by_email
    from tenants.validation import password as valid_password

    made = not args.password_stdin
    if made:
        given = secrets.token_urlsafe(TEMPORARY_PASSWORD_BYTES)
    elif sys.stdin.isatty():  # typed: not shown on the screen
        given = getpass.getpass("new password: ")
    else:
        given = sys.stdin.readline()
    try:
        chosen = valid_password(given.removesuffix("\n").removesuffix("\r"))  # a line of a file
    except TenancyError as error:  # (only a password given can be: the option that gave it)
        raise SystemExit(f"okr: --password-stdin: {error.message}: nothing changed") from None
    try:
        reason = optional_reason(args.reason)
    except DomainError as error:
        raise SystemExit(f"okr: --{error.message}: nothing changed") from None
    with admin_database(settings) as dsn:
        async with running_system(settings, dsn, migrate=False) as system:
            try:
                person = await find_user_by_email(system.pool, args.email)
            except TenancyError as error:
                raise SystemExit(f"okr: --email: {error.message}: nothing changed") from None
            if person is None:
                raise SystemExit(f"okr: no account signs in with {args.email}: nothing changed")
            if person.disabled_at is not None:
                raise SystemExit(f"okr: the account of {person.email} is disabled: nothing changed")
            actor = OPERATOR if args.by is None else await _platform_admin(system, args.by)
            access = AccessCommands(system.repository)
            recorded = await access.reset_password(person.id, chosen, actor, reason)
            await LoginRateLimiter(system.pool).forgive(person.email)  # may sign in at once
    said = f"is now: {chosen}" if made else "is the one given"
    print(f"the password of {person.email} {said}")
    print("every session and token of theirs ended; they change it at /account")
    print(_recorded_in(len(recorded)))
    return 0


async def tenants(args: argparse.Namespace, settings: Settings) -> int:
    """`okr tenants create`: a client tenant of a consultancy, made as the API makes one
    (its log begins with who made it, with which settings: `--by`'s platform admin, else an
    operator); with `--encrypted`, its events stored encrypted with a key of its own, for
    good (services.app.settings). A refusal names the option at fault; nothing is made."""
    from domain.access import OPERATOR
    from domain.errors import DomainError
    from services.app.settings import SettingsCommands
    from tenants.directory import get_consultancy
    from tenants.errors import TenancyError

    with admin_database(settings) as dsn:
        async with running_system(settings, dsn, migrate=False) as system:
            actor = OPERATOR if args.by is None else await _platform_admin(system, args.by)
            try:
                consultancy = await get_consultancy(system.pool, args.consultancy)
                tenant, _ = await SettingsCommands(system.repository).create_tenant(
                    consultancy.id, args.name, actor, slug=args.slug, locale=args.locale,
                    time_zone=args.time_zone, encrypted=args.encrypted,
                )  # fmt: skip
            except (TenancyError, DomainError) as error:
                option = _OPTIONS.get(error.field or "", "")
                said = f"--{option}: {error.message}" if option else error.message
                raise SystemExit(f"okr: {said}: nothing changed") from None
    print(f"made {tenant.name!r} ({tenant.slug}), a client of {consultancy.name!r}: {tenant.id}")
    print(
        "its events are stored encrypted, with a key of its own"
        if tenant.encrypted
        else "its events are stored unencrypted (--encrypted: with a key of its own)"
    )
    return 0


_OPTIONS = {"consultancy_id": "consultancy", "name": "name", "slug": "slug", "locale": "locale",
            "time_zone": "time-zone"}  # fmt: skip
"""The option of `okr tenants create` that gave what a refusal names."""


def _recorded_in(companies: int) -> str:
    """Where a reset went: a person who reaches no company (a platform admin, a
    consultancy's admin of no client yet) was told it was "recorded in the history of the
    0 companies they reach", of a reset no history holds."""
    if companies == 0:
        return "they reach no company: no company's history records it"
    said = "the company" if companies == 1 else f"the {companies} companies"
    return f"recorded in the history of {said} they reach"


async def _platform_admin(system: System, email: str) -> str:
    """The actor of the enabled platform admin who signs in with `email` (`--by`)."""
    from tenants.errors import TenancyError
    from tenants.users import find_user_by_email

    try:
        admin = await find_user_by_email(system.pool, email)
    except TenancyError as error:
        raise SystemExit(f"okr: --by: {error.message}: nothing changed") from None
    if admin is None or not admin.is_platform_admin or admin.disabled_at is not None:
        raise SystemExit(f"okr: --by: no platform admin signs in with {email}: nothing changed")
    return f"user:{admin.id}"
