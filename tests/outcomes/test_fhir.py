"""Recomputing scores of FHIR QuestionnaireResponses, and ``peerlight outcomes score-fhir``."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from peerlight.outcomes import fhir

DATA = Path(__file__).parent / "data"
HL7_EXAMPLE = DATA / "questionnaireresponse-sdc-profile-example-PHQ9.json"
LOINC = "http://loinc.org"
LA = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]


def example() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(HL7_EXAMPLE.read_text())
    return data


def questions(data: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = data["item"][0]["item"][:9]
    return found


def run(data: dict[str, Any]) -> dict[str, Any]:
    return fhir.recompute_text(json.dumps(data)).as_json()


def test_hl7_example_stores_13_but_scores_10() -> None:
    assert fhir.recompute_text(HL7_EXAMPLE.read_text()).as_json() == {
        "instrument": "phq-9",
        "stored_total": 13,
        "recomputed_total": 10,
        "band": "moderate",
        "safety_item_fired": True,
        "agree": False,
    }


def test_agreeing_total_is_reported_as_agreeing() -> None:
    data = example()
    data["item"][0]["item"][9]["answer"][0]["valueQuantity"]["value"] = 10
    assert run(data)["agree"] is True


def test_no_stored_total() -> None:
    data = example()
    del data["item"][0]["item"][9]
    result = run(data)
    assert (result["stored_total"], result["agree"], result["recomputed_total"]) == (
        None,
        None,
        10,
    )


def test_found_by_link_ids_without_canonical() -> None:
    data = example()
    del data["questionnaire"]
    assert run(data)["instrument"] == "phq-9"


def test_loinc_answer_codes_and_version_suffix() -> None:
    data = example()
    data["questionnaire"] += "|0.0.1"
    for question in questions(data):
        question["answer"] = [{"valueCoding": {"system": LOINC, "code": LA[3]}}]
    result = run(data)
    assert (result["recomputed_total"], result["band"]) == (27, "severe")


def test_weight_extension_wins_over_code() -> None:
    data = example()
    weight = {"url": "http://hl7.org/fhir/StructureDefinition/itemWeight", "valueDecimal": 0}
    for question in questions(data):
        question["answer"] = [{"valueCoding": {"code": "Nearly every day", "extension": [weight]}}]
    result = run(data)
    assert (result["recomputed_total"], result["safety_item_fired"]) == (0, False)


def test_value_integer() -> None:
    data = example()
    for question in questions(data):
        question["answer"] = [{"valueInteger": 2}]
    assert run(data)["recomputed_total"] == 18


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: questions(d)[2].pop("answer"), "missing: item 3"),
        (
            lambda d: questions(d)[0].update(answer=[{"valueCoding": {"code": "Sometimes"}}]),
            "item H1/T1/Q1: answer code 'Sometimes' is not one",
        ),
        (
            lambda d: questions(d)[0].update(
                answer=[{"valueCoding": {"system": "http://example.org", "code": "Not-at-all"}}]
            ),
            "answer code 'Not-at-all' is not one",
        ),
        (lambda d: questions(d)[0].update(answer=[{"valueInteger": 7}]), "7 is not one of"),
        (lambda d: questions(d)[0].update(answer=[{"valueString": "x"}]), "neither a coding"),
    ],
)
def test_bad_answers(change: Any, message: str) -> None:
    data = copy.deepcopy(example())
    change(data)
    with pytest.raises(fhir.FhirError, match=message):
        run(data)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not JSON"),
        ('{"resourceType": "Patient"}', "not a QuestionnaireResponse .*'Patient'"),
        ("[]", "not a QuestionnaireResponse"),
        (
            '{"resourceType": "QuestionnaireResponse", "status": "completed", "item": "x"}',
            "invalid QuestionnaireResponse: item",
        ),
        (
            '{"resourceType": "QuestionnaireResponse", "status": "completed",'
            ' "questionnaire": "http://example.org/Q/x", "item": [{"linkId": "a"}]}',
            "unknown instrument .*'http://example.org/Q/x'",
        ),
    ],
)
def test_unscorable_files(text: str, message: str) -> None:
    with pytest.raises(fhir.FhirError, match=message):
        fhir.recompute_text(text)


def test_command_prints_json(tmp_path: Path) -> None:
    out = StringIO()
    call_command("outcomes", "score-fhir", str(HL7_EXAMPLE), stdout=out)
    result = json.loads(out.getvalue())
    assert (result["stored_total"], result["recomputed_total"], result["agree"]) == (13, 10, False)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not JSON"),
        ('{"resourceType": "Observation", "status": "final"}', "not a QuestionnaireResponse"),
        (
            '{"resourceType": "QuestionnaireResponse", "status": "completed", "item": []}',
            "unknown instrument",
        ),
        (None, "cannot be read"),
    ],
)
def test_command_refuses_with_status_2(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "in.json"
    if content is not None:
        path.write_text(content)
    out = StringIO()
    with pytest.raises(CommandError, match=message) as raised:
        call_command("outcomes", "score-fhir", str(path), stdout=out)
    assert raised.value.returncode == 2
    assert "\n" not in str(raised.value)
    assert out.getvalue() == ""


def test_peerlight_command_line_exit_status_and_streams(tmp_path: Path) -> None:
    path = tmp_path / "in.json"
    path.write_text("{")
    refused = subprocess.run(  # noqa: S603  (fixed argv, temporary file)
        [sys.executable, "-m", "peerlight.cli", "outcomes", "score-fhir", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 2
    assert refused.stdout == ""
    assert refused.stderr.count("\n") == 1
    assert "not JSON" in refused.stderr
