"""Support requests and offers in "Download my data" and account deletion."""

from __future__ import annotations

import pytest

from peerlight.accounts import privacy
from peerlight.accounts.models import User
from peerlight.support import actions
from peerlight.support.models import Offer, SupportRequest
from tests.support.conftest import answers

pytestmark = pytest.mark.django_db


def test_a_member_gets_their_words_back(member: User) -> None:
    actions.request_support(member, answers(words="Hard week."))
    export = privacy.build_export(member)["sections"]["support.supportrequest"]["records"]
    assert export["your_requests"][0]["words"] == "Hard week."
    assert export["your_requests"][0]["topics"] == ["feeling_low"]


def test_a_peer_gets_times_not_the_members_words(member: User, peer: User) -> None:
    request = actions.request_support(member, answers(words="Hard week."))
    actions.accept_offer(peer, request.offers.get())
    export = privacy.build_export(peer)["sections"]
    assert "Hard week." not in str(export["support.supportrequest"]["records"])
    assert export["support.offer"]["records"][0]["status"] == Offer.Status.ACCEPTED


def test_erasing_a_member_deletes_their_requests(member: User, peer: User) -> None:
    actions.request_support(member, answers())
    privacy.erase_account(member)
    assert not SupportRequest.objects.exists()
    assert not Offer.objects.exists()


def test_erasing_a_peer_keeps_the_members_record(member: User, peer: User) -> None:
    request = actions.request_support(member, answers())
    actions.accept_offer(peer, request.offers.get())
    privacy.erase_account(peer)
    request.refresh_from_db()
    assert request.peer is None
    assert request.status == SupportRequest.Status.CONNECTED
    assert not Offer.objects.exists()
