"""Password hashing with argon2id (argon2-cffi's RFC 9106 low-memory profile by default)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

DEFAULT_HASHER = PasswordHasher()
"""argon2id, t=3, m=64 MiB, p=4. Pass another PasswordHasher to change the cost."""


def hash_password(password: str, hasher: PasswordHasher = DEFAULT_HASHER) -> str:
    """An encoded argon2id hash (salt and parameters included)."""
    return hasher.hash(password)


def verify_password(
    encoded: str | None, password: str, hasher: PasswordHasher = DEFAULT_HASHER
) -> bool:
    """True when the password matches; False for a mismatch, a missing or a malformed hash."""
    if encoded is None:
        return False
    try:
        return hasher.verify(encoded, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(encoded: str, hasher: PasswordHasher = DEFAULT_HASHER) -> bool:
    """True when the hash was made with other parameters than the hasher's current ones."""
    try:
        return hasher.check_needs_rehash(encoded)
    except InvalidHashError:
        return True


@cache
def dummy_hash() -> str:
    """Verified against when no user matches, so a wrong email costs as much as a wrong password."""
    return hash_password("a password nobody has: it only spends the time of a real check")
