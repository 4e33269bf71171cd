"""Sign-in rate limiting, shared by every process through the login_attempts table.

In the database rather than in memory: a deployment runs several processes (and restarts
them); a per-process counter would multiply the allowance by the number of workers.

A failure counts, for 15 minutes, against its email from its IP (5 allowed) and against its
email from anywhere (50 allowed); a success clears the email's earlier failures. The email's
own allowance does not hold for an IP it signed in from in the last 30 days: five wrong
passwords sent by anyone locked the owner out too, so anyone could keep an admin out of
the API and the portal with five requests a quarter of an hour. A failure also counts for its
IP for one minute (20 allowed, whatever the email: a success does not clear those). An IPv6
address counts as its /64, which one host commonly holds whole.

An attempt counts as a failure from its check (`attempt`, under the email's and the IP's
locks) until `record_success`: attempts sent at once cannot all pass the check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

import asyncpg

from tenants.errors import RateLimitedError

IpLike = str | IPv4Address | IPv6Address

_SINCE_SUCCESS = """
      AND a.attempted_at > coalesce((SELECT max(s.attempted_at) FROM login_attempts s
                                      WHERE s.email = $1 AND s.succeeded), '-infinity')"""
_WAIT = f"""
SELECT
  (SELECT a.attempted_at + $3::interval - now() FROM login_attempts a
    WHERE a.email = $1 AND a.ip = $2 AND NOT a.succeeded
      AND a.attempted_at > now() - $3::interval {_SINCE_SUCCESS}
    ORDER BY a.attempted_at DESC OFFSET $4::int - 1 LIMIT 1) AS pair_wait,
  (SELECT a.attempted_at + $3::interval - now() FROM login_attempts a
    WHERE a.email = $1 AND NOT a.succeeded AND a.attempted_at > now() - $3::interval
      {_SINCE_SUCCESS}
      AND NOT EXISTS (SELECT FROM login_attempts k WHERE k.email = $1 AND k.ip = $2
                        AND k.succeeded AND k.attempted_at > now() - $7::interval)
    ORDER BY a.attempted_at DESC OFFSET $8::int - 1 LIMIT 1) AS email_wait,
  (SELECT a.attempted_at + $5::interval - now() FROM login_attempts a
    WHERE a.ip = $2 AND NOT a.succeeded AND a.attempted_at > now() - $5::interval
    ORDER BY a.attempted_at DESC OFFSET $6::int - 1 LIMIT 1) AS ip_wait
"""
_RECORD = "INSERT INTO login_attempts (email, ip, succeeded) VALUES ($1, $2, $3)"
_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended($1, 2121))"
_SUCCEEDED = """
WITH latest AS (
  SELECT ctid FROM login_attempts WHERE email = $1 AND ip = $2 AND NOT succeeded
   ORDER BY attempted_at DESC LIMIT 1)
UPDATE login_attempts a SET succeeded = true, attempted_at = now()
  FROM latest WHERE a.ctid = latest.ctid
"""
"""The attempt that succeeded, counted as the failure it was until now, made a success (an
IP's limit counts failures only: a success is not one)."""


@dataclass(frozen=True)
class LoginLimits:
    """How many failed sign-ins are allowed, per email from one IP, per email from anywhere
    but a known IP, and per IP, in which window."""

    per_email: int = 5
    """From one IP."""
    email_window: timedelta = timedelta(minutes=15)
    per_email_anywhere: int = 50
    """From every IP but those the email signed in from within `known_for`."""
    known_for: timedelta = timedelta(days=30)
    per_ip: int = 20
    ip_window: timedelta = timedelta(minutes=1)


class LoginRateLimiter:
    """Ask ``check`` before verifying a password; record the outcome after."""

    def __init__(self, pool: asyncpg.Pool, limits: LoginLimits | None = None) -> None:
        self.pool = pool
        self.limits = limits or LoginLimits()

    async def attempt(self, email: str, ip: IpLike) -> None:
        """RateLimitedError (with retry_after seconds) if this email from this IP, this email
        from an IP it did not sign in from lately, or this IP is over its limit. Else the
        attempt counts as a failure until record_success says otherwise: counted before the
        password is checked, under the email's and the IP's locks, so attempts sent at once
        do not all pass the check (15 at once were 15 guesses where 5 are allowed)."""
        lim, key, source = self.limits, _key(email), _source(ip)
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(_LOCK, f"email:{key}")  # always the email's first, then the IP's
            await conn.execute(_LOCK, f"ip:{source}")
            row = await conn.fetchrow(
                _WAIT, key, source, lim.email_window, lim.per_email,
                lim.ip_window, lim.per_ip, lim.known_for, lim.per_email_anywhere,
            )  # fmt: skip
            waits = [w for w in row.values() if w is not None]
            if waits:
                retry_after = max(1, math.ceil(max(waits).total_seconds()))
                raise RateLimitedError(
                    f"too many failed sign-ins: retry in {retry_after} s", retry_after=retry_after
                )
            await conn.execute(_RECORD, key, source, False)

    async def record_success(self, email: str, ip: IpLike) -> None:
        """A successful sign-in: the email's earlier failures (this attempt's too) stop
        counting, and the IP is known for it."""
        key, source = _key(email), _source(ip)
        if await self.pool.execute(_SUCCEEDED, key, source) == "UPDATE 0":  # (none attempted)
            await self.pool.execute(_RECORD, key, source, True)

    async def purge(self) -> int:
        """Delete failures older than both windows, and successes no longer known (for a
        periodic job). Returns how many."""
        horizon = max(self.limits.email_window, self.limits.ip_window)
        known = max(horizon, self.limits.known_for)
        result = await self.pool.execute(
            "DELETE FROM login_attempts WHERE attempted_at < now() - CASE WHEN succeeded"
            " THEN $2::interval ELSE $1::interval END",
            horizon, known,
        )  # fmt: skip
        return int(result.split()[-1])


def _source(ip: IpLike) -> IPv4Address | IPv6Address:
    """Where an attempt comes from, as counted: an IPv4 address; an IPv6 one's /64, which
    one host commonly holds whole (79 guesses from one /64 were 79 addresses)."""
    address = ip_address(ip)
    if isinstance(address, IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        return ip_network(f"{address}/64", strict=False).network_address
    return address


def _key(email: str) -> str:
    """The email as counted: trimmed, lower-cased, cut, a NUL (no text column stores
    one) made U+FFFD."""
    return email.strip().lower()[:254].replace("\x00", "\ufffd")
