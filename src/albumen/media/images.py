"""Immich's derived images from one decode: thumbnail, preview, optional full-size, thumbhash.

Behaviour follows Immich v3.1.0's media service (learned from it, not copied):

- the original is decoded once, upright (EXIF orientation, HEIF irot/imir, JPEG XL orientation), shrunk on
  load so its shorter side is the preview size; the preview is encoded from it and the thumbnail and the
  thumbhash are derived from the preview. Sizes are "fit: outside, withoutEnlargement": the shorter side
  becomes `size`, the aspect ratio is kept, and an image already smaller is never enlarged;
- colours: an image tagged sRGB (or untagged) stays sRGB. Any other profile (Display P3, Adobe RGB,
  ProPhoto, HDR PQ/HLG tone-mapped to SDR) is converted to Display P3 with that profile embedded when the
  configured colorspace is "p3", or to sRGB when it is "srgb";
- JPEG at quality >= 80 keeps full chroma (4:4:4), as Immich asks sharp to (Huffman tables are not
  optimised, unlike sharp's default: see `_encode`); metadata is stripped (the
  orientation is already applied), only the P3 profile is kept; transparency is flattened onto white
  for JPEG and kept in WebP;
- the full-size image is only made when the caller asks, i.e. when Immich would: `image.fullsize.enabled`
  and an original that browsers cannot show (HEIC, JPEG XL, RAW, TIFF, ...).

Synchronous, blocking and free of I/O except reading `source`: run it in a worker thread
(`anyio.to_thread.run_sync`). libvips' thread count and cache are set once per process by `configure`.
"""

from __future__ import annotations

import base64
import math
import os
import struct
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyvips  # type: ignore[import-untyped]

from albumen.media.decoders import (
    CorruptImage,
    ImageError,
    UnsupportedImage,
    VipsImage,
    decode,
    fit_outside,
)
from albumen.media.editing import Edit, apply_edits

__all__ = [
    "Colorspace",
    "CorruptImage",
    "EncodedImage",
    "GeneratedImages",
    "ImageError",
    "ImageFormat",
    "ImageSpec",
    "UnsupportedImage",
    "configure",
    "generate_images",
    "thumbhash_from_rgba",
]

ImageFormat = Literal["jpeg", "webp"]
Colorspace = Literal["srgb", "p3"]

_MIME = {"jpeg": "image/jpeg", "webp": "image/webp"}
THUMBHASH_MAX_SIDE = 100


@dataclass(frozen=True, slots=True)
class ImageSpec:
    """One derived image: Immich's `image.thumbnail` / `image.preview` / `image.fullsize` config."""

    format: ImageFormat
    size: int = 0  # the shorter side in pixels; 0 = the original's size (full-size)
    quality: int = 80
    progressive: bool = False

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> ImageSpec:
        """From a system-config section such as `{"format": "webp", "size": 250, "quality": 80, ...}`."""
        fmt = str(section["format"])
        if fmt not in _MIME:
            raise ValueError(f"unknown image format {fmt!r}")
        return cls(
            format="jpeg" if fmt == "jpeg" else "webp",
            size=int(section.get("size") or 0),
            quality=int(section["quality"]),
            progressive=bool(section.get("progressive") or False),
        )


@dataclass(frozen=True, slots=True)
class EncodedImage:
    data: bytes
    format: ImageFormat
    width: int
    height: int

    @property
    def mime_type(self) -> str:
        return _MIME[self.format]


@dataclass(frozen=True, slots=True)
class GeneratedImages:
    thumbnail: EncodedImage
    preview: EncodedImage
    fullsize: EncodedImage | None
    thumbhash: bytes  # raw ThumbHash bytes (Immich stores these; the API sends them base64)
    width: int  # the original's size after orientation
    height: int
    colorspace: Colorspace  # what the outputs are in (P3 ones carry the Display P3 profile)
    is_transparent: bool
    decoder: str  # which decoder read the original, for logs

    @property
    def thumbhash_base64(self) -> str:
        return base64.b64encode(self.thumbhash).decode("ascii")


# ------------------------------------------------------------------------------------------ process set-up

_configure_lock = threading.Lock()
_threads: int | None = None


def configure(threads: int | None = None) -> int:
    """Bound libvips (and the HEIF/JXL decoders) to `threads` worker threads per image, once per process.

    Defaults to $VIPS_CONCURRENCY, else min(4, CPUs): jobs already run several images side by side. The
    operation cache is switched off: a server never decodes the same image twice, and cached pixels are
    memory that nobody frees. Returns the thread count in force. Calling it again with a number changes it.
    """
    global _threads
    with _configure_lock:
        if threads is None and _threads is not None:
            return _threads
        if threads is None:
            threads = int(os.environ.get("VIPS_CONCURRENCY") or 0) or min(4, os.cpu_count() or 1)
        threads = max(1, threads)
        pyvips.vips_lib.vips_concurrency_set(threads)
        pyvips.cache_set_max(0)
        pyvips.cache_set_max_mem(0)
        pyvips.cache_set_max_files(0)
        _threads = threads
        return threads


# ------------------------------------------------------------------------------------------ the pipeline


def generate_images(
    source: Path | bytes,
    *,
    thumbnail: ImageSpec,
    preview: ImageSpec,
    fullsize: ImageSpec | None = None,
    colorspace: Colorspace = "p3",
    edits: Sequence[Edit] = (),
) -> GeneratedImages:
    """Decode `source` (a path or the file's bytes) once and encode Immich's derived images; with
    `edits`, of the edited image (decoded at full size, since a crop is in full-size pixels).

    Raises UnsupportedImage for a format nothing here reads, CorruptImage for damaged or truncated data.
    """
    threads = configure()
    if not isinstance(source, bytes):
        source = Path(source)
    decoded = decode(
        source,
        short_side=preview.size,
        full=fullsize is not None or bool(edits),
        wide_gamut=colorspace == "p3",
        threads=threads,
    )
    try:
        target = _output_colorspace(decoded.image, colorspace)
        image = _to_output(decoded.image, target)
        if edits:
            image = apply_edits(image, edits)
        full: EncodedImage | None = None
        if fullsize is not None:
            image = image.copy_memory()
            full = _encode(image, fullsize, target)
        preview_image = fit_outside(image, preview.size).copy_memory()
        del image
        previewed = _encode(preview_image, preview, target)
        thumb_image = fit_outside(preview_image, thumbnail.size).copy_memory()
        thumbnailed = _encode(thumb_image, thumbnail, target)
        transparent = _is_transparent(preview_image)
        thumbhash = thumbhash_from_rgba(_thumbhash_pixels(thumb_image, target))
    except pyvips.Error as e:  # decoding is lazy: damage shows when the pixels are computed
        raise CorruptImage(_message(e)) from e
    return GeneratedImages(
        thumbnail=thumbnailed,
        preview=previewed,
        fullsize=full,
        thumbhash=thumbhash,
        width=decoded.width,
        height=decoded.height,
        colorspace=target,
        is_transparent=transparent,
        decoder=decoded.decoder,
    )


def _message(error: Exception) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return "; ".join(lines[:2]) or type(error).__name__


def icc_description(icc: bytes) -> str:
    """The `desc` tag of an ICC profile (v2 `desc` or v4 `mluc`), '' when unreadable."""
    try:
        count = struct.unpack(">I", icc[128:132])[0]
        for i in range(min(count, 100)):
            sig, offset, size = struct.unpack(">4sII", icc[132 + 12 * i : 144 + 12 * i])
            if sig != b"desc":
                continue
            tag = icc[offset : offset + size]
            if tag[:4] == b"desc":
                length = struct.unpack(">I", tag[8:12])[0]
                return tag[12 : 12 + length].split(b"\0")[0].decode("latin-1")
            if tag[:4] == b"mluc":
                rec_size, rec_off = struct.unpack(">II", tag[20:28])
                return tag[rec_off : rec_off + rec_size].decode("utf-16-be", "replace")
    except (struct.error, UnicodeDecodeError):
        return ""
    return ""


def _icc(image: VipsImage) -> bytes | None:
    if "icc-profile-data" not in image.get_fields():
        return None
    return bytes(image.get("icc-profile-data"))


def _output_colorspace(image: VipsImage, configured: Colorspace) -> Colorspace:
    """sRGB for sRGB (or untagged, i.e. assumed sRGB) originals, else the configured colorspace."""
    icc = _icc(image)
    if icc is None and image.interpretation != "cmyk":
        return "srgb"
    if icc is not None and "srgb" in icc_description(icc).lower():
        return "srgb"
    return configured


def _to_output(image: VipsImage, target: Colorspace) -> VipsImage:
    """8-bit sRGB, or 8-bit Display P3 with its profile attached; alpha kept."""
    icc = _icc(image)
    description = icc_description(icc).lower() if icc else ""
    if image.interpretation == "cmyk":
        image = image.icc_transform(target, embedded=True, input_profile="cmyk")
    elif icc is not None and not (target == "srgb" and "srgb" in description):
        if target == "p3" and "p3" in description:
            pass  # already Display P3: keep the pixels and the profile
        else:
            try:
                image = image.icc_transform(target, embedded=True, input_profile="srgb")
            except pyvips.Error:  # a broken profile: treat the pixels as sRGB, as browsers do
                image = _strip_icc(image)
                target = "srgb"
    if image.interpretation not in ("srgb",) or image.format != "uchar":
        image = image.colourspace("srgb")
    if image.format != "uchar":
        image = image.cast("uchar")
    if target == "srgb" and _icc(image) is not None:
        image = _strip_icc(image)
    return image


def _strip_icc(image: VipsImage) -> VipsImage:
    image = image.copy()
    image.remove("icc-profile-data")
    return image


def _is_transparent(image: VipsImage) -> bool:
    return bool(image.bands in (2, 4) and image.extract_band(image.bands - 1).min() < 255)


def _encode(image: VipsImage, spec: ImageSpec, colorspace: Colorspace) -> EncodedImage:
    keep = pyvips.ForeignKeep.ICC if colorspace == "p3" else pyvips.ForeignKeep.NONE
    if spec.format == "jpeg":
        if image.bands in (2, 4):
            image = image.flatten(background=[255] * (image.bands - 1))
        # No optimize_coding (sharp's default): it buffers every DCT coefficient of the image, +44 MB peak
        # and +20% time for a 1440 px preview, to save 2% of its bytes on real photos.
        data = image.jpegsave_buffer(
            Q=spec.quality,
            interlace=spec.progressive,
            subsample_mode="off" if spec.quality >= 80 else "on",
            keep=keep,
        )
    else:
        data = image.webpsave_buffer(Q=spec.quality, keep=keep)
    return EncodedImage(bytes(data), spec.format, int(image.width), int(image.height))


# ------------------------------------------------------------------------------------------ thumbhash


def _thumbhash_pixels(image: VipsImage, colorspace: Colorspace) -> np.ndarray[Any, np.dtype[np.uint8]]:
    small = image.thumbnail_image(THUMBHASH_MAX_SIDE, height=THUMBHASH_MAX_SIDE, size="down", no_rotate=True)
    if colorspace == "p3":  # the hash's colours are sRGB, as every client decodes them
        small = small.icc_transform("srgb", embedded=True)
    if small.bands == 3:
        small = small.bandjoin(255)
    pixels = small.cast("uchar").write_to_memory()
    return np.frombuffer(pixels, dtype=np.uint8).reshape(small.height, small.width, 4)


def _round(x: float) -> int:
    """JavaScript's Math.round, which the reference ThumbHash encoder uses (halves round up)."""
    return math.floor(x + 0.5)


def thumbhash_from_rgba(rgba: np.ndarray[Any, np.dtype[np.uint8]]) -> bytes:
    """ThumbHash (Evan Wallace's format, as the `thumbhash` npm package encodes it) of an RGBA image.

    `rgba` is (height, width, 4) with both sides <= 100. Vectorised with numpy: ~1 ms for 100x100.
    """
    h, w = rgba.shape[:2]
    if w > THUMBHASH_MAX_SIDE or h > THUMBHASH_MAX_SIDE or w < 1 or h < 1:
        raise ValueError(f"{w}x{h} does not fit in 100x100")
    px = rgba.astype(np.float64) / 255.0
    alpha = px[..., 3]
    total_alpha = float(alpha.sum())
    average = (px[..., :3] * alpha[..., None]).sum(axis=(0, 1)) / total_alpha if total_alpha else np.zeros(3)
    has_alpha = total_alpha < w * h
    l_limit = 5 if has_alpha else 7
    lx = max(1, _round(l_limit * w / max(w, h)))
    ly = max(1, _round(l_limit * h / max(w, h)))
    rgb = average * (1 - alpha[..., None]) + px[..., :3] * alpha[..., None]
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    channels = {"l": (r + g + b) / 3, "p": (r + g) / 2 - b, "q": r - g, "a": alpha}

    def encode(channel: np.ndarray[Any, Any], nx: int, ny: int) -> tuple[float, list[float], float]:
        fx = np.cos(np.pi / w * np.arange(nx)[:, None] * (np.arange(w)[None, :] + 0.5))  # (nx, w)
        fy = np.cos(np.pi / h * np.arange(ny)[:, None] * (np.arange(h)[None, :] + 0.5))  # (ny, h)
        coefficients = fy @ channel @ fx.T / (w * h)  # (ny, nx)
        ac = [float(coefficients[cy, cx]) for cy in range(ny) for cx in range(nx) if cx * ny < nx * (ny - cy)]
        dc, ac = ac[0], ac[1:]
        scale = max((abs(f) for f in ac), default=0.0)
        if scale:
            ac = [0.5 + 0.5 / scale * f for f in ac]
        return dc, ac, scale

    l_dc, l_ac, l_scale = encode(channels["l"], max(3, lx), max(3, ly))
    p_dc, p_ac, p_scale = encode(channels["p"], 3, 3)
    q_dc, q_ac, q_scale = encode(channels["q"], 3, 3)
    a_dc, a_ac, a_scale = encode(channels["a"], 5, 5) if has_alpha else (1.0, [], 1.0)
    landscape = w > h
    header24 = (
        _round(63 * l_dc)
        | (_round(31.5 + 31.5 * p_dc) << 6)
        | (_round(31.5 + 31.5 * q_dc) << 12)
        | (_round(31 * l_scale) << 18)
        | (int(has_alpha) << 23)
    )
    header16 = (ly if landscape else lx) | (_round(63 * p_scale) << 3) | (_round(63 * q_scale) << 9)
    header16 |= int(landscape) << 15
    out = [header24 & 255, (header24 >> 8) & 255, header24 >> 16, header16 & 255, header16 >> 8]
    if has_alpha:
        out.append(_round(15 * a_dc) | (_round(15 * a_scale) << 4))
    nibbles = [_round(15 * f) for f in (*l_ac, *p_ac, *q_ac, *a_ac)]
    for i in range(0, len(nibbles), 2):
        out.append(nibbles[i] | (nibbles[i + 1] << 4 if i + 1 < len(nibbles) else 0))
    return bytes(out)
