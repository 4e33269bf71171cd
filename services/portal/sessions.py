"""Signed cookies: the session (who signed in, until when) and the CSRF token of forms.

The session cookie holds ``<user id>.<epoch>.<expiry>.<nonce>.<signature>``: HMAC-SHA256
over the rest with the portal's key (one of an earlier session epoch, issued before its
person's password last changed, signs nobody in: tenants.users.resolve_user_principal).
Nothing else about the user travels in it: the principal and its grants are resolved on
every request, so a removed membership takes effect at once.
Forms carry ``csrf_token``: HMAC(key, nonce of the session cookie) in a signed-in browser,
bound to that one session (another person's, a signed-out or an earlier session's token is
refused), else HMAC(key, nonce of the ``okr_csrf`` cookie) (the forms to sign in and to
choose a password, which also take it when a session is there: another tab's sign-in). A page
of another site can neither read the cookies nor compute the token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg

SESSION_COOKIE = "okr_session"
CSRF_COOKIE = "okr_csrf"
NOTICE_COOKIE = "okr_notice"
"""A notice for the next page a signed-in person sees, once (its catalog key's last part)."""
NOTICES = frozenset({"password_saved", "password_changed"})
CSRF_FIELD = "csrf_token"
SUBMISSION_FIELD = "submission_id"
"""The one-time id of a form as rendered (services.portal.submissions)."""
SUBMITTED = "okr_submission"
"""Where a request's scope state keeps the submission id it was sent with."""
CAME_FROM_FIELD = "came_from"
"""The page a form was on (a refused form's page, answered at the form's POST-only URL,
comes back to it: see pages.page_here)."""
CAME_FROM = "okr_came_from"
"""Where a request's scope state keeps the page its form was on."""
VIEWER = "okr_viewer"
"""Where a request's scope state keeps who signed in (resolved once a request)."""


@dataclass(frozen=True)
class Session:
    """A valid session: whose, of which of their session epochs, until when (unix
    seconds)."""

    user_id: UUID
    epoch: int
    expires_at: int
    nonce: str


def b64url(data: bytes) -> str:
    """Bytes as unpadded URL-safe base64 (no "." in it: a part of a sealed value)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def from_b64url(text: str) -> bytes:
    """What b64url wrote (binascii.Error, a ValueError, if it is not that)."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _same(given: str, wanted: str) -> bool:
    """Whether a value a browser sent (a cookie's, a form field's: any text) is the one
    signed, in constant time; hmac.compare_digest raises TypeError on a str not of ASCII,
    so it compares their UTF-8 bytes (a cookie of 'é' was a 500, not a forgery refused)."""
    return hmac.compare_digest(given.encode(errors="surrogatepass"), wanted.encode())


class Signer:
    """Issues and checks session cookies and CSRF tokens with one key."""

    def __init__(self, secret: bytes, ttl: timedelta) -> None:
        self._key = secret
        self.ttl = ttl

    def _mac(self, purpose: str, text: str) -> str:
        return b64url(hmac.new(self._key, f"{purpose}|{text}".encode(), hashlib.sha256).digest())

    def issue(self, user_id: UUID, epoch: int = 0, now: float | None = None) -> tuple[str, Session]:
        """A new session cookie value for the user, in their session `epoch`."""
        expires = int((now or time.time()) + self.ttl.total_seconds())
        session = Session(user_id, epoch, expires, secrets.token_urlsafe(12))
        payload = f"{user_id.hex}.{epoch}.{expires}.{session.nonce}"
        return f"{payload}.{self._mac('session', payload)}", session

    def read(self, cookie: str | None, now: float | None = None) -> Session | None:
        """The session of a cookie value, or None if missing, forged, malformed or expired."""
        if not cookie or len(cookie) > 256:
            return None
        payload, _, signature = cookie.rpartition(".")
        if not _same(signature, self._mac("session", payload)):
            return None
        try:
            user_hex, epoch_text, expires_text, nonce = payload.split(".")
            session = Session(UUID(hex=user_hex), int(epoch_text), int(expires_text), nonce)
        except ValueError:
            return None
        return session if session.expires_at > (now or time.time()) else None

    def seal(self, purpose: str, text: str) -> str:
        """`text` with a signature of it for `purpose`: read back only by `unseal`."""
        return f"{text}.{self._mac(purpose, text)}"

    def unseal(self, purpose: str, value: str | None) -> str | None:
        """What `seal` sealed for `purpose`, or None if missing or forged."""
        if not value:
            return None
        text, _, signature = value.rpartition(".")
        return text if text and _same(signature, self._mac(purpose, text)) else None

    @staticmethod
    def new_submission() -> str:
        """A fresh one-time id for the forms of a page."""
        return secrets.token_urlsafe(16)

    @staticmethod
    def new_nonce() -> str:
        return secrets.token_urlsafe(16)

    def session_nonce(self, cookie: str | None) -> str | None:
        """The nonce of a session cookie this portal signed (expired or not: a form of an
        expired session still leads to the sign-in page), else None."""
        if not cookie or len(cookie) > 256:
            return None
        payload, _, signature = cookie.rpartition(".")
        if not _same(signature, self._mac("session", payload)):
            return None
        return payload.rpartition(".")[2] or None

    def csrf_token(self, nonce: str, session_nonce: str | None = None) -> str:
        """The token forms carry: of the session (`session_nonce`) if there is one, else of
        the browser holding this CSRF nonce."""
        if session_nonce:
            return self._mac("csrf-session", session_nonce)
        return self._mac("csrf", nonce)

    def csrf_ok(
        self,
        nonce: str | None,
        token: str | None,
        *,
        session_nonce: str | None = None,
        browser_too: bool = False,
    ) -> bool:
        """Whether a submitted token is the one of this session (none: of the browser's
        CSRF nonce); `browser_too`: the browser's is taken in a session as well."""
        if not token:
            return False
        wanted = [self.csrf_token("", session_nonce)] if session_nonce else []
        if nonce and (browser_too or not session_nonce):
            wanted.append(self.csrf_token(nonce))
        return any(_same(token, w) for w in wanted)


async def sign_out(pool: asyncpg.Pool, session: Session) -> None:
    """End the session for good: its cookie, or any copy of it, signs nobody in again
    (kept until it would have expired; the sessions kept past theirs are dropped)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("DELETE FROM portal_signed_out WHERE expires_at < now()")
        await conn.execute(
            "INSERT INTO portal_signed_out (nonce, expires_at) VALUES ($1, $2)"
            " ON CONFLICT (nonce) DO NOTHING",
            session.nonce,
            datetime.fromtimestamp(session.expires_at, UTC),
        )


async def signed_out(pool: asyncpg.Pool, session: Session) -> bool:
    """Whether the session was ended by signing out."""
    found = await pool.fetchval(
        "SELECT true FROM portal_signed_out WHERE nonce = $1", session.nonce
    )
    return bool(found)
