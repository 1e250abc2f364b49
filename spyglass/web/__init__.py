"""The web UI served at ``/``: one HTML shell plus static ES modules (no build step).

The server mounts it with ``app.include_router(spyglass.web.router)``. The UI reads the
public REST API (``/api/v1/...``) with the ``spyglass_key`` cookie, so it needs nothing
from the server beyond the API contract in ``docs/api.md``.
"""

from spyglass.web.routes import CONTENT_SECURITY_POLICY, router

__all__ = ["CONTENT_SECURITY_POLICY", "router"]
