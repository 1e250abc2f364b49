"""``spyglass export``: stream the traces matching a filter from a running server to JSONL.

A thin client of ``GET /api/v1/export`` (the server does the filtering and streaming), so it
works against any replica and needs only the standard library.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import urllib.error
import urllib.parse
import urllib.request
from typing import Any


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "export", help="export traces matching a filter as JSONL (one trace per line)"
    )
    p.add_argument("--url", default=os.environ.get("SPYGLASS_ENDPOINT", "http://127.0.0.1:4318"))
    p.add_argument(
        "--key", default=os.environ.get("SPYGLASS_API_KEY"), help="read key (env SPYGLASS_API_KEY)"
    )
    p.add_argument("-q", "--query", default="", help="filter, e.g. 'status:error feature:support'")
    p.add_argument("--start", default="-24h", help="ISO time, ns, or relative (-24h, -7d)")
    p.add_argument("--end", default="now")
    p.add_argument("-o", "--output", default="-", help="file to write (default: standard output)")
    p.set_defaults(func=export)


def export(args: argparse.Namespace) -> int:
    if not args.key:
        print("spyglass export: an API key is required (--key or SPYGLASS_API_KEY)", file=sys.stderr)
        return 2
    params = urllib.parse.urlencode({"q": args.query, "start": args.start, "end": args.end})
    request = urllib.request.Request(
        f"{args.url.rstrip('/')}/api/v1/export?{params}",
        headers={"Authorization": f"Bearer {args.key}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            if args.output == "-":
                shutil.copyfileobj(response, sys.stdout.buffer)
            else:
                with open(args.output, "wb") as out:
                    shutil.copyfileobj(response, out)
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")
        print(f"spyglass export: HTTP {exc.code}: {detail}", file=sys.stderr)
        return 1
    except urllib.error.URLError as exc:
        print(f"spyglass export: cannot reach {args.url}: {exc.reason}", file=sys.stderr)
        return 1
    return 0
