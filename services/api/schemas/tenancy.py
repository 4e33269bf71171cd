"""Sign-in, tokens, consultancies, tenants, members and API keys."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from domain import values
from services.api.schemas.common import Body, Out
from tenants.principal import Principal, PrincipalKind
from tenants.roles import Role
from tenants.validation import default_time_zone

MemberRole = Literal["consultant", "client_admin", "client_member", "client_viewer"]
ApiKeyRole = Literal["client_viewer", "client_member"]
ConsultancyRole = Literal["consultancy_admin", "consultant"]


class SignIn(Body):
    """Email and password of a person."""

    email: str
    password: str


class PasswordSet(Body):
    """A password link's token and the password its person chooses (12 to 1024 characters)."""

    token: str
    password: str


class PasswordChange(Body):
    """A signed-in person's current password, and the new one (12 to 1024 characters)."""

    current_password: str
    new_password: str


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
    role: Role


class PersonOfTenant(Out):
    """One of the people an item of the tenant may be given to (its members and its
    consultancy's admins), as the portal offers them: an owner is `user_id` (or
    `user:<user_id>`)."""

    user_id: UUID
    display_name: str


class SuspendedTenant(Out):
    """A tenant the person would reach, were it not suspended."""

    id: UUID
    name: str


class MeOut(Out):
    """Who the bearer is and where it may act."""

    id: UUID
    kind: PrincipalKind
    actor: str
    display_name: str
    is_platform_admin: bool
    tenants: list[Grant]
    consultancies: list[Grant]
    suspended_tenants: list[SuspendedTenant]
    """Tenants of theirs that are suspended: not in `tenants` until reactivated (a call on
    one answers 403 `tenant_suspended`). Always empty for an API key, refused outright."""

    @classmethod
    def of(cls, principal: Principal, suspended: Mapping[UUID, str]) -> MeOut:
        return cls(
            id=principal.id,
            kind=principal.kind,
            actor=principal.actor,
            display_name=principal.display_name,
            is_platform_admin=principal.is_platform_admin,
            tenants=[Grant(id=t, role=r) for t, r in sorted(principal.grants.items())],
            consultancies=[
                Grant(id=c, role=r) for c, r in sorted(principal.consultancy_roles.items())
            ],
            suspended_tenants=[
                SuspendedTenant(id=t, name=n) for t, n in sorted(suspended.items(), key=_by_name)
            ],
        )


def _by_name(tenant: tuple[UUID, str]) -> tuple[str, UUID]:
    return tenant[1].casefold(), tenant[0]


class ConsultancyIn(Body):
    """A new consultancy."""

    name: str
    id: UUID | None = None


class TenantIn(Body):
    """A new client tenant of the consultancy."""

    name: Annotated[
        str,
        msgspec.Meta(
            description="Its name, 1 to 200 characters; one no other client of the"
            " consultancy has (compared trimmed, in any case, runs of spaces as one: 409"
            " `duplicate_client_name` naming `name`); another consultancy's may."
        ),
    ]
    slug: Annotated[
        str | None,
        msgspec.Meta(
            description="Its short name (exports' file names, `okr --tenant`): lowercase"
            " letters and digits in words joined by single hyphens, up to 63 characters,"
            " one client's only in the consultancy (another's: 409 `duplicate_slug` naming"
            " `slug`). Not given: made from the name, the next free one (`acme`,"
            " `acme-2`…, as the portal makes it) when another client has it; past `-50`,"
            " 409 `duplicate_slug` naming `name`."
        ),
    ] = None
    colour: str = "#2563eb"
    fiscal_year_start_month: int = 1
    check_in_cadence_days: int = 7
    locale: str = "it"
    time_zone: Annotated[
        str | None,
        msgspec.Meta(
            description="An IANA name (Europe/Rome, UTC): where the tenant's days begin and"
            " end, and the zone its portal shows times in. Not given: its language's,"
            f" {default_time_zone('it')} for locale `it`, {default_time_zone('en')} for any"
            " other (the portal's new-client form proposes the same)."
        ),
    ] = None
    id: UUID | None = None
    encrypted: Annotated[
        bool,
        msgspec.Meta(
            description="Whether its events are stored encrypted with an AES-256 key of its"
            " own (true or false; default false), kept in the transaction that makes it, so"
            " its whole log is encrypted from its first event, and erasing the tenant shreds"
            " the key. Chosen now, for good: a PATCH asking otherwise is 409"
            " `encryption_fixed` naming `encrypted`. The key is never shown."
        ),
    ] = False


class WithReason(Body, kw_only=True):
    """A change of access (a tenant's, or a consultancy's people) or of a tenant's settings,
    which may say why."""

    reason: str | None = None
    """Why (optional; 1 to 1000 characters, trimmed): kept with the change in the log of
    each tenant it is recorded in, for good, and shown to those who may read its audit
    trail."""

    def __post_init__(self) -> None:
        # checked as the body is read: a change that turns out to change nothing (and so
        # records nothing) still refuses a bad reason
        self.reason = values.optional_reason(self.reason)


class OptionalReasonIn(WithReason):
    """Why a member (of a tenant or of the consultancy) is removed, a key revoked, a tenant
    suspended or reactivated: an optional body of those requests."""


class EraseIn(Body):
    """Erase a suspended tenant for good: `confirm` is its slug."""

    confirm: str


class TenantSettingsIn(WithReason):
    """Tenant settings to change (those left out stay as they are). Each always has a
    value: null for one is 422 not_clearable naming it (a reason null: none given). A
    new name that another client of the consultancy that you reach has is 409
    duplicate_client_name naming `name` (a client's admin reaches no other)."""

    name: str | msgspec.UnsetType = msgspec.UNSET
    colour: str | msgspec.UnsetType = msgspec.UNSET
    fiscal_year_start_month: int | msgspec.UnsetType = msgspec.UNSET
    check_in_cadence_days: int | msgspec.UnsetType = msgspec.UNSET
    locale: str | msgspec.UnsetType = msgspec.UNSET
    time_zone: str | msgspec.UnsetType = msgspec.UNSET
    """An IANA name (Europe/Rome, UTC); not given: it stays."""
    encrypted: bool | msgspec.UnsetType = msgspec.UNSET
    """As the tenant is (its answer's `encrypted`): nothing changes. Otherwise 409
    encryption_fixed naming it: a tenant is made encrypted or not, for good."""


class MemberIn(WithReason):
    """Invite a person to the tenant (an account without a password is made if new)."""

    email: str
    display_name: str
    role: MemberRole


class RoleIn(WithReason):
    """Another role for a member."""

    role: MemberRole


class ConsultancyMemberIn(WithReason):
    """Add a person to the consultancy (an account without a password is made if new)."""

    email: str
    display_name: str
    role: ConsultancyRole


class ConsultancyRoleIn(WithReason):
    """Another consultancy role for a member of the consultancy."""

    role: ConsultancyRole


class ApiKeyIn(WithReason):
    """A new API key for an integration that pushes values."""

    name: str
    role: ApiKeyRole = "client_member"


def reason_of(data: OptionalReasonIn | None) -> str | None:
    """The reason an optional body gives, if any."""
    return None if data is None else data.reason
