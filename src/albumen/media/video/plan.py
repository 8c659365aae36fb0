"""Whether a video needs an encoded version (Immich's transcode policy), and running the transcode."""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from albumen.media.video.config import Accel, FFmpegConfig, Target, as_config
from albumen.media.video.ffmpeg_args import ArgumentBuilder, TranscodePlan
from albumen.media.video.hardware import check_hardware, ffmpeg_capabilities
from albumen.media.video.probe import VideoInfo
from albumen.media.video.tools import (
    QUIET,
    FFmpegConfigError,
    HardwareUnavailable,
    TranscodeError,
    VideoError,
    file_url,
    run_tool,
    stderr_tail,
    tool_path,
)

# ------------------------------------------------------------------------------------------ transcode plan


def transcode_plan(info: VideoInfo, ffmpeg_config: FFmpegConfig | Mapping[str, Any]) -> TranscodePlan | None:
    """The ffmpeg arguments Immich's ``ffmpeg`` config asks for, or None when the original plays as is.

    `ffmpeg_config` is the system config's ``ffmpeg`` section (or an FFmpegConfig). Raises
    FFmpegConfigError for an invalid value or one this ffmpeg cannot do, HardwareUnavailable when the
    configured acceleration is not usable here, VideoError for a file without video or dimensions.
    """
    config = as_config(ffmpeg_config)
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
    builder = ArgumentBuilder(config, info, accel)
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
    caps = ffmpeg_capabilities()
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
    head = [tool_path("ffmpeg"), *QUIET, *plan.input_options, "-i", file_url(path), *plan.output_options]
    passlog_dir: str | None = None
    try:
        if plan.two_pass:
            passlog_dir = tempfile.mkdtemp(prefix=".passlog-", dir=out_mp4.parent)
            passlog = os.path.join(passlog_dir, "ffmpeg2pass")
            first = run_tool(
                [*head, "-pass", "1", "-passlogfile", passlog, "-f", "null", os.devnull], deadline, nice=True
            )
            if first.returncode != 0:
                raise TranscodeError(f"{path.name}: ffmpeg's first pass failed ({stderr_tail(first.stderr)})")
            argv = [*head, "-pass", "2", "-passlogfile", passlog, "-f", "mp4", file_url(partial)]
        else:
            argv = [*head, "-f", "mp4", file_url(partial)]
        result = run_tool(argv, deadline, nice=True)
        if result.returncode != 0:
            raise TranscodeError(f"{path.name}: ffmpeg failed ({stderr_tail(result.stderr)})")
        if not partial.is_file() or partial.stat().st_size == 0:
            raise TranscodeError(f"{path.name}: ffmpeg succeeded but wrote nothing")
        os.replace(partial, out_mp4)
    finally:
        partial.unlink(missing_ok=True)
        if passlog_dir is not None:
            shutil.rmtree(passlog_dir, ignore_errors=True)
    return out_mp4
