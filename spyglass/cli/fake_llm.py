"""``spyglass fake-llm``: run the scripted OpenAI/Anthropic-compatible provider.

Point an SDK at it with ``base_url=http://127.0.0.1:8900/v1`` (OpenAI) or
``base_url=http://127.0.0.1:8900`` (Anthropic). The scenario file is YAML (see
``docs/demo.md``); without one, the provider answers with default behaviour.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "fake-llm",
        help="run the fake OpenAI/Anthropic-compatible provider",
        description="Serve OpenAI (/v1/chat/completions, /v1/responses, /v1/embeddings) and Anthropic "
        "(/v1/messages) endpoints whose behaviour is scripted by a scenario file.",
    )
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8900, help="port (default 8900; 0 = any free port)")
    p.add_argument("--scenario", help="scenario YAML file (default: built-in defaults)")
    p.add_argument("--seed", type=int, help="override the scenario's seed")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        from spyglass.fakellm import FakeLLMServer, Scenario, ScenarioError, load_scenario
    except ModuleNotFoundError as exc:
        print(
            f"spyglass fake-llm needs the server extra (missing {exc.name}): pip install 'spyglass[server]'",
            file=sys.stderr,
        )
        return 2
    try:
        scenario = load_scenario(args.scenario) if args.scenario else Scenario()
    except (OSError, ScenarioError) as exc:
        print(f"spyglass fake-llm: {exc}", file=sys.stderr)
        return 2
    if args.seed is not None:
        scenario.seed = args.seed
    try:
        server = FakeLLMServer(scenario, host=args.host, port=args.port)
    except OSError as exc:
        print(f"spyglass fake-llm: cannot bind {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    print(
        f"Fake LLM provider on {server.url}  (OpenAI base_url {server.openai_base_url}, "
        f"Anthropic base_url {server.anthropic_base_url})",
        flush=True,
    )
    server.start()
    try:
        # The server runs in its own thread; the main thread only waits for Ctrl-C/SIGTERM.
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
