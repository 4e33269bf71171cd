"""A small world for API tests: two consultancies, each with a tenant of the same name whose
cycle, objective, key result, KPI, check-in and measurement have the same ids; in each, one
person per role and two API keys (one revoked). Tokens are minted, not signed in for."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import asyncpg

from services.app import Context, OKRApplication
from services.bootstrap import System
from services.settings import Settings
from tenants.api_keys import create_api_key, revoke_api_key
from tenants.directory import create_consultancy, create_tenant
from tenants.memberships import add_consultancy_member, add_membership
from tenants.models import Consultancy, Tenant
from tenants.roles import Role
from tenants.tokens import TokenSettings, issue_access_token
from tenants.users import create_user, make_platform_admin

TENANT_ROLES = ("client_admin", "client_member", "client_viewer")
TODAY = date(2027, 2, 15)


def an_email(who: str) -> str:
    return f"{who}.{uuid.uuid4().hex[:10]}@example.it"


def token_settings(settings: Settings) -> TokenSettings:
    assert settings.jwt_secret is not None
    return TokenSettings(secret=settings.jwt_secret)


@dataclass(frozen=True)
class SharedIds:
    """The same item ids in both tenants: only the tenant tells them apart."""

    cycle_id: uuid.UUID = field(default_factory=uuid.uuid4)
    objective_id: uuid.UUID = field(default_factory=uuid.uuid4)
    key_result_id: uuid.UUID = field(default_factory=uuid.uuid4)
    kpi_id: uuid.UUID = field(default_factory=uuid.uuid4)
    check_in_id: uuid.UUID = field(default_factory=uuid.uuid4)
    measurement_id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass
class Side:
    """One consultancy, its tenant, its people (token by role) and its API keys."""

    consultancy: Consultancy
    tenant: Tenant
    tokens: dict[str, str]
    user_ids: dict[str, uuid.UUID]
    live_key: str
    revoked_key: str
    revoked_key_id: uuid.UUID
    secret: str
    """A note only this tenant's data contains: it must never show up in the other's answers."""

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


@dataclass
class World:
    a: Side
    b: Side
    ids: SharedIds
    admin_token: str
    expired_token: str
    tokens: TokenSettings

    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_token}"}


async def a_person(system: System, tokens: TokenSettings, who: str) -> tuple[uuid.UUID, str]:
    user = await create_user(system.pool, an_email(who), who.title())
    return user.id, issue_access_token(tokens, user.id)


async def a_side(
    system: System, tokens: TokenSettings, ids: SharedIds, secret: str, value: str
) -> Side:
    pool = system.pool
    consultancy = await create_consultancy(pool, "Studio")
    tenant = await create_tenant(pool, consultancy.id, "Acme Servizi")
    user_ids, issued = {}, {}
    for role in ("consultancy_admin", "consultant"):
        user_ids[role], issued[role] = await a_person(system, tokens, role)
        await add_consultancy_member(pool, consultancy.id, user_ids[role], role)
    await add_membership(pool, tenant.id, user_ids["consultant"], Role.CONSULTANT)
    for role in TENANT_ROLES:
        user_ids[role], issued[role] = await a_person(system, tokens, role)
        await add_membership(pool, tenant.id, user_ids[role], role)
    live = await create_api_key(pool, tenant.id, "ERP sync")
    revoked = await create_api_key(pool, tenant.id, "old ERP sync")
    await revoke_api_key(pool, tenant.id, revoked.key.id)
    await a_plan(system, tenant.id, ids, secret, value)
    return Side(
        consultancy,
        tenant,
        issued,
        user_ids,
        live.plaintext,
        revoked.plaintext,
        revoked.key.id,
        secret,
    )


async def a_plan(
    system: System, tenant_id: uuid.UUID, ids: SharedIds, secret: str, value: str
) -> None:
    """Cycle, objective, a 24 h -> 19.2 h key result fed by a KPI, a check-in, a measurement."""
    app = OKRApplication(system.repository)
    ctx = Context(tenant_id=tenant_id, actor="user:builder")
    await app.cycles.create(
        ctx, name="Q1 2027", starts_on=date(2027, 1, 1), ends_on=date(2027, 3, 31),
        cycle_id=ids.cycle_id,
    )  # fmt: skip
    await app.cycles.activate(ctx, ids.cycle_id)
    await app.objectives.create(
        ctx, cycle_id=ids.cycle_id, title="Efficienza operativa", owner="user:builder",
        objective_id=ids.objective_id,
    )  # fmt: skip
    await app.kpis.create(
        ctx, name="Tempo medio di risposta", direction="lower_is_better", green=20, red=24,
        frequency_days=7, owner="user:builder", kpi_id=ids.kpi_id,
    )  # fmt: skip
    await app.key_results.create(
        ctx, objective_id=ids.objective_id, title="Tempo di risposta", kind="decrease",
        owner="user:builder", start=24, target=Decimal("19.2"), key_result_id=ids.key_result_id,
    )  # fmt: skip
    await app.key_results.record_check_in(
        ctx, ids.key_result_id, value=value, on=date(2027, 2, 1), confidence=7, note=secret,
        check_in_id=ids.check_in_id,
    )  # fmt: skip
    await app.kpis.record_measurement(
        ctx, ids.kpi_id, value=value, on=date(2027, 2, 1), note=secret,
        measurement_id=ids.measurement_id,
    )  # fmt: skip


async def build_world(system: System, admin_dsn: str, settings: Settings) -> World:
    tokens = token_settings(settings)
    ids = SharedIds()
    a = await a_side(system, tokens, ids, f"secret-a-{uuid.uuid4().hex[:8]}", "21")
    b = await a_side(system, tokens, ids, f"secret-b-{uuid.uuid4().hex[:8]}", "22")
    admin_id, admin_token = await a_person(system, tokens, "platform")
    conn = await asyncpg.connect(admin_dsn)
    try:
        await make_platform_admin(conn, admin_id)
    finally:
        await conn.close()
    past = datetime.now(UTC) - timedelta(hours=2)
    expired = issue_access_token(tokens, a.user_ids["client_admin"], now=past)
    return World(a, b, ids, admin_token, expired, tokens)
