"""``spyglass demo``: a server plus realistic LLM apps against the built-in fake provider."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "demo",
        help="run a server with 24 h of realistic history and live traffic",
        description="Start spyglass serve on an embedded store and drive a RAG chatbot, an invoice parser, "
        "a tool-calling agent and a LangGraph agent (with spyglass[demo]) through the real openai/anthropic "
        "SDKs against a fake provider. History is back-filled first, then live traffic flows until Ctrl-C.",
    )
    p.add_argument("--port", type=int, default=4318, help="server HTTP port (default 4318)")
    p.add_argument(
        "--grpc-port", type=int, default=4317, help="server OTLP/gRPC port, 0 = off (default 4317)"
    )
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    p.add_argument("--data-dir", default=".spyglass-demo", help="data folder (default ./.spyglass-demo)")
    p.add_argument("--hours", type=float, default=24.0, help="hours of history to back-fill (default 24)")
    p.add_argument(
        "--live-seconds",
        type=float,
        default=0.0,
        help="stop after this much live traffic (default: run until Ctrl-C)",
    )
    p.add_argument("--scale", type=float, default=1.0, help="multiply the back-filled volume (default 1.0)")
    p.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    p.add_argument(
        "--no-failures",
        action="store_true",
        help="a healthy run: the same traffic without the stories' failures (no incident should open)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        from spyglass.demo import DemoOptions, run_demo
    except ModuleNotFoundError as exc:
        print(
            f"spyglass demo needs the server and demo extras (missing {exc.name}): "
            "pip install 'spyglass[server,demo]'",
            file=sys.stderr,
        )
        return 2
    if args.hours <= 0 or args.scale <= 0 or args.live_seconds < 0:
        print("spyglass demo: --hours and --scale must be > 0, --live-seconds >= 0", file=sys.stderr)
        return 2
    options = DemoOptions(
        data_dir=Path(args.data_dir),
        host=args.host,
        port=args.port,
        grpc_port=args.grpc_port,
        hours=args.hours,
        live_seconds=args.live_seconds,
        scale=args.scale,
        seed=args.seed,
        failures=not args.no_failures,
    )
    return run_demo(options)
