"""Crisis contacts shown on every page, configured per deployment and language.

The contacts are a JSON file (``PEERLIGHT_CRISIS_CONTACTS_FILE``; the US
defaults ship in ``lib/data/crisis_contacts.json``) mapping a language code to
a heading, an introduction and a list of contacts. Each contact has a name, a
line of detail and one or more actions: ``tel:``, ``sms:`` or ``https://``
links. A system check validates the file (``peerlight.lib.checks``), so a
broken file stops the server from starting instead of hiding the contacts.

The text lives in the file rather than in the translation catalogue because
the numbers and their wording differ by country and by language, and the
people running a deployment must be able to change them without a release.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import TypedDict

from django.conf import settings

DEFAULT_FILE = Path(__file__).resolve().parent / "data" / "crisis_contacts.json"

LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")
PHONE_LINK = re.compile(r"^tel:\+?[0-9][0-9().-]*$")
TEXT_LINK = re.compile(r"^sms:\+?[0-9][0-9().-]*(\?body=\S+)?$")
WEB_LINK = re.compile(r"^https://[^\s/]+\S*$")


class CrisisAction(TypedDict):
    label: str
    href: str


class CrisisContact(TypedDict):
    name: str
    detail: str
    actions: list[CrisisAction]


class CrisisInfo(TypedDict):
    heading: str
    intro: str
    contacts: list[CrisisContact]


class CrisisContactsError(ValueError):
    """The crisis contacts file cannot be read or is not valid."""


def contacts_file() -> Path:
    """The configured contacts file, or the US defaults that ship with Peerlight."""
    configured = settings.PEERLIGHT_CRISIS_CONTACTS_FILE
    return Path(configured) if configured else DEFAULT_FILE


def read_problems(path: Path) -> list[str]:
    """Every reason the file at ``path`` cannot be used (empty if it can)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        return [f"cannot be read ({exc.strerror or exc})"]
    except ValueError as exc:
        return [f"is not valid JSON ({exc})"]
    return validate(data)


def validate(data: object) -> list[str]:
    """Every way ``data`` fails to be a crisis contacts file (empty if none)."""
    if not isinstance(data, dict) or not data:
        return ['must be an object keyed by language code, like {"en": {...}}']
    problems: list[str] = []
    for language, info in data.items():
        if not LANGUAGE_CODE.match(language):
            problems.append(f"{language!r}: is not a lower-case language code like 'en' or 'es'")
        problems.extend(_info_problems(language, info))
    return problems


def _text_problems(where: str, value: object, key: str) -> list[str]:
    if not isinstance(value, dict) or not isinstance(value.get(key), str):
        return [f"{where}.{key}: is missing (it must be text)"]
    if not value[key].strip():
        return [f"{where}.{key}: must not be empty"]
    return []


def _unknown_keys(where: str, value: dict[str, object], known: tuple[str, ...]) -> list[str]:
    return [
        f"{where}: unknown key {key!r} (expected {', '.join(known)})"
        for key in value
        if key not in known
    ]


def _info_problems(language: str, info: object) -> list[str]:
    if not isinstance(info, dict):
        return [f"{language}: must be an object with heading, intro and contacts"]
    problems = _unknown_keys(language, info, ("heading", "intro", "contacts"))
    problems += _text_problems(language, info, "heading")
    problems += _text_problems(language, info, "intro")
    contacts = info.get("contacts")
    if not isinstance(contacts, list) or not contacts:
        return [*problems, f"{language}.contacts: must list at least one contact"]
    for index, contact in enumerate(contacts):
        problems += _contact_problems(f"{language}.contacts[{index}]", contact)
    return problems


def _contact_problems(where: str, contact: object) -> list[str]:
    if not isinstance(contact, dict):
        return [f"{where}: must be an object with name, detail and actions"]
    problems = _unknown_keys(where, contact, ("name", "detail", "actions"))
    problems += _text_problems(where, contact, "name")
    problems += _text_problems(where, contact, "detail")
    actions = contact.get("actions")
    if not isinstance(actions, list) or not actions:
        return [*problems, f"{where}.actions: must list at least one action"]
    for index, action in enumerate(actions):
        problems += _action_problems(f"{where}.actions[{index}]", action)
    return problems


def _action_problems(where: str, action: object) -> list[str]:
    if not isinstance(action, dict):
        return [f"{where}: must be an object with label and href"]
    problems = _unknown_keys(where, action, ("label", "href"))
    problems += _text_problems(where, action, "label")
    href = action.get("href")
    if not isinstance(href, str):
        return [*problems, f"{where}.href: is missing (it must be a tel:, sms: or https:// link)"]
    if href.startswith("tel:") and not PHONE_LINK.match(href):
        problems.append(f"{where}.href: {href!r} is not a phone link like 'tel:988'")
    elif href.startswith("sms:") and not TEXT_LINK.match(href):
        problems.append(f"{where}.href: {href!r} is not a text link like 'sms:988'")
    elif href.startswith("https:") and not WEB_LINK.match(href):
        problems.append(f"{where}.href: {href!r} is not a web address like 'https://988.org/'")
    elif not href.startswith(("tel:", "sms:", "https:")):
        problems.append(f"{where}.href: {href!r} must start with tel:, sms: or https://")
    return problems


@functools.cache
def _load(path: Path) -> dict[str, CrisisInfo]:
    problems = read_problems(path)
    if problems:
        raise CrisisContactsError(f"Crisis contacts file {path}: " + "; ".join(problems))
    data: dict[str, CrisisInfo] = json.loads(path.read_text(encoding="utf-8"))
    return data


def crisis_info(language: str | None) -> CrisisInfo:
    """The contacts for ``language``: its exact code, then its base language
    (``es`` for ``es-mx``), then the site's default language, then the first
    language in the file."""
    contacts = _load(contacts_file())
    code = (language or "").lower()
    for candidate in (code, code.split("-")[0], settings.LANGUAGE_CODE):
        if candidate in contacts:
            return contacts[candidate]
    return next(iter(contacts.values()))
