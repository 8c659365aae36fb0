from __future__ import annotations

from pathlib import Path

import pytest

from albumen.config import ConfigError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("ALBUMEN_"):
            monkeypatch.delenv(name)


def test_defaults_need_nothing() -> None:
    settings = load_settings()
    assert settings.port == 2283
    assert settings.host == "0.0.0.0"
    assert settings.data_dir == Path("./albumen-data")
    assert settings.database_url is None


def test_environment_and_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALBUMEN_PORT", "3001")
    monkeypatch.setenv("ALBUMEN_RATE_LIMIT__LOGIN_PER_IP", "7")
    settings = load_settings(data_dir=Path("/srv/x"))
    assert settings.port == 3001
    assert settings.rate_limit.login_per_ip == 7
    assert settings.data_dir == Path("/srv/x")


def test_yaml_file_is_read_and_env_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "albumen.yaml"
    config.write_text("port: 4000\nhost: 127.0.0.1\nrate_limit:\n  login_per_account: 4\n")
    monkeypatch.setenv("ALBUMEN_HOST", "::1")
    settings = load_settings(config)
    assert settings.port == 4000
    assert settings.host == "::1"
    assert settings.rate_limit.login_per_account == 4


@pytest.mark.parametrize(
    ("env", "value", "expected"),
    [
        ("ALBUMEN_PORT", "not-a-port", "invalid setting port (ALBUMEN_PORT)"),
        ("ALBUMEN_PORT", "70000", "invalid setting port (ALBUMEN_PORT)"),
        ("ALBUMEN_DATABASE_URL", "mysql://db", "invalid setting database_url (ALBUMEN_DATABASE_URL)"),
        ("ALBUMEN_LOG_LEVEL", "loud", "invalid setting log_level (ALBUMEN_LOG_LEVEL)"),
        # Media on memory:// would vanish at the next restart.
        (
            "ALBUMEN_STORAGE__ORIGINALS",
            "memory://",
            "invalid setting storage.originals (ALBUMEN_STORAGE__ORIGINALS): Value error, memory://",
        ),
        (
            "ALBUMEN_STORAGE__PROFILE",
            "MEMORY://x",
            "invalid setting storage.profile (ALBUMEN_STORAGE__PROFILE): Value error, memory://",
        ),
    ],
)
def test_bad_values_name_the_setting(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value).startswith(expected)
    assert "\n" not in str(caught.value)


def test_unknown_yaml_key_is_named(tmp_path: Path) -> None:
    config = tmp_path / "albumen.yaml"
    config.write_text("prot: 1\n")
    with pytest.raises(ConfigError, match=r"invalid setting prot"):
        load_settings(config)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.yaml")
