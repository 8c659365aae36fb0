"""Immich's storage template (CONTRACT.md §17): where an original goes once its metadata is known.

`storageTemplate.template` is a Handlebars template in strict mode. Immich's own presets use plain
`{{variable}}` substitutions plus `{{#if album}}…{{else}}…{{/if}}`, so this module understands exactly
that much of Handlebars: variables (also `{{{…}}}`, `{{&…}}` and `~` whitespace control), `#if` /
`#unless` / `else` / `else if`, and comments. Anything else (other helpers, partials, paths) is refused
when the template is saved, naming what is wrong. PyPI's Handlebars port (pybars3) was last released in
2019, has no strict mode and no types, so it is not used.

Two deliberate departures from Immich, both about the bytes of the result, not which variables exist:
- values are not HTML-escaped (Handlebars escapes `&` to `&amp;` in a folder name; a bug, not a format);
- every value from metadata (filename, album, make, model, lensModel) and every rendered segment is
  sanitised (storage/names.py, Immich's sanitiser) into one path segment, so a camera model with a `/`
  cannot create folders or climb out of the library.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from albumen.storage.names import MAX_NAME_BYTES, sanitize_filename, sanitize_storage_label

LIBRARY_FOLDER = "library"
DEFAULT_TEMPLATE = "{{y}}/{{y}}-{{MM}}-{{dd}}/{{filename}}"

# The token groups of GET /system-config/storage-template-options, in Immich's order.
TOKEN_OPTIONS: dict[str, tuple[str, ...]] = {
    "secondOptions": ("s", "ss", "SSS"),
    "minuteOptions": ("m", "mm"),
    "dayOptions": ("d", "dd"),
    "weekOptions": ("W", "WW"),
    "hourOptions": ("h", "hh", "H", "HH"),
    "yearOptions": ("y", "yy"),
    "monthOptions": ("M", "MM", "MMM", "MMMM"),
}
DATE_TOKENS: tuple[str, ...] = tuple(token for group in TOKEN_OPTIONS.values() for token in group)

PRESETS: tuple[str, ...] = (
    "{{y}}/{{y}}-{{MM}}-{{dd}}/{{filename}}",
    "{{y}}/{{MM}}-{{dd}}/{{filename}}",
    "{{y}}/{{MMMM}}-{{dd}}/{{filename}}",
    "{{y}}/{{MM}}/{{filename}}",
    "{{y}}/{{#if album}}{{album}}{{else}}Other/{{MM}}{{/if}}/{{filename}}",
    "{{#if album}}{{album-startDate-y}}/{{album}}{{else}}{{y}}/Other/{{MM}}{{/if}}/{{filename}}",
    "{{y}}/{{MMM}}/{{filename}}",
    "{{y}}/{{MMMM}}/{{filename}}",
    "{{y}}/{{MM}}/{{dd}}/{{filename}}",
    "{{y}}/{{MMMM}}/{{dd}}/{{filename}}",
    "{{y}}/{{y}}-{{MM}}/{{y}}-{{MM}}-{{dd}}/{{filename}}",
    "{{y}}-{{MM}}-{{dd}}/{{filename}}",
    "{{y}}-{{MMM}}-{{dd}}/{{filename}}",
    "{{y}}-{{MMMM}}-{{dd}}/{{filename}}",
    "{{y}}/{{y}}-{{MM}}/{{filename}}",
    "{{y}}/{{y}}-{{WW}}/{{filename}}",
    "{{y}}/{{y}}-{{MM}}-{{dd}}/{{assetId}}",
    "{{y}}/{{y}}-{{MM}}/{{assetId}}",
    "{{y}}/{{y}}-{{WW}}/{{assetId}}",
    "{{album}}/{{filename}}",
    "{{make}}/{{model}}/{{lensModel}}/{{filename}}",
)

_ALBUM_DATE_PREFIXES = ("album-startDate-", "album-endDate-")
VARIABLES: frozenset[str] = frozenset(
    (
        "filename",
        "ext",
        "filetype",
        "filetypefull",
        "assetId",
        "assetIdShort",
        "album",
        "make",
        "model",
        "lensModel",
        *DATE_TOKENS,
        *(prefix + token for prefix in _ALBUM_DATE_PREFIXES for token in DATE_TOKENS),
    )
)

# Immich's renames, so one format has one extension in the library.
_EXTENSIONS = {
    "jpeg": "jpg",
    "jpe": "jpg",
    "tif": "tiff",
    "3gpp": "3gp",
    "mpeg": "mpg",
    "mpe": "mpg",
    "m2ts": "mts",
    "m2t": "mts",
}

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_SUFFIX_ROOM = 8  # bytes kept free in the file name for a collision suffix such as "+1234"


class TemplateError(ValueError):
    """The template cannot be compiled, or cannot be rendered for this asset."""


class PathEscapesRoot(TemplateError):
    pass


def normalize_extension(extension: str) -> str:
    """`JPEG` → `jpg`, `m2ts` → `mts`, …; lower case, no dot."""
    lowered = extension.lstrip(".").lower()
    return _EXTENSIONS.get(lowered, lowered)


def _split_extension(name: str) -> tuple[str, str]:
    """Like Node's path.extname: a leading dot does not start an extension (`.bashrc` has none)."""
    dot = name.rfind(".")
    if dot <= 0:
        return name, ""
    return name[:dot], name[dot + 1 :]


# --- the asset ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TemplateAsset:
    """What the template may show of an asset.

    `file_created_at` and the album dates are formatted by their own wall-clock fields (no time-zone
    conversion): pass the asset's local date-time. For the motion part of a live photo, Immich renders
    with the still's id, type, date, album and camera, the motion part's `extension`, and the still's
    file name with the motion part's extension as `original_file_name`.
    """

    asset_id: uuid.UUID | str
    original_file_name: str
    extension: str  # of the stored original, e.g. the upload key's; no dot
    file_created_at: datetime
    is_image: bool = True
    make: str | None = None
    model: str | None = None
    lens_model: str | None = None
    album_name: str | None = None  # the first album the asset is in
    album_start_date: datetime | None = None
    album_end_date: datetime | None = None


def _format_date(moment: datetime, token: str) -> str:
    """Luxon's `toFormat` for the tokens the storage template offers (English month names)."""
    match token:
        case "y":
            return str(moment.year)
        case "yy":
            return f"{moment.year % 100:02d}"
        case "M" | "MM":
            return f"{moment.month:0{len(token)}d}"
        case "MMM":
            return _MONTHS[moment.month - 1][:3]
        case "MMMM":
            return _MONTHS[moment.month - 1]
        case "W" | "WW":  # ISO week, even where the ISO year differs from `y` (as in Immich)
            return f"{moment.isocalendar().week:0{len(token)}d}"
        case "d" | "dd":
            return f"{moment.day:0{len(token)}d}"
        case "h" | "hh":
            return f"{moment.hour % 12 or 12:0{len(token)}d}"
        case "H" | "HH":
            return f"{moment.hour:0{len(token)}d}"
        case "m" | "mm":
            return f"{moment.minute:0{len(token)}d}"
        case "s" | "ss":
            return f"{moment.second:0{len(token)}d}"
        case "SSS":
            return f"{moment.microsecond // 1000:03d}"
    raise AssertionError(f"unknown date token {token}")  # pragma: no cover - DATE_TOKENS is closed


def template_variables(asset: TemplateAsset) -> dict[str, str]:
    """The values a template sees. The album date variables exist only when the asset is in an album,
    so (as in Immich's strict mode) using one outside `{{#if album}}` fails for an asset without one."""
    asset_id = str(asset.asset_id)
    stem = _split_extension(asset.original_file_name)[0] or asset_id
    album = sanitize_filename(re.sub(r"\.+", "", asset.album_name)) if asset.album_name else ""
    values = {
        "filename": sanitize_filename(stem),
        "ext": normalize_extension(asset.extension),
        "filetype": "IMG" if asset.is_image else "VID",
        "filetypefull": "IMAGE" if asset.is_image else "VIDEO",
        "assetId": asset_id,
        "assetIdShort": asset_id[-12:],
        "album": album,
        "make": sanitize_filename(asset.make or ""),
        "model": sanitize_filename(asset.model or ""),
        "lensModel": sanitize_filename(asset.lens_model or ""),
    }
    for token in DATE_TOKENS:
        values[token] = _format_date(asset.file_created_at, token)
    if asset.album_name:
        for prefix, moment in zip(
            _ALBUM_DATE_PREFIXES, (asset.album_start_date, asset.album_end_date), strict=True
        ):
            for token in DATE_TOKENS:
                values[prefix + token] = _format_date(moment, token) if moment else ""
    return values


# --- compiling ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Variable:
    name: str


@dataclass(frozen=True, slots=True)
class _Condition:
    name: str
    negate: bool  # {{#unless}}
    then: tuple[_Node, ...]
    otherwise: tuple[_Node, ...]


_Node = str | _Variable | _Condition


@dataclass(slots=True)
class _Open:
    """A block being parsed; `chained` marks the `{{else if}}` blocks that share their parent's close."""

    helper: str
    name: str
    chained: bool
    then: list[_Node] = field(default_factory=list)
    otherwise: list[_Node] | None = None

    def current(self) -> list[_Node]:
        return self.then if self.otherwise is None else self.otherwise

    def node(self) -> _Condition:
        return _Condition(self.name, self.helper == "unless", tuple(self.then), tuple(self.otherwise or ()))


_TAG = re.compile(r"\{\{(~?)(\{?)(!--.*?--|.*?)(\}?)(~?)\}\}", re.DOTALL)
_NAME = re.compile(r"[A-Za-z0-9_-]+")


def _check_name(name: str, template: str) -> str:
    if name not in VARIABLES:
        if not _NAME.fullmatch(name):
            raise TemplateError(f"unsupported expression {{{{{name}}}}} in storage template {template!r}")
        raise TemplateError(f"unknown variable {name!r} in storage template {template!r}")
    return name


def _tokens(template: str) -> list[tuple[str, str]]:
    """("text", …) and ("tag", content) pairs, with `~` whitespace control applied."""
    tokens: list[tuple[str, str]] = []
    position, strip_next = 0, False
    for match in _TAG.finditer(template):
        text = template[position : match.start()]
        if strip_next:
            text = text.lstrip()
        if match.group(1):
            text = text.rstrip()
        tokens.append(("text", text))
        if bool(match.group(2)) != bool(match.group(4)):
            raise TemplateError(f"unbalanced braces in {match.group(0)!r}")
        content = match.group(3).strip()
        if not content.startswith("!") and ("{" in content or "}" in content):
            raise TemplateError(f"malformed tag {match.group(0)!r} in storage template {template!r}")
        tokens.append(("tag", content))
        position, strip_next = match.end(), bool(match.group(5))
    text = template[position:]
    tokens.append(("text", text.lstrip() if strip_next else text))
    for kind, value in tokens:
        if kind == "text" and "{{" in value:
            raise TemplateError(f"unclosed '{{{{' in storage template {template!r}")
    return tokens


def _parse(template: str) -> tuple[_Node, ...]:
    root: list[_Node] = []
    stack: list[_Open] = []

    def output() -> list[_Node]:
        return stack[-1].current() if stack else root

    def block_name(words: list[str], tag: str) -> str:
        if len(words) != 2:
            raise TemplateError(f"{{{{{tag}}}}} takes exactly one variable")
        return _check_name(words[1], template)

    for kind, value in _tokens(template):
        if kind == "text":
            if value:
                output().append(value)
            continue
        words = value.split()
        if value.startswith("!"):
            continue  # a comment
        if value.startswith("#"):
            words = value[1:].split() or [""]
            if words[0] not in ("if", "unless"):
                raise TemplateError(f"unsupported block {{{{#{words[0]}}}}}: only #if and #unless are known")
            stack.append(_Open(words[0], block_name(words, value), chained=False))
        elif value in ("else", "^") or (words and words[0] == "else"):
            if not stack or stack[-1].otherwise is not None:
                raise TemplateError(f"{{{{{value}}}}} outside an open {{{{#if}}}} block")
            stack[-1].otherwise = []
            if len(words) > 1:  # {{else if x}}: a block nested in the else, closed by the parent's close
                if words[1] not in ("if", "unless"):
                    raise TemplateError(f"unsupported {{{{{value}}}}}")
                stack.append(_Open(words[1], block_name(words[1:], value), chained=True))
        elif value.startswith("/"):
            helper = value[1:].strip()
            while stack and stack[-1].chained:
                chained = stack.pop()
                stack[-1].current().append(chained.node())
            if not stack or stack[-1].helper != helper:
                raise TemplateError(f"{{{{{value}}}}} does not close an open block")
            block = stack.pop()
            output().append(block.node())
        else:
            name = value[1:].strip() if value.startswith("&") else value
            output().append(_Variable(_check_name(name, template)))
    if stack:
        raise TemplateError(f"{{{{#{stack[-1].helper} {stack[-1].name}}}}} is never closed")
    return tuple(root)


def _names(nodes: tuple[_Node, ...]) -> set[str]:
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, _Variable):
            found.add(node.name)
        elif isinstance(node, _Condition):
            found |= {node.name} | _names(node.then) | _names(node.otherwise)
    return found


@dataclass(frozen=True, slots=True)
class StorageTemplate:
    source: str
    nodes: tuple[_Node, ...]

    @property
    def needs_album(self) -> bool:
        """Whether rendering needs the asset's first album (so the caller can skip that query)."""
        return any(name.startswith("album") for name in _names(self.nodes))

    @property
    def needs_album_dates(self) -> bool:
        return any(name.startswith(_ALBUM_DATE_PREFIXES) for name in _names(self.nodes))

    def substitute(self, values: Mapping[str, str]) -> str:
        """The raw text, before it becomes a path."""
        parts: list[str] = []

        def walk(nodes: tuple[_Node, ...]) -> None:
            for node in nodes:
                if isinstance(node, str):
                    parts.append(node)
                elif isinstance(node, _Variable):
                    if node.name not in values:
                        raise TemplateError(f"{{{{{node.name}}}}} has no value for this asset")
                    parts.append(values[node.name])
                else:
                    walk(node.then if bool(values.get(node.name)) != node.negate else node.otherwise)

        walk(self.nodes)
        return "".join(parts)

    def render(self, asset: TemplateAsset) -> str:
        """The relative path (no extension) under the owner's library folder; every segment sanitised.

        Raises PathEscapesRoot when `..` would climb out of it and TemplateError when nothing is left.
        """
        segments: list[str] = []
        for segment in self.substitute(template_variables(asset)).split("/"):
            if segment in ("", "."):
                continue  # as Node's path.join: repeated and leading slashes collapse
            if segment == "..":
                if not segments:
                    raise PathEscapesRoot(f"storage template {self.source!r} climbs out of the library")
                segments.pop()
                continue
            if cleaned := sanitize_filename(segment):  # `:` alone is nothing once illegal characters go
                segments.append(cleaned)
        if not segments:
            raise TemplateError(f"storage template {self.source!r} renders to an empty path")
        extension = normalize_extension(asset.extension)
        room = MAX_NAME_BYTES - len(extension.encode()) - 1 - _SUFFIX_ROOM
        segments[-1] = sanitize_filename(segments[-1], max_bytes=room)
        return "/".join(segments)


def compile_template(template: str) -> StorageTemplate:
    """Parses once; raises TemplateError (a ValueError) naming an unknown variable or bad syntax."""
    return StorageTemplate(template, _parse(template))


def library_root(owner_id: uuid.UUID | str, storage_label: str | None) -> str:
    """`library/<storageLabel or userId>`; the label is cleaned as Immich cleans it on save."""
    return f"{LIBRARY_FOLDER}/{sanitize_storage_label(storage_label) or owner_id}"


def library_key(
    template: StorageTemplate, asset: TemplateAsset, *, owner_id: uuid.UUID | str, storage_label: str | None
) -> str:
    """The storage key (in the originals location) the template puts this asset at, before collisions:
    `library/<label>/<rendered>.<ext>`."""
    extension = normalize_extension(asset.extension)
    return f"{library_root(owner_id, storage_label)}/{template.render(asset)}.{extension}"


def _key_stem(key: str) -> tuple[str, str]:
    """`a/b/IMG.jpg` → (`a/b/IMG`, `.jpg`); only the last segment can hold the extension."""
    folder, slash, name = key.rpartition("/")
    stem, extension = _split_extension(name)
    return folder + slash + stem, f".{extension}" if extension else ""


async def resolve_collision(
    key: str, exists: Callable[[str], Awaitable[bool]], *, current_key: str | None = None
) -> str:
    """The first of `key`, `…+1.ext`, `…+2.ext`, … that `exists` says is free.

    `current_key` is where the asset is now: if that already is `key` or one of its `+N` variants, the
    asset stays put (a second run of the migration must not rename `IMG+1.jpg` to `IMG+2.jpg`).
    """
    stem, extension = _key_stem(key)
    if current_key is not None:
        if current_key == key:
            return key
        if re.fullmatch(re.escape(stem) + r"\+[0-9]+" + re.escape(extension), current_key):
            return current_key
    candidate, count = key, 0
    while await exists(candidate):
        count += 1
        candidate = f"{stem}+{count}{extension}"
    return candidate


def validate_template(template: str) -> None:
    """What a system-config update runs before saving: compile, then render for a sample asset in an
    album (as Immich does), so a bad variable, bad syntax or a path out of the library is refused with a
    ValueError that says which."""
    compiled = compile_template(template)
    now = datetime.now()
    sample = TemplateAsset(
        asset_id="d587e44b-f8c0-4832-9ba3-43268bbf5d4e",
        original_file_name="IMG_123.jpg",
        extension="jpg",
        file_created_at=now,
        make="FUJIFILM",
        model="X-T50",
        lens_model="XF27mm F2.8 R WR",
        album_name="album",
        album_start_date=now,
        album_end_date=now,
    )
    compiled.render(sample)


def storage_template_options() -> dict[str, list[str]]:
    """The body of GET /system-config/storage-template-options."""
    options = {name: list(tokens) for name, tokens in TOKEN_OPTIONS.items()}
    options["presetOptions"] = list(PRESETS)
    return options
