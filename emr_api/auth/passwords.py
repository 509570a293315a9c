"""Password hashing (argon2). A miss costs what a hit costs, so timing does not tell
whether a user exists."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

password_hasher = PasswordHasher()
# A real hash to compare against when the user does not exist, so a miss costs the same.
_DUMMY_HASH = password_hasher.hash(secrets.token_hex(8))


def hash_password(password: str) -> str:
    return password_hasher.hash(password)


def check_password(password_hash: str | None, password: str) -> bool:
    try:
        return password_hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False
