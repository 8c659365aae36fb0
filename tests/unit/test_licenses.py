"""Which of the license server's public keys apply, and how activation keys are read."""

from __future__ import annotations

import pytest

from albumen.kit.errors import BadRequest
from albumen.system import licenses


def test_production_keys_unless_immich_env_names_another_environment() -> None:
    assert licenses.public_keys({}) is licenses.PRODUCTION
    assert licenses.public_keys({"IMMICH_ENV": "production"}) is licenses.PRODUCTION
    assert licenses.public_keys({"IMMICH_ENV": "testing"}) is licenses.STAGING
    assert licenses.public_keys({"IMMICH_ENV": "development"}) is licenses.STAGING


@pytest.mark.parametrize(
    ("license_key", "kinds"),
    [
        ("IMCL-AAAA", (licenses.LicenseKind.SERVER,)),
        ("imsv-AAAA", (licenses.LicenseKind.SERVER,)),
        ("IMXX-AAAA", (licenses.LicenseKind.CLIENT, licenses.LicenseKind.SERVER)),
    ],
)
def test_a_prefix_of_another_kind_is_refused_before_any_signature_check(
    license_key: str, kinds: tuple[licenses.LicenseKind, ...]
) -> None:
    with pytest.raises(BadRequest, match="Invalid license key"):
        licenses.check_license(license_key, "c2lnbmF0dXJl", kinds)


def test_activation_keys_in_either_base64_alphabet_decode_alike() -> None:
    assert licenses._signature("-_8") == licenses._signature("+/8=") == b"\xfb\xff"
    assert licenses._signature("not base64 !") is None
