"""The authorisation matrix rows of letters, calls and testimony, checked on their own.

``tests/test_authorization_matrix.py`` checks every row of the site at once;
this runs the rows of ``matrix_outreach`` alone, so they can be checked while
other parts of the site are still being declared.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from peerlight.accounts.models import User
from tests.advocacy.matrix_outreach import ENTRIES
from tests.matrix import PERSONAS
from tests.test_authorization_matrix import check


@pytest.fixture
def people(
    member: User, peer_supporter: User, coordinator: User, researcher: User, admin_user: User
) -> dict[str, User]:
    return {
        "member": member,
        "peer_supporter": peer_supporter,
        "coordinator": coordinator,
        "researcher": researcher,
        "admin_user": admin_user,
    }


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_gets_what_the_outreach_rows_say(
    persona: str, people: dict[str, User], client_for: Callable[[User | None], Client]
) -> None:
    client = client_for(people.get(persona))
    for name, rule in ENTRIES.items():
        check(
            client, reverse(name, kwargs=rule.kwargs(people)), rule.for_persona(persona), persona
        )


def test_every_outreach_route_has_a_row() -> None:
    from peerlight.advocacy import outreach_urls

    names = {f"advocacy:{pattern.name}" for pattern in outreach_urls.urlpatterns}
    assert names == set(ENTRIES)
