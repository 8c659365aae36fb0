"""What device a request comes from, as Immich reports it in the session list."""

from __future__ import annotations

import re
from dataclasses import dataclass

from user_agents import parse as parse_user_agent

_APP_VERSION = (
    re.compile(r"^immich-(?:android|ios|unknown)/(?P<version>.+)$"),
    re.compile(r"^Immich_(?:Android|iOS|Unknown)_(?P<version>.+)$"),
)


@dataclass(frozen=True, slots=True)
class DeviceDetails:
    device_type: str
    device_os: str
    app_version: str | None


def app_version_from(user_agent: str) -> str | None:
    for pattern in _APP_VERSION:
        if match := pattern.match(user_agent):
            return match.group("version")
    return None


def device_details(
    user_agent: str, device_model: str | None = None, device_type: str | None = None
) -> DeviceDetails:
    parsed = parse_user_agent(user_agent or "")
    browser = parsed.browser.family if parsed.browser.family != "Other" else ""
    os_name = parsed.os.family if parsed.os.family != "Other" else ""
    return DeviceDetails(
        device_type=browser or device_model or "",
        device_os=os_name or device_type or "",
        app_version=app_version_from(user_agent or ""),
    )
