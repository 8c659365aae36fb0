"""Video with the real ffprobe/ffmpeg: probe, Immich's poster frame through the image pipeline, and
Immich v3.1.0's transcoding decisions and commands (media.service.ts, utils/media.ts).

The videos are made here with ffmpeg's lavfi sources (testsrc + sine), 640x360, 30 fps, 10 s.
"""

from __future__ import annotations

import base64
import os
import shutil
import struct
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import pyvips  # type: ignore[import-untyped]

from albumen.media import video
from albumen.media.images import ImageSpec, generate_images
from albumen.media.video import (
    FFmpegConfig,
    FFmpegConfigError,
    HardwareUnavailable,
    TranscodeError,
    TranscodePlan,
    VideoError,
    VideoInfo,
    VideoTimeout,
    ffmpeg_args,
    hardware,
    poster_frame,
    probe,
    transcode,
    transcode_plan,
)
from albumen.media.video import config as video_config
from albumen.media.video import plan as video_plan

THUMBNAIL = ImageSpec(format="webp", size=250, quality=80)
PREVIEW = ImageSpec(format="jpeg", size=1440, quality=80)
CREATED = "2024-05-06T07:08:09.000000Z"


@dataclass(frozen=True)
class Videos:
    h264: Path
    hevc: Path
    rotated: Path
    black_start: Path
    hdr: Path
    mkv: Path
    audio_only: Path


def ffmpeg(*args: str) -> None:
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args],
        check=True,
        timeout=120,
    )


def lavfi(size: str = "640x360", seconds: int = 10) -> list[str]:
    return [
        *("-f", "lavfi", "-i", f"testsrc=size={size}:rate=30:duration={seconds}"),
        *("-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}"),
    ]


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> Videos:
    assert shutil.which("ffprobe"), "scripts/install.sh installs Debian's ffmpeg"
    folder = tmp_path_factory.mktemp("videos")
    h264, hevc, rotated = folder / "h264.mp4", folder / "hevc.mp4", folder / "rotated.mp4"
    x264 = ["-c:v", "libx264", "-preset", "ultrafast", "-g", "60", "-pix_fmt", "yuv420p"]
    aac = ["-c:a", "aac", "-b:a", "96k"]
    ffmpeg(*lavfi(), *x264, *aac, "-metadata", f"creation_time={CREATED}", str(h264))
    x265 = ["-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error:keyint=60"]
    ffmpeg(*lavfi(), *x265, "-pix_fmt", "yuv420p", "-tag:v", "hvc1", *aac, str(hevc))
    # A phone held upright: landscape pixels plus a display matrix turning them 90 degrees.
    ffmpeg("-i", str(h264), "-c", "copy", "-metadata:s:v:0", "rotate=90", str(rotated))

    black_start = folder / "black_start.mp4"
    graph = (
        "color=c=black:size=640x360:rate=30:duration=1[black];"
        "testsrc=size=640x360:rate=30:duration=4[pattern];[black][pattern]concat=n=2:v=1:a=0[v]"
    )
    ffmpeg("-filter_complex", graph, "-map", "[v]", *x264, "-g", "30", str(black_start))

    hdr = folder / "hdr.mp4"  # 10-bit HEVC tagged BT.2020 PQ, as an HDR phone video
    ffmpeg(
        *lavfi(seconds=2),
        *x265,
        *("-pix_fmt", "yuv420p10le", "-color_primaries", "bt2020", "-color_trc", "smpte2084"),
        *("-colorspace", "bt2020nc", "-tag:v", "hvc1"),
        *aac,
        str(hdr),
    )
    mkv = folder / "small.mkv"  # H.264 + AAC in Matroska
    ffmpeg(*lavfi("320x180", 2), *x264, *aac, str(mkv))
    audio_only = folder / "audio.m4a"
    ffmpeg("-f", "lavfi", "-i", "sine=duration=1", "-c:a", "aac", str(audio_only))
    return Videos(h264, hevc, rotated, black_start, hdr, mkv, audio_only)


@pytest.fixture(scope="module")
def info(videos: Videos) -> dict[str, VideoInfo]:
    return {name: probe(getattr(videos, name)) for name in ("h264", "hevc", "rotated", "hdr", "mkv")}


def config(**overrides: Any) -> dict[str, Any]:
    """The ``ffmpeg`` section as the system config stores it: Immich's defaults plus overrides."""
    return {**video_config._default_section(), **overrides}


def top_level_boxes(path: Path) -> list[str]:
    boxes, offset, size = [], 0, path.stat().st_size
    with path.open("rb") as f:
        while offset < size:
            f.seek(offset)
            length, kind = struct.unpack(">I4s", f.read(8))
            if length == 1:
                length = struct.unpack(">Q", f.read(8))[0]
            boxes.append(kind.decode("latin-1"))
            if length == 0:
                break
            offset += length
    return boxes


# ---------------------------------------------------------------------------------------------- probe


def test_probe_h264(info: dict[str, VideoInfo]) -> None:
    h264 = info["h264"]
    assert h264.video_codec == "h264"
    assert h264.container == "mov"  # MP4 reads as "QuickTime / MOV", which Immich calls mov
    assert abs(h264.duration_ms - 10_000) <= 50
    assert (h264.width, h264.height, h264.rotation) == (640, 360, 0)
    assert h264.frame_rate == 30
    assert h264.pixel_format == "yuv420p"
    assert h264.bit_rate > 0
    assert h264.video_bit_rate > 0
    assert h264.audio_codec == "aac"
    assert h264.audio_channels == 1
    assert (h264.video_index, h264.audio_index) == (0, 1)
    assert h264.creation_time == datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert not h264.is_hdr


def test_probe_hevc(info: dict[str, VideoInfo]) -> None:
    hevc = info["hevc"]
    assert hevc.video_codec == "hevc"
    assert abs(hevc.duration_ms - 10_000) <= 50
    assert (hevc.width, hevc.height) == (640, 360)
    assert hevc.frame_rate == 30
    assert hevc.audio_codec == "aac"
    assert hevc.creation_time is None


def test_probe_rotated_reports_displayed_size(info: dict[str, VideoInfo]) -> None:
    rotated = info["rotated"]
    assert abs(rotated.rotation) == 90
    assert rotated.is_rotated
    assert (rotated.width, rotated.height) == (360, 640)
    assert (rotated.stream_width, rotated.stream_height) == (640, 360)  # what Immich stores


def test_probe_hdr_and_matroska(info: dict[str, VideoInfo]) -> None:
    assert info["hdr"].is_hdr
    assert info["hdr"].pixel_format == "yuv420p10le"
    assert info["hdr"].color_transfer == "smpte2084"
    mkv = info["mkv"]
    assert mkv.container == "webm"  # Matroska reads as "Matroska / WebM"
    assert (mkv.width, mkv.height, mkv.video_codec) == (320, 180, "h264")
    assert mkv.video_bit_rate == 0  # Matroska keeps no per-stream bit rate


def test_probe_audio_only(videos: Videos) -> None:
    audio = probe(videos.audio_only)
    assert audio.video_codec is None
    assert audio.video_index is None
    assert audio.audio_codec == "aac"
    with pytest.raises(VideoError, match="no video stream"):
        transcode_plan(audio, config())
    with pytest.raises(VideoError, match="no video stream"):
        poster_frame(videos.audio_only, videos.audio_only.with_suffix(".png"), info=audio)


# ---------------------------------------------------------------------------------------------- poster


@pytest.mark.parametrize(
    ("name", "thumbnail_size", "preview_size"),
    [("h264", (444, 250), (640, 360)), ("hevc", (444, 250), (640, 360)), ("rotated", (250, 444), (360, 640))],
)
def test_poster_frame_makes_immich_previews(
    videos: Videos, tmp_path: Path, name: str, thumbnail_size: tuple[int, int], preview_size: tuple[int, int]
) -> None:
    png = tmp_path / "poster.png"
    size = poster_frame(getattr(videos, name), png)
    assert size == preview_size
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]

    images = generate_images(png, thumbnail=THUMBNAIL, preview=PREVIEW)
    assert images.thumbnail.format == "webp"
    assert images.thumbnail.data[8:12] == b"WEBP"
    assert (images.thumbnail.width, images.thumbnail.height) == thumbnail_size  # shorter side 250
    assert images.preview.format == "jpeg"
    assert images.preview.data[:2] == b"\xff\xd8"
    assert (images.preview.width, images.preview.height) == preview_size  # 1440 or smaller: never enlarged
    assert (images.width, images.height) == preview_size
    assert 5 <= len(images.thumbhash) <= 25
    assert base64.b64decode(images.thumbhash_base64) == images.thumbhash


def test_poster_frame_skips_a_black_opening(videos: Videos, tmp_path: Path) -> None:
    png = tmp_path / "poster.png"
    poster_frame(videos.black_start, png)
    assert pyvips.Image.new_from_file(str(png)).avg() > 60  # testsrc's colour bars, not the black second


def test_poster_frame_size_cap_and_hdr(videos: Videos, tmp_path: Path) -> None:
    assert poster_frame(videos.h264, tmp_path / "small.png", size=200) == (356, 200)
    image = pyvips.Image.new_from_file(str(tmp_path / "small.png"))
    assert (image.width, image.height, image.bands, image.format) == (356, 200, 3, "uchar")
    assert poster_frame(videos.hdr, tmp_path / "hdr.png") == (640, 360)  # tone-mapped, 8-bit
    assert pyvips.Image.new_from_file(str(tmp_path / "hdr.png")).format == "uchar"
    with pytest.raises(FFmpegConfigError, match="tonemap"):
        poster_frame(videos.hdr, tmp_path / "x.png", tonemap="aces")


def test_anamorphic_video_is_shown_with_square_pixels(tmp_path: Path) -> None:
    dvd = tmp_path / "dvd.mp4"  # 720x480 stored, pixels 8:9 wide: displayed 640x480
    ffmpeg(*lavfi("720x480", 1), "-vf", "setsar=8/9", "-c:v", "libx264", "-preset", "ultrafast", str(dvd))
    info = probe(dvd)
    assert (info.width, info.height) == (640, 480)
    assert poster_frame(dvd, tmp_path / "dvd.png", info=info) == (640, 480)
    png = pyvips.Image.new_from_file(str(tmp_path / "dvd.png"))
    assert (png.width, png.height) == (640, 480)


# ---------------------------------------------------------------------------------------------- decisions


def test_required_policy_h264_plays_as_is_hevc_is_transcoded(info: dict[str, VideoInfo]) -> None:
    # Immich's default: accepted video codecs [h264], audio [aac, mp3, opus], containers [mov, ogg, webm]
    assert transcode_plan(info["h264"], config()) is None
    assert transcode_plan(info["rotated"], config()) is None
    plan = transcode_plan(info["hevc"], config())
    assert plan is not None
    assert plan.target == "video"
    assert (plan.video_encoder, plan.audio_encoder) == ("libx264", "copy")
    assert plan == [
        *("-c:v", "libx264", "-c:a", "copy", "-map", "0:0", "-map_metadata", "-1", "-map", "0:1"),
        *("-preset", "ultrafast", "-crf", "23", "-movflags", "faststart", "-fps_mode", "passthrough"),
    ]
    assert plan.input_options == []
    assert not plan.two_pass
    # accepting HEVC makes it play as is; a 10-bit one is still re-encoded (not 4:2:0 8-bit)
    assert transcode_plan(info["hevc"], config(acceptedVideoCodecs=["h264", "hevc"])) is None
    hdr = transcode_plan(info["hdr"], config(acceptedVideoCodecs=["h264", "hevc"]))
    assert hdr is not None
    assert hdr.target == "video"


def test_all_policy_transcodes_both(info: dict[str, VideoInfo]) -> None:
    for name in ("h264", "hevc"):
        plan = transcode_plan(info[name], config(transcode="all"))
        assert plan is not None
        assert plan.target == "all"
        assert plan.output_options[:12] == [
            *("-c:v", "libx264", "-c:a", "aac", "-map", "0:0", "-map_metadata", "-1"),
            *("-map", "0:1", "-ac", "2"),
        ]


def test_disabled_never_transcodes(info: dict[str, VideoInfo]) -> None:
    for name in ("h264", "hevc", "rotated", "hdr", "mkv"):
        assert transcode_plan(info[name], config(transcode="disabled")) is None
        assert transcode_plan(info[name], config(transcode="disabled", acceptedVideoCodecs=[])) is None


def test_optimal_and_bitrate_policies(info: dict[str, VideoInfo]) -> None:
    h264 = info["h264"]
    assert transcode_plan(h264, config(transcode="optimal")) is None  # 360 <= 720
    plan = transcode_plan(h264, config(transcode="optimal", targetResolution="240"))
    assert plan is not None
    assert plan[plan.index("-vf") + 1] == "scale=-2:240"
    assert transcode_plan(h264, config(transcode="optimal", targetResolution="original")) is None
    # the video stream's bit rate is ~170-400 kbit/s
    assert h264.video_bit_rate > 100_000
    plan = transcode_plan(h264, config(transcode="bitrate", maxBitrate="100k"))
    assert plan is not None
    assert plan.target == "video"
    assert plan[plan.index("-maxrate") + 1] == "100k"
    assert plan[plan.index("-bufsize") + 1] == "200k"
    assert transcode_plan(h264, config(transcode="bitrate", maxBitrate="10M")) is None
    assert transcode_plan(h264, config(transcode="bitrate", maxBitrate="0")) is None


def test_rotated_portrait_scales_its_width(info: dict[str, VideoInfo]) -> None:
    plan = transcode_plan(info["rotated"], config(transcode="optimal", targetResolution="240"))
    assert plan is not None
    assert plan[plan.index("-vf") + 1] == "scale=240:-2"


def test_audio_and_container_rules(info: dict[str, VideoInfo]) -> None:
    h264 = info["h264"]
    plan = transcode_plan(h264, config(acceptedAudioCodecs=["opus"], targetAudioCodec="opus"))
    assert plan is not None
    assert plan.target == "audio"
    assert plan.video_encoder == "copy"
    assert plan.audio_encoder == "libopus"
    assert "-preset" not in plan
    assert "-vf" not in plan
    # Matroska is "webm" to Immich: accepted by default; otherwise remuxed into MP4, streams copied
    mkv = info["mkv"]
    assert transcode_plan(mkv, config()) is None
    remux = transcode_plan(mkv, config(acceptedContainers=["mov"]))
    assert remux is not None
    assert remux.target == "remux"
    assert remux[:4] == ["-c:v", "copy", "-c:a", "copy"]
    assert "-vf" not in remux
    # an odd size is made even (4:2:0 needs it), never enlarged to targetResolution
    odd = VideoInfo(
        **{**_fields(mkv), "width": 321, "height": 181, "stream_width": 321, "stream_height": 181}
    )
    assert transcode_plan(odd, config()) is None  # an odd size alone needs no transcode
    plan = transcode_plan(odd, config(transcode="all"))
    assert plan is not None
    assert plan[plan.index("-vf") + 1] == "scale=-2:180"


def _fields(info: VideoInfo) -> dict[str, Any]:
    return {name: getattr(info, name) for name in VideoInfo.__slots__}


def test_encoder_options_follow_immich(info: dict[str, VideoInfo]) -> None:
    hevc = info["hevc"]
    h265 = transcode_plan(info["h264"], config(transcode="all", targetVideoCodec="hevc", threads=1))
    assert h265 is not None
    assert h265.video_encoder == "libx265"
    assert h265.input_options == ["-threads", "1", "-filter_threads", "1"]
    for option in (["-tag:v", "hvc1"], ["-threads", "1"], ["-x265-params", "frame-threads=1:pools=none"]):
        assert _contains(h265, option)
    vp9 = transcode_plan(hevc, config(targetVideoCodec="vp9", preset="medium", crf=31))
    assert vp9 is not None
    assert _contains(vp9, ["-cpu-used", "3", "-crf", "31", "-b:v", "0k", "-row-mt", "1"])
    av1 = transcode_plan(hevc, config(targetVideoCodec="av1", maxBitrate="5M", threads=4))
    assert av1 is not None
    assert av1.video_encoder == "libsvtav1"
    assert _contains(av1, ["-preset", "12", "-crf", "23", "-svtav1-params", "lp=4:mbr=5M"])
    two_pass = transcode_plan(hevc, config(twoPass=True, maxBitrate="2900k"))
    assert two_pass is not None
    assert two_pass.two_pass
    assert _contains(two_pass, ["-b:v", "2000k", "-minrate", "1000k", "-maxrate", "2900k"])
    assert not transcode_plan(hevc, config(twoPass=True)).two_pass  # type: ignore[union-attr]  # no maxBitrate
    cqp = transcode_plan(hevc, config(cqMode="cqp", bframes=2, refs=3, gopSize=120))
    assert cqp is not None
    assert _contains(cqp, ["-bf", "2", "-refs", "3", "-g", "120"])
    assert "-q:v" in cqp


def test_hdr_is_tone_mapped(info: dict[str, VideoInfo]) -> None:
    plan = transcode_plan(info["hdr"], config())
    assert plan is not None
    filters = plan[plan.index("-vf") + 1]
    assert "tonemap=tonemap=hable:desat=0" in filters
    assert filters.endswith("format=yuv420p")
    plan = transcode_plan(info["hdr"], config(tonemap="disabled"))
    assert plan is not None
    assert plan[plan.index("-vf") + 1] == "format=yuv420p"


def _contains(plan: list[str], run: list[str]) -> bool:
    return any(plan[i : i + len(run)] == run for i in range(len(plan) - len(run) + 1))


# ---------------------------------------------------------------------------------------------- transcode


@pytest.mark.parametrize(("name", "policy"), [("h264", "all"), ("hevc", "required")])
def test_transcode_output_plays(
    videos: Videos, info: dict[str, VideoInfo], tmp_path: Path, name: str, policy: str
) -> None:
    plan = transcode_plan(info[name], config(transcode=policy))
    assert plan is not None
    out = tmp_path / "encoded" / f"{name}.mp4"
    started = time.monotonic()
    assert transcode(getattr(videos, name), out, plan) == out
    print(f"\ntranscode {name} (10 s, 640x360, policy {policy}): {time.monotonic() - started:.2f} s")
    result = probe(out)
    assert result.video_codec == "h264"
    assert result.audio_codec == "aac"
    assert abs(result.duration_ms - info[name].duration_ms) <= 200
    assert (result.width, result.height) == (640, 360)
    assert result.pixel_format == "yuv420p"
    boxes = top_level_boxes(out)
    assert boxes.index("moov") < boxes.index("mdat")  # faststart: playable while downloading
    assert sorted(p.name for p in out.parent.iterdir()) == [out.name]  # no temporary file left
    assert result.creation_time is None  # -map_metadata -1, as Immich


def test_transcode_rotated_and_hdr(videos: Videos, info: dict[str, VideoInfo], tmp_path: Path) -> None:
    plan = transcode_plan(info["rotated"], config(transcode="all"))
    assert plan is not None
    rotated = probe(transcode(videos.rotated, tmp_path / "rotated.mp4", plan))
    assert (rotated.width, rotated.height, rotated.rotation) == (360, 640, 0)  # upright pixels
    plan = transcode_plan(info["hdr"], config())
    assert plan is not None
    hdr = probe(transcode(videos.hdr, tmp_path / "hdr.mp4", plan))
    assert hdr.video_codec == "h264"
    assert hdr.pixel_format.endswith("420p")
    assert not hdr.is_hdr


def test_transcode_two_pass_and_remux(videos: Videos, info: dict[str, VideoInfo], tmp_path: Path) -> None:
    plan = transcode_plan(info["mkv"], config(twoPass=True, maxBitrate="300k", transcode="all"))
    assert plan is not None
    assert plan.two_pass
    out = probe(transcode(videos.mkv, tmp_path / "two-pass.mp4", plan))
    assert (out.video_codec, out.width, out.height) == ("h264", 320, 180)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["two-pass.mp4"]  # pass logs removed
    remux = transcode_plan(info["mkv"], config(acceptedContainers=["mov"]))
    assert remux is not None
    assert remux.target == "remux"
    copied = probe(transcode(videos.mkv, tmp_path / "remux.mp4", remux))
    assert copied.container == "mov"
    assert (copied.video_codec, copied.width, copied.audio_codec) == ("h264", 320, "aac")
    assert abs(copied.duration_ms - info["mkv"].duration_ms) <= 100


def test_failed_transcode_leaves_the_output_alone(
    videos: Videos, info: dict[str, VideoInfo], tmp_path: Path
) -> None:
    plan = transcode_plan(info["hevc"], config())
    assert plan is not None
    out = tmp_path / "out.mp4"
    out.write_bytes(b"previous encode")
    junk = tmp_path / "junk.mov"
    junk.write_bytes(os.urandom(20_000))
    with pytest.raises(TranscodeError, match=r"junk\.mov"):
        transcode(junk, out, plan)
    with pytest.raises(VideoTimeout):
        transcode(videos.hevc, out, plan, timeout=0.05)
    broken = TranscodePlan(
        [],
        ["-c:v", "no-such-encoder"],
        target="video",
        two_pass=False,
        video_encoder="x",
        audio_encoder="copy",
        accel="disabled",
        duration_ms=1,
    )
    with pytest.raises(TranscodeError, match="no-such-encoder"):
        transcode(videos.hevc, out, broken)
    assert out.read_bytes() == b"previous encode"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk.mov", "out.mp4"]


# ---------------------------------------------------------------------------------------------- garbage


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("random.mp4", os.urandom(50_000)),
        ("text.mov", b"this is not a video\n" * 20),
        ("empty.mp4", b""),
        ("photo.jpg", b"\xff\xd8\xff\xe0" + os.urandom(1000)),
    ],
)
def test_garbage_is_a_video_error(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(VideoError, match=name.replace(".", r"\.")):
        probe(path)
    with pytest.raises(VideoError):
        poster_frame(path, tmp_path / "poster.png")
    assert not (tmp_path / "poster.png").exists()


def test_truncated_and_missing_files(videos: Videos, tmp_path: Path) -> None:
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(videos.h264.read_bytes()[:30_000])  # moov is at the end: lost
    with pytest.raises(VideoError, match=r"moov atom not found|Invalid data"):
        probe(truncated)
    with pytest.raises(VideoError, match="no such file"):
        probe(tmp_path / "missing.mp4")
    # a path that looks like an option or a protocol is still just a file name
    odd = tmp_path / "-i concat:x|y.mp4"
    odd.write_bytes(videos.h264.read_bytes())
    assert probe(odd).video_codec == "h264"


# ---------------------------------------------------------------------------------------------- config


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("crf", 52),
        ("crf", "high"),
        ("threads", -1),
        ("preset", "fastest"),
        ("targetVideoCodec", "h266"),
        ("acceptedVideoCodecs", "h264"),
        ("acceptedVideoCodecs", ["h264", "mpeg2"]),
        ("targetAudioCodec", "flac"),
        ("acceptedAudioCodecs", ["vorbis"]),
        ("acceptedContainers", ["mkv"]),
        ("targetResolution", "720p"),
        ("targetResolution", "0"),
        ("maxBitrate", "4.5M"),
        ("maxBitrate", "lots"),
        ("bframes", 17),
        ("refs", 7),
        ("gopSize", -5),
        ("temporalAQ", "maybe"),
        ("cqMode", "crf"),
        ("twoPass", 1),
        ("preferredHwDevice", "../../etc/passwd"),
        ("transcode", "sometimes"),
        ("accel", "none"),
        ("accel", "cuda"),
        ("accelDecode", None),
        ("tonemap", "aces"),
    ],
)
def test_bad_config_values_are_refused(info: dict[str, VideoInfo], key: str, value: Any) -> None:
    with pytest.raises(FFmpegConfigError, match=rf"^ffmpeg\.{key}: ") as refused:
        transcode_plan(info["hevc"], config(**{key: value}))
    assert refused.value.option == key


def test_config_parsing() -> None:
    defaults = FFmpegConfig.from_config({})
    assert defaults == FFmpegConfig()  # the dataclass defaults are Immich's
    parsed = FFmpegConfig.from_config(
        config(crf="30", maxBitrate="8m", targetResolution="original", twoPass="true", acceptedContainers=[])
    )
    assert (parsed.crf, parsed.max_bitrate, parsed.max_bitrate_unit, parsed.max_bitrate_bps) == (
        30,
        8,
        "M",
        8_000_000,
    )
    assert parsed.target_resolution is None
    assert parsed.two_pass
    assert parsed.accepted_containers == ()
    assert FFmpegConfig.from_config(config(maxBitrate="5000")).max_bitrate_bps == 5_000_000  # kbit/s
    with pytest.raises(FFmpegConfigError, match=r"ffmpeg\.targetVideoCodec: RKMPP .* 'vp9'"):
        FFmpegConfig.from_config(config(accel="rkmpp", targetVideoCodec="vp9"))
    with pytest.raises(FFmpegConfigError, match=r"ffmpeg\.targetAudioCodec: .*pcm_s16le"):
        transcode_plan(probe_fixture_free(), config(targetAudioCodec="pcm_s16le", transcode="all"))


def probe_fixture_free() -> VideoInfo:
    return VideoInfo(
        container="mov",
        format_name="mov,mp4",
        format_long_name="QuickTime / MOV",
        duration_ms=1000,
        bit_rate=1,
        creation_time=None,
        video_codec="h264",
        width=64,
        height=64,
        stream_width=64,
        stream_height=64,
        rotation=0,
        frame_rate=30.0,
        frame_count=30,
        video_bit_rate=1,
        pixel_format="yuv420p",
        profile=None,
        level=None,
        color_primaries=None,
        color_transfer=None,
        color_space=None,
        video_index=0,
        audio_codec="aac",
        audio_index=1,
        audio_bit_rate=1,
        audio_channels=2,
    )


# ---------------------------------------------------------------------------------------------- hardware


@pytest.mark.parametrize("accel", ["nvenc", "qsv", "vaapi", "rkmpp"])
def test_unavailable_acceleration_is_refused_not_ignored(info: dict[str, VideoInfo], accel: str) -> None:
    if accel in ("qsv", "vaapi") and os.path.isdir("/dev/dri"):
        pytest.skip("this machine has /dev/dri")
    if accel == "nvenc" and os.path.exists("/dev/nvidiactl"):
        pytest.skip("this machine has an NVIDIA device")
    with pytest.raises(HardwareUnavailable, match=r"^ffmpeg\.accel: ") as refused:
        transcode_plan(info["hevc"], config(accel=accel))
    message = str(refused.value)
    expected = {"nvenc": "/dev/nvidia", "qsv": "/dev/dri", "vaapi": "/dev/dri", "rkmpp": "h264_rkmpp"}[accel]
    assert expected in message
    with pytest.raises(HardwareUnavailable):
        video.check_hardware(config(accel=accel))
    # nothing to accelerate when the video is not re-encoded
    assert transcode_plan(info["h264"], config(accel=accel)) is None


@pytest.fixture
def fake_dri(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend there are render nodes (and skip the test encode) to check the commands built."""
    monkeypatch.setattr(hardware, "_dri_devices", lambda: ["by-path", "card0", "renderD128", "renderD129"])
    monkeypatch.setattr(video_plan, "check_hardware", lambda config: None)


@pytest.mark.usefixtures("fake_dri")
def test_vaapi_and_qsv_commands(info: dict[str, VideoInfo]) -> None:
    vaapi = transcode_plan(info["hevc"], config(accel="vaapi", transcode="optimal", targetResolution="240"))
    assert vaapi is not None
    assert vaapi.accel == "vaapi"
    assert vaapi.video_encoder == "h264_vaapi"
    assert vaapi.input_options == [
        *("-hwaccel", "vaapi", "-hwaccel_output_format", "vaapi", "-noautorotate"),
        *("-hwaccel_device", "/dev/dri/renderD129", "-threads", "1"),
    ]  # auto: the last render node, as Immich picks it
    assert _contains(
        vaapi, ["-g", "256", "-compression_level", "7", "-qp:v", "23", "-global_quality:v", "23"]
    )
    assert vaapi[vaapi.index("-vf") + 1] == "scale_vaapi=-2:240:mode=hq:out_range=pc"
    sw_decode = transcode_plan(
        info["hevc"],
        config(accel="vaapi", accelDecode=False, preferredHwDevice="renderD128", maxBitrate="2900k"),
    )
    assert sw_decode is not None
    assert sw_decode.input_options == [
        "-init_hw_device",
        "vaapi=accel:/dev/dri/renderD128",
        "-filter_hw_device",
        "accel",
    ]
    assert _contains(sw_decode, ["-b:v", "2000k", "-maxrate", "2900k", "-minrate", "1000k", "-rc_mode", "3"])
    assert sw_decode[sw_decode.index("-vf") + 1] == "hwupload=extra_hw_frames=64"
    qsv = transcode_plan(info["hevc"], config(accel="qsv", targetVideoCodec="hevc", acceptedVideoCodecs=[]))
    assert qsv is not None
    assert qsv.video_encoder == "hevc_qsv"
    assert _contains(qsv, ["-qsv_device", "/dev/dri/renderD129"])
    assert _contains(qsv, ["-bf", "7", "-refs", "5", "-g", "256", "-tag:v", "hvc1", "-preset", "7"])
    with pytest.raises(HardwareUnavailable, match=r"^ffmpeg\.preferredHwDevice: /dev/dri/renderD200"):
        transcode_plan(info["hevc"], config(accel="vaapi", preferredHwDevice="/dev/dri/renderD200"))


def test_nvenc_command(info: dict[str, VideoInfo], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ffmpeg_args, "hardware_device", lambda config: "0")
    monkeypatch.setattr(video_plan, "check_hardware", lambda config: None)
    plan = transcode_plan(info["hevc"], config(accel="nvenc", accelDecode=False, bframes=2, temporalAQ=True))
    assert plan is not None
    assert plan.video_encoder == "h264_nvenc"
    assert plan.input_options == ["-init_hw_device", "cuda=cuda:0", "-filter_hw_device", "cuda"]
    assert _contains(plan, ["-tune", "hq", "-qmin", "0", "-rc-lookahead", "20", "-i_qfactor", "0.75"])
    assert _contains(plan, ["-b_ref_mode", "middle", "-b_qfactor", "1.1", "-temporal-aq", "1"])
    assert _contains(plan, ["-preset", "p1", "-cq:v", "23"])
    assert plan[plan.index("-vf") + 1] == "hwupload_cuda"
    # HDR with hardware decoding needs jellyfin-ffmpeg's tonemap_cuda: refused, naming the way out
    with pytest.raises(HardwareUnavailable, match=r"tonemap_cuda.*accelDecode false"):
        transcode_plan(info["hdr"], config(accel="nvenc"))
