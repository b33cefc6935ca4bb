"""Crisis contacts shown on every page, configured per deployment and language.

The contacts are a JSON file (``PEERLIGHT_CRISIS_CONTACTS_FILE``; the US
defaults ship in ``lib/data/crisis_contacts.json``) mapping a language code to
a heading, an introduction and a list of contacts, each with actions (``tel:``,
``sms:`` or ``https:`` links). The file is validated by a system check, so a
broken file stops the server from starting rather than hiding the contacts.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import TypedDict

from django.conf import settings

DEFAULT_FILE = Path(__file__).resolve().parent / "data" / "crisis_contacts.json"
ALLOWED_SCHEMES = ("tel:", "sms:", "https://")


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


def contacts_file() -> Path:
    configured = settings.PEERLIGHT_CRISIS_CONTACTS_FILE
    return Path(configured) if configured else DEFAULT_FILE


@functools.cache
def _load(path: Path) -> dict[str, CrisisInfo]:
    data = json.loads(path.read_text(encoding="utf-8"))
    problems = validate(data)
    if problems:
        raise ValueError(f"{path}: " + "; ".join(problems))
    result: dict[str, CrisisInfo] = data
    return result


def validate(data: object) -> list[str]:
    """Every way ``data`` fails to be a crisis contacts file (empty if none)."""
    if not isinstance(data, dict) or not data:
        return ["the file must be an object keyed by language code"]
    problems: list[str] = []
    for language, info in data.items():
        if not isinstance(info, dict):
            problems.append(f"{language}: must be an object")
            continue
        for key in ("heading", "intro"):
            if not isinstance(info.get(key), str) or not info[key].strip():
                problems.append(f"{language}.{key}: must be non-empty text")
        contacts = info.get("contacts")
        if not isinstance(contacts, list) or not contacts:
            problems.append(f"{language}.contacts: must list at least one contact")
            continue
        for index, contact in enumerate(contacts):
            where = f"{language}.contacts[{index}]"
            if not isinstance(contact, dict) or not isinstance(contact.get("name"), str):
                problems.append(f"{where}: needs a name")
                continue
            actions = contact.get("actions")
            if not isinstance(actions, list) or not actions:
                problems.append(f"{where}.actions: must list at least one action")
                continue
            for action in actions:
                href = action.get("href", "") if isinstance(action, dict) else ""
                if not isinstance(href, str) or not href.startswith(ALLOWED_SCHEMES):
                    problems.append(
                        f"{where}: link {href!r} must start with tel:, sms: or https://"
                    )
    return problems


def crisis_info(language: str | None) -> CrisisInfo:
    """The contacts for ``language``, falling back to the site's default language."""
    contacts = _load(contacts_file())
    for code in (language or "", (language or "").split("-")[0], settings.LANGUAGE_CODE):
        if code in contacts:
            return contacts[code]
    return next(iter(contacts.values()))
