"""Django system checks for Peerlight's configuration."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from peerlight.lib import crisis


@register()
def check_crisis_contacts(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    path = crisis.contacts_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [Error(f"Crisis contacts file {path} cannot be read: {exc}", id="peerlight.E001")]
    problems = crisis.validate(data)
    errors: list[CheckMessage] = [
        Error(f"Crisis contacts file {path}: {problem}", id="peerlight.E002")
        for problem in problems
    ]
    if not problems and settings.LANGUAGE_CODE not in data:
        errors.append(
            Error(
                f"Crisis contacts file {path} has no entry for {settings.LANGUAGE_CODE!r}.",
                id="peerlight.E003",
            )
        )
    return errors


@register(deploy=True)
def check_encryption_keys(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    if not settings.PEERLIGHT_ENCRYPTION_KEYS:
        return [
            Warning(
                "Field encryption uses a key file under var/.",
                hint="Set PEERLIGHT_ENCRYPTION_KEYS and keep a copy of the keys safe.",
                id="peerlight.W001",
            )
        ]
    return []
