"""Isolation cases generated from the Immich spec: every operation that names an object by id.

`operations.tsv` says which operations exist and how they are guarded; `openapi.json` says where the
ids go (path, query, body). A new operation in the spec becomes new cases here without a new test.
A case is one request with every id slot filled with an object of the victim; each optional id slot
(a search filter, a query parameter) gets a case of its own, so one refusal cannot hide another.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from albumen.immich.operations import OPERATIONS_TSV
from albumen.immich.spec import SPEC_FILE


@dataclass(frozen=True)
class Slot:
    """Where one id goes: `where` is path, query or body; `name` is a dotted body path (`people[].id`)."""

    where: str
    name: str
    kind: str  # which of the victim's objects: asset, album, person, ...
    required: bool


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    tag: str
    permission: str
    admin_only: bool
    shared_link: bool
    body_schema: dict[str, Any] | None
    body_type: str | None  # application/json or multipart/form-data
    parameters: tuple[dict[str, Any], ...]
    slots: tuple[Slot, ...]


@dataclass(frozen=True)
class Case:
    operation: Operation
    slots: tuple[Slot, ...]  # the id slots filled in this case
    focus: str | None = None  # the optional slot this case is about, if any
    key: str = field(default="")
    variant: str | None = None  # the case again with an archived, locked or trashed asset of Alice's

    @property
    def base(self) -> str:
        return self.key or self.operation.operation_id

    @property
    def name(self) -> str:
        return f"{self.base}@{self.variant}" if self.variant else self.base


# Assets a partner must not reach although they are Alice's (Immich: partners see timeline and hidden
# assets, never archived, locked or trashed ones); every case naming an asset runs with each of them too.
ASSET_VARIANTS = ("archived", "locked", "trashed")


@cache
def spec() -> dict[str, Any]:
    with SPEC_FILE.open() as handle:
        loaded: dict[str, Any] = json.load(handle)
    return loaded


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return resolve(schema["allOf"][0])
    return schema


def _is_uuid(schema: dict[str, Any]) -> bool:
    schema = resolve(schema)
    if schema.get("type") == "array":
        return _is_uuid(schema.get("items", {}))
    return schema.get("format") == "uuid"


# The kind of object an id field names, by field name; `id`/`ids` depend on the path (see `_kind`).
FIELD_KINDS = {
    "assetId": "asset", "assetIds": "asset", "sourceId": "asset", "targetId": "asset",
    "livePhotoVideoId": "asset", "albumThumbnailAssetId": "asset", "primaryAssetId": "asset",
    "featureFaceAssetId": "asset", "queryAssetId": "asset", "closestAssetId": "asset",
    "keepAssetIds": "asset", "trashAssetIds": "asset",
    "albumId": "album", "albumIds": "album",
    "personId": "person", "personIds": "person", "closestPersonId": "person",
    "tagId": "tag", "tagIds": "tag", "parentId": "tag",
    "userId": "user", "sharedWithId": "user", "ownerId": "user",
    "libraryId": "library", "duplicateId": "duplicate", "sessionId": "video_session",
}  # fmt: skip

# The object a path's `{id}` names, by the path's resource.
PATH_KINDS = {
    "api-keys": "api_key", "activities": "activity", "albums": "album", "assets": "asset",
    "duplicates": "duplicate", "faces": "face", "libraries": "library", "memories": "memory",
    "notifications": "notification", "partners": "user", "people": "person", "plugins": "plugin",
    "sessions": "session", "shared-links": "shared_link", "stacks": "stack", "tags": "tag",
    "users": "user", "workflows": "workflow", "integrity": "integrity_report",
}  # fmt: skip


def _resource(path: str) -> str:
    parts = [part for part in path.split("/") if part and not part.startswith("{")]
    if parts and parts[0] == "admin" and len(parts) > 1:
        parts = parts[1:]
    return parts[0] if parts else ""


def _kind(operation_path: str, where: str, name: str) -> str:
    leaf = name.rsplit(".", 1)[-1]
    if operation_path.startswith("/albums/{id}/user"):
        return "album" if leaf == "id" else "album_member"
    if leaf in FIELD_KINDS:
        return FIELD_KINDS[leaf]
    resource = PATH_KINDS.get(_resource(operation_path), "unknown")
    if leaf in {"id", "ids"}:
        # `{id}/assets` bodies and `/assets`, `/trash/restore/assets` bodies list assets
        if where == "body" and (operation_path.endswith("/assets") or operation_path == "/assets"):
            return "asset"
        if operation_path == "/search/metadata":
            return "asset"
        if operation_path == "/people/{id}/merge" and where == "body":
            return "other_person"  # merging a person into itself is refused before any access check
        if operation_path == "/faces" and where == "query":
            return "asset"  # Immich reads the faces of the asset with this id
        if operation_path.startswith("/faces/") and where == "body":
            return "person"
        return resource
    return "unknown"


def _body_slots(schema: dict[str, Any], prefix: str = "", depth: int = 0) -> Iterator[tuple[str, bool]]:
    schema = resolve(schema)
    required = set(schema.get("required", ()))
    for name, prop in schema.get("properties", {}).items():
        dotted = f"{prefix}{name}"
        if _is_uuid(prop):
            yield dotted, name in required
            continue
        inner = resolve(prop)
        if depth >= 2:
            continue
        if inner.get("type") == "object" or "properties" in inner:
            for sub, sub_required in _body_slots(inner, dotted + ".", depth + 1):
                yield sub, sub_required and name in required
        elif inner.get("type") == "array" and "properties" in resolve(inner.get("items", {})):
            for sub, sub_required in _body_slots(inner["items"], dotted + "[].", depth + 1):
                yield sub, sub_required and name in required


@cache
def operations() -> tuple[Operation, ...]:
    """The secured operations that name an object by id."""
    return tuple(op for op in all_operations() if op.slots)


@cache
def listings() -> tuple[Operation, ...]:
    """The secured reads that name no id (lists, searches, statistics): a stranger's view of everything."""
    return tuple(
        op
        for op in all_operations()
        if not any(slot.required for slot in op.slots)
        and not op.admin_only
        and "{" not in op.path
        and (op.method == "GET" or op.path.startswith("/search/"))
    )


@cache
def all_operations() -> tuple[Operation, ...]:
    with OPERATIONS_TSV.open(newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    found = []
    for row in rows:
        if row["auth_required"] != "yes":
            continue
        op = spec()["paths"][row["path"]][row["method"].lower()]
        parameters = tuple(op.get("parameters", ()))
        slots: list[Slot] = []
        for parameter in parameters:
            names_an_id = parameter["in"] == "path" and (
                parameter["name"] == "id" or parameter["name"].endswith("Id")
            )
            if parameter["in"] in {"path", "query"} and (
                names_an_id or _is_uuid(parameter.get("schema", {}))
            ):
                where, name = parameter["in"], parameter["name"]
                required = parameter["in"] == "path" or bool(parameter.get("required"))
                slots.append(Slot(where, name, _kind(row["path"], where, name), required))
        body_schema = body_type = None
        for content_type, content in op.get("requestBody", {}).get("content", {}).items():
            body_schema, body_type = content["schema"], content_type
            for name, required in _body_slots(body_schema):
                slots.append(Slot("body", name, _kind(row["path"], "body", name), required))
        found.append(
            Operation(
                operation_id=row["operationId"],
                method=row["method"],
                path=row["path"],
                tag=row["tag"],
                permission=row["permission"],
                admin_only=row["admin_only"] == "yes",
                shared_link=row["shared_link_auth"] == "yes",
                body_schema=body_schema,
                body_type=body_type,
                parameters=parameters,
                slots=tuple(slots),
            )
        )
    return tuple(found)


@cache
def cases() -> tuple[Case, ...]:
    built = []
    for operation in operations():
        required = tuple(slot for slot in operation.slots if slot.required)
        optional = [slot for slot in operation.slots if not slot.required]
        if required:
            built.append(Case(operation, required))
        for slot in optional:
            built.append(
                Case(operation, (*required, slot), slot.name, f"{operation.operation_id}:{slot.name}")
            )
    variants = []
    for case in built:
        if any(slot.kind == "asset" for slot in case.slots):
            for variant in ASSET_VARIANTS:
                slots = tuple(
                    Slot(slot.where, slot.name, f"{variant}_asset", slot.required)
                    if slot.kind == "asset"
                    else slot
                    for slot in case.slots
                )
                variants.append(Case(case.operation, slots, case.focus, case.key, variant))
    return tuple(built + variants)


# --- request bodies: the smallest valid value of a schema, with the case's ids put in -------------

_DATE = "2024-05-01T12:00:00.000Z"


def example(schema: dict[str, Any], depth: int = 0) -> Any:
    schema = resolve(schema)
    if "enum" in schema:
        return schema["enum"][0]
    for combinator in ("anyOf", "oneOf"):
        if combinator in schema:
            options = [
                resolve(option) for option in schema[combinator] if resolve(option).get("type") != "null"
            ]
            return example(options[0], depth) if options else None
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "object" or "properties" in schema:
        required = schema.get("required", ())
        return {
            name: example(prop, depth + 1)
            for name, prop in schema.get("properties", {}).items()
            if name in required
        }
    if kind == "array":
        count = max(1, schema.get("minItems", 0)) if depth < 3 else 0
        return [example(schema.get("items", {}), depth + 1) for _ in range(count)]
    if kind == "boolean":
        return False
    if kind in {"integer", "number"}:
        return schema.get("minimum", 1)
    if schema.get("format") == "date-time":
        return _DATE
    if schema.get("format") == "date":
        return _DATE[:10]
    if schema.get("format") == "uuid":
        return "00000000-0000-4000-8000-000000000000"
    if "pattern" in schema and schema["pattern"].startswith("^#"):
        return "#aabbcc"
    return "isolation-probe"


def put(body: Any, schema: dict[str, Any], dotted: str, value: Any) -> Any:
    """Sets `dotted` (`a.b`, `a[].b`) in `body`, making what is missing from the schema's examples."""
    schema = resolve(schema)
    head, _, rest = dotted.partition(".")
    name = head.removesuffix("[]")
    prop = resolve(schema.get("properties", {}).get(name, {}))
    if head.endswith("[]"):
        items_schema = resolve(prop.get("items", {}))
        items = body.setdefault(name, [])
        if not items:
            items.append(example(items_schema))
        for item in items:
            put(item, items_schema, rest, value)
        return body
    if rest:
        put(body.setdefault(name, example(prop)), prop, rest, value)
    else:
        body[name] = value if prop.get("type") == "array" else value[0]
    return body


PLACEHOLDER = re.compile(r"\{(\w+)\}")
