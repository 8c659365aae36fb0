"""Derived images (thumbnail, preview, full-size, thumbhash) for every image in the shared test assets.

Every output is checked by its magic bytes and decoded back with pyvips; sizes follow Immich's "fit:
outside, withoutEnlargement" (the shorter side becomes 250 / 1440, an image already smaller keeps its size).
The camera RAW path runs on a tiny DNG written by this file (a 64x48 Bayer mosaic, orientation 6).
"""

from __future__ import annotations

import io
import json
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pillow_heif
import pillow_jxl  # noqa: F401  (registers JPEG XL with Pillow, used here only to read the expected sizes)
import pytest
import pyvips
from PIL import Image

from albumen.media import decoders
from albumen.media.images import (
    CorruptImage,
    GeneratedImages,
    ImageSpec,
    UnsupportedImage,
    configure,
    generate_images,
    icc_description,
    thumbhash_from_rgba,
)
from tests.conftest import ASSETS_DIR

pillow_heif.register_heif_opener()

CONFIG = json.loads((Path(__file__).parents[2] / "src/albumen/system/config_defaults.json").read_text())
THUMBNAIL = ImageSpec.from_config(CONFIG["image"]["thumbnail"])
PREVIEW = ImageSpec.from_config(CONFIG["image"]["preview"])
FULLSIZE = ImageSpec.from_config(CONFIG["image"]["fullsize"])
IMAGE_SUFFIXES = {
    ".jpg",
    ".jpeg",
    ".png",
    ".webp",
    ".avif",
    ".heic",
    ".heif",
    ".jxl",
    ".gif",
    ".tif",
    ".tiff",
}
ASSETS = sorted(p for p in ASSETS_DIR.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
FACES = ASSETS_DIR / "metadata/faces"


def _rel(path: Path) -> str:
    return str(path.relative_to(ASSETS_DIR))


def _expected_size(path: Path) -> tuple[int, int]:
    """The original's upright size, read with Pillow (an independent decoder) and its EXIF orientation."""
    with Image.open(path) as im:
        width, height = im.size
        # pillow-heif has already applied the HEIF transforms; libjxl applies JPEG XL's own orientation.
        orientation = 1 if im.format in ("HEIF", "JXL") else im.getexif().get(0x0112, 1)
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def _is_webp(data: bytes) -> bool:
    return data[:4] == b"RIFF" and data[8:12] == b"WEBP"


def _is_jpeg(data: bytes) -> bool:
    return data[:3] == b"\xff\xd8\xff"


def _expected_dims(width: int, height: int, size: int) -> tuple[int, int]:
    short = min(width, height)
    if short <= size:
        return width, height
    scale = size / short
    return (size, round(height * scale)) if width <= height else (round(width * scale), size)


def _assert_dims(actual: tuple[int, int], expected: tuple[int, int]) -> None:
    # the shorter side exactly, the longer one within a pixel of the aspect ratio (rounding)
    assert min(actual) == min(expected), (actual, expected)
    assert max(abs(actual[0] - expected[0]), abs(actual[1] - expected[1])) <= 1, (actual, expected)


def _srgb_pixels(data: bytes) -> Any:
    image = pyvips.Image.new_from_buffer(data, "")
    if "icc-profile-data" in image.get_fields():
        image = image.icc_transform("srgb", embedded=True)
    image = image.colourspace("srgb")
    if image.bands == 4:
        image = image.flatten(background=[255, 255, 255])
    return np.frombuffer(image.write_to_memory(), np.uint8).reshape(image.height, image.width, 3)


def _thumbhash_header(hash_: bytes) -> dict[str, Any]:
    """Decode ThumbHash's header independently of the encoder: average colour, aspect, expected length."""
    header24 = hash_[0] | hash_[1] << 8 | hash_[2] << 16
    header16 = hash_[3] | hash_[4] << 8
    l_dc = (header24 & 63) / 63
    p_dc = ((header24 >> 6) & 63) / 31.5 - 1
    q_dc = ((header24 >> 12) & 63) / 31.5 - 1
    has_alpha = bool(header24 >> 23)
    landscape = bool(header16 >> 15)
    lx = max(3, (5 if has_alpha else 7) if landscape else header16 & 7)
    ly = max(3, header16 & 7 if landscape else (5 if has_alpha else 7))
    b = l_dc - 2 / 3 * p_dc
    r = (3 * l_dc - b + q_dc) / 2
    g = r - q_dc

    def ac_count(nx: int, ny: int) -> int:
        return sum(1 for cy in range(ny) for cx in range(nx) if cx * ny < nx * (ny - cy)) - 1

    nibbles = ac_count(lx, ly) + 2 * ac_count(3, 3) + (ac_count(5, 5) if has_alpha else 0)
    return {
        "rgb": np.clip([r, g, b], 0, 1),
        "has_alpha": has_alpha,
        "landscape": landscape,
        "length": 5 + int(has_alpha) + (nibbles + 1) // 2,
    }


def _check_thumbhash(generated: GeneratedImages) -> None:
    header = _thumbhash_header(generated.thumbhash)
    assert len(generated.thumbhash) == header["length"]
    assert generated.thumbhash_base64  # what the API sends
    pixels = _srgb_pixels(generated.thumbnail.data)
    mean = pixels.reshape(-1, 3).mean(axis=0) / 255
    assert np.abs(header["rgb"] - mean).max() < 0.1, (header["rgb"], mean)
    width, height = generated.thumbnail.width, generated.thumbnail.height
    assert header["landscape"] == (width > height)


@pytest.mark.parametrize("path", ASSETS, ids=_rel)
def test_every_test_asset_gets_a_thumbnail_preview_and_thumbhash(path: Path) -> None:
    generated = generate_images(path, thumbnail=THUMBNAIL, preview=PREVIEW, fullsize=None)
    width, height = _expected_size(path)
    assert (generated.width, generated.height) == (width, height)

    assert _is_webp(generated.thumbnail.data)
    assert generated.thumbnail.mime_type == "image/webp"
    thumb = pyvips.Image.new_from_buffer(generated.thumbnail.data, "")
    assert thumb.get("vips-loader") == "webpload_buffer"
    assert (thumb.width, thumb.height) == (generated.thumbnail.width, generated.thumbnail.height)
    _assert_dims((thumb.width, thumb.height), _expected_dims(width, height, 250))

    assert _is_jpeg(generated.preview.data)
    preview = pyvips.Image.new_from_buffer(generated.preview.data, "")
    assert preview.get("vips-loader") == "jpegload_buffer"
    assert (preview.width, preview.height) == (generated.preview.width, generated.preview.height)
    _assert_dims((preview.width, preview.height), _expected_dims(width, height, 1440))
    assert "orientation" not in preview.get_fields() or preview.get("orientation") == 1
    preview.avg()  # decodes every pixel
    assert preview.get("jpeg-chroma-subsample") == "4:4:4"  # quality 80 >= 80, as Immich asks sharp

    assert generated.fullsize is None
    _check_thumbhash(generated)


def test_sizes_are_never_enlarged() -> None:
    small = ASSETS_DIR / "metadata/tags/picasa.jpg"  # 100 x 75
    generated = generate_images(small, thumbnail=THUMBNAIL, preview=PREVIEW)
    assert (generated.thumbnail.width, generated.thumbnail.height) == (100, 75)
    assert (generated.preview.width, generated.preview.height) == (100, 75)


def test_exif_orientation_6_is_applied() -> None:
    """The file stores 700 x 840 pixels turned 90 degrees; upright it is the 840 x 700 portrait.jpg.

    (So the upright image is wider than tall: "portrait" names the subject, not the shape.)
    """
    turned = generate_images(FACES / "portrait-orientation-6.jpg", thumbnail=THUMBNAIL, preview=PREVIEW)
    upright = generate_images(FACES / "portrait.jpg", thumbnail=THUMBNAIL, preview=PREVIEW)
    with Image.open(FACES / "portrait-orientation-6.jpg") as raw:
        assert raw.size == (700, 840)
        assert raw.getexif()[0x0112] == 6
    assert (turned.width, turned.height) == (840, 700)
    assert (turned.preview.width, turned.preview.height) == (840, 700)
    assert (turned.thumbnail.width, turned.thumbnail.height) == (300, 250)
    a = _srgb_pixels(turned.preview.data).astype(int)
    b = _srgb_pixels(upright.preview.data).astype(int)
    assert np.abs(a - b).mean() < 12  # the same picture, the same way up (labels differ slightly)
    wrong_way = np.rot90(_srgb_pixels(upright.preview.data)[:700, :700]).astype(int)
    assert np.abs(a[:700, :700] - wrong_way).mean() > 2 * np.abs(a - b).mean()


def _icc_of(data: bytes) -> str | None:
    image = pyvips.Image.new_from_buffer(data, "")
    if "icc-profile-data" not in image.get_fields():
        return None
    return icc_description(bytes(image.get("icc-profile-data")))


def test_wide_gamut_stays_display_p3_when_configured() -> None:
    heic = ASSETS_DIR / "formats/heic/IMG_2682.heic"  # tagged "Display P3"
    p3 = generate_images(heic, thumbnail=THUMBNAIL, preview=PREVIEW, colorspace="p3")
    assert p3.colorspace == "p3"
    assert "P3" in (_icc_of(p3.preview.data) or "")
    assert "P3" in (_icc_of(p3.thumbnail.data) or "")

    srgb = generate_images(heic, thumbnail=THUMBNAIL, preview=PREVIEW, colorspace="srgb")
    assert srgb.colorspace == "srgb"
    assert _icc_of(srgb.preview.data) is None  # untagged = sRGB
    # the same colours once both are shown in sRGB
    diff = np.abs(_srgb_pixels(p3.preview.data).astype(int) - _srgb_pixels(srgb.preview.data).astype(int))
    assert diff.mean() < 3


def test_srgb_originals_stay_srgb_without_a_profile() -> None:
    for path in (ASSETS_DIR / "formats/avif/8bit-sRGB.avif", ASSETS_DIR / "albums/text/craft-beer.jpg"):
        generated = generate_images(path, thumbnail=THUMBNAIL, preview=PREVIEW, colorspace="p3")
        assert generated.colorspace == "srgb"
        assert _icc_of(generated.preview.data) is None


@pytest.mark.parametrize("colorspace", ["p3", "srgb"])
def test_hdr_pq_avif_is_tone_mapped(colorspace: str) -> None:
    """10-bit PQ with P3 primaries, described only by an nclx box (no ICC profile)."""
    path = ASSETS_DIR / "formats/avif/10bit-HDR-P3-nclx.avif"
    generated = generate_images(path, thumbnail=THUMBNAIL, preview=PREVIEW, colorspace=colorspace)  # type: ignore[arg-type]
    assert generated.colorspace == colorspace
    assert ("P3" in (_icc_of(generated.preview.data) or "")) == (colorspace == "p3")
    pixels = _srgb_pixels(generated.preview.data)
    # Read as if it were SDR, PQ code values come out a washed-out grey; tone-mapped, the sky is blue
    # and the picture uses the whole range.
    assert 60 < pixels.mean() < 200
    assert pixels.max() > 240
    assert pixels.min() < 30
    sky = pixels[: pixels.shape[0] // 10].reshape(-1, 3).mean(axis=0)
    assert sky[2] > sky[0] + 30


@pytest.mark.parametrize(("transfer", "blue"), [(16, (240, 256)), (18, (150, 200))], ids=["PQ", "HLG"])
def test_hdr_heic_with_bt2020_primaries_is_tone_mapped_to_p3(transfer: int, blue: tuple[int, int]) -> None:
    """A 10-bit HEVC HEIF described by nclx only (BT.2020 primaries), decoded by pillow-heif."""
    width, height = 128, 96
    pixels = np.zeros((height, width, 3), np.uint16)
    pixels[..., 0] = np.linspace(0, 65535, width)[None, :].astype(np.uint16)  # red: black -> peak
    pixels[..., 2] = 40000  # blue: PQ ~400 nits (above SDR white), HLG ~90 nits (below)
    heif = pillow_heif.from_bytes(mode="RGB;16", size=(width, height), data=pixels.tobytes())
    out = io.BytesIO()
    nclx = {
        "color_primaries": 9,
        "transfer_characteristics": transfer,
        "matrix_coefficients": 9,
        "full_range_flag": 1,
    }
    heif.save(out, format="HEIF", quality=95, nclx_profile=nclx)
    generated = generate_images(
        out.getvalue(), thumbnail=ImageSpec("webp", 50), preview=ImageSpec("jpeg", 90)
    )
    assert generated.decoder == "pillow-heif"
    assert generated.colorspace == "p3"
    assert "P3" in (_icc_of(generated.preview.data) or "")
    preview = pyvips.Image.new_from_buffer(generated.preview.data, "")
    left, right = preview.getpoint(0, 45), preview.getpoint(preview.width - 1, 45)
    assert left[0] < 20
    assert right[0] > 240
    assert blue[0] <= left[2] < blue[1]


def test_fullsize_is_the_upright_original_in_the_configured_format() -> None:
    heic = ASSETS_DIR / "formats/heic/IMG_2682.heic"
    generated = generate_images(heic, thumbnail=THUMBNAIL, preview=PREVIEW, fullsize=FULLSIZE)
    assert generated.fullsize is not None
    assert _is_jpeg(generated.fullsize.data)
    full = pyvips.Image.new_from_buffer(generated.fullsize.data, "")
    assert (full.width, full.height) == (4032, 3024) == (generated.width, generated.height)
    assert (generated.preview.width, generated.preview.height) == (1920, 1440)

    turned = generate_images(
        FACES / "portrait-orientation-6.jpg", thumbnail=THUMBNAIL, preview=PREVIEW, fullsize=FULLSIZE
    )
    assert turned.fullsize is not None
    assert (turned.fullsize.width, turned.fullsize.height) == (840, 700)


def test_progressive_jpeg_and_webp_preview_follow_the_spec() -> None:
    path = ASSETS_DIR / "albums/nature/prairie_falcon.jpg"
    progressive = ImageSpec("jpeg", size=300, quality=60, progressive=True)
    generated = generate_images(path, thumbnail=ImageSpec("jpeg", 100), preview=progressive)
    assert b"\xff\xc2" in generated.preview.data  # SOF2: progressive DCT
    preview = pyvips.Image.new_from_buffer(generated.preview.data, "")
    assert preview.get("jpeg-chroma-subsample") == "4:2:0"  # below quality 80
    assert (preview.width, preview.height) == (450, 300)
    assert _is_jpeg(generated.thumbnail.data)
    assert generated.thumbnail.height == 100

    webp = generate_images(path, thumbnail=THUMBNAIL, preview=ImageSpec("webp", 1440, 80))
    assert _is_webp(webp.preview.data)


def test_transparency_is_kept_in_webp_and_flattened_onto_white_in_jpeg() -> None:
    ramp = (pyvips.Image.xyz(600, 400)[0] * (255 / 600)).cast("uchar")
    rgba = pyvips.Image.black(600, 400, bands=3).linear(1, [200, 30, 30]).cast("uchar").bandjoin(ramp)
    png = rgba.copy(interpretation="srgb").pngsave_buffer()
    generated = generate_images(png, thumbnail=THUMBNAIL, preview=PREVIEW)
    assert generated.is_transparent
    thumb = pyvips.Image.new_from_buffer(generated.thumbnail.data, "")
    assert thumb.bands == 4
    assert thumb.extract_band(3).min() < 10
    preview = pyvips.Image.new_from_buffer(generated.preview.data, "")
    assert preview.bands == 3
    assert preview.getpoint(1, 200)[1] > 240  # fully transparent corner -> white
    assert _thumbhash_header(generated.thumbhash)["has_alpha"]
    assert len(generated.thumbhash) == _thumbhash_header(generated.thumbhash)["length"]


# ------------------------------------------------------------------------------------------ camera RAW


def tiny_dng(width: int = 64, height: int = 48, orientation: int = 6) -> bytes:
    """A minimal valid DNG: one uncompressed 16-bit RGGB Bayer IFD with the tags LibRaw needs."""
    yy, xx = np.mgrid[0:height, 0:width]
    red = xx / (width - 1)
    mosaic = np.where(
        (yy % 2 == 0) & (xx % 2 == 0), red, np.where((yy % 2 == 1) & (xx % 2 == 1), 1 - red, 0.5)
    )
    pixels = (mosaic * 4000 + 64).astype("<u2").tobytes()
    fmt = {1: "B", 2: "s", 3: "H", 4: "I", 5: "II", 10: "ii"}
    entries: list[tuple[int, int, int, bytes]] = []

    def tag(number: int, kind: int, values: Any) -> None:
        if kind == 2:
            data = values.encode() + b"\0"
            entries.append((number, kind, len(data), data))
        elif kind in (5, 10):
            data = b"".join(struct.pack("<" + fmt[kind], *v) for v in values)
            entries.append((number, kind, len(values), data))
        else:
            entries.append((number, kind, len(values), struct.pack(f"<{len(values)}{fmt[kind]}", *values)))

    identity = [(1, 1), (0, 1), (0, 1), (0, 1), (1, 1), (0, 1), (0, 1), (0, 1), (1, 1)]
    tag(254, 4, [0])  # NewSubfileType: the main image
    tag(256, 4, [width])
    tag(257, 4, [height])
    tag(258, 3, [16])  # BitsPerSample
    tag(259, 3, [1])  # no compression
    tag(262, 3, [32803])  # PhotometricInterpretation: CFA
    tag(271, 2, "Albumen")
    tag(272, 2, "Test Camera")
    tag(273, 4, [0])  # StripOffsets, patched below
    tag(274, 3, [orientation])
    tag(277, 3, [1])  # SamplesPerPixel
    tag(278, 4, [height])  # RowsPerStrip
    tag(279, 4, [len(pixels)])  # StripByteCounts
    tag(284, 3, [1])  # PlanarConfiguration
    tag(33421, 3, [2, 2])  # CFARepeatPatternDim
    tag(33422, 1, [0, 1, 1, 2])  # CFAPattern: RGGB
    tag(50706, 1, [1, 4, 0, 0])  # DNGVersion
    tag(50708, 2, "Albumen Test Camera")  # UniqueCameraModel
    tag(50717, 4, [4095])  # WhiteLevel
    tag(50721, 10, identity)  # ColorMatrix1
    tag(50728, 5, [(1, 1), (1, 1), (1, 1)])  # AsShotNeutral
    tag(50778, 3, [21])  # CalibrationIlluminant1: D65
    ifd = struct.pack("<H", len(entries))
    data_at = 8 + 2 + 12 * len(entries) + 4
    extra = b""
    strip_entry = 0
    for number, kind, count, data in entries:
        if number == 273:
            strip_entry = len(ifd) + 8
        if len(data) <= 4:
            ifd += struct.pack("<HHI", number, kind, count) + data.ljust(4, b"\0")
        else:
            ifd += struct.pack("<HHII", number, kind, count, data_at + len(extra))
            extra += data + b"\0" * (len(data) % 2)
    ifd += b"\0\0\0\0"
    ifd = ifd[:strip_entry] + struct.pack("<I", data_at + len(extra)) + ifd[strip_entry + 4 :]
    return b"II*\x00" + struct.pack("<I", 8) + ifd + extra + pixels


@pytest.mark.parametrize("as_path", [True, False], ids=["path", "bytes"])
def test_camera_raw_is_decoded_by_rawpy(tmp_path: Path, as_path: bool) -> None:
    dng = tiny_dng(orientation=6)
    source: Path | bytes = dng
    if as_path:
        source = tmp_path / "IMG_0001.DNG"
        source.write_bytes(dng)
    assert decoders.sniff(source) == "raw"
    generated = generate_images(source, thumbnail=THUMBNAIL, preview=PREVIEW, fullsize=FULLSIZE)
    assert generated.decoder == "rawpy"
    assert (generated.width, generated.height) == (48, 64)  # stored 64 x 48, orientation 6
    for encoded in (generated.thumbnail, generated.preview, generated.fullsize):
        assert encoded is not None
        assert (encoded.width, encoded.height) == (48, 64)
        assert pyvips.Image.new_from_buffer(encoded.data, "").height == 64
    assert _is_webp(generated.thumbnail.data)
    assert _is_jpeg(generated.preview.data)
    _check_thumbhash(generated)


def test_camera_raw_half_size_when_the_preview_allows() -> None:
    small_preview = ImageSpec("jpeg", size=16)
    generated = generate_images(
        tiny_dng(orientation=1), thumbnail=ImageSpec("webp", 8), preview=small_preview
    )
    assert (generated.width, generated.height) == (64, 48)  # the original, not the half-size decode
    assert (generated.preview.width, generated.preview.height) == (21, 16)
    assert (generated.thumbnail.width, generated.thumbnail.height) == (11, 8)


def test_a_plain_tiff_is_not_taken_for_raw() -> None:
    tiff = pyvips.Image.new_from_file(str(ASSETS_DIR / "albums/nature/prairie_falcon.jpg")).tiffsave_buffer()
    assert decoders.sniff(tiff) == "vips"
    assert generate_images(tiff, thumbnail=THUMBNAIL, preview=PREVIEW).decoder == "tiffload_buffer"


def test_a_jpeg_named_like_a_raw_file_is_read_as_jpeg(tmp_path: Path) -> None:
    misnamed = tmp_path / "DSC_0001.NEF"
    misnamed.write_bytes((ASSETS_DIR / "albums/nature/prairie_falcon.jpg").read_bytes())
    assert decoders.sniff(misnamed) == "vips"
    assert generate_images(misnamed, thumbnail=THUMBNAIL, preview=PREVIEW).decoder == "jpegload"


# ------------------------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    "data",
    [b"", b"this is not an image at all" * 10, b"\x00" * 4096, b"<html><body>hi</body></html>"],
    ids=["empty", "text", "zeros", "html"],
)
def test_garbage_is_unsupported(data: bytes) -> None:
    with pytest.raises(UnsupportedImage):
        generate_images(data, thumbnail=THUMBNAIL, preview=PREVIEW)


@pytest.mark.parametrize(
    "name",
    [
        "albums/text/craft-beer.jpg",
        "formats/heic/IMG_2682.heic",
        "formats/avif/8bit-sRGB.avif",
        "formats/webp/denali.webp",
        "formats/png/density_plot.png",
        "formats/jxl/8bit-sRGB.jxl",
    ],
)
@pytest.mark.parametrize("as_path", [True, False], ids=["path", "bytes"])
def test_truncated_files_are_corrupt(tmp_path: Path, name: str, as_path: bool) -> None:
    original = (ASSETS_DIR / name).read_bytes()
    truncated = original[: len(original) // 2]
    source: Path | bytes = truncated
    if as_path:
        source = tmp_path / Path(name).name
        source.write_bytes(truncated)
    with pytest.raises(CorruptImage):
        generate_images(source, thumbnail=THUMBNAIL, preview=PREVIEW)


def test_truncated_raw_is_corrupt() -> None:
    dng = tiny_dng()
    with pytest.raises(CorruptImage):
        generate_images(dng[: len(dng) // 3], thumbnail=THUMBNAIL, preview=PREVIEW)


# ------------------------------------------------------------------------------------------ pieces


def test_image_specs_come_from_immich_config() -> None:
    assert ImageSpec("webp", size=250, quality=80, progressive=False) == THUMBNAIL
    assert ImageSpec("jpeg", size=1440, quality=80, progressive=False) == PREVIEW
    assert ImageSpec("jpeg", size=0, quality=80, progressive=False) == FULLSIZE
    with pytest.raises(ValueError, match="format"):
        ImageSpec.from_config({"format": "png", "size": 1, "quality": 1})


def test_configure_bounds_libvips_threads_once_per_process() -> None:
    threads = configure()
    assert threads >= 1
    assert pyvips.vips_lib.vips_concurrency_get() == threads
    assert pyvips.cache_get_max() == 0
    assert configure() == threads  # idempotent


def _gradient(width: int, height: int) -> Any:
    y, x = np.mgrid[0:height, 0:width]
    r, g, b = x * 255 // (width - 1), y * 255 // (height - 1), ((x + y) * 7) % 256
    return np.stack([r, g, b, np.full_like(r, 255)], -1).astype(np.uint8)


@pytest.mark.parametrize(
    ("width", "height", "expected"),
    [
        (100, 75, "df070a3d9a7077877078787787778777808008f877"),
        (60, 100, "e0f709341a800677878777877777708007f878"),
    ],
)
def test_thumbhash_matches_the_reference_encoder(width: int, height: int, expected: str) -> None:
    """Expected values from the reference algorithm (the `thumbhash` PyPI port of Evan Wallace's encoder,
    which the npm package Immich uses also implements). Inputs without exact .5 ties, where JavaScript's
    and Python's rounding differ."""
    assert thumbhash_from_rgba(_gradient(width, height)).hex() == expected


def test_thumbhash_of_a_flat_colour() -> None:
    rgba = np.zeros((32, 64, 4), np.uint8)
    rgba[...] = (255, 0, 0, 255)
    header = _thumbhash_header(thumbhash_from_rgba(rgba))
    assert header["landscape"]
    assert not header["has_alpha"]
    assert np.abs(header["rgb"] - [1, 0, 0]).max() < 0.05
    with pytest.raises(ValueError, match="100x100"):
        thumbhash_from_rgba(np.zeros((101, 10, 4), np.uint8))
