"""Immich's error shape: `{message}` (+ zod-style `errors`), never a trace, always a correlation id."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.dependencies.utils import get_flat_params
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from albumen.kit import zod
from albumen.kit.errors import AppError, TooManyRequests

log = logging.getLogger("albumen.http")


def error_response(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"message": message, **extra}, status_code=status)


def _annotation_resolver(request: Request) -> zod.AnnotationAt:
    """Finds the declared type of a request field through the matched route's parameters."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return lambda _path: None
    by_source: dict[str, dict[str, Any]] = {}
    for param in get_flat_params(route.dependant):
        source = getattr(getattr(param.field_info, "in_", None), "value", "query")
        by_source.setdefault(source, {})[param.alias] = param.field_info.annotation
    body = route.body_field.field_info.annotation if route.body_field is not None else None

    def resolve(location: Sequence[int | str]) -> Any:
        source, path = (location[0], location[1:]) if location else ("body", ())
        if source == "body":
            return zod.annotation_at(body, path) if body is not None else None
        if source in by_source and path:
            return zod.annotation_at(by_source[str(source)].get(str(path[0])), path[1:])
        return None

    return resolve


async def _app_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, AppError)
    response = error_response(error.status_code, error.message, **error.extra)
    if isinstance(error, TooManyRequests):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    issues = zod.issues(error.errors(), _annotation_resolver(request))
    return error_response(400, "Validation failed", errors=issues)


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    # Like Immich (NestJS), a path or method that matches no route is one 404 "Cannot <METHOD> <path>".
    if error.status_code == 405 or (error.status_code == 404 and error.detail == "Not Found"):
        return error_response(404, f"Cannot {request.method} {request.url.path}")
    return JSONResponse({"message": str(error.detail)}, status_code=error.status_code, headers=error.headers)


async def _database_error(request: Request, error: Exception) -> JSONResponse:
    """PostgreSQL refuses some input no validator catches (a NUL character in text or JSON, a number
    out of a column's range): that is a bad request, not a server fault. Anything else stays a 500."""
    assert isinstance(error, DBAPIError)
    sqlstate = str(getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", "") or "")
    if sqlstate.startswith("22"):
        log.info("database refused input", extra={"sqlstate": sqlstate, "path": request.url.path})
        return error_response(400, "Invalid input")
    raise error


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
