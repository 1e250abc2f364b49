"""``spyglass keys create``: mint an API key directly in the metadata store (lost admin key,
automation). Works while the server runs (the store is SQLite in WAL mode or a database)."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser("keys", help="manage API keys")
    sub = p.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    create = sub.add_parser("create", help="create a key and print it once")
    create.add_argument("--scope", choices=["ingest", "read", "admin"], default="admin")
    create.add_argument("--project", default="default", help="project id (default: the default project)")
    create.add_argument("--name", default="cli")
    create.add_argument("--data-dir", help="data directory (default ./.spyglass; env SPYGLASS_DATA_DIR)")
    create.add_argument("--config", help="YAML config file (env SPYGLASS_CONFIG)")
    create.set_defaults(func=create_key)


def create_key(args: argparse.Namespace) -> int:
    from spyglass.cli.config import ConfigError, resolve_settings
    from spyglass.store.meta import MetaStore

    try:
        settings = resolve_settings({"data_dir": args.data_dir}, config_path=args.config)
    except ConfigError as exc:
        print(f"spyglass keys: {exc}", file=sys.stderr)
        return 2
    meta = MetaStore(settings.meta_url) if settings.meta_url else MetaStore.for_data_dir(settings.data_dir)
    try:
        meta.ensure_default_project()
        if meta.get_project(args.project) is None:
            print(f"spyglass keys: no project {args.project!r}", file=sys.stderr)
            return 1
        created = meta.create_key(args.project, args.scope, args.name)
    finally:
        meta.close()
    print(created.secret)
    return 0
