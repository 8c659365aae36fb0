"""Which ffmpeg build and acceleration devices this host has, checked once per setting."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

from albumen.media.video.config import FFmpegConfig, as_config
from albumen.media.video.tools import (
    HARDWARE_CHECK_TIMEOUT_S,
    QUIET,
    HardwareUnavailable,
    VideoTimeout,
    run_tool,
    split_args,
    stderr_tail,
    tool_path,
)

_DRI: Final = Path("/dev/dri")
# ------------------------------------------------------------------------------------------ ffmpeg build


@dataclass(frozen=True, slots=True)
class _Capabilities:
    version: tuple[int, int]
    encoders: frozenset[str]
    filters: frozenset[str]


@cache
def ffmpeg_capabilities() -> _Capabilities:
    ffmpeg = tool_path("ffmpeg")
    version_out = run_tool([ffmpeg, "-hide_banner", "-version"], 30).stdout.decode("utf-8", "replace")
    match = re.search(r"ffmpeg version \D*(\d+)\.(\d+)", version_out)
    version = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
    encoders_out = run_tool([ffmpeg, "-hide_banner", "-encoders"], 30).stdout.decode("utf-8", "replace")
    filters_out = run_tool([ffmpeg, "-hide_banner", "-filters"], 30).stdout.decode("utf-8", "replace")
    encoders = frozenset(m.group(1) for m in re.finditer(r"^ [VAS][A-Z.]{5} (\S+)", encoders_out, re.M))
    filters = frozenset(m.group(1) for m in re.finditer(r"^ [A-Z.]{3} (\S+)\s", filters_out, re.M))
    return _Capabilities(version, encoders, filters)


# ------------------------------------------------------------------------------------------ hardware

_hardware_ok: set[tuple[str, str, str]] = set()
_hardware_lock = threading.Lock()


def _dri_devices() -> list[str]:
    try:
        return sorted(os.listdir(_DRI))
    except OSError:
        return []


def hardware_device(config: FFmpegConfig) -> str:
    """The device node ffmpeg is given (Immich's rules), or HardwareUnavailable."""
    if config.accel == "nvenc":
        nodes = [n for n in _list_dev() if re.fullmatch(r"nvidia\d+", n)]
        if not nodes or not os.path.exists("/dev/nvidiactl"):
            raise HardwareUnavailable(
                "accel", "'nvenc' needs an NVIDIA GPU: no /dev/nvidia0 or /dev/nvidiactl on this machine"
            )
        return "0"  # CUDA device 0, as Immich
    entries = _dri_devices()
    if not entries:
        raise HardwareUnavailable(
            "accel",
            f"{config.accel!r} needs a /dev/dri device and this machine has none "
            "(in a container, pass one through, e.g. --device /dev/dri)",
        )
    if config.preferred_hw_device == "auto":
        usable = [e for e in entries if e.startswith(("renderD", "card"))]
        if not usable:
            raise HardwareUnavailable("accel", f"{config.accel!r}: no renderD*/card* device in /dev/dri")
        return f"/dev/dri/{max(usable)}"
    name = config.preferred_hw_device.removeprefix("/dev/dri/")
    if name not in entries:
        raise HardwareUnavailable("preferredHwDevice", f"/dev/dri/{name} does not exist on this machine")
    return f"/dev/dri/{name}"


def _list_dev() -> list[str]:
    try:
        return os.listdir("/dev")
    except OSError:
        return []


def hardware_encoder(config: FFmpegConfig) -> str:
    return f"{config.target_video_codec}_{config.accel}"


def check_hardware(config: FFmpegConfig | Mapping[str, Any]) -> None:
    """Checks that ``accel`` works here: the encoder is in this ffmpeg, the device exists, and a
    0.2 s test encode on it succeeds (remembered once it has). Nothing to check for "disabled".

    Raises HardwareUnavailable naming the option otherwise (never falls back silently).
    """
    config = as_config(config)
    if config.accel == "disabled":
        return
    encoder = hardware_encoder(config)
    if encoder not in ffmpeg_capabilities().encoders:
        raise HardwareUnavailable(
            "accel",
            f"{config.accel!r} with targetVideoCodec {config.target_video_codec!r} needs the {encoder} "
            "encoder, which this ffmpeg lacks",
        )
    device = hardware_device(config)
    key = (config.accel, encoder, device)
    with _hardware_lock:
        if key in _hardware_ok:
            return
    if config.accel == "nvenc":
        init = ["-init_hw_device", f"cuda=cuda:{device}", "-filter_hw_device", "cuda"]
        upload = "format=nv12,hwupload_cuda"
    elif config.accel == "qsv":
        init = ["-init_hw_device", f"qsv=hw,child_device={device}", "-filter_hw_device", "hw"]
        upload = "format=nv12,hwupload=extra_hw_frames=64"
    elif config.accel == "vaapi":
        init = ["-init_hw_device", f"vaapi=accel:{device}", "-filter_hw_device", "accel"]
        upload = "format=nv12,hwupload"
    else:
        init, upload = [], "format=nv12"
    argv = [
        tool_path("ffmpeg"),
        *QUIET,
        *init,
        *split_args("-f lavfi -i color=c=black:s=256x256:r=25:d=0.2"),
        *("-vf", upload, "-c:v", encoder, "-f", "null", "-"),
    ]
    try:
        result = run_tool(argv, HARDWARE_CHECK_TIMEOUT_S)
    except VideoTimeout as e:
        raise HardwareUnavailable(
            "accel", f"{config.accel!r}: a test encode with {encoder} hung ({e})"
        ) from e
    if result.returncode != 0:
        reason = stderr_tail(result.stderr, 3)
        raise HardwareUnavailable(
            "accel", f"{config.accel!r}: a test encode with {encoder} on {device} failed: {reason}"
        )
    with _hardware_lock:
        _hardware_ok.add(key)
