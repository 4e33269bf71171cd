"""The portal's own settings: the session key, how long a session lives, cookie flags."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog

from services.settings import Settings

log = structlog.get_logger("okr.portal")


@dataclass(frozen=True)
class PortalSettings:
    """What the portal takes from the settings (OKR_SESSION_HOURS, OKR_SECURE_COOKIES)."""

    secret: bytes
    """Key that signs session and CSRF cookies; derived from the app's JWT secret."""
    session_ttl: timedelta = timedelta(hours=Settings.session_hours)
    """A session ends this long after sign-in, whatever happens in between."""
    secure_cookies: bool = Settings.secure_cookies
    """Send cookies over HTTPS only (set it behind TLS)."""
    submissions_ttl: timedelta = timedelta(hours=Settings.idempotency_ttl_hours)
    """A form's submission id replays its first answer this long (as an Idempotency-Key)."""
    max_body_bytes: int = Settings.max_body_bytes
    """The largest form a keyed submission reads (as the API's writes)."""

    @classmethod
    def derive(cls, settings: Any) -> PortalSettings:
        """From the application's settings: its ``jwt_secret``, ``session_hours``,
        ``secure_cookies``, ``idempotency_ttl_hours`` and ``max_body_bytes`` (read from
        OKR_* variables with the others, see Settings)."""
        base = getattr(settings, "jwt_secret", None)
        if base:
            key = hmac.new(str(base).encode(), b"okr-portal-session-v1", hashlib.sha256).digest()
        else:
            log.warning("portal.ephemeral_secret", reason="no jwt_secret: sessions end on restart")
            key = secrets.token_bytes(32)
        hours = float(getattr(settings, "session_hours", Settings.session_hours))
        secure = bool(getattr(settings, "secure_cookies", Settings.secure_cookies))
        ttl = float(getattr(settings, "idempotency_ttl_hours", Settings.idempotency_ttl_hours))
        return cls(
            secret=key, session_ttl=timedelta(hours=hours), secure_cookies=secure,
            submissions_ttl=timedelta(hours=ttl),
            max_body_bytes=int(getattr(settings, "max_body_bytes", Settings.max_body_bytes)),
        )  # fmt: skip
