"""Projects and API keys. The key in the request decides the project; creating projects and
keys needs scope ``admin``. Secrets are returned once and stored hashed."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import anyio.to_thread
from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from spyglass.server.deps import AdminKey, MetaDep, ReadKey
from spyglass.server.errors import ApiError
from spyglass.store.meta import Scope

router = APIRouter(prefix="/api/v1", tags=["projects"])


class ProjectOut(BaseModel):
    id: str
    name: str


class ProjectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(..., min_length=1, max_length=200)


class ProjectCreated(ProjectOut):
    api_key: str


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scope: Literal["ingest", "read", "admin"]
    name: str = Field("", max_length=200)


class KeyCreated(BaseModel):
    id: str
    api_key: str
    scope: str


@router.get("/projects/current", response_model=ProjectOut)
async def current_project(key: ReadKey, meta: MetaDep) -> ProjectOut:
    project = await anyio.to_thread.run_sync(meta.get_project, key.project_id)
    if project is None:  # the key outlived its project
        raise ApiError(404, f"project {key.project_id} not found")
    return ProjectOut(id=project.id, name=project.name)


@router.post("/projects", status_code=201, response_model=ProjectCreated)
async def create_project(body: ProjectIn, key: AdminKey, meta: MetaDep) -> ProjectCreated:
    def create() -> ProjectCreated:
        project = meta.create_project(body.name)
        created = meta.create_key(project.id, Scope.ADMIN, f"initial admin (created by {key.id})")
        return ProjectCreated(id=project.id, name=project.name, api_key=created.secret)

    return await anyio.to_thread.run_sync(create)


@router.post("/keys", status_code=201, response_model=KeyCreated)
async def create_key(body: KeyIn, key: AdminKey, meta: MetaDep) -> KeyCreated:
    created = await anyio.to_thread.run_sync(meta.create_key, key.project_id, body.scope, body.name)
    return KeyCreated(id=created.key.id, api_key=created.secret, scope=created.key.scope.value)


class KeyOut(BaseModel):
    id: str
    name: str
    scope: str
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool


@router.get("/keys", response_model=list[KeyOut], summary="The project's keys (never their secrets)")
async def list_keys(key: AdminKey, meta: MetaDep) -> list[KeyOut]:
    rows = await anyio.to_thread.run_sync(meta.list_keys, key.project_id)
    return [KeyOut(**{f: row[f] for f in KeyOut.model_fields}) for row in rows]


@router.delete("/keys/{key_id}", status_code=204, summary="Revoke a key of this project (immediate)")
async def revoke_key(key_id: str, key: AdminKey, meta: MetaDep) -> Response:
    rows = await anyio.to_thread.run_sync(meta.list_keys, key.project_id)
    if not any(row["id"] == key_id for row in rows):  # other projects' keys look absent
        raise ApiError(404, f"key {key_id} not found in this project")
    await anyio.to_thread.run_sync(meta.revoke_key, key_id)
    return Response(status_code=204)
