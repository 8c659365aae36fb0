"""Request-validation failures worded as Immich's: its DTOs are zod v4 schemas, and clients and tests read
the issues (`{code, path, message}`) zod's English messages produce. Pydantic's errors are translated
here, with the field's declared type where the error itself does not name it (a missing field)."""

from __future__ import annotations

import datetime
import enum
import types
import uuid
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import AwareDatetime, BaseModel, EmailStr, RootModel, ValidationError
from pydantic_core import ErrorDetails

# Where a value was absent; JavaScript calls that `undefined`.
MISSING: Any = object()
LOCATIONS = ("body", "query", "path", "header", "cookie")

# The declared type at an error's location (pydantic's `loc`), None when unknown.
AnnotationAt = Callable[[Sequence[int | str]], Any]


def parsed_type(value: Any) -> str:
    """zod's name for what it received."""
    if value is MISSING:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, float) and value != value:
        return "NaN"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    return "object"


def js_typeof(value: Any) -> str:
    """JavaScript's `typeof`, which Immich's email and date messages quote (`typeof null` is "object")."""
    kind = parsed_type(value)
    return "object" if kind in ("null", "array") else "number" if kind == "NaN" else kind


def unwrap(annotation: Any) -> Any:
    """The type under `Annotated[...]`, `X | None` and root models; None when it is a real union."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                return None
            annotation = members[0]
        elif isinstance(annotation, type) and issubclass(annotation, RootModel):
            annotation = annotation.model_fields["root"].annotation
        else:
            return annotation


def annotation_at(annotation: Any, path: Sequence[int | str]) -> Any:
    """The declared type at `path` inside `annotation` (models by field name or alias, lists, dicts)."""
    for part in path:
        current = unwrap(annotation)
        if current is None:
            return None
        origin = get_origin(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            fields = current.model_fields
            found = fields.get(str(part)) or next((f for f in fields.values() if f.alias == part), None)
            if found is None:
                return None
            annotation = found.annotation
        elif origin in (list, set, tuple, frozenset) and isinstance(part, int):
            annotation = get_args(current)[0] if get_args(current) else None
        elif origin is dict:
            annotation = get_args(current)[1] if get_args(current) else None
        else:
            return None
    return annotation


def _is(annotation: Any, kind: type) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, kind)


def _expected(annotation: Any) -> str | None:
    """zod's name of the type a field declares; None when the type has its own message."""
    current = unwrap(annotation)
    origin = get_origin(current)
    if current is bool:
        return "boolean"
    if current in (int, float):
        return "number"
    if current in (str, uuid.UUID):
        return "string"
    if origin in (list, set, tuple, frozenset) or current in (list, set, tuple):
        return "array"
    if origin is dict or current is dict or _is(current, BaseModel):
        return "object"
    return None


def _special_message(annotation: Any, value: Any) -> str | None:
    """Immich words email and date fields itself, quoting JavaScript's `typeof` of the input."""
    current = unwrap(annotation)
    if current is EmailStr:
        return f"Invalid input: expected email, received {js_typeof(value)}"
    if _is(current, datetime.datetime) or current is AwareDatetime:
        return f"Invalid input: expected ISO 8601 datetime string, received {js_typeof(value)}"
    if _is(current, datetime.date):
        return f"Invalid input: expected ISO date string (YYYY-MM-DD), received {js_typeof(value)}"
    if _is(current, enum.Enum):
        options = "|".join(f'"{member.value}"' for member in current)
        return f"Invalid option: expected one of {options}"
    return None


def type_issue(path: Sequence[int | str], annotation: Any, value: Any) -> dict[str, Any]:
    """The issue for a value of the wrong type (absent, null, or another JSON type)."""
    special = _special_message(annotation, value)
    if special is not None:
        code = "invalid_value" if special.startswith("Invalid option") else "invalid_type"
        return {"code": code, "path": list(path), "message": special}
    expected = _expected(annotation) or "string"
    return {
        "code": "invalid_type",
        "path": list(path),
        "expected": expected,
        "message": f"Invalid input: expected {expected}, received {parsed_type(value)}",
    }


def _bound_issue(path: list[int | str], error: ErrorDetails, what: str) -> dict[str, Any]:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    small = kind in ("greater_than_equal", "greater_than", "string_too_short", "too_short")
    code = "too_small" if small else "too_big"
    word = "Too small" if small else "Too big"
    if kind in ("string_too_short", "string_too_long", "too_short", "too_long"):
        limit = ctx.get("min_length" if small else "max_length")
        unit = "characters" if what == "string" else "items"
        message = f"{word}: expected {what} to have {'>=' if small else '<='}{limit} {unit}"
    else:
        operator = {"greater_than_equal": ">=", "greater_than": ">",
                    "less_than_equal": "<=", "less_than": "<"}  # fmt: skip
        limit = next(iter(ctx.values()), "")
        if isinstance(limit, float) and limit.is_integer():
            limit = int(limit)  # JavaScript prints 90, not 90.0
        message = f"{word}: expected number to be {operator[kind]}{limit}"
    return {"code": code, "path": path, "message": message}


_TYPE_ERRORS = {"string_type", "int_type", "float_type", "bool_type", "list_type", "dict_type", "model_type",
                "model_attributes_type", "uuid_type", "set_type", "tuple_type", "bool_parsing", "enum",
                "literal_error", "datetime_type", "date_type", "datetime_parsing", "date_parsing",
                "datetime_from_date_parsing", "timezone_aware", "int_parsing", "float_parsing"}  # fmt: skip


def issue(error: ErrorDetails, annotation_of: AnnotationAt) -> dict[str, Any]:
    """One pydantic error as the zod issue Immich would report for the same input."""
    location = error.get("loc", ())
    source = location[0] if location and location[0] in LOCATIONS else "body"
    path: list[int | str] = [part for part in location if part not in LOCATIONS]
    kind = error["type"]
    value = error.get("input", MISSING)
    annotation = annotation_of(location)
    if kind == "missing":
        if source != "body" and _expected(annotation) == "number":
            return type_issue(path, annotation, float("nan"))  # Immich coerces: Number(undefined)
        return type_issue(path, annotation, MISSING)
    if kind == "int_from_float":
        return {"code": "invalid_type", "path": path, "expected": "int",
                "message": "Invalid input: expected int, received number"}  # fmt: skip
    if kind in ("uuid_parsing", "uuid_version") and isinstance(value, str):
        return {"code": "invalid_format", "format": "uuid", "path": path, "message": "Invalid UUID"}
    if kind in ("int_parsing", "float_parsing") and source != "body" and isinstance(value, str):
        # Immich coerces query and path numbers: text that is no number becomes NaN
        return {"code": "invalid_type", "path": path, "expected": "number",
                "message": "Invalid input: expected number, received NaN"}  # fmt: skip
    if kind == "bool_parsing" and source != "body":
        # Immich reads query booleans with `z.stringbool({truthy: ['true'], falsy: ['false']})`.
        return {"code": "invalid_value", "values": ["true", "false"], "path": path,
                "message": 'Invalid option: expected one of "true"|"false"'}  # fmt: skip
    if kind in _TYPE_ERRORS:
        return type_issue(path, annotation, value)
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        return _bound_issue(path, error, "number")
    if kind in ("string_too_short", "string_too_long"):
        return _bound_issue(path, error, "string")
    if kind in ("too_short", "too_long"):
        return _bound_issue(path, error, "array")
    special = _special_message(annotation, value)
    if special is not None and (kind == "string_pattern_mismatch" or kind == "value_error"):
        return {"code": "invalid_format", "path": path, "message": special}
    if kind == "string_pattern_mismatch":
        pattern = (error.get("ctx") or {}).get("pattern", "")
        return {"code": "invalid_format", "format": "regex", "path": path,
                "message": f"Invalid string: must match pattern /{pattern}/"}  # fmt: skip
    message = str(error.get("msg", "Invalid input")).removeprefix("Value error, ")
    return {"code": "custom", "path": path, "message": message}


def issues(errors: Sequence[ErrorDetails], annotation_of: AnnotationAt) -> list[dict[str, Any]]:
    return [issue(error, annotation_of) for error in errors]


def model_issues(model: type[BaseModel], error: ValidationError) -> list[dict[str, Any]]:
    """The issues of validating a body against `model` by hand (outside FastAPI's own validation)."""
    return issues(error.errors(), lambda path: annotation_at(model, path))


def null_issue(model: type[BaseModel], name: str) -> dict[str, Any]:
    """A field sent as JSON null that Immich accepts only absent or with a value of its type."""
    return type_issue([name], annotation_at(model, [name]), None)
