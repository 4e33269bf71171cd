"""Who may reach a tenant: memberships, API keys and the tenant's status, changed in the
directory and recorded in the tenant's log, together.

Each command locks the tenant's row, changes the directory, and saves an AccessChange in the
same transaction: a refused change writes neither, and a tenant's access changes are logged
in the order they were made. A change to what already holds writes nothing. A consultancy
admin reaches every tenant of the consultancy: making one is recorded in each of them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import TypeVar
from uuid import UUID

import asyncpg

from domain import values
from domain.access import (
    API_KEY,
    MADE,
    MEMBER,
    PASSWORD,
    PASSWORD_LINK,
    RESET,
    TENANT,
    AccessChange,
)
from services import read
from services.app.base import Commands, Context
from services.store.repository import transaction
from tenants import api_keys, directory, memberships, password_links, users
from tenants import validation as valid
from tenants.db import admit_sql
from tenants.errors import LastAdminError, UnknownMembershipError, UnknownUserError
from tenants.models import (
    ApiKey,
    ConsultancyMember,
    CreatedApiKey,
    ErasedTenant,
    Membership,
    PasswordLink,
    Tenant,
)
from tenants.passwords import hash_password
from tenants.principal import Principal
from tenants.roles import CONSULTANCY_ROLES, Role

T = TypeVar("T")
Made = tuple[T, AccessChange | None]
"""What a change hands back, and the event it makes (None: nothing changed)."""
Change = Callable[[asyncpg.Connection, Tenant], Awaitable[Made[T]]]
Reach = tuple[T, Role | None, Role | None]
"""What a change of a consultancy role hands back, and the role before and after it."""
ConsultancyChange = Callable[[asyncpg.Connection, UUID], Awaitable[Reach[T]]]
"""A change of a user's consultancy role, given the transaction and the user's id."""
Account = Callable[[asyncpg.Connection], Awaitable[UUID]]
"""The id of a user found (or made) in a change's transaction."""
TenantEvent = Callable[
    [Context, Tenant, UUID, Role | None, Role | None, str | None], AccessChange | None
]
"""What a consultancy command records in one of its tenants, from the person's reach of it
before and after, and the author's reason (None: nothing)."""


def _reach_changed(
    ctx: Context,
    tenant: Tenant,
    user_id: UUID,
    was: Role | None,
    now: Role | None,
    reason: str | None,
) -> AccessChange | None:
    if was == now:
        return None
    return _event(ctx, tenant, MEMBER, user_id, was, now, reason=reason)


def _link_made(
    ctx: Context,
    tenant: Tenant,
    user_id: UUID,
    was: Role | None,
    now: Role | None,
    reason: str | None,
) -> AccessChange | None:
    return None if now is None else _event(ctx, tenant, PASSWORD_LINK, user_id, None, MADE)


class AccessCommands(Commands):
    """Commands on the people and keys that reach a tenant, and on its status."""

    async def invite(
        self,
        ctx: Context,
        email: str,
        display_name: str,
        role: Role | str,
        reason: str | None = None,
        *,
        inviter: UUID | None = None,
    ) -> tuple[Membership, int]:
        """Give a person (made without a password if new) a role in the tenant: the
        membership, and the log's position of the change. Each command of the tenant's own
        access records `reason`, the author's why, when given (a reason the event refuses
        undoes the change with it). An existing account is added only if `inviter` (None:
        an API key of the tenant) manages all it reaches (memberships.may_add_account).
        `reason` is checked first, as the consultancy's commands check theirs."""
        reason = values.optional_reason(reason)

        async def add(conn: asyncpg.Connection, tenant: Tenant) -> Made[Membership]:
            member = await memberships.invite_member(
                conn, ctx.tenant_id, email, display_name, role, inviter
            )
            return member, _event(
                ctx, tenant, MEMBER, member.user_id, None, member.role, reason=reason
            )

        return await self._in_transaction(ctx, add)

    async def change_role(
        self, ctx: Context, user_id: UUID, role: Role | str, reason: str | None = None
    ) -> tuple[Membership, int]:
        """Give a member another role (the same role: nothing is written, position 0);
        `reason` checked first, so a bad one is refused even where nothing would be."""
        reason = values.optional_reason(reason)

        async def change(conn: asyncpg.Connection, tenant: Tenant) -> Made[Membership]:
            before = await _member(conn, ctx.tenant_id, user_id)
            await memberships.may_manage_member(conn, ctx.actor, before)
            after = await memberships.change_role(conn, ctx.tenant_id, user_id, role)
            if before.role == after.role:
                return after, None
            await _not_stepping_down_last(conn, ctx, before)
            return after, _event(
                ctx, tenant, MEMBER, user_id, before.role, after.role, reason=reason
            )

        return await self._in_transaction(ctx, change)

    async def remove(self, ctx: Context, user_id: UUID, reason: str | None = None) -> int:
        """Take a member's role away: the log's position of the change."""

        async def take_away(conn: asyncpg.Connection, tenant: Tenant) -> Made[None]:
            before = await _member(conn, ctx.tenant_id, user_id)
            await memberships.may_manage_member(conn, ctx.actor, before)
            await _not_stepping_down_last(conn, ctx, before)
            await memberships.remove_membership(conn, ctx.tenant_id, user_id)
            return None, _event(ctx, tenant, MEMBER, user_id, before.role, None, reason=reason)

        return (await self._in_transaction(ctx, take_away))[1]

    async def create_key(
        self,
        ctx: Context,
        name: str,
        role: Role | str,
        created_by: UUID | None,
        reason: str | None = None,
    ) -> tuple[CreatedApiKey, int]:
        """A new API key (its plaintext only in the result), and the change's position."""

        async def make(conn: asyncpg.Connection, tenant: Tenant) -> Made[CreatedApiKey]:
            made = await api_keys.create_api_key(
                conn, ctx.tenant_id, name, role=role, created_by=created_by
            )
            key = made.key
            return made, _event(
                ctx, tenant, API_KEY, key.id, None, key.role, reason=reason, name=key.name
            )

        return await self._in_transaction(ctx, make)

    async def revoke_key(
        self, ctx: Context, key_id: UUID, reason: str | None = None
    ) -> tuple[ApiKey, int]:
        """Revoke a key (one revoked already: nothing is written, position 0)."""

        async def revoke(conn: asyncpg.Connection, tenant: Tenant) -> Made[ApiKey]:
            before = await api_keys.locked_api_key(conn, ctx.tenant_id, key_id)
            after = await api_keys.revoke_api_key(conn, ctx.tenant_id, key_id)
            if before.revoked_at is not None:
                return after, None
            return after, _event(
                ctx, tenant, API_KEY, key_id, after.role, None, reason=reason, name=after.name
            )

        return await self._in_transaction(ctx, revoke)

    async def make_password_link(
        self, ctx: Context, user_id: UUID, maker: Principal
    ) -> tuple[PasswordLink, int]:
        """A link with which a member without a password chooses one (see
        tenants.password_links), recorded in the log: its maker could have used it."""

        async def make(conn: asyncpg.Connection, tenant: Tenant) -> Made[PasswordLink]:
            await _member(conn, ctx.tenant_id, user_id)
            link = await password_links.make_password_link(conn, user_id, maker)
            return link, _event(ctx, tenant, PASSWORD_LINK, user_id, None, MADE)

        return await self._in_transaction(ctx, make)

    async def set_status(
        self, ctx: Context, *, suspended: bool, reason: str | None = None
    ) -> tuple[Tenant, int]:
        """Suspend the tenant (its members and keys lose access at once) or reactivate it."""

        async def turn(conn: asyncpg.Connection, tenant: Tenant) -> Made[Tenant]:
            to = directory.suspend_tenant if suspended else directory.reactivate_tenant
            after = await to(conn, ctx.tenant_id)
            if tenant.status == after.status:
                return after, None
            return after, _event(
                ctx, tenant, TENANT, tenant.id, tenant.status, after.status, reason=reason
            )

        return await self._in_transaction(ctx, turn)

    async def invite_consultancy_member(
        self,
        consultancy_id: UUID,
        email: str,
        display_name: str,
        role: Role | str,
        inviter: Principal,
        reason: str | None = None,
    ) -> ConsultancyMember:
        """Make the person with this email a consultancy admin or a consultant, an account
        without a password made if new, in the role's transaction: a refusal or a failure
        leaves no account behind (nor is one made for a role not of a consultancy). An
        account that exists is added only if `inviter` manages all it reaches, as in a
        tenant's invitation (memberships.may_add_account). `reason`, as a removal's (see
        remove_consultancy_member)."""
        valid.role(role, CONSULTANCY_ROLES)

        async def account(conn: asyncpg.Connection) -> UUID:
            user_id, made = await users.account_for(conn, email, display_name)
            if not made:
                await memberships.may_add_account(conn, user_id, inviter.id, None)
            return user_id

        return await self.add_consultancy_member(
            consultancy_id, account, role, inviter.actor, reason
        )

    async def add_consultancy_member(
        self,
        consultancy_id: UUID,
        user: UUID | Account,
        role: Role | str,
        actor: str,
        reason: str | None = None,
    ) -> ConsultancyMember:
        """Make the user a consultancy admin or a consultant (see _in_consultancy), with
        `reason` checked first, as a removal's: a bad one is refused even for a consultant,
        whose joining is written nowhere."""
        reason = values.optional_reason(reason)

        async def add(conn: asyncpg.Connection, user_id: UUID) -> Reach[ConsultancyMember]:
            member = await memberships.add_consultancy_member(conn, consultancy_id, user_id, role)
            return member, None, member.role

        return await self._in_consultancy(consultancy_id, user, actor, add, reason=reason)

    async def change_consultancy_role(
        self,
        consultancy_id: UUID,
        user_id: UUID,
        role: Role | str,
        actor: str,
        reason: str | None = None,
    ) -> ConsultancyMember:
        """Give a consultancy member the other consultancy role (never the last admin's).
        `reason`, as a removal's (see remove_consultancy_member): a bad one is refused even
        where the same role again changes nothing."""
        reason = values.optional_reason(reason)

        async def change(conn: asyncpg.Connection, _: UUID) -> Reach[ConsultancyMember]:
            before = await memberships.locked_consultancy_role(conn, consultancy_id, user_id)
            member = await memberships.change_consultancy_role(conn, consultancy_id, user_id, role)
            if before == Role.CONSULTANCY_ADMIN:
                await _an_admin_left(conn, consultancy_id, user_id)
            return member, before, member.role

        return await self._in_consultancy(consultancy_id, user_id, actor, change, reason=reason)

    async def remove_consultancy_member(
        self, consultancy_id: UUID, user_id: UUID, actor: str, reason: str | None = None
    ) -> None:
        """Take the user out of the consultancy (never its last admin): every role they
        hold in its clients ends with it (as consultant, or a client's admin, member or
        viewer they were made while of the consultancy: none outlives their leaving), and
        an admin's reach of every tenant ends. `reason`, the author's why when given, is
        recorded in each tenant whose reach it changes; checked first, so a bad one is
        refused where it would be recorded nowhere too."""
        reason = values.optional_reason(reason)

        async def remove(conn: asyncpg.Connection, _: UUID) -> Reach[None]:
            before = await memberships.locked_consultancy_role(conn, consultancy_id, user_id)
            await memberships.remove_consultancy_member(conn, consultancy_id, user_id)
            tenant_ids = await directory.consultancy_tenant_ids(conn, consultancy_id)
            await memberships.remove_memberships_in(conn, user_id, tenant_ids)
            if before == Role.CONSULTANCY_ADMIN:
                await _an_admin_left(conn, consultancy_id, user_id)
            return None, before, None

        await self._in_consultancy(consultancy_id, user_id, actor, remove, reason=reason)

    async def reset_password(
        self, user_id: UUID, password: str, actor: str, reason: str | None = None
    ) -> list[UUID]:
        """An operator's new password for a person who forgot theirs (checked by the
        caller; every session of theirs ends, see users.replace_password), recorded in the
        log of every tenant they reach, or would were it active (a change of their access:
        whoever reset it knew the password), with `reason` if given, never the password:
        the tenants recorded in. UnknownUserError for an account that is not, or is
        disabled; nothing changes then, nor for a bad reason."""
        reason = values.optional_reason(reason)
        pool = self.repository.store.pool
        tenant_ids = await memberships.reached_tenants(pool, user_id)
        hashed = await asyncio.to_thread(hash_password, password)  # before the tenants' locks
        positions: dict[UUID, int] = {}
        async with transaction(pool, admit_sql(tenant_ids)) as conn:
            tenants = await directory.locked_tenants(conn, tenant_ids)
            if await users.replace_hash(conn, user_id, hashed) is None:
                raise UnknownUserError(f"no enabled user {user_id}", field="user_id")
            for tenant in tenants:
                ctx = Context(tenant_id=tenant.id, actor=actor, grants=tuple(tenant_ids))
                reset = _event(ctx, tenant, PASSWORD, user_id, None, RESET, reason=reason)
                positions[tenant.id] = (await self.save(ctx, reset, conn=conn))[-1]
        for tenant_id, position in positions.items():
            self.repository.appended(tenant_id, position)
        return list(positions)

    async def erase_tenant(self, tenant_id: UUID, confirm: str, actor: str) -> ErasedTenant:
        """Erase a suspended tenant for good (directory.erase_tenant), with the accounts of
        everyone its log names who reaches nothing else, nor was reached by another tenant
        or a consultancy (migration 0026): a member removed before the erase is named only
        there (in payloads its key alone reads)."""
        store = self.repository.store
        head = await store.head(tenant_id)  # (the erase refuses if the log moves past it)
        named = _user_ids(await read.named_people(self.repository, tenant_id))
        erased = await directory.erase_tenant(store.pool, tenant_id, confirm, actor, named, head)
        self.repository.forget(tenant_id)
        return erased

    async def make_consultancy_password_link(
        self, consultancy_id: UUID, user_id: UUID, maker: Principal
    ) -> PasswordLink:
        """A password link for a member of the consultancy (see make_password_link),
        recorded in the log of every client they reach: its maker could use it there."""

        async def make(conn: asyncpg.Connection, _: UUID) -> Reach[PasswordLink]:
            role = await memberships.locked_consultancy_role(conn, consultancy_id, user_id)
            link = await password_links.make_password_link(conn, user_id, maker)
            return link, role, role

        return await self._in_consultancy(consultancy_id, user_id, maker.actor, make, _link_made)

    async def _in_consultancy(
        self,
        consultancy_id: UUID,
        user: UUID | Account,
        actor: str,
        change: ConsultancyChange[T],
        event_of: TenantEvent = _reach_changed,
        *,
        reason: str | None = None,
    ) -> T:
        """Run a change of the user's consultancy role, and record in each tenant of the
        consultancy whose reach by the user it changes an AccessChange (or what `event_of`
        makes of the reach before and after), with `reason`, in one transaction: an admin
        reaches every tenant; a consultant the tenants it is a member of, while it belongs
        to the consultancy. Tenants made meanwhile wait (directory.lock_consultancy). The user is
        an id, or the Account that finds or makes them in the transaction (an account made
        for a change that fails goes with it)."""
        positions: dict[UUID, int] = {}
        async with transaction(self.repository.store.pool, admit_sql([])) as conn:
            await directory.lock_consultancy(conn, consultancy_id, alone=True)
            tenant_ids = await directory.consultancy_tenant_ids(conn, consultancy_id)
            await conn.execute(admit_sql(tenant_ids))
            tenants = await directory.locked_tenants(conn, tenant_ids)
            user_id = user if isinstance(user, UUID) else await user(conn)
            held = await memberships.locked_roles(conn, user_id, tenant_ids)
            result, before, after = await change(conn, user_id)
            kept = await memberships.locked_roles(conn, user_id, tenant_ids)  # after it
            for tenant in tenants:  # each its own append: its log, its key
                was, now = _reach(before, held.get(tenant.id)), _reach(after, kept.get(tenant.id))
                ctx = Context(tenant_id=tenant.id, actor=actor, grants=tuple(tenant_ids))
                made = event_of(ctx, tenant, user_id, was, now, reason)
                if made is not None:
                    positions[tenant.id] = (await self.save(ctx, made, conn=conn))[-1]
        for tenant_id, position in positions.items():
            self.repository.appended(tenant_id, position)
        return result

    async def _in_transaction(self, ctx: Context, change: Change[T]) -> tuple[T, int]:
        """Run a change holding the tenant's row, and record the AccessChange it makes (if
        any) in the same transaction (Commands.recorded)."""

        async def locked(conn: asyncpg.Connection) -> Made[T]:
            return await change(conn, await directory.locked_tenant(conn, ctx.tenant_id))

        return await self.recorded(ctx, locked)


def _user_ids(named: list[str]) -> list[UUID]:
    """The users among actors ("user:<uuid>"; an import's "user:anna" is nobody's account)."""
    ids = []
    for actor in named:
        kind, _, raw = actor.partition(":")
        if kind == "user":
            with contextlib.suppress(ValueError):
                ids.append(UUID(raw))
    return ids


def _reach(consultancy_role: Role | None, membership: Role | None) -> Role | None:
    """How far a person reaches a tenant of a consultancy: as its admin, or by their
    membership of the tenant (a consultant's only while they belong to the consultancy)."""
    if consultancy_role == Role.CONSULTANCY_ADMIN:
        return consultancy_role
    if membership == Role.CONSULTANT and consultancy_role is None:
        return None
    return membership


async def _an_admin_left(conn: asyncpg.Connection, consultancy_id: UUID, leaving: UUID) -> None:
    """After an admin left (or was made a consultant): another admin is left, and, if the
    one leaving could sign in, another who can."""
    if not await memberships.consultancy_admins_left(conn, consultancy_id):
        raise LastAdminError(
            "the consultancy's last admin: make another one admin first", field="user_id"
        )
    if await memberships.can_sign_in(conn, leaving) and not (
        await memberships.consultancy_admins_left(conn, consultancy_id, signing_in=True)
    ):
        raise LastAdminError(
            "the consultancy's last admin who can sign in: make another one admin first (one"
            " added needs a password)",
            field="user_id",
        )


async def _not_stepping_down_last(
    conn: asyncpg.Connection, ctx: Context, before: Membership
) -> None:
    """A client admin may not give up their own role as the company's last client admin:
    nobody there could manage its people any more (its consultancy could, and may remove
    them). The tenant's row is held, so two admins stepping down at once are one after the
    other."""
    if before.role != Role.CLIENT_ADMIN or ctx.actor != f"user:{before.user_id}":
        return
    if not await memberships.client_admins_left(conn, ctx.tenant_id, but=before.user_id):
        raise LastAdminError(
            "you are the company's last client admin who can sign in: make another member"
            " client admin first (one invited needs a password), or ask its consultancy",
            field="user_id",
        )


async def _member(conn: asyncpg.Connection, tenant_id: UUID, user_id: UUID) -> Membership:
    found = await memberships.locked_membership(conn, tenant_id, user_id)
    if found is None:
        raise UnknownMembershipError("not a member of this tenant", field="user_id")
    return found


def _event(
    ctx: Context,
    tenant: Tenant,
    subject: str,
    subject_id: UUID,
    before: str | None,
    after: str | None,
    *,
    reason: str | None = None,
    name: str | None = None,
) -> AccessChange:
    return AccessChange.make(
        subject=subject, subject_id=subject_id, name=name, tenant=tenant.name,
        before=None if before is None else str(before),
        after=None if after is None else str(after), author=ctx.actor, reason=reason,
    )  # fmt: skip
