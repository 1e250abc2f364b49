"""``spyglass serve``: build ``Services`` from the resolved settings and run the server.

Uvicorn serves HTTP and handles SIGINT/SIGTERM: it stops accepting connections, finishes
in-flight requests, then runs the app's lifespan shutdown, which drains the writer, so a
clean stop never loses an acknowledged span.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import signal
import sys
from typing import Any

# Components that extend the server: each module offers ``install(services: Services) -> None``
# which may append to ``services.background_tasks`` and ``services.routers`` (alerts add their
# evaluation loop and API here). Add a module path to enable a component.
COMPONENTS: tuple[str, ...] = ("spyglass.server.api.alerts",)  # alerts router + evaluation loop

_SERVER_MODULES = (
    "fastapi",
    "uvicorn",
    "duckdb",
    "sqlglot",
    "sqlalchemy",
    "grpc",
    "prometheus_client",
    "orjson",
)
MISSING_EXTRA = "spyglass serve needs the server extra: pip install 'spyglass[server]'"


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "serve",
        help="run the Spyglass server (OTLP ingest, API, UI)",
        description="Run the server. Every option also reads SPYGLASS_<NAME> from the environment "
        "and the config file; flags win over environment, environment over file.",
    )
    p.add_argument("--host", help="interface to bind (default 127.0.0.1; env SPYGLASS_HOST)")
    p.add_argument(
        "--port", type=int, help="HTTP port: API, UI and OTLP/HTTP (default 4318; env SPYGLASS_PORT)"
    )
    p.add_argument(
        "--grpc-port", type=int, help="OTLP/gRPC port, 0 = off (default 4317; env SPYGLASS_GRPC_PORT)"
    )
    p.add_argument("--data-dir", help="where data lives (default ./.spyglass; env SPYGLASS_DATA_DIR)")
    p.add_argument("--config", help="YAML config file (env SPYGLASS_CONFIG)")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.add_argument("--alert-rules", help="YAML alert rules file applied at start (see docs/alerts.md)")
    p.set_defaults(func=run)


def missing_server_modules() -> list[str]:
    return [m for m in _SERVER_MODULES if importlib.util.find_spec(m) is None]


def build_services(settings: Any) -> Any:
    """``Services`` for ``settings``: the span store, the metadata store, the writer, and
    whatever each of ``COMPONENTS`` installs."""
    from spyglass.server.services import Services
    from spyglass.store.duckdb import DuckDBStore
    from spyglass.store.meta import MetaStore
    from spyglass.store.writer import BatchWriter

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = DuckDBStore(settings.data_dir, memory_limit=settings.store_memory_limit)
    meta = MetaStore(settings.meta_url) if settings.meta_url else MetaStore.for_data_dir(settings.data_dir)
    services = Services(settings=settings, store=store, meta=meta, writer=BatchWriter(store))
    for name in COMPONENTS:
        importlib.import_module(name).install(services)
    return services


def run(args: argparse.Namespace) -> int:
    missing = missing_server_modules()
    if missing:
        print(MISSING_EXTRA, file=sys.stderr)
        return 2
    import uvicorn

    from spyglass.cli.config import ConfigError, resolve_settings
    from spyglass.server.app import create_app

    flags = {"host": args.host, "port": args.port, "grpc_port": args.grpc_port, "data_dir": args.data_dir}
    try:
        settings = resolve_settings(flags, config_path=args.config)
    except ConfigError as exc:
        print(f"spyglass serve: {exc}", file=sys.stderr)
        return 2
    if args.alert_rules:
        settings.extra.setdefault("alerts", {})["rules_file"] = args.alert_rules
    try:
        services = build_services(settings)
    except ValueError as exc:  # a bad --alert-rules file: RuleError names the field
        print(f"spyglass serve: {exc}", file=sys.stderr)
        return 2
    try:
        boot = services.meta.bootstrap(settings.api_key)
    except ValueError as exc:
        print(f"spyglass serve: {exc}", file=sys.stderr)
        return 2
    app = create_app(settings, services)

    grpc = f"OTLP/gRPC on {settings.host}:{settings.grpc_port}" if settings.grpc_port else "OTLP/gRPC off"
    print(
        f"Spyglass on {settings.public_url}  (OTLP/HTTP {settings.public_url}/v1/traces, {grpc})", flush=True
    )
    print(f"Data in {settings.data_dir.resolve()}", flush=True)
    if boot.admin_secret:
        print(
            f"Admin API key of project '{boot.project.id}' (shown once, stored hashed): {boot.admin_secret}",
            flush=True,
        )
        print(f"Open the UI: {settings.public_url}/login?key={boot.admin_secret}", flush=True)
    elif settings.api_key:
        print("API key: the value of SPYGLASS_API_KEY (admin of the default project)", flush=True)
    else:
        print("API keys are stored hashed; create one with: spyglass keys create --scope admin", flush=True)

    server = uvicorn.Server(
        uvicorn.Config(
            app, host=settings.host, port=settings.port, log_level=args.log_level, access_log=False
        )
    )
    # Uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal to the
    # previous handler; these handlers turn that into a normal exit with status 0.
    signal.signal(signal.SIGTERM, _raise_stop)
    with contextlib.suppress(KeyboardInterrupt, _Stop):
        server.run()
    return 0 if server.started else 1


class _Stop(Exception):
    pass


def _raise_stop(_signum: int, _frame: object) -> None:
    raise _Stop
