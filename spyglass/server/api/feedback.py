"""``POST /api/v1/feedback``: a user's or reviewer's verdict on a trace (scope ``ingest``).

Feedback may arrive before the trace it names (the app sends it as soon as the user
clicks, the spans are still batched), so an unknown trace id is accepted, not a 404.
"""

from __future__ import annotations

from typing import Any, Literal

import anyio.to_thread
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, model_validator

from spyglass.server.deps import IngestKey, StoreDep
from spyglass.store.base import Feedback

router = APIRouter(prefix="/api/v1", tags=["feedback"])


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    trace_id: str | None = Field(None, pattern=r"^[0-9a-fA-F]{32}$", description="32 hex characters")
    request_id: str | None = Field(None, max_length=200, description="the provider's response id")
    score: float | None = None
    thumbs: Literal["up", "down"] | None = None
    comment: str | None = Field(None, max_length=10_000)
    source: Literal["user", "reviewer", "system"] | None = None
    kind: Literal["thumbs", "correction", "retry", "escalation", "completion"] | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _names_a_target(self) -> FeedbackIn:
        if not self.trace_id and not self.request_id:
            raise ValueError("either trace_id or request_id is required")
        return self


class FeedbackCreated(BaseModel):
    id: str


@router.post("/feedback", status_code=201, response_model=FeedbackCreated)
async def post_feedback(body: FeedbackIn, key: IngestKey, store: StoreDep) -> FeedbackCreated:
    feedback = Feedback(
        project_id=key.project_id,
        trace_id=body.trace_id.lower() if body.trace_id else None,
        request_id=body.request_id,
        score=body.score,
        thumbs=body.thumbs,
        comment=body.comment,
        source=body.source,
        kind=body.kind or ("thumbs" if body.thumbs else None),
        metadata=body.metadata,
    )
    feedback_id = await anyio.to_thread.run_sync(store.write_feedback, feedback)
    return FeedbackCreated(id=feedback_id)
