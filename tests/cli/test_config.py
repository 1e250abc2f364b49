from __future__ import annotations

from pathlib import Path

import pytest

from spyglass.cli.config import ConfigError, resolve_settings

pytestmark = pytest.mark.unit


def test_flags_beat_env_beat_file_beat_defaults(tmp_path: Path) -> None:
    cfg = tmp_path / "spyglass.yaml"
    cfg.write_text("host: 0.0.0.0\nport: 9000\ngrpc_port: 9001\ndata_dir: /from/file\nalerts:\n  rules: []\n")
    env = {"SPYGLASS_PORT": "9100", "SPYGLASS_DATA_DIR": "/from/env"}
    s = resolve_settings({"data_dir": "/from/flag", "port": None}, env=env, config_path=cfg)
    assert s.host == "0.0.0.0"  # file
    assert s.port == 9100  # env over file
    assert s.grpc_port == 9001  # file
    assert s.data_dir == Path("/from/flag")  # flag over env
    assert s.extra == {"alerts": {"rules": []}}  # other sections untouched
    assert resolve_settings({}, env={}).port == 4318  # default


def test_config_file_from_env_var(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("grpc_port: 0\n")
    assert resolve_settings({}, env={"SPYGLASS_CONFIG": str(cfg)}).grpc_port == 0


@pytest.mark.parametrize(
    ("env", "needle"),
    [({"SPYGLASS_PORT": "http"}, "SPYGLASS_PORT"), ({"SPYGLASS_GRPC_PORT": "70000"}, "grpc_port")],
)
def test_bad_values_name_their_source(env: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        resolve_settings({}, env=env)


def test_bad_config_file_is_a_clear_error(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("- just\n- a list\n")
    with pytest.raises(ConfigError, match="mapping"):
        resolve_settings({}, env={}, config_path=cfg)
    with pytest.raises(ConfigError, match="cannot read"):
        resolve_settings({}, env={}, config_path=tmp_path / "missing.yaml")
