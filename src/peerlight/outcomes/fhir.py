"""Recompute the score of a FHIR R4B QuestionnaireResponse.

The instrument is found from the response's ``questionnaire`` canonical (any
``|version`` ignored), or else from its item linkIds, as listed in each
instrument's data file. Each answer becomes a value from, in order: an
``ordinalValue`` or ``itemWeight`` extension on the coding, the coding's code
in one of the instrument's answer code lists (the coding's system when it
names one, every list when it does not), or a ``valueInteger``. The total is
always recomputed; a total stored in the response is only reported beside it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.questionnaireresponse import (
    QuestionnaireResponse,
    QuestionnaireResponseItem,
    QuestionnaireResponseItemAnswer,
)
from pydantic import ValidationError

from peerlight.outcomes import scoring
from peerlight.outcomes.instruments import Instrument, all_instruments

_WEIGHT_EXTENSIONS = {
    "http://hl7.org/fhir/StructureDefinition/ordinalValue",
    "http://hl7.org/fhir/StructureDefinition/itemWeight",
}


class FhirError(ValueError):
    """A file that cannot be scored; the message is one line saying why."""


@dataclass(frozen=True)
class Recomputed:
    instrument_id: str
    stored_total: Decimal | None
    score: scoring.Score

    @property
    def agrees(self) -> bool | None:
        """Whether the stored total matches; ``None`` when nothing was stored."""
        if self.stored_total is None:
            return None
        return self.stored_total == self.score.total

    def as_json(self) -> dict[str, Any]:
        stored = self.stored_total
        return {
            "instrument": self.instrument_id,
            "stored_total": None
            if stored is None
            else int(stored)
            if stored == int(stored)
            else float(stored),
            "recomputed_total": self.score.total,
            "band": self.score.band.label,
            "safety_item_fired": self.score.safety_fired,
            "agree": self.agrees,
        }


def read_response(text: str) -> QuestionnaireResponse:
    """Parse ``text`` as an R4B QuestionnaireResponse."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise FhirError(f"not JSON: {error.msg} at line {error.lineno}") from error
    if not isinstance(data, dict) or data.get("resourceType") != "QuestionnaireResponse":
        found = data.get("resourceType") if isinstance(data, dict) else type(data).__name__
        raise FhirError(f"not a QuestionnaireResponse (resourceType: {found!r})")
    try:
        return QuestionnaireResponse.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "resource"
        raise FhirError(f"invalid QuestionnaireResponse: {where}: {first['msg']}") from error


def _answers_by_link_id(
    items: list[QuestionnaireResponseItem] | None,
    into: dict[str, list[QuestionnaireResponseItemAnswer]],
) -> dict[str, list[QuestionnaireResponseItemAnswer]]:
    for item in items or []:
        if item.linkId is not None:
            into[item.linkId] = list(item.answer or [])
        _answers_by_link_id(item.item, into)
        for answer in item.answer or []:
            _answers_by_link_id(answer.item, into)
    return into


def identify(response: QuestionnaireResponse, link_ids: set[str]) -> Instrument:
    """The instrument the response answers; ``FhirError`` when none is known."""
    canonical = (response.questionnaire or "").split("|", 1)[0]
    instruments = all_instruments()
    for candidate in instruments:
        if canonical and canonical in candidate.fhir_questionnaires:
            return candidate
    matches = [
        candidate
        for candidate in instruments
        if any(set(ids) <= link_ids for ids in candidate.fhir_item_link_ids)
    ]
    if not matches:
        raise FhirError(f"unknown instrument (questionnaire {canonical or 'not given'!r})")
    return max(matches, key=lambda candidate: candidate.item_count)


def _coding_value(instrument: Instrument, coding: Coding, link_id: str) -> int:
    for extension in coding.extension or []:
        if extension.url in _WEIGHT_EXTENSIONS:
            weight = (
                extension.valueDecimal
                if extension.valueDecimal is not None
                else extension.valueInteger
            )
            if weight is None or Decimal(weight) != int(weight):
                raise FhirError(f"item {link_id}: weight extension is not a whole number")
            return int(weight)
    for answer_codes in instrument.answer_codes:
        if coding.system and coding.system != answer_codes.system:
            continue
        if coding.code in answer_codes.codes:
            return instrument.answer_values[answer_codes.codes.index(coding.code)]
    raise FhirError(
        f"item {link_id}: answer code {coding.code!r} is not one this instrument knows"
    )


def _answer_value(
    instrument: Instrument, link_id: str, answers: list[QuestionnaireResponseItemAnswer]
) -> int | None:
    if not answers:
        return None
    if len(answers) > 1:
        raise FhirError(f"item {link_id}: more than one answer")
    answer = answers[0]
    if answer.valueCoding is not None:
        return _coding_value(instrument, answer.valueCoding, link_id)
    if answer.valueInteger is not None:
        return int(answer.valueInteger)
    raise FhirError(f"item {link_id}: answer is neither a coding nor a whole number")


def _stored_total(
    instrument: Instrument, found: dict[str, list[QuestionnaireResponseItemAnswer]]
) -> Decimal | None:
    for link_id in instrument.fhir_total_link_ids:
        for answer in found.get(link_id, []):
            if answer.valueQuantity is not None and answer.valueQuantity.value is not None:
                return Decimal(answer.valueQuantity.value)
            if answer.valueInteger is not None:
                return Decimal(answer.valueInteger)
            if answer.valueDecimal is not None:
                return Decimal(answer.valueDecimal)
    return None


def recompute(response: QuestionnaireResponse) -> Recomputed:
    """Identify the instrument, map every answer to its value and score it afresh."""
    found = _answers_by_link_id(response.item, {})
    instrument = identify(response, set(found))
    link_ids = next(
        (ids for ids in instrument.fhir_item_link_ids if set(ids) <= set(found)),
        None,
    )
    if link_ids is None:
        raise FhirError(f"{instrument.id}: the response does not contain every item linkId")
    values = [_answer_value(instrument, link_id, found[link_id]) for link_id in link_ids]
    try:
        result = scoring.score(instrument, values)
    except scoring.ScoringError as error:
        raise FhirError(str(error)) from error
    return Recomputed(instrument.id, _stored_total(instrument, found), result)


def recompute_text(text: str) -> Recomputed:
    """``recompute`` of the QuestionnaireResponse JSON in ``text``."""
    return recompute(read_response(text))
