"""exiftool's values as Immich's columns take them: numbers, text, devices, lenses, sizes."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1


def milliseconds(value: datetime) -> datetime:
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def int_or_none(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return int(value)


def validated(value: Any) -> float | None:
    """Immich's ``validate``: the first of a list; text or out-of-range numbers give nothing."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or not _INT_MIN <= value <= _INT_MAX:
        return None
    return float(value)


def validated_int(value: Any) -> int | None:
    number = validated(value)
    return None if number is None else math.floor(number + 0.5)


def js_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ",".join(js_str(item) for item in value)
    return str(value)


def leading_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        match = re.match(r"^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", value)
        return float(match[0]) if match else None
    return None


def first_present(values: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if values.get(name) is not None:
            return values[name]
    return None


def struct_field(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, dict) else None


def device_of(values: Mapping[str, Any], tag: str, device_field: str, android: str, plain: str) -> Any:
    """Immich's ``Make ?? Device.Manufacturer ?? AndroidMake ?? (DeviceManufacturer || null)``."""
    for candidate in (
        values.get(tag),
        struct_field(values.get("Device"), device_field),
        values.get(android),
    ):
        if candidate is not None:
            return candidate
    return values.get(plain) or None


def optional_text(value: Any) -> str | None:
    return None if value is None else js_str(value)


def lens_model_of(values: Mapping[str, Any]) -> str | None:
    lens = js_str(first_present(values, "LensID", "LensType", "LensSpec", "LensModel") or "").strip()
    if lens == "----" or lens.startswith("Unknown"):
        return None
    return lens or None


def dimensions_of(values: Mapping[str, Any]) -> tuple[float | None, float | None]:
    size = values.get("ImageSize")
    width = height = None
    if size is not None:
        parts = [leading_number(part) for part in js_str(size).split("x")]
        if len(parts) >= 2:
            width, height = (int(p) if p else None for p in parts[:2])
    if not width or not height:
        return validated(values.get("ImageWidth")), validated(values.get("ImageHeight"))
    return validated(width), validated(height)


def bits_per_sample_of(values: Mapping[str, Any]) -> int | None:
    for name in ("BitsPerSample", "ComponentBitDepth", "ImagePixelDepth", "BitDepth", "ColorBitDepth"):
        value = values.get(name)
        if isinstance(value, str):
            match = re.match(r"^\s*[+-]?\d+", value)
            value = int(match[0]) if match else None
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            bits = int(value)
            return bits // 3 if bits >= 24 and bits % 3 == 0 else bits
    return None


def tag_names(values: Mapping[str, Any]) -> tuple[str, ...]:
    def as_list(value: Any) -> list[Any]:
        return value if isinstance(value, list) else [value]

    if values.get("TagsList") is not None:
        names = [js_str(tag) for tag in as_list(values["TagsList"])]
    elif values.get("HierarchicalSubject") is not None:
        names = [
            js_str(tag)
            if not isinstance(tag, str)
            else "/".join(part.replace("/", "|") for part in tag.split("|"))
            for tag in as_list(values["HierarchicalSubject"])
        ]
    elif values.get("Keywords") is not None:
        names = [js_str(tag) for tag in as_list(values["Keywords"])]
    else:
        names = []
    return tuple(dict.fromkeys(name for name in names if name.strip()))


def duration_ms_of(value: Any) -> int | None:
    seconds = leading_number(value)
    return None if seconds is None else math.floor(seconds * 1000 + 0.5)


_BINARY_RE = re.compile(r"^\(Binary data (\d+) bytes")


def binary_size(value: Any) -> int | None:
    match = _BINARY_RE.match(value) if isinstance(value, str) else None
    return int(match[1]) if match else None


def truthy(value: Any) -> bool:
    return bool(value) and value not in ("0", "False", "false")
