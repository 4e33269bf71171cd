"""Resolving a principal: exactly the tenants a user may act on, with its role in each."""

from __future__ import annotations

import asyncpg

from tenants.directory import create_tenant, suspend_tenant
from tenants.memberships import add_consultancy_member, add_membership, remove_consultancy_member
from tenants.roles import Permission, Role
from tenants.users import disable_user, make_platform_admin, resolve_user_principal
from tests.tenants.builders import a_consultancy, a_tenant, a_user


async def test_a_consultant_gets_exactly_its_two_client_tenants(pool: asyncpg.Pool) -> None:
    """A consultant serves several clients, and must see those and no other of the firm's."""
    firm = await a_consultancy(pool)
    acme, beta, gamma = [await a_tenant(pool, firm, n) for n in ("Acme", "Beta", "Gamma")]
    consultant = await a_user(pool, "carla")
    await add_consultancy_member(pool, firm.id, consultant.id, Role.CONSULTANT)
    await add_membership(pool, acme.id, consultant.id, Role.CONSULTANT)
    await add_membership(pool, beta.id, consultant.id, Role.CONSULTANT)

    principal = await resolve_user_principal(pool, consultant.id)
    assert principal is not None
    assert principal.grants == {acme.id: Role.CONSULTANT, beta.id: Role.CONSULTANT}
    assert principal.role_in(gamma.id) is None
    assert principal.consultancy_roles == {firm.id: Role.CONSULTANT}


async def test_a_consultancy_admin_gets_all_its_tenants_and_none_of_another(
    pool: asyncpg.Pool,
) -> None:
    """The firm's admin runs every client of the firm, and a rival firm's clients stay sealed."""
    firm, rival = await a_consultancy(pool), await a_consultancy(pool, "Rival Srl")
    ours = [await a_tenant(pool, firm, n) for n in ("Acme", "Beta", "Gamma")]
    theirs = await a_tenant(pool, rival, "Acme")
    admin = await a_user(pool, "dario")
    await add_consultancy_member(pool, firm.id, admin.id, Role.CONSULTANCY_ADMIN)
    await add_membership(pool, ours[0].id, admin.id, Role.CLIENT_VIEWER)  # weaker, ignored

    principal = await resolve_user_principal(pool, admin.id)
    assert principal is not None
    assert principal.grants == {t.id: Role.CONSULTANCY_ADMIN for t in ours}
    assert principal.role_in(theirs.id) is None
    assert principal.can_in_consultancy(firm.id, Permission.CREATE_TENANTS)
    assert not principal.can_in_consultancy(rival.id, Permission.CREATE_TENANTS)

    newer = await create_tenant(pool, firm.id, "Delta")
    again = await resolve_user_principal(pool, admin.id)
    assert again is not None and newer.id in again.tenant_ids


async def test_a_client_viewer_sees_its_one_tenant(pool: asyncpg.Pool) -> None:
    """A client user sees its own company only, read-only."""
    firm = await a_consultancy(pool)
    mine, neighbour = await a_tenant(pool, firm), await a_tenant(pool, firm, "Neighbour")
    viewer = await a_user(pool, "elena")
    await add_membership(pool, mine.id, viewer.id, "client_viewer")

    principal = await resolve_user_principal(pool, viewer.id)
    assert principal is not None
    assert principal.grants == {mine.id: Role.CLIENT_VIEWER}
    assert principal.can(mine.id, Permission.READ)
    assert not principal.can(mine.id, Permission.CHECK_IN)
    assert not principal.can(neighbour.id, Permission.READ)
    assert principal.consultancy_roles == {}


async def test_leaving_the_consultancy_ends_a_consultants_assignments(pool: asyncpg.Pool) -> None:
    """A consultant who leaves the firm loses its clients at once, not when someone tidies up."""
    firm = await a_consultancy(pool)
    client = await a_tenant(pool, firm)
    consultant = await a_user(pool, "fabio")
    await add_consultancy_member(pool, firm.id, consultant.id, Role.CONSULTANT)
    await add_membership(pool, client.id, consultant.id, Role.CONSULTANT)
    await remove_consultancy_member(pool, firm.id, consultant.id)

    principal = await resolve_user_principal(pool, consultant.id)
    assert principal is not None and principal.grants == {}


async def test_a_suspended_tenant_drops_from_members_but_not_from_its_admins(
    pool: asyncpg.Pool,
) -> None:
    """Suspension cuts the client off; the consultancy must still reach it to export or resume."""
    firm = await a_consultancy(pool)
    client = await a_tenant(pool, firm)
    member, admin = await a_user(pool, "gino"), await a_user(pool, "ilaria")
    await add_membership(pool, client.id, member.id, Role.CLIENT_MEMBER)
    await add_consultancy_member(pool, firm.id, admin.id, Role.CONSULTANCY_ADMIN)
    await suspend_tenant(pool, client.id)

    as_member = await resolve_user_principal(pool, member.id)
    as_admin = await resolve_user_principal(pool, admin.id)
    assert as_member is not None and client.id not in as_member.tenant_ids
    assert as_admin is not None and as_admin.role_in(client.id) == Role.CONSULTANCY_ADMIN


async def test_a_disabled_or_unknown_user_resolves_to_nobody(pool: asyncpg.Pool) -> None:
    """A disabled account holding a valid access token must be refused on its next request."""
    client = await a_tenant(pool)
    user = await a_user(pool, "luca")
    await add_membership(pool, client.id, user.id, Role.CLIENT_ADMIN)
    await disable_user(pool, user.id)
    assert await resolve_user_principal(pool, user.id) is None
    assert await resolve_user_principal(pool, client.id) is None  # not a user id at all


async def test_a_platform_admin_is_made_by_the_admin_login_and_reaches_any_tenant(
    pool: asyncpg.Pool, admin: asyncpg.Connection
) -> None:
    """Operators reach every tenant; only the migrating admin login can make one."""
    anywhere = await a_tenant(pool)
    operator = await a_user(pool, "marta")
    await make_platform_admin(admin, operator.id)

    principal = await resolve_user_principal(pool, operator.id)
    assert principal is not None and principal.is_platform_admin
    assert principal.grants == {}
    assert principal.role_in(anywhere.id) == Role.PLATFORM_ADMIN
    assert principal.can(anywhere.id, Permission.ERASE)
