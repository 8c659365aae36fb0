"""Tokens, keys and password hashes. Only hashes are stored; plain values are shown once."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import re
import secrets

import bcrypt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_argon2 = PasswordHasher()
_NON_WORD = re.compile(r"\W")
# Verified against when the account does not exist, so a wrong email costs as much as a wrong password.
_DUMMY_HASH = _argon2.hash(secrets.token_hex(16))
BCRYPT_MAX_BYTES = 72


def random_token() -> str:
    """32 random bytes, base64 without non-word characters, like Immich's session tokens and API keys."""
    return _NON_WORD.sub("", base64.b64encode(secrets.token_bytes(32)).decode())


def share_key() -> bytes:
    return secrets.token_bytes(50)


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def hash_secret(plain: str) -> str:
    return _argon2.hash(plain)


def verify_secret(plain: str, hashed: str | None) -> bool:
    """Checks argon2 hashes and Immich's bcrypt ($2a$/$2b$) so a migrated database keeps working."""
    if not hashed:
        _burn(plain)
        return False
    if hashed.startswith("$2"):
        # bcrypt only reads the first 72 bytes; bcrypt 5 refuses longer input instead of truncating.
        candidate = plain.encode()[:BCRYPT_MAX_BYTES]
        try:
            return bcrypt.checkpw(candidate, hashed.encode())
        except ValueError:
            return False
    try:
        return _argon2.verify(hashed, plain)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(hashed: str) -> bool:
    if hashed.startswith("$2"):
        return True
    try:
        return _argon2.check_needs_rehash(hashed)
    except InvalidHashError:
        return True


def _burn(plain: str) -> None:
    with contextlib.suppress(VerificationError):
        _argon2.verify(_DUMMY_HASH, plain)


def constant_time_equal(left: bytes, right: bytes) -> bool:
    return hmac.compare_digest(left, right)
