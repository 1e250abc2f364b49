from __future__ import annotations

from pathlib import Path

import pytest

from spyglass.store.meta import DEFAULT_PROJECT_ID, MetaStore, Scope, hash_key

pytestmark = pytest.mark.unit


@pytest.fixture
def meta(tmp_path: Path) -> MetaStore:
    store = MetaStore.for_data_dir(tmp_path)
    store.create_all()
    return store


def test_bootstrap_creates_default_project_and_one_admin_key_once(meta: MetaStore) -> None:
    first = meta.bootstrap()
    assert first.project.id == DEFAULT_PROJECT_ID
    assert first.admin_secret is not None and first.admin_secret.startswith("sg_")
    assert len(first.admin_secret) == 3 + 32
    key = meta.verify_key(first.admin_secret)
    assert key is not None and key.scope is Scope.ADMIN and key.project_id == DEFAULT_PROJECT_ID
    second = meta.bootstrap()
    assert second.admin_secret is None  # not re-created on restart
    assert len(meta.list_keys(DEFAULT_PROJECT_ID)) == 1


def test_env_key_is_ensured_idempotently_and_stored_hashed(meta: MetaStore, tmp_path: Path) -> None:
    secret = "sg_" + "a" * 32
    assert meta.bootstrap(secret).admin_secret is None
    meta.bootstrap(secret)
    rows = meta.list_keys(DEFAULT_PROJECT_ID)
    assert len(rows) == 1 and "key_hash" not in rows[0]
    on_disk = b"".join(p.read_bytes() for p in tmp_path.glob("meta.sqlite*"))  # db + WAL
    assert secret.encode() not in on_disk
    assert hash_key(secret).encode() in on_disk
    assert meta.verify_key(secret) is not None


def test_env_key_must_look_like_a_key(meta: MetaStore) -> None:
    with pytest.raises(ValueError, match="sg_"):
        meta.bootstrap("hunter2")


def test_verify_rejects_unknown_revoked_and_malformed(meta: MetaStore) -> None:
    project = meta.create_project("B")
    created = meta.create_key(project.id, "ingest", "ci")
    assert meta.verify_key(created.secret) == created.key
    assert meta.verify_key(created.secret[:-1] + ("x" if created.secret[-1] != "x" else "y")) is None
    assert (
        meta.verify_key("") is None and meta.verify_key(None) is None and meta.verify_key("Bearer x") is None
    )
    meta.revoke_key(created.key.id)
    assert meta.verify_key(created.secret) is None  # the cache is cleared on revoke


def test_scope_admin_allows_everything_others_only_themselves() -> None:
    assert Scope.ADMIN.allows(Scope.INGEST) and Scope.ADMIN.allows(Scope.READ)
    assert Scope.READ.allows(Scope.READ) and not Scope.READ.allows(Scope.INGEST)
    assert not Scope.INGEST.allows(Scope.READ) and not Scope.INGEST.allows(Scope.ADMIN)


def test_other_modules_can_add_tables_to_metadata(tmp_path: Path) -> None:
    import sqlalchemy as sa

    store = MetaStore.for_data_dir(tmp_path)
    table = sa.Table("test_extra_rows", store.metadata, sa.Column("id", sa.Integer, primary_key=True))
    try:
        store.create_all()
        with store.engine.begin() as conn:
            conn.execute(table.insert().values(id=1))
    finally:
        store.metadata.remove(table)
