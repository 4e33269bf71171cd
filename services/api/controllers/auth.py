"""Sign-in, token refresh, and who am I."""

from __future__ import annotations

from ipaddress import ip_address
from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import CacheControlHeader
from litestar.params import JSONBody

from services.api.dependencies import (
    PrincipalDep,
    RuntimeDep,
)
from services.api.idempotency import IF_LOST
from services.api.schemas.tenancy import (
    MeOut,
    PasswordChange,
    PasswordSet,
    Refresh,
    SignIn,
    TokenOut,
)
from services.api.security import PUBLIC
from tenants.auth import change_own_password, sign_in
from tenants.errors import PermissionDeniedError
from tenants.memberships import suspended_tenants
from tenants.password_links import set_password_with_link
from tenants.tokens import TokenPair, issue_token_pair, refresh_tokens

UNKNOWN_IP = "0.0.0.0"  # noqa: S104 - a rate-limit key for clients without an address, not a bind


SECRET = CacheControlHeader(no_store=True)
"""Answers that hold tokens: no cache may keep them (RFC 6749, 5.1)."""


def client_ip(request: Request[Any, Any, Any]) -> str:
    """The caller's address (uvicorn applies X-Forwarded-For from trusted proxies)."""
    host = request.client.host if request.client else UNKNOWN_IP
    try:
        return str(ip_address(host))
    except ValueError:
        return UNKNOWN_IP


def token_out(pair: TokenPair) -> TokenOut:
    return TokenOut(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        token_type="bearer",  # noqa: S106 - the OAuth token type, not a secret
        expires_in=pair.expires_in,
    )


class AuthController(Controller):
    """Tokens for people: sign in with email and password, refresh, the principal, and the
    first password of an invited person."""

    path = "/auth"
    tags = ["auth"]

    @post("/token", opt={PUBLIC: True}, status_code=200, cache_control=SECRET, summary="Sign in")
    async def sign_in(
        self, data: JSONBody[SignIn], request: Request[Any, Any, Any], runtime: RuntimeDep
    ) -> TokenOut:
        """Email and password for an access token and a refresh token (rate-limited)."""
        pair = await sign_in(
            runtime.pool, runtime.limiter, runtime.tokens, data.email, data.password,
            client_ip(request),
        )  # fmt: skip
        return token_out(pair)

    @post(
        "/refresh",
        opt={PUBLIC: True},
        status_code=200,
        cache_control=SECRET,
        summary="Refresh tokens",
    )
    async def refresh(self, data: JSONBody[Refresh], runtime: RuntimeDep) -> TokenOut:
        """Spend a refresh token for a new pair. A used one spent again revokes its whole
        family, but within OKR_REFRESH_REUSE_SECONDS of its use while the token it gave is
        unused (a retry whose answer was lost: that token is revoked instead)."""
        return token_out(await refresh_tokens(runtime.pool, runtime.tokens, data.refresh_token))

    @post("/password", opt={PUBLIC: True}, status_code=204, summary="Set a password by link")
    async def set_password(self, data: JSONBody[PasswordSet], runtime: RuntimeDep) -> None:
        """An invited person chooses their password with the link made for them (POST
        .../users/{user_id}/password-link): once, within a week; then they sign in. A
        password refused (12 to 1024 characters) keeps the link."""
        await set_password_with_link(runtime.pool, data.token, data.password)

    @post(
        "/password/change",
        status_code=200,
        cache_control=SECRET,
        summary="Change your password",
        opt={IF_LOST: "sign in with the new password (every earlier sign-in ended)"},
    )
    async def change_password(
        self,
        data: JSONBody[PasswordChange],
        request: Request[Any, Any, Any],
        principal: PrincipalDep,
        runtime: RuntimeDep,
    ) -> TokenOut:
        """A person's own password, given the one they have (a wrong one counts as a failed
        sign-in); a new token pair for this device. Every other session and token of theirs
        ends, in the portal too: whoever knew the old password is signed out. An API key has
        no password (403)."""
        if principal.kind != "user":
            raise PermissionDeniedError("an API key has no password", field="Authorization")
        epoch = await change_own_password(
            runtime.pool, runtime.limiter, principal.id, data.current_password,
            data.new_password, client_ip(request),
        )  # fmt: skip
        return token_out(await issue_token_pair(runtime.pool, runtime.tokens, principal.id, epoch))

    @get("/me", summary="Who am I")
    async def me(self, principal: PrincipalDep, runtime: RuntimeDep) -> MeOut:
        """The bearer: user or API key, its roles per tenant and consultancy, and the
        tenants of a person's that are suspended."""
        suspended = {}
        if principal.kind == "user":
            suspended = await suspended_tenants(runtime.pool, principal.id)
        return MeOut.of(principal, suspended)
