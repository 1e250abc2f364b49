"""The REST API (docs/api.md), one router per resource; ``ROUTERS`` is mounted by ``create_app``."""

from fastapi import APIRouter

from spyglass.server.api import feedback, projects, traces

ROUTERS: tuple[APIRouter, ...] = (projects.router, traces.router, feedback.router)

__all__ = ["ROUTERS"]
