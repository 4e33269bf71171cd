"""Who may reach a tenant: memberships, API keys and the tenant's status, changed in the
directory and recorded in the tenant's log, together.

Each command locks what it changes, changes it, and saves an AccessChange in the same
transaction: a refused change writes neither, and changes of one member, key or tenant are
logged in the order they were made. A change to what already holds writes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar
from uuid import UUID

import asyncpg

from domain.access import API_KEY, MEMBER, TENANT, AccessChange
from services.app.base import Commands, Context
from tenants import api_keys, directory, memberships
from tenants.db import tenant_transaction
from tenants.errors import UnknownMembershipError
from tenants.models import ApiKey, CreatedApiKey, Membership, Tenant
from tenants.roles import Role

T = TypeVar("T")
Change = Callable[[asyncpg.Connection], Awaitable[tuple[T, AccessChange | None]]]


class AccessCommands(Commands):
    """Commands on the people and keys that reach a tenant, and on its status."""

    async def invite(
        self, ctx: Context, email: str, display_name: str, role: Role | str
    ) -> tuple[Membership, int]:
        """Give a person (made without a password if new) a role in the tenant: the
        membership, and the log's position of the change."""

        async def invite(conn: asyncpg.Connection) -> tuple[Membership, AccessChange]:
            member = await memberships.invite_member(conn, ctx.tenant_id, email, display_name, role)
            return member, _member_change(ctx, member, None, member.role)

        return await self._change(ctx, invite)

    async def change_role(
        self, ctx: Context, user_id: UUID, role: Role | str
    ) -> tuple[Membership, int]:
        """Give a member another role (the same role: nothing is written, position 0)."""

        async def change(conn: asyncpg.Connection) -> tuple[Membership, AccessChange | None]:
            before = await _member(conn, ctx.tenant_id, user_id)
            after = await memberships.change_role(conn, ctx.tenant_id, user_id, role)
            if before.role == after.role:
                return after, None
            return after, _member_change(ctx, after, before.role, after.role)

        return await self._change(ctx, change)

    async def remove(self, ctx: Context, user_id: UUID) -> int:
        """Take a member's role away: the log's position of the change."""

        async def remove(conn: asyncpg.Connection) -> tuple[None, AccessChange]:
            before = await _member(conn, ctx.tenant_id, user_id)
            await memberships.remove_membership(conn, ctx.tenant_id, user_id)
            return None, _member_change(ctx, before, before.role, None)

        return (await self._change(ctx, remove))[1]

    async def create_key(
        self, ctx: Context, name: str, role: Role | str, created_by: UUID | None
    ) -> tuple[CreatedApiKey, int]:
        """A new API key (its plaintext only in the result), and the change's position."""

        async def create(conn: asyncpg.Connection) -> tuple[CreatedApiKey, AccessChange]:
            made = await api_keys.create_api_key(
                conn, ctx.tenant_id, name, role=role, created_by=created_by
            )
            key = made.key
            return made, _change(ctx, API_KEY, key.id, key.name, None, key.role)

        return await self._change(ctx, create)

    async def revoke_key(self, ctx: Context, key_id: UUID) -> tuple[ApiKey, int]:
        """Revoke a key (one revoked already: nothing is written, position 0)."""

        async def revoke(conn: asyncpg.Connection) -> tuple[ApiKey, AccessChange | None]:
            before = await api_keys.locked_api_key(conn, ctx.tenant_id, key_id)
            after = await api_keys.revoke_api_key(conn, ctx.tenant_id, key_id)
            if before.revoked_at is not None:
                return after, None
            return after, _change(ctx, API_KEY, key_id, after.name, after.role, None)

        return await self._change(ctx, revoke)

    async def set_status(self, ctx: Context, *, suspended: bool) -> tuple[Tenant, int]:
        """Suspend the tenant (its members and keys lose access at once) or reactivate it."""

        async def set_status(conn: asyncpg.Connection) -> tuple[Tenant, AccessChange | None]:
            before = await directory.locked_tenant(conn, ctx.tenant_id)
            turn = directory.suspend_tenant if suspended else directory.reactivate_tenant
            after = await turn(conn, ctx.tenant_id)
            if before.status == after.status:
                return after, None
            return after, _change(ctx, TENANT, after.id, after.name, before.status, after.status)

        return await self._change(ctx, set_status)

    async def _change(self, ctx: Context, change: Change[T]) -> tuple[T, int]:
        """Run a change in a transaction that admits the tenant, and save the AccessChange
        it makes (if any) in it: what it returns and the change's position (0: none)."""
        store = self.repository.store
        async with tenant_transaction(store.pool, [ctx.tenant_id]) as conn:
            result, made = await change(conn)
            if made is None:
                return result, 0
            position = (await self.save(ctx, made, conn=conn))[-1]
        store.appended(ctx.tenant_id, position)
        return result, position


async def _member(conn: asyncpg.Connection, tenant_id: UUID, user_id: UUID) -> Membership:
    found = await memberships.locked_membership(conn, tenant_id, user_id)
    if found is None:
        raise UnknownMembershipError("not a member of this tenant", field="user_id")
    return found


def _member_change(
    ctx: Context, member: Membership, before: str | None, after: str | None
) -> AccessChange:
    return _change(ctx, MEMBER, member.user_id, member.display_name, before, after, member.email)


def _change(
    ctx: Context,
    subject: str,
    subject_id: UUID,
    name: str,
    before: str | None,
    after: str | None,
    email: str | None = None,
) -> AccessChange:
    return AccessChange.make(
        subject=subject, subject_id=subject_id, name=name, email=email,
        before=None if before is None else str(before),
        after=None if after is None else str(after), author=ctx.actor,
    )  # fmt: skip
