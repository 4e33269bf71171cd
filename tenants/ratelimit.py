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

An attempt is kept from its check (`attempt`, under the email's and the IP's locks) as being
checked, then said to have failed or succeeded: attempts sent at once cannot all pass the
check (those being checked count against the limits, for a second's wait), and a success is
no failure of its address.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

import asyncpg

from tenants.db import LONG_STATEMENT_SECONDS
from tenants.errors import RateLimitedError, SignInBeingCheckedError

IpLike = str | IPv4Address | IPv6Address

_FAILED = "(a.succeeded = false OR (a.succeeded IS NULL AND a.attempted_at < now() - $9::interval))"
"""A failure: said so, or still unsettled past its time (its process died mid-check)."""
_CHECKING = "(a.succeeded IS NULL AND a.attempted_at >= now() - $9::interval)"
"""An attempt being checked now: a failure or a success, still to be said."""
_SINCE_SUCCESS = """ AND a.attempted_at > coalesce((SELECT max(s.attempted_at) FROM login_attempts s
      WHERE s.email = $1 AND s.succeeded), '-infinity')"""
_UNKNOWN_ADDRESS = """ AND NOT EXISTS (SELECT FROM login_attempts k WHERE k.email = $1
      AND k.ip = $2 AND k.succeeded AND k.attempted_at > now() - $7::interval)"""


def _limit(name: str, scope: str, window: str, allowed: str) -> str:
    """Two columns for one limit: how long until its failures fall below it (NULL: they
    are below it), and whether they reach it counting the attempts being checked."""
    where = f"{scope} AND a.attempted_at > now() - {window}::interval"
    return f"""
  (SELECT a.attempted_at + {window}::interval - now() FROM login_attempts a
    WHERE {where} AND {_FAILED}
    ORDER BY a.attempted_at DESC OFFSET {allowed}::int - 1 LIMIT 1) AS {name}_wait,
  (SELECT count(*) >= {allowed}::int FROM login_attempts a
    WHERE {where} AND ({_FAILED} OR {_CHECKING})) AS {name}_busy"""


_LIMITS = "SELECT" + ",".join([
    _limit("pair", "a.email = $1 AND a.ip = $2" + _SINCE_SUCCESS, "$3", "$4"),
    _limit("email", "a.email = $1" + _SINCE_SUCCESS + _UNKNOWN_ADDRESS, "$3", "$8"),
    _limit("ip", "a.ip = $2", "$5", "$6"),
])  # fmt: skip
_BEGIN = "INSERT INTO login_attempts (email, ip, succeeded) VALUES ($1, $2, NULL) RETURNING id"
_SETTLE = """UPDATE login_attempts SET succeeded = $2,
  attempted_at = CASE WHEN $2 THEN now() ELSE attempted_at END WHERE id = $1"""
"""An attempt said to have failed, or succeeded (then now: after the failures it clears)."""
_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended($1, 2121))"
CHECKING_FOR = timedelta(minutes=1)
"""How long an attempt may stay unsettled before it counts as a failure."""


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
    """Ask ``attempt`` before verifying a password (it refuses, or counts the attempt); then
    say how it went with ``failed`` or ``succeeded``."""

    def __init__(self, pool: asyncpg.Pool, limits: LoginLimits | None = None) -> None:
        self.pool = pool
        self.limits = limits or LoginLimits()

    async def attempt(self, email: str, ip: IpLike) -> int:
        """RateLimitedError (with retry_after seconds) if this email from this IP, this email
        from an IP it did not sign in from lately, or this IP is over its limit of failures;
        or, for a second, if it is only counting the attempts being checked now (those
        sent at once: 15 were 15 guesses where 5 are allowed). Else the attempt, kept as
        being checked (under the email's and the IP's locks): its id, for failed or
        succeeded."""
        lim, key, source = self.limits, _key(email), _source(ip)
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(_LOCK, f"email:{key}")  # always the email's first, then the IP's
            await conn.execute(_LOCK, f"ip:{source}")
            row = await conn.fetchrow(
                _LIMITS, key, source, lim.email_window, lim.per_email, lim.ip_window,
                lim.per_ip, lim.known_for, lim.per_email_anywhere, CHECKING_FOR,
            )  # fmt: skip
            waits = [row[f"{n}_wait"] for n in _NAMES if row[f"{n}_wait"] is not None]
            if waits:
                retry_after = max(1, math.ceil(max(waits).total_seconds()))
                raise RateLimitedError(
                    f"too many failed sign-ins: retry in {retry_after} s", retry_after=retry_after
                )
            if any(row[f"{n}_busy"] for n in _NAMES):
                raise SignInBeingCheckedError(
                    "sign-ins of this account or address are being checked: retry in 1 s",
                    retry_after=1,
                )
            attempt_id: int = await conn.fetchval(_BEGIN, key, source)
            return attempt_id

    async def failed(self, attempt_id: int) -> None:
        """The attempt's email or password was wrong."""
        await self.pool.execute(_SETTLE, attempt_id, False)

    async def succeeded(self, attempt_id: int) -> None:
        """The attempt signed in: the email's earlier failures stop counting, and its IP is
        known for it (an IP's limit counts failures only: a success is not one)."""
        await self.pool.execute(_SETTLE, attempt_id, True)

    async def forgive(self, email: str) -> int:
        """Forget the email's failed sign-ins (and those being checked): its password was
        reset for its owner, who may sign in at once. Returns how many."""
        result = await self.pool.execute(
            "DELETE FROM login_attempts WHERE email = $1 AND succeeded IS NOT TRUE", _key(email)
        )
        return int(result.split()[-1])

    async def purge(self) -> int:
        """Delete failures (and attempts never settled) older than both windows, and
        successes no longer known (for a periodic job). Returns how many."""
        horizon = max(self.limits.email_window, self.limits.ip_window)
        known = max(horizon, self.limits.known_for)
        result = await self.pool.execute(
            "DELETE FROM login_attempts WHERE attempted_at < now() - CASE WHEN succeeded"
            " THEN $2::interval ELSE $1::interval END",
            horizon, known, timeout=LONG_STATEMENT_SECONDS,
        )  # fmt: skip
        return int(result.split()[-1])


_NAMES = ("pair", "email", "ip")


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
