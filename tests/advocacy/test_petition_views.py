"""Signing a petition, the thanks page and confirming by e-mail, through the views."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries
from pytest_django.fixtures import Settings as SettingsWrapper

from peerlight.accounts.models import User
from peerlight.advocacy.models import Campaign, Petition, Signature
from peerlight.advocacy.petition_signing import SIGNS_PER_MINUTE_SETTING
from peerlight.audit.models import AuditEntry
from tests.advocacy.factories import make_campaign, make_petition, make_target
from tests.conftest import csrf_token, post_with_csrf

type ClientFor = Callable[[User | None], Client]

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def campaign(db: None) -> Campaign:
    return make_campaign(targets=[make_target(zip_codes=["97201", "97202"])])


@pytest.fixture
def petition(campaign: Campaign) -> Petition:
    return make_petition(campaign, goal=100, requires_confirmation=False)


def page_url(campaign: Campaign) -> str:
    return reverse("advocacy:campaign", args=[campaign.slug])


def sign_url(campaign: Campaign) -> str:
    return reverse("advocacy:petition_sign", args=[campaign.slug])


def signed_url(campaign: Campaign) -> str:
    return reverse("advocacy:petition_signed", args=[campaign.slug])


def visitor(**changes: Any) -> dict[str, Any]:
    return {"name": "Ana Lopez", "email": "ana@example.org", "zip_code": "97201", **changes}


def counted(petition: Petition) -> int:
    petition.refresh_from_db()
    return petition.signature_count


# --- The form on the campaign's page ---------------------------------------------------


def test_visitors_find_the_sign_form_on_the_campaign_page(
    client_for: ClientFor, petition: Petition, campaign: Campaign
) -> None:
    response = client_for(None).get(page_url(campaign))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'action="{sign_url(campaign)}"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'name="email"' in html
    assert "Sign the petition" in html
    assert "0 signatures" in html
    assert "of a goal of 100" in html


def test_members_sign_with_their_display_name_filled_in(
    client_for: ClientFor, petition: Petition, campaign: Campaign, member: User
) -> None:
    html = client_for(member).get(page_url(campaign)).content.decode()
    assert 'value="River"' in html
    assert 'name="email"' not in html, "a member's account is the signer"


# --- Signing ----------------------------------------------------------------------------


def test_a_visitor_signs_and_is_sent_to_the_thanks_page(
    client_for: ClientFor, petition: Petition, campaign: Campaign
) -> None:
    client = client_for(None)
    response = post_with_csrf(client, sign_url(campaign), visitor(show_name="on"))
    assert response.status_code == 303
    assert response["Location"] == signed_url(campaign)
    signature = Signature.objects.get()
    assert signature.status == Signature.Status.CONFIRMED
    assert signature.name == "Ana Lopez"
    assert signature.email == "ana@example.org"
    assert signature.user is None
    assert counted(petition) == 1
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200
    html = thanks.content.decode()
    assert "Thank you: your signature is counted." in html
    assert "1 signature" in html


def test_a_member_signs_at_once_and_the_signature_is_audited(
    client_for: ClientFor, campaign: Campaign, member: User
) -> None:
    petition = make_petition(campaign, requires_confirmation=True)
    response = post_with_csrf(client_for(member), sign_url(campaign), {"name": "River"})
    assert response.status_code == 303
    signature = Signature.objects.get()
    assert signature.user == member
    assert signature.status == Signature.Status.CONFIRMED
    assert signature.email == ""
    assert counted(petition) == 1
    entry = AuditEntry.objects.get(verb="advocacy.signature.sign")
    assert entry.actor_id == member.pk
    assert entry.subject_id == member.pk


def test_a_member_who_signed_is_told_so_and_counted_once(
    client_for: ClientFor, petition: Petition, campaign: Campaign, member: User
) -> None:
    client = client_for(member)
    post_with_csrf(client, sign_url(campaign), {"name": "River"})
    again = post_with_csrf(client, sign_url(campaign), {"name": "River"})
    assert again.status_code == 303
    assert (
        "You have already signed this petition."
        in client.get(signed_url(campaign)).content.decode()
    )
    assert Signature.objects.count() == 1
    assert counted(petition) == 1
    html = client.get(page_url(campaign)).content.decode()
    assert "You have signed this petition. Thank you." in html
    assert f'action="{sign_url(campaign)}"' not in html


def test_signing_again_with_the_same_address_adds_nothing(
    client_for: ClientFor, petition: Petition, campaign: Campaign
) -> None:
    first = post_with_csrf(client_for(None), sign_url(campaign), visitor())
    again = post_with_csrf(
        client_for(None), sign_url(campaign), visitor(email=" ANA@example.org ", name="Ana")
    )
    assert first.status_code == again.status_code == 303
    assert first["Location"] == again["Location"]
    assert Signature.objects.count() == 1
    assert counted(petition) == 1


def test_visitors_without_an_address_each_count_where_none_is_asked(
    client_for: ClientFor, petition: Petition, campaign: Campaign
) -> None:
    for _ in range(2):
        response = post_with_csrf(client_for(None), sign_url(campaign), visitor(email=""))
        assert response.status_code == 303
    assert Signature.objects.count() == 2
    assert counted(petition) == 2


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "  "}, "Please give your name."),
        ({"email": "not-an-address"}, "Please enter an e-mail address"),
        ({"zip_code": "9720"}, "A ZIP code is five digits"),
        ({"name": "x" * 121}, "Ensure this value has at most 120 characters"),
        ({"comment": "x" * 501}, "Ensure this value has at most 500 characters"),
    ],
)
def test_bad_input_is_explained_and_nothing_is_stored(
    client_for: ClientFor,
    petition: Petition,
    campaign: Campaign,
    changes: dict[str, str],
    message: str,
) -> None:
    response = post_with_csrf(client_for(None), sign_url(campaign), visitor(**changes))
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "Something needs changing" in html
    assert f'action="{sign_url(campaign)}"' in html, "the form is there to fix it"
    assert not Signature.objects.exists()
    assert counted(petition) == 0


def test_a_zip_code_is_required_when_the_district_is_checked(
    client_for: ClientFor, campaign: Campaign
) -> None:
    petition = make_petition(campaign, check_district=True, requires_confirmation=False)
    response = post_with_csrf(client_for(None), sign_url(campaign), visitor(zip_code=""))
    assert response.status_code == 400
    assert "Please give your five-digit ZIP code." in response.content.decode()
    assert counted(petition) == 0


def test_an_address_is_required_when_visitors_confirm(
    client_for: ClientFor, campaign: Campaign
) -> None:
    make_petition(campaign, requires_confirmation=True)
    response = post_with_csrf(client_for(None), sign_url(campaign), visitor(email=""))
    assert response.status_code == 400
    assert "Please give your e-mail address" in response.content.decode()
    assert not Signature.objects.exists()


def test_signers_learn_whether_they_live_in_the_district(
    client_for: ClientFor, campaign: Campaign
) -> None:
    make_petition(campaign, check_district=True, requires_confirmation=False)
    inside, outside = client_for(None), client_for(None)
    post_with_csrf(inside, sign_url(campaign), visitor())
    post_with_csrf(outside, sign_url(campaign), visitor(email="b@example.org", zip_code="10001"))
    assert (
        "You live in the district of Sen. Alex Rivera."
        in inside.get(signed_url(campaign)).content.decode()
    )
    assert "You live outside the districts" in outside.get(signed_url(campaign)).content.decode()
    by_zip = dict(Signature.objects.values_list("zip_code", "in_district"))
    assert by_zip == {"97201": True, "10001": False}


def test_a_district_only_petition_tells_an_outside_signer_why_and_stores_nothing(
    client_for: ClientFor, campaign: Campaign
) -> None:
    make_petition(campaign, check_district=True, district_only=True, requires_confirmation=False)
    response = post_with_csrf(
        client_for(None), sign_url(campaign), visitor(email="b@example.org", zip_code="10001")
    )
    assert response.status_code == 400
    assert "your ZIP code is outside them" in response.content.decode()
    assert not Signature.objects.exists()
    inside = post_with_csrf(client_for(None), sign_url(campaign), visitor())
    assert inside.status_code == 303
    assert Signature.objects.count() == 1


def test_without_the_district_check_nothing_is_judged(
    client_for: ClientFor, petition: Petition, campaign: Campaign
) -> None:
    client = client_for(None)
    post_with_csrf(client, sign_url(campaign), visitor(zip_code="97226"))
    assert Signature.objects.get().in_district is None
    assert "district" not in client.get(signed_url(campaign)).content.decode().split("<main")[1]


def test_a_closed_petition_takes_no_signatures(client_for: ClientFor, campaign: Campaign) -> None:
    make_petition(campaign, is_open=False, requires_confirmation=False)
    page = client_for(None).get(page_url(campaign)).content.decode()
    assert "This petition is not taking signatures now." in page
    response = post_with_csrf(client_for(None), sign_url(campaign), visitor())
    assert response.status_code == 400
    assert "This petition is not taking signatures." in response.content.decode()
    assert not Signature.objects.exists()


def test_a_paused_campaign_takes_no_signatures(
    client_for: ClientFor, petition: Petition, campaign: Campaign
) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.PAUSED)
    response = post_with_csrf(client_for(None), sign_url(campaign), visitor())
    assert response.status_code == 400
    assert not Signature.objects.exists()


def test_drafts_and_campaigns_without_a_petition_are_not_found(
    client_for: ClientFor, coordinator: User
) -> None:
    draft = make_campaign(status=Campaign.Status.DRAFT)
    make_petition(draft, requires_confirmation=False)
    bare = make_campaign()
    for campaign in (draft, bare):
        for person in (None, coordinator):
            response = post_with_csrf(client_for(person), sign_url(campaign), visitor())
            assert response.status_code == 404
    assert post_with_csrf(client_for(None), "/act/no-such/sign/", visitor()).status_code == 404
    assert not Signature.objects.exists()


def test_signing_takes_only_post(
    client_for: ClientFor, petition: Petition, campaign: Campaign, member: User
) -> None:
    assert client_for(None).get(sign_url(campaign)).status_code == 405
    assert client_for(member).get(sign_url(campaign)).status_code == 405


def test_signing_needs_the_csrf_token(
    client_for: ClientFor, petition: Petition, campaign: Campaign
) -> None:
    assert client_for(None).post(sign_url(campaign), visitor()).status_code == 403
    assert not Signature.objects.exists()


def test_signing_is_rate_limited_per_address_by_a_setting(
    client_for: ClientFor, petition: Petition, campaign: Campaign, settings: SettingsWrapper
) -> None:
    settings.PEERLIGHT_PETITION_SIGNS_PER_MINUTE = 2
    client = client_for(None)
    token = csrf_token(client)
    for number in range(2):
        data = visitor(email=f"{number}@example.org", csrfmiddlewaretoken=token)
        assert client.post(sign_url(campaign), data).status_code == 303
    data = visitor(email="late@example.org", csrfmiddlewaretoken=token)
    response = client.post(sign_url(campaign), data)
    assert response.status_code == 429
    assert "There have been a lot of attempts in a short time." in response.content.decode()
    assert counted(petition) == 2
    # Another address is not held back.
    other = client.post(sign_url(campaign), data, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 303
    assert counted(petition) == 3
    assert SIGNS_PER_MINUTE_SETTING == "PEERLIGHT_PETITION_SIGNS_PER_MINUTE"


def test_the_default_limit_lets_an_office_sign_together(
    client_for: ClientFor, petition: Petition, campaign: Campaign
) -> None:
    client = client_for(None)
    token = csrf_token(client)
    for number in range(30):
        data = visitor(email=f"{number}@example.org", csrfmiddlewaretoken=token)
        assert client.post(sign_url(campaign), data).status_code == 303
    data = visitor(email="31@example.org", csrfmiddlewaretoken=token)
    assert client.post(sign_url(campaign), data).status_code == 429
    assert counted(petition) == 30


def test_the_hot_path_costs_a_few_queries(
    client_for: ClientFor,
    petition: Petition,
    campaign: Campaign,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    client = client_for(None)
    token = csrf_token(client)
    client.post(sign_url(campaign), visitor(email="warm@example.org", csrfmiddlewaretoken=token))
    # One read; then begin, savepoint, insert, release, count, commit at most.
    with django_assert_max_num_queries(7):
        response = client.post(sign_url(campaign), visitor(csrfmiddlewaretoken=token))
    assert response.status_code == 303
    assert counted(petition) == 2


# --- What strangers can learn ----------------------------------------------------------


def test_visitors_who_confirm_get_the_same_answer_whether_or_not_they_signed(
    client_for: ClientFor, campaign: Campaign, settings: SettingsWrapper
) -> None:
    settings.TASKS = IMMEDIATE
    make_petition(campaign, requires_confirmation=True)
    answers = []
    for _ in range(2):
        client = client_for(None)
        response = post_with_csrf(client, sign_url(campaign), visitor())
        thanks = client.get(response["Location"]).content.decode()
        answers.append((response.status_code, response["Location"], _message(thanks)))
    assert answers[0] == answers[1]
    assert "Please check your e-mail" in answers[0][2]


def _message(html: str) -> str:
    found = re.search(r'<li class="message-success">(.*?)</li>', html)
    assert found is not None
    return found[1]


# --- Confirming by e-mail ---------------------------------------------------------------


def _link(message: mail.EmailMessage) -> str:
    found = re.search(r"https?://[^/\s]+(/act/\S+/confirm/\S+/)", str(message.body))
    assert found is not None
    return found[1]


@pytest.fixture
def confirmed_by_email(campaign: Campaign, settings: SettingsWrapper) -> Petition:
    settings.TASKS = IMMEDIATE
    return make_petition(campaign, requires_confirmation=True)


def test_a_visitor_confirms_with_the_button_behind_the_link(
    client_for: ClientFor,
    confirmed_by_email: Petition,
    campaign: Campaign,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = post_with_csrf(client_for(None), sign_url(campaign), visitor())
    assert response.status_code == 303
    assert Signature.objects.get().status == Signature.Status.PENDING
    assert counted(confirmed_by_email) == 0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ana@example.org"]
    assert campaign.title not in str(mail.outbox[0].body), "the e-mail names no campaign"
    link = _link(mail.outbox[0])
    client = client_for(None)
    page = client.get(link)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Confirm my signature" in html
    assert "Ana Lopez" in html
    assert counted(confirmed_by_email) == 0, "opening the link counts nothing"
    confirm = post_with_csrf(client, link)
    assert confirm.status_code == 303
    assert confirm["Location"] == signed_url(campaign)
    assert Signature.objects.get().status == Signature.Status.CONFIRMED
    assert counted(confirmed_by_email) == 1
    assert (
        "Thank you: your signature is confirmed"
        in client.get(signed_url(campaign)).content.decode()
    )
    # Twice is harmless.
    again = post_with_csrf(client, link)
    assert again.status_code == 303
    assert counted(confirmed_by_email) == 1
    assert "already confirmed" in client.get(signed_url(campaign)).content.decode()
    assert "is confirmed and counted" in client.get(link).content.decode()


def test_only_the_digest_of_the_token_is_stored(
    client_for: ClientFor,
    confirmed_by_email: Petition,
    campaign: Campaign,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post_with_csrf(client_for(None), sign_url(campaign), visitor())
    token = _link(mail.outbox[0]).rstrip("/").rsplit("/", 1)[1]
    signature = Signature.objects.get()
    assert signature.confirm_digest
    assert token not in signature.confirm_digest


def test_signing_again_while_waiting_sends_a_new_link_and_the_old_one_stops(
    client_for: ClientFor,
    confirmed_by_email: Petition,
    campaign: Campaign,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post_with_csrf(client_for(None), sign_url(campaign), visitor())
    with django_capture_on_commit_callbacks(execute=True):
        post_with_csrf(client_for(None), sign_url(campaign), visitor(name="Ana L."))
    assert len(mail.outbox) == 2
    old, new = _link(mail.outbox[0]), _link(mail.outbox[1])
    assert client_for(None).get(old).status_code == 404
    html = client_for(None).get(new).content.decode()
    assert "Ana L." in html, "the newest details are the ones to confirm"
    assert Signature.objects.count() == 1


def test_a_confirmed_signer_who_signs_again_is_told_by_e_mail_only(
    client_for: ClientFor,
    confirmed_by_email: Petition,
    campaign: Campaign,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post_with_csrf(client_for(None), sign_url(campaign), visitor())
    post_with_csrf(client_for(None), _link(mail.outbox[0]))
    with django_capture_on_commit_callbacks(execute=True):
        response = post_with_csrf(client_for(None), sign_url(campaign), visitor())
    assert response.status_code == 303
    assert len(mail.outbox) == 2
    assert mail.outbox[1].subject == "You have already signed"
    assert counted(confirmed_by_email) == 1


def test_nobody_can_fill_an_inbox_by_signing_again_and_again(
    client_for: ClientFor,
    confirmed_by_email: Petition,
    campaign: Campaign,
    django_capture_on_commit_callbacks: Any,
) -> None:
    for _ in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            response = post_with_csrf(client_for(None), sign_url(campaign), visitor())
        assert response.status_code == 303
    assert len(mail.outbox) == 3


def test_an_unknown_link_is_not_found(
    client_for: ClientFor, confirmed_by_email: Petition, campaign: Campaign
) -> None:
    url = reverse("advocacy:petition_confirm", args=[campaign.slug, "made-up-token"])
    assert client_for(None).get(url).status_code == 404
    assert post_with_csrf(client_for(None), url).status_code == 404


def test_a_link_works_only_on_its_own_campaign(
    client_for: ClientFor,
    confirmed_by_email: Petition,
    campaign: Campaign,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post_with_csrf(client_for(None), sign_url(campaign), visitor())
    link = _link(mail.outbox[0])
    other = make_campaign()
    assert client_for(None).get(link.replace(campaign.slug, other.slug)).status_code == 404


def test_confirming_takes_only_get_and_post(
    client_for: ClientFor, confirmed_by_email: Petition, campaign: Campaign
) -> None:
    url = reverse("advocacy:petition_confirm", args=[campaign.slug, "x"])
    client = client_for(None)
    response = client.put(url, headers={"X-CSRFToken": csrf_token(client)})
    assert response.status_code == 405


def test_confirmation_tokens_never_reach_the_logs(
    client_for: ClientFor,
    confirmed_by_email: Petition,
    campaign: Campaign,
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = "a-token-that-names-no-signature"
    url = reverse("advocacy:petition_confirm", args=[campaign.slug, token])
    client = client_for(None)
    with caplog.at_level(logging.INFO):
        assert client.get(url).status_code == 404
        refused = client.put(url, headers={"X-CSRFToken": csrf_token(client)})
        assert refused.status_code == 405
    assert "Not Found: a signature confirmation link" in caplog.text
    assert "Method Not Allowed: a signature confirmation link" in caplog.text
    assert token not in caplog.text


def test_a_closed_petition_confirms_nothing(
    client_for: ClientFor,
    confirmed_by_email: Petition,
    campaign: Campaign,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post_with_csrf(client_for(None), sign_url(campaign), visitor())
    Petition.objects.filter(pk=confirmed_by_email.pk).update(is_open=False)
    response = post_with_csrf(client_for(None), _link(mail.outbox[0]))
    assert response.status_code == 400
    assert "This petition is not taking signatures." in response.content.decode()
    assert counted(confirmed_by_email) == 0


# --- The public side ---------------------------------------------------------------------


def test_only_names_signers_chose_to_show_appear_and_never_addresses(
    client_for: ClientFor, petition: Petition, campaign: Campaign
) -> None:
    post_with_csrf(client_for(None), sign_url(campaign), visitor(show_name="on"))
    post_with_csrf(
        client_for(None),
        sign_url(campaign),
        visitor(name="Hidden Person", email="hidden@example.org", comment="private words"),
    )
    html = client_for(None).get(page_url(campaign)).content.decode()
    assert "Recent signers" in html
    assert "Ana Lopez" in html
    assert "Hidden Person" not in html
    assert "ana@example.org" not in html
    assert "private words" not in html
    assert "2 signatures" in html


def test_the_recent_signers_are_the_last_twenty(
    client_for: ClientFor, petition: Petition, campaign: Campaign, settings: SettingsWrapper
) -> None:
    settings.PEERLIGHT_PETITION_SIGNS_PER_MINUTE = 100
    client = client_for(None)
    token = csrf_token(client)
    for number in range(22):
        data = visitor(
            name=f"Signer {number:02d}",
            email=f"{number}@example.org",
            show_name="on",
            csrfmiddlewaretoken=token,
        )
        client.post(sign_url(campaign), data)
    html = client.get(page_url(campaign)).content.decode()
    assert "Signer 21" in html
    assert "Signer 02" in html
    assert "Signer 01" not in html
    assert "Signer 00" not in html


def test_the_thanks_page_is_anyones_and_read_only(
    client_for: ClientFor, petition: Petition, campaign: Campaign, member: User
) -> None:
    response = client_for(None).get(signed_url(campaign))
    assert response.status_code == 200
    assert "Thank you for signing" in response.content.decode()
    assert post_with_csrf(client_for(member), signed_url(campaign)).status_code == 405


def test_the_thanks_page_of_a_draft_or_bare_campaign_is_not_found(
    client_for: ClientFor, coordinator: User
) -> None:
    draft = make_campaign(status=Campaign.Status.DRAFT)
    make_petition(draft)
    assert client_for(None).get(signed_url(draft)).status_code == 404
    assert client_for(None).get(signed_url(make_campaign())).status_code == 404
