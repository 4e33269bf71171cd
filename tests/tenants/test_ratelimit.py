"""Sign-in rate limiting per email and per IP, shared through the database."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg
import pytest

from tenants.auth import sign_in
from tenants.errors import InvalidCredentialsError, RateLimitedError, SignInBeingCheckedError
from tenants.ratelimit import LoginLimits, LoginRateLimiter
from tenants.tokens import TokenSettings
from tests.tenants.builders import PASSWORD, a_user, an_email, an_ip

SETTINGS = TokenSettings(secret="r" * 48)


async def a_failure(limiter: LoginRateLimiter, email: str, ip: str) -> None:
    """One wrong sign-in, said so: an attempt, then its failure."""
    await limiter.failed(await limiter.attempt(email, ip))


async def test_five_wrong_passwords_lock_the_email_from_that_address(
    pool: asyncpg.Pool,
) -> None:
    """Password guessing must stop after a few tries, or the right guess eventually gets in:
    five wrong from one address lock the email there, even for the right password. They
    do not lock its owner out from another address: five requests from anyone kept any
    account out of the API and the portal."""
    user, limiter, ip = await a_user(pool, password=PASSWORD), LoginRateLimiter(pool), an_ip()
    for _ in range(5):
        with pytest.raises(InvalidCredentialsError):
            await sign_in(pool, limiter, SETTINGS, user.email, "wrong password!", ip)
    with pytest.raises(RateLimitedError) as limited:
        await sign_in(pool, limiter, SETTINGS, user.email, PASSWORD, ip)
    assert 890 <= limited.value.retry_after <= 900
    assert (await sign_in(pool, limiter, SETTINGS, user.email, PASSWORD, an_ip())).access_token


async def test_guesses_from_many_addresses_lock_the_email_but_where_it_signed_in(
    pool: asyncpg.Pool,
) -> None:
    """Fifty wrong passwords for one email, from fifty addresses, lock it from any address
    it has not signed in from in the last 30 days (a guesser spreads their tries); its
    owner still gets in from where they signed in before."""
    user, limiter, home = await a_user(pool, password=PASSWORD), LoginRateLimiter(pool), an_ip()
    await sign_in(pool, limiter, SETTINGS, user.email, PASSWORD, home)
    for _ in range(49):
        await a_failure(limiter, user.email, an_ip())
    await sign_in(pool, limiter, SETTINGS, user.email, PASSWORD, an_ip())  # 49: not yet
    for _ in range(50):
        await a_failure(limiter, user.email, an_ip())
    with pytest.raises(RateLimitedError) as limited:
        await sign_in(pool, limiter, SETTINGS, user.email, PASSWORD, an_ip())
    assert 890 <= limited.value.retry_after <= 900
    assert (await sign_in(pool, limiter, SETTINGS, user.email, PASSWORD, home)).access_token


async def test_old_failures_are_purged_and_known_addresses_kept(pool: asyncpg.Pool) -> None:
    """The periodic purge drops failures past every window, and keeps a success for as
    long as it makes its address known."""
    limits = LoginLimits(email_window=timedelta(seconds=1), ip_window=timedelta(seconds=1))
    limiter, email, ip = LoginRateLimiter(pool, limits), an_email(), an_ip()
    await a_failure(limiter, email, ip)
    await limiter.succeeded(await limiter.attempt(email, ip))
    await asyncio.sleep(1.1)
    assert await limiter.purge() >= 1
    kept = await pool.fetch("SELECT succeeded FROM login_attempts WHERE email = $1", email)
    assert [r["succeeded"] for r in kept] == [True]


async def test_a_success_clears_the_emails_earlier_failures(pool: asyncpg.Pool) -> None:
    """A user who mistypes twice then gets in must not be locked out by those old mistakes."""
    user, limiter, ip = await a_user(pool, password=PASSWORD), LoginRateLimiter(pool), an_ip()
    for _ in range(4):
        with pytest.raises(InvalidCredentialsError):
            await sign_in(pool, limiter, SETTINGS, user.email, "wrong password!", ip)
    await sign_in(pool, limiter, SETTINGS, user.email, PASSWORD, ip)
    for _ in range(4):
        with pytest.raises(InvalidCredentialsError):
            await sign_in(pool, limiter, SETTINGS, user.email, "wrong password!", ip)
    assert (await sign_in(pool, limiter, SETTINGS, user.email, PASSWORD, ip)).access_token


async def test_one_ip_spraying_many_emails_is_limited(pool: asyncpg.Pool) -> None:
    """Trying one password on many accounts from one address must hit the per-IP limit."""
    limiter, ip = LoginRateLimiter(pool), an_ip()
    for _ in range(20):
        await a_failure(limiter, an_email(), ip)
    with pytest.raises(RateLimitedError) as limited:
        await limiter.attempt(an_email(), ip)
    assert 55 <= limited.value.retry_after <= 60
    await limiter.attempt(an_email(), an_ip())  # another address is not affected


async def test_the_limit_lifts_when_the_window_passes(pool: asyncpg.Pool) -> None:
    """A lockout is temporary: a legitimate user gets back in after the window."""
    limits = LoginLimits(per_email=2, email_window=timedelta(seconds=1))
    limiter, email, ip = LoginRateLimiter(pool, limits), an_email(), an_ip()
    await a_failure(limiter, email, ip)
    await a_failure(limiter, email, ip)
    with pytest.raises(RateLimitedError) as limited:
        await limiter.attempt(email, ip)
    assert limited.value.retry_after == 1
    await asyncio.sleep(1.1)
    await limiter.attempt(email, ip)


async def test_unknown_emails_are_counted_like_wrong_passwords(pool: asyncpg.Pool) -> None:
    """Otherwise the limiter itself would tell an attacker which emails have accounts."""
    limiter, email, ip = LoginRateLimiter(pool), an_email("ghost"), an_ip()
    for _ in range(5):
        with pytest.raises(InvalidCredentialsError) as refused:
            await sign_in(pool, limiter, SETTINGS, email, "whatever password", ip)
        assert refused.value.rule == "invalid_credentials"
    with pytest.raises(RateLimitedError):
        await sign_in(pool, limiter, SETTINGS, email, "whatever password", ip)


async def test_guesses_sent_at_once_do_not_all_pass_the_check(pool: asyncpg.Pool) -> None:
    """Fifteen wrong passwords sent at once from one address were fifteen guesses where five
    are allowed: each was checked before any was counted. Five are now."""
    user, limiter, ip = await a_user(pool, password=PASSWORD), LoginRateLimiter(pool), an_ip()

    async def guess() -> type[Exception]:
        try:
            await sign_in(pool, limiter, SETTINGS, user.email, "wrong password!", ip)
        except (InvalidCredentialsError, RateLimitedError) as error:
            return type(error)
        raise AssertionError("a wrong password signed in")

    outcomes = await asyncio.gather(*(guess() for _ in range(15)))
    assert outcomes.count(InvalidCredentialsError) == 5
    assert outcomes.count(SignInBeingCheckedError) == 10  # while the five are checked


async def test_an_ipv6_host_counts_as_its_64(pool: asyncpg.Pool) -> None:
    """A host holds a whole /64 of IPv6 addresses: guesses from 79 of them were 79 sources,
    each under its own limit. They count as one, as an IPv4 address mapped in IPv6 counts
    as that address."""
    limiter, email = LoginRateLimiter(pool), an_email()
    for n in range(1, 6):
        await a_failure(limiter, email, f"2001:db8:1:2::{n:x}")
    with pytest.raises(RateLimitedError) as limited:
        await limiter.attempt(email, "2001:db8:1:2:ffff::1")
    assert limited.value.retry_after > 800
    await limiter.attempt(email, "2001:db8:1:3::1")  # another /64
    mapped = an_ip()
    for _ in range(5):
        await a_failure(limiter, email + "x", mapped)
    with pytest.raises(RateLimitedError):
        await limiter.attempt(email + "x", f"::ffff:{mapped}")


async def test_sign_ins_that_succeed_do_not_count_against_their_address(
    pool: asyncpg.Pool,
) -> None:
    """An office behind one address where 25 people sign in within a minute: every attempt
    is counted as a failure until it succeeds, and a success is then no failure of the
    address (whose limit is 20 a minute)."""
    limiter, office = LoginRateLimiter(pool), an_ip()
    for n in range(25):
        person = await a_user(pool, f"staff{n}", password=PASSWORD)
        assert (await sign_in(pool, limiter, SETTINGS, person.email, PASSWORD, office)).access_token


async def test_right_passwords_sent_at_once_wait_a_second_not_a_quarter_hour(
    pool: asyncpg.Pool,
) -> None:
    """Eight sign-ins of one account sent at once with its password, from one address: the
    attempts being checked count against the limit, so some wait; told to retry in a second
    (they were told 900 s, as if guessed), they then get in; two that succeeded together
    leave no failure behind (one update of the pair changed nothing, and a failure stayed)."""
    user, limiter, ip = await a_user(pool, password=PASSWORD), LoginRateLimiter(pool), an_ip()

    async def one() -> int:
        try:
            await sign_in(pool, limiter, SETTINGS, user.email, PASSWORD, ip)
        except RateLimitedError as refused:
            return refused.retry_after
        return 0

    waits = await asyncio.gather(*(one() for _ in range(8)))
    assert waits.count(0) >= 5 and set(waits) <= {0, 1}, waits
    assert (await sign_in(pool, limiter, SETTINGS, user.email, PASSWORD, ip)).access_token
    left = await pool.fetchval(
        "SELECT count(*) FROM login_attempts WHERE email = $1 AND succeeded IS NOT TRUE",
        user.email,
    )
    assert left == 0
