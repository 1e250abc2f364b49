"""The REST API (docs/api.md), one router per resource; ``ROUTERS`` is mounted by ``create_app``."""

from fastapi import APIRouter

from spyglass.server.api import (
    compare,
    export,
    feedback,
    histogram,
    metrics,
    outliers,
    projects,
    sessions,
    spans,
    traces,
)

ROUTERS: tuple[APIRouter, ...] = (
    projects.router,
    traces.router,
    spans.router,
    metrics.router,
    sessions.router,
    export.router,
    feedback.router,
    histogram.router,  # web UI engineer: dashboard histograms
    compare.router,  # web UI engineer: compare view
    outliers.router,  # web UI engineer: dashboard outlier table
)

__all__ = ["ROUTERS"]
