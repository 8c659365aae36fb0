"""Immich's non-destructive edits (crop, rotate, mirror) applied to a decoded, upright image.

Semantics as Immich v3.1.0 renders them: the crop (always the first edit) is in pixels of the upright
original at full size; then each rotation (clockwise, in multiples of 90 degrees) and mirror
("horizontal" swaps left and right, "vertical" top and bottom) in the order given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from albumen.media.decoders import VipsImage

_ROTATIONS = {90: "d90", 180: "d180", 270: "d270"}


@dataclass(frozen=True, slots=True)
class Edit:
    action: str  # "crop" | "rotate" | "mirror"
    parameters: Mapping[str, Any]


def apply_edits(image: VipsImage, edits: Sequence[Edit]) -> VipsImage:
    for edit in _crop_first(edits):
        parameters = edit.parameters
        if edit.action == "crop":
            image = _crop(image, *(int(parameters[key]) for key in ("x", "y", "width", "height")))
        elif edit.action == "rotate":
            angle = int(parameters["angle"]) % 360
            if angle:
                image = image.rot(_ROTATIONS[angle])
        elif edit.action == "mirror":
            image = image.fliphor() if parameters["axis"] == "horizontal" else image.flipver()
        else:
            raise ValueError(f"unknown edit action {edit.action!r}")
    return image


def edited_size(edits: Sequence[Edit], width: int, height: int) -> tuple[int, int]:
    """The size of the image `apply_edits` makes from one of `width` x `height`."""
    for edit in _crop_first(edits):
        if edit.action == "crop":
            width, height = int(edit.parameters["width"]), int(edit.parameters["height"])
        elif edit.action == "rotate" and int(edit.parameters["angle"]) % 180 == 90:
            width, height = height, width
    return width, height


def _crop(image: VipsImage, x: int, y: int, width: int, height: int) -> VipsImage:
    """Kept inside the image: the decoder's size can differ by a pixel from the one the crop was checked
    against (the file's declared size)."""
    x, y = min(x, image.width - 1), min(y, image.height - 1)
    return image.crop(x, y, max(1, min(width, image.width - x)), max(1, min(height, image.height - y)))


def _crop_first(edits: Sequence[Edit]) -> list[Edit]:
    return sorted(edits, key=lambda edit: edit.action != "crop")  # stable: the rest keep their order
