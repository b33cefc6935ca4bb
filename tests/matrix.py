"""The vocabulary of the authorisation matrix (``tests/test_authorization_matrix.py``).

Apps declare their own rows in ``tests/<app>/matrix_*.py`` as ``ENTRIES``
dictionaries built from these names; the matrix joins them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from peerlight.accounts.models import User

PERSONAS = ("anonymous", "member", "peer_supporter", "coordinator", "researcher", "admin_user")

OK = "200"
LOGIN = "log-in"  # redirected to the log-in page
ADMIN_LOGIN = "admin log-in"  # redirected to the admin's log-in page
REDIRECT = "redirect"  # any redirect that is not to a log-in page
NOT_FOUND = "404"
FORBIDDEN = "403"
NOT_ALLOWED = "405"


@dataclass(frozen=True)
class Expect:
    """What each persona gets; ``kwargs`` builds the URL's arguments."""

    anonymous: str
    member: str
    peer_supporter: str | None = None
    coordinator: str | None = None
    researcher: str | None = None
    admin_user: str | None = None
    kwargs: Callable[[dict[str, User]], dict[str, Any]] = field(default=lambda people: {})

    def for_persona(self, persona: str) -> str:
        value: str | None = getattr(self, persona)
        # Personas not named get what a member gets.
        return value if value is not None else self.member


PUBLIC = Expect(anonymous=OK, member=OK)
MEMBERS = Expect(anonymous=LOGIN, member=OK)
POST_ONLY = Expect(anonymous=NOT_ALLOWED, member=NOT_ALLOWED)
# Researchers work with de-identified data only: no pages about people.
PEOPLE_MANAGERS = Expect(anonymous=LOGIN, member=NOT_FOUND, coordinator=OK, admin_user=OK)
