"""Typed FastAPI dependencies: routers declare what they need, never reach into app state.

    async def route(store: StoreDep, key: ReadKey): ...

``Services`` is stored once on ``app.state.services`` by ``create_app``; only this module
reads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from spyglass.server.auth import require_scope
from spyglass.server.services import Services
from spyglass.server.settings import Settings
from spyglass.server.telemetry import ServerMetrics
from spyglass.store.meta import ApiKey, MetaStore, Scope

if TYPE_CHECKING:
    from spyglass.store.duckdb import DuckDBStore
    from spyglass.store.writer import BatchWriter


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def get_settings(request: Request) -> Settings:
    return get_services(request).settings


def get_store(request: Request) -> DuckDBStore:
    return get_services(request).store


def get_meta(request: Request) -> MetaStore:
    return get_services(request).meta


def get_writer(request: Request) -> BatchWriter:
    return get_services(request).writer


def get_metrics(request: Request) -> ServerMetrics:
    return get_services(request).metrics


ServicesDep = Annotated[Services, Depends(get_services)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated["DuckDBStore", Depends(get_store)]
MetaDep = Annotated[MetaStore, Depends(get_meta)]
WriterDep = Annotated["BatchWriter", Depends(get_writer)]
MetricsDep = Annotated[ServerMetrics, Depends(get_metrics)]

IngestKey = Annotated[ApiKey, Depends(require_scope(Scope.INGEST))]
ReadKey = Annotated[ApiKey, Depends(require_scope(Scope.READ))]
AdminKey = Annotated[ApiKey, Depends(require_scope(Scope.ADMIN))]
