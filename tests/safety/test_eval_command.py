"""``peerlight safety eval FILE [--json]``."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

ROWS = [
    {"text": "I want to kill myself tonight", "label": "imminent"},
    {"text": "I feel so hopeless", "label": "concern"},
    {"text": "this homework is killing me", "label": "none"},
    {"messages": ["goodbye everyone", "the pills are in front of me"], "label": "imminent"},
]


def _write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "labelled.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run(*args: str) -> str:
    out = StringIO()
    call_command("safety", *args, stdout=out)
    return out.getvalue()


def test_it_prints_a_readable_table(tmp_path: Path) -> None:
    path = _write(tmp_path, [json.dumps(row) for row in ROWS])
    output = _run("eval", str(path))
    assert "4 labelled rows" in output
    assert "imminent" in output
    assert "false alarms on none: 0.0%" in output
    assert "confusion" in output


def test_json_prints_exactly_one_object_with_the_keys(tmp_path: Path) -> None:
    path = _write(tmp_path, [json.dumps(row) for row in ROWS])
    result = json.loads(_run("eval", str(path), "--json"))
    assert {"recall", "precision", "false_alarm_rate", "confusion", "n"} <= set(result)
    assert {"at_least_concern_recall", "median_ms"} <= set(result)
    assert result["n"] == 4
    assert set(result["recall"]) == {"none", "concern", "imminent"}
    assert result["recall"]["imminent"] == 1.0
    assert result["confusion"]["none"]["none"] == 1


def test_a_bad_line_names_its_number_and_prints_no_result(tmp_path: Path) -> None:
    path = _write(tmp_path, [json.dumps(ROWS[0]), '{"text": "x", "label": "maybe"}'])
    out = StringIO()
    with pytest.raises(CommandError, match="line 2") as raised:
        call_command("safety", "eval", str(path), "--json", stdout=out)
    assert raised.value.returncode != 0
    assert out.getvalue() == ""


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    out = StringIO()
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("safety", "eval", str(tmp_path / "nope.jsonl"), stdout=out)
    assert out.getvalue() == ""


def test_a_subcommand_is_required() -> None:
    with pytest.raises(CommandError):
        call_command("safety")
