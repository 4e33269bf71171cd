"""A change of who may reach a tenant, as the tenant's log records it.

Memberships, API keys and the tenant's own status live in the directory (tenants/), which
checks them and grants access by them; the log keeps every change of them, so that an
auditor sees who gave whom which role, who made or revoked which key, who suspended the
tenant, and when. A person is named by id only: their name and email stay in the directory
(where they can be changed or erased), not in a log that cannot be.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate

from domain import values
from domain.errors import InvalidValueError

MEMBER, API_KEY, TENANT, PASSWORD_LINK = "member", "api_key", "tenant", "password_link"
PASSWORD = "password"  # noqa: S105 - the name of a subject, not a secret
SUBJECTS = (MEMBER, API_KEY, TENANT, PASSWORD_LINK, PASSWORD)
"""What a change is about: a person's role in the tenant, an API key (its role), the tenant
itself (its status), a link made with which a person without a password chooses one (who
made it could have used it: the trail says who did), a person's password reset by an
operator (who then knew it: the trail says who, never the password)."""
MADE = "made"
"""A password link's `after`."""
RESET = "reset"
"""A password's `after`, reset by an operator."""
OPERATOR = "system:operator"
"""The author of a password's reset by an operator who named no platform admin's account."""
PEOPLE = (MEMBER, PASSWORD_LINK, PASSWORD)
"""Subjects whose subject_id is a person's."""
ACTIVE, SUSPENDED = "active", "suspended"
"""A tenant's statuses."""


class AccessChange(Aggregate):
    """One change of access: what it is about, its role or status before and after (None:
    it had none, or has none now), and who made it. Each change is a stream of its own, one
    event long, as a SettingsChange is; the tenant's row in the directory, locked while a
    change is written, puts a tenant's changes in order."""

    TOPIC = "okr.AccessChange"

    class Created(Aggregate.Created):
        """Access to the tenant changed."""

        TOPIC = "okr.AccessChange.Created"
        class_version = 3
        subject: str
        subject_id: str
        name: str | None
        """A key's name (None for a person or the tenant)."""
        tenant: str
        """The tenant's name then: what its history lines are about."""
        before: str | None
        after: str | None
        author: str
        reason: str | None
        """Why, when the author said (a change of access may go without a reason)."""

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """v1 (an hour on main, 2ae8472) kept a member's name and email, and the
            tenant's name only when the change was of the tenant: a person is named by id
            only now, and an older change of a member or key has no tenant's name."""
            state.pop("email", None)
            subject = state.get("subject")
            state.setdefault("tenant", state.get("name") if subject == TENANT else "")
            if subject != API_KEY:
                state["name"] = None

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            """v2 took no reason."""
            state["reason"] = None

    def __init__(
        self,
        *,
        subject: str,
        subject_id: str,
        name: str | None,
        tenant: str,
        before: str | None,
        after: str | None,
        author: str,
        reason: str | None,
    ) -> None:
        self.subject = subject
        self.subject_id = subject_id
        self.name = name
        self.tenant = tenant
        self.before = before
        self.after = after
        self.author = author
        self.reason = reason

    @classmethod
    def make(
        cls,
        *,
        subject: str,
        subject_id: object,
        name: str | None = None,
        tenant: str,
        before: str | None,
        after: str | None,
        author: str,
        reason: str | None = None,
    ) -> AccessChange:
        """Record a change of `subject` (one of SUBJECTS; an API key's `name` too) of the
        tenant named `tenant`, from `before` to `after` (a role or a status, None for none;
        not equal), and why if the author said."""
        if subject not in SUBJECTS:
            raise InvalidValueError(
                f"subject must be one of {', '.join(SUBJECTS)}", field="subject"
            )
        if before == after:
            raise InvalidValueError("the access did not change", field="after")
        return cls._create(
            cls.Created,
            subject=subject,
            subject_id=_text(str(subject_id), "subject_id"),
            name=None if name is None else _text(name, "name"),
            tenant=_text(tenant, "tenant"),
            before=None if before is None else _text(before, "before"),
            after=None if after is None else _text(after, "after"),
            author=values.principal(author, "author"),
            reason=values.optional_reason(reason),
        )


def _text(given: object, field: str) -> str:
    """Text as the directory checked it (its own rules: a name may hold what a title may
    not), only of a sane length."""
    if not isinstance(given, str) or not 1 <= len(given) <= values.TITLE_MAX:
        raise InvalidValueError(f"{field} must be 1 to {values.TITLE_MAX} characters", field=field)
    return given
