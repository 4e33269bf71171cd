"""One-time links with which an invited person chooses their password (migration 0018).

An invitation makes an account without a password: it cannot sign in. Whoever manages the
person makes a link and hands it to them (this platform sends no mail); the person sets
their password with it, once, within a week. The maker could use the link themselves, so a
link is made (and spent) only for an account that has no password yet and reaches nothing
beyond what its maker manages, and the password binds the account to that for good: it is
given no access beyond (see migration 0018). No one takes over an account that reaches more
than they manage.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg

from tenants import validation as valid
from tenants.errors import InvalidPasswordLinkError, PasswordLinkRefusedError
from tenants.models import PasswordLink
from tenants.passwords import hash_password
from tenants.principal import Principal

LINK_PREFIX = "okrpw_"
LINK_LIFETIME = timedelta(days=7)
_REFUSALS = {
    "has_password": "this account has a password already: its owner signs in with it",
    "beyond": "this account reaches beyond what you manage: a platform admin, or whoever"
    " manages all it reaches, makes its link",
}
"""Why no link: one reason for every account beyond the maker's reach (another client's
member, a consultancy's, a platform admin's, a disabled one), which tells them nothing of
where else it reaches."""


async def make_password_link(
    on: asyncpg.Pool | asyncpg.Connection, user_id: UUID, maker: Principal
) -> PasswordLink:
    """A new link of `maker`'s for the user (their earlier links stop working), if the
    account has no password and reaches nothing beyond the tenants where `maker` manages
    people and the consultancies it is an admin of (a platform admin's: anywhere); read in
    the database, from `maker`'s rights as they are. PasswordLinkRefusedError otherwise."""
    token = LINK_PREFIX + secrets.token_urlsafe(32)
    expires_at = datetime.now(UTC) + LINK_LIFETIME
    outcome = await on.fetchval(
        "SELECT okr_make_password_link($1, $2, $3, $4)",
        user_id, _digest(token), expires_at, maker.id,
    )  # fmt: skip
    if outcome != "made":
        reason = "has_password" if outcome == "has_password" else "beyond"
        raise PasswordLinkRefusedError(_REFUSALS[reason], field="user_id", rule=reason)
    return PasswordLink(user_id=user_id, token=token, expires_at=expires_at)


async def set_password_with_link(pool: asyncpg.Pool, token: str, password: str) -> UUID:
    """Spend the link on this password (checked first: a refused password keeps the link):
    the account whose password it now is. InvalidPasswordLinkError for a link never made,
    used already (or being used: claimed for a minute), expired, or of an account that has a
    password, is disabled, or reaches beyond what the link's maker manages now."""
    clean = valid.password(password)
    if not await _claim(pool, token):  # one caller at a time, before the hash, which costs
        raise _invalid()
    hashed = await asyncio.to_thread(hash_password, clean)
    user_id = await pool.fetchval("SELECT okr_take_password_link($1, $2)", _digest(token), hashed)
    if user_id is None:
        raise _invalid()
    return UUID(str(user_id))


def looks_like_a_link(token: str) -> bool:
    """Whether the text could be a link's token at all: LINK_PREFIX and URL-safe base64
    (what make_password_link writes), so it goes into a cookie as it is."""
    return _LINK_SHAPE.fullmatch(token) is not None


_LINK_SHAPE = re.compile(re.escape(LINK_PREFIX) + r"[A-Za-z0-9_-]{1,94}")
"""A link's token: LINK_PREFIX, then URL-safe base64, 100 characters at most."""


async def link_email(pool: asyncpg.Pool, token: str) -> str | None:
    """The email of the account this link would set a password of now (None: it would
    not): shown to whoever holds it."""
    email = await _by_link(pool, "okr_password_link_open", token)
    return None if email is None else str(email)


async def _claim(pool: asyncpg.Pool, token: str) -> bool:
    return bool(await _by_link(pool, "okr_claim_password_link", token))


async def _by_link(pool: asyncpg.Pool, function: str, token: str) -> object:
    """What a definer function answers of this link (None for text that is no link's)."""
    if not looks_like_a_link(token):
        return None
    return await pool.fetchval(f"SELECT {function}($1)", _digest(token))


def _invalid() -> InvalidPasswordLinkError:
    return InvalidPasswordLinkError(
        "this link does not set a password: it was used, it expired, or it was never made;"
        " ask for a new one",
        field="token",
    )


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()
