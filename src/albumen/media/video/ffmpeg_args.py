"""The ffmpeg arguments of a transcode: encoder, rate control, scaling and tone-mapping filters."""

from __future__ import annotations

import math
from collections.abc import Sequence

from albumen.media.video.config import AUDIO_ENCODER, SOFTWARE_ENCODER, Accel, FFmpegConfig, Target
from albumen.media.video.hardware import hardware_device, hardware_encoder
from albumen.media.video.poster import cpu_tonemap
from albumen.media.video.probe import VideoInfo
from albumen.media.video.tools import split_args


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


def _number(value: float) -> str:
    """A number as JavaScript prints it (no trailing .0)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class ArgumentBuilder:
    """Immich's per-encoder option rules; `accel` is "disabled" for software encoding."""

    def __init__(self, config: FFmpegConfig, info: VideoInfo, accel: Accel) -> None:
        self.config = config
        self.info = info
        self.accel = accel
        self.hw_decode = accel != "disabled" and config.accel_decode
        self.device = hardware_device(config) if accel != "disabled" else ""

    # -- the whole command

    def plan(self, target: Target, *, encode_video: bool, encode_audio: bool) -> TranscodePlan:
        config, info = self.config, self.info
        video_encoder = self.video_encoder() if encode_video else "copy"
        audio_encoder = AUDIO_ENCODER[config.target_audio_codec] if encode_audio else "copy"
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
                return split_args("-hwaccel cuda -hwaccel_output_format cuda -noautorotate -threads 1")
            return ["-init_hw_device", f"cuda=cuda:{device}", "-filter_hw_device", "cuda"]
        if accel == "qsv":
            if self.hw_decode:
                hw_decode = split_args("-hwaccel qsv -hwaccel_output_format qsv -async_depth 4 -noautorotate")
                return [*hw_decode, "-qsv_device", device, "-threads", "1"]
            return ["-init_hw_device", f"qsv=hw,child_device={device}", "-filter_hw_device", "hw"]
        if accel == "vaapi":
            if self.hw_decode:
                hw_decode = split_args("-hwaccel vaapi -hwaccel_output_format vaapi -noautorotate")
                return [*hw_decode, "-hwaccel_device", device, "-threads", "1"]
            return ["-init_hw_device", f"vaapi=accel:{device}", "-filter_hw_device", "accel"]
        if self.hw_decode:  # rkmpp
            return split_args("-hwaccel rkmpp -hwaccel_output_format drm_prime -afbc rga -noautorotate")
        return []

    # -- encoder choice and stream structure

    def video_encoder(self) -> str:
        if self.accel == "disabled":
            return SOFTWARE_ENCODER[self.config.target_video_codec]
        return hardware_encoder(self.config)

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
                options += cpu_tonemap(self.config.tonemap)
            elif self.not_420():
                options.append("format=yuv420p")
            return options
        if accel == "nvenc":
            if not hw_decode:
                options = cpu_tonemap(self.config.tonemap) if self.tonemap() else []
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
                options = cpu_tonemap(self.config.tonemap) if self.tonemap() else []
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
            return [scaler, "hwdownload", "format=p010", *cpu_tonemap(self.config.tonemap), "hwupload"]
        return [f"scale_rkrga={self.scaling()}:format=nv12:afbc=1:async_depth=4"] if scale else []
