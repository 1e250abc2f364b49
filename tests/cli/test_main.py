from __future__ import annotations

from pathlib import Path

import pytest

from spyglass.cli import main as cli_main
from spyglass.cli import serve

pytestmark = pytest.mark.unit


def test_serve_without_the_server_extra_names_the_install_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(serve, "missing_server_modules", lambda: ["duckdb"])
    assert cli_main.main(["serve"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "spyglass serve needs the server extra: pip install 'spyglass[server]'"


def test_subcommands_are_registered_by_module() -> None:
    parser = cli_main.build_parser()
    args = parser.parse_args(["serve", "--port", "9999", "--grpc-port", "0"])
    assert args.func is serve.run and args.port == 9999 and args.grpc_port == 0


def test_keys_create_prints_a_working_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from spyglass.store.meta import MetaStore, Scope

    assert cli_main.main(["keys", "create", "--scope", "read", "--data-dir", str(tmp_path)]) == 0
    secret = capsys.readouterr().out.strip()
    key = MetaStore.for_data_dir(tmp_path).verify_key(secret)
    assert key is not None and key.scope is Scope.READ and key.project_id == "default"
