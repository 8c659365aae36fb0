"""Prometheus metrics, exported at /metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

HTTP_REQUESTS = Counter(
    "albumen_http_requests_total", "HTTP requests handled", ["method", "operation", "status"]
)
HTTP_LATENCY = Histogram(
    "albumen_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
LOGIN_FAILURES = Counter("albumen_login_failures_total", "Failed password logins", ["reason"])


router = APIRouter()


@router.get("/metrics", include_in_schema=False)
def prometheus_metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
