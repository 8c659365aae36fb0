"""Prometheus metrics, exported at /metrics."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, make_asgi_app
from prometheus_client.registry import REGISTRY

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


def metrics_app(registry: CollectorRegistry = REGISTRY) -> object:
    return make_asgi_app(registry=registry)
