"""Running ffprobe and ffmpeg (niced, with deadlines) and the errors every video step raises."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Final

PROBE_TIMEOUT_S: Final = 60.0
POSTER_TIMEOUT_S: Final = 120.0
HARDWARE_CHECK_TIMEOUT_S: Final = 30.0
NICENESS: Final = 10  # Immich runs ffmpeg at niceness 10
QUIET: Final = ("-hide_banner", "-nostdin", "-nostats", "-loglevel", "error", "-y")
# ------------------------------------------------------------------------------------------ errors


class VideoError(Exception):
    """The file is not a video ffprobe/ffmpeg can read, or ffmpeg failed on it."""


class VideoTimeout(VideoError):
    """ffprobe/ffmpeg ran past its deadline and was killed."""


class TranscodeError(VideoError):
    """ffmpeg failed to transcode; nothing was written at the output path."""


class FFmpegConfigError(ValueError):
    """A value of the ``ffmpeg`` system config is invalid, or this ffmpeg cannot honour it."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(f"ffmpeg.{option}: {message}")
        self.option = option


class HardwareUnavailable(FFmpegConfigError):
    """The configured acceleration (device, encoder or filter) is not available on this machine.

    Immich retries such a transcode with software decoding, then without acceleration: a caller may
    do the same with ``dataclasses.replace(config, accel_decode=False)`` / ``accel="disabled"``.
    """


# ------------------------------------------------------------------------------------------ running tools


def tool_path(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise VideoError(f"{name} is not installed (scripts/install.sh installs Debian's ffmpeg)")
    return found


def split_args(text: str) -> list[str]:
    """Constant arguments written as one string."""
    return text.split()


def file_url(path: Path) -> str:
    return "file:" + os.path.abspath(path)


def run_tool(
    argv: Sequence[str], timeout: float, *, nice: bool = False
) -> subprocess.CompletedProcess[bytes]:
    """Runs argv in its own process group; on timeout the whole group is killed."""
    if nice and shutil.which("nice"):
        argv = ["nice", "-n", str(NICENESS), *argv]
    process = subprocess.Popen(  # noqa: S603  (argv is built here, never through a shell)
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(process)
        raise VideoTimeout(f"{Path(argv[0]).name} ran past {timeout:g} s and was killed") from None
    except BaseException:
        _kill(process)
        raise
    return subprocess.CompletedProcess(list(argv), process.returncode, stdout, stderr)


def _kill(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()
    process.communicate()


def stderr_tail(stderr: bytes, lines: int = 4) -> str:
    text = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    return " | ".join(text[-lines:]) or "no message"
