"""Immich's ``ffmpeg`` system-config section, validated into :class:`FFmpegConfig`."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Final, Literal, get_args

from albumen.media.video.tools import FFmpegConfigError

VideoCodec = Literal["h264", "hevc", "vp9", "av1"]
AudioCodec = Literal["mp3", "aac", "opus", "pcm_s16le"]
VideoContainer = Literal["mov", "mp4", "ogg", "webm"]
TranscodePolicy = Literal["all", "optimal", "bitrate", "required", "disabled"]
Accel = Literal["nvenc", "qsv", "vaapi", "rkmpp", "disabled"]
ToneMapping = Literal["hable", "mobius", "reinhard", "disabled"]
CQMode = Literal["auto", "cqp", "icq"]
Target = Literal["all", "video", "audio", "remux"]

# Immich's preset order (slowest first); hardware encoders and VP9/AV1 use the index.
PRESETS: Final = (
    "veryslow",
    "slower",
    "slow",
    "medium",
    "fast",
    "faster",
    "veryfast",
    "superfast",
    "ultrafast",
)
_ALL_PRESETS: Final = (*PRESETS, "placebo")  # placebo is an x264/x265 preset Immich's list lacks

SUPPORTED_HWA_CODECS: Final[dict[str, tuple[str, ...]]] = {
    "nvenc": ("h264", "hevc", "av1"),
    "qsv": ("h264", "hevc", "vp9", "av1"),
    "vaapi": ("h264", "hevc", "vp9", "av1"),
    "rkmpp": ("h264", "hevc"),
    "disabled": ("h264", "hevc", "vp9", "av1"),
}
SOFTWARE_ENCODER: Final[dict[str, str]] = {
    "h264": "libx264",
    "hevc": "libx265",
    "vp9": "libvpx-vp9",
    "av1": "libsvtav1",
}
AUDIO_ENCODER: Final[dict[str, str]] = {
    "aac": "aac",
    "mp3": "libmp3lame",
    "opus": "libopus",
    "pcm_s16le": "pcm_s16le",
}
# ------------------------------------------------------------------------------------------ config


@dataclass(frozen=True, slots=True)
class FFmpegConfig:
    """Immich's ``ffmpeg`` system-config section, validated (``realtime`` is not used here)."""

    crf: int = 23
    threads: int = 0
    preset: str = "ultrafast"
    target_video_codec: VideoCodec = "h264"
    accepted_video_codecs: tuple[VideoCodec, ...] = ("h264",)
    target_audio_codec: AudioCodec = "aac"
    accepted_audio_codecs: tuple[AudioCodec, ...] = ("aac", "mp3", "opus")
    accepted_containers: tuple[VideoContainer, ...] = ("mov", "ogg", "webm")
    target_resolution: int | None = 720  # the shorter side; None: "original"
    max_bitrate: int = 0  # in max_bitrate_unit; 0: no limit
    max_bitrate_unit: Literal["k", "M"] = "k"
    bframes: int = -1
    refs: int = 0
    gop_size: int = 0
    temporal_aq: bool = False
    cq_mode: CQMode = "auto"
    two_pass: bool = False
    preferred_hw_device: str = "auto"
    transcode: TranscodePolicy = "required"
    accel: Accel = "disabled"
    accel_decode: bool = True
    tonemap: ToneMapping = "hable"

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> FFmpegConfig:
        """From the ``ffmpeg`` section (camelCase keys, as stored and sent by the API); keys it lacks
        take Immich's defaults. Raises FFmpegConfigError naming the first bad option."""
        merged = {**_default_section(), **section}
        max_bitrate, unit = _parse_bitrate(merged["maxBitrate"])
        config = cls(
            crf=_int_option(merged, "crf", 0, 51),
            threads=_int_option(merged, "threads", 0, 1024),
            preset=_choice(merged, "preset", _ALL_PRESETS),
            target_video_codec=_choice(merged, "targetVideoCodec", get_args(VideoCodec)),
            accepted_video_codecs=_choices(merged, "acceptedVideoCodecs", get_args(VideoCodec)),
            target_audio_codec=_choice(merged, "targetAudioCodec", get_args(AudioCodec)),
            accepted_audio_codecs=_choices(merged, "acceptedAudioCodecs", get_args(AudioCodec)),
            accepted_containers=_choices(merged, "acceptedContainers", get_args(VideoContainer)),
            target_resolution=_resolution(merged["targetResolution"]),
            max_bitrate=max_bitrate,
            max_bitrate_unit=unit,
            bframes=_int_option(merged, "bframes", -1, 16),
            refs=_int_option(merged, "refs", 0, 6),
            gop_size=_int_option(merged, "gopSize", 0, 100_000),
            temporal_aq=_bool_option(merged, "temporalAQ"),
            cq_mode=_choice(merged, "cqMode", get_args(CQMode)),
            two_pass=_bool_option(merged, "twoPass"),
            preferred_hw_device=_device_option(merged["preferredHwDevice"]),
            transcode=_choice(merged, "transcode", get_args(TranscodePolicy)),
            accel=_choice(merged, "accel", get_args(Accel)),
            accel_decode=_bool_option(merged, "accelDecode"),
            tonemap=_choice(merged, "tonemap", get_args(ToneMapping)),
        )
        if config.target_video_codec not in SUPPORTED_HWA_CODECS[config.accel]:
            supported = ", ".join(SUPPORTED_HWA_CODECS[config.accel])
            raise FFmpegConfigError(
                "targetVideoCodec",
                f"{config.accel.upper()} acceleration cannot encode {config.target_video_codec!r} "
                f"(it supports {supported})",
            )
        return config

    @property
    def max_bitrate_bps(self) -> int:
        return self.max_bitrate * (1_000_000 if self.max_bitrate_unit == "M" else 1000)

    @property
    def preset_index(self) -> int:
        """Position in Immich's preset list (0 = veryslow ... 8 = ultrafast); -1 for placebo."""
        return PRESETS.index(self.preset) if self.preset in PRESETS else -1


@cache
def _default_section() -> dict[str, Any]:
    text = resources.files("albumen.system").joinpath("config_defaults.json").read_text()
    section: dict[str, Any] = json.loads(text)["ffmpeg"]
    return section


def _int_option(section: Mapping[str, Any], key: str, low: int, high: int) -> int:
    raw = section[key]
    value: int | None = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif (isinstance(raw, float) and raw.is_integer()) or (
        isinstance(raw, str) and re.fullmatch(r"\s*-?\d+\s*", raw)
    ):
        value = int(raw)
    if value is None or not low <= value <= high:
        raise FFmpegConfigError(key, f"must be an integer from {low} to {high}; got {raw!r}")
    return value


def _bool_option(section: Mapping[str, Any], key: str) -> bool:
    raw = section[key]
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise FFmpegConfigError(key, f"must be true or false; got {raw!r}")


def _choice(section: Mapping[str, Any], key: str, allowed: Sequence[str]) -> Any:
    raw = section[key]
    if not isinstance(raw, str) or raw not in allowed:
        raise FFmpegConfigError(key, f"must be one of {', '.join(allowed)}; got {raw!r}")
    return raw


def _choices(section: Mapping[str, Any], key: str, allowed: Sequence[str]) -> Any:
    raw = section[key]
    if isinstance(raw, str) or not isinstance(raw, Iterable):
        raise FFmpegConfigError(key, f"must be a list of {', '.join(allowed)}; got {raw!r}")
    values = list(raw)
    for value in values:
        if not isinstance(value, str) or value not in allowed:
            raise FFmpegConfigError(key, f"{value!r} is not one of {', '.join(allowed)}")
    return tuple(dict.fromkeys(values))


def _resolution(raw: Any) -> int | None:
    if raw == "original":
        return None
    text = str(raw).strip() if isinstance(raw, (str, int)) and not isinstance(raw, bool) else ""
    if not re.fullmatch(r"\d+", text) or not 2 <= int(text) <= 16384:
        raise FFmpegConfigError(
            "targetResolution", f"must be 'original' or a height in pixels such as '720'; got {raw!r}"
        )
    return int(text)


def _parse_bitrate(raw: Any) -> tuple[int, Literal["k", "M"]]:
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    match = re.fullmatch(r"\s*(\d+)\s*([kKmM]?)\s*", raw) if isinstance(raw, str) else None
    if match is None:
        raise FFmpegConfigError(
            "maxBitrate", f"must be a whole number with an optional k or M unit ('0' = no limit); got {raw!r}"
        )
    return int(match.group(1)), "M" if match.group(2) in ("m", "M") else "k"


def _device_option(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise FFmpegConfigError(
            "preferredHwDevice", f"must be 'auto' or a device such as renderD128; got {raw!r}"
        )
    device = raw.strip()
    if device != "auto" and not re.fullmatch(r"(/dev/dri/)?[A-Za-z0-9_.-]+", device):
        raise FFmpegConfigError(
            "preferredHwDevice", f"must be 'auto' or a device such as renderD128; got {raw!r}"
        )
    return device


def as_config(config: FFmpegConfig | Mapping[str, Any]) -> FFmpegConfig:
    return config if isinstance(config, FFmpegConfig) else FFmpegConfig.from_config(config)
