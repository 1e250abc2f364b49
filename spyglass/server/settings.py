"""Server settings: one frozen value built by ``spyglass.cli.serve`` (flags > env > file > defaults).

Nothing here reads the environment; ``spyglass.cli.config`` does, so tests can build
``Settings(...)`` directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024
# A compressed body may be at most this many times smaller than the decompressed limit:
# the raw read is cut off at max_body_bytes * this factor, before any decompression.
COMPRESSED_READ_FACTOR = 4


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 4318
    grpc_port: int = 4317  # 0 = gRPC off
    data_dir: Path = Path(".spyglass")
    api_key: str | None = None  # SPYGLASS_API_KEY: the default project's admin key
    meta_url: str | None = None  # SQLAlchemy URL; None = sqlite file in data_dir
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES  # decompressed OTLP body limit
    rate_limit_rps: float = 0.0  # per-key ingest requests/s (0 = unlimited)
    rate_limit_burst: int = 0  # bucket size; 0 = 2 × rate
    # DuckDB's buffer memory (it defaults to 80 % of RAM, too much for a shared host).
    store_memory_limit: str = "512MB"
    # Sections of the config file owned by other components (alerts, retention …), untouched.
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def max_raw_body_bytes(self) -> int:
        return self.max_body_bytes * COMPRESSED_READ_FACTOR

    @property
    def public_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"
