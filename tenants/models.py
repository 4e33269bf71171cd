"""What the tenancy layer hands back: plain immutable records, ready for the API as JSON."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec

from tenants.roles import Role

T = TypeVar("T", bound=msgspec.Struct)


class TenantStatus(StrEnum):
    """Suspended: its members and keys lose access; its consultancy admins keep it."""

    ACTIVE = "active"
    SUSPENDED = "suspended"


class ErasedTenant(msgspec.Struct, frozen=True, kw_only=True):
    """What is left of an erased tenant: which it was, who erased it and when, and where its
    log stood (its events and the hash of the last: the proof of what was erased)."""

    tenant_id: UUID
    consultancy_id: UUID
    name: str
    slug: str
    erased_by: str
    erased_at: datetime
    events: int
    head_hash: str
    """Hex."""
    people: int
    """Accounts erased with it: its people who reached nothing else."""


class Consultancy(msgspec.Struct, frozen=True, kw_only=True):
    """A consultancy that runs OKRs for its client tenants."""

    id: UUID
    name: str
    created_at: datetime


class Tenant(msgspec.Struct, frozen=True, kw_only=True):
    """One client company: its own log, its own data, its settings."""

    id: UUID
    consultancy_id: UUID
    name: str
    slug: str
    colour: str
    status: TenantStatus
    fiscal_year_start_month: int
    check_in_cadence_days: int
    locale: str
    time_zone: str
    """Where its days begin and end (an IANA name): its "today", the day a date stands
    for, the times its portal shows. Instants stay UTC."""
    created_at: datetime
    encrypted: bool = False
    """Whether its log's events are stored encrypted with an AES key of its own (chosen
    when it was made, for good; its erasure shreds the key). The key is never shown."""

    @property
    def zone(self) -> ZoneInfo:
        """The time zone as zoneinfo's."""
        return ZoneInfo(self.time_zone)


class User(msgspec.Struct, frozen=True, kw_only=True):
    """A person who signs in (never carries the password hash)."""

    id: UUID
    email: str
    display_name: str
    is_platform_admin: bool
    created_at: datetime
    disabled_at: datetime | None = None


class ConsultancyMember(msgspec.Struct, frozen=True, kw_only=True):
    """A user's role in a consultancy."""

    consultancy_id: UUID
    user_id: UUID
    role: Role
    created_at: datetime
    has_password: bool
    """Whether the person can sign in (see Membership.has_password)."""
    password_link_expires_at: datetime | None = None
    """Until when the link made for them works (None: no link pending)."""


class ConsultancyPerson(msgspec.Struct, frozen=True, kw_only=True):
    """A consultancy member with who they are (as a Membership is for a tenant)."""

    consultancy_id: UUID
    user_id: UUID
    role: Role
    email: str
    display_name: str
    created_at: datetime
    has_password: bool
    password_link_expires_at: datetime | None = None


class Membership(msgspec.Struct, frozen=True, kw_only=True):
    """A user's role in one tenant, with who the user is."""

    tenant_id: UUID
    user_id: UUID
    role: Role
    email: str
    display_name: str
    created_at: datetime
    has_password: bool
    """Whether the person can sign in: an invited account has no password until its owner
    chooses one with a password link."""
    password_link_expires_at: datetime | None = None
    """Until when the link made for them works (None: no link pending)."""
    of_consultancy: bool = False
    """Whether the person belongs to the tenant's consultancy (its consultant, or one of its
    people given a client role here): its admins alone change or end their role here."""


class ApiKey(msgspec.Struct, frozen=True, kw_only=True):
    """An integration's key, as listed: never its secret."""

    tenant_id: UUID
    id: UUID
    name: str
    prefix: str
    role: Role
    created_by: UUID | None
    created_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    created_by_name: str | None = None
    """The name of the person who made it (None: none recorded, or their account erased)."""
    creator_active: bool = True
    """Whether the person who made it still manages this tenant's API keys (its client
    admin, an admin of its consultancy, a platform admin, with an enabled account). A key
    is the tenant's and keeps working when they leave; false says that someone who no
    longer has that right saw its secret: revoke it and make another."""


class CreatedApiKey(msgspec.Struct, frozen=True, kw_only=True):
    """A key just created: ``plaintext`` is shown this once and stored nowhere."""

    key: ApiKey
    plaintext: str


class PasswordLink(msgspec.Struct, frozen=True, kw_only=True):
    """A one-time link with which a person chooses their password: ``token`` is shown this
    once and stored hashed. Hand it to them: they set their password with it at
    ``/welcome?token=...`` in the portal, or at POST /api/v1/auth/password."""

    user_id: UUID
    token: str
    expires_at: datetime


def from_row(kind: type[T], row: Any) -> T:
    """An asyncpg record as one of the records above."""
    return msgspec.convert(dict(row), kind)
