"""Access tokens (JWT) and refresh tokens (opaque, rotated, reuse-detected)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import jwt
import pytest

from tenants.errors import InvalidTokenError
from tenants.tokens import (
    TokenSettings,
    issue_access_token,
    issue_token_pair,
    read_access_token,
    refresh_tokens,
)
from tenants.users import disable_user
from tests.tenants.builders import a_user

SETTINGS = TokenSettings(secret="s" * 48)


def test_a_fresh_access_token_names_its_user_and_expires_in_15_minutes() -> None:
    """The API learns who calls from the token alone, and only for a short while."""
    user = uuid.uuid4()
    claims = read_access_token(SETTINGS, issue_access_token(SETTINGS, user))
    assert claims.user_id == user
    assert claims.expires_at - claims.issued_at == timedelta(minutes=15)
    assert claims.token_id


def test_an_expired_access_token_is_refused() -> None:
    """A leaked token must stop working on its own within minutes."""
    sixteen_minutes_ago = datetime.now(UTC) - timedelta(minutes=16)
    token = issue_access_token(SETTINGS, uuid.uuid4(), now=sixteen_minutes_ago)
    with pytest.raises(InvalidTokenError) as refused:
        read_access_token(SETTINGS, token)
    assert refused.value.rule == "token_expired"


def test_a_tampered_access_token_is_refused() -> None:
    """Changing the subject (becoming someone else) must break the signature."""
    header, payload, signature = issue_access_token(SETTINGS, uuid.uuid4()).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = str(uuid.uuid4())
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(InvalidTokenError) as refused:
        read_access_token(SETTINGS, f"{header}.{forged_payload}.{signature}")
    assert refused.value.rule == "invalid_token"


def test_tokens_signed_otherwise_are_refused() -> None:
    """Another key, the 'none' algorithm, missing claims or garbage: none may pass."""
    user = str(uuid.uuid4())
    now = int(datetime.now(UTC).timestamp())
    claims = {"sub": user, "iat": now, "exp": now + 600, "jti": "j"}
    forged = [
        jwt.encode(claims, "another secret of at least thirty-two bytes", algorithm="HS256"),
        jwt.encode(claims, "", algorithm="none"),  # PyJWT takes "" as the no key "none" signs with
        jwt.encode({"sub": user, "exp": now + 600}, SETTINGS.secret, algorithm="HS256"),
        "not.a.token",
        "",
    ]
    for token in forged:
        with pytest.raises(InvalidTokenError):
            read_access_token(SETTINGS, token)


def test_a_short_signing_secret_is_rejected_at_startup() -> None:
    """A guessable HMAC key lets anyone mint tokens: refuse to run with one."""
    with pytest.raises(ValueError, match="32 bytes"):
        TokenSettings(secret="short")


async def test_a_refresh_token_is_rotated_and_works_once(pool: asyncpg.Pool) -> None:
    """Each refresh hands out a new refresh token and retires the old one."""
    user = await a_user(pool)
    first = await issue_token_pair(pool, SETTINGS, user.id)
    second = await refresh_tokens(pool, SETTINGS, first.refresh_token)
    assert second.refresh_token != first.refresh_token
    assert read_access_token(SETTINGS, second.access_token).user_id == user.id
    third = await refresh_tokens(pool, SETTINGS, second.refresh_token)
    assert read_access_token(SETTINGS, third.access_token).user_id == user.id


async def test_reusing_a_refresh_token_revokes_its_whole_family(pool: asyncpg.Pool) -> None:
    """A refresh token replayed once the token it gave was used means it was stolen: the
    thief and the victim both lose the family."""
    user = await a_user(pool)
    first = await issue_token_pair(pool, SETTINGS, user.id)
    second = await refresh_tokens(pool, SETTINGS, first.refresh_token)
    third = await refresh_tokens(pool, SETTINGS, second.refresh_token)
    with pytest.raises(InvalidTokenError) as replay:
        await refresh_tokens(pool, SETTINGS, first.refresh_token)
    assert replay.value.rule == "refresh_token_reused"
    with pytest.raises(InvalidTokenError):
        await refresh_tokens(pool, SETTINGS, third.refresh_token)


async def test_a_refresh_whose_answer_was_lost_can_be_retried_for_a_while(
    pool: asyncpg.Pool, admin: asyncpg.Connection
) -> None:
    """A phone that lost the answer of its refresh (a dropped connection) retries with the
    same token: it gets a new pair, and the one it never saw is revoked, so one chain goes
    on. Once the retry window is over, the same retry revokes the family."""
    user = await a_user(pool)
    first = await issue_token_pair(pool, SETTINGS, user.id)
    lost = await refresh_tokens(pool, SETTINGS, first.refresh_token)
    retried = await refresh_tokens(pool, SETTINGS, first.refresh_token)
    assert retried.refresh_token != lost.refresh_token
    assert read_access_token(SETTINGS, retried.access_token).user_id == user.id
    with pytest.raises(InvalidTokenError) as unseen:
        await refresh_tokens(pool, SETTINGS, lost.refresh_token)
    assert unseen.value.rule == "invalid_token"  # revoked, not a reuse: the family lives on
    going_on = await refresh_tokens(pool, SETTINGS, retried.refresh_token)

    late = await refresh_tokens(pool, SETTINGS, going_on.refresh_token)
    await admin.execute(
        "UPDATE refresh_tokens SET used_at = used_at - interval '31 seconds'"
        " WHERE user_id = $1 AND used_at IS NOT NULL",
        user.id,
    )
    with pytest.raises(InvalidTokenError) as replay:
        await refresh_tokens(pool, SETTINGS, going_on.refresh_token)
    assert replay.value.rule == "refresh_token_reused"
    with pytest.raises(InvalidTokenError):
        await refresh_tokens(pool, SETTINGS, late.refresh_token)
    never = TokenSettings(secret=SETTINGS.secret, refresh_reuse=timedelta(0))
    again = await issue_token_pair(pool, never, user.id)
    await refresh_tokens(pool, never, again.refresh_token)
    with pytest.raises(InvalidTokenError) as at_once:
        await refresh_tokens(pool, never, again.refresh_token)
    assert at_once.value.rule == "refresh_token_reused"


async def test_two_retries_at_once_leave_one_chain(pool: asyncpg.Pool) -> None:
    """Two retries of a token whose answer was lost, at once: each gets a pair, and only
    the one committed last stays live (the other is revoked, with the one never seen)."""
    user = await a_user(pool)
    first = await issue_token_pair(pool, SETTINGS, user.id)
    await refresh_tokens(pool, SETTINGS, first.refresh_token)
    pairs = await asyncio.gather(
        refresh_tokens(pool, SETTINGS, first.refresh_token),
        refresh_tokens(pool, SETTINGS, first.refresh_token),
    )
    live = []
    for pair in pairs:
        with contextlib.suppress(InvalidTokenError):
            live.append(await refresh_tokens(pool, SETTINGS, pair.refresh_token))
    assert len(live) == 1


async def test_refresh_tokens_are_stored_hashed(
    pool: asyncpg.Pool, admin: asyncpg.Connection
) -> None:
    """A database dump must not hand out live sessions."""
    user = await a_user(pool)
    pair = await issue_token_pair(pool, SETTINGS, user.id)
    stored = await admin.fetch(
        "SELECT r::text AS row FROM refresh_tokens r WHERE user_id = $1", user.id
    )
    assert len(stored) == 1
    assert pair.refresh_token not in stored[0]["row"]


async def test_expired_or_disabled_refresh_is_refused(pool: asyncpg.Pool) -> None:
    """Thirty days, or a disabled account, must each end the session (a sign-out everywhere,
    a password change, is tests/api/test_password_change's)."""
    short = TokenSettings(secret=SETTINGS.secret, refresh_ttl=timedelta(seconds=-1))
    user = await a_user(pool)
    with pytest.raises(InvalidTokenError):
        await refresh_tokens(
            pool, SETTINGS, (await issue_token_pair(pool, short, user.id)).refresh_token
        )

    other = await a_user(pool, "bruno")
    live = await issue_token_pair(pool, SETTINGS, other.id)
    await disable_user(pool, other.id)
    with pytest.raises(InvalidTokenError):
        await refresh_tokens(pool, SETTINGS, live.refresh_token)
    with pytest.raises(InvalidTokenError):
        await refresh_tokens(pool, SETTINGS, "never issued")
