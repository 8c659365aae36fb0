"""Versions of the media tools this server runs, for `GET /server/about` (asked once per process)."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache

import pyvips  # type: ignore[import-untyped]

PROBE_TIMEOUT_S = 10


@dataclass(frozen=True, slots=True)
class ToolVersions:
    exiftool: str | None
    ffmpeg: str | None
    libvips: str | None


def _output(argv: list[str]) -> str | None:
    executable = shutil.which(argv[0])
    if executable is None:
        return None
    try:
        done = subprocess.run(  # noqa: S603  (fixed argv, never through a shell)
            [executable, *argv[1:]], capture_output=True, timeout=PROBE_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.decode("utf-8", "replace") if done.returncode == 0 else None


def _ffmpeg() -> str | None:
    found = re.search(r"ffmpeg version (\S+)", _output(["ffmpeg", "-hide_banner", "-version"]) or "")
    return found.group(1) if found else None


def _exiftool() -> str | None:
    return (_output(["exiftool", "-ver"]) or "").strip() or None


def _libvips() -> str:
    return ".".join(str(pyvips.version(part)) for part in range(3))


@cache
def tool_versions() -> ToolVersions:
    """Blocking (runs the tools): call it off the event loop."""
    return ToolVersions(exiftool=_exiftool(), ffmpeg=_ffmpeg(), libvips=_libvips())
