"""People: accounts, passwords, sign-in, and resolving who a user is on each request."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from tenants import validation as valid
from tenants.errors import DuplicateEmailError, InvalidEmailError, UnknownUserError
from tenants.models import User, from_row
from tenants.passwords import dummy_hash, hash_password, needs_rehash, verify_password
from tenants.principal import Principal
from tenants.roles import Role

USER_COLUMNS = "id, email, display_name, is_platform_admin, created_at, disabled_at"
_INSERT = (
    "INSERT INTO users (id, email, display_name, password_hash) VALUES ($1, $2, $3, $4)"
    f" RETURNING {USER_COLUMNS}"
)
_STORE_HASH = "UPDATE users SET password_hash = $2 WHERE id = $1"
_UPGRADE_HASH = "UPDATE users SET password_hash = $2 WHERE id = $1 AND session_epoch = $3"
"""A hash made anew with today's parameters, unless the password changed since it was read
(a change moves the epoch on): the old password's hash written over the new one's brought
the old password back."""
_CREDENTIALS = """
SELECT c.user_id, c.password_hash, u.session_epoch
  FROM okr_user_credentials($1) c JOIN users u ON u.id = c.user_id
"""
"""An account's password hash and the session epoch it is of, read at one instant."""
_PRINCIPAL = """
SELECT u.display_name, u.is_platform_admin,
       (SELECT coalesce(jsonb_object_agg(g.tenant_id, g.role), '{}')
          FROM okr_user_grants(u.id) g) AS grants,
       (SELECT coalesce(jsonb_object_agg(c.consultancy_id, c.role), '{}')
          FROM consultancy_members c WHERE c.user_id = u.id) AS consultancy_roles
  FROM users u
 WHERE u.id = $1 AND u.disabled_at IS NULL
   AND ($2::integer IS NULL OR u.session_epoch = $2)
"""
_REPLACE_HASH_END_SESSIONS = """
WITH changed AS (
    UPDATE users SET password_hash = $2, session_epoch = session_epoch + 1
     WHERE id = $1 AND disabled_at IS NULL
       AND ($3::integer IS NULL OR session_epoch = $3) RETURNING id, session_epoch),
revoked AS (
    UPDATE refresh_tokens SET revoked_at = now()
     WHERE user_id IN (SELECT id FROM changed) AND revoked_at IS NULL)
SELECT session_epoch FROM changed
"""


async def create_user(
    pool: asyncpg.Pool,
    email: str,
    display_name: str,
    *,
    password: str | None = None,
    user_id: UUID | None = None,
) -> User:
    """A new user; without a password it cannot sign in until one is set."""
    clean_email, clean_name = valid.email(email), valid.name(display_name, "display_name")
    hashed = None
    if password is not None:
        hashed = await asyncio.to_thread(hash_password, valid.password(password))
    try:
        row = await pool.fetchrow(_INSERT, user_id or uuid4(), clean_email, clean_name, hashed)
    except asyncpg.UniqueViolationError:
        raise DuplicateEmailError(f"{clean_email} already has an account", field="email") from None
    return from_row(User, row)


async def account_for(conn: asyncpg.Connection, email: str, display_name: str) -> tuple[UUID, bool]:
    """The id of the account with this email, made without a password if none has it, in
    the caller's transaction (what it is made for failing, it goes too), and whether it was
    made now."""
    clean_email, clean_name = valid.email(email), valid.name(display_name, "display_name")
    made = await conn.fetchval(
        "INSERT INTO users (id, email, display_name) VALUES ($1, $2, $3)"
        " ON CONFLICT (email) DO NOTHING RETURNING id",
        uuid4(), clean_email, clean_name,
    )  # fmt: skip
    if made is not None:
        return made, True
    return await conn.fetchval("SELECT id FROM users WHERE email = $1", clean_email), False


async def get_user(pool: asyncpg.Pool, user_id: UUID) -> User:
    """The user, or UnknownUserError."""
    row = await pool.fetchrow(f"SELECT {USER_COLUMNS} FROM users WHERE id = $1", user_id)
    if row is None:
        raise UnknownUserError(f"no user {user_id}", field="user_id")
    return from_row(User, row)


async def find_user_by_email(pool: asyncpg.Pool, email: str) -> User | None:
    """The user with this address (any case), or None."""
    clean = valid.email(email)
    row = await pool.fetchrow(f"SELECT {USER_COLUMNS} FROM users WHERE email = $1", clean)
    return None if row is None else from_row(User, row)


async def set_password(pool: asyncpg.Pool, user_id: UUID, password: str) -> None:
    """Replace the user's password (its refresh tokens stay: revoke them to sign out)."""
    hashed = await asyncio.to_thread(hash_password, valid.password(password))
    updated = await pool.execute(_STORE_HASH, user_id, hashed)
    if updated == "UPDATE 0":
        raise UnknownUserError(f"no user {user_id}", field="user_id")


async def user_email(pool: asyncpg.Pool, user_id: UUID) -> str:
    """The email of an enabled user (UnknownUserError otherwise)."""
    email = await pool.fetchval(
        "SELECT email FROM users WHERE id = $1 AND disabled_at IS NULL", user_id
    )
    if email is None:
        raise UnknownUserError(f"no user {user_id}", field="user_id")
    return str(email)


async def session_epoch(on: asyncpg.Pool | asyncpg.Connection, user_id: UUID) -> int:
    """The epoch a session or token issued now carries (see migration 0023)."""
    epoch = await on.fetchval("SELECT session_epoch FROM users WHERE id = $1", user_id)
    return int(epoch or 0)


async def replace_password(
    on: asyncpg.Pool | asyncpg.Connection,
    user_id: UUID,
    password: str,
    epoch: int | None = None,
) -> int | None:
    """The user's password replaced by this one (checked by the caller), and every session
    and token issued before ended: the account moves to a new epoch, which it returns (the
    one to issue this device's in), and its refresh tokens are revoked (those stored while
    this runs are of the epoch before: spent in no other, they refresh nothing). With
    `epoch`, the one the caller read the password it checked in: only if it is still the
    user's (None: it changed meanwhile)."""
    hashed = await asyncio.to_thread(hash_password, password)
    return await replace_hash(on, user_id, hashed, epoch)


async def replace_hash(
    on: asyncpg.Pool | asyncpg.Connection, user_id: UUID, hashed: str, epoch: int | None = None
) -> int | None:
    """replace_password with the password hashed already: a caller holding locks hashes it
    before it takes them (a hash takes about a tenth of a second)."""
    new: int | None = await on.fetchval(_REPLACE_HASH_END_SESSIONS, user_id, hashed, epoch)
    return new


async def disable_user(pool: asyncpg.Pool, user_id: UUID) -> User:
    """The user can no longer sign in, refresh or act; its refresh tokens are revoked."""
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            "UPDATE users SET disabled_at = coalesce(disabled_at, now()) WHERE id = $1"
            f" RETURNING {USER_COLUMNS}",
            user_id,
        )
        if row is None:
            raise UnknownUserError(f"no user {user_id}", field="user_id")
        await conn.execute(
            "UPDATE refresh_tokens SET revoked_at = now()"
            " WHERE user_id = $1 AND revoked_at IS NULL",
            user_id,
        )
    return from_row(User, row)


async def authenticate_password(pool: asyncpg.Pool, email: str, password: str) -> User | None:
    """The enabled user with this email and password, or None (same cost either way).

    A hash made with older argon2 parameters is upgraded on the way.
    """
    checked = await check_password(pool, email, password)
    return None if checked is None else checked[0]


async def check_password(pool: asyncpg.Pool, email: str, password: str) -> tuple[User, int] | None:
    """The enabled user with this email and password, and the session epoch the password was
    read in, which a session or token issued for this sign-in carries: if the password
    changed meanwhile, what it opens ends with the rest. None if no such user (same cost
    either way). A hash made with older argon2 parameters is upgraded on the way."""
    if len(password) > valid.MAX_PASSWORD:
        return None  # no such password was ever accepted; do not spend a hash on it
    try:
        clean = valid.email(email)
    except InvalidEmailError:
        clean = None
    row = None
    if clean is not None:
        row = await pool.fetchrow(_CREDENTIALS, clean)
    encoded = row["password_hash"] if row is not None else dummy_hash()
    matches = await asyncio.to_thread(verify_password, encoded, password)
    if row is None or not matches:
        return None
    if needs_rehash(encoded):  # not set_password: today's length rule must not lock anyone out
        upgraded = await asyncio.to_thread(hash_password, password)
        await pool.execute(_UPGRADE_HASH, row["user_id"], upgraded, row["session_epoch"])
    return await get_user(pool, row["user_id"]), int(row["session_epoch"])


async def resolve_user_principal(
    pool: asyncpg.Pool, user_id: UUID, epoch: int | None = None
) -> Principal | None:
    """The user's principal with every grant, in one query; None if unknown, disabled, or
    if the session or token it is for was issued in another `epoch` than the user's (its
    password changed since; None: no session, the user as they are)."""
    row = await pool.fetchrow(_PRINCIPAL, user_id, epoch)
    if row is None:
        return None
    return Principal(
        kind="user",
        id=user_id,
        display_name=row["display_name"],
        is_platform_admin=row["is_platform_admin"],
        grants=_roles_by_id(row["grants"]),
        consultancy_roles=_roles_by_id(row["consultancy_roles"]),
    )


async def make_platform_admin(admin: asyncpg.Connection, user_id: UUID, value: bool = True) -> None:
    """Grant (or take back) platform-wide reach. Needs the admin login: okr_app cannot."""
    updated = await admin.execute(
        "UPDATE users SET is_platform_admin = $2 WHERE id = $1", user_id, value
    )
    if updated == "UPDATE 0":
        raise UnknownUserError(f"no user {user_id}", field="user_id")


def _roles_by_id(document: Any) -> dict[UUID, Role]:
    pairs = json.loads(document) if isinstance(document, str) else document
    return {UUID(key): Role(value) for key, value in pairs.items()}
