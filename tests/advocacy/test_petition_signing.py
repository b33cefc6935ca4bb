"""Signing, confirming and purging, called directly: the counter, races, e-mails, the purge."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from peerlight.accounts.models import User
from peerlight.advocacy import petition_signing
from peerlight.advocacy.models import Campaign, Petition, Signature
from peerlight.advocacy.petition_signing import Outcome, Signer
from peerlight.audit.models import AuditEntry
from tests.advocacy.factories import make_campaign, make_petition, make_target

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def open_petition(**fields: Any) -> Petition:
    campaign = make_campaign(targets=[make_target(zip_codes=["97201"])])
    petition = make_petition(campaign, **fields)
    return Petition.objects.select_related("campaign").get(pk=petition.pk)


def count_of(petition: Petition) -> int:
    petition.refresh_from_db()
    return petition.signature_count


# --- Counting ---------------------------------------------------------------------------


def test_a_counted_signature_raises_the_counter_with_its_row(db: None) -> None:
    petition = open_petition(requires_confirmation=False)
    result = petition_signing.sign_petition(petition, Signer(name="Ana", email="a@example.org"))
    assert result.outcome == Outcome.COUNTED
    assert result.in_district is None
    assert count_of(petition) == 1
    assert Signature.objects.filter(status=Signature.Status.CONFIRMED).count() == 1


def test_a_waiting_signature_is_not_counted(db: None) -> None:
    petition = open_petition(requires_confirmation=True)
    result = petition_signing.sign_petition(petition, Signer(name="Ana", email="a@example.org"))
    assert result.outcome == Outcome.CHECK_EMAIL
    assert count_of(petition) == 0
    signature = Signature.objects.get()
    assert signature.status == Signature.Status.PENDING
    assert signature.confirmed_at is None


def test_the_district_check_names_the_targets(db: None) -> None:
    petition = open_petition(requires_confirmation=False, check_district=True)
    inside = petition_signing.sign_petition(
        petition, Signer(name="Ana", email="a@example.org", zip_code="97201")
    )
    outside = petition_signing.sign_petition(
        petition, Signer(name="Bo", email="b@example.org", zip_code="10001")
    )
    assert inside.districts == ("Sen. Alex Rivera",)
    assert inside.in_district is True
    assert outside.districts == ()
    assert outside.in_district is False


def test_no_district_to_check_records_nothing(db: None) -> None:
    campaign = make_campaign(targets=[make_target(zip_codes=[])])
    petition = make_petition(campaign, requires_confirmation=False, check_district=True)
    result = petition_signing.sign_petition(
        Petition.objects.select_related("campaign").get(pk=petition.pk),
        Signer(name="Ana", email="a@example.org", zip_code="97201"),
    )
    assert result.in_district is None
    assert Signature.objects.get().in_district is None


@pytest.mark.parametrize(
    "change",
    [{"is_open": False}, {"campaign_status": Campaign.Status.CLOSED}],
)
def test_closed_petitions_refuse_and_store_nothing(db: None, change: dict[str, Any]) -> None:
    petition = open_petition(requires_confirmation=False)
    if "is_open" in change:
        petition.is_open = False
    else:
        petition.campaign.status = change["campaign_status"]
    with pytest.raises(ValidationError):
        petition_signing.sign_petition(petition, Signer(name="Ana", email="a@example.org"))
    assert not Signature.objects.exists()
    assert count_of(petition) == 0


def test_a_members_signature_is_their_account_not_an_address(member: User) -> None:
    petition = open_petition(requires_confirmation=True)
    first = petition_signing.sign_petition(petition, Signer(name="River", user=member))
    again = petition_signing.sign_petition(petition, Signer(name="Riv", user=member))
    assert first.outcome == Outcome.COUNTED
    assert again.outcome == Outcome.ALREADY_SIGNED
    signature = Signature.objects.get()
    assert signature.signer_digest == petition_signing.member_digest(member)
    assert signature.name == "River"
    assert count_of(petition) == 1
    assert AuditEntry.objects.filter(verb="advocacy.signature.sign").count() == 1


def test_visitor_signatures_leave_no_audit_entry(db: None) -> None:
    # A visitor has no account to link an entry to; the row is the record.
    petition = open_petition(requires_confirmation=False)
    petition_signing.sign_petition(petition, Signer(name="Ana", email="a@example.org"))
    assert not AuditEntry.objects.filter(verb__startswith="advocacy.signature").exists()


# --- Races ------------------------------------------------------------------------------


def _race(petition: Petition, signers: list[Signer]) -> tuple[list[Any], list[BaseException]]:
    start = threading.Barrier(len(signers))
    results: list[Any] = []
    errors: list[BaseException] = []

    def sign(signer: Signer) -> None:
        try:
            start.wait()
            results.append(petition_signing.sign_petition(petition, signer))
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign, args=(signer,)) for signer in signers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_the_same_signature_sent_at_once_is_stored_and_counted_once() -> None:
    petition = open_petition(requires_confirmation=False)
    same = Signer(name="Ana", email="ana@example.org")
    results, errors = _race(petition, [same] * 4)
    assert errors == []
    assert [result.outcome for result in results] == [Outcome.COUNTED] * 4
    assert Signature.objects.count() == 1
    assert count_of(petition) == 1


@pytest.mark.django_db(transaction=True)
def test_many_signers_at_once_are_each_counted() -> None:
    petition = open_petition(requires_confirmation=False)
    signers = [Signer(name=f"S{n}", email=f"s{n}@example.org") for n in range(6)]
    results, errors = _race(petition, signers + signers[:2])
    assert errors == []
    assert len(results) == 8
    assert Signature.objects.count() == 6
    assert count_of(petition) == 6


@pytest.mark.django_db(transaction=True)
def test_confirming_at_once_counts_once() -> None:
    petition = open_petition(requires_confirmation=True)
    petition_signing.sign_petition(petition, Signer(name="Ana", email="a@example.org"))
    signature = Signature.objects.select_related("petition__campaign").get()
    start = threading.Barrier(3)
    outcomes: list[bool] = []
    errors: list[BaseException] = []

    def confirm() -> None:
        try:
            start.wait()
            outcomes.append(petition_signing.confirm_signature(signature))
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(outcomes) == [False, False, True]
    assert count_of(petition) == 1


# --- E-mails ----------------------------------------------------------------------------


def test_the_e_mail_goes_after_commit(
    db: None, settings: SettingsWrapper, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = IMMEDIATE
    petition = open_petition(requires_confirmation=True)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        petition_signing.sign_petition(petition, Signer(name="Ana", email="a@example.org"))
    assert len(callbacks) == 1
    assert mail.outbox == []


def test_a_signature_without_an_address_gets_no_e_mail(db: None) -> None:
    petition = open_petition(requires_confirmation=False)
    petition_signing.sign_petition(petition, Signer(name="Ana"))
    signature = Signature.objects.get()
    assert petition_signing.send_signature_email.call(signature.pk, "en") is False
    assert petition_signing.send_signature_email.call(999_999, "en") is False
    assert mail.outbox == []


def test_the_e_mail_speaks_the_signers_language(db: None) -> None:
    petition = open_petition(requires_confirmation=True)
    petition_signing.sign_petition(petition, Signer(name="Ana", email="a@example.org"))
    signature = Signature.objects.get()
    assert petition_signing.send_signature_email.call(signature.pk, "en") is True
    assert mail.outbox[0].subject == "Please confirm your signature"
    assert "/confirm/" in str(mail.outbox[0].body)


# --- Purging ----------------------------------------------------------------------------


def test_unconfirmed_signatures_go_after_thirty_days(db: None) -> None:
    petition = open_petition(requires_confirmation=True)
    for email in ("old@example.org", "new@example.org"):
        petition_signing.sign_petition(petition, Signer(name="X", email=email))
    Petition.objects.filter(pk=petition.pk).update(requires_confirmation=False)
    petition.requires_confirmation = False
    petition_signing.sign_petition(petition, Signer(name="Y", email="kept@example.org"))
    long_ago = timezone.now() - dt.timedelta(days=31)
    new = next(row.pk for row in Signature.objects.all() if row.email == "new@example.org")
    Signature.objects.exclude(pk=new).update(created_at=long_ago)
    assert petition_signing.purge_unconfirmed_signatures.call() == 1
    assert sorted(Signature.objects.values_list("email", flat=True)) == [
        "kept@example.org",
        "new@example.org",
    ]
    entry = AuditEntry.objects.get(verb="advocacy.signature.purge_unconfirmed")
    assert entry.reason == "1 deleted"
    assert petition_signing.purge_unconfirmed_signatures.call() == 0
    assert AuditEntry.objects.filter(verb="advocacy.signature.purge_unconfirmed").count() == 1


def test_a_district_only_petition_refuses_signers_outside_and_stores_nothing(db: None) -> None:
    petition = open_petition(requires_confirmation=False, check_district=True, district_only=True)
    with pytest.raises(ValidationError) as refused:
        petition_signing.sign_petition(
            petition, Signer(name="Bo", email="b@example.org", zip_code="10001")
        )
    assert refused.value.code == "outside_district"
    assert count_of(petition) == 0
    assert not Signature.objects.exists()
    inside = petition_signing.sign_petition(
        petition, Signer(name="Ana", email="a@example.org", zip_code="97201")
    )
    assert inside.in_district is True
    assert count_of(petition) == 1


def test_district_only_means_nothing_without_the_district_check(db: None) -> None:
    petition = open_petition(requires_confirmation=False, district_only=True)
    result = petition_signing.sign_petition(
        petition, Signer(name="Bo", email="b@example.org", zip_code="10001")
    )
    assert result.outcome == Outcome.COUNTED
