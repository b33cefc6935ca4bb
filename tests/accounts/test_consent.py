"""The consent ledger (``accounts.consent``) and the consents page."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse

from peerlight.accounts import consent
from peerlight.accounts.models import ConsentDocument, ConsentEvent, ConsentPurpose, User
from peerlight.audit.models import AuditEntry
from tests.conftest import csrf_token, post_with_csrf

ClientFor = Callable[[User | None], Client]
URL = "/privacy/consents/"
WITHDRAWABLE = [ConsentPurpose.RESEARCH, ConsentPurpose.STORY_ADVOCACY]


def document(purpose: str, language: str = "en") -> ConsentDocument:
    found = consent.current_document(purpose, language)
    assert found is not None
    return found


def publish(purpose: str, version: int, *, requires_reconsent: bool) -> ConsentDocument:
    return ConsentDocument.objects.create(
        purpose=purpose,
        version=version,
        language="en",
        title=f"Version {version}",
        body=f"The text of version {version}.",
        requires_reconsent=requires_reconsent,
    )


# --- The published texts -------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("purpose", list(ConsentPurpose))
@pytest.mark.parametrize("language", ["en", "es"])
def test_it_publishes_every_purpose_in_english_and_spanish(
    purpose: ConsentPurpose, language: str
) -> None:
    text = ConsentDocument.objects.get(purpose=purpose, version=1, language=language)
    assert text.title
    assert len(text.body) > 400
    assert "lorem" not in text.body.lower()
    assert "{site}" not in text.body
    assert text.body_sha256 == hashlib.sha256(text.body.encode("utf-8")).hexdigest()
    headings = [block for block in consent.document_blocks(text.body) if block.kind == "heading"]
    assert len(headings) >= 3


@pytest.mark.django_db
def test_it_names_the_organisation_in_the_terms() -> None:
    assert settings.PEERLIGHT_SITE_NAME in document(ConsentPurpose.TERMS).body


@pytest.mark.django_db
def test_it_picks_the_text_in_the_persons_language() -> None:
    assert document(ConsentPurpose.PRIVACY, "es").language == "es"
    # No text in that language: the newest version in any language.
    assert document(ConsentPurpose.PRIVACY, "fr").version == 1


def test_it_splits_a_text_into_headings_lists_and_paragraphs() -> None:
    body = "Intro line one\nline two.\n\n# What we keep\n\n- One\n- Two\n\nLast."
    blocks = consent.document_blocks(body)
    assert [block.kind for block in blocks] == ["paragraph", "heading", "list", "paragraph"]
    assert blocks[0].text == "Intro line one line two."
    assert blocks[1].text == "What we keep"
    assert blocks[2].items == ("One", "Two")


# --- The ledger ----------------------------------------------------------------------


def test_it_sees_a_withdrawal_in_two_places_at_once(member: User) -> None:
    consent.grant(member, document(ConsentPurpose.RESEARCH))
    here = User.objects.get(pk=member.pk)
    there = User.objects.get(pk=member.pk)
    assert consent.has_consent(here, ConsentPurpose.RESEARCH)
    assert consent.has_consent(there, ConsentPurpose.RESEARCH)

    consent.withdraw(here, ConsentPurpose.RESEARCH)

    assert not consent.has_consent(there, ConsentPurpose.RESEARCH)
    assert not consent.has_consent(here, ConsentPurpose.RESEARCH)


def test_it_stops_counting_an_old_grant_when_a_new_version_asks_again(member: User) -> None:
    consent.grant(member, document(ConsentPurpose.RESEARCH))
    new_version = publish(ConsentPurpose.RESEARCH, 2, requires_reconsent=True)

    assert not consent.has_consent(member, ConsentPurpose.RESEARCH)
    standing = consent.standing(member, ConsentPurpose.RESEARCH, "en")
    assert standing.state == consent.ConsentState.NEEDS_RENEWAL
    assert standing.can_agree

    consent.grant(member, new_version)
    assert consent.has_consent(member, ConsentPurpose.RESEARCH)


def test_it_keeps_an_old_grant_when_the_new_version_does_not_ask_again(member: User) -> None:
    consent.grant(member, document(ConsentPurpose.RESEARCH))
    publish(ConsentPurpose.RESEARCH, 2, requires_reconsent=False)
    assert consent.has_consent(member, ConsentPurpose.RESEARCH)


def test_it_records_the_version_and_time_of_every_grant_and_withdrawal(member: User) -> None:
    consent.grant(member, document(ConsentPurpose.STORY_ADVOCACY))
    consent.withdraw(member, ConsentPurpose.STORY_ADVOCACY)
    second = publish(ConsentPurpose.STORY_ADVOCACY, 2, requires_reconsent=True)
    consent.grant(member, second)
    consent.withdraw(member, ConsentPurpose.STORY_ADVOCACY)

    events = list(consent.history(member).order_by("id"))
    assert [(event.action, event.document.version) for event in events] == [
        ("grant", 1),
        ("withdraw", 1),
        ("grant", 2),
        ("withdraw", 2),
    ]
    assert len({event.pk for event in events}) == 4
    assert all(event.created_at is not None for event in events)
    assert events == sorted(events, key=lambda event: event.created_at)


def test_it_records_nothing_when_withdrawing_twice(member: User) -> None:
    consent.grant(member, document(ConsentPurpose.RESEARCH))
    assert consent.withdraw(member, ConsentPurpose.RESEARCH) is not None
    events, entries = ConsentEvent.objects.count(), AuditEntry.objects.count()

    assert consent.withdraw(member, ConsentPurpose.RESEARCH) is None

    assert ConsentEvent.objects.count() == events
    assert AuditEntry.objects.count() == entries


def test_it_records_nothing_when_agreeing_twice_to_the_same_version(member: User) -> None:
    first = consent.grant(member, document(ConsentPurpose.RESEARCH))
    again = consent.grant(member, document(ConsentPurpose.RESEARCH, "es"))
    assert again.pk == first.pk
    assert ConsentEvent.objects.filter(user=member).count() == 1


def test_it_audits_a_withdrawal_by_ids_purpose_and_version(member: User) -> None:
    consent.grant(member, document(ConsentPurpose.RESEARCH))
    withdrawal = consent.withdraw(member, ConsentPurpose.RESEARCH)
    assert withdrawal is not None
    entry = AuditEntry.objects.get(verb="accounts.consent_withdrawn")
    assert (entry.actor_id, entry.subject_id) == (member.pk, member.pk)
    assert (entry.target_type, entry.target_id) == ("accounts.consentevent", str(withdrawal.pk))
    assert entry.reason == "research v1"


@pytest.mark.parametrize("purpose", [ConsentPurpose.TERMS, ConsentPurpose.PRIVACY])
def test_it_refuses_to_withdraw_what_the_account_needs(member: User, purpose: str) -> None:
    consent.grant(member, document(purpose))
    with pytest.raises(consent.ConsentRequiredError):
        consent.withdraw(member, purpose)
    assert consent.has_consent(member, purpose)
    assert ConsentEvent.objects.filter(user=member).count() == 1


def test_it_says_no_for_a_deactivated_account(member: User) -> None:
    consent.grant(member, document(ConsentPurpose.RESEARCH))
    member.is_active = False
    member.save()
    assert not consent.has_consent(member, ConsentPurpose.RESEARCH)


# --- The consents page -----------------------------------------------------------------


def test_it_shows_each_purpose_its_state_version_and_history(
    member: User, client_for: ClientFor
) -> None:
    consent.grant(member, document(ConsentPurpose.TERMS))
    consent.grant(member, document(ConsentPurpose.RESEARCH))
    response = client_for(member).get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    for purpose in ConsentPurpose:
        assert str(purpose.label) in page
    assert "You agreed to version 1." in page
    assert 'value="withdraw"' in page
    assert "Every answer you gave" in page
    # Terms cannot be withdrawn: the page points to deleting the account instead.
    assert reverse("privacy:delete") in page


@pytest.mark.parametrize("purpose", WITHDRAWABLE)
def test_it_records_an_agreement(member: User, client_for: ClientFor, purpose: str) -> None:
    response = post_with_csrf(
        client_for(member), URL, {"purpose": purpose, "decision": "agree", "version": "1"}
    )
    assert response.status_code == 302
    assert response["Location"] == URL
    assert consent.has_consent(member, purpose)
    assert AuditEntry.objects.filter(verb="accounts.consent_granted", actor_id=member.pk).exists()


@pytest.mark.parametrize("purpose", WITHDRAWABLE)
def test_it_records_a_withdrawal_with_an_audit_entry(
    member: User, client_for: ClientFor, purpose: str
) -> None:
    consent.grant(member, document(purpose))
    response = post_with_csrf(
        client_for(member), URL, {"purpose": purpose, "decision": "withdraw"}
    )
    assert response.status_code == 302
    assert not consent.has_consent(member, purpose)
    latest = consent.latest_event(member, purpose)
    assert latest is not None
    assert latest.action == ConsentEvent.Action.WITHDRAW
    entry = AuditEntry.objects.get(verb="accounts.consent_withdrawn")
    assert entry.target_id == str(latest.pk)


def test_it_shows_a_withdrawal_made_elsewhere_on_the_next_request(
    member: User, client_for: ClientFor
) -> None:
    consent.grant(member, document(ConsentPurpose.RESEARCH))
    phone, laptop = client_for(member), client_for(member)
    assert 'value="withdraw"' in laptop.get(URL).content.decode()

    post_with_csrf(phone, URL, {"purpose": ConsentPurpose.RESEARCH, "decision": "withdraw"})

    page = laptop.get(URL).content.decode()
    assert "You withdrew your consent." in page
    assert 'value="withdraw"' not in page


@pytest.mark.parametrize("purpose", [ConsentPurpose.TERMS, ConsentPurpose.PRIVACY])
def test_it_refuses_to_withdraw_terms_or_privacy_on_the_page(
    member: User, client_for: ClientFor, purpose: str
) -> None:
    consent.grant(member, document(purpose))
    response = post_with_csrf(
        client_for(member), URL, {"purpose": purpose, "decision": "withdraw"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "cannot be withdrawn while you keep your account" in page
    assert 'role="alert"' in page
    assert consent.has_consent(member, purpose)
    assert ConsentEvent.objects.filter(user=member).count() == 1


@pytest.mark.parametrize(
    "data",
    [
        {"purpose": "marketing", "decision": "agree", "version": "1"},
        {"purpose": "research", "decision": "sell", "version": "1"},
        {"purpose": "research", "decision": "agree", "version": "7"},
        {"purpose": "research", "decision": "agree"},
        {},
    ],
)
def test_it_refuses_bad_answers_and_records_nothing(
    member: User, client_for: ClientFor, data: dict[str, str]
) -> None:
    response = post_with_csrf(client_for(member), URL, data)
    assert response.status_code == 400
    assert "Your answer was not saved" in response.content.decode()
    assert not ConsentEvent.objects.filter(user=member).exists()
    assert not AuditEntry.objects.exists()


def test_it_refuses_an_agreement_to_a_version_that_changed_meanwhile(
    member: User, client_for: ClientFor
) -> None:
    client = client_for(member)
    publish(ConsentPurpose.RESEARCH, 2, requires_reconsent=True)
    response = post_with_csrf(
        client, URL, {"purpose": "research", "decision": "agree", "version": "1"}
    )
    assert response.status_code == 400
    assert "has changed since you opened the page" in response.content.decode()
    assert not consent.has_consent(member, ConsentPurpose.RESEARCH)


def test_it_sends_a_stranger_to_log_in(client_for: ClientFor) -> None:
    client = client_for(None)
    for response in (client.get(URL), post_with_csrf(client, URL, {"purpose": "research"})):
        assert response.status_code == 302
        assert response["Location"].startswith(resolve_url(settings.LOGIN_URL))
    assert not ConsentEvent.objects.exists()


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_it_refuses_other_methods(member: User, client_for: ClientFor, method: str) -> None:
    client = client_for(member)
    response = getattr(client, method)(URL, headers={"X-CSRFToken": csrf_token(client)})
    assert response.status_code == 405


def test_it_refuses_a_post_without_the_csrf_token(member: User, client_for: ClientFor) -> None:
    response = client_for(member).post(
        URL, {"purpose": "research", "decision": "agree", "version": "1"}
    )
    assert response.status_code == 403
    assert not ConsentEvent.objects.exists()
