"""Sign-in, tokens, consultancies, tenants, members and API keys."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from services.api.schemas.common import Body, Out
from tenants.principal import Principal

MemberRole = Literal["consultant", "client_admin", "client_member", "client_viewer"]
ApiKeyRole = Literal["client_viewer", "client_member"]
ConsultancyRole = Literal["consultancy_admin", "consultant"]


class SignIn(Body):
    """Email and password of a person."""

    email: str
    password: str


class Refresh(Body):
    """A refresh token, spent once for a new pair."""

    refresh_token: str


class TokenOut(Out):
    """A short-lived access token (send it as ``Authorization: Bearer``) and a refresh token."""

    access_token: str
    refresh_token: str
    token_type: Literal["bearer"]
    expires_in: int


class Grant(Out):
    """A role in one tenant or consultancy."""

    id: UUID
    role: str


class MeOut(Out):
    """Who the bearer is and where it may act."""

    id: UUID
    kind: str
    actor: str
    display_name: str
    is_platform_admin: bool
    tenants: list[Grant]
    consultancies: list[Grant]

    @classmethod
    def of(cls, principal: Principal) -> MeOut:
        return cls(
            id=principal.id,
            kind=principal.kind,
            actor=principal.actor,
            display_name=principal.display_name,
            is_platform_admin=principal.is_platform_admin,
            tenants=[Grant(id=t, role=r.value) for t, r in sorted(principal.grants.items())],
            consultancies=[
                Grant(id=c, role=r.value) for c, r in sorted(principal.consultancy_roles.items())
            ],
        )


class ConsultancyIn(Body):
    """A new consultancy."""

    name: str
    id: UUID | None = None


class TenantIn(Body):
    """A new client tenant of the consultancy."""

    name: str
    slug: str | None = None
    colour: str = "#2563eb"
    fiscal_year_start_month: int = 1
    check_in_cadence_days: int = 7
    locale: str = "it"
    id: UUID | None = None


class ReasonIn(Body):
    """Why a member is removed, a key revoked, a tenant suspended or reactivated: an
    optional body of those requests."""

    reason: str | None = None
    """Why (optional, 1 to 1000 characters): kept with the change in the tenant's log."""


class EraseIn(Body):
    """Erase a suspended tenant for good: `confirm` is its slug."""

    confirm: str


class TenantSettingsIn(Body):
    """Tenant settings to change (the others stay)."""

    name: str | None = None
    colour: str | None = None
    fiscal_year_start_month: int | None = None
    check_in_cadence_days: int | None = None
    locale: str | None = None
    reason: str | None = None
    """Why (optional, 1 to 1000 characters): kept with the change in the tenant's log."""


class MemberIn(Body):
    """Invite a person to the tenant (an account without a password is made if new)."""

    email: str
    display_name: str
    role: MemberRole
    reason: str | None = None
    """Why (optional, 1 to 1000 characters): kept with the change in the tenant's log."""


class RoleIn(Body):
    """Another role for a member."""

    role: MemberRole
    reason: str | None = None
    """Why (optional, 1 to 1000 characters): kept with the change in the tenant's log."""


class ConsultancyMemberIn(Body):
    """Add a person to the consultancy (an account without a password is made if new)."""

    email: str
    display_name: str
    role: ConsultancyRole
    reason: str | None = None
    """Why (optional, 1 to 1000 characters): kept with the change in the tenant's log."""


class ConsultancyRoleIn(Body):
    """Another consultancy role for a member of the consultancy."""

    role: ConsultancyRole
    reason: str | None = None
    """Why (optional, 1 to 1000 characters): kept with the change in the tenant's log."""


class ApiKeyIn(Body):
    """A new API key for an integration that pushes values."""

    name: str
    role: ApiKeyRole = "client_member"
    reason: str | None = None
    """Why (optional, 1 to 1000 characters): kept with the change in the tenant's log."""
