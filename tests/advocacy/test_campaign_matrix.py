"""The authorisation matrix's rows for campaigns, petitions and targets, checked on their own.

``tests/test_authorization_matrix.py`` checks every URL of the site; this runs
the same check over the rows of ``matrix_campaigns`` alone, so they are proven
even while other parts of the site are being built.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from peerlight.accounts.models import User
from tests.advocacy import matrix_campaigns
from tests.matrix import PERSONAS
from tests.test_authorization_matrix import check, url_patterns

OWN_VIEWS = {
    "peerlight.advocacy.campaign_views",
    "peerlight.advocacy.petition_views",
    "peerlight.advocacy.target_views",
}


def test_every_route_of_this_part_is_declared_and_no_other() -> None:
    mine = {
        name
        for name, _route, pattern in url_patterns()
        if getattr(pattern.callback, "__module__", "") in OWN_VIEWS
    }
    assert mine == set(matrix_campaigns.ENTRIES)


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_gets_what_the_rows_say(
    persona: str,
    member: User,
    peer_supporter: User,
    coordinator: User,
    researcher: User,
    admin_user: User,
    client_for: Callable[[User | None], Client],
) -> None:
    people = {
        "member": member,
        "peer_supporter": peer_supporter,
        "coordinator": coordinator,
        "researcher": researcher,
        "admin_user": admin_user,
    }
    client = client_for(people.get(persona))
    for name, rule in matrix_campaigns.ENTRIES.items():
        url = reverse(name, kwargs=rule.kwargs(people))
        check(client, url, rule.for_persona(persona), persona)
