"""A stand-in license server: our own RSA key pair, installed as the keys the server verifies against."""

from __future__ import annotations

import base64
from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from albumen.system import licenses


@dataclass
class LicenseServer:
    client_key: rsa.RSAPrivateKey
    server_key: rsa.RSAPrivateKey

    def sign(self, license_key: str, *, as_server: bool | None = None) -> str:
        """The activation key for `license_key`, URL-safe base64 without padding like the real ones."""
        server = license_key.startswith("IMSV-") if as_server is None else as_server
        key = self.server_key if server else self.client_key
        signature = key.sign(license_key.encode(), padding.PKCS1v15(), hashes.SHA256())
        return base64.urlsafe_b64encode(signature).rstrip(b"=").decode()


def _encoded_public(key: rsa.RSAPrivateKey) -> str:
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(pem).decode()


@pytest.fixture
def license_server(monkeypatch: pytest.MonkeyPatch) -> LicenseServer:
    """Only for in-process servers (the `client` fixture): the keys are swapped in this process."""
    issued = LicenseServer(
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
    )
    keys = licenses.PublicKeys(
        client=_encoded_public(issued.client_key), server=_encoded_public(issued.server_key)
    )
    monkeypatch.setattr(licenses, "public_keys", lambda environ=None: keys)
    return issued
