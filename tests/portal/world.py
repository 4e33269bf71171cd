"""The world of the browser tests: the demo tenant with its logins, plus three more tenants.

- "Officina Rossi": a second client of the demo's consultancy, served by the consultant Luca,
  with a history of its own on fixed days before today (the demo's depends on the calendar:
  its fiscal year starts in July, so in July it has hardly any history);
- "Studio Neri": a third client of the same consultancy that Luca is NOT assigned to;
- "Pasticceria Verdi": a client of another consultancy.

Idempotent: whatever exists already (if `okr serve` seeded the demo) is left alone.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg

from domain.values import Unit, UnitKind
from services import demo_data as d
from services.app import Context, OKRApplication
from services.bootstrap import System
from services.demo import load_demo, quarter_bounds
from services.projector.waiting import wait_for_position
from services.projector.worker import TENANT_LOCK_KEY
from tenants.directory import create_consultancy, create_tenant, get_consultancy, get_tenant
from tenants.errors import DuplicateMembershipError, UnknownConsultancyError, UnknownTenantError
from tenants.memberships import add_consultancy_member, add_membership
from tenants.users import create_user, find_user_by_email, make_platform_admin

OTHER_CONSULTANCY = d.demo_id("consultancy:other")


@dataclass(frozen=True)
class Client:
    """A client tenant the tests create."""

    id: UUID
    name: str
    slug: str
    colour: str
    consultancy: UUID


ROSSI = Client(d.demo_id("tenant:rossi"), "Officina Rossi S.r.l.", "officina-rossi", "#8b3a62",
               d.CONSULTANCY_ID)  # fmt: skip
NERI = Client(d.demo_id("tenant:neri"), "Studio Neri", "studio-neri", "#3f6212", d.CONSULTANCY_ID)
VERDI = Client(d.demo_id("tenant:verdi"), "Pasticceria Verdi", "pasticceria-verdi", "#b45309",
               OTHER_CONSULTANCY)  # fmt: skip
DEMO_ROLES = {"client_admin", "client_member", "client_viewer", "consultant"}


async def _consultancy(pool: asyncpg.Pool, consultancy_id: UUID, name: str) -> None:
    try:
        await get_consultancy(pool, consultancy_id)
    except UnknownConsultancyError:
        await create_consultancy(pool, name, consultancy_id=consultancy_id)


async def _tenant(pool: asyncpg.Pool, client: Client, *, month: int = 1) -> None:
    try:
        await get_tenant(pool, client.id)
    except UnknownTenantError:
        await create_tenant(
            pool, client.consultancy, client.name, slug=client.slug, colour=client.colour,
            fiscal_year_start_month=month, tenant_id=client.id,
        )  # fmt: skip


async def _role(pool: asyncpg.Pool, tenant_id: UUID, user_id: UUID, role: str) -> None:
    with contextlib.suppress(DuplicateMembershipError):
        await add_membership(pool, tenant_id, user_id, role)


async def _people(system: System, admin: asyncpg.Connection) -> None:
    pool = system.pool
    for person in d.PEOPLE:
        if await find_user_by_email(pool, person.email) is None:
            await create_user(pool, person.email, person.name, password=d.PASSWORD,
                              user_id=person.id)  # fmt: skip
    await make_platform_admin(admin, d.ADMIN.id)
    for person, role in ((d.PAOLA, "consultancy_admin"), (d.LUCA, "consultant")):
        with contextlib.suppress(DuplicateMembershipError):
            await add_consultancy_member(pool, d.CONSULTANCY_ID, person.id, role)
    for person in d.PEOPLE:
        if person.role in DEMO_ROLES:
            await _role(pool, d.TENANT_ID, person.id, person.role)
    await _role(pool, ROSSI.id, d.LUCA.id, "consultant")


ROSSI_KR = d.demo_id("kr:officina-rossi")
ROSSI_VALUES = ((90, 22), (60, 26), (30, 30), (7, 33))
"""(days ago, value) of Officina Rossi's check-ins: a history independent of the calendar."""
ROSSI_CORRECTION = (29, 30, 29, "conteggio doppio di un ordine annullato")
"""Days ago, the check-in (by its days ago) it corrects, the right value, and why."""
ROSSI_REVISION = (20, 45, "nuovo contratto quadro con il cliente principale")
"""Days ago, the new target, and why."""


def _at(today: date, days_ago: int, hour: int = 10) -> datetime:
    """An instant of a past day (recorded_at of an imported change)."""
    return datetime.combine(today - timedelta(days=days_ago), time(hour), tzinfo=UTC)


async def _rossi_history(system: System, today: date) -> None:
    """A year-long cycle begun 200 days ago, one key result, four weekly-ish check-ins, a
    correction and a target revision, each recorded on its own past day."""
    if await system.store.head(ROSSI.id) > 0:
        return
    app = OKRApplication(system.repository)
    cycle, objective = d.demo_id("cycle:officina-rossi"), d.demo_id("objective:officina-rossi")

    def ctx(days_ago: int, hour: int = 10) -> Context:
        return Context(ROSSI.id, d.LUCA.actor, imported_at=_at(today, days_ago, hour))

    start = today - timedelta(days=200)
    await app.cycles.create(
        ctx(200, 8), name="Anno di lavoro", starts_on=start, ends_on=start + timedelta(days=364),
        period="year", cycle_id=cycle,
    )  # fmt: skip
    await app.cycles.activate(ctx(200, 9), cycle)
    await app.objectives.create(
        ctx(200, 10), cycle_id=cycle, title="Più ordini dai clienti esistenti",
        owner=d.LUCA.actor, level="company", objective_id=objective,
    )  # fmt: skip
    await app.key_results.create(
        ctx(200, 11), objective_id=objective, title="Ordini ripetuti da 20 a 40",
        kind="increase", owner=d.LUCA.actor, start=20, target=40,
        unit=Unit(UnitKind.COUNT, None, "ordini"), key_result_id=ROSSI_KR, weight=2,
    )  # fmt: skip
    check_ins = {}
    for days_ago, value in ROSSI_VALUES:
        written = await app.key_results.record_check_in(
            ctx(days_ago), ROSSI_KR, value=Decimal(value), on=today - timedelta(days=days_ago),
            confidence=7, note=f"ordini contati il giorno {days_ago}",
        )  # fmt: skip
        check_ins[days_ago] = written.extra["check_in_id"]
        if days_ago == ROSSI_CORRECTION[0] + 1:
            when, which, right, reason = ROSSI_CORRECTION
            await app.key_results.correct_check_in(
                ctx(when), ROSSI_KR, check_in_id=check_ins[which], value=right, reason=reason
            )
        if days_ago == 30:
            when, target, reason = ROSSI_REVISION
            await app.key_results.revise_target(ctx(when), ROSSI_KR, target=target, reason=reason)


async def _small_okrs(system: System, client: Client, today: date) -> None:
    """One active quarter, one objective, one key result with a check-in or two."""
    if await system.store.head(client.id) > 0:
        return
    app = OKRApplication(system.repository)
    ctx = Context(client.id, d.LUCA.actor)
    start, end = quarter_bounds(today)
    cycle = d.demo_id(f"cycle:{client.slug}")
    objective = d.demo_id(f"objective:{client.slug}")
    kr = d.demo_id(f"kr:{client.slug}")
    await app.cycles.create(ctx, name=f"Q{(start.month - 1) // 3 + 1} {start.year}",
                            starts_on=start, ends_on=end, cycle_id=cycle)  # fmt: skip
    await app.cycles.activate(ctx, cycle)
    await app.objectives.create(ctx, cycle_id=cycle, title="Clienti più soddisfatti",
                                owner=d.LUCA.actor, objective_id=objective)  # fmt: skip
    await app.key_results.create(
        ctx, objective_id=objective, title="Reclami mensili da 12 a 4", kind="decrease",
        owner=d.LUCA.actor, start=12, target=4, unit=Unit(UnitKind.COUNT, None, "reclami"),
        key_result_id=kr,
    )  # fmt: skip
    await app.key_results.record_check_in(ctx, kr, value=Decimal(10), on=today, confidence=5)


NERI_CLOSED_KR = d.demo_id("kr:neri-closed")


async def _closed_quarter(system: System, client: Client, today: date) -> None:
    """The quarter before this one, closed: one key result at half its way, scored 0.5."""
    app = OKRApplication(system.repository)
    ctx = Context(client.id, d.LUCA.actor)
    start, end = quarter_bounds(quarter_bounds(today)[0] - timedelta(days=1))
    cycle = d.demo_id(f"cycle:{client.slug}:closed")
    objective = d.demo_id(f"objective:{client.slug}:closed")
    await app.cycles.create(ctx, name="Trimestre chiuso", starts_on=start, ends_on=end,
                            cycle_id=cycle)  # fmt: skip
    await app.cycles.activate(ctx, cycle)
    await app.objectives.create(ctx, cycle_id=cycle, title="Pratiche più veloci",
                                owner=d.LUCA.actor, objective_id=objective)  # fmt: skip
    await app.key_results.create(
        ctx, objective_id=objective, title="Pratiche chiuse da 0 a 10", kind="increase",
        owner=d.LUCA.actor, start=0, target=10, unit=Unit(UnitKind.COUNT, None, "pratiche"),
        key_result_id=NERI_CLOSED_KR,
    )  # fmt: skip
    await app.key_results.record_check_in(
        ctx, NERI_CLOSED_KR, value=Decimal(5), on=end, confidence=6
    )
    await app.cycles.close(ctx, cycle)


async def build_world(system: System, admin_dsn: str, today: date) -> dict[UUID, int]:
    """Everything the browser tests need; the log head of each tenant (to wait for)."""
    admin = await asyncpg.connect(admin_dsn)
    try:
        await _consultancy(system.pool, d.CONSULTANCY_ID, d.CONSULTANCY_NAME)
        await _consultancy(system.pool, OTHER_CONSULTANCY, "Altra Consulenza")
        demo = Client(d.TENANT_ID, d.TENANT_NAME, d.TENANT_SLUG, d.TENANT_COLOUR, d.CONSULTANCY_ID)
        await _tenant(system.pool, demo, month=d.FISCAL_YEAR_START_MONTH)
        for client in (ROSSI, NERI, VERDI):
            await _tenant(system.pool, client)
        await _people(system, admin)
    finally:
        await admin.close()
    await load_demo(system, today)
    await _rossi_history(system, today)
    closed = await system.store.head(NERI.id) == 0  # not yet: a world is built once
    for client in (NERI, VERDI):
        await _small_okrs(system, client, today)
    if closed:
        await _closed_quarter(system, NERI, today)
    return {t: await system.store.head(t) for t in (d.TENANT_ID, ROSSI.id, NERI.id, VERDI.id)}


async def a_company_of_its_own(
    system: System, role: str = "client_admin", *, month: int = 1
) -> tuple[Client, d.Person, OKRApplication, Context]:
    """A client company made for one test, in the other consultancy (so the portfolios
    other tests count stay as they are), its fiscal year from `month`, with one person of
    `role` named Luca Conti, and the application acting as them."""
    client = Client(uuid.uuid4(), "Forno Gialli", f"forno-{uuid.uuid4().hex[:6]}", "#a16207",
                    OTHER_CONSULTANCY)  # fmt: skip
    await _tenant(system.pool, client, month=month)
    person = d.Person(f"{client.slug}@gialli.example", "Luca Conti", role)
    await create_user(system.pool, person.email, person.name, password=d.PASSWORD,
                      user_id=person.id)  # fmt: skip
    await _role(system.pool, client.id, person.id, role)
    return client, person, OKRApplication(system.repository), Context(client.id, person.actor)


async def a_consultancy_of_its_own(system: System) -> tuple[UUID, d.Person]:
    """A consultancy with no client yet, and its admin (who signs in with the demo password):
    a test of its own clients and people leaves the portfolios other tests count as they are."""
    made = await create_consultancy(system.pool, f"Consulenze {uuid.uuid4().hex[:6]}")
    admin = d.Person(f"admin-{made.id.hex[:8]}@consulenze.example", "Irene Sala", "")
    await create_user(system.pool, admin.email, admin.name, password=d.PASSWORD,
                      user_id=admin.id)  # fmt: skip
    await add_consultancy_member(system.pool, made.id, admin.id, "consultancy_admin")
    return made.id, admin


async def a_client_of(system: System, consultancy: UUID, name: str) -> Client:
    """A client company of the consultancy (made in the directory, as the world's are)."""
    client = Client(uuid.uuid4(), name, f"cliente-{uuid.uuid4().hex[:6]}", "#0f766e", consultancy)
    await _tenant(system.pool, client)
    return client


async def a_colleague(system: System, client: Client, name: str, role: str) -> d.Person:
    """Another person of a company made by a_company_of_its_own, of `role` there (a
    consultant belongs to its consultancy too), who signs in with the demo password."""
    person = d.Person(f"{role}-{client.slug}@gialli.example", name, role)
    await create_user(system.pool, person.email, person.name, password=d.PASSWORD,
                      user_id=person.id)  # fmt: skip
    if role == "consultant":
        await add_consultancy_member(system.pool, client.consultancy, person.id, role)
    await _role(system.pool, client.id, person.id, role)
    return person


async def one_key_result(
    app: OKRApplication, ctx: Context, starts_on: date, days: int, title: str, **kr: Any
) -> tuple[UUID, UUID]:
    """An active cycle of `days` from `starts_on`, one objective (owned by Anna), and one key
    result of it (`kr`: kind, start, target...): the cycle's id and the key result's."""
    cycle = (await app.cycles.create(ctx, name="Ciclo", starts_on=starts_on,
                                     ends_on=starts_on + timedelta(days=days))).item_id  # fmt: skip
    await app.cycles.activate(ctx, cycle)
    goal = await app.objectives.create(ctx, cycle_id=cycle, title="Obiettivo", owner="Anna")
    made = await app.key_results.create(
        ctx,
        objective_id=goal.item_id,
        title=title,
        owner="Anna",
        **kr,
    )
    return cycle, made.item_id


@contextlib.asynccontextmanager
async def lagging(system: System, tenant_id: UUID) -> AsyncIterator[None]:
    """The tenant's views stand still (its projector lock held): its log moves on."""
    admin = await asyncpg.connect(system.admin_dsn)
    try:
        async with admin.transaction():
            await admin.execute(f"SELECT pg_advisory_xact_lock({TENANT_LOCK_KEY})", tenant_id)
            yield
    finally:
        await admin.close()


async def projected(system: System, tenant_id: UUID) -> None:
    """Every read model the portal reads (the history too) has reached the tenant's head."""
    head = await system.store.head(tenant_id)
    for projection in ("progress", "history"):
        assert await wait_for_position(
            system.pool, tenant_id, head, projection=projection, within=30
        )
