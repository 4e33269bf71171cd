"""argon2id password hashing: round trip, wrong password, upgrade of old parameters."""

from __future__ import annotations

import asyncpg
from argon2 import PasswordHasher

from tenants.passwords import hash_password, needs_rehash, verify_password
from tenants.users import authenticate_password
from tests.tenants.builders import a_user


def test_a_hashed_password_verifies_and_is_not_stored_in_clear() -> None:
    """Users must sign in with what they chose, while a database dump reveals no password."""
    encoded = hash_password("correct horse battery staple")
    assert encoded.startswith("$argon2id$")
    assert "correct horse" not in encoded
    assert verify_password(encoded, "correct horse battery staple")


def test_a_wrong_password_does_not_verify() -> None:
    """The whole point of a password: anything else is refused, including a near miss."""
    encoded = hash_password("correct horse battery staple")
    assert not verify_password(encoded, "correct horse battery stapler")
    assert not verify_password(encoded, "")


def test_two_hashes_of_one_password_differ() -> None:
    """Salted hashes: two users with the same password cannot be spotted in the table."""
    assert hash_password("same password here") != hash_password("same password here")


def test_missing_or_garbage_hash_refuses_instead_of_crashing() -> None:
    """An invited user (no hash) or a corrupted row must be a failed sign-in, not a 500."""
    assert not verify_password(None, "anything at all")
    assert not verify_password("not-a-hash", "anything at all")


def test_hash_made_with_weaker_parameters_asks_for_rehash() -> None:
    """Raising the cost later must upgrade old hashes on the next sign-in."""
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    old = hash_password("correct horse battery staple", weak)
    assert verify_password(old, "correct horse battery staple")
    assert needs_rehash(old)
    assert not needs_rehash(hash_password("correct horse battery staple"))


async def test_sign_in_upgrades_an_old_hash_even_below_todays_minimum(
    pool: asyncpg.Pool, admin: asyncpg.Connection
) -> None:
    """Raising cost or length rules later must neither lock old users out nor keep weak hashes."""
    user = await a_user(pool)
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    await admin.execute(
        "UPDATE users SET password_hash = $2 WHERE id = $1", user.id, hash_password("old pw", weak)
    )
    signed_in = await authenticate_password(pool, user.email, "old pw")
    assert signed_in is not None and signed_in.id == user.id
    stored = await admin.fetchval("SELECT password_hash FROM users WHERE id = $1", user.id)
    assert not needs_rehash(stored) and verify_password(stored, "old pw")


async def test_a_password_replaced_in_an_epoch_gone_changes_nothing(pool: asyncpg.Pool) -> None:
    """Two changes at once, each checked against the same old password: the first moves
    the account to a new epoch, and the second, checked in the epoch before, changes
    nothing (the last one written won, whoever wrote it)."""
    from tenants.users import replace_password, session_epoch

    user = await a_user(pool)
    read_in = await session_epoch(pool, user.id)
    assert await replace_password(pool, user.id, "the first one's new password", read_in)
    assert not await replace_password(pool, user.id, "the second one's password", read_in)
    assert await authenticate_password(pool, user.email, "the first one's new password")
    assert await authenticate_password(pool, user.email, "the second one's password") is None
    assert await replace_password(pool, user.id, "an operator's reset password")  # any epoch
