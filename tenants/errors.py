"""Errors of the tenancy layer, shaped like the domain's: a message, the ``field`` at fault
(when there is one) and a short machine-readable ``rule``, so the API maps them in one place.

Every validation error is raised before anything is written: a bad input changes nothing.
"""

from __future__ import annotations

from typing import ClassVar


class TenancyError(Exception):
    """A tenancy rule was broken; nothing was changed."""

    default_rule: ClassVar[str] = "tenancy_rule"

    def __init__(self, message: str, *, field: str | None = None, rule: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.rule = rule or self.default_rule

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, field={self.field!r}, rule={self.rule!r})"


class InvalidEmailError(TenancyError):
    """An email address without a plausible shape, or longer than 254 characters."""

    default_rule = "invalid_email"


class InvalidNameError(TenancyError):
    """A name (consultancy, tenant, person, API key) empty or over 200 characters."""

    default_rule = "invalid_name"


class InvalidSlugError(TenancyError):
    """A slug that is not lowercase ascii words joined by hyphens, 1 to 63 characters."""

    default_rule = "invalid_slug"


class InvalidColourError(TenancyError):
    """A colour that is not #rrggbb."""

    default_rule = "invalid_colour"


class InvalidMonthError(TenancyError):
    """A month outside 1..12."""

    default_rule = "month_out_of_range"


class InvalidCadenceError(TenancyError):
    """A check-in cadence outside 1..90 days."""

    default_rule = "cadence_out_of_range"


class InvalidLocaleError(TenancyError):
    """A locale that is not one of the portal's languages, optionally with a region (it, en-GB)."""

    default_rule = "invalid_locale"


class InvalidTimeZoneError(TenancyError):
    """A time zone that is not an IANA name zoneinfo knows (Europe/Rome, UTC)."""

    default_rule = "invalid_time_zone"


class InvalidRoleError(TenancyError):
    """An unknown role, or a role that does not fit where it was given."""

    default_rule = "invalid_role"


class WeakPasswordError(TenancyError):
    """A password shorter than 12 or longer than 1024 characters."""

    default_rule = "password_length"


class WrongPasswordError(TenancyError):
    """A person changing their password gave another than the one they have (HTTP 422)."""

    default_rule = "wrong_password"


class DuplicateEmailError(TenancyError):
    """Another user already has this email address."""

    default_rule = "duplicate_email"


class DuplicateSlugError(TenancyError):
    """Another tenant of the same consultancy already has this slug."""

    default_rule = "duplicate_slug"


class DuplicateClientNameError(TenancyError):
    """Another client of the consultancy has this name, as a person reads it (HTTP 409):
    its portfolio would tell them apart only by slug."""

    default_rule = "duplicate_client_name"


class DuplicateTenantIdError(TenancyError):
    """A tenant of this id exists, or existed and was erased (HTTP 409)."""

    default_rule = "duplicate_id"


class EncryptionFixedError(TenancyError):
    """A tenant's encryption asked for otherwise than it was made with (HTTP 409): it is
    chosen once, as the tenant is made (see Repository.give_key)."""

    default_rule = "encryption_fixed"


class DuplicateConsultancyIdError(TenancyError):
    """A consultancy of this id exists (HTTP 409)."""

    default_rule = "duplicate_id"


class DuplicateMembershipError(TenancyError):
    """The user already holds a role there: change it instead."""

    default_rule = "duplicate_membership"


class UnknownConsultancyError(TenancyError):
    """No consultancy with this id."""

    default_rule = "unknown_consultancy"


class UnknownTenantError(TenancyError):
    """No tenant with this id (or not one the caller may see)."""

    default_rule = "unknown_tenant"


class UnknownUserError(TenancyError):
    """No user with this id."""

    default_rule = "unknown_user"


class UnknownMembershipError(TenancyError):
    """The user holds no role there."""

    default_rule = "unknown_membership"


class UnknownApiKeyError(TenancyError):
    """No API key with this id in this tenant."""

    default_rule = "unknown_api_key"


class NotConsultancyMemberError(TenancyError):
    """A consultant can only be assigned to tenants of a consultancy it belongs to."""

    default_rule = "not_consultancy_member"


class InvalidCredentialsError(TenancyError):
    """Wrong email or password, or an unusable bearer token or API key (HTTP 401)."""

    default_rule = "invalid_credentials"


class InvalidTokenError(InvalidCredentialsError):
    """An access or refresh token that is expired, tampered with, revoked or reused."""

    default_rule = "invalid_token"


class RateLimitedError(TenancyError):
    """Too many failed sign-ins: try again after ``retry_after`` seconds (HTTP 429)."""

    default_rule = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, field: str | None = None):
        super().__init__(message, field=field)
        self.retry_after = retry_after


class SignInBeingCheckedError(RateLimitedError):
    """Sign-ins of this account or address are being checked now, as many as its limit
    allows: try again in a second (HTTP 429). Nothing failed."""

    default_rule = "being_checked"


class ChangedMeanwhileError(TenancyError):
    """The tenant's log moved between what the caller read of it and its change (an erase
    reads who its log names first): try again (HTTP 409)."""

    default_rule = "changed_meanwhile"


class LastAdminError(TenancyError):
    """The change would leave the consultancy with no admin, or a client admin would step
    down as their company's last: nobody could manage it (409)."""

    default_rule = "last_admin"


class TenantNotSuspendedError(TenancyError):
    """A tenant is erased only once suspended: its people have lost access first (HTTP 409)."""

    default_rule = "not_suspended"


class ConfirmationError(TenancyError):
    """An irreversible request was not confirmed as asked (the tenant's slug, to erase it)."""

    default_rule = "confirmation_mismatch"


class ReadModelsRebuildingError(TenancyError):
    """A full rebuild of the read models is running: a tenant is erased once it has finished
    (its shadow tables could take the tenant's rows in again) (HTTP 409)."""

    default_rule = "rebuild_running"


class PermissionDeniedError(TenancyError):
    """The principal may see the tenant but not do this there (HTTP 403)."""

    default_rule = "permission_denied"


class TenantSuspendedError(PermissionDeniedError):
    """The principal is one of the tenant's people, and it is suspended (HTTP 403): told so,
    not that it does not exist."""

    default_rule = "tenant_suspended"

    def __init__(self, tenant_name: str) -> None:
        super().__init__(
            f"'{tenant_name}' is suspended: its people reach it again once it is reactivated",
            field="tenant_id",
        )
        self.tenant_name = tenant_name


class ConsultancyPersonError(PermissionDeniedError):
    """The member belongs to the tenant's consultancy, and whoever acts is not one of its
    admins (nor a platform admin): the consultancy's people are its own to manage (HTTP 403)."""

    default_rule = "consultancy_person"


class PasswordLinkRefusedError(TenancyError):
    """No link for this account: it has a password, it is a platform admin's, or it
    reaches tenants the maker does not manage (HTTP 409)."""

    default_rule = "password_link_refused"


class InvalidPasswordLinkError(TenancyError):
    """A password link that is not one: never made, used, or expired (HTTP 422)."""

    default_rule = "invalid_link"


class AccountBeyondReachError(TenancyError):
    """The email is an account that reaches more than the inviter manages: only someone
    who manages all it reaches adds it (HTTP 409, see migration 0020)."""

    default_rule = "beyond"


class BoundElsewhereError(TenancyError):
    """The account chose its password with a link made beyond this scope: no access here
    (HTTP 409, see migration 0018)."""

    default_rule = "bound_elsewhere"
