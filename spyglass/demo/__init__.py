"""The living demo (``spyglass demo``): realistic LLM apps sending traces to a local server.

See ``docs/demo.md`` for the stories it tells and where to find them in the UI.
"""

from spyglass.demo.orchestrator import Demo, DemoOptions, run_demo

__all__ = ["Demo", "DemoOptions", "run_demo"]
