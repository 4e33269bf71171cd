"""Who holds which role where: consultancy members and tenant memberships.

A consultancy_admin reaches every tenant of its consultancy; a consultant reaches the
tenants it is assigned to (a membership with role consultant), and only while it belongs to
the consultancy; client users hold one membership, normally. Callers authorise; tenant rows
are written under row-level security set to the tenant in hand.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from uuid import UUID

import asyncpg

from tenants import users
from tenants import validation as valid
from tenants.db import Conn, in_tenant, tenant_transaction
from tenants.errors import (
    AccountBeyondReachError,
    BoundElsewhereError,
    ConsultancyPersonError,
    DuplicateMembershipError,
    NotConsultancyMemberError,
    TenantSuspendedError,
    UnknownConsultancyError,
    UnknownMembershipError,
    UnknownTenantError,
    UnknownUserError,
)
from tenants.models import ConsultancyMember, ConsultancyPerson, Membership, from_row
from tenants.principal import Principal
from tenants.roles import CONSULTANCY_ROLES, MEMBERSHIP_ROLES, Role

CONSULTANCY_MEMBER = (
    "consultancy_id, user_id, role, created_at, okr_has_password(user_id) AS has_password,"
    " okr_password_link_expires(user_id) AS password_link_expires_at"
)
"""A consultancy member as it is read (ConsultancyMember)."""
_MEMBERSHIP = (
    "SELECT m.tenant_id, m.user_id, m.role, u.email, u.display_name, m.created_at,"
    " okr_has_password(u.id) AS has_password,"
    " okr_password_link_expires(u.id) AS password_link_expires_at,"
    " EXISTS (SELECT FROM tenants t JOIN consultancy_members c"
    " ON c.consultancy_id = t.consultancy_id WHERE t.id = m.tenant_id AND c.user_id = m.user_id)"
    " AS of_consultancy"
    " FROM memberships m JOIN users u ON u.id = m.user_id"
)
_MANAGES_CONSULTANCY_PEOPLE = (
    "SELECT EXISTS (SELECT FROM users WHERE id = $2 AND is_platform_admin)"
    " OR EXISTS (SELECT FROM tenants t JOIN consultancy_members c"
    " ON c.consultancy_id = t.consultancy_id WHERE t.id = $1 AND c.user_id = $2 AND c.role = $3)"
)
_CONSULTANT_ALLOWED = (
    "SELECT EXISTS (SELECT FROM tenants t JOIN consultancy_members c"
    " ON c.consultancy_id = t.consultancy_id WHERE t.id = $1 AND c.user_id = $2)"
)


async def add_consultancy_member(
    on: Conn, consultancy_id: UUID, user_id: UUID, role: Role | str
) -> ConsultancyMember:
    """Make the user a consultancy_admin or a consultant of the consultancy (on a pool, or
    in the caller's transaction: services.app.access records an admin in each tenant's log)."""
    clean = valid.role(role, CONSULTANCY_ROLES)
    try:
        with _in_password_scope("email"):
            row = await on.fetchrow(
                "INSERT INTO consultancy_members (consultancy_id, user_id, role)"
                f" VALUES ($1, $2, $3) RETURNING {CONSULTANCY_MEMBER}",
                consultancy_id, user_id, clean.value,
            )  # fmt: skip
    except asyncpg.UniqueViolationError:
        raise DuplicateMembershipError(
            "already a member of this consultancy: change the role instead", field="email"
        ) from None
    except asyncpg.ForeignKeyViolationError as e:
        raise _unknown(e, consultancy_id, user_id) from None
    return from_row(ConsultancyMember, row)


async def locked_consultancy_role(
    conn: asyncpg.Connection, consultancy_id: UUID, user_id: UUID
) -> Role:
    """The user's role in the consultancy, locked until the caller's transaction ends, or
    UnknownMembershipError."""
    role = await conn.fetchval(
        "SELECT role FROM consultancy_members WHERE consultancy_id = $1 AND user_id = $2"
        " FOR UPDATE",
        consultancy_id, user_id,
    )  # fmt: skip
    if role is None:
        raise UnknownMembershipError("not a member of this consultancy", field="user_id")
    return Role(role)


async def consultancy_admins_left(
    conn: asyncpg.Connection, consultancy_id: UUID, *, signing_in: bool = False
) -> int:
    """How many admins the consultancy has (in the caller's transaction); `signing_in`:
    only those who can sign in (enabled, with a password)."""
    able = f" AND {_CAN_SIGN_IN}" if signing_in else ""
    admins = await conn.fetchval(
        "SELECT count(*) FROM consultancy_members m JOIN users u ON u.id = m.user_id"
        f" WHERE m.consultancy_id = $1 AND m.role = $2{able}",
        consultancy_id, Role.CONSULTANCY_ADMIN.value,
    )  # fmt: skip
    return int(admins)


async def can_sign_in(conn: asyncpg.Connection, user_id: UUID) -> bool:
    """Whether the account is enabled and has a password."""
    able = await conn.fetchval(f"SELECT {_CAN_SIGN_IN} FROM users u WHERE u.id = $1", user_id)
    return bool(able)


_CAN_SIGN_IN = "u.disabled_at IS NULL AND okr_has_password(u.id)"
"""An account (`u`, of users) that can sign in: enabled, with a password."""


async def client_admins_left(conn: asyncpg.Connection, tenant_id: UUID, but: UUID) -> int:
    """How many client admins who can sign in (enabled, with a password) the tenant has
    besides user `but` (in the caller's transaction): one invited who has not chosen a
    password yet manages nothing so far."""
    admins = await conn.fetchval(
        "SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id"
        f" WHERE m.tenant_id = $1 AND m.role = $2 AND m.user_id <> $3 AND {_CAN_SIGN_IN}",
        tenant_id, Role.CLIENT_ADMIN.value, but,
    )  # fmt: skip
    return int(admins)


async def change_consultancy_role(
    on: Conn, consultancy_id: UUID, user_id: UUID, role: Role | str
) -> ConsultancyMember:
    """Give a consultancy member another consultancy role."""
    clean = valid.role(role, CONSULTANCY_ROLES)
    with _in_password_scope("user_id"):
        row = await on.fetchrow(
            "UPDATE consultancy_members SET role = $3 WHERE consultancy_id = $1 AND user_id = $2"
            f" RETURNING {CONSULTANCY_MEMBER}",
            consultancy_id, user_id, clean.value,
        )  # fmt: skip
    if row is None:
        raise UnknownMembershipError("not a member of this consultancy", field="user_id")
    return from_row(ConsultancyMember, row)


async def remove_consultancy_member(on: Conn, consultancy_id: UUID, user_id: UUID) -> None:
    """Take the user out of the consultancy: its consultant assignments stop granting at once."""
    deleted = await on.execute(
        "DELETE FROM consultancy_members WHERE consultancy_id = $1 AND user_id = $2",
        consultancy_id, user_id,
    )  # fmt: skip
    if deleted == "DELETE 0":
        raise UnknownMembershipError("not a member of this consultancy", field="user_id")


async def remove_memberships_in(
    conn: asyncpg.Connection, user_id: UUID, tenant_ids: list[UUID]
) -> None:
    """Take the user's roles in these tenants away, whatever they are (in the caller's
    transaction, admitted to them): one who leaves a consultancy keeps none in its clients."""
    await conn.execute(
        "DELETE FROM memberships WHERE user_id = $1 AND tenant_id = ANY($2::uuid[])",
        user_id, tenant_ids,
    )  # fmt: skip


async def add_membership(on: Conn, tenant_id: UUID, user_id: UUID, role: Role | str) -> Membership:
    """Give the user a role in the tenant (a consultant must belong to its consultancy)."""
    clean = valid.role(role, MEMBERSHIP_ROLES)
    async with in_tenant(on, [tenant_id]) as conn:
        return await _insert_membership(conn, tenant_id, user_id, clean)


async def invite_member(
    on: Conn,
    tenant_id: UUID,
    email: str,
    display_name: str,
    role: Role | str,
    inviter: UUID | None = None,
) -> Membership:
    """Add the person with this email to the tenant, creating a password-less account if new.
    An account that exists is added only if `inviter` (a user; None: an API key of the
    tenant) manages all it reaches (see may_add_account)."""
    clean_email = valid.email(email)
    clean_name = valid.name(display_name, "display_name")
    clean_role = valid.role(role, MEMBERSHIP_ROLES)
    async with in_tenant(on, [tenant_id]) as conn:
        user_id, made = await users.account_for(conn, clean_email, clean_name)
        if not made:
            await may_add_account(conn, user_id, inviter, tenant_id)
        return await _insert_membership(conn, tenant_id, user_id, clean_role, person="email")


BEYOND_REACH = (
    "this email is an account that reaches beyond what you manage: a platform admin, or"
    " whoever manages all it reaches, adds it, or invite its owner under another email"
)
"""One answer for every account beyond the inviter's reach: it tells them nothing of where
else it reaches, nor its name."""


async def may_add_account(
    conn: Conn, user_id: UUID, inviter: UUID | None, tenant_id: UUID | None
) -> None:
    """AccountBeyondReachError unless `inviter` may give this existing account a role: they
    manage all it reaches (one that reaches nothing now: all it ever reached, migration
    0026), or are a platform admin (migration 0020). An account already of `tenant_id` is
    left to the insert's "already a member"."""
    if tenant_id is not None and await conn.fetchval(
        "SELECT true FROM memberships WHERE tenant_id = $1 AND user_id = $2", tenant_id, user_id
    ):
        return
    if not await conn.fetchval(
        "SELECT okr_may_add_account($1, $2, $3)", user_id, inviter, tenant_id
    ):
        raise AccountBeyondReachError(BEYOND_REACH, field="email")


async def change_role(on: Conn, tenant_id: UUID, user_id: UUID, role: Role | str) -> Membership:
    """Give a member of the tenant another role there."""
    clean = valid.role(role, MEMBERSHIP_ROLES)
    async with in_tenant(on, [tenant_id]) as conn:
        if clean == Role.CONSULTANT:
            await _check_consultant(conn, tenant_id, user_id)
        updated = await conn.execute(
            "UPDATE memberships SET role = $3 WHERE tenant_id = $1 AND user_id = $2",
            tenant_id, user_id, clean.value,
        )  # fmt: skip
        if updated == "UPDATE 0":
            raise UnknownMembershipError("not a member of this tenant", field="user_id")
        return await _fetch_membership(conn, tenant_id, user_id)


async def manages_consultancy_people(on: Conn, tenant_id: UUID, actor: str) -> bool:
    """Whether `actor` (as the log names it: "user:<uuid>") is an admin of the tenant's
    consultancy or a platform admin: the only ones who change or end the role one of the
    consultancy's people holds in its client (see may_manage_member)."""
    kind, _, raw = actor.partition(":")
    try:
        user_id = UUID(raw)
    except ValueError:
        return False  # an import's "user:anna" is nobody's account
    if kind != "user":
        return False  # an API key manages nobody
    async with in_tenant(on, [tenant_id]) as conn:
        found = await conn.fetchval(
            _MANAGES_CONSULTANCY_PEOPLE, tenant_id, user_id, Role.CONSULTANCY_ADMIN.value
        )
    return bool(found)


async def may_manage_member(on: Conn, actor: str, member: Membership) -> None:
    """ConsultancyPersonError unless `actor` may change or end `member`'s role.

    The rule: a consultancy's people (its consultants, and any of its people made a client
    admin there: Membership.of_consultancy) reach a client through the consultancy, which
    sells and staffs the service; only its admins, or a platform admin, give them another
    role there or take theirs away. A client admin manages the company's own people; a
    consultancy admin manages everyone of its clients. The API and the portal both ask
    this, through services.app.access."""
    if member.of_consultancy and not await manages_consultancy_people(on, member.tenant_id, actor):
        raise ConsultancyPersonError(
            "this person is of the company's consultancy: only its admins change or end"
            " their role here",
            field="user_id",
        )


async def remove_membership(on: Conn, tenant_id: UUID, user_id: UUID) -> None:
    """Take the user's role in the tenant away."""
    async with in_tenant(on, [tenant_id]) as conn:
        deleted = await conn.execute(
            "DELETE FROM memberships WHERE tenant_id = $1 AND user_id = $2", tenant_id, user_id
        )
    if deleted == "DELETE 0":
        raise UnknownMembershipError("not a member of this tenant", field="user_id")


async def locked_membership(
    conn: asyncpg.Connection, tenant_id: UUID, user_id: UUID
) -> Membership | None:
    """The user's membership of the tenant (None: none), locked until the caller's
    transaction ends: a change of it is recorded in the tenant's log in that transaction,
    in the order changes were made (services.app.access)."""
    row = await conn.fetchrow(
        f"{_MEMBERSHIP} WHERE m.tenant_id = $1 AND m.user_id = $2 FOR UPDATE OF m",
        tenant_id, user_id,
    )  # fmt: skip
    return None if row is None else from_row(Membership, row)


async def locked_roles(
    conn: asyncpg.Connection, user_id: UUID, tenant_ids: list[UUID]
) -> dict[UUID, Role]:
    """The user's role in each of these tenants where it has one, the memberships locked
    until the caller's transaction ends."""
    rows = await conn.fetch(
        "SELECT tenant_id, role FROM memberships WHERE user_id = $1"
        " AND tenant_id = ANY($2::uuid[]) FOR UPDATE",
        user_id, tenant_ids,
    )  # fmt: skip
    return {r["tenant_id"]: Role(r["role"]) for r in rows}


async def reached_tenants(on: Conn, user_id: UUID) -> list[UUID]:
    """Every tenant the user reaches (okr_user_grants), or would were it active: by a
    membership, or as an admin of its consultancy; none for a disabled account."""
    rows = await on.fetch(
        "SELECT tenant_id FROM okr_user_grants($1)"
        " UNION SELECT tenant_id FROM okr_user_suspended_tenants($1)"
        " UNION SELECT t.tenant_id FROM consultancy_members c"
        " CROSS JOIN LATERAL okr_consultancy_tenants(c.consultancy_id) t"
        " JOIN users u ON u.id = c.user_id"
        " WHERE c.user_id = $1 AND c.role = $2 AND u.disabled_at IS NULL",
        user_id, Role.CONSULTANCY_ADMIN.value,
    )  # fmt: skip
    return sorted(r["tenant_id"] for r in rows)


async def list_members(pool: asyncpg.Pool, tenant_id: UUID) -> list[Membership]:
    """The tenant's explicit memberships by email (consultancy admins reach it without one)."""
    async with tenant_transaction(pool, [tenant_id]) as conn:
        rows = await conn.fetch(f"{_MEMBERSHIP} WHERE m.tenant_id = $1 ORDER BY u.email", tenant_id)
    return [from_row(Membership, r) for r in rows]


async def list_consultancy_people(
    pool: asyncpg.Pool, consultancy_id: UUID, user_id: UUID | None = None
) -> list[ConsultancyPerson]:
    """The consultancy's admins and consultants (or the one of `user_id`, if a member), with
    their names and emails, by email."""
    rows = await pool.fetch(
        "SELECT c.consultancy_id, c.user_id, c.role, u.email, u.display_name, c.created_at,"
        " okr_has_password(u.id) AS has_password,"
        " okr_password_link_expires(u.id) AS password_link_expires_at"
        " FROM consultancy_members c JOIN users u ON u.id = c.user_id"
        " WHERE c.consultancy_id = $1 AND ($2::uuid IS NULL OR c.user_id = $2) ORDER BY u.email",
        consultancy_id,
        user_id,
    )
    return [from_row(ConsultancyPerson, r) for r in rows]


async def membership_roles(
    pool: asyncpg.Pool, tenant_ids: list[UUID]
) -> dict[UUID, dict[UUID, Role]]:
    """By person, the role of each membership they hold in these tenants (as consultant, or
    as one of the client's own people)."""
    if not tenant_ids:
        return {}
    async with tenant_transaction(pool, tenant_ids) as conn:
        rows = await conn.fetch(
            "SELECT user_id, tenant_id, role FROM memberships WHERE tenant_id = ANY($1::uuid[])",
            tenant_ids,
        )
    held: dict[UUID, dict[UUID, Role]] = {}
    for row in rows:
        held.setdefault(row["user_id"], {})[row["tenant_id"]] = Role(row["role"])
    return held


async def suspended_tenants(pool: asyncpg.Pool, user_id: UUID) -> dict[UUID, str]:
    """The suspended tenants the user would reach were they active, by id, with their names
    (okr_user_suspended_tenants): asked when a request of theirs is refused."""
    rows = await pool.fetch("SELECT * FROM okr_user_suspended_tenants($1)", user_id)
    return {r["tenant_id"]: r["name"] for r in rows}


async def refuse_if_suspended(pool: asyncpg.Pool, principal: Principal, tenant_id: UUID) -> None:
    """Raise TenantSuspendedError if the tenant a person was refused is one of theirs that
    is suspended (an API key of a suspended tenant no longer authenticates at all)."""
    if principal.kind != "user":
        return
    name = (await suspended_tenants(pool, principal.id)).get(tenant_id)
    if name is not None:
        raise TenantSuspendedError(name)


async def consultancy_admins(pool: asyncpg.Pool, tenant_id: UUID) -> list[tuple[UUID, str]]:
    """Id and name of each admin of the consultancy that serves the tenant: they reach it
    without a membership (its consultants need one, see okr_user_grants)."""
    async with tenant_transaction(pool, [tenant_id]) as conn:
        rows = await conn.fetch(
            "SELECT u.id, u.display_name FROM tenants t"
            " JOIN consultancy_members c ON c.consultancy_id = t.consultancy_id"
            " JOIN users u ON u.id = c.user_id WHERE t.id = $1 AND c.role = $2",
            tenant_id,
            Role.CONSULTANCY_ADMIN.value,
        )
    return [(r["id"], r["display_name"]) for r in rows]


async def _insert_membership(
    conn: asyncpg.Connection, tenant_id: UUID, user_id: UUID, role: Role, person: str = "user_id"
) -> Membership:
    """`person`: the field that named the person (an invitation names them by email)."""
    if role == Role.CONSULTANT:
        await _check_consultant(conn, tenant_id, user_id)
    try:  # the error ends the caller's transaction: nothing runs in it after one
        with _in_password_scope(person):
            await conn.execute(
                "INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)",
                tenant_id, user_id, role.value,
            )  # fmt: skip
    except asyncpg.UniqueViolationError:
        raise DuplicateMembershipError(
            "already a member of this tenant: change the role instead", field=person
        ) from None
    except asyncpg.ForeignKeyViolationError as e:
        raise _unknown(e, tenant_id, user_id) from None
    return await _fetch_membership(conn, tenant_id, user_id)


@contextlib.contextmanager
def _in_password_scope(person: str) -> Iterator[None]:
    """Refused (BoundElsewhereError, naming `person`'s field) when the statement would give
    an account access beyond the scope of the link it chose its password with (migration
    0018's check `password_scope`)."""
    try:
        yield
    except asyncpg.CheckViolationError as e:
        constraint: str | None = getattr(e, "constraint_name", None)
        if constraint != "password_scope":
            raise
        raise BoundElsewhereError(
            "this account chose its password with a link made where you do not manage"
            " people: it cannot be given access here; invite its owner under another email",
            field=person,
        ) from None


async def _check_consultant(conn: asyncpg.Connection, tenant_id: UUID, user_id: UUID) -> None:
    if not await conn.fetchval(_CONSULTANT_ALLOWED, tenant_id, user_id):
        raise NotConsultancyMemberError(
            "a consultant must belong to the tenant's consultancy", field="role"
        )


async def _fetch_membership(conn: asyncpg.Connection, tenant_id: UUID, user_id: UUID) -> Membership:
    row = await conn.fetchrow(
        f"{_MEMBERSHIP} WHERE m.tenant_id = $1 AND m.user_id = $2", tenant_id, user_id
    )
    return from_row(Membership, row)


def _unknown(
    error: asyncpg.ForeignKeyViolationError, scope_id: UUID, user_id: UUID
) -> UnknownUserError | UnknownTenantError | UnknownConsultancyError:
    constraint = error.constraint_name or ""
    if "user_id" in constraint:
        return UnknownUserError(f"no user {user_id}", field="user_id")
    if constraint.startswith("memberships"):
        return UnknownTenantError(f"no tenant {scope_id}", field="tenant_id")
    return UnknownConsultancyError(f"no consultancy {scope_id}", field="consultancy_id")
