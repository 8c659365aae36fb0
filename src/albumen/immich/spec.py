"""Index of the pinned Immich OpenAPI spec: each operation's method, path and success status."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

SPEC_FILE = Path(__file__).with_name("openapi.json")
IMMICH_VERSION = "3.1.0"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


@dataclass(frozen=True, slots=True)
class SpecOperation:
    operation_id: str
    method: str
    path: str
    status_code: int
    tags: tuple[str, ...]
    summary: str
    deprecated: bool


@cache
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SPEC_FILE.read_text())
    return loaded


@cache
def operations() -> dict[str, SpecOperation]:
    found: dict[str, SpecOperation] = {}
    for path, item in spec()["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            statuses = sorted(int(code) for code in operation["responses"] if code.startswith("2"))
            found[operation["operationId"]] = SpecOperation(
                operation_id=operation["operationId"],
                method=method.upper(),
                path=path,
                status_code=statuses[0] if statuses else 200,
                tags=tuple(operation.get("tags", ())),
                summary=operation.get("summary", ""),
                deprecated=bool(operation.get("deprecated", False)),
            )
    return found
