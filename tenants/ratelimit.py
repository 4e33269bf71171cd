"""Sign-in rate limiting, shared by every process through the login_attempts table.

In the database rather than in memory: a deployment runs several processes (and restarts
them); a per-process counter would multiply the allowance by the number of workers.
A failure counts for its email for 15 minutes (5 allowed, a success clears them) and for its
IP for one minute (20 allowed, whatever the email: a success does not clear those).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from ipaddress import IPv4Address, IPv6Address, ip_address

import asyncpg

from tenants.errors import RateLimitedError

IpLike = str | IPv4Address | IPv6Address

_WAIT = """
SELECT
  (SELECT a.attempted_at + $3::interval - now() FROM login_attempts a
    WHERE a.email = $1 AND NOT a.succeeded AND a.attempted_at > now() - $3::interval
      AND a.attempted_at > coalesce((SELECT max(s.attempted_at) FROM login_attempts s
                                      WHERE s.email = $1 AND s.succeeded), '-infinity')
    ORDER BY a.attempted_at DESC OFFSET $4::int - 1 LIMIT 1) AS email_wait,
  (SELECT a.attempted_at + $5::interval - now() FROM login_attempts a
    WHERE a.ip = $2 AND NOT a.succeeded AND a.attempted_at > now() - $5::interval
    ORDER BY a.attempted_at DESC OFFSET $6::int - 1 LIMIT 1) AS ip_wait
"""
_RECORD = "INSERT INTO login_attempts (email, ip, succeeded) VALUES ($1, $2, $3)"


@dataclass(frozen=True)
class LoginLimits:
    """How many failed sign-ins are allowed, per email and per IP, in which window."""

    per_email: int = 5
    email_window: timedelta = timedelta(minutes=15)
    per_ip: int = 20
    ip_window: timedelta = timedelta(minutes=1)


class LoginRateLimiter:
    """Ask ``check`` before verifying a password; record the outcome after."""

    def __init__(self, pool: asyncpg.Pool, limits: LoginLimits | None = None) -> None:
        self.pool = pool
        self.limits = limits or LoginLimits()

    async def check(self, email: str, ip: IpLike) -> None:
        """RateLimitedError (with retry_after seconds) if this email or IP is over its limit."""
        lim = self.limits
        row = await self.pool.fetchrow(
            _WAIT, _key(email), ip_address(ip), lim.email_window, lim.per_email,
            lim.ip_window, lim.per_ip,
        )  # fmt: skip
        waits = [w for w in (row["email_wait"], row["ip_wait"]) if w is not None]
        if waits:
            retry_after = max(1, math.ceil(max(waits).total_seconds()))
            raise RateLimitedError(
                f"too many failed sign-ins: retry in {retry_after} s", retry_after=retry_after
            )

    async def record_failure(self, email: str, ip: IpLike) -> None:
        """Count a wrong email or password against the email and the IP."""
        await self.pool.execute(_RECORD, _key(email), ip_address(ip), False)

    async def record_success(self, email: str, ip: IpLike) -> None:
        """A successful sign-in: the email's earlier failures stop counting."""
        await self.pool.execute(_RECORD, _key(email), ip_address(ip), True)

    async def purge(self) -> int:
        """Delete attempts older than both windows (for a periodic job). Returns how many."""
        horizon = max(self.limits.email_window, self.limits.ip_window)
        result = await self.pool.execute(
            "DELETE FROM login_attempts WHERE attempted_at < now() - $1::interval", horizon
        )
        return int(result.split()[-1])


def _key(email: str) -> str:
    """The email as counted: trimmed, lower-cased, cut, a NUL (no text column stores
    one) made U+FFFD."""
    return email.strip().lower()[:254].replace("\x00", "\ufffd")
