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


def _server_arguments(parser: argparse.ArgumentParser, key_help: str) -> None:
    """--url and --key of a subcommand that talks to a running server."""
    parser.add_argument(
        "--url",
        default=os.environ.get("SPYGLASS_URL", "http://127.0.0.1:4318"),
        help="server URL (env SPYGLASS_URL)",
    )
    parser.add_argument(
        "--key", default=os.environ.get("SPYGLASS_API_KEY"), help=f"{key_help} (env SPYGLASS_API_KEY)"
    )


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser("alerts", help="check or apply alert rules (YAML)")
    sub = p.add_subparsers(dest="alerts_command", metavar="ACTION", required=True)
    check = sub.add_parser("check", help="validate a rules file offline")
    check.add_argument("file")
    check.set_defaults(func=run_check)
    apply = sub.add_parser("apply", help="validate a rules file and apply it to a running server")
    apply.add_argument("file")
    _server_arguments(apply, "admin API key")
    apply.set_defaults(func=run_apply)
    preview = sub.add_parser(
        "preview", help="backtest a rule (or each rule of a rules file) on a running server"
    )
    preview.add_argument("file", help="a YAML/JSON rule, or a rules file with rules:")
    preview.add_argument("--days", type=float, default=7.0, help="look back this many days (default 7)")
    preview.add_argument("--step", default=None, help="evaluation step, e.g. 1m (default the live interval)")
    _server_arguments(preview, "API key")
    preview.set_defaults(func=run_preview)
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


def _post(args: argparse.Namespace, command: str, path: str, timeout: float, **kwargs: Any) -> Any:
    """POST to the server named by --url with --key; the JSON answer, or None after printing
    why not (unreachable, or an HTTP error with the server's message)."""
    import httpx

    headers = {"Authorization": f"Bearer {args.key}", **kwargs.pop("headers", {})}
    try:
        r = httpx.post(args.url.rstrip("/") + path, headers=headers, timeout=timeout, **kwargs)
    except httpx.HTTPError as e:
        print(f"spyglass alerts {command}: cannot reach {args.url}: {e}", file=sys.stderr)
        return None
    if r.status_code != 200:
        print(f"spyglass alerts {command}: HTTP {r.status_code}: {r.text}", file=sys.stderr)
        return None
    return r.json()


def run_check(args: argparse.Namespace) -> int:
    return _validate(args.file)[0]


def run_apply(args: argparse.Namespace) -> int:

    code, text = _validate(args.file)
    if code:
        return code
    if not args.key:
        print(
            "spyglass alerts apply: an admin API key is needed (--key or SPYGLASS_API_KEY)", file=sys.stderr
        )
        return 2
    counts = _post(
        args,
        "apply",
        "/api/v1/alerts/apply",
        30,
        content=text.encode(),
        headers={"Content-Type": "application/yaml"},
    )
    if counts is None:
        return 1
    print(f"applied {counts['rules']} rule(s) and {counts['channels']} channel(s) to {args.url}")
    return 0


def run_default_pack(args: argparse.Namespace) -> int:
    from spyglass.alerts.rules import _DEFAULT_PACK

    sys.stdout.write(_DEFAULT_PACK.read_text(encoding="utf-8"))
    return 0


def _when(t: float | None) -> str:
    from datetime import UTC, datetime

    return "still firing" if t is None else datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M")


def _num(v: float | None) -> str:
    return "-" if v is None else f"{v:.4g}"


def print_preview(name: str, body: dict[str, Any]) -> None:
    """The episodes table and the notifications per day of one preview."""
    t = body["totals"]
    print(
        f"{name}: {t['episodes']} episode(s), {t['still_firing']} still firing; "
        f"{t['notifications']} notification(s) ({t['firing']} firing, {t['renotify']} renotify, "
        f"{t['resolved']} resolved), {t['suppressed']} suppressed; {body['evaluations']} evaluations "
        f"every {body['range']['step_s']:g} s"
    )
    if body["unknown_channels"]:
        print(f"  channels not defined in the project: {', '.join(body['unknown_channels'])}")
    if body["episodes"]:
        print(f"  {'start (UTC)':<17} {'end (UTC)':<17} {'peak':>10} {'threshold':>10}  group")
        for e in body["episodes"]:
            group = ", ".join(f"{k}={v}" for k, v in e["labels"].items()) or "all traffic"
            print(
                f"  {_when(e['start']):<17} {_when(e['end']):<17} {_num(e['peak_value']):>10} "
                f"{_num(e['peak_threshold']):>10}  {group}"
            )
        print("  per day: " + ", ".join(f"{d['day']} {d['notifications']}" for d in body["per_day"]))


def run_preview(args: argparse.Namespace) -> int:
    import yaml

    from spyglass.alerts.rules import RuleError, parse_rule, parse_rule_file

    try:
        with open(args.file, encoding="utf-8") as f:
            text = f.read()
        doc = yaml.safe_load(text)
        if isinstance(doc, dict) and ("rules" in doc or "channels" in doc):
            specs = [r.to_spec() for r in parse_rule_file(text, args.file).rules]
        else:
            specs = [parse_rule(doc, args.file).to_spec()]
    except (OSError, yaml.YAMLError, RuleError) as e:
        print(f"spyglass alerts preview: {e}", file=sys.stderr)
        return 1
    if not args.key:
        print("spyglass alerts preview: an API key is needed (--key or SPYGLASS_API_KEY)", file=sys.stderr)
        return 2
    params: dict[str, Any] = {"days": args.days}
    if args.step:
        params["step"] = args.step
    for spec in specs:
        result = _post(args, "preview", "/api/v1/alerts/rules/preview", 600, json=spec, params=params)
        if result is None:
            return 1
        print_preview(spec["name"], result)
    return 0
