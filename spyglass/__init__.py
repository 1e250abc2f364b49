"""Spyglass: monitoring for LLM applications in production.

This top-level module is the SDK surface only; it must import nothing from the server side.
"""

__version__ = "0.1.0"
