"""Enrichers, in order: tokens before cost (cost needs usage), the endpoint's provider
before cost (it decides the price list), refusal before the error class (a content-filter
refusal is classified), schema last."""

from __future__ import annotations

from spyglass.ingest.enrich.base import Enricher
from spyglass.ingest.enrich.cost import CostEnricher
from spyglass.ingest.enrich.endpoint import EndpointProviderEnricher
from spyglass.ingest.enrich.error_class import ErrorClassEnricher
from spyglass.ingest.enrich.refusal import RefusalEnricher
from spyglass.ingest.enrich.schema import SchemaEnricher
from spyglass.ingest.enrich.tokens import TokenUsageEnricher
from spyglass.ingest.enrich.ttft import TtftEnricher

ENRICHERS: tuple[Enricher, ...] = (
    TokenUsageEnricher(),
    TtftEnricher(),
    EndpointProviderEnricher(),
    CostEnricher(),
    RefusalEnricher(),
    ErrorClassEnricher(),
    SchemaEnricher(),
)

__all__ = ["ENRICHERS", "Enricher"]
