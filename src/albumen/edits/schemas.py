"""PUT /assets/{id}/edits: the body, checked as Immich checks it, and the replies."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from pydantic import BaseModel, Field, ValidationError

from albumen.immich import dto
from albumen.kit.errors import BadRequest
from albumen.media.editing import Edit

# Each action's parameters, in the key order Immich's messages list them.
PARAMETERS: dict[str, type[BaseModel]] = {
    "crop": dto.CropParameters,
    "rotate": dto.RotateParameters,
    "mirror": dto.MirrorParameters,
}
_KEYS = {"crop": ("x", "y", "width", "height"), "rotate": ("angle",), "mirror": ("axis",)}
ANGLES = (0, 90, 180, 270)


class EditItemBody(BaseModel):
    action: dto.AssetEditAction
    parameters: dict[str, Any]


class EditsBody(BaseModel):
    edits: Annotated[list[EditItemBody], Field(min_length=1)]


class EditItemResponse(BaseModel):
    id: uuid.UUID
    action: dto.AssetEditAction
    parameters: dict[str, Any]


class EditsResponse(BaseModel):
    assetId: uuid.UUID
    edits: list[EditItemResponse]


def _parameters(action: str, given: dict[str, Any]) -> dict[str, Any] | None:
    """The action's parameters (unknown keys dropped, as zod does), None when they do not fit it."""
    numbers = [given.get(key) for key in _KEYS[action] if action != "mirror"]
    if not all(isinstance(n, int | float) and not isinstance(n, bool) for n in numbers):
        return None  # JSON numbers only: zod coerces no text
    try:
        parsed = PARAMETERS[action].model_validate(given)
    except ValidationError:
        return None
    values = parsed.model_dump(mode="json")
    if action == "rotate":
        angle = values["angle"]
        if angle not in ANGLES:
            return None
        values["angle"] = int(angle)
    return values


def parse_edits(body: EditsBody) -> list[Edit]:
    """The edits in order; a 400 with Immich's wording when an item's parameters do not fit its action or
    fit no action, or when an action repeats (two mirrors on different axes may go together)."""
    edits, issues, seen, repeated = [], [], set(), False
    for index, item in enumerate(body.edits):
        action = item.action.value
        path: list[int | str] = ["edits", index, "parameters"]
        parameters = _parameters(action, item.parameters)
        if parameters is None:
            if any(_parameters(other, item.parameters) is not None for other in PARAMETERS):
                keys = ", ".join(_KEYS[action])
                message = f"Invalid parameters for action '{action}', expecting keys: {keys}"
            else:
                expected = "; ".join(f"{name}: [{', '.join(keys)}]" for name, keys in _KEYS.items())
                message = f"Invalid parameters for action, expected keys by action: {expected}"
            issues.append({"code": "custom", "path": path, "message": message})
            continue
        key = f"mirror-{json.dumps(parameters)}" if action == "mirror" else action
        repeated = repeated or key in seen
        seen.add(key)
        edits.append(Edit(action, parameters))
    if repeated and not issues:
        issues.append(
            {"code": "custom", "path": ["edits"], "message": "Duplicate edit actions are not allowed"}
        )
    if issues:
        raise BadRequest("Validation failed", errors=issues)
    return edits
