"""Decode an image file into one upright pyvips image, with the library that can read it.

libvips (the pyvips-binary wheel) reads JPEG, PNG, WebP, AVIF, TIFF and GIF itself, with shrink-on-load.
It lacks HEVC, JPEG XL and camera RAW, so those are decoded to pixels by pillow-heif, pillow-jxl-plugin and
rawpy and handed to pyvips in memory, their ICC profile attached. Images that describe their colours with
an nclx box instead of an ICC profile (HDR AVIF/HEIC: PQ or HLG, P3 or BT.2020 primaries) are tone-mapped
here to SDR Display P3, so that everything after this module only has to understand ICC profiles.

Synchronous and blocking: callers run it in a worker thread.
"""

from __future__ import annotations

import contextlib
import functools
import io
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyvips  # type: ignore[import-untyped]

Source = Path | bytes
Kind = Literal["vips", "heif", "jxl", "raw"]
VipsImage = Any  # pyvips.Image: the wheel ships .pyi files but no py.typed marker

# A box this tall never limits: "fit outside" = fit inside (size x _UNBOUNDED) for a portrait.
_UNBOUNDED = 10_000_000
_SNIFF_BYTES = 64 * 1024

_RAW_SUFFIXES = frozenset({
    ".3fr", ".ari", ".arw", ".cap", ".cin", ".cr2", ".cr3", ".crw", ".dcr", ".dng", ".erf", ".fff", ".iiq",
    ".k25", ".kdc", ".mrw", ".nef", ".nrw", ".orf", ".ori", ".pef", ".raf", ".raw", ".rw2", ".rwl", ".sr2",
    ".srf", ".srw", ".x3f",
})  # fmt: skip
_RAW_MAKERS = (
    b"NIKON", b"SONY", b"PENTAX", b"RICOH", b"SAMSUNG", b"HASSELBLAD", b"PHASE ONE", b"LEAF", b"EPSON",
    b"KODAK", b"LEICA", b"CANON", b"OLYMPUS", b"PANASONIC", b"FUJIFILM", b"MAMIYA",
)  # fmt: skip


class ImageError(Exception):
    """The file cannot be turned into derived images."""


class UnsupportedImage(ImageError):
    """Not an image format Albumen can decode."""


class CorruptImage(ImageError):
    """A known format whose data is damaged or truncated."""


@dataclass(frozen=True, slots=True)
class Decoded:
    image: VipsImage  # upright; shrunk so its shorter side is near the requested one unless full=True
    width: int  # the original's size once oriented
    height: int
    decoder: str  # "jpegload", "heifload", ..., "pillow-heif", "pillow-jxl", "rawpy"


def oriented_size(width: int, height: int, orientation: int) -> tuple[int, int]:
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def outside_box(width: int, height: int, size: int) -> tuple[int, int]:
    """The (width, height) box for pyvips' thumbnail that gives "fit: outside" at `size` on the short side."""
    return (size, _UNBOUNDED) if width <= height else (_UNBOUNDED, size)


def fit_outside(image: VipsImage, size: int) -> VipsImage:
    """Shrink (never enlarge) so the shorter side is `size`, as sharp's `fit: outside, withoutEnlargement`."""
    if min(image.width, image.height) <= size:
        return image
    box_w, box_h = outside_box(image.width, image.height, size)
    return image.thumbnail_image(box_w, height=box_h, size="down", no_rotate=True)


# ------------------------------------------------------------------------------------------ sniffing


def _head(source: Source) -> bytes:
    if isinstance(source, bytes):
        return source[:_SNIFF_BYTES]
    with source.open("rb") as f:
        return f.read(_SNIFF_BYTES)


def _tiff_ifd0_tags(head: bytes) -> dict[int, bytes] | None:
    """Tag -> first bytes of its value (inline or, if within `head`, pointed at) of a TIFF's IFD0."""
    order = {b"II": "<", b"MM": ">"}.get(head[:2])
    if order is None or len(head) < 8:
        return None
    offset = struct.unpack(order + "I", head[4:8])[0]
    if offset + 2 > len(head):
        return {}
    count = struct.unpack(order + "H", head[offset : offset + 2])[0]
    tags: dict[int, bytes] = {}
    for i in range(min(count, (len(head) - offset - 2) // 12)):
        entry = head[offset + 2 + 12 * i : offset + 14 + 12 * i]
        tag, typ, n = struct.unpack(order + "HHI", entry[:8])
        size = n * {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1}.get(typ, 4)
        if size <= 4:
            tags[tag] = entry[8 : 8 + size]
        else:
            at = struct.unpack(order + "I", entry[8:12])[0]
            tags[tag] = head[at : at + min(size, 64)]
    return tags


def _is_raw_tiff(head: bytes) -> bool:
    tags = _tiff_ifd0_tags(head)
    if not tags:
        return False
    if 50706 in tags:  # DNGVersion
        return True
    make = tags.get(271, b"").upper()
    # A camera maker's TIFF whose first directory is a preview with sub-IFDs (NEF, ARW, PEF, ...).
    return make.startswith(_RAW_MAKERS) and (330 in tags or tags.get(254, b"\0")[:1] == b"\x01")


def sniff(source: Source) -> Kind | None:
    """Which decoder reads this; None when nothing recognises it (libvips is asked last)."""
    head = _head(source)
    suffix = source.suffix.lower() if isinstance(source, Path) else ""
    if head[:2] == b"\xff\x0a" or head[:12] == b"\x00\x00\x00\x0cJXL \r\n\x87\n":
        return "jxl"
    if head[4:8] == b"ftyp":
        brands = {head[i : i + 4] for i in range(8, min(len(head), 8 + int.from_bytes(head[:4])), 4)}
        if b"crx " in brands:
            return "raw"
        if brands & {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"}:
            return "heif"
        # AVIF, or a generic HEIF (mif1): libvips reads its header and hands HEVC over to pillow-heif.
    raw_magic = (b"FUJIFILMCCD-RAW", b"IIU\x00", b"IIRO", b"IIRS", b"MMOR", b"FOVb", b"\x00MRM")
    if (
        head.startswith(raw_magic)
        or head[6:14] == b"HEAPCCDR"
        or (head[:4] == b"II*\x00" and head[8:10] == b"CR")
    ):
        return "raw"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        if suffix in _RAW_SUFFIXES or (suffix not in (".tif", ".tiff") and _is_raw_tiff(head)):
            return "raw"
        return "vips"
    # The content decides over the name: a JPEG or PNG saved as .nef is read as what it is.
    if suffix in _RAW_SUFFIXES and not head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")):
        return "raw"
    if isinstance(source, bytes):
        loader = pyvips.vips_lib.vips_foreign_find_load_buffer(source, len(source))
    else:
        loader = pyvips.vips_lib.vips_foreign_find_load(str(source).encode())
    return "vips" if loader != pyvips.ffi.NULL else None


# ------------------------------------------------------------------------------------------ decoders


def decode(source: Source, *, short_side: int, full: bool, wide_gamut: bool, threads: int) -> Decoded:
    """Decode `source` upright. Unless `full`, shrink so the shorter side is about `short_side` (never up)."""
    kind = sniff(source)
    if kind is None:
        raise UnsupportedImage("not an image format Albumen can read")
    try:
        if kind == "heif":
            return _decode_heif(source, short_side=short_side, full=full, threads=threads)
        if kind == "jxl":
            return _decode_jxl(source, short_side=short_side, full=full, threads=threads)
        if kind == "raw":
            return _decode_raw(source, short_side=short_side, full=full, wide_gamut=wide_gamut)
        return _decode_vips(source, short_side=short_side, full=full, threads=threads)
    except pyvips.Error as e:  # anything else, our own mistakes included, fails the job loudly
        raise CorruptImage(_first_line(str(e))) from e


def _corrupt(kind: str, error: Exception) -> CorruptImage:
    """A decoding library's complaint about the input, as CorruptImage."""
    args = error.args
    detail = args[0].decode(errors="replace") if args and isinstance(args[0], bytes) else str(error)
    return CorruptImage(f"{kind} decoder failed: {_first_line(detail) or type(error).__name__}")


# What the bindings raise for bad input: libheif's errors arrive as ValueError (invalid input),
# EOFError (truncated) or RuntimeError; libjxl's as RuntimeError (the pyo3 binding) or ValueError.
_HEIF_ERRORS = (ValueError, EOFError, RuntimeError)
_JXL_ERRORS = (RuntimeError, ValueError)


def _first_line(message: str) -> str:
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    return "; ".join(lines[:2])


def _decode_vips(source: Source, *, short_side: int, full: bool, threads: int) -> Decoded:
    if isinstance(source, bytes):
        header = pyvips.Image.new_from_buffer(source, "", access="sequential")
    else:
        header = pyvips.Image.new_from_file(str(source), access="sequential")
    loader = str(header.get("vips-loader"))
    if loader == "heifload" and header.get("heif-compression") != "av1":
        # An HEVC (or other non-AV1) HEIF that only libheif's plugins can decode.
        return _decode_heif(source, short_side=short_side, full=full, threads=threads)
    orientation = int(header.get("orientation")) if "orientation" in header.get_fields() else 1
    width, height = oriented_size(header.width, header.height, orientation)
    nclx = (
        _heif_nclx(source) if loader == "heifload" and "icc-profile-data" not in header.get_fields() else None
    )
    if full:
        if isinstance(source, bytes):
            image = pyvips.Image.new_from_buffer(source, "", fail_on="error")
        else:
            image = pyvips.Image.new_from_file(str(source), fail_on="error")
        image = image.autorot()
    else:
        box_w, box_h = outside_box(width, height, short_side)
        if isinstance(source, bytes):
            # thumbnail_buffer ignores a fail_on keyword (libvips 8.18); the option string reaches the loader.
            image = pyvips.Image.thumbnail_buffer(
                source, box_w, height=box_h, size="down", option_string="fail_on=error"
            )
        else:
            image = pyvips.Image.thumbnail(str(source), box_w, height=box_h, size="down", fail_on="error")
    if nclx is not None:
        image = apply_nclx(image, nclx)
    return Decoded(image, width, height, loader)


def _heif_nclx(source: Source) -> dict[str, int] | None:
    """The nclx colour description of an AVIF/HEIF (libvips drops it); read by libheif, header only."""
    import pillow_heif

    try:
        heif = pillow_heif.open_heif(io.BytesIO(source) if isinstance(source, bytes) else source)
    except _HEIF_ERRORS:  # AV1 images open here as header only; anything odd just means "no nclx"
        return None
    nclx = heif.info.get("nclx_profile")
    return {k: int(v) for k, v in nclx.items() if isinstance(v, int)} if isinstance(nclx, dict) else None


def _from_pixels(buffer: Any, width: int, height: int, bands: int, sixteen: bool, stride: int) -> VipsImage:
    """A pyvips image over a decoder's interleaved pixel buffer (rows may be padded to `stride` bytes)."""
    fmt = "ushort" if sixteen else "uchar"
    row = width * bands * (2 if sixteen else 1)
    if stride != row:
        rows = np.frombuffer(buffer, dtype=np.uint8, count=stride * height).reshape(height, stride)
        buffer = np.ascontiguousarray(rows[:, :row])
    image = pyvips.Image.new_from_memory(buffer, width, height, bands, fmt)
    grey = bands <= 2
    return image.copy(
        interpretation=("grey16" if grey else "rgb16") if sixteen else ("b-w" if grey else "srgb")
    )


def _with_icc(image: VipsImage, icc: bytes | None) -> VipsImage:
    if not icc:
        return image
    image = image.copy()
    image.set_type(pyvips.GValue.blob_type, "icc-profile-data", icc)
    return image


def _isobmff_truncated(source: Source) -> bool:
    """Whether the top-level boxes of an ISO-BMFF file (HEIF, AVIF) run past its end.

    libheif decodes the tiles it finds and leaves the rest blank, so a cut-off HEIC would otherwise pass.
    """
    with io.BytesIO(source) if isinstance(source, bytes) else source.open("rb") as f:
        total = f.seek(0, io.SEEK_END)
        at = 0
        while at + 8 <= total:
            f.seek(at)
            header = f.read(16)
            size = int.from_bytes(header[:4])
            if size == 1 and len(header) >= 16:
                size = int.from_bytes(header[8:16])
            elif size == 0:  # the last box runs to the end of the file
                return False
            if size < 8:
                return True
            at += size
        return at != total


def _decode_heif(source: Source, *, short_side: int, full: bool, threads: int) -> Decoded:
    import pillow_heif

    if _isobmff_truncated(source):
        raise CorruptImage("HEIF file is truncated")
    pillow_heif.options.DECODE_THREADS = max(1, threads)
    try:
        heif = pillow_heif.open_heif(
            io.BytesIO(source) if isinstance(source, bytes) else source, convert_hdr_to_8bit=False
        )
    except _HEIF_ERRORS as e:
        raise UnsupportedImage(f"not a readable HEIF image: {_first_line(str(e))}") from e
    # libheif applies the irot/imir transforms, so the pixels are upright and EXIF orientation is moot.
    mode = str(heif.mode)
    bands = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}.get(mode.split(";")[0])
    if bands is None:
        raise UnsupportedImage(f"HEIF pixel mode {mode} is not supported")
    width, height = heif.size
    try:
        pixels = heif.data  # decoded here, on first access
    except _HEIF_ERRORS as e:
        raise _corrupt("heif", e) from e
    image = _from_pixels(pixels, width, height, bands, mode.endswith(";16"), int(heif.stride))
    image = image if full else fit_outside(image, short_side)
    icc = heif.info.get("icc_profile")
    if icc:
        image = _with_icc(image, bytes(icc))
    elif isinstance(nclx := heif.info.get("nclx_profile"), dict):
        image = apply_nclx(image, {k: int(v) for k, v in nclx.items() if isinstance(v, int)})
    return Decoded(image, width, height, "pillow-heif")


_JXL_BANDS = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4, "I;16": 1}


def _decode_jxl(source: Source, *, short_side: int, full: bool, threads: int) -> Decoded:
    from pillow_jxl import Decoder

    data = source if isinstance(source, bytes) else source.read_bytes()
    # (reconstructed_jpeg, info, pixels_or_jpeg, icc, boxes); libjxl applies the orientation itself.
    try:
        result = Decoder(num_threads=max(1, threads))(data)
    except _JXL_ERRORS as e:
        raise _corrupt("jxl", e) from e
    is_jpeg, info, pixels = bool(result[0]), result[1], result[2]
    icc = result[3] if len(result) > 3 else None
    if is_jpeg:  # a losslessly recompressed JPEG: libvips decodes it, with shrink-on-load
        decoded = _decode_vips(bytes(pixels), short_side=short_side, full=full, threads=threads)
        return Decoded(decoded.image, decoded.width, decoded.height, "pillow-jxl")
    mode = str(info.mode)
    width, height = int(info.width), int(info.height)
    if mode in ("F", "F;16"):
        bands = int(info.num_channels)
        if len(pixels) != width * height * bands * 4:
            raise UnsupportedImage("JPEG XL half-float pixels are not supported")
        image = pyvips.Image.new_from_memory(pixels, width, height, bands, "float")
        image = (image * 65535).cast("ushort").copy(interpretation="rgb16" if bands >= 3 else "grey16")
    else:
        if mode not in _JXL_BANDS:
            raise UnsupportedImage(f"JPEG XL pixel mode {mode} is not supported")
        bands = _JXL_BANDS[mode]
        sixteen = mode == "I;16"
        image = _from_pixels(pixels, width, height, bands, sixteen, width * bands * (2 if sixteen else 1))
    image = image if full else fit_outside(image, short_side)
    return Decoded(_with_icc(image, bytes(icc) if icc else None), width, height, "pillow-jxl")


@contextlib.contextmanager
def _raw_errors_are_corrupt() -> Iterator[None]:
    import rawpy

    try:
        yield
    except rawpy.LibRawError as e:
        raise _corrupt("raw", e) from e


def _decode_raw(source: Source, *, short_side: int, full: bool, wide_gamut: bool) -> Decoded:
    import rawpy

    try:
        raw = rawpy.imread(io.BytesIO(source) if isinstance(source, bytes) else str(source))
    except (rawpy.LibRawFileUnsupportedError, rawpy.NotSupportedError) as e:
        raise UnsupportedImage(f"camera RAW not supported by LibRaw: {e}") from e
    except rawpy.LibRawError as e:
        raise _corrupt("raw", e) from e
    with raw, _raw_errors_are_corrupt():
        sizes = raw.sizes
        width, height = oriented_size(sizes.width, sizes.height, 6 if sizes.flip in (5, 6) else 1)
        # Half size skips demosaicing (4x fewer pixels, much faster) when the preview still fits.
        half = not full and min(width, height) // 2 >= short_side
        rgb = raw.postprocess(
            half_size=half,
            use_camera_wb=True,
            output_bps=8,
            output_color=rawpy.ColorSpace.P3D65 if wide_gamut else rawpy.ColorSpace.sRGB,
            gamma=(2.4, 12.92),  # the sRGB curve, which Display P3 shares
        )
    h, w, bands = rgb.shape
    image = _from_pixels(np.ascontiguousarray(rgb), w, h, bands, False, w * bands)
    image = image if full else fit_outside(image, short_side)
    return Decoded(_with_icc(image, builtin_profile("p3" if wide_gamut else "srgb")), width, height, "rawpy")


# ------------------------------------------------------------------------------------------ colour


@functools.cache
def builtin_profile(name: Literal["srgb", "p3"]) -> bytes:
    """The ICC profile libvips ships under `name` (480 bytes each)."""
    pixel = pyvips.Image.black(1, 1, bands=3).cast("uchar").copy(interpretation="srgb")
    return bytes(pixel.icc_transform(name, input_profile="srgb").get("icc-profile-data"))


# H.273 colour primaries -> (red, green, blue, white) chromaticities.
_PRIMARIES = {
    1: ((0.64, 0.33), (0.30, 0.60), (0.15, 0.06), (0.3127, 0.3290)),  # BT.709 / sRGB
    9: ((0.708, 0.292), (0.170, 0.797), (0.131, 0.046), (0.3127, 0.3290)),  # BT.2020
    12: ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060), (0.3127, 0.3290)),  # Display P3
}
_SDR_REFERENCE_WHITE_NITS = 203.0  # ITU-R BT.2408: HDR graphics white, mapped to SDR white


def _rgb_to_xyz(primaries: tuple[tuple[float, float], ...]) -> np.ndarray[Any, np.dtype[np.float64]]:
    xy = np.array(primaries[:3])
    xyz = np.stack([xy[:, 0] / xy[:, 1], np.ones(3), (1 - xy.sum(axis=1)) / xy[:, 1]])
    wx, wy = primaries[3]
    white = np.array([wx / wy, 1.0, (1 - wx - wy) / wy])
    scaled: np.ndarray[Any, np.dtype[np.float64]] = xyz * np.linalg.solve(xyz, white)
    return scaled


def _to_linear(values: np.ndarray[Any, np.dtype[np.float64]], transfer: int) -> Any:
    """Normalised code values -> linear light, 1.0 = SDR white (HDR tone-mapped with a soft knee)."""
    v = np.clip(values, 0.0, 1.0)
    if transfer == 16:  # PQ (SMPTE ST 2084)
        m1, m2, c1, c2, c3 = 0.1593017578125, 78.84375, 0.8359375, 18.8515625, 18.6875
        p = v ** (1 / m2)
        nits = 10000.0 * (np.maximum(p - c1, 0) / (c2 - c3 * p)) ** (1 / m1)
    elif transfer == 18:  # HLG (ARIB STD-B67), displayed on a 1000-nit screen
        a, b, c = 0.17883277, 0.28466892, 0.55991073
        scene = np.where(v <= 0.5, v * v / 3, (np.exp((v - c) / a) + b) / 12)
        nits = 1000.0 * scene**1.2
    elif transfer == 8:  # linear
        return v
    else:  # sRGB / BT.709 / BT.601 / gamma: treated as the sRGB curve
        return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)
    x = nits / _SDR_REFERENCE_WHITE_NITS
    knee = 0.8
    return np.where(x <= knee, x, knee + (1 - knee) * (1 - np.exp(-(x - knee) / (1 - knee))))


def apply_nclx(image: VipsImage, nclx: dict[str, int]) -> VipsImage:
    """An image described by nclx (no ICC profile) -> sRGB-curve pixels with a Display P3 or no profile."""
    primaries = nclx.get("color_primaries", 2)
    transfer = nclx.get("transfer_characteristics", 2)
    primaries = primaries if primaries in _PRIMARIES else 1
    if transfer not in (8, 16, 18) and primaries == 1:
        return image  # plain sRGB
    if transfer not in (8, 16, 18) and primaries == 12:
        return _with_icc(image, builtin_profile("p3"))
    sixteen = image.format == "ushort"
    levels = 65536 if sixteen else 256
    codes = np.arange(levels, dtype=np.float64) / (levels - 1)
    linear = _to_linear(codes, transfer).astype(np.float32)
    # 1. code -> linear light (tone-mapped), 2. source primaries -> P3, 3. clip and apply the sRGB curve.
    alpha = image.extract_band(image.bands - 1) if image.bands in (2, 4) else None
    if image.bands >= 3:
        colour = image.extract_band(0, n=3)
    else:
        grey = image.extract_band(0)
        colour = grey.bandjoin([grey, grey])
    out = colour.maplut(pyvips.Image.new_from_memory(linear.tobytes(), levels, 1, 1, "float"))
    if primaries != 12:
        matrix = np.linalg.solve(_rgb_to_xyz(_PRIMARIES[12]), _rgb_to_xyz(_PRIMARIES[primaries]))
        out = out.recomb(pyvips.Image.new_from_array(matrix.tolist()))
    encode = np.clip(np.linspace(0.0, 1.0, 65536), 0, 1)
    encode = np.where(encode <= 0.0031308, encode * 12.92, 1.055 * encode ** (1 / 2.4) - 0.055)
    lut = pyvips.Image.new_from_memory(
        (encode * 65535).round().astype(np.uint16).tobytes(), 65536, 1, 1, "ushort"
    )
    out = (out * 65535).cast("ushort").maplut(lut)
    if alpha is not None:
        out = out.bandjoin(alpha if sixteen else (alpha.cast("ushort") * 257).cast("ushort"))
    out = out.copy(interpretation="rgb16")
    return _with_icc(out, builtin_profile("p3"))
