"""Auto-instrumentation of LLM client libraries (openai, anthropic)."""

from spyglass.sdk.integrations.base import DidNotEnable, Integration, Patch, install_integrations

__all__ = ["DidNotEnable", "Integration", "Patch", "install_integrations"]
