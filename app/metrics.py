"""Prometheus metrics (prometheus-client): what an operator watches.

HTTP requests and latency per route and status, messages per type and verdict, retourcodes we
answered, declaration amounts approved and rejected, and the database pool in use.  With several
worker processes set PROMETHEUS_MULTIPROC_DIR to a shared empty directory: /metrics then sums
every worker (prometheus-client's multiprocess mode).
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUESTS = Counter(
    "ijw_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
LATENCY = Histogram(
    "ijw_http_request_seconds",
    "Time to answer an HTTP request",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
MESSAGES = Counter(
    "ijw_messages_total", "iJw messages received or sent, by type and verdict", ["type", "verdict"]
)
RETOUR_CODES = Counter(
    "ijw_retour_codes_total", "Retourcodes in the retours and JW325s we built", ["type", "code"]
)
DECLARED_CENTS = Counter(
    "ijw_declaration_cents_total",
    "Declared amounts (eurocents) by outcome of the prestatie",
    ["outcome"],
)
POOL_IN_USE = Gauge(
    "ijw_db_connections_in_use",
    "Database connections checked out of the pool (set when /metrics is read)",
    multiprocess_mode="livesum",
)


def render() -> tuple[bytes, str]:
    """The metrics text of this process (or of every worker in multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # untyped upstream
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST


def worker_gone(pid: int) -> None:
    """A worker process ended: its live gauges stop counting (multiprocess mode only)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]  # untyped upstream
