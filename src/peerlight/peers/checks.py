"""System checks for the peers app: the vocabulary file must be readable and well formed.

A broken file would break every profile and request form, so it stops
start-up with a message naming the problem rather than failing on a page.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.checks import CheckMessage, Error, register

from peerlight.peers.vocabulary import VOCABULARY_FILE, parse


@register()
def check_vocabulary(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    try:
        parse(json.loads(VOCABULARY_FILE.read_text(encoding="utf-8")))
    except (OSError, ValueError) as error:
        return [
            Error(
                f"Peer vocabulary file {VOCABULARY_FILE} is not usable: {error}",
                id="peerlight.peers.E001",
            )
        ]
    return []
