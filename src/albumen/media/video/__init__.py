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

The package's modules: :mod:`.tools` (running the CLIs, errors), :mod:`.probe`, :mod:`.poster`,
:mod:`.config` (the validated ``ffmpeg`` section), :mod:`.hardware`, :mod:`.plan` (policy and
:func:`transcode`) and :mod:`.ffmpeg_args` (the arguments of a transcode).
"""

from albumen.media.video.config import FFmpegConfig
from albumen.media.video.ffmpeg_args import TranscodePlan
from albumen.media.video.hardware import check_hardware
from albumen.media.video.plan import transcode, transcode_plan
from albumen.media.video.poster import poster_frame
from albumen.media.video.probe import VideoInfo, probe
from albumen.media.video.tools import (
    FFmpegConfigError,
    HardwareUnavailable,
    TranscodeError,
    VideoError,
    VideoTimeout,
)

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
