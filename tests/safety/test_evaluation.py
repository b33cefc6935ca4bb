"""Measuring the detector: reading labelled files and the metrics, on hand-computed sets."""

from __future__ import annotations

import json

import pytest

from peerlight.safety.detector import Assessment
from peerlight.safety.evaluation import (
    EvaluationError,
    LabelledRow,
    evaluate,
    format_table,
    parse_lines,
)


def _row(label: str, text: str) -> LabelledRow:
    return LabelledRow((text,), label)


def test_it_computes_recall_precision_and_false_alarms_by_hand() -> None:
    # The "text" is the level the fake detector will answer.
    rows = [
        _row("imminent", "imminent"),
        _row("imminent", "concern"),
        _row("concern", "concern"),
        _row("concern", "none"),
        _row("none", "none"),
        _row("none", "none"),
        _row("none", "none"),
        _row("none", "imminent"),
    ]
    result = evaluate(rows, rate=lambda row: Assessment(row.messages[0]))
    assert result["n"] == 8
    assert result["recall"] == {"none": 0.75, "concern": 0.5, "imminent": 0.5}
    # Rated none: 4 (3 right); concern: 2 (1 right); imminent: 2 (1 right).
    assert result["precision"] == {"none": 0.75, "concern": 0.5, "imminent": 0.5}
    assert result["at_least_concern_recall"] == 0.75
    assert result["false_alarm_rate"] == 0.25
    assert result["confusion"]["none"] == {"none": 3, "concern": 0, "imminent": 1}
    assert result["confusion"]["imminent"] == {"none": 0, "concern": 1, "imminent": 1}
    assert result["median_ms"] >= 0.0


def test_a_label_without_rows_counts_as_zero_not_an_error() -> None:
    result = evaluate([_row("none", "x")], rate=lambda row: Assessment("none"))
    assert result["recall"]["imminent"] == 0.0
    assert result["precision"]["concern"] == 0.0
    assert result["at_least_concern_recall"] == 0.0
    assert result["false_alarm_rate"] == 0.0


def test_it_runs_the_real_detector_on_messages_and_conversations() -> None:
    rows = parse_lines(
        [
            json.dumps({"text": "I want to kill myself", "label": "imminent"}),
            json.dumps({"text": "this homework is killing me", "label": "none"}),
            json.dumps(
                {
                    "messages": ["i've said goodbye to everyone", "the pills are here"],
                    "label": "imminent",
                }
            ),
        ]
    )
    result = evaluate(rows)
    assert result["recall"]["imminent"] == 1.0
    assert result["false_alarm_rate"] == 0.0


def test_blank_lines_are_skipped() -> None:
    rows = parse_lines(["", json.dumps({"text": "hi", "label": "none"}), "   "])
    assert rows == [LabelledRow(("hi",), "none")]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "line 2: not valid JSON"),
        ("[1, 2]", "line 2: expected a JSON object"),
        ('{"label": "none"}', "line 2: missing 'text'"),
        ('{"text": 3, "label": "none"}', "line 2: missing 'text'"),
        ('{"text": "x", "label": "urgent"}', "line 2: label must be one of"),
        ('{"text": "x"}', "line 2: label must be one of"),
        ('{"messages": [], "label": "none"}', "line 2: 'messages' must be"),
        ('{"messages": ["a", 1], "label": "none"}', "line 2: 'messages' must be"),
    ],
)
def test_a_bad_line_is_refused_by_its_number(line: str, message: str) -> None:
    good = json.dumps({"text": "hello", "label": "none"})
    with pytest.raises(EvaluationError, match=message):
        parse_lines([good, line])


def test_the_table_shows_every_figure() -> None:
    result = evaluate([_row("concern", "x")], rate=lambda row: Assessment("concern"))
    table = "\n".join(format_table(result))
    assert "1 labelled rows" in table
    assert "concern    100.0%" in table
    assert "false alarms on none: 0.0%" in table
    assert "confusion" in table
