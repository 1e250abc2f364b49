"""``spyglass`` command line: argparse with one module per subcommand.

Each module listed in ``COMMAND_MODULES`` defines ``register(subparsers)`` which adds its
parser and sets ``func=<callable(args) -> int>``. A module that is not installed yet (or
whose optional extra is missing at import) is simply not offered, so the bare SDK install
still has a working ``spyglass --help``. Modules must import lazily: heavy imports belong
inside ``func``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMAND_MODULES = (
    "spyglass.cli.serve",
    "spyglass.cli.keys",
    "spyglass.cli.demo",
    "spyglass.cli.fake_llm",
    "spyglass.cli.export",
    "spyglass.alerts.cli",  # spyglass alerts check|apply|default-pack
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spyglass", description="Self-hosted monitoring for LLM applications."
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # that subcommand is not part of this install
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    return int(func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
