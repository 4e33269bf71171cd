"""Bearer tokens for people: short-lived JWT access tokens and rotating refresh tokens.

Access token: HS256 JWT with only sub, iat, exp, jti and the user's session epoch. It
carries no grants: grants are resolved on every request, so a removed membership or a
disabled user takes effect at once, and a changed password (a new epoch) ends it.
Refresh token: 256 random bits, opaque, stored as sha256, single use, spent only in the
session epoch it was issued in. Using one issues a new one of the same family; presenting a
used one again revokes the family (it was stolen, or two clients raced: either way, sign in
again), but for a client whose answer was lost: within `TokenSettings.refresh_reuse` of its
use, while the token that use issued is still unused, it is spent again (see
refresh_tokens).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import asyncpg
import jwt

from tenants.db import LONG_STATEMENT_SECONDS
from tenants.errors import InvalidTokenError
from tenants.users import session_epoch

_ALGORITHM = "HS256"
MIN_SECRET_BYTES = 32
"""The shortest HMAC key an access token is signed with (OKR_JWT_SECRET)."""
_REQUIRED = ["sub", "exp", "iat", "jti", "epoch"]
AUTHORIZATION = "Authorization"
"""The header an access token or API key comes in: the field its problems name."""


@dataclass(frozen=True)
class TokenSettings:
    """How tokens are signed and how long they live (from the application's settings)."""

    secret: str
    """HMAC key for access tokens: at least 32 bytes, the same in every process."""
    access_ttl: timedelta = timedelta(minutes=15)
    """Lifetime of an access token."""
    refresh_ttl: timedelta = timedelta(days=30)
    """Lifetime of a refresh token (each rotation starts a new one)."""
    refresh_reuse: timedelta = timedelta(seconds=30)
    """How long after its use a refresh token may be spent again while the token its use
    issued is unused: a client whose answer was lost (a dropped connection) retries with it.
    Zero: never."""

    def __post_init__(self) -> None:
        if len(self.secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"token secret must be at least {MIN_SECRET_BYTES} bytes")


@dataclass(frozen=True)
class AccessClaims:
    """What a valid access token says."""

    user_id: UUID
    token_id: str
    issued_at: datetime
    expires_at: datetime
    epoch: int
    """The user's session epoch when it was issued (see tenants.users.session_epoch)."""


@dataclass(frozen=True)
class TokenPair:
    """What a sign-in or a refresh returns to the client."""

    access_token: str
    refresh_token: str
    expires_in: int
    """Seconds the access token lives."""
    token_type: str = "Bearer"  # noqa: S105 (the OAuth token type, not a secret)


def issue_access_token(
    settings: TokenSettings, user_id: UUID, *, epoch: int = 0, now: datetime | None = None
) -> str:
    """A signed access token for the user in this session `epoch`, valid for
    settings.access_ttl from ``now``."""
    issued = now or datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "iat": int(issued.timestamp()),
        "exp": int((issued + settings.access_ttl).timestamp()),
        "jti": uuid4().hex,
        "epoch": epoch,
    }
    return jwt.encode(claims, settings.secret, algorithm=_ALGORITHM)


def read_access_token(settings: TokenSettings, token: str) -> AccessClaims:
    """The claims of a valid token; InvalidTokenError if expired, tampered with or malformed."""
    try:
        claims = jwt.decode(
            token, settings.secret, algorithms=[_ALGORITHM], options={"require": _REQUIRED}
        )
        return AccessClaims(
            user_id=UUID(claims["sub"]),
            token_id=str(claims["jti"]),
            issued_at=datetime.fromtimestamp(claims["iat"], UTC),
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
            epoch=_whole(claims["epoch"]),
        )
    except jwt.ExpiredSignatureError:
        raise InvalidTokenError(
            "access token expired", field=AUTHORIZATION, rule="token_expired"
        ) from None
    except (jwt.InvalidTokenError, ValueError, TypeError):
        raise InvalidTokenError("access token invalid", field=AUTHORIZATION) from None


async def issue_token_pair(
    pool: asyncpg.Pool, settings: TokenSettings, user_id: UUID, epoch: int | None = None
) -> TokenPair:
    """A fresh sign-in: an access token and the first refresh token of a new family, in the
    session `epoch` its password was checked in (None: the user's now)."""
    if epoch is None:
        epoch = await session_epoch(pool, user_id)
    refresh = await _store_refresh_token(pool, settings, user_id, uuid4(), epoch)
    return _pair(settings, user_id, refresh, epoch)


async def refresh_tokens(
    pool: asyncpg.Pool, settings: TokenSettings, refresh_token: str
) -> TokenPair:
    """Spend a refresh token for a new pair. Expired, revoked, reused: InvalidTokenError.

    A token spent again within settings.refresh_reuse of its use, while the token that use
    issued is unused, is a retry whose answer was lost, not a theft: it is spent again, and
    the unused one revoked, so one chain of the family goes on. Later, or once the next
    token was used, it revokes the family."""
    digest = _digest(refresh_token)
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(_SPEND, digest)
        if row is None and settings.refresh_reuse > timedelta(0):
            row = await conn.fetchrow(_SPEND_AGAIN, digest, settings.refresh_reuse)
            if row is not None:  # (a retry racing it waited for its lock, and revokes its token)
                await conn.execute(_REVOKE_UNUSED, row["family_id"])
        if row is not None:
            user_id = row["user_id"]
            epoch = row["session_epoch"]
            refresh = await _store_refresh_token(conn, settings, user_id, row["family_id"], epoch)
            return _pair(settings, user_id, refresh, epoch)
        reused = await conn.execute(_REVOKE_REUSED_FAMILY, digest) != "UPDATE 0"
    rule = "refresh_token_reused" if reused else "invalid_token"
    raise InvalidTokenError("refresh token not usable", field="refresh_token", rule=rule)


async def purge_refresh_tokens(pool: asyncpg.Pool) -> int:
    """Delete refresh tokens expired for a day (for a periodic job). Returns how many."""
    result = await pool.execute(
        "DELETE FROM refresh_tokens WHERE expires_at < now() - interval '1 day'",
        timeout=LONG_STATEMENT_SECONDS,
    )
    return int(result.split()[-1])


_SPEND = """
UPDATE refresh_tokens r SET used_at = now()
  FROM users u
 WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.revoked_at IS NULL
   AND r.expires_at > now() AND u.id = r.user_id AND u.disabled_at IS NULL
   AND u.session_epoch = r.session_epoch
RETURNING r.user_id, r.family_id, u.session_epoch
"""
_SPEND_AGAIN = """
SELECT r.user_id, r.family_id, u.session_epoch
  FROM refresh_tokens r JOIN users u ON u.id = r.user_id
 WHERE r.token_hash = $1 AND r.used_at > now() - $2::interval AND r.revoked_at IS NULL
   AND r.expires_at > now() AND u.disabled_at IS NULL AND u.session_epoch = r.session_epoch
   AND NOT EXISTS (
       SELECT FROM refresh_tokens n WHERE n.family_id = r.family_id AND n.used_at > r.used_at)
   FOR UPDATE OF r
"""
_REVOKE_UNUSED = """
UPDATE refresh_tokens SET revoked_at = now()
 WHERE family_id = $1 AND used_at IS NULL AND revoked_at IS NULL
"""
_REVOKE_REUSED_FAMILY = """
UPDATE refresh_tokens SET revoked_at = now()
 WHERE revoked_at IS NULL AND family_id = (
       SELECT family_id FROM refresh_tokens WHERE token_hash = $1 AND used_at IS NOT NULL)
"""


def _pair(settings: TokenSettings, user_id: UUID, refresh: str, epoch: int) -> TokenPair:
    return TokenPair(
        access_token=issue_access_token(settings, user_id, epoch=epoch),
        refresh_token=refresh,
        expires_in=int(settings.access_ttl.total_seconds()),
    )


async def _store_refresh_token(
    db: asyncpg.Pool | asyncpg.Connection,
    settings: TokenSettings,
    user_id: UUID,
    family_id: UUID,
    epoch: int,
) -> str:
    token = secrets.token_urlsafe(32)
    await db.execute(
        "INSERT INTO refresh_tokens"
        " (id, user_id, family_id, token_hash, expires_at, session_epoch)"
        " VALUES ($1, $2, $3, $4, now() + $5::interval, $6)",
        uuid4(), user_id, family_id, _digest(token), settings.refresh_ttl, epoch,
    )  # fmt: skip
    return token


def _whole(value: object) -> int:
    """A claim that must be a whole number (ValueError otherwise: the token is invalid)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("not a whole number")
    return value


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()
