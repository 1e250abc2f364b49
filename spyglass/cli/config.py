"""Settings resolution for ``spyglass serve``: flags > environment > config file > defaults.

The config file (``--config spyglass.yaml`` or ``SPYGLASS_CONFIG``) is YAML. Top-level keys
named like ``Settings`` fields configure the server (``host``, ``port``, ``grpc_port``,
``data_dir``, ``api_key``, ``meta_url``, ``max_body_bytes``, ``rate_limit_rps``,
``rate_limit_burst``, ``store_memory_limit``); any other top-level section (``alerts:``, ``retention:`` …) is kept
untouched in ``Settings.extra`` for the component that owns it. Unknown *server* keys are
impossible to tell from other sections, so a typo shows up in ``extra``, not as an error.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from spyglass.server.settings import Settings

# Settings field -> environment variable.
ENV_VARS = {
    "host": "SPYGLASS_HOST",
    "port": "SPYGLASS_PORT",
    "grpc_port": "SPYGLASS_GRPC_PORT",
    "data_dir": "SPYGLASS_DATA_DIR",
    "api_key": "SPYGLASS_API_KEY",
    "meta_url": "SPYGLASS_META_URL",
    "max_body_bytes": "SPYGLASS_MAX_BODY_BYTES",
    "rate_limit_rps": "SPYGLASS_RATE_LIMIT_RPS",
    "rate_limit_burst": "SPYGLASS_RATE_LIMIT_BURST",
    "store_memory_limit": "SPYGLASS_STORE_MEMORY_LIMIT",
}
CONFIG_ENV_VAR = "SPYGLASS_CONFIG"


class ConfigError(ValueError):
    """A bad value in a flag, the environment or the config file (the message names it)."""


_FIELDS = {f.name: f for f in dataclasses.fields(Settings) if f.name != "extra"}


def _coerce(name: str, value: Any, source: str) -> Any:
    if value is None:
        return None
    kind = _FIELDS[name].type
    try:
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
        if kind == "Path":
            return Path(str(value)).expanduser()
        return str(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{source}: {name} must be {kind}, got {value!r}") from None


def read_config_file(path: str | Path) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping at the top level")
    return data


def resolve_settings(
    flags: Mapping[str, Any], env: Mapping[str, str] | None = None, config_path: str | Path | None = None
) -> Settings:
    """Merge the four sources; ``flags`` holds only what was given on the command line
    (``None`` = not given)."""
    env = os.environ if env is None else env
    config_path = config_path or env.get(CONFIG_ENV_VAR)
    file_data = read_config_file(config_path) if config_path else {}
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in file_data.items():
        if key in _FIELDS:
            values[key] = _coerce(key, value, f"config file {config_path}")
        else:
            extra[key] = value
    for name, var in ENV_VARS.items():
        if env.get(var) not in (None, ""):
            values[name] = _coerce(name, env[var], f"environment variable {var}")
    for name, value in flags.items():
        if name in _FIELDS and value is not None:
            values[name] = _coerce(name, value, f"--{name.replace('_', '-')}")
    settings = Settings(**values, extra=extra)
    for name in ("port", "grpc_port"):
        port = getattr(settings, name)
        if not 0 <= port <= 65535:
            raise ConfigError(f"{name} must be between 0 and 65535, got {port}")
    if settings.max_body_bytes <= 0:
        raise ConfigError("max_body_bytes must be positive")
    return settings
