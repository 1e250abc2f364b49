"""The fake provider's ASGI app: provider routes plus a small admin API.

Admin endpoints (no auth; bind the fake to 127.0.0.1):

- ``GET /health``
- ``GET /_fake/scenario`` — the current scenario as JSON
- ``POST /_fake/scenario`` — replace the scenario (same shape as the YAML file)
- ``POST /_fake/defaults`` — lay a behaviour over the defaults, e.g.
  ``{"snapshots": {"gpt-4o-mini": "gpt-4o-mini-2026-01-15"}}`` for a snapshot swap
- ``GET /_fake/stats`` — request/error/refusal counters by API
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from spyglass.fakellm import anthropic_api, gemini_api, openai_api
from spyglass.fakellm.scenario import ScenarioError, behaviour_from_dict, scenario_from_dict, scenario_to_dict
from spyglass.fakellm.state import ProviderState


def create_app(state: ProviderState) -> FastAPI:
    """Build the app around ``state`` (which the caller keeps, to script it in-process)."""
    app = FastAPI(title="Spyglass fake LLM provider", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(openai_api.build_router(state))
    app.include_router(anthropic_api.build_router(state))
    app.include_router(gemini_api.build_router(state))

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/_fake/scenario")
    async def get_scenario() -> dict[str, Any]:
        return scenario_to_dict(state.scenario)

    @app.post("/_fake/scenario")
    async def set_scenario(request: Request) -> JSONResponse:
        try:
            scenario = scenario_from_dict(json.loads(await request.body()))
        except (ValueError, ScenarioError) as exc:  # ScenarioError is a ValueError; both are bad input
            return JSONResponse({"error": "invalid_scenario", "message": str(exc)}, status_code=400)
        state.set_scenario(scenario)
        return JSONResponse(scenario_to_dict(state.scenario))

    @app.post("/_fake/defaults")
    async def update_defaults(request: Request) -> JSONResponse:
        try:
            behaviour = behaviour_from_dict(json.loads(await request.body()), "defaults")
        except ValueError as exc:
            return JSONResponse({"error": "invalid_behaviour", "message": str(exc)}, status_code=400)
        state.update_defaults(behaviour)
        return JSONResponse(scenario_to_dict(state.scenario))

    @app.get("/_fake/stats")
    async def stats() -> dict[str, int]:
        return dict(state.stats)

    return app
