"""Tenant settings: changed in the directory and recorded in the tenant's log, together."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import asyncpg

from domain.settings import SETTINGS, SettingsChange
from services.app.base import Commands, Context, Recorded
from tenants import directory
from tenants import validation as valid
from tenants.errors import DuplicateTenantIdError, EncryptionFixedError
from tenants.models import Tenant
from tenants.principal import Principal


def settings_of(tenant: Tenant) -> dict[str, Any]:
    """The settings a change records, as the directory has them."""
    return {name: getattr(tenant, name) for name in SETTINGS}


_FIXED = {
    False: "a tenant's events are encrypted only if it was made so (its log begun plain"
    " would stay readable without the key, and every process reading it would have to"
    " learn of the key at once): make a new tenant with encrypted true",
    True: "a tenant made encrypted stays so: its events are stored with its own key",
}


class SettingsCommands(Commands):
    """Commands on the tenant's own settings, and the making of a tenant with its first."""

    async def create_tenant(
        self, consultancy_id: UUID, name: str, actor: str, *, encrypted: bool = False, **given: Any
    ) -> tuple[Tenant, int]:
        """A new client tenant of the consultancy (see directory.create_tenant for `given`),
        made with its settings as the first event of its log: who made it, with what. The
        tenant, and the position of that event. `encrypted`: with a key of its own, stored
        in the same transaction, before that event (Repository.give_key): its whole log is
        stored encrypted."""
        new_id = given.pop("tenant_id", None) or uuid4()

        async def create(conn: asyncpg.Connection) -> Recorded[Tenant]:
            await directory.lock_consultancy(conn, consultancy_id, alone=False)
            await directory.refuse_taken_name(conn, consultancy_id, valid.name(name), but=new_id)
            self.repository.forget(new_id)  # mapped now as this transaction has it
            if encrypted and not await self.repository.give_key(conn, new_id):
                raise DuplicateTenantIdError(directory.ID_TAKEN, field="id")  # a log of it
            tenant = await directory.create_tenant(
                conn, consultancy_id, name, tenant_id=new_id, **given
            )
            return tenant, SettingsChange.make(before=None, after=settings_of(tenant), author=actor)

        return await self.recorded(Context(tenant_id=new_id, actor=actor), create)

    async def change(
        self,
        ctx: Context,
        *,
        reason: str | None = None,
        by: Principal | None = None,
        **given: Any,
    ) -> tuple[Tenant, int]:
        """Change the settings given (None: stays) in the directory and record the change,
        and why when `reason` says, in the tenant's log, in one transaction: the tenant
        after it, and the log's position of the change (0 when nothing changed: nothing is
        written). Bad values raise the directory's errors, naming the field, before
        anything is written. `encrypted` other than the tenant's is refused
        (EncryptionFixedError): it is chosen as the tenant is made. A new name is refused
        when another client that `by` reaches has it (None: any other client; see
        directory.refuse_taken_name)."""
        encrypted = given.pop("encrypted", None)
        changes = directory.checked_settings(**given)
        among = None if by is None or by.is_platform_admin else by.tenant_ids

        async def change(conn: asyncpg.Connection) -> Recorded[Tenant]:
            before, after = await directory.set_settings(
                conn, ctx.tenant_id, changes, names_among=among
            )
            if encrypted is not None and encrypted != before.encrypted:
                raise EncryptionFixedError(_FIXED[before.encrypted], field="encrypted")
            if before == after:
                return after, None
            return after, SettingsChange.make(
                before=settings_of(before), after=settings_of(after), author=ctx.actor,
                reason=reason,
            )  # fmt: skip

        return await self.recorded(ctx, change)
