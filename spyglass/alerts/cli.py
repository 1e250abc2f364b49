"""``spyglass alerts check|apply|default-pack``: manage alert rules kept in a YAML file.

``check`` validates offline (every error names the file and field); ``apply`` validates, then
sends the file to a running server (``POST /api/v1/alerts/apply`` with an admin key), which
creates or replaces its rules and channels by name; ``default-pack`` prints the default
rules as a starting point for the file in your repository.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser("alerts", help="check or apply alert rules (YAML)")
    sub = p.add_subparsers(dest="alerts_command", metavar="ACTION", required=True)
    check = sub.add_parser("check", help="validate a rules file offline")
    check.add_argument("file")
    check.set_defaults(func=run_check)
    apply = sub.add_parser("apply", help="validate a rules file and apply it to a running server")
    apply.add_argument("file")
    apply.add_argument(
        "--url",
        default=os.environ.get("SPYGLASS_URL", "http://127.0.0.1:4318"),
        help="server URL (env SPYGLASS_URL)",
    )
    apply.add_argument(
        "--key", default=os.environ.get("SPYGLASS_API_KEY"), help="admin API key (env SPYGLASS_API_KEY)"
    )
    apply.set_defaults(func=run_apply)
    pack = sub.add_parser("default-pack", help="print the default rule pack as YAML")
    pack.set_defaults(func=run_default_pack)


def _validate(path: str) -> tuple[int, str]:
    from spyglass.alerts.queries import validate_filter
    from spyglass.alerts.rules import RuleError, load_rule_file

    try:
        parsed = load_rule_file(path)
        for i, r in enumerate(parsed.rules):
            try:
                validate_filter(r.filter)
            except RuleError as e:
                raise RuleError(f"{path}: rules[{i}].{e}") from e
    except RuleError as e:
        print(f"spyglass alerts: {e}", file=sys.stderr)
        return 1, ""
    print(f"{path}: {len(parsed.rules)} rule(s), {len(parsed.channels)} channel(s) valid")
    with open(path, encoding="utf-8") as f:
        return 0, f.read()


def run_check(args: argparse.Namespace) -> int:
    return _validate(args.file)[0]


def run_apply(args: argparse.Namespace) -> int:
    import httpx

    code, text = _validate(args.file)
    if code:
        return code
    if not args.key:
        print(
            "spyglass alerts apply: an admin API key is needed (--key or SPYGLASS_API_KEY)", file=sys.stderr
        )
        return 2
    try:
        r = httpx.post(
            args.url.rstrip("/") + "/api/v1/alerts/apply",
            content=text.encode(),
            headers={"Authorization": f"Bearer {args.key}", "Content-Type": "application/yaml"},
            timeout=30,
        )
    except httpx.HTTPError as e:
        print(f"spyglass alerts apply: cannot reach {args.url}: {e}", file=sys.stderr)
        return 1
    if r.status_code != 200:
        print(f"spyglass alerts apply: HTTP {r.status_code}: {r.text}", file=sys.stderr)
        return 1
    counts = r.json()
    print(f"applied {counts['rules']} rule(s) and {counts['channels']} channel(s) to {args.url}")
    return 0


def run_default_pack(args: argparse.Namespace) -> int:
    from spyglass.alerts.rules import _DEFAULT_PACK

    sys.stdout.write(_DEFAULT_PACK.read_text(encoding="utf-8"))
    return 0
