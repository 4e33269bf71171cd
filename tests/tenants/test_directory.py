"""Consultancies, tenants and memberships: the lifecycle a consultancy admin drives."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from tenants.auth import authenticate_bearer, sign_in
from tenants.db import tenant_transaction
from tenants.directory import (
    checked_settings,
    create_tenant,
    get_tenant,
    list_consultancy_tenants,
    reactivate_tenant,
    set_settings,
    suspend_tenant,
)
from tenants.errors import (
    AccountBeyondReachError,
    DuplicateMembershipError,
    DuplicateSlugError,
    InvalidCredentialsError,
    InvalidTokenError,
    NotConsultancyMemberError,
    UnknownConsultancyError,
    UnknownMembershipError,
    UnknownTenantError,
    UnknownUserError,
)
from tenants.memberships import (
    add_consultancy_member,
    add_membership,
    change_role,
    invite_member,
    list_members,
    remove_membership,
)
from tenants.models import TenantStatus
from tenants.ratelimit import LoginRateLimiter
from tenants.roles import Permission, Role
from tenants.tokens import TokenSettings
from tenants.users import (
    authenticate_password,
    make_platform_admin,
    resolve_user_principal,
    set_password,
)
from tests.tenants.builders import PASSWORD, a_consultancy, a_tenant, a_user, an_email, an_ip

SETTINGS = TokenSettings(secret="d" * 48)


async def test_a_new_tenant_gets_defaults_and_a_slug_from_its_name(pool: asyncpg.Pool) -> None:
    """An Italian SME is onboarded with one call: sensible defaults, a URL-safe slug."""
    firm = await a_consultancy(pool)
    tenant = await create_tenant(pool, firm.id, "Officina Bianchi S.r.l.")
    assert (tenant.slug, tenant.status, tenant.locale) == (
        "officina-bianchi-s-r-l", TenantStatus.ACTIVE, "it",
    )  # fmt: skip
    assert (tenant.fiscal_year_start_month, tenant.check_in_cadence_days) == (1, 7)
    assert await get_tenant(pool, tenant.id) == tenant


async def test_slugs_are_unique_within_a_consultancy_only(pool: asyncpg.Pool) -> None:
    """Two firms may both have an 'acme' client; one firm cannot have two: a slug given
    that another client has is refused naming `slug`, one made from the name is the next
    free one, as the portal makes it."""
    firm, rival = await a_consultancy(pool), await a_consultancy(pool)
    await create_tenant(pool, firm.id, "Acme")
    assert (await create_tenant(pool, rival.id, "Acme")).slug == "acme"
    assert (await create_tenant(pool, firm.id, "ACME")).slug == "acme-2"
    with pytest.raises(DuplicateSlugError) as refused:
        await create_tenant(pool, firm.id, "Acme Italia", slug="acme-2")
    assert refused.value.field == "slug"


async def test_a_name_whose_fifty_slugs_are_taken_is_refused_naming_it(
    pool: asyncpg.Pool,
) -> None:
    """The caller sent no slug: the refusal names the name, the field they can change."""
    firm = await a_consultancy(pool)
    for n in range(1, 51):
        await create_tenant(pool, firm.id, "Acme", slug="acme" if n == 1 else f"acme-{n}")
    with pytest.raises(DuplicateSlugError) as refused:
        await create_tenant(pool, firm.id, "Acme")
    assert refused.value.field == "name"


async def test_unknown_consultancy_or_tenant_is_named(pool: asyncpg.Pool) -> None:
    """A wrong id must say which id, never write a dangling row."""
    with pytest.raises(UnknownConsultancyError):
        await create_tenant(pool, uuid.uuid4(), "Orphan")
    with pytest.raises(UnknownTenantError):
        await get_tenant(pool, uuid.uuid4())
    with pytest.raises(UnknownTenantError):
        await suspend_tenant(pool, uuid.uuid4())


async def test_settings_change_and_suspension_round_trip(pool: asyncpg.Pool) -> None:
    """A consultancy adapts a client's fiscal year and cadence, and can pause and resume it."""
    tenant = await a_tenant(pool)
    settings = checked_settings(colour="#FF8800", fiscal_year_start_month=4, locale="en-GB")
    async with tenant_transaction(pool, [tenant.id]) as conn:
        before, changed = await set_settings(conn, tenant.id, settings)
    assert before == tenant
    assert await get_tenant(pool, tenant.id) == changed
    assert (changed.colour, changed.fiscal_year_start_month, changed.locale) == (
        "#ff8800", 4, "en-GB",
    )  # fmt: skip
    assert (changed.name, changed.slug) == (tenant.name, tenant.slug)
    assert (await suspend_tenant(pool, tenant.id)).status == TenantStatus.SUSPENDED
    assert (await reactivate_tenant(pool, tenant.id)).status == TenantStatus.ACTIVE


async def test_a_consultancy_lists_its_own_tenants_only(pool: asyncpg.Pool) -> None:
    """The portfolio view shows the firm's clients, oldest first, and nobody else's."""
    firm, rival = await a_consultancy(pool), await a_consultancy(pool)
    ours = [await a_tenant(pool, firm, n) for n in ("Acme", "Beta")]
    await a_tenant(pool, rival, "Acme")
    assert [t.id for t in await list_consultancy_tenants(pool, firm.id)] == [t.id for t in ours]
    assert await list_consultancy_tenants(pool, uuid.uuid4()) == []


async def test_membership_lifecycle(pool: asyncpg.Pool) -> None:
    """Add, promote, list and remove a member: each step is visible on the next request."""
    tenant, user = await a_tenant(pool), await a_user(pool)
    added = await add_membership(pool, tenant.id, user.id, Role.CLIENT_MEMBER)
    assert (added.role, added.email) == (Role.CLIENT_MEMBER, user.email)
    with pytest.raises(DuplicateMembershipError):
        await add_membership(pool, tenant.id, user.id, Role.CLIENT_VIEWER)

    promoted = await change_role(pool, tenant.id, user.id, Role.CLIENT_ADMIN)
    assert promoted.role == Role.CLIENT_ADMIN
    assert [m.role for m in await list_members(pool, tenant.id)] == [Role.CLIENT_ADMIN]
    principal = await resolve_user_principal(pool, user.id)
    assert principal is not None and principal.can(tenant.id, Permission.MANAGE_USERS)

    await remove_membership(pool, tenant.id, user.id)
    assert await list_members(pool, tenant.id) == []
    with pytest.raises(UnknownMembershipError):
        await remove_membership(pool, tenant.id, user.id)
    with pytest.raises(UnknownMembershipError):
        await change_role(pool, tenant.id, user.id, Role.CLIENT_VIEWER)


async def test_membership_to_unknown_user_or_tenant_is_named(pool: asyncpg.Pool) -> None:
    """A stale id from the UI must be reported, not half-written."""
    tenant, user = await a_tenant(pool), await a_user(pool)
    with pytest.raises(UnknownUserError):
        await add_membership(pool, tenant.id, uuid.uuid4(), Role.CLIENT_VIEWER)
    with pytest.raises(UnknownTenantError):
        await add_membership(pool, uuid.uuid4(), user.id, Role.CLIENT_VIEWER)


async def test_only_the_firms_own_consultants_can_be_assigned(pool: asyncpg.Pool) -> None:
    """A rival firm's consultant must not be slipped into a client as 'consultant'."""
    firm, rival = await a_consultancy(pool), await a_consultancy(pool)
    client = await a_tenant(pool, firm)
    outsider = await a_user(pool, "otto")
    await add_consultancy_member(pool, rival.id, outsider.id, Role.CONSULTANT)
    with pytest.raises(NotConsultancyMemberError):
        await add_membership(pool, client.id, outsider.id, Role.CONSULTANT)
    assert await list_members(pool, client.id) == []


async def test_an_invited_person_has_no_password_until_it_sets_one(pool: asyncpg.Pool) -> None:
    """An invitation creates the account, but nobody can sign in to it before its owner does."""
    firm = await a_consultancy(pool)  # its admin manages both tenants: the account too
    tenant, second = await a_tenant(pool, firm), await a_tenant(pool, firm, "Beta Srl")
    email = an_email("paola")
    invited = await invite_member(pool, tenant.id, email, "Paola", Role.CLIENT_MEMBER)
    assert invited.email == email
    assert await authenticate_password(pool, email, "") is None
    await set_password(pool, invited.user_id, PASSWORD)
    user = await authenticate_password(pool, email.upper(), PASSWORD)
    assert user is not None and user.id == invited.user_id
    boss = await a_user(pool, "boss")
    await add_consultancy_member(pool, firm.id, boss.id, Role.CONSULTANCY_ADMIN)
    again = await invite_member(pool, second.id, email, "Someone else", "client_viewer", boss.id)
    assert (again.user_id, again.display_name) == (invited.user_id, "Paola")


async def test_an_account_is_added_only_by_who_manages_all_it_reaches(
    pool: asyncpg.Pool, admin: asyncpg.Connection
) -> None:
    """An email is one account across the platform: inviting one that exists gave its owner
    a role unasked and told the inviter its name and whether it had a password. Another
    client's admin (or an API key, inviter None) is refused, naming the email, the same way
    whatever the account reaches, and nothing is added; an account that reaches nothing (a
    person removed) is added again where it was (an API key of its tenant), not by another
    client's admin; any, by a platform admin."""
    firm = await a_consultancy(pool)
    home, other = await a_tenant(pool, firm), await a_tenant(pool, firm, "Beta Srl")
    anna, email = await a_user(pool, "anna"), an_email("giulia")
    await add_membership(pool, other.id, anna.id, Role.CLIENT_ADMIN)
    giulia = await invite_member(pool, home.id, email, "Giulia", Role.CLIENT_ADMIN)
    await set_password(pool, giulia.user_id, PASSWORD)
    for inviter in (anna.id, None):
        with pytest.raises(AccountBeyondReachError) as refused:
            await invite_member(pool, other.id, email, "Giulia?", "client_viewer", inviter)
        assert (refused.value.field, refused.value.rule) == ("email", "beyond")
        assert "Giulia" not in str(refused.value)
    assert [m.user_id for m in await list_members(pool, other.id)] == [anna.id]
    await remove_membership(pool, home.id, giulia.user_id)
    with pytest.raises(AccountBeyondReachError):
        await invite_member(pool, other.id, email, "G", Role.CLIENT_ADMIN, anna.id)
    back = await invite_member(pool, home.id, email, "G", Role.CLIENT_ADMIN, None)
    assert back.user_id == giulia.user_id
    root = await a_user(pool, "root")
    await make_platform_admin(admin, root.id)
    added = await invite_member(pool, other.id, email, "G", "client_viewer", root.id)
    assert added.user_id == giulia.user_id


async def test_sign_in_gives_a_token_that_resolves_to_the_principal(pool: asyncpg.Pool) -> None:
    """The whole path a person takes: password, token pair, then grants on each request."""
    tenant = await a_tenant(pool)
    user = await a_user(pool, "rita", password=PASSWORD)
    await add_membership(pool, tenant.id, user.id, Role.CLIENT_MEMBER)
    limiter = LoginRateLimiter(pool)

    pair = await sign_in(pool, limiter, SETTINGS, user.email, PASSWORD, an_ip())
    principal = await authenticate_bearer(pool, SETTINGS, pair.access_token)
    assert (principal.actor, principal.grants) == (
        f"user:{user.id}",
        {tenant.id: Role.CLIENT_MEMBER},
    )

    with pytest.raises(InvalidCredentialsError):
        await sign_in(pool, limiter, SETTINGS, user.email, "not the password", an_ip())
    with pytest.raises(InvalidTokenError):
        await authenticate_bearer(pool, SETTINGS, "okr_000000000000_nope")
    with pytest.raises(InvalidTokenError):
        await authenticate_bearer(pool, SETTINGS, pair.access_token + "x")
