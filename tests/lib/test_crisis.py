"""Crisis contacts: the file that ships, the fallbacks between languages, and
files that must be refused with a message that says what is wrong."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.checks import Error
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from peerlight.lib import checks, crisis

VALID: dict[str, Any] = {
    "en": {
        "heading": "Need help now?",
        "intro": "You can reach someone now.",
        "contacts": [
            {
                "name": "Samaritans",
                "detail": "Call 116 123, free, any time.",
                "actions": [{"label": "Call 116 123", "href": "tel:116123"}],
            }
        ],
    }
}


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "contacts.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def changed(change: str, value: object) -> dict[str, Any]:
    """A copy of VALID with one value, named by a dotted path, replaced."""
    data = copy.deepcopy(VALID)
    *parents, last = change.split(".")
    target: Any = data
    for key in parents:
        target = target[int(key)] if key.isdigit() else target[key]
    if last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value
    return data


def test_the_shipped_file_is_valid_and_has_english_and_spanish() -> None:
    assert crisis.read_problems(crisis.DEFAULT_FILE) == []
    data = json.loads(crisis.DEFAULT_FILE.read_text(encoding="utf-8"))
    assert set(data) >= {"en", "es"}


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_us_defaults_offer_988_by_phone_text_and_chat_and_911(language: str) -> None:
    info = crisis.crisis_info(language)
    links = [action["href"] for contact in info["contacts"] for action in contact["actions"]]
    assert "tel:988" in links
    assert any(link.startswith("sms:988") for link in links)
    assert any(link.startswith("https://") for link in links)
    assert "tel:911" in links


def test_it_picks_the_language_then_its_base_then_the_site_default() -> None:
    assert crisis.crisis_info("es")["heading"] == "¿Necesitas ayuda ahora?"
    assert crisis.crisis_info("es-MX")["heading"] == "¿Necesitas ayuda ahora?"
    assert crisis.crisis_info("fr")["heading"] == "Need help now?"
    assert crisis.crisis_info(None)["heading"] == "Need help now?"


def test_a_deployment_can_configure_its_own_contacts(tmp_path: Path) -> None:
    with override_settings(PEERLIGHT_CRISIS_CONTACTS_FILE=str(write(tmp_path, VALID))):
        info = crisis.crisis_info("es")
    assert info["contacts"][0]["name"] == "Samaritans"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "must be an object keyed by language code"),
        ({}, "must be an object keyed by language code"),
        ({"EN": VALID["en"]}, "'EN': is not a lower-case language code"),
        ({"en": "call 988"}, "en: must be an object with heading, intro and contacts"),
        (changed("en.heading", "  "), "en.heading: must not be empty"),
        (changed("en.intro", None), "en.intro: is missing (it must be text)"),
        (changed("en.contacts", []), "en.contacts: must list at least one contact"),
        (changed("en.contacts.0", "988"), "en.contacts[0]: must be an object"),
        (changed("en.contacts.0.name", ""), "en.contacts[0].name: must not be empty"),
        (changed("en.contacts.0.detail", 7), "en.contacts[0].detail: is missing"),
        (changed("en.contacts.0.actions", []), "en.contacts[0].actions: must list at least"),
        (changed("en.contacts.0.phone", "988"), "en.contacts[0]: unknown key 'phone'"),
        (
            changed("en.contacts.0.actions.0", "tel:988"),
            "en.contacts[0].actions[0]: must be an object with label and href",
        ),
        (
            changed("en.contacts.0.actions.0.href", "javascript:alert(1)"),
            "'javascript:alert(1)' must start with tel:, sms: or https://",
        ),
        (
            changed("en.contacts.0.actions.0.href", "http://988lifeline.org/"),
            "must start with tel:, sms: or https://",
        ),
        (changed("en.contacts.0.actions.0.href", "tel:9 8 8"), "is not a phone link"),
        (changed("en.contacts.0.actions.0.href", "sms:help"), "is not a text link"),
        (changed("en.contacts.0.actions.0.href", "https://"), "is not a web address"),
        (changed("en.contacts.0.actions.0.label", ""), "actions[0].label: must not be empty"),
    ],
)
def test_it_refuses_a_bad_file_saying_what_is_wrong(data: object, message: str) -> None:
    problems = crisis.validate(data)
    assert any(message in problem for problem in problems), problems


def test_it_accepts_every_kind_of_link() -> None:
    data = changed(
        "en.contacts.0.actions",
        [
            {"label": "Call", "href": "tel:+1-800-273-8255"},
            {"label": "Text", "href": "sms:988?body=HELLO"},
            {"label": "Chat", "href": "https://988lifeline.org/chat/"},
        ],
    )
    assert crisis.validate(data) == []


def test_it_says_when_the_file_cannot_be_read_or_parsed(tmp_path: Path) -> None:
    assert "cannot be read" in crisis.read_problems(tmp_path / "missing.json")[0]
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    assert "is not valid JSON" in crisis.read_problems(broken)[0]


def test_pages_refuse_to_use_a_bad_file(tmp_path: Path) -> None:
    path = write(tmp_path, changed("en.heading", ""))
    with (
        override_settings(PEERLIGHT_CRISIS_CONTACTS_FILE=str(path)),
        pytest.raises(crisis.CrisisContactsError, match=r"contacts.json: en.heading"),
    ):
        crisis.crisis_info("en")


def test_the_system_check_passes_the_shipped_file() -> None:
    assert checks.check_crisis_contacts(None) == []


def test_the_system_check_reports_each_problem(tmp_path: Path) -> None:
    bad = changed("en.contacts.0.actions.0.href", "ftp://example.org")
    bad["es"] = {"heading": "", "intro": "x", "contacts": VALID["en"]["contacts"]}
    with override_settings(PEERLIGHT_CRISIS_CONTACTS_FILE=str(write(tmp_path, bad))):
        errors = checks.check_crisis_contacts(None)
    assert all(isinstance(error, Error) for error in errors)
    assert len(errors) == 2
    assert "must start with tel:, sms: or https://" in errors[0].msg
    assert "es.heading: must not be empty" in errors[1].msg


def test_the_system_check_reports_an_unreadable_file(tmp_path: Path) -> None:
    with override_settings(PEERLIGHT_CRISIS_CONTACTS_FILE=str(tmp_path / "nowhere.json")):
        errors = checks.check_crisis_contacts(None)
    assert [error.id for error in errors] == ["peerlight.E001"]


def test_the_system_check_wants_the_default_language(tmp_path: Path) -> None:
    only_spanish = {"es": VALID["en"]}
    with override_settings(PEERLIGHT_CRISIS_CONTACTS_FILE=str(write(tmp_path, only_spanish))):
        errors = checks.check_crisis_contacts(None)
    assert [error.id for error in errors] == ["peerlight.E003"]


def test_a_bad_file_stops_the_check_command(tmp_path: Path, db: None) -> None:
    path = write(tmp_path, changed("en.intro", ""))
    with (
        override_settings(PEERLIGHT_CRISIS_CONTACTS_FILE=str(path)),
        pytest.raises(SystemCheckError, match=r"en\.intro: must not be empty"),
    ):
        call_command("check")
