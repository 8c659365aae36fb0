"""What ffprobe says about a video: streams, displayed size, rotation, HDR, creation time."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from albumen.media.video.tools import (
    PROBE_TIMEOUT_S,
    VideoError,
    file_url,
    run_tool,
    split_args,
    stderr_tail,
    tool_path,
)

_HDR_TRANSFERS: Final = frozenset({"smpte2084", "arib-std-b67"})
_CONTAINER_BY_LONG_NAME: Final = {"QuickTime / MOV": "mov", "Matroska / WebM": "webm"}
# ------------------------------------------------------------------------------------------ probe


@dataclass(frozen=True, slots=True)
class VideoInfo:
    """What ffprobe says about a file, reduced to what Immich stores and decides on."""

    container: str  # Immich's name: "mov" (QuickTime and MP4), "webm" (Matroska/WebM), else format_name
    format_name: str  # ffprobe's, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    format_long_name: str
    duration_ms: int  # 0 when unknown
    bit_rate: int  # whole file, bit/s; 0 when unknown
    creation_time: datetime | None  # the container's (else the video stream's) creation time, aware
    video_codec: str | None  # "h264", "hevc", "vp9", "av1", ...; None: no video stream
    width: int  # as displayed: display aspect ratio and rotation applied
    height: int
    stream_width: int  # Immich's stored size: display aspect ratio applied, rotation not
    stream_height: int
    rotation: int  # degrees, from the display matrix (or an old "rotate" tag), in (-180, 180]
    frame_rate: float | None
    frame_count: int  # from the container; 0 when unknown
    video_bit_rate: int  # the video stream's, bit/s; 0 when the container does not say (Matroska)
    pixel_format: str
    profile: str | None
    level: int | None
    color_primaries: str | None
    color_transfer: str | None
    color_space: str | None
    video_index: int | None  # stream indexes in the file, for -map
    audio_codec: str | None
    audio_index: int | None
    audio_bit_rate: int
    audio_channels: int

    @property
    def is_hdr(self) -> bool:
        """PQ (SMPTE 2084) or HLG (ARIB STD-B67) transfer: tone-mapped to SDR when transcoded."""
        return self.color_transfer in _HDR_TRANSFERS

    @property
    def is_rotated(self) -> bool:
        return abs(self.rotation) == 90


def probe(path: Path | str, *, timeout: float = PROBE_TIMEOUT_S) -> VideoInfo:
    """Probes `path` with ffprobe. Raises VideoError when ffprobe cannot read it (not a video, damaged,
    truncated) or finds no audio or video stream, VideoTimeout past `timeout` seconds."""
    path = Path(path)
    if not path.is_file():
        raise VideoError(f"{path}: no such file")
    argv = [
        tool_path("ffprobe"),
        *split_args("-hide_banner -v error -print_format json -show_format -show_streams"),
        *("-i", file_url(path)),
    ]
    result = run_tool(argv, timeout)
    if result.returncode != 0:
        raise VideoError(f"{path.name}: not a video ffprobe can read ({stderr_tail(result.stderr, 2)})")
    try:
        data = json.loads(result.stdout)
    except json.JSONDecodeError as e:
        raise VideoError(f"{path.name}: ffprobe printed no JSON ({e})") from e
    return _parse_probe(path.name, data)


def _int(value: Any) -> int:
    """JavaScript's parseInt(x) || 0 for ffprobe's numbers-as-strings."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else 0
    match = re.match(r"\s*([+-]?\d+)", str(value)) if value is not None else None
    return int(match.group(1)) if match else 0


def _float(value: Any) -> float:
    try:
        parsed = float(value)
    except (TypeError, ValueError):
        return 0.0
    return parsed if math.isfinite(parsed) else 0.0


def _optional_int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    match = re.match(r"\s*([+-]?\d+)", str(value))
    return int(match.group(1)) if match else None


def _rational(value: Any) -> float | None:
    if not value or not isinstance(value, str):
        return None
    num, _, den = value.partition("/")
    n, d = _float(num), _float(den or "1")
    return n / d if n and d else None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text if text and text != "unknown" else None


def _stream_order(stream: Mapping[str, Any]) -> tuple[int, int]:
    disposition = stream.get("disposition") or {}
    return (-_int(disposition.get("default")), -_int(stream.get("bit_rate")))


def _rotation(stream: Mapping[str, Any]) -> int:
    for side_data in stream.get("side_data_list") or ():
        if isinstance(side_data, Mapping) and "rotation" in side_data:
            return _normalise_rotation(_float(side_data["rotation"]))
    tags = stream.get("tags") or {}
    if "rotate" in tags:  # files from old ffmpeg versions, and some cameras
        return _normalise_rotation(
            -_float(tags["rotate"])
        )  # the tag turns clockwise, the matrix anticlockwise
    return 0


def _normalise_rotation(degrees: float) -> int:
    rounded = round(degrees) % 360
    return rounded - 360 if rounded > 180 else rounded


def _creation_time(*tag_sets: Mapping[str, Any]) -> datetime | None:
    for tags in tag_sets:
        for key in ("creation_time", "com.apple.quicktime.creationdate"):
            raw = tags.get(key)
            if not isinstance(raw, str) or not raw.strip():
                continue
            try:
                parsed = datetime.fromisoformat(raw.strip())
            except ValueError:
                continue
            if parsed.year <= 1904:  # QuickTime's epoch: an unset date
                continue
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _parse_probe(name: str, data: Any) -> VideoInfo:
    if not isinstance(data, Mapping):
        raise VideoError(f"{name}: ffprobe printed no streams")
    fmt: Mapping[str, Any] = data.get("format") or {}
    streams = [s for s in data.get("streams") or () if isinstance(s, Mapping)]
    videos = sorted(
        (
            s
            for s in streams
            if s.get("codec_type") == "video"
            and not _int((s.get("disposition") or {}).get("attached_pic"))
            and _int(s.get("width")) > 0
            and _int(s.get("height")) > 0  # ffprobe could not even read the size: damaged
        ),
        key=_stream_order,
    )
    audios = sorted((s for s in streams if s.get("codec_type") == "audio"), key=_stream_order)
    if not videos and not audios:
        raise VideoError(f"{name}: no readable audio or video stream")
    video: Mapping[str, Any] = videos[0] if videos else {}
    audio: Mapping[str, Any] = audios[0] if audios else {}

    height = _int(video.get("height"))
    dar = _rational((video.get("display_aspect_ratio") or "").replace(":", "/"))
    stream_width = round(height * dar) if dar else _int(video.get("width"))
    rotation = _rotation(video) if video else 0
    width, display_height = stream_width, height
    if abs(rotation) == 90:
        width, display_height = height, stream_width

    duration = _float(fmt.get("duration")) or max((_float(s.get("duration")) for s in streams), default=0.0)
    codec = _text(video.get("codec_name"))
    format_name = str(fmt.get("format_name") or "")
    format_long_name = str(fmt.get("format_long_name") or "")
    return VideoInfo(
        container=_CONTAINER_BY_LONG_NAME.get(format_long_name, format_name),
        format_name=format_name,
        format_long_name=format_long_name,
        duration_ms=round(duration * 1000),
        bit_rate=_int(fmt.get("bit_rate")),
        creation_time=_creation_time(fmt.get("tags") or {}, video.get("tags") or {}),
        video_codec="hevc" if codec == "h265" else codec,
        width=width,
        height=display_height,
        stream_width=stream_width,
        stream_height=height,
        rotation=rotation,
        frame_rate=_rational(video.get("avg_frame_rate")) or _rational(video.get("r_frame_rate")),
        frame_count=_int(video.get("nb_frames")),
        video_bit_rate=_int(video.get("bit_rate")),
        pixel_format=str(video.get("pix_fmt") or "yuv420p"),
        profile=_text(video.get("profile")),
        level=_optional_int(video.get("level")),
        color_primaries=_text(video.get("color_primaries")),
        color_transfer=_text(video.get("color_transfer")),
        color_space=_text(video.get("color_space")),
        video_index=_int(video.get("index")) if video else None,
        audio_codec=_text(audio.get("codec_name")),
        audio_index=_int(audio.get("index")) if audio else None,
        audio_bit_rate=_int(audio.get("bit_rate")),
        audio_channels=_int(audio.get("channels")),
    )
