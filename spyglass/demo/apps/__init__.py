"""The demo's applications: ordinary LLM apps written against the public SDKs.

Each one uses the real ``openai``/``anthropic`` clients (auto-instrumented by
``spyglass.init``) plus ``spyglass.context``/``span``/``observe``/``feedback`` the way a
user's application would. None of them knows whether it runs live or replays history:
waits go through :func:`spyglass.demo.clock.pause`.
"""

from spyglass.demo.apps.invoice_parser import InvoiceParser
from spyglass.demo.apps.ops_agent import OpsAgent
from spyglass.demo.apps.support_bot import SupportBot

__all__ = ["InvoiceParser", "OpsAgent", "SupportBot"]
