"""The storage template: Immich's variables, presets and path rules (CONTRACT.md §17).

Expected date strings and sanitised names were produced by Luxon 3 and sanitize-filename 1.6 (the npm
packages Immich uses), so these cases pin Immich's output, not ours.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import pytest

from albumen.storage.template import (
    DEFAULT_TEMPLATE,
    PRESETS,
    VARIABLES,
    PathEscapesRoot,
    TemplateAsset,
    TemplateError,
    compile_template,
    library_key,
    library_root,
    normalize_extension,
    resolve_collision,
    storage_template_options,
    template_variables,
    validate_template,
)

ASSET_ID = "d587e44b-f8c0-4832-9ba3-43268bbf5d4e"
OWNER = uuid.UUID("0f3b6c1e-6c3a-4a57-9a59-2b8f3f1d2c4e")
TAKEN = datetime(2024, 3, 5, 14, 7, 9, 123000)


BASE = TemplateAsset(
    asset_id=ASSET_ID, original_file_name="IMG_0001.HEIC", extension="heic", file_created_at=TAKEN
)


def asset(**changes: Any) -> TemplateAsset:
    return dataclasses.replace(BASE, **changes)


def render(template: str, **changes: Any) -> str:
    return compile_template(template).render(asset(**changes))


# --- variables ----------------------------------------------------------------------------------


def test_file_variables() -> None:
    template = "{{filename}}-{{ext}}-{{filetype}}-{{filetypefull}}"
    assert render(template) == "IMG_0001-heic-IMG-IMAGE"
    assert render(template, extension="MOV", original_file_name="clip.MOV", is_image=False) == (
        "clip-mov-VID-VIDEO"
    )


def test_filename_is_the_original_name_without_its_last_extension() -> None:
    assert render("{{filename}}", original_file_name="archive.tar.gz") == "archive.tar"
    assert render("{{filename}}", original_file_name=".hidden") == ".hidden"  # no extension, as Node's
    assert render("{{filename}}", original_file_name="") == ASSET_ID  # Immich falls back to the id


def test_asset_id_variables() -> None:
    assert render("{{assetId}}/{{assetIdShort}}") == f"{ASSET_ID}/{ASSET_ID[-12:]}"
    assert render("{{assetIdShort}}", asset_id=uuid.UUID(ASSET_ID)) == "43268bbf5d4e"


def test_album_is_sanitised_without_dots_and_empty_when_none() -> None:
    assert render("{{album}}/{{filename}}", album_name="Trip. to Rome...") == "Trip to Rome/IMG_0001"
    assert render("{{album}}/{{filename}}", album_name="a/b:c") == "abc/IMG_0001"
    assert render("{{album}}/{{filename}}") == "IMG_0001"  # "" and the slash collapses, as in Immich
    assert template_variables(asset(album_name="..."))["album"] == ""


def test_camera_variables() -> None:
    template = "{{make}}/{{model}}/{{lensModel}}/{{filename}}"
    camera = {"make": "FUJIFILM", "model": "X-T50", "lens_model": "XF27mm F2.8 R WR"}
    assert render(template, **camera) == "FUJIFILM/X-T50/XF27mm F2.8 R WR/IMG_0001"
    assert render(template) == "IMG_0001"  # all missing
    # A value is one segment: a slash in a model name does not make a folder.
    assert render(template, make="Canon", model="EOS 5D/II", lens_model="..") == "Canon/EOS 5DII/IMG_0001"


# (date, {token: Luxon's toFormat(token)})
LUXON_CASES = [
    (
        datetime(2024, 3, 5, 14, 7, 9, 123000),
        {"y": "2024", "yy": "24", "M": "3", "MM": "03", "MMM": "Mar", "MMMM": "March", "W": "10",
         "WW": "10", "d": "5", "dd": "05", "h": "2", "hh": "02", "H": "14", "HH": "14", "m": "7",
         "mm": "07", "s": "9", "ss": "09", "SSS": "123"},
    ),
    (
        datetime(2021, 1, 1, 0, 0, 0),
        {"y": "2021", "yy": "21", "M": "1", "MM": "01", "MMM": "Jan", "MMMM": "January", "W": "53",
         "WW": "53", "d": "1", "dd": "01", "h": "12", "hh": "12", "H": "0", "HH": "00", "m": "0",
         "mm": "00", "s": "0", "ss": "00", "SSS": "000"},
    ),
    (
        datetime(2005, 9, 15, 12, 30, 5, 7000),
        {"y": "2005", "yy": "05", "MMM": "Sep", "MMMM": "September", "W": "37", "h": "12", "hh": "12",
         "SSS": "007"},
    ),
    (datetime(987, 6, 1, 1, 2, 3, 4000), {"y": "987", "yy": "87", "W": "22", "h": "1", "SSS": "004"}),
]  # fmt: skip


@pytest.mark.parametrize(("moment", "expected"), LUXON_CASES)
def test_date_tokens_match_luxon(moment: datetime, expected: dict[str, str]) -> None:
    values = template_variables(asset(file_created_at=moment))
    assert {token: values[token] for token in expected} == expected


def test_dates_use_the_wall_clock_they_are_given() -> None:
    # No conversion: the caller passes the asset's local time.
    from datetime import timedelta, timezone

    local = datetime(2024, 12, 31, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert render("{{y}}-{{MM}}-{{dd}} {{HH}}", file_created_at=local) == "2024-12-31 23"


def test_album_date_variables() -> None:
    template = "{{album-startDate-y}}/{{album-startDate-MMMM}}/{{album-endDate-dd}}/{{filename}}"
    rendered = render(
        template,
        album_name="Summer",
        album_start_date=datetime(2023, 7, 1),
        album_end_date=datetime(2023, 8, 31),
    )
    assert rendered == "2023/July/31/IMG_0001"
    # In an album without dates they are empty.
    assert render(template, album_name="Summer") == "IMG_0001"


def test_album_dates_outside_an_if_fail_for_an_asset_without_album() -> None:
    # Immich's strict mode: the variable is undefined, rendering fails, the asset stays where it is.
    with pytest.raises(TemplateError, match="album-startDate-y"):
        render("{{album-startDate-y}}/{{filename}}")
    assert render("{{#if album}}{{album-startDate-y}}{{else}}none{{/if}}") == "none"


def test_every_advertised_variable_renders() -> None:
    values = template_variables(
        asset(
            album_name="A", album_start_date=TAKEN, album_end_date=TAKEN, make="m", model="m", lens_model="l"
        )
    )
    assert set(values) == VARIABLES
    assert all(values[name] for name in VARIABLES)


# --- Handlebars subset --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "album", "expected"),
    [
        ("{{#if album}}{{album}}{{else}}Other{{/if}}/{{filename}}", "Rome", "Rome/IMG_0001"),
        ("{{#if album}}{{album}}{{else}}Other{{/if}}/{{filename}}", None, "Other/IMG_0001"),
        ("{{#unless album}}loose/{{/unless}}{{filename}}", None, "loose/IMG_0001"),
        ("{{#unless album}}loose/{{/unless}}{{filename}}", "Rome", "IMG_0001"),
        ("{{#if album}}a{{else if make}}{{make}}{{else}}z{{/if}}", None, "z"),
        ("{{#if album}}{{#if make}}{{make}}{{/if}}{{album}}{{/if}}", "Rome", "Rome"),
        ("{{~ y ~}} / {{{filename}}}", None, "2024/ IMG_0001"),  # whitespace control, triple-stash
        ("{{! a comment }}{{y}}{{!-- with }} inside --}}/{{& filename}}", None, "2024/IMG_0001"),
        ("{{ y }}/{{filename}}", None, "2024/IMG_0001"),
    ],
)
def test_handlebars_subset(template: str, album: str | None, expected: str) -> None:
    assert render(template, album_name=album) == expected


def test_values_are_not_html_escaped() -> None:
    assert render("{{album}}", album_name="Tom & Jerry's") == "Tom & Jerry's"


def test_needs_album_flags() -> None:
    assert not compile_template(DEFAULT_TEMPLATE).needs_album
    plain = compile_template("{{album}}/{{filename}}")
    assert plain.needs_album
    assert not plain.needs_album_dates
    dated = compile_template("{{#if album}}{{album-endDate-y}}{{/if}}")
    assert dated.needs_album
    assert dated.needs_album_dates


# --- presets ------------------------------------------------------------------------------------


def test_presets_are_immichs() -> None:
    assert len(PRESETS) == 21
    assert len(set(PRESETS)) == 21
    assert PRESETS[0] == DEFAULT_TEMPLATE
    assert "{{album}}/{{filename}}" in PRESETS
    options = storage_template_options()
    assert options["presetOptions"] == list(PRESETS)
    assert options["monthOptions"] == ["M", "MM", "MMM", "MMMM"]
    assert set(options) == {
        "secondOptions",
        "minuteOptions",
        "dayOptions",
        "weekOptions",
        "hourOptions",
        "yearOptions",
        "monthOptions",
        "presetOptions",
    }


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("in_album", [True, False])
def test_every_preset_renders(preset: str, in_album: bool) -> None:
    validate_template(preset)
    album = {"album_name": "Rome", "album_start_date": datetime(2023, 7, 1)} if in_album else {}
    key = library_key(compile_template(preset), asset(**album), owner_id=OWNER, storage_label="admin")
    assert key.startswith("library/admin/")
    assert key.endswith(".heic")
    assert ".." not in key.split("/")
    assert "//" not in key


def test_known_preset_results() -> None:
    def key(template: str, **changes: Any) -> str:
        return library_key(compile_template(template), asset(**changes), owner_id=OWNER, storage_label=None)

    assert key(DEFAULT_TEMPLATE) == f"library/{OWNER}/2024/2024-03-05/IMG_0001.heic"
    assert key(PRESETS[4]) == f"library/{OWNER}/2024/Other/03/IMG_0001.heic"
    assert key(PRESETS[5], album_name="Rome", album_start_date=datetime(2019, 5, 2)) == (
        f"library/{OWNER}/2019/Rome/IMG_0001.heic"
    )
    assert key(PRESETS[15]) == f"library/{OWNER}/2024/2024-10/IMG_0001.heic"
    assert key(PRESETS[16]) == f"library/{OWNER}/2024/2024-03-05/{ASSET_ID}.heic"


# --- extensions, labels, sanitising -------------------------------------------------------------


@pytest.mark.parametrize(
    ("extension", "expected"),
    [
        ("jpeg", "jpg"),
        ("JPEG", "jpg"),
        ("jpe", "jpg"),
        ("jpg", "jpg"),
        (".Jpeg", "jpg"),
        ("mpeg", "mpg"),
        ("mpe", "mpg"),
        ("m2ts", "mts"),
        ("M2T", "mts"),
        ("tif", "tiff"),
        ("3gpp", "3gp"),
        ("HEIC", "heic"),
        ("mp4", "mp4"),
    ],
)
def test_extension_normalisation(extension: str, expected: str) -> None:
    assert normalize_extension(extension) == expected
    key = library_key(
        compile_template("{{filename}}.{{ext}}"),
        asset(extension=extension),
        owner_id=OWNER,
        storage_label="x",
    )
    assert key == f"library/x/IMG_0001.{expected}.{expected}"


def test_library_root() -> None:
    assert library_root(OWNER, "admin") == "library/admin"
    assert library_root(OWNER, None) == f"library/{OWNER}"
    assert library_root(OWNER, "") == f"library/{OWNER}"
    assert library_root(OWNER, "..") == f"library/{OWNER}"  # dots go, as when Immich saves a label
    assert library_root(OWNER, "a/b") == "library/ab"


def test_rendered_segments_are_sanitised() -> None:
    # Illegal characters are removed, as Immich's sanitize-filename does: `a:b` → `ab`.
    assert render("{{y}}:{{MM}}/<{{filename}}>") == "202403/IMG_0001"
    assert render("/{{y}}//./{{filename}}") == "2024/IMG_0001"  # leading, repeated, "." segments
    assert render("{{y}}\\..\\{{filename}}") == "2024..IMG_0001"  # a backslash is no separator
    assert render("{{y}}/nul/:/{{filename}}") == "2024/IMG_0001"  # segments sanitised to nothing go
    assert render("{{y}}/a\x00b/{{filename}}") == "2024/ab/IMG_0001"


def test_long_names_leave_room_for_the_extension_and_a_suffix() -> None:
    key = library_key(
        compile_template("{{filename}}"), asset(original_file_name="x" * 400 + ".jpg"), owner_id=OWNER,
        storage_label="a",
    )  # fmt: skip
    name = key.rsplit("/", 1)[1]
    assert name.endswith(".heic")
    assert len((name.removesuffix(".heic") + "+1234567.heic").encode()) <= 255


@pytest.mark.parametrize(
    "template",
    ["../{{filename}}", "{{y}}/../../{{filename}}", "..", "{{#if album}}x{{else}}../..{{/if}}/{{filename}}"],
)
def test_traversal_is_rejected(template: str) -> None:
    with pytest.raises(PathEscapesRoot, match="climbs out"):
        render(template)
    with pytest.raises(ValueError, match="climbs out"):
        validate_template(template.replace("{{#if album}}", "{{#unless album}}").replace("/if", "/unless"))


def test_dot_dot_inside_the_library_is_resolved() -> None:
    assert render("{{y}}/tmp/../{{filename}}") == "2024/IMG_0001"


def test_variables_cannot_traverse() -> None:
    rendered = render(
        "{{album}}/{{make}}/{{filename}}", album_name="..", make="a/../b", original_file_name="../etc.jpg"
    )
    assert rendered == "a..b/..etc"  # album "" (dots removed); make and filename one segment each


def test_an_empty_result_is_an_error() -> None:
    with pytest.raises(TemplateError, match="empty path"):
        render("{{album}}")
    with pytest.raises(TemplateError, match="empty path"):
        render("/./")


# --- collisions ---------------------------------------------------------------------------------


def taken(*keys: str) -> Callable[[str], Awaitable[bool]]:
    existing = set(keys)

    async def exists(key: str) -> bool:
        return key in existing

    return exists


async def test_collision_free_key_is_kept() -> None:
    assert await resolve_collision("library/a/IMG.jpg", taken()) == "library/a/IMG.jpg"


async def test_collisions_get_plus_suffixes_before_the_extension() -> None:
    exists = taken("library/a/IMG.jpg", "library/a/IMG+1.jpg", "library/a/IMG+2.jpg")
    assert await resolve_collision("library/a/IMG.jpg", exists) == "library/a/IMG+3.jpg"


async def test_collision_suffix_without_extension_and_dotted_folders() -> None:
    exists = taken("library/v1.2/IMG", "library/v1.2/IMG+1")
    assert await resolve_collision("library/v1.2/IMG", exists) == "library/v1.2/IMG+2"


async def test_an_asset_already_at_its_place_stays() -> None:
    exists = taken("library/a/IMG.jpg", "library/a/IMG+1.jpg", "library/a/IMG+7.jpg")
    for current in ("library/a/IMG.jpg", "library/a/IMG+7.jpg"):
        assert await resolve_collision("library/a/IMG.jpg", exists, current_key=current) == current
    # Not a variant of the wanted key: it moves to the first free name.
    moved = await resolve_collision("library/a/IMG.jpg", exists, current_key="upload/u/ab/cd/IMG+7.jpg")
    assert moved == "library/a/IMG+2.jpg"
    other = await resolve_collision("library/a/IMG.jpg", exists, current_key="library/a/IMG+x.jpg")
    assert other == "library/a/IMG+2.jpg"


# --- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{y}}/{{fielname}}", "unknown variable 'fielname'"),
        ("{{#if albun}}x{{/if}}/{{filename}}", "unknown variable 'albun'"),
        ("{{album-startDate-q}}", "unknown variable 'album-startDate-q'"),
        ("{{YYYY}}/{{filename}}", "unknown variable 'YYYY'"),
        ("{{y}/{{filename}}", "malformed tag"),
        ("{{y}}/{{filename}", "unclosed"),
        ("{{{y}}/{{filename}}", "unbalanced"),
        ("{{#each album}}x{{/each}}", "unsupported block"),
        ("{{#if album}}x", "never closed"),
        ("{{#if album}}x{{/unless}}", "does not close"),
        ("x{{/if}}", "does not close"),
        ("{{else}}", "outside"),
        ("{{#if album}}a{{else}}b{{else}}c{{/if}}", "outside"),
        ("{{#if}}x{{/if}}", "exactly one variable"),
        ("{{lookup album 0}}", "unsupported expression"),
        ("{{> partial}}", "unsupported expression"),
        ("{{this.y}}", "unsupported expression"),
        ("{{y}}/../../{{filename}}", "climbs out"),
        ("", "empty path"),
    ],
)
def test_validate_template_names_the_problem(template: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_template(template)


@pytest.mark.parametrize(
    "template",
    [
        "{{album-startDate-y}}/{{filename}}",  # accepted on save as Immich does (sample has an album)
        "{{filetype}}/{{y}}/{{assetIdShort}}-{{filename}}",
        "{{y}}{{MM}}{{dd}}_{{HH}}{{mm}}{{ss}}{{SSS}}",
        "{{#if make}}{{make}}{{else}}Unknown{{/if}}/{{filename}}",
    ],
)
def test_validate_template_accepts(template: str) -> None:
    validate_template(template)
