"""The writer drops DuckDB to one thread for its transaction and must give readers back
the configured count, also when the write fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from spyglass.store.arrow_batch import build_tables
from spyglass.store.base import StoreError
from spyglass.store.duckdb import DuckDBStore
from tests.store.spans import chat, make_span


def _threads(store: DuckDBStore) -> int:
    return int(store.query("SELECT current_setting('threads') AS n")[0]["n"])


@pytest.mark.integration
def test_write_restores_the_configured_thread_count(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path, threads=2)
    try:
        store.write_batch([make_span(1, 1, **chat("q", "a")), make_span(1, 2, 1)])
        assert _threads(store) == 2
        assert store.query("SELECT count(*) AS n FROM spans")[0]["n"] == 2
    finally:
        store.close()


@pytest.mark.integration
def test_failed_write_restores_the_thread_count_too(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path, threads=2)
    try:
        tables = build_tables([make_span(1, 1)])
        store.query("DROP TABLE span_payloads")  # makes the payload insert fail inside the transaction
        with pytest.raises(StoreError):
            store.write_tables(tables)
        assert _threads(store) == 2
        assert store.query("SELECT count(*) AS n FROM spans")[0]["n"] == 0  # rolled back
    finally:
        store.close()
