"""Tokens, keys and password hashes. Only hashes are stored; plain values are shown once.

Hashing a password or PIN costs ~180 ms of CPU and 64 MiB. It runs on a few dedicated threads (argon2
and bcrypt release the GIL), one per core at most, so logins neither stall the event loop nor pile up
memory: a burst of logins waits its turn while every other request is served.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import os
import re
import secrets
from concurrent.futures import ThreadPoolExecutor

import bcrypt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_argon2 = PasswordHasher()
_NON_WORD = re.compile(r"\W")
# Verified against when the account does not exist, so a wrong email costs as much as a wrong password.
_DUMMY_HASH = _argon2.hash(secrets.token_hex(16))
BCRYPT_MAX_BYTES = 72
HASHING_THREADS = max(1, min(4, os.cpu_count() or 1))
_hashing = ThreadPoolExecutor(max_workers=HASHING_THREADS, thread_name_prefix="albumen-hash")


def random_token() -> str:
    """32 random bytes, base64 without non-word characters, like Immich's session tokens and API keys."""
    return _NON_WORD.sub("", base64.b64encode(secrets.token_bytes(32)).decode())


def share_key() -> bytes:
    return secrets.token_bytes(50)


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def hash_secret(plain: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(_hashing, _argon2_hash, plain)


async def verify_secret(plain: str, hashed: str | None) -> bool:
    """Checks argon2 and Immich's bcrypt hashes off the event loop; a missing hash still costs one
    verification, so an unknown account answers as slowly as a wrong password."""
    return await asyncio.get_running_loop().run_in_executor(_hashing, _verify, plain, hashed)


def _argon2_hash(plain: str) -> str:
    return _argon2.hash(plain)


def _verify(plain: str, hashed: str | None) -> bool:
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
