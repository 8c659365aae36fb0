"""The poster frame Immich would pick for a video's previews, tone-mapped to SDR."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Final, get_args

from albumen.media.video.config import ToneMapping
from albumen.media.video.probe import VideoInfo, probe
from albumen.media.video.tools import (
    POSTER_TIMEOUT_S,
    QUIET,
    FFmpegConfigError,
    VideoError,
    file_url,
    run_tool,
    split_args,
    stderr_tail,
    tool_path,
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
        filters.extend(cpu_tonemap(tonemap))
    filters.append("format=rgb24")

    input_options = [] if info.format_name == "mpegts" else ["-skip_frame", "nointra"]
    out_png.parent.mkdir(parents=True, exist_ok=True)
    partial = out_png.with_name(f".{out_png.name}.{secrets.token_hex(4)}.part")
    argv = [
        tool_path("ffmpeg"),
        *QUIET,
        *input_options,
        *(
            "-sws_flags",
            "accurate_rnd+full_chroma_int",
            "-i",
            file_url(path),
            "-map",
            f"0:{info.video_index}",
        ),
        *split_args("-an -sn -dn -map_metadata -1"),
        *("-vf", ",".join(filters)),
        *split_args("-fps_mode vfr -frames:v 1 -update 1 -c:v png -compression_level 1 -f image2"),
        file_url(partial),
    ]
    try:
        result = run_tool(argv, timeout)
        if result.returncode != 0 or not partial.is_file() or partial.stat().st_size == 0:
            raise VideoError(f"{path.name}: ffmpeg could not take a frame ({stderr_tail(result.stderr)})")
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


def cpu_tonemap(algorithm: str, matrix: str = "bt709") -> list[str]:
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
