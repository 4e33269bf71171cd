"""Who is behind an actor string ("user:<id>", "key:<id>"): names for owners and authors.

A tenant's members and API keys are read together at most once a minute per tenant; people
reaching a tenant through their consultancy (not members) are looked up once each and kept.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from uuid import UUID

import asyncpg

from tenants.api_keys import list_api_keys
from tenants.errors import UnknownUserError
from tenants.memberships import list_members
from tenants.users import get_user

TTL_SECONDS = 60.0


class People:
    """Display names by actor, cached per tenant for a minute."""

    def __init__(self, pool: asyncpg.Pool, ttl: float = TTL_SECONDS) -> None:
        self.pool = pool
        self.ttl = ttl
        self._tenants: dict[UUID, tuple[float, dict[str, str]]] = {}
        self._users: dict[str, str] = {}

    async def names(self, tenant_id: UUID, wanted: Iterable[str] = ()) -> dict[str, str]:
        """Names of the tenant's members and keys, plus any other ``wanted`` user actor."""
        now = time.monotonic()
        cached = self._tenants.get(tenant_id)
        if cached is None or now - cached[0] > self.ttl:
            cached = (now, await self._tenant_names(tenant_id))
            self._tenants[tenant_id] = cached
        names = dict(cached[1])
        for actor in set(wanted) - names.keys():
            name = await self._user_name(actor)
            if name is not None:
                names[actor] = name
        return names

    async def _tenant_names(self, tenant_id: UUID) -> dict[str, str]:
        members = await list_members(self.pool, tenant_id)
        names = {f"user:{m.user_id}": m.display_name for m in members}
        for key in await list_api_keys(self.pool, tenant_id, include_revoked=True):
            names[f"key:{key.id}"] = key.name
        return names

    async def _user_name(self, actor: str) -> str | None:
        kind, _, raw = actor.partition(":")
        if kind != "user":
            return None
        if actor not in self._users:
            try:
                self._users[actor] = (await get_user(self.pool, UUID(raw))).display_name
            except (ValueError, UnknownUserError):
                return None
        return self._users[actor]
