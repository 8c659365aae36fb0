"""Routers whose endpoints are declared by Immich operationId; method, path and status come from the spec."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Depends

from albumen.http.deps import authenticate
from albumen.immich.spec import operations

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


class ImmichRouter(APIRouter):
    """Every route runs `authenticate`, which applies the operation's policy from the Immich table."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(dependencies=[Depends(authenticate)], **kwargs)

    def operation(self, operation_id: str, **overrides: Any) -> Callable[[Endpoint], Endpoint]:
        spec_operation = operations()[operation_id]

        def register(endpoint: Endpoint) -> Endpoint:
            options: dict[str, Any] = {
                "path": spec_operation.path,
                "methods": [spec_operation.method],
                "operation_id": operation_id,
                "status_code": spec_operation.status_code,
                "tags": list(spec_operation.tags),
                "summary": spec_operation.summary,
                "deprecated": spec_operation.deprecated or None,
                "response_model_exclude_unset": False,
            }
            options.update(overrides)
            self.add_api_route(endpoint=endpoint, **options)
            return endpoint

        return register
