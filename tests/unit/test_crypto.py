from __future__ import annotations

import asyncio
import threading

import bcrypt
import pytest

from albumen.kit import crypto


def test_tokens_are_random_and_word_characters_only() -> None:
    tokens = {crypto.random_token() for _ in range(200)}
    assert len(tokens) == 200
    assert all(t.isalnum() or "_" in t for t in tokens)
    assert all(30 <= len(t) <= 43 for t in tokens)  # 44 base64 chars less padding and +/


def test_digest_is_sha256() -> None:
    assert len(crypto.token_digest("abc")) == 32
    assert crypto.token_digest("abc") != crypto.token_digest("abd")


async def test_argon2_round_trip() -> None:
    hashed = await crypto.hash_secret("correct horse")
    assert hashed.startswith("$argon2id$")
    assert await crypto.verify_secret("correct horse", hashed)
    assert not await crypto.verify_secret("wrong", hashed)
    assert not crypto.needs_rehash(hashed)


async def test_immich_bcrypt_hashes_still_verify_and_ask_for_rehash() -> None:
    immich_style = bcrypt.hashpw(b"password", bcrypt.gensalt(rounds=4)).decode().replace("$2b$", "$2a$", 1)
    assert await crypto.verify_secret("password", immich_style)
    assert not await crypto.verify_secret("Password", immich_style)
    assert crypto.needs_rehash(immich_style)


async def test_bcrypt_reads_only_72_bytes_like_immich() -> None:
    long_password = "x" * 100
    hashed = bcrypt.hashpw(long_password.encode()[:72], bcrypt.gensalt(rounds=4)).decode()
    assert await crypto.verify_secret(long_password, hashed)


async def test_missing_or_garbage_hash_never_verifies() -> None:
    assert not await crypto.verify_secret("x", None)
    assert not await crypto.verify_secret("x", "")
    assert not await crypto.verify_secret("x", "not-a-hash")


async def test_missing_hash_still_pays_for_one_verification(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = crypto._argon2

    class CountingHasher:
        def verify(self, hashed: str, plain: str) -> bool:
            calls.append(plain)
            return real.verify(hashed, plain)

    monkeypatch.setattr(crypto, "_argon2", CountingHasher())
    assert not await crypto.verify_secret("guess", None)
    assert calls == ["guess"]


async def test_hashing_leaves_the_event_loop_free() -> None:
    """Four verifications start first, yet a coroutine queued after them finishes before any of them:
    hashing on the event loop would run each to its end before the loop got back to the others."""
    finished: list[str] = []

    async def verify() -> None:
        await crypto.verify_secret("guess", None)
        finished.append("verify")

    async def ping() -> None:
        await asyncio.sleep(0)
        finished.append("ping")

    await asyncio.gather(*(verify() for _ in range(4)), ping())
    assert finished == ["ping", "verify", "verify", "verify", "verify"]


async def test_hashing_runs_on_a_bounded_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    threads: set[str] = set()
    real = crypto._verify

    def recording(plain: str, hashed: str | None) -> bool:
        threads.add(threading.current_thread().name)
        return real(plain, hashed)

    monkeypatch.setattr(crypto, "_verify", recording)
    await asyncio.gather(*(crypto.verify_secret("guess", None) for _ in range(3 * crypto.HASHING_THREADS)))
    assert threads
    assert all(name.startswith("albumen-hash") for name in threads)
    assert len(threads) <= crypto.HASHING_THREADS
