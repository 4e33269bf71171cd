"""Who is behind an actor string ("user:<id>", "key:<id>"): names for owners and authors.

The people who may act in a tenant (its members and its consultancy's admins), those who
could once (its history's access lines name them: an owner who left keeps their name) and
its API keys are read together at most once a minute per tenant, and at once after a change
of them in this process (`forget`); another user who acted in
it (a platform admin) is looked up alone, again after a minute. An owner typed as another
tenant's user stays an id: a name is never told to a tenant that has no business with it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from uuid import UUID

import asyncpg

from services.db import tenant_transaction
from tenants.api_keys import list_api_keys
from tenants.errors import UnknownUserError
from tenants.memberships import consultancy_admins, list_members
from tenants.users import get_user

TTL_SECONDS = 60.0


_GIVEN_ACCESS = (
    "SELECT u.id, u.display_name FROM users u WHERE u.id IN ("
    " SELECT substr(h.params->>'member', 6)::uuid FROM rm_history h"
    " WHERE h.tenant_id = $1 AND h.item_kind = 'access' AND h.params->>'member' LIKE 'user:%')"
)
"""Everyone whose access to the tenant changed (its history's access lines name them): a
member who left still owns what they owned, by name."""


class Names(dict[str, str]):
    """Display names by actor, and which of them may act in the tenant now (`present`)."""

    def __init__(self, names: Mapping[str, str], present: frozenset[str] = frozenset()) -> None:
        super().__init__(names)
        self.present = present

    def people(self) -> list[tuple[str, str]]:
        """(actor, name) of the people who may act in the tenant now, by name: whom an
        objective, a key result or a KPI may be given to."""
        return sorted(
            ((a, name) for a, name in self.items() if a in self.present),
            key=lambda pair: (pair[1].casefold(), pair[0]),
        )

    def has_left(self, actor: str) -> bool:
        """Whether this is a person the tenant knew who may no longer act in it: an owner who
        left still owns what they owned, and a reader can tell."""
        return actor.startswith("user:") and actor in self and actor not in self.present


class People:
    """Display names by actor, cached per tenant for a minute."""

    def __init__(self, pool: asyncpg.Pool, ttl: float = TTL_SECONDS) -> None:
        self.pool = pool
        self.ttl = ttl
        self._tenants: dict[UUID, tuple[float, Names]] = {}
        self._unnamed_keys: dict[UUID, set[str]] = {}
        """Keys that acted in a tenant, looked up since its names were kept, and not its:
        not looked up again until they are kept anew."""
        self._users: dict[str, tuple[float, str | None]] = {}

    async def names(self, tenant_id: UUID, acted: Iterable[str] = ()) -> Names:
        """Names of the people who may act in the tenant (its members, its consultancy's
        admins) or could once, and of its keys, plus those of other users who `acted` in it
        (a platform admin): never of anyone else, whom a typed owner could name."""
        now = time.monotonic()
        cached = self._tenants.get(tenant_id)
        unnamed = self._unnamed_keys.setdefault(tenant_id, set())
        if cached is None or now - cached[0] > self.ttl:
            cached = None
            unnamed.clear()
        keys = {a for a in acted if a.startswith("key:")} - unnamed  # one made since?
        if cached is None or not keys <= cached[1].keys():
            cached = (now, await self._tenant_names(tenant_id))
            self._tenants[tenant_id] = cached
            unnamed |= keys - cached[1].keys()  # not the tenant's: not looked up again
        names = Names(cached[1], cached[1].present)
        for actor in set(acted) - names.keys():
            name = await self._user_name(actor, now)
            if name is not None:
                names[actor] = name
        return names

    def forget(self, tenant_id: UUID) -> None:
        """Drop the tenant's names (a change of its people or keys, an erased tenant): read
        again at once, so a person just invited is named, and offered as an owner."""
        self._tenants.pop(tenant_id, None)
        self._unnamed_keys.pop(tenant_id, None)

    def forget_every(self) -> None:
        """Drop every tenant's names (a change of a consultancy's people reaches its
        clients: a new admin is named in each)."""
        self._tenants.clear()
        self._unnamed_keys.clear()

    async def _tenant_names(self, tenant_id: UUID) -> Names:
        async with tenant_transaction(self.pool, [tenant_id]) as conn:
            rows = await conn.fetch(_GIVEN_ACCESS, tenant_id)
        names = {f"user:{r['id']}": r["display_name"] for r in rows}  # past people too
        present = set()
        for user_id, name in await consultancy_admins(self.pool, tenant_id):
            names[f"user:{user_id}"] = name
            present.add(f"user:{user_id}")
        for m in await list_members(self.pool, tenant_id):
            names[f"user:{m.user_id}"] = m.display_name
            present.add(f"user:{m.user_id}")
        for key in await list_api_keys(self.pool, tenant_id, include_revoked=True):
            names[f"key:{key.id}"] = key.name
        return Names(names, frozenset(present))

    async def _user_name(self, actor: str, now: float) -> str | None:
        kind, _, raw = actor.partition(":")
        if kind != "user":
            return None
        cached = self._users.get(actor)
        if cached is None or now - cached[0] > self.ttl:
            try:
                name: str | None = (await get_user(self.pool, UUID(raw))).display_name
            except (ValueError, UnknownUserError):
                name = None
            cached = self._users[actor] = (now, name)
        return cached[1]
