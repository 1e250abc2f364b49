"""The injected failure a fake provider call answers with, shared by the OpenAI and
Anthropic surfaces: each passes its own error table and error envelope, the pacing (a
timeout hangs, other errors come after the first-token latency) is the same for both."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from fastapi.responses import Response

from spyglass.fakellm.state import Call


class ErrorEnvelope(Protocol):
    """A provider's ``error_response(status, code, message, headers=...)``."""

    def __call__(
        self, status: int, code: str, message: str, /, headers: dict[str, str] | None = None
    ) -> Response: ...


async def injected_failure(
    call: Call, errors: Mapping[str, tuple[int, str, str]], envelope: ErrorEnvelope
) -> Response | None:
    """The injected error for this call, after its latency, or None (a content-filter
    outcome is not an HTTP error: the provider answers it as a refusal)."""
    error = call.outcome.error
    if error is None or error == "content_filter":
        return None
    if error == "timeout":
        await call.hang()
        return envelope(*errors[error], headers={**call.headers(), "x-fake-simulated-timeout": "1"})
    await call.wait_first_token()  # providers refuse quickly, but not instantly
    headers = call.headers()
    if error == "rate_limit":
        headers["retry-after"] = f"{call.behaviour.retry_after_s or 1:g}"
    return envelope(*errors[error], headers=headers)
