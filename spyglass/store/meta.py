"""Metadata store: projects and API keys (and, through ``metadata``, other small tables).

SQLAlchemy Core over any URL: a ``meta.sqlite`` file in the data dir by default,
PostgreSQL when scaled out. Spans never live here (they go to the span store); this holds
the few rows that say *who* may send and read *which* project.

Keys are ``sg_`` + 32 url-safe characters, shown once and stored only as a SHA-256 hash.
Verifying a key hashes it and looks the hash up by index: the secret never meets a
byte-by-byte comparison, so timing reveals nothing about it. Valid keys are cached for a
few seconds because ``verify_key`` sits on the ingest hot path.

Threading: every method is synchronous and thread-safe (one pooled connection per call);
async callers on the hot path hit the in-memory cache and never block on I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

KEY_PREFIX = "sg_"
DEFAULT_PROJECT_ID = "default"
DEFAULT_PROJECT_NAME = "Default"

# Other modules (alerts …) add their tables to this MetaData before ``create_all``.
metadata = sa.MetaData()

projects = sa.Table(
    "projects",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("project_id", sa.String(64), sa.ForeignKey("projects.id"), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("scope", sa.String(16), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("revoked", sa.Boolean, nullable=False, default=False),
)


class Scope(StrEnum):
    """What a key may do. ``admin`` implies ``read`` and ``ingest``."""

    INGEST = "ingest"
    READ = "read"
    ADMIN = "admin"

    def allows(self, required: Scope) -> bool:
        return self is Scope.ADMIN or self is required


@dataclass(frozen=True, slots=True)
class Project:
    id: str
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A verified key, without its secret."""

    id: str
    project_id: str
    name: str
    scope: Scope


@dataclass(frozen=True, slots=True)
class CreatedKey:
    """A freshly created key: ``secret`` is the only time the plaintext exists."""

    key: ApiKey
    secret: str


@dataclass(frozen=True, slots=True)
class Bootstrap:
    """What first start did: ``admin_secret`` is set only when a key was just created."""

    project: Project
    admin_secret: str | None


def new_key_secret() -> str:
    """A random key: ``sg_`` + 32 url-safe characters (192 bits)."""
    return KEY_PREFIX + secrets.token_urlsafe(24)


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def default_url(data_dir: str | Path) -> str:
    return f"sqlite:///{Path(data_dir) / 'meta.sqlite'}"


class MetaStore:
    """Projects and API keys over SQLAlchemy Core.

    ``MetaStore(url)`` creates the engine at once (no connection yet); call
    ``create_all()`` before use, then ``bootstrap()`` on first start.
    """

    metadata: sa.MetaData = metadata

    def __init__(self, url: str, *, cache_ttl_s: float = 10.0, touch_interval_s: float = 60.0) -> None:
        self.url = url
        self.engine: Engine = self._make_engine(url)
        self._cache_ttl_s = cache_ttl_s
        self._touch_interval_s = touch_interval_s
        self._cache: dict[str, tuple[ApiKey, float]] = {}
        self._last_touch: dict[str, float] = {}
        self._lock = threading.Lock()

    @classmethod
    def for_data_dir(cls, data_dir: str | Path, **kwargs: Any) -> MetaStore:
        Path(data_dir).mkdir(parents=True, exist_ok=True)
        return cls(default_url(data_dir), **kwargs)

    @staticmethod
    def _make_engine(url: str) -> Engine:
        if not url.startswith("sqlite"):
            return sa.create_engine(url, pool_pre_ping=True)
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # WAL lets readers (UI) proceed while a key is being created.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine

    def create_all(self) -> None:
        """Create every table registered on ``metadata`` (idempotent)."""
        self.metadata.create_all(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            return True
        except sa.exc.SQLAlchemyError:
            return False

    # projects -------------------------------------------------------------------------

    def create_project(self, name: str, *, project_id: str | None = None) -> Project:
        project = Project(id=project_id or "prj_" + secrets.token_hex(8), name=name, created_at=_now())
        with self.engine.begin() as conn:
            conn.execute(
                projects.insert().values(id=project.id, name=project.name, created_at=project.created_at)
            )
        return project

    def get_project(self, project_id: str) -> Project | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(projects).where(projects.c.id == project_id)).first()
        return Project(id=row.id, name=row.name, created_at=row.created_at) if row else None

    def list_projects(self) -> list[Project]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(projects).order_by(projects.c.created_at)).all()
        return [Project(id=r.id, name=r.name, created_at=r.created_at) for r in rows]

    # keys -----------------------------------------------------------------------------

    def create_key(self, project_id: str, scope: Scope | str, name: str = "") -> CreatedKey:
        """Create a random key for ``project_id``; the plaintext is returned once, never stored."""
        return self._insert_key(project_id, Scope(scope), name, new_key_secret())

    def ensure_key(self, project_id: str, secret: str, scope: Scope | str, name: str = "") -> ApiKey:
        """Make ``secret`` a valid key of ``project_id`` (idempotent: an existing row is reused
        and un-revoked). Used for ``SPYGLASS_API_KEY`` so automation knows the key in advance."""
        key_hash = hash_key(secret)
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(api_keys).where(api_keys.c.key_hash == key_hash)).first()
            if row is not None:
                if row.project_id != project_id:
                    raise ValueError("this API key already belongs to another project")
                if row.revoked:
                    conn.execute(api_keys.update().where(api_keys.c.id == row.id).values(revoked=False))
                return ApiKey(id=row.id, project_id=row.project_id, name=row.name, scope=Scope(row.scope))
        return self._insert_key(project_id, Scope(scope), name, secret).key

    def _insert_key(self, project_id: str, scope: Scope, name: str, secret: str) -> CreatedKey:
        key = ApiKey(id="key_" + secrets.token_hex(8), project_id=project_id, name=name, scope=scope)
        with self.engine.begin() as conn:
            conn.execute(
                api_keys.insert().values(
                    id=key.id,
                    project_id=project_id,
                    name=name,
                    scope=scope.value,
                    key_hash=hash_key(secret),
                    created_at=_now(),
                    revoked=False,
                )
            )
        return CreatedKey(key=key, secret=secret)

    def revoke_key(self, key_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(api_keys.update().where(api_keys.c.id == key_id).values(revoked=True))
        with self._lock:
            self._cache = {h: v for h, v in self._cache.items() if v[0].id != key_id}

    def verify_key(self, secret: str | None) -> ApiKey | None:
        """The key's identity if ``secret`` is a valid, unrevoked key, else ``None``.

        Cached for ``cache_ttl_s`` (a revocation through this store applies at once; one made
        by another process within the TTL). ``last_used_at`` is written at most once per
        ``touch_interval_s`` per key, so the hot path rarely writes.
        """
        if not secret or not secret.startswith(KEY_PREFIX) or len(secret) > 200:
            return None
        key_hash = hash_key(secret)
        now = time.monotonic()
        cached = self._cache.get(key_hash)
        if cached is not None and cached[1] > now:
            return cached[0]
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(api_keys).where(api_keys.c.key_hash == key_hash, api_keys.c.revoked.is_(False))
            ).first()
        # Defence in depth: the index lookup already matched, compare in constant time anyway.
        if row is None or not hmac.compare_digest(row.key_hash, key_hash):
            return None
        key = ApiKey(id=row.id, project_id=row.project_id, name=row.name, scope=Scope(row.scope))
        with self._lock:
            self._cache[key_hash] = (key, now + self._cache_ttl_s)
            touch_due = now - self._last_touch.get(key.id, -1e18) >= self._touch_interval_s
            if touch_due:
                self._last_touch[key.id] = now
        if touch_due:
            with self.engine.begin() as conn:
                conn.execute(api_keys.update().where(api_keys.c.id == key.id).values(last_used_at=_now()))
        return key

    def list_keys(self, project_id: str) -> list[dict[str, Any]]:
        """Key rows of a project, without hashes (for admin listings)."""
        cols = [c for c in api_keys.c if c.name != "key_hash"]
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(*cols).where(api_keys.c.project_id == project_id)).all()
        return [dict(r._mapping) for r in rows]

    # first start ----------------------------------------------------------------------

    def ensure_default_project(self) -> Project:
        """Create the tables and the default project if missing (idempotent, race-safe)."""
        self.create_all()
        project = self.get_project(DEFAULT_PROJECT_ID)
        if project is None:
            try:
                project = self.create_project(DEFAULT_PROJECT_NAME, project_id=DEFAULT_PROJECT_ID)
            except sa.exc.IntegrityError:  # another process won the race
                project = self.get_project(DEFAULT_PROJECT_ID)
                assert project is not None
        return project

    def bootstrap(self, api_key: str | None = None) -> Bootstrap:
        """Ensure the default project exists with an admin key (idempotent).

        With ``api_key`` (``SPYGLASS_API_KEY``) that key is ensured as the default project's
        admin key and nothing random is created. Without it, an admin key is created only
        when the default project has no key yet; its secret is returned to be printed once.
        """
        if api_key is not None and not api_key.startswith(KEY_PREFIX):
            raise ValueError(f"SPYGLASS_API_KEY must start with {KEY_PREFIX!r}")
        project = self.ensure_default_project()
        if api_key is not None:
            self.ensure_key(project.id, api_key, Scope.ADMIN, "SPYGLASS_API_KEY")
            return Bootstrap(project=project, admin_secret=None)
        if self.list_keys(project.id):
            return Bootstrap(project=project, admin_secret=None)
        return Bootstrap(
            project=project, admin_secret=self.create_key(project.id, Scope.ADMIN, "initial admin").secret
        )
