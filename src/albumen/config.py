"""Albumen's settings: ALBUMEN_* environment variables over an optional YAML file, checked at start."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)


class ConfigError(Exception):
    """A setting is wrong; the message names it and is meant for the operator, not a trace."""


class RateLimitSettings(BaseModel):
    model_config = {"extra": "forbid"}

    login_per_ip: int = Field(20, ge=1, description="failed logins allowed per client IP per window")
    login_per_account: int = Field(10, ge=1, description="failed logins allowed per email per window")
    window_seconds: int = Field(300, ge=1)


class StorageSettings(BaseModel):
    """Where each kind of file lives, as a URL (file://, s3://, rclone://); unset = the media folder."""

    model_config = {"extra": "forbid"}

    originals: str | None = None
    thumbnails: str | None = None
    encoded_video: str | None = None
    profile: str | None = None
    backups: str | None = None
    # Off by default: some Immich clients cannot follow a redirect for media.
    presigned_downloads: bool = Field(
        False, description="answer file downloads from S3 locations with a redirect to a presigned URL"
    )
    presigned_expiry_seconds: int = Field(300, ge=10, le=7 * 24 * 3600)

    @field_validator("originals", "thumbnails", "encoded_video", "profile", "backups")
    @classmethod
    def _lasting(cls, value: str | None) -> str | None:
        # memory:// is the unit tests' stand-in (storage.factory); a server on it would lose every
        # photo at its next restart.
        if value is not None and value.split(":", 1)[0].lower() == "memory":
            raise ValueError("memory:// keeps nothing across a restart; use file://, s3:// or rclone://")
        return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ALBUMEN_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    host: str = "0.0.0.0"  # noqa: S104 - a server is meant to be reachable; the operator narrows it
    port: int = Field(2283, ge=1, le=65535)
    data_dir: Path = Path("./albumen-data")
    database_url: str | None = None
    redis_url: str | None = Field(
        None, description="Redis for scaling out (redis://, rediss://, unix://); unset: no Redis is used"
    )
    config_file: Path | None = Field(None, description="Immich-style system config file (read-only config)")
    allow_setup: bool = True
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "console"] = "json"
    db_pool_size: int = Field(10, ge=1)
    shutdown_grace_seconds: float = Field(10.0, ge=0)
    job_workers: bool = Field(
        True, description="run job workers inside `albumen serve` (false: only `albumen worker`s run jobs)"
    )
    job_heartbeat_seconds: int = Field(
        60, ge=1, description="a running job not heard from this long (its worker died) is queued again"
    )
    job_attempts: int = Field(
        3, ge=1, le=100, description="runs a job gets (one whose worker died counts) before it stays failed"
    )
    job_retry_delay_seconds: float = Field(
        5.0, gt=0, description="wait before a failed job's second run; doubled for each further one"
    )
    stale_temporary_seconds: float = Field(
        86400.0, ge=1, description="a storage temporary this old belongs to no live writer and is swept"
    )
    orphan_file_grace_seconds: float = Field(
        86400.0,
        ge=1,
        description="a stored file no row points at is deleted by the nightly sweep at this age",
    )
    schedule_check_seconds: float = Field(
        20.0, gt=0, description="how often the server looks whether a scheduled job (nightly, backup) is due"
    )
    housekeeping_interval_seconds: float = Field(
        3600.0, ge=0, description="how often trash retention and clean-up run in the server (0 = never)"
    )
    web_dir: Path | None = Field(
        None, description="a built Immich web app (its index.html and _app/) to serve at / ; unset: none"
    )
    rate_limit: RateLimitSettings = RateLimitSettings()
    storage: StorageSettings = StorageSettings()

    @field_validator("database_url")
    @classmethod
    def _postgres_only(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("postgresql://", "postgres://", "postgresql+asyncpg://")):
            raise ValueError("must be a postgresql:// URL")
        return value

    @field_validator("web_dir")
    @classmethod
    def _web_build(cls, value: Path | None) -> Path | None:
        if value is None or str(value) == "":
            return None
        if not value.is_dir():
            raise ValueError(f"{value} is not a folder (it should hold a built Immich web app)")
        if not (value / "index.html").is_file():
            raise ValueError(f"{value} has no index.html: not a built Immich web app (see README, 'Web app')")
        return value.resolve()

    @field_validator("redis_url")
    @classmethod
    def _redis_only(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment beats the YAML file; the file is named by load_settings (model_config["yaml_file"]).
        return init_settings, env_settings, YamlConfigSettingsSource(settings_cls)

    @property
    def postgres_dir(self) -> Path:
        return self.data_dir / "postgres"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "library"


def load_settings(config_path: str | Path | None = None, **overrides: Any) -> Settings:
    """Builds the settings, turning any problem into one ConfigError line that names the key."""
    named = config_path if config_path is not None else os.environ.get("ALBUMEN_CONFIG")
    settings_class: type[Settings] = Settings
    if named:
        path = Path(named)
        if not path.is_file():
            raise ConfigError(f"config file {path} (ALBUMEN_CONFIG / --config) does not exist")
        file_config = SettingsConfigDict(**{**Settings.model_config, "yaml_file": str(path)})
        settings_class = type("FileSettings", (Settings,), {"model_config": file_config})
    try:
        return settings_class(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as error:
        first = error.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "(root)"
        env_name = "ALBUMEN_" + key.upper().replace(".", "__")
        raise ConfigError(f"invalid setting {key} ({env_name}): {first['msg']}") from None
    except Exception as error:  # YAML syntax errors and the like
        raise ConfigError(f"could not read configuration: {error}") from None
