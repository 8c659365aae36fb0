"""System config: Immich's defaults overlaid with what the admin saved (or the read-only config file)."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from albumen.system.repository import SystemMetadataRepository

DEFAULTS_FILE = Path(__file__).with_name("config_defaults.json")
SYSTEM_CONFIG_KEY = "system-config"


@cache
def _defaults() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DEFAULTS_FILE.read_text())
    return loaded


def defaults() -> dict[str, Any]:
    return copy.deepcopy(_defaults())


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep-merges override into a copy of base; keys unknown to base are dropped."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if key not in merged:
            continue
        if isinstance(merged[key], dict) and isinstance(value, dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def diff(base: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """What current changes relative to base: only that is stored, so new defaults reach old installs."""
    changes: dict[str, Any] = {}
    for key, value in current.items():
        if key not in base:
            continue
        if isinstance(value, dict) and isinstance(base[key], dict):
            nested = diff(base[key], value)
            if nested:
                changes[key] = nested
        elif value != base[key]:
            changes[key] = copy.deepcopy(value)
    return changes


async def load_config(
    repository: SystemMetadataRepository, config_file: Path | None = None
) -> dict[str, Any]:
    if config_file is not None:
        return merge(_defaults(), _config_file(config_file))
    stored = await repository.get(SYSTEM_CONFIG_KEY) or {}
    return merge(_defaults(), stored)


@cache
def _config_file(path: Path) -> dict[str, Any]:
    """Read once: as in Immich, a changed config file takes effect at the next start."""
    text = path.read_text()
    loaded = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text) or {}
    if not isinstance(loaded, dict):
        raise ValueError(f"{path} must hold a mapping")
    return loaded
