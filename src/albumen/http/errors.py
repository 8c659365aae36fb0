"""Immich's error shape: `{message}` (+ `errors` for validation), never a trace, always a correlation id."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from albumen.kit.errors import AppError, TooManyRequests

log = logging.getLogger("albumen.http")


def error_response(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"message": message, **extra}, status_code=status)


def _issue(error: dict[str, Any]) -> dict[str, Any]:
    location = [part for part in error.get("loc", ()) if part not in ("body", "query", "path", "header")]
    return {
        "code": error.get("type", "invalid"),
        "path": location,
        "message": f"{'.'.join(str(p) for p in location) or 'request'}: {error.get('msg', 'invalid')}",
    }


async def _app_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, AppError)
    response = error_response(error.status_code, error.message, **error.extra)
    if isinstance(error, TooManyRequests):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


async def _validation_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    return error_response(400, "Validation failed", errors=[_issue(e) for e in error.errors()])


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
