"""Video with Debian's ``ffprobe``/``ffmpeg`` CLIs: probe, poster frame, and Immich's transcoding rules.

Behaviour follows Immich v3.1.0's media service and its ffmpeg command builder (learned from them, not
copied):

- :func:`probe` reads ``ffprobe -print_format json -show_format -show_streams``. The video and audio
  streams used are the first by (default disposition, then bit rate), cover art excluded, as Immich
  picks them. Width and height are reported as displayed (display aspect ratio and the display
  matrix's rotation applied); Immich's unrotated pair is kept in ``stream_width``/``stream_height``.
- :func:`poster_frame` writes one frame as a PNG for :func:`albumen.media.images.generate_images`.
  Immich does not seek to a fixed time: it decodes key frames only (``-skip_frame nointra``, except
  for MPEG-TS), samples them at 12 fps, keeps the most representative frame of every 12
  (``thumbnail``), then takes the *second* frame that is either the first one, a scene change
  (> 0.1) that does not follow the previous pick, or past the 20th; a video that opens on black
  (or on a fade) therefore gets a frame from after the cut. HDR (PQ/HLG) is tone-mapped to SDR.
- :func:`transcode_plan` decides, from the ``ffmpeg`` system config, whether the video needs an
  encoded version and builds the ffmpeg arguments (:class:`TranscodePlan`):

  * video is re-encoded when its codec is not accepted or its pixels are not 4:2:0 (``required``),
    additionally when its shorter side exceeds ``targetResolution`` (``optimal``) or its stream bit
    rate exceeds ``maxBitrate`` (``bitrate``), always (``all``), never (``disabled``);
  * audio is re-encoded when its codec is not accepted (``required``/``optimal``/``bitrate``), always
    (``all``), never (``disabled``);
  * when neither is, the file is still remuxed (streams copied into MP4) when its container is neither
    MP4 nor accepted (QuickTime counts as ``mov``, Matroska as ``webm``), except with ``disabled``;
  * the output is MP4 with the moov atom first (``-movflags faststart``), global metadata dropped,
    scaled so its shorter side is ``targetResolution`` (never enlarged; odd sizes made even), HDR
    tone-mapped with ``tonemap``, 4:2:0 8-bit;
  * x264/x265 (CRF, ``-maxrate``/``-bufsize`` under a ``maxBitrate``, two-pass ABR only with
    ``twoPass`` and a ``maxBitrate``), libvpx-vp9 (``-cpu-used``, constrained quality, two-pass with
    ``twoPass``), SVT-AV1 (preset + 4, ``mbr``), and NVENC/QSV/VAAPI/RKMPP with Immich's options.

- :func:`transcode` runs a plan: niced, bounded by a timeout, into a temporary name in the output's
  folder that is renamed onto the output only when ffmpeg succeeded.

Where Debian's ffmpeg 5.1 differs from Immich's jellyfin-ffmpeg 7, this module adapts, and says so:

- encoders are named (libx264, libx265, libvpx-vp9, libsvtav1, libmp3lame, libopus) instead of
  ffmpeg's default encoder for a codec (``-c:v av1`` would pick the much slower libaom here);
- CPU tone-mapping uses ``zscale`` + ``tonemap`` instead of jellyfin's ``tonemapx``; OpenCL
  tone-mapping drops jellyfin's ``tonemap_mode``; ``scale_qsv`` drops ``async_depth``. Combinations
  that need a jellyfin-only filter (``tonemap_cuda``, ``scale_rkrga``) or encoder (``*_rkmpp``,
  ``av1_nvenc``, ...) raise :class:`HardwareUnavailable` naming the option;
- ``-x264-params frame-threads=1:pools=none`` (x265 options that x264 only warns about) is not sent;
- MP4 cannot hold ``pcm_s16le`` before ffmpeg 6: refused with :class:`FFmpegConfigError`;
- the ``*_metadata`` bitstream-filter workaround for "reserved" colour tags in poster frames is
  skipped: ffmpeg 5.1 has no input bitstream filters.

Deliberate differences from Immich (its behaviour there looks unintended):

- a ``maxBitrate`` without a unit is kbit/s both for the ``bitrate`` policy and for ffmpeg (Immich
  compares it as bit/s but passes it to ffmpeg as kbit/s); ``m`` means mega (ffmpeg reads ``5m`` as
  milli); decimals (``4.5M``) are refused rather than half-parsed: write ``4500k``;
- orientation for scaling is the displayed one when ffmpeg rotates the frames (software decoding)
  and the stored one when it does not (``-noautorotate`` with hardware decoding), so the shorter
  side is always the one scaled; Immich treats every rotated video as portrait;
- a stream that is only copied gets no encoder options, and needs no hardware: acceleration applies
  when video is re-encoded;
- a video is never enlarged: one with an odd width or height is scaled to the even size just below
  (Immich scales it up to ``targetResolution``);
- with ``threads`` > 0, decoding and filtering are bounded too (``-threads``, ``-filter_threads``);
- ``preset`` must be an x264 preset name (Immich passes any string to ffmpeg, which fails later).

Every function here blocks (subprocesses): async code runs them in a worker thread
(``anyio.to_thread.run_sync``). Paths are handed to ffmpeg as ``file:`` URLs, so a name can never be
read as an option or a protocol.
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final, Literal, get_args

__all__ = [
    "FFmpegConfig",
    "FFmpegConfigError",
    "HardwareUnavailable",
    "TranscodeError",
    "TranscodePlan",
    "VideoError",
    "VideoInfo",
    "VideoTimeout",
    "check_hardware",
    "poster_frame",
    "probe",
    "transcode",
    "transcode_plan",
]

PROBE_TIMEOUT_S: Final = 60.0
POSTER_TIMEOUT_S: Final = 120.0
HARDWARE_CHECK_TIMEOUT_S: Final = 30.0
NICENESS: Final = 10  # Immich runs ffmpeg at niceness 10

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
_SOFTWARE_ENCODER: Final[dict[str, str]] = {
    "h264": "libx264",
    "hevc": "libx265",
    "vp9": "libvpx-vp9",
    "av1": "libsvtav1",
}
_AUDIO_ENCODER: Final[dict[str, str]] = {
    "aac": "aac",
    "mp3": "libmp3lame",
    "opus": "libopus",
    "pcm_s16le": "pcm_s16le",
}
_HDR_TRANSFERS: Final = frozenset({"smpte2084", "arib-std-b67"})
_CONTAINER_BY_LONG_NAME: Final = {"QuickTime / MOV": "mov", "Matroska / WebM": "webm"}
_DRI: Final = Path("/dev/dri")
_QUIET: Final = ("-hide_banner", "-nostdin", "-nostats", "-loglevel", "error", "-y")


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


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise VideoError(f"{name} is not installed (scripts/install.sh installs Debian's ffmpeg)")
    return found


def _args(text: str) -> list[str]:
    """Constant arguments written as one string."""
    return text.split()


def _url(path: Path) -> str:
    return "file:" + os.path.abspath(path)


def _run(argv: Sequence[str], timeout: float, *, nice: bool = False) -> subprocess.CompletedProcess[bytes]:
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


def _stderr_tail(stderr: bytes, lines: int = 4) -> str:
    text = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    return " | ".join(text[-lines:]) or "no message"


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
        _binary("ffprobe"),
        *_args("-hide_banner -v error -print_format json -show_format -show_streams"),
        *("-i", _url(path)),
    ]
    result = _run(argv, timeout)
    if result.returncode != 0:
        raise VideoError(f"{path.name}: not a video ffprobe can read ({_stderr_tail(result.stderr, 2)})")
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


# ------------------------------------------------------------------------------------------ poster frame

# Immich's frame choice (see the module docstring): key frames at 12 fps, the most representative of
# every 12, then the second of (first frame, scene changes not right after a pick, frames past the 20th).
_POSTER_SELECT: Final = (
    "fps=12:start_time=0:eof_action=pass:round=down",
    "thumbnail=12",
    r"select=gt(scene\,0.1)-eq(prev_selected_n\,n)+isnan(prev_selected_n)+gt(n\,20)",
    "trim=end_frame=2",
    "reverse",
)


def poster_frame(
    path: Path | str,
    out_png: Path | str,
    *,
    info: VideoInfo | None = None,
    size: int | None = None,
    tonemap: str = "hable",
    timeout: float = POSTER_TIMEOUT_S,
) -> tuple[int, int]:
    """Writes the frame Immich would pick for the video's previews to `out_png`, upright, 8-bit sRGB.

    `size` caps the shorter side (lanczos, never enlarged; None keeps the displayed size): pass the
    preview size to keep the PNG small. HDR is tone-mapped with `tonemap` (Immich's ``ffmpeg.tonemap``)
    unless it is "disabled". Returns the PNG's (width, height). Raises VideoError when there is no
    video stream or ffmpeg cannot decode one, VideoTimeout past `timeout` seconds.
    """
    path, out_png = Path(path), Path(out_png)
    if tonemap not in get_args(ToneMapping):
        raise FFmpegConfigError(
            "tonemap", f"must be one of {', '.join(get_args(ToneMapping))}; got {tonemap!r}"
        )
    if info is None:
        info = probe(path)
    if info.video_index is None or not info.width or not info.height:
        raise VideoError(f"{path.name}: no video stream to take a frame from")

    filters = list(_POSTER_SELECT)
    width, height = info.width, info.height
    if size is not None and size > 0 and min(width, height) > size:
        width, height = _fit_shorter_side(width, height, size)
    # always: it also turns non-square pixels (anamorphic video) into the displayed size
    filters.append(f"scale={width}:{height}:flags=lanczos+accurate_rnd+full_chroma_int")
    if tonemap != "disabled" and info.is_hdr:
        filters.extend(_cpu_tonemap(tonemap))
    filters.append("format=rgb24")

    input_options = [] if info.format_name == "mpegts" else ["-skip_frame", "nointra"]
    out_png.parent.mkdir(parents=True, exist_ok=True)
    partial = out_png.with_name(f".{out_png.name}.{secrets.token_hex(4)}.part")
    argv = [
        _binary("ffmpeg"),
        *_QUIET,
        *input_options,
        *("-sws_flags", "accurate_rnd+full_chroma_int", "-i", _url(path), "-map", f"0:{info.video_index}"),
        *_args("-an -sn -dn -map_metadata -1"),
        *("-vf", ",".join(filters)),
        *_args("-fps_mode vfr -frames:v 1 -update 1 -c:v png -compression_level 1 -f image2"),
        _url(partial),
    ]
    try:
        result = _run(argv, timeout)
        if result.returncode != 0 or not partial.is_file() or partial.stat().st_size == 0:
            raise VideoError(f"{path.name}: ffmpeg could not take a frame ({_stderr_tail(result.stderr)})")
        os.replace(partial, out_png)
    finally:
        partial.unlink(missing_ok=True)
    return width, height


def _fit_shorter_side(width: int, height: int, size: int) -> tuple[int, int]:
    """The shorter side becomes `size`, the longer keeps the aspect ratio (rounded to even)."""
    if width <= height:
        longer = round(height * size / width)
        return size, longer + (longer % 2)
    longer = round(width * size / height)
    return longer + (longer % 2), size


def _cpu_tonemap(algorithm: str, matrix: str = "bt709") -> list[str]:
    """HDR (PQ/HLG) to SDR BT.709 on the CPU with zimg; full range, 8-bit 4:2:0 out.

    Immich's jellyfin-ffmpeg has ``tonemapx`` for this; Debian's ffmpeg has zscale + tonemap, with
    the same parameters (100 nits nominal peak, no desaturation).
    """
    return [
        "zscale=t=linear:npl=100",
        "format=gbrpf32le",
        "zscale=p=bt709",
        f"tonemap=tonemap={algorithm}:desat=0",
        f"zscale=t=bt709:m={matrix}:r=pc",
        "format=yuv420p",
    ]


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


def _as_config(config: FFmpegConfig | Mapping[str, Any]) -> FFmpegConfig:
    return config if isinstance(config, FFmpegConfig) else FFmpegConfig.from_config(config)


# ------------------------------------------------------------------------------------------ ffmpeg build


@dataclass(frozen=True, slots=True)
class _Capabilities:
    version: tuple[int, int]
    encoders: frozenset[str]
    filters: frozenset[str]


@cache
def _capabilities() -> _Capabilities:
    ffmpeg = _binary("ffmpeg")
    version_out = _run([ffmpeg, "-hide_banner", "-version"], 30).stdout.decode("utf-8", "replace")
    match = re.search(r"ffmpeg version \D*(\d+)\.(\d+)", version_out)
    version = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
    encoders_out = _run([ffmpeg, "-hide_banner", "-encoders"], 30).stdout.decode("utf-8", "replace")
    filters_out = _run([ffmpeg, "-hide_banner", "-filters"], 30).stdout.decode("utf-8", "replace")
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


def _hardware_device(config: FFmpegConfig) -> str:
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


def _hardware_encoder(config: FFmpegConfig) -> str:
    return f"{config.target_video_codec}_{config.accel}"


def check_hardware(config: FFmpegConfig | Mapping[str, Any]) -> None:
    """Checks that ``accel`` works here: the encoder is in this ffmpeg, the device exists, and a
    0.2 s test encode on it succeeds (remembered once it has). Nothing to check for "disabled".

    Raises HardwareUnavailable naming the option otherwise (never falls back silently).
    """
    config = _as_config(config)
    if config.accel == "disabled":
        return
    encoder = _hardware_encoder(config)
    if encoder not in _capabilities().encoders:
        raise HardwareUnavailable(
            "accel",
            f"{config.accel!r} with targetVideoCodec {config.target_video_codec!r} needs the {encoder} "
            "encoder, which this ffmpeg lacks",
        )
    device = _hardware_device(config)
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
        _binary("ffmpeg"),
        *_QUIET,
        *init,
        *_args("-f lavfi -i color=c=black:s=256x256:r=25:d=0.2"),
        *("-vf", upload, "-c:v", encoder, "-f", "null", "-"),
    ]
    try:
        result = _run(argv, HARDWARE_CHECK_TIMEOUT_S)
    except VideoTimeout as e:
        raise HardwareUnavailable(
            "accel", f"{config.accel!r}: a test encode with {encoder} hung ({e})"
        ) from e
    if result.returncode != 0:
        reason = _stderr_tail(result.stderr, 3)
        raise HardwareUnavailable(
            "accel", f"{config.accel!r}: a test encode with {encoder} on {device} failed: {reason}"
        )
    with _hardware_lock:
        _hardware_ok.add(key)


# ------------------------------------------------------------------------------------------ transcode plan


class TranscodePlan(list[str]):
    """The ffmpeg arguments for one transcode: the input options, then the output options.

    As a list it is exactly those arguments (without ffmpeg, ``-i <input>`` and the output file,
    which :func:`transcode` adds); the attributes say how to run it.
    """

    def __init__(
        self,
        input_options: Sequence[str],
        output_options: Sequence[str],
        *,
        target: Target,
        two_pass: bool,
        video_encoder: str,
        audio_encoder: str,
        accel: Accel,
        duration_ms: int,
    ) -> None:
        super().__init__([*input_options, *output_options])
        self.input_count = len(input_options)
        self.target = target  # what is re-encoded: "all", "video", "audio", or "remux" (both copied)
        self.two_pass = two_pass
        self.video_encoder = video_encoder  # "copy" when the video is copied
        self.audio_encoder = audio_encoder
        self.accel = accel  # "disabled" when the video is not re-encoded
        self.duration_ms = duration_ms

    @property
    def input_options(self) -> list[str]:
        return list(self[: self.input_count])

    @property
    def output_options(self) -> list[str]:
        return list(self[self.input_count :])

    def __repr__(self) -> str:
        return f"TranscodePlan(target={self.target!r}, two_pass={self.two_pass}, args={list(self)!r})"


def transcode_plan(info: VideoInfo, ffmpeg_config: FFmpegConfig | Mapping[str, Any]) -> TranscodePlan | None:
    """The ffmpeg arguments Immich's ``ffmpeg`` config asks for, or None when the original plays as is.

    `ffmpeg_config` is the system config's ``ffmpeg`` section (or an FFmpegConfig). Raises
    FFmpegConfigError for an invalid value or one this ffmpeg cannot do, HardwareUnavailable when the
    configured acceleration is not usable here, VideoError for a file without video or dimensions.
    """
    config = _as_config(ffmpeg_config)
    if info.video_index is None or info.video_codec is None:
        raise VideoError("no video stream to transcode")
    if not info.width or not info.height:
        raise VideoError("the video stream has no dimensions")
    encode_video = _video_transcode_required(config, info)
    encode_audio = _audio_transcode_required(config, info)
    if not encode_video and not encode_audio and not _remux_required(config, info):
        return None
    target: Target = (
        "all"
        if encode_video and encode_audio
        else "video"
        if encode_video
        else "audio"
        if encode_audio
        else "remux"
    )
    accel: Accel = config.accel if encode_video else "disabled"
    if accel != "disabled":
        check_hardware(config)
    builder = _Builder(config, info, accel)
    plan = builder.plan(target, encode_video=encode_video, encode_audio=encode_audio)
    _check_capabilities(plan, config, accel, info)
    return plan


def _video_transcode_required(config: FFmpegConfig, info: VideoInfo) -> bool:
    if config.transcode == "disabled":
        return False
    if config.transcode == "all":
        return True
    required = info.video_codec not in config.accepted_video_codecs or not info.pixel_format.endswith("420p")
    if config.transcode == "optimal":
        too_large = (
            config.target_resolution is not None and min(info.width, info.height) > config.target_resolution
        )
        return required or too_large
    if config.transcode == "bitrate":
        return required or (config.max_bitrate > 0 and info.video_bit_rate > config.max_bitrate_bps)
    return required


def _audio_transcode_required(config: FFmpegConfig, info: VideoInfo) -> bool:
    if info.audio_index is None or config.transcode == "disabled":
        return False
    if config.transcode == "all":
        return True
    return info.audio_codec not in config.accepted_audio_codecs


def _remux_required(config: FFmpegConfig, info: VideoInfo) -> bool:
    if config.transcode == "disabled":
        return False
    return info.container != "mp4" and info.container not in config.accepted_containers


def _check_capabilities(plan: TranscodePlan, config: FFmpegConfig, accel: Accel, info: VideoInfo) -> None:
    caps = _capabilities()
    error = HardwareUnavailable if accel != "disabled" else FFmpegConfigError
    if plan.video_encoder != "copy" and plan.video_encoder not in caps.encoders:
        raise error("targetVideoCodec", f"this ffmpeg has no {plan.video_encoder} encoder")
    if plan.audio_encoder != "copy" and plan.audio_encoder not in caps.encoders:
        raise FFmpegConfigError("targetAudioCodec", f"this ffmpeg has no {plan.audio_encoder} encoder")
    output_audio = config.target_audio_codec if plan.audio_encoder != "copy" else info.audio_codec
    if info.audio_index is not None and output_audio == "pcm_s16le" and caps.version < (6, 0):
        raise FFmpegConfigError(
            "targetAudioCodec" if plan.audio_encoder != "copy" else "acceptedAudioCodecs",
            f"ffmpeg {caps.version[0]}.{caps.version[1]} cannot put pcm_s16le audio in MP4 (ffmpeg 6 can)",
        )
    options = plan.output_options
    if "-vf" in options:
        for part in options[options.index("-vf") + 1].split(","):
            name = part.split("=", 1)[0]
            if name not in caps.filters:
                option = "tonemap" if name in ("zscale", "hwmap") or name.startswith("tonemap") else "accel"
                hint = "; set accelDecode false" if accel != "disabled" and config.accel_decode else ""
                raise error(option, f"needs the {name} filter, which this ffmpeg lacks{hint}")


def _number(value: float) -> str:
    """A number as JavaScript prints it (no trailing .0)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class _Builder:
    """Immich's per-encoder option rules; `accel` is "disabled" for software encoding."""

    def __init__(self, config: FFmpegConfig, info: VideoInfo, accel: Accel) -> None:
        self.config = config
        self.info = info
        self.accel = accel
        self.hw_decode = accel != "disabled" and config.accel_decode
        self.device = _hardware_device(config) if accel != "disabled" else ""

    # -- the whole command

    def plan(self, target: Target, *, encode_video: bool, encode_audio: bool) -> TranscodePlan:
        config, info = self.config, self.info
        video_encoder = self.video_encoder() if encode_video else "copy"
        audio_encoder = _AUDIO_ENCODER[config.target_audio_codec] if encode_audio else "copy"
        input_options = self.input_options() if encode_video else self.thread_bounds()
        output = [
            "-c:v",
            video_encoder,
            "-c:a",
            audio_encoder,
            "-map",
            f"0:{info.video_index}",
            "-map_metadata",
            "-1",
        ]
        if info.audio_index is not None:
            output += ["-map", f"0:{info.audio_index}"]
            if encode_audio:
                output += ["-ac", "2"]  # Immich: more channels sometimes come out with a broken layout
        if encode_video:
            output += self.structure_options()
        if config.target_video_codec == "hevc" and (encode_video or info.video_codec == "hevc"):
            output += ["-tag:v", "hvc1"]  # what Apple players need
        two_pass = False
        if encode_video:
            output += self.preset_options() + self.bitrate_options() + self.encoder_options()
            two_pass = self.two_pass()
        output += ["-movflags", "faststart", "-fps_mode", "passthrough"]
        if encode_video:
            filters = self.filters()
            if filters:
                output += ["-vf", ",".join(filters)]
        return TranscodePlan(
            input_options,
            output,
            target=target,
            two_pass=two_pass,
            video_encoder=video_encoder,
            audio_encoder=audio_encoder,
            accel=self.accel,
            duration_ms=info.duration_ms,
        )

    # -- input

    def thread_bounds(self) -> list[str]:
        if self.config.threads <= 0:
            return []
        return ["-threads", str(self.config.threads), "-filter_threads", str(self.config.threads)]

    def input_options(self) -> list[str]:
        accel, device = self.accel, self.device
        if accel == "disabled":
            return self.thread_bounds()
        if accel == "nvenc":
            if self.hw_decode:
                return _args("-hwaccel cuda -hwaccel_output_format cuda -noautorotate -threads 1")
            return ["-init_hw_device", f"cuda=cuda:{device}", "-filter_hw_device", "cuda"]
        if accel == "qsv":
            if self.hw_decode:
                hw_decode = _args("-hwaccel qsv -hwaccel_output_format qsv -async_depth 4 -noautorotate")
                return [*hw_decode, "-qsv_device", device, "-threads", "1"]
            return ["-init_hw_device", f"qsv=hw,child_device={device}", "-filter_hw_device", "hw"]
        if accel == "vaapi":
            if self.hw_decode:
                hw_decode = _args("-hwaccel vaapi -hwaccel_output_format vaapi -noautorotate")
                return [*hw_decode, "-hwaccel_device", device, "-threads", "1"]
            return ["-init_hw_device", f"vaapi=accel:{device}", "-filter_hw_device", "accel"]
        if self.hw_decode:  # rkmpp
            return _args("-hwaccel rkmpp -hwaccel_output_format drm_prime -afbc rga -noautorotate")
        return []

    # -- encoder choice and stream structure

    def video_encoder(self) -> str:
        if self.accel == "disabled":
            return _SOFTWARE_ENCODER[self.config.target_video_codec]
        return _hardware_encoder(self.config)

    def bframes(self) -> int:
        if self.accel == "qsv" and self.config.bframes < 0:
            return 7
        return self.config.bframes

    def refs(self) -> int:
        config = self.config
        if self.accel == "qsv" and config.refs <= 0:
            return 5
        if self.accel == "nvenc" and 0 < config.bframes < 3 and config.refs < 3:
            return 0
        return config.refs

    def gop_size(self) -> int:
        if self.accel != "disabled" and self.config.gop_size <= 0:
            return 256
        return self.config.gop_size

    def structure_options(self) -> list[str]:
        config = self.config
        options: list[str] = []
        if self.accel == "nvenc":
            options += ["-tune", "hq", "-qmin", "0", "-rc-lookahead", "20", "-i_qfactor", "0.75"]
        if self.bframes() > -1:
            options += ["-bf", str(self.bframes())]
        if self.refs() > 0:
            options += ["-refs", str(self.refs())]
        if self.gop_size() > 0:
            options += ["-g", str(self.gop_size())]
        if self.accel == "nvenc":
            if self.bframes() > 0:
                options += ["-b_ref_mode", "middle", "-b_qfactor", "1.1"]
            if config.temporal_aq:
                options += ["-temporal-aq", "1"]
        if self.accel == "qsv" and config.target_video_codec == "vp9":
            options += ["-low_power", "1"]
        return options

    # -- speed and rate control

    def preset_options(self) -> list[str]:
        config, index = self.config, self.config.preset_index
        codec = config.target_video_codec
        if self.accel == "disabled":
            if codec == "vp9":
                return ["-cpu-used", str(min(index, 5))] if index >= 0 else []
            if codec == "av1":
                return ["-preset", str(index + 4)]  # SVT-AV1 presets 4 (slow) to 12 (fast)
            return ["-preset", config.preset]
        if self.accel == "nvenc":
            return ["-preset", f"p{7 - min(6, index)}"] if index >= 0 else []
        if self.accel == "qsv":
            return ["-preset", str(min(6, index) + 1)] if index >= 0 else []
        if self.accel == "vaapi":
            return ["-compression_level", str(min(6, index) + 1)] if index >= 0 else []
        return ["-level", "51" if codec == "h264" else "153"]  # rkmpp: level 5.1

    def bitrates(self) -> tuple[int, int, float, str]:
        """Immich's split of maxBitrate: (max, target = max / 1.45, min = target / 2, unit)."""
        maximum = self.config.max_bitrate
        target = math.ceil(maximum / 1.45)
        return maximum, target, target / 2, self.config.max_bitrate_unit

    def two_pass(self) -> bool:
        config = self.config
        if self.accel == "rkmpp":
            return False
        if self.accel == "disabled" and config.target_video_codec in ("vp9", "av1"):
            return config.two_pass
        return config.two_pass and self.accel == "disabled" and config.max_bitrate > 0

    def bitrate_options(self) -> list[str]:
        config = self.config
        maximum, target, minimum, unit = self.bitrates()
        max_rate, target_rate, min_rate = f"{maximum}{unit}", f"{target}{unit}", f"{_number(minimum)}{unit}"
        crf = str(config.crf)
        codec = config.target_video_codec
        if self.accel == "disabled":
            quality = "-q:v" if config.cq_mode == "cqp" else "-crf"
            average = ["-b:v", target_rate, "-minrate", min_rate, "-maxrate", max_rate]  # two-pass ABR
            if codec == "av1":
                return ["-crf", crf]
            if codec == "vp9":
                return average if maximum > 0 and self.two_pass() else [quality, crf, "-b:v", max_rate]
            if self.two_pass():
                return average
            if maximum > 0:
                return [quality, crf, "-maxrate", max_rate, "-bufsize", f"{maximum * 2}{unit}"]
            return [quality, crf]
        if self.accel == "nvenc":
            if maximum > 0 and config.two_pass:
                return ["-b:v", target_rate, "-maxrate", max_rate, "-bufsize", target_rate, "-multipass", "2"]
            if maximum > 0:
                return ["-cq:v", crf, "-maxrate", max_rate, "-bufsize", target_rate]
            return ["-cq:v", crf]
        if self.accel == "qsv":
            cqp = config.cq_mode == "cqp" or codec == "vp9"
            options = ["-q:v" if cqp else "-global_quality:v", crf]
            if maximum > 0:
                if not cqp:
                    options += ["-b:v", target_rate]  # QSV ignores -maxrate without -b:v
                options += ["-maxrate", max_rate, "-bufsize", f"{maximum * 2}{unit}"]
            return options
        if self.accel == "vaapi":
            options = ["-bsf:v", "vp9_raw_reorder,vp9_superframe"] if codec == "vp9" else []
            if maximum > 0:  # VAAPI cannot combine a quality with a maximum rate: variable bit rate
                return [
                    *options,
                    "-b:v",
                    target_rate,
                    "-maxrate",
                    max_rate,
                    "-minrate",
                    min_rate,
                    "-rc_mode",
                    "3",
                ]
            if config.cq_mode != "icq" or codec == "vp9":
                return [*options, "-qp:v", crf, "-global_quality:v", crf, "-rc_mode", "1"]
            return [*options, "-global_quality:v", crf, "-rc_mode", "4"]
        if maximum > 0:  # rkmpp
            return ["-rc_mode", "AVBR", "-b:v", max_rate]
        return ["-rc_mode", "CQP", "-qp_init", crf]

    def encoder_options(self) -> list[str]:
        config = self.config
        threads = ["-threads", str(config.threads)] if config.threads > 0 else []
        codec = config.target_video_codec
        if self.accel == "disabled":
            if codec == "hevc":
                single = ["-x265-params", "frame-threads=1:pools=none"] if config.threads == 1 else []
                return threads + single
            if codec == "vp9":
                return ["-row-mt", "1", *threads]
            if codec == "av1":
                params = [f"lp={config.threads}"] if config.threads > 0 else []
                if config.max_bitrate > 0:
                    params.append(f"mbr={config.max_bitrate}{config.max_bitrate_unit}")
                return ["-svtav1-params", ":".join(params)] if params else []
            return threads
        if self.accel == "nvenc" and self.hw_decode:
            return []
        if self.accel == "rkmpp":
            return []
        return threads

    # -- filters

    def portrait(self) -> bool:
        """Scale along the shorter side of the frames ffmpeg hands the filters: upright ones when it
        rotates them (software decoding), stored ones with -noautorotate (hardware decoding)."""
        info = self.info
        if self.hw_decode:
            return info.stream_height > info.stream_width
        return info.height > info.width

    def target_resolution(self) -> int:
        """The output's shorter side: the configured one, but never more than the video's (Immich
        enlarges a smaller video that it scales only to make its odd size even), made even."""
        shorter = min(self.info.width, self.info.height)
        target = min(self.config.target_resolution or shorter, shorter)
        return target - target % 2

    def should_scale(self) -> bool:
        info = self.info
        odd = info.width % 2 != 0 or info.height % 2 != 0
        return odd or min(info.width, info.height) > self.target_resolution()

    def scaling(self, multiple: int = 2) -> str:
        target = self.target_resolution()
        return f"{target}:-{multiple}" if self.portrait() else f"-{multiple}:{target}"

    def tonemap(self) -> bool:
        return self.config.tonemap != "disabled" and self.info.is_hdr

    def not_420(self) -> bool:
        return not self.info.pixel_format.endswith("420p")

    def opencl_tonemap(self, device: str) -> list[str]:
        options = (
            f"desat=0:format=nv12:matrix=bt709:primaries=bt709:transfer=bt709:range=pc:"
            f"tonemap={self.config.tonemap}:peak=100"
        )
        return [
            "hwmap=derive_device=opencl",
            f"tonemap_opencl={options}",
            f"hwmap=derive_device={device}:reverse=1",
            f"format={device}",
        ]

    def filters(self) -> list[str]:
        accel, hw_decode = self.accel, self.hw_decode
        scale = self.should_scale()
        options: list[str] = []
        if accel == "disabled" or (accel == "rkmpp" and not hw_decode):
            if scale:
                options.append(f"scale={self.scaling()}")
            if self.tonemap():
                options += _cpu_tonemap(self.config.tonemap)
            elif self.not_420():
                options.append("format=yuv420p")
            return options
        if accel == "nvenc":
            if not hw_decode:
                options = _cpu_tonemap(self.config.tonemap) if self.tonemap() else []
                options.append("hwupload_cuda")
                if scale:
                    options.append(f"scale_cuda={self.scaling()}:format=nv12")
                return options
            if scale or (not self.tonemap() and self.not_420()):
                options.append(f"scale_cuda={self.scaling()}")
            if self.tonemap():
                options.append(
                    "tonemap_cuda=desat=0:matrix=bt709:primaries=bt709:range=pc:"
                    f"tonemap={self.config.tonemap}:tonemap_mode=lum:transfer=bt709:peak=100"
                )
            if options:
                options[-1] += ":format=nv12"
            return options
        if accel in ("qsv", "vaapi"):
            scaler = "scale_qsv" if accel == "qsv" else "scale_vaapi"
            quality = ":mode=hq" if accel == "qsv" else ":mode=hq:out_range=pc"
            multiple = 1 if accel == "qsv" else 2
            if not hw_decode:
                options = _cpu_tonemap(self.config.tonemap) if self.tonemap() else []
                options.append("hwupload=extra_hw_frames=64")
                if scale:
                    options.append(f"{scaler}={self.scaling(multiple)}{quality}:format=nv12")
                return options
            if not self.tonemap() and self.not_420():
                options.append(f"{scaler}={self.scaling(multiple)}{quality}:format=nv12")
            elif scale:
                options.append(f"{scaler}={self.scaling(multiple)}{quality}")
            if self.tonemap():
                options += self.opencl_tonemap(accel)
            return options
        # rkmpp with hardware decoding: jellyfin-ffmpeg's scale_rkrga (Debian's ffmpeg has no Rockchip
        # support at all); tone-mapping on the CPU (Immich uses OpenCL on Mali GPUs)
        if self.tonemap():
            scaler = f"scale_rkrga={self.scaling()}:format=p010:afbc=1:async_depth=4"
            return [scaler, "hwdownload", "format=p010", *_cpu_tonemap(self.config.tonemap), "hwupload"]
        return [f"scale_rkrga={self.scaling()}:format=nv12:afbc=1:async_depth=4"] if scale else []


# ------------------------------------------------------------------------------------------ transcode


def default_timeout(plan: TranscodePlan) -> float:
    """Ten minutes, or 20 s per second of video (per pass) when that is longer."""
    passes = 2 if plan.two_pass else 1
    return max(600.0, 20.0 * plan.duration_ms / 1000 * passes)


def transcode(
    path: Path | str, out_mp4: Path | str, plan: TranscodePlan, *, timeout: float | None = None
) -> Path:
    """Runs `plan` on `path` into `out_mp4` (MP4), at niceness 10, within `timeout` seconds (default:
    :func:`default_timeout`). ffmpeg writes a temporary file next to `out_mp4`, which replaces
    `out_mp4` only when ffmpeg succeeded; on failure or timeout it is deleted and `out_mp4` is left as
    it was. Two-pass plans run ffmpeg twice (the first pass writes only its statistics).

    Raises TranscodeError (with ffmpeg's last messages) or VideoTimeout.
    """
    path, out_mp4 = Path(path), Path(out_mp4)
    if not path.is_file():
        raise TranscodeError(f"{path}: no such file")
    out_mp4.parent.mkdir(parents=True, exist_ok=True)
    deadline = timeout if timeout is not None else default_timeout(plan)
    partial = out_mp4.with_name(f".{out_mp4.name}.{secrets.token_hex(4)}.part")
    head = [_binary("ffmpeg"), *_QUIET, *plan.input_options, "-i", _url(path), *plan.output_options]
    passlog_dir: str | None = None
    try:
        if plan.two_pass:
            passlog_dir = tempfile.mkdtemp(prefix=".passlog-", dir=out_mp4.parent)
            passlog = os.path.join(passlog_dir, "ffmpeg2pass")
            first = _run(
                [*head, "-pass", "1", "-passlogfile", passlog, "-f", "null", os.devnull], deadline, nice=True
            )
            if first.returncode != 0:
                raise TranscodeError(
                    f"{path.name}: ffmpeg's first pass failed ({_stderr_tail(first.stderr)})"
                )
            argv = [*head, "-pass", "2", "-passlogfile", passlog, "-f", "mp4", _url(partial)]
        else:
            argv = [*head, "-f", "mp4", _url(partial)]
        result = _run(argv, deadline, nice=True)
        if result.returncode != 0:
            raise TranscodeError(f"{path.name}: ffmpeg failed ({_stderr_tail(result.stderr)})")
        if not partial.is_file() or partial.stat().st_size == 0:
            raise TranscodeError(f"{path.name}: ffmpeg succeeded but wrote nothing")
        os.replace(partial, out_mp4)
    finally:
        partial.unlink(missing_ok=True)
        if passlog_dir is not None:
            shutil.rmtree(passlog_dir, ignore_errors=True)
    return out_mp4
