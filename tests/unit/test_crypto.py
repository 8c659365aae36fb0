from __future__ import annotations

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


def test_argon2_round_trip() -> None:
    hashed = crypto.hash_secret("correct horse")
    assert hashed.startswith("$argon2id$")
    assert crypto.verify_secret("correct horse", hashed)
    assert not crypto.verify_secret("wrong", hashed)
    assert not crypto.needs_rehash(hashed)


def test_immich_bcrypt_hashes_still_verify_and_ask_for_rehash() -> None:
    immich_style = bcrypt.hashpw(b"password", bcrypt.gensalt(rounds=4)).decode().replace("$2b$", "$2a$", 1)
    assert crypto.verify_secret("password", immich_style)
    assert not crypto.verify_secret("Password", immich_style)
    assert crypto.needs_rehash(immich_style)


def test_bcrypt_reads_only_72_bytes_like_immich() -> None:
    long_password = "x" * 100
    hashed = bcrypt.hashpw(long_password.encode()[:72], bcrypt.gensalt(rounds=4)).decode()
    assert crypto.verify_secret(long_password, hashed)


def test_missing_or_garbage_hash_never_verifies() -> None:
    assert not crypto.verify_secret("x", None)
    assert not crypto.verify_secret("x", "")
    assert not crypto.verify_secret("x", "not-a-hash")


def test_missing_hash_still_pays_for_one_verification(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = crypto._argon2

    class CountingHasher:
        def verify(self, hashed: str, plain: str) -> bool:
            calls.append(plain)
            return real.verify(hashed, plain)

    monkeypatch.setattr(crypto, "_argon2", CountingHasher())
    assert not crypto.verify_secret("guess", None)
    assert calls == ["guess"]
