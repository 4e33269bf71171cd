"""Signing in and turning a bearer credential into a Principal, once per request."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from tenants import validation as valid
from tenants.api_keys import KEY_PREFIX, authenticate_api_key
from tenants.errors import (
    InvalidCredentialsError,
    InvalidTokenError,
    WeakPasswordError,
    WrongPasswordError,
)
from tenants.principal import Principal
from tenants.ratelimit import IpLike, LoginRateLimiter
from tenants.tokens import (
    AUTHORIZATION,
    TokenPair,
    TokenSettings,
    issue_token_pair,
    read_access_token,
)
from tenants.users import (
    check_password,
    replace_password,
    resolve_user_principal,
    user_email,
)


async def sign_in(
    pool: asyncpg.Pool,
    limiter: LoginRateLimiter,
    settings: TokenSettings,
    email: str,
    password: str,
    ip: IpLike,
) -> TokenPair:
    """Email and password for a token pair.

    RateLimitedError before any check when the email or IP is over its limit;
    InvalidCredentialsError (counted) for an unknown email or a wrong password alike.
    """
    attempt = await limiter.attempt(email, ip)
    checked = await check_password(pool, email, password)
    if checked is None:
        await limiter.failed(attempt)
        raise InvalidCredentialsError("wrong email or password")
    await limiter.succeeded(attempt)
    user, epoch = checked
    return await issue_token_pair(pool, settings, user.id, epoch)


async def change_own_password(
    pool: asyncpg.Pool,
    limiter: LoginRateLimiter,
    user_id: UUID,
    current: str,
    new: str,
    ip: IpLike,
) -> int:
    """A signed-in person's password changed, given the one they have: every session and
    token of theirs ends; the session epoch to issue those of the device it was changed on
    in.

    WeakPasswordError (naming new_password) for a new password out of the rule, or the
    current one again; RateLimitedError and WrongPasswordError (naming current_password,
    counted) as a sign-in's; nothing changes then."""
    clean = valid.password(new, "new_password")  # before the attempt: it settles each one
    email = await user_email(pool, user_id)
    attempt = await limiter.attempt(email, ip)
    checked = await check_password(pool, email, current)
    if checked is None or checked[0].id != user_id:
        await limiter.failed(attempt)
        raise WrongPasswordError("this is not your current password", field="current_password")
    await limiter.succeeded(attempt)
    if clean == current:
        raise WeakPasswordError(
            "the new password is the current one: choose another", field="new_password",
            rule="unchanged",
        )  # fmt: skip
    epoch = await replace_password(pool, user_id, clean, checked[1])
    if epoch is None:  # changed meanwhile
        raise WrongPasswordError(
            "your password was changed meanwhile: sign in again", field="current_password",
            rule="changed_meanwhile",
        )  # fmt: skip
    return epoch


async def authenticate_bearer(pool: asyncpg.Pool, settings: TokenSettings, token: str) -> Principal:
    """The principal behind ``Authorization: Bearer <token>``: an API key or an access token.

    InvalidTokenError when the token is expired, tampered with, revoked, or its user is gone
    or disabled. The principal's grants are read now, not taken from the token.
    """
    if token.startswith(KEY_PREFIX):
        principal = await authenticate_api_key(pool, token)
        if principal is None:
            raise InvalidTokenError("API key not valid", field=AUTHORIZATION)
        return principal
    claims = read_access_token(settings, token)
    user = await resolve_user_principal(pool, claims.user_id, claims.epoch)
    if user is None:
        raise InvalidTokenError(
            "user unknown or disabled, or their sign-in ended (their password changed)",
            field=AUTHORIZATION,
        )
    return user
