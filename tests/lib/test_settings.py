from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from peerlight.lib.env import env_bool, env_choice, env_int, env_list
from peerlight.settings import database_settings


def test_it_reads_typed_values() -> None:
    environ = {"A": "yes", "B": "42", "C": "x, y ,,z", "D": "Production"}
    assert env_bool("A", environ=environ) is True
    assert env_int("B", 0, environ=environ) == 42
    assert env_list("C", [], environ=environ) == ["x", "y", "z"]
    assert env_choice("D", ("development", "production"), "development", environ=environ) == (
        "production"
    )


def test_it_uses_defaults_for_missing_values() -> None:
    assert env_bool("MISSING", True, environ={}) is True
    assert env_int("MISSING", 7, environ={}) == 7
    assert env_list("MISSING", ["a"], environ={}) == ["a"]


@pytest.mark.parametrize(
    ("reader", "environ"),
    [
        (lambda e: env_bool("X", environ=e), {"X": "maybe"}),
        (lambda e: env_int("X", 1, environ=e), {"X": "ten"}),
        (lambda e: env_int("X", 1, minimum=1, environ=e), {"X": "0"}),
        (lambda e: env_choice("X", ("a", "b"), "a", environ=e), {"X": "c"}),
    ],
)
def test_it_refuses_bad_values(reader: object, environ: dict[str, str]) -> None:
    with pytest.raises(ImproperlyConfigured):
        reader(environ)  # type: ignore[operator]


def test_sqlite_is_durable_and_in_wal_mode(tmp_path: Path) -> None:
    config = database_settings(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    connection = sqlite3.connect(config["NAME"])
    connection.executescript(config["OPTIONS"]["init_command"])
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert connection.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    connection.close()


def test_postgres_url_switches_engine() -> None:
    config = database_settings("postgres://postgres@127.0.0.1:5432/peerlight")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["NAME"] == "peerlight"
    assert "OPTIONS" not in config or "init_command" not in config.get("OPTIONS", {})


def test_connection_health_checks_are_on_unless_turned_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = "postgres://postgres@127.0.0.1:5432/peerlight"
    monkeypatch.delenv("PEERLIGHT_DB_HEALTH_CHECKS", raising=False)
    assert database_settings(url)["CONN_HEALTH_CHECKS"] is True
    monkeypatch.setenv("PEERLIGHT_DB_HEALTH_CHECKS", "false")
    assert database_settings(url)["CONN_HEALTH_CHECKS"] is False


def test_passwords_are_hashed_with_argon2() -> None:
    from peerlight import settings as peerlight_settings

    assert peerlight_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
