"""Normalizers, one per convention, in increasing priority (the last to write a field wins).

Order follows the normalisation map (docs: conventions §8): convention-free context first,
then OpenInference, legacy OpenLLMetry, OTel GenAI (the standard), and finally our own
``spyglass.*`` attributes, which the user set explicitly. A span may match several.
"""

from __future__ import annotations

from spyglass.ingest.normalize.base import Normalizer, SpanSource
from spyglass.ingest.normalize.context import ContextNormalizer
from spyglass.ingest.normalize.genai import GenAiNormalizer
from spyglass.ingest.normalize.openinference import OpenInferenceNormalizer
from spyglass.ingest.normalize.openllmetry import OpenLlmetryNormalizer
from spyglass.ingest.normalize.spyglass_attrs import SpyglassNormalizer

NORMALIZERS: tuple[Normalizer, ...] = (
    ContextNormalizer(),
    OpenInferenceNormalizer(),
    OpenLlmetryNormalizer(),
    GenAiNormalizer(),
    SpyglassNormalizer(),
)

__all__ = ["NORMALIZERS", "Normalizer", "SpanSource"]
