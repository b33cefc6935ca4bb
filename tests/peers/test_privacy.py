"""Peer profiles in "Download my data" and "Delete my account"."""

from __future__ import annotations

from django.utils import translation

from peerlight.accounts import privacy
from peerlight.accounts.models import User
from peerlight.peers.models import PeerProfile


def test_the_profile_is_registered_for_deletion() -> None:
    registration = privacy.registry()["peers.peerprofile"]
    assert registration.erase.action == privacy.ErasureAction.DELETE


def test_the_export_holds_the_profile_with_labels(peer_profile: PeerProfile) -> None:
    user = User.objects.get(pk=peer_profile.user_id)
    user.language = "es"
    with translation.override("en"):
        section = privacy.build_export(user)["sections"]["peers.peerprofile"]
    records = section["records"]
    assert records["bio"] == "I have been there."
    assert {"code": "grief", "label": "Duelo y pérdida"} in records["experiences"]
    assert records["languages"] == [{"code": "en", "label": "Inglés"}]


def test_a_member_without_a_profile_exports_nothing(member: User) -> None:
    assert privacy.build_export(member)["sections"]["peers.peerprofile"]["records"] is None


def test_erasing_the_account_deletes_the_profile(peer_profile: PeerProfile) -> None:
    privacy.erase_account(User.objects.get(pk=peer_profile.user_id))
    assert not PeerProfile.objects.exists()
