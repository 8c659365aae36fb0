"""The app's API routes as served, inside included routers too.

FastAPI 0.16x keeps an included router whole (`original_router`, its prefix in `include_context`)
instead of copying its routes onto the app, so `app.routes` alone shows none of them.
"""

from __future__ import annotations

from typing import Any

from fastapi.routing import APIRoute


def api_routes(routes: list[Any], prefix: str = "") -> list[tuple[str, APIRoute]]:
    """(full path, route) of every APIRoute under `routes`."""
    found: list[tuple[str, APIRoute]] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append((prefix + route.path, route))
        elif (inner := getattr(route, "original_router", None)) is not None:
            context = getattr(route, "include_context", None)
            found += api_routes(inner.routes, prefix + (getattr(context, "prefix", "") or ""))
    return found
