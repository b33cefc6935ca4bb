"""Production mode: refuses to start half-configured; clean under --deploy checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from peerlight.lib.crypto import generate_key_text

PRODUCTION_ENV = {
    "PEERLIGHT_ENV": "production",
    "PEERLIGHT_SECRET_KEY": "x7Jq2vN9pL4mR8tW1zK6bY3cF5hD0sG-aE_uI9oP2lQ7wT4nM8vB1xC6",
    "PEERLIGHT_ALLOWED_HOSTS": "peer.example.org",
    "PEERLIGHT_SAFETY_FALLBACK_EMAIL": "on-call@peer.example.org",
}


def run_peerlight(
    args: list[str], extra_env: dict[str, str], tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PEERLIGHT_") and key not in {"DATABASE_URL", "REDIS_URL"}
    }
    env.update(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
            "PEERLIGHT_VAR_DIR": str(tmp_path / "var"),
            "PEERLIGHT_ENCRYPTION_KEYS": generate_key_text(),
            **PRODUCTION_ENV,
        }
    )
    env.update(extra_env)
    for key, value in extra_env.items():
        if value == "":
            env.pop(key)
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "peerlight.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_it_passes_the_deploy_checks(tmp_path: Path) -> None:
    result = run_peerlight(["check", "--deploy", "--fail-level", "WARNING"], {}, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deploy_checks_ask_for_a_fallback_contact_for_urgent_cases(tmp_path: Path) -> None:
    result = run_peerlight(
        ["check", "--deploy", "--fail-level", "WARNING"],
        {"PEERLIGHT_SAFETY_FALLBACK_EMAIL": ""},
        tmp_path,
    )
    assert result.returncode != 0
    assert "peerlight.W101" in result.stdout + result.stderr


@pytest.mark.parametrize(
    "missing", ["PEERLIGHT_SECRET_KEY", "PEERLIGHT_ENCRYPTION_KEYS", "PEERLIGHT_ALLOWED_HOSTS"]
)
def test_it_refuses_to_start_without(missing: str, tmp_path: Path) -> None:
    result = run_peerlight(["check"], {missing: ""}, tmp_path)
    assert result.returncode != 0
    assert missing in result.stderr


def test_development_key_files_are_not_used_in_production(tmp_path: Path) -> None:
    result = run_peerlight(["check", "--deploy"], {}, tmp_path)
    assert result.returncode == 0, result.stderr
    var = tmp_path / "var"
    assert not (var / "secret.key").exists()
    assert not (var / "encryption.keys").exists()
