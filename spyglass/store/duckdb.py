"""DuckDB event store: one ``events.duckdb`` file in the data dir (the only duckdb import).

Writes bulk-load pyarrow tables built column by column from the canonical spans (no
``executemany``), de-duplicate against the stored spans of the touched traces only (bounded
by the time range those traces already cover, so zonemaps on ``start_time_ns`` prune the
scan and the cost stays flat as the table grows), and recompute the ``traces`` rollup of
every touched trace from the stored spans, all in one transaction.

Threading: ``write_batch``/``write_feedback`` serialise on a lock (one writer at a time);
``query`` runs on a per-thread cursor so readers on several threads do not block each
other (DuckDB MVCC gives each a consistent snapshot). Every method blocks.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import sqlglot.expressions as exp

from spyglass.model.span import LlmSpan
from spyglass.store.arrow_batch import (  # noqa: F401  (re-exported: previews, schema)
    LLM_KIND,
    SpanTables,
    arrow_schema,
    build_tables,
    input_preview,
    llm_wrapper_mask,
    output_preview,
    with_counted,
)
from spyglass.store.base import Feedback, SpanDataError, StoreError, WriteStats
from spyglass.store.schema import TABLES, Column

DB_FILE_NAME = "events.duckdb"

# Errors about the values written (an overflowing sum in a rollup, a failed cast), as opposed
# to the database's own state (I/O, memory, a closed file): see ``SpanDataError``.
_DATA_ERRORS = (duckdb.DataError,)  # ConversionException, OutOfRangeException, TypeMismatch…

_DUCK_TYPES = {
    "id": "VARCHAR",
    "lowcard": "VARCHAR",  # DuckDB dictionary-compresses low-cardinality strings itself
    "text": "VARCHAR",
    "json": "VARCHAR",  # JSON text; parsed by the query layer, never filtered in SQL
    "int64": "BIGINT",
    "float64": "DOUBLE",
    "bool": "BOOLEAN",
    "ts_ns": "BIGINT",
    "str_list": "VARCHAR[]",
    "str_map": "MAP(VARCHAR, VARCHAR)",
}

# Ranking used for a trace's "worst" error class (higher = worse for an on-call engineer).
ERROR_CLASS_SEVERITY = {
    "other": 1,
    "tool_error": 2,
    "validation": 3,
    "content_filter": 4,
    "rate_limit": 5,
    "timeout": 6,
    "provider_5xx": 7,
    "auth": 8,
}


# DEFAULT of a column added to an existing table (others: NULL = "not reported")
_COLUMN_DEFAULTS = {("spans", "counted"): "true"}


def _ddl(table: str, columns: Sequence[Column]) -> str:
    cols = ", ".join(f"{c.name} {_DUCK_TYPES[c.type]}" for c in columns)
    return f"CREATE TABLE IF NOT EXISTS {table} ({cols})"


def _json(v: Any) -> str | None:
    if v is None or (isinstance(v, list | dict) and not v):
        return None
    return orjson.dumps(v, default=str).decode()


def _severity_case(column: str) -> str:
    whens = " ".join(f"WHEN '{k}' THEN {v}" for k, v in ERROR_CLASS_SEVERITY.items())
    return f"CASE {column} {whens} ELSE 0 END"


_CONTEXT_DIMS = ("session_id", "user_id", "tenant_id", "feature", "environment", "release", "service_name")

# Rollup of the touched traces. Calls, tokens, cost and TTFT come from the counted spans only
# (an LLM span wrapping another LLM span of the same call is not counted: see ``counted`` in
# schema.py); span, error and schema-failure counts still count every span. The root is the earliest parentless span; until it
# arrives, the earliest span whose parent is missing; failing that, the earliest span. So a
# child never takes over the root's name or input. ``{source}`` holds every span of the
# traces to roll up: the stored spans of traces that already had spans, or, for traces the
# batch starts, just the batch (no scan of the spans table at all). The distinct lists use
# list_distinct(list(x)) (which also drops NULLs), not list(DISTINCT x): each DISTINCT
# aggregate builds its own hash table, and five of them were a third of the rollup's cost.
_ROLLUP_TEMPLATE = """
INSERT INTO traces
WITH s AS (
    SELECT sp.project_id, sp.trace_id, sp.span_id, sp.parent_span_id, sp.name, sp.kind, sp.status,
        sp.error_class, sp.start_time_ns, sp.end_time_ns, sp.request_model, sp.response_model,
        sp.provider, sp.prompt_name, sp.prompt_version, sp.input_tokens, sp.output_tokens,
        sp.cache_read_tokens, sp.total_tokens, sp.cost_total_usd, sp.ttft_ms, sp.refusal,
        sp.schema_valid, sp.tool_status, sp.input_preview, sp.output_preview, sp.counted,
        {dims}
    FROM {source}
),
ranked AS (
    SELECT s.*, row_number() OVER (
        PARTITION BY s.project_id, s.trace_id
        ORDER BY (s.parent_span_id IS NULL) DESC, (p.span_id IS NULL) DESC, s.start_time_ns, s.span_id
    ) AS rn
    FROM s LEFT JOIN s p
        ON p.project_id = s.project_id AND p.trace_id = s.trace_id AND p.span_id = s.parent_span_id
),
agg AS (
    SELECT project_id, trace_id,
        min(start_time_ns) AS start_time_ns,
        max(end_time_ns) AS end_time_ns,
        count(*) AS span_count,
        count(*) FILTER (WHERE status = 'error') AS error_count,
        count(*) FILTER (WHERE status = 'ok') AS ok_count,
        arg_max(error_class, {severity}) FILTER (WHERE error_class IS NOT NULL) AS worst_error,
        count(*) FILTER (WHERE kind = 'llm' AND counted) AS llm_call_count,
        sum(input_tokens) FILTER (WHERE counted) AS input_tokens,
        sum(output_tokens) FILTER (WHERE counted) AS output_tokens,
        sum(cache_read_tokens) FILTER (WHERE counted) AS cache_read_tokens,
        sum(coalesce(total_tokens, input_tokens + output_tokens, input_tokens, output_tokens))
            FILTER (WHERE counted) AS total_tokens,
        sum(cost_total_usd) FILTER (WHERE counted) AS cost_usd,
        list_sort(list_distinct(list(request_model))) AS models,
        list_sort(list_distinct(list(response_model))) AS response_models,
        list_sort(list_distinct(list(provider))) AS providers,
        list_sort(list_distinct(list(CASE WHEN prompt_version IS NULL THEN NULL
                 WHEN prompt_name IS NULL THEN prompt_version
                 ELSE prompt_name || '@' || prompt_version END))) AS prompt_versions,
        list_sort(list_distinct(list(service_name))) AS services,
        {first_dims},
        arg_min(ttft_ms, start_time_ns) FILTER (WHERE kind = 'llm' AND counted AND ttft_ms IS NOT NULL) AS ttft_ms,
        bool_or(refusal) AS refusal,
        count(*) FILTER (WHERE schema_valid = false) AS schema_failure_count,
        count(*) FILTER (WHERE kind = 'tool' AND (tool_status = 'error' OR status = 'error')) AS tool_error_count,
        arg_min(input_preview, start_time_ns) FILTER (WHERE input_preview IS NOT NULL) AS first_input,
        arg_max(output_preview, end_time_ns) FILTER (WHERE output_preview IS NOT NULL) AS last_output
    FROM s GROUP BY project_id, trace_id
)
SELECT a.project_id, a.trace_id, r.span_id, r.name, a.start_time_ns, a.end_time_ns,
    (a.end_time_ns - a.start_time_ns) / 1e6,
    CASE WHEN a.error_count > 0 THEN 'error' WHEN a.ok_count > 0 THEN 'ok' ELSE 'unset' END,
    coalesce(CASE WHEN r.status = 'error' THEN r.error_class END, a.worst_error),
    a.span_count, a.error_count, a.llm_call_count, a.input_tokens, a.output_tokens,
    a.cache_read_tokens, a.total_tokens, a.cost_usd, a.models, a.response_models, a.providers,
    a.prompt_versions, a.services,
    {root_dims},
    a.ttft_ms, coalesce(a.refusal, false), a.schema_failure_count, a.tool_error_count,
    coalesce(r.input_preview, a.first_input), coalesce(r.output_preview, a.last_output)
FROM agg a JOIN ranked r ON r.project_id = a.project_id AND r.trace_id = a.trace_id AND r.rn = 1
"""


def _rollup_sql(source: str) -> str:
    return _ROLLUP_TEMPLATE.format(
        source=source,
        dims=", ".join("sp." + d for d in _CONTEXT_DIMS),
        severity=_severity_case("error_class"),
        first_dims=", ".join(
            f"arg_min({d}, start_time_ns) FILTER (WHERE {d} IS NOT NULL) AS first_{d}" for d in _CONTEXT_DIMS
        ),
        root_dims=", ".join(f"coalesce(r.{d}, a.first_{d})" for d in _CONTEXT_DIMS),
    )


# traces the batch starts: roll up from the batch alone
_ROLLUP_NEW_SQL = _rollup_sql(
    """_batch_spans sp ANTI JOIN _existing k ON sp.project_id = k.project_id AND sp.trace_id = k.trace_id"""
)
# traces that already had spans: from the stored spans (batch included), time-bounded so
# zonemaps on start_time_ns prune the scan
_ROLLUP_EXISTING_SQL = _rollup_sql(
    """spans sp SEMI JOIN _existing k ON sp.project_id = k.project_id AND sp.trace_id = k.trace_id
    WHERE sp.start_time_ns BETWEEN $lo AND $hi"""
)


class DuckDBStore:
    """Event store on one DuckDB file (``<data_dir>/events.duckdb``; in memory if None).

    See the module docstring for the threading rules. ``threads``/``memory_limit`` cap
    DuckDB's own parallelism and memory (the server shares the machine)."""

    dialect = "duckdb"

    def __init__(
        self, data_dir: str | Path | None, *, threads: int | None = None, memory_limit: str | None = None
    ) -> None:
        # Fold the WAL into the file every ~256 MB rather than DuckDB's 16 MB default: a
        # checkpoint recompresses the tables, and doing it after every batch costs 3x the write.
        config: dict[str, Any] = {"checkpoint_threshold": "256MB"}
        if threads:
            config["threads"] = threads
        if memory_limit:
            config["memory_limit"] = memory_limit
        if data_dir is None:
            self.path: Path | None = None
            self._con = duckdb.connect(":memory:", config=config)
        else:
            Path(data_dir).mkdir(parents=True, exist_ok=True)
            self.path = Path(data_dir) / DB_FILE_NAME
            self._con = duckdb.connect(str(self.path), config=config)
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self._closed = False
        for table, columns in TABLES.items():
            self._con.execute(_ddl(table, columns))
        self._add_missing_columns()

    def _add_missing_columns(self) -> None:
        """Bring a data dir created by an earlier version up to ``TABLES``: add the columns
        it lacks (at the end, where ``TABLES`` lists them). ``spans.counted`` is then
        derived for the stored spans and the rollups of the traces it changes recomputed."""
        con = self._con
        con.execute("BEGIN TRANSACTION")
        try:
            added: list[tuple[str, str]] = []
            for table, columns in TABLES.items():
                have = {
                    r[0]
                    for r in con.execute(
                        """SELECT column_name FROM information_schema.columns
                           WHERE table_name = $t AND table_schema = current_schema()""",
                        {"t": table},
                    ).fetchall()
                }
                for c in columns:
                    if c.name not in have:
                        default = _COLUMN_DEFAULTS.get((table, c.name), "NULL")
                        con.execute(
                            f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {c.name} {_DUCK_TYPES[c.type]} "
                            f"DEFAULT {default}"
                        )
                        added.append((table, c.name))
            if ("spans", "counted") in added:
                self._mark_stored_wrappers(con)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    @staticmethod
    def _mark_stored_wrappers(con: duckdb.DuckDBPyConnection) -> None:
        """Every stored LLM span with a direct LLM child is a wrapper; recompute the rollup of
        the traces holding one (once, when ``counted`` is added to an existing data dir)."""
        con.execute(
            """CREATE TEMP TABLE _wrapped AS
               SELECT DISTINCT c.project_id, c.trace_id, c.parent_span_id AS span_id
               FROM spans c JOIN spans p ON p.project_id = c.project_id AND p.trace_id = c.trace_id
                   AND p.span_id = c.parent_span_id
               WHERE c.kind = 'llm' AND p.kind = 'llm' AND c.parent_span_id <> c.span_id"""
        )
        try:
            con.execute(
                """UPDATE spans SET counted = false FROM _wrapped w
                   WHERE spans.project_id = w.project_id AND spans.trace_id = w.trace_id
                     AND spans.span_id = w.span_id AND spans.kind = 'llm'"""
            )
            con.execute("CREATE TEMP TABLE _existing AS SELECT DISTINCT project_id, trace_id FROM _wrapped")
            row = con.execute(
                """SELECT min(start_time_ns), max(greatest(start_time_ns, end_time_ns)) FROM spans
                   SEMI JOIN _existing k ON spans.project_id = k.project_id AND spans.trace_id = k.trace_id"""
            ).fetchone()
            if row is not None and row[0] is not None:
                con.execute(
                    """DELETE FROM traces USING _existing k
                       WHERE traces.project_id = k.project_id AND traces.trace_id = k.trace_id"""
                )
                con.execute(_ROLLUP_EXISTING_SQL, {"lo": int(row[0]), "hi": int(row[1])})
        finally:
            con.execute("DROP TABLE IF EXISTS _wrapped")
            con.execute("DROP TABLE IF EXISTS _existing")

    # ---- writes -------------------------------------------------------------------------

    def write_batch(self, spans: Sequence[LlmSpan]) -> WriteStats:
        """See ``SpanStore.write_batch``."""
        if not spans:
            return WriteStats()
        return self.write_tables(build_tables(spans))

    def write_tables(self, tables: SpanTables) -> WriteStats:
        """``write_batch`` for spans already built into Arrow tables (``build_tables``), e.g.
        by an ingest worker process. Same contract: one transaction, idempotent on
        (project_id, trace_id, span_id), the first copy of a key within the batch wins."""
        t0 = time.perf_counter()
        stats = WriteStats(received=tables.num_rows)
        if not tables.num_rows:
            return stats
        first: dict[tuple[str, str, str], int] = {}
        for i, key in enumerate(tables.keys()):
            first.setdefault(key, i)
        if len(first) < tables.num_rows:
            tables = tables.take(list(first.values()))
        # LLM spans wrapping an LLM child of this batch are not counted (the rest of each
        # trace is looked at in the transaction: _link_across_batches)
        tables = SpanTables(with_counted(tables.spans, llm_wrapper_mask(tables.spans)), tables.payloads)
        touched_keys = dict.fromkeys((p, t) for p, t, _ in first)
        touched = pa.table(
            {
                "project_id": pa.array([k[0] for k in touched_keys], pa.string()),
                "trace_id": pa.array([k[1] for k in touched_keys], pa.string()),
            }
        )
        with self._write_lock:
            con = self._con
            registered: list[str] = []
            try:
                for name, table in (
                    ("_batch_spans", tables.spans),
                    ("_batch_payloads", tables.payloads),
                    ("_touched", touched),
                ):
                    con.register(name, table)
                    registered.append(name)
                con.execute("BEGIN TRANSACTION")
                try:
                    # Traces that already have a rollup are the only ones that can hold
                    # stored spans: duplicates are looked for there, and only they need a
                    # rollup recomputed from the stored spans.
                    existing = con.execute(
                        """SELECT t.project_id, t.trace_id FROM traces t SEMI JOIN _touched k
                           ON t.project_id = k.project_id AND t.trace_id = k.trace_id"""
                    ).fetchall()
                    con.register(
                        "_existing",
                        pa.table(
                            {
                                "project_id": pa.array([r[0] for r in existing], pa.string()),
                                "trace_id": pa.array([r[1] for r in existing], pa.string()),
                            }
                        ),
                    )
                    registered.append("_existing")
                    lo = hi = 0
                    dup_count = 0
                    if existing:
                        lo, hi = self._existing_range(con)
                        dup_rows = con.execute(
                            """SELECT b.project_id, b.trace_id, b.span_id FROM _batch_spans b
                               SEMI JOIN _existing k ON b.project_id = k.project_id AND b.trace_id = k.trace_id
                               SEMI JOIN (SELECT project_id, trace_id, span_id FROM spans
                                          WHERE start_time_ns BETWEEN $lo AND $hi) s
                               ON s.project_id = b.project_id AND s.trace_id = b.trace_id
                                  AND s.span_id = b.span_id""",
                            {"lo": lo, "hi": hi},
                        ).fetchall()
                        if dup_rows:
                            dups = set(dup_rows)
                            keep = pa.array([k not in dups for k in first])
                            tables = SpanTables(tables.spans.filter(keep), tables.payloads.filter(keep))
                            con.unregister("_batch_payloads")
                            con.register("_batch_payloads", tables.payloads)
                            dup_count = len(dups)
                        linked = self._link_across_batches(con, tables.spans, existing, lo, hi)
                        if linked is not tables.spans or dup_rows:
                            con.unregister("_batch_spans")
                            con.register("_batch_spans", linked)
                    inserted = len(first) - dup_count
                    if inserted:
                        con.execute("INSERT INTO spans BY NAME SELECT * FROM _batch_spans")
                        con.execute("INSERT INTO span_payloads SELECT * FROM _batch_payloads")
                        if existing:
                            con.execute(
                                """DELETE FROM traces USING _existing k
                                   WHERE traces.project_id = k.project_id AND traces.trace_id = k.trace_id"""
                            )
                            con.execute(_ROLLUP_EXISTING_SQL, {"lo": lo, "hi": hi})
                        if len(existing) < len(touched_keys):
                            con.execute(_ROLLUP_NEW_SQL)
                        # feedback sent by request id before its span arrived: attach it now
                        con.execute(
                            """UPDATE feedback SET trace_id = b.trace_id FROM _batch_spans b
                               WHERE feedback.trace_id IS NULL AND feedback.request_id = b.response_id
                                 AND feedback.project_id = b.project_id"""
                        )
                    con.execute("COMMIT")
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
            except _DATA_ERRORS as e:
                raise SpanDataError(f"write_batch refused the data: {e}") from e
            except duckdb.Error as e:
                raise StoreError(f"write_batch failed: {e}") from e
            finally:
                for name in registered:
                    with contextlib.suppress(duckdb.Error):  # a closed connection has none left
                        con.unregister(name)
        stats.inserted = inserted
        stats.duplicates = stats.received - inserted
        stats.traces_touched = len(touched_keys) if inserted else 0
        stats.seconds = time.perf_counter() - t0
        return stats

    @staticmethod
    def _link_across_batches(
        con: duckdb.DuckDBPyConnection, spans: pa.Table, existing: list[Any], lo: int, hi: int
    ) -> pa.Table:
        """The batch's LLM spans in traces that already have stored spans, linked to those:
        a stored LLM child makes a batch span a wrapper (returned ``spans`` has it not
        counted), a batch LLM child makes a stored span one (UPDATE, before the insert).
        Returns ``spans`` itself when nothing changed. Within ``[lo, hi]`` (``_existing_range``)."""
        is_llm = pc.fill_null(pc.equal(spans.column("kind"), LLM_KIND), False)
        if not pc.any(is_llm).as_py():
            return spans
        in_trace = pc.binary_join_element_wise(spans.column("project_id"), spans.column("trace_id"), "/")
        old_traces = pa.array([f"{p}/{t}" for p, t in existing], pa.string())
        mask = pc.and_(is_llm, pc.is_in(in_trace, value_set=old_traces))
        if not pc.any(mask).as_py():
            return spans
        llm = spans.filter(mask).select(["project_id", "trace_id", "span_id", "parent_span_id"])
        con.register("_batch_llm", llm)
        try:
            parents = con.execute(
                """SELECT DISTINCT s.project_id || '/' || s.trace_id || '/' || s.parent_span_id
                   FROM spans s SEMI JOIN _batch_llm b ON s.project_id = b.project_id
                       AND s.trace_id = b.trace_id AND s.parent_span_id = b.span_id
                   WHERE s.kind = 'llm' AND s.start_time_ns BETWEEN $lo AND $hi""",
                {"lo": lo, "hi": hi},
            ).fetchall()
            # a stored parent is only possible for a child whose parent is not in the batch
            own = pc.binary_join_element_wise(
                spans.column("project_id"), spans.column("trace_id"), spans.column("span_id"), "/"
            )
            named = pc.binary_join_element_wise(
                llm.column("project_id"), llm.column("trace_id"), llm.column("parent_span_id"), "/"
            )
            if not pc.all(pc.fill_null(pc.is_in(named, value_set=own.combine_chunks()), True)).as_py():
                con.execute(
                    """UPDATE spans SET counted = false
                       FROM (SELECT DISTINCT project_id, trace_id, parent_span_id FROM _batch_llm
                             WHERE parent_span_id <> span_id) b
                       WHERE spans.project_id = b.project_id AND spans.trace_id = b.trace_id
                         AND spans.span_id = b.parent_span_id AND spans.kind = 'llm' AND spans.counted
                         AND spans.start_time_ns BETWEEN $lo AND $hi""",
                    {"lo": lo, "hi": hi},
                )
        finally:
            con.unregister("_batch_llm")
        if not parents:
            return spans
        wrapped = pc.is_in(own, value_set=pa.array([r[0] for r in parents], pa.string()))
        return with_counted(spans, pc.or_(pc.invert(spans.column("counted")), wrapped))

    @staticmethod
    def _existing_range(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
        """Start-time range holding every stored span of the ``_existing`` traces plus their
        spans in the batch (the rollup keeps each trace's min start / max end, so one lookup
        bounds the scan)."""
        row = con.execute(
            """SELECT min(lo), max(hi) FROM (
                   SELECT t.start_time_ns AS lo, t.end_time_ns AS hi FROM traces t SEMI JOIN _existing k
                       ON t.project_id = k.project_id AND t.trace_id = k.trace_id
                   UNION ALL
                   SELECT b.start_time_ns, greatest(b.start_time_ns, b.end_time_ns) FROM _batch_spans b
                   SEMI JOIN _existing k ON b.project_id = k.project_id AND b.trace_id = k.trace_id)"""
        ).fetchone()
        assert row is not None and row[0] is not None  # _existing is not empty
        return int(row[0]), int(row[1])

    def write_feedback(self, feedback: Feedback) -> str:
        """See ``SpanStore.write_feedback``. Feedback naming only a ``request_id`` gets the
        ``trace_id`` of the span with that ``response_id`` (now, or when the span arrives)."""
        fid = feedback.id or uuid.uuid4().hex
        created = feedback.created_at_ns or time.time_ns()
        with self._write_lock:
            try:
                trace_id = feedback.trace_id
                if trace_id is None and feedback.request_id:
                    row = self._con.execute(
                        "SELECT trace_id FROM spans WHERE project_id = $p AND response_id = $r LIMIT 1",
                        {"p": feedback.project_id, "r": feedback.request_id},
                    ).fetchone()
                    trace_id = row[0] if row else None
                self._con.execute(
                    "INSERT INTO feedback VALUES ($id, $p, $t, $r, $score, $thumbs, $comment, $source, $kind, $meta, $c)",
                    {
                        "id": fid,
                        "p": feedback.project_id,
                        "t": trace_id,
                        "r": feedback.request_id,
                        "score": feedback.score,
                        "thumbs": feedback.thumbs,
                        "comment": feedback.comment,
                        "source": feedback.source,
                        "kind": feedback.kind,
                        "meta": _json(feedback.metadata),
                        "c": created,
                    },
                )
            except duckdb.Error as e:
                raise StoreError(f"write_feedback failed: {e}") from e
        return fid

    # ---- reads --------------------------------------------------------------------------

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._con.cursor()
            self._local.cursor = cur
        return cur

    def query(self, sql: exp.Expr | str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """See ``SpanStore.query``. Only the params the SQL names are bound."""
        if self._closed:
            raise StoreError("store is closed")
        if isinstance(sql, exp.Expr):
            names = {p.name for p in sql.find_all(exp.Placeholder)}
            text = sql.sql(dialect=self.dialect)
        else:
            names = set(params or {})
            text = sql
        bound = {k: v for k, v in (params or {}).items() if k in names}
        try:
            cur = self._cursor().execute(text, bound)
            cols = [d[0] for d in cur.description or []]
            return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
        except duckdb.Error as e:
            raise StoreError(f"query failed: {e}\nSQL: {text}") from e

    def checkpoint(self) -> None:
        """Fold the WAL into the database file (for size measurements and clean shutdown)."""
        with self._write_lock:
            self._con.execute("CHECKPOINT")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with self._write_lock:
            self._con.close()
