"""Signing a petition, confirming a signature by e-mail, and purging unconfirmed ones.

One signature per signer and petition: the signer is the keyed digest of the
normalised e-mail address, or of "member:<id>" for a signed-in member (a
visitor who gives no address, where none is asked for, is a new signer each
time). The unique constraint decides between two signatures sent at once:
the second insert fails inside a savepoint and is answered like the first,
so nothing is stored or counted twice and nobody gets an error page.

Counting: ``Petition.signature_count`` rises by an ``F()`` update in the
transaction that stores a counted signature or confirms a waiting one, and
only when that row changed, so the counter always equals the confirmed rows.

What a stranger can learn: nothing about who signed. A visitor who must
confirm is told to look in their inbox whether or not the address signed
before; what the address already did is said only in the e-mail. A visitor
who need not confirm is thanked the same way either time. The count itself
moves only for new signatures; on a quiet petition someone watching it could
tell that a repeated address added nothing, which is accepted: the address
still confirms nothing else.

E-mails go after commit through the task queue (``send_signature_email``).
The confirmation token is made by that task when it sends, and only its
digest is stored: the token is in the e-mail and nowhere else. The link opens
a page with a button that posts, since mail scanners open links.
"""

from __future__ import annotations

import datetime
import functools
import secrets
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urljoin

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.tasks import task
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from peerlight.accounts.models import User
from peerlight.advocacy import access, petitions
from peerlight.advocacy.models import Petition, Signature
from peerlight.audit.actions import record_change
from peerlight.lib import ratelimit
from peerlight.lib.crypto import digest

__all__ = [
    "SIGNS_PER_MINUTE_SETTING",
    "UNCONFIRMED_DAYS",
    "Outcome",
    "SignResult",
    "Signer",
    "check_sign_rate",
    "confirm_signature",
    "member_digest",
    "purge_unconfirmed_signatures",
    "send_signature_email",
    "sign_petition",
    "signature_to_confirm",
]

SIGNER_PURPOSE = "advocacy.signature.signer"
CONFIRM_PURPOSE = "advocacy.signature.confirm"
# Signatures per minute from one address. Generous, because a whole office or
# a campus can sign from one address when a petition goes round; a benchmark
# or a large event can raise it in settings.
SIGNS_PER_MINUTE_SETTING = "PEERLIGHT_PETITION_SIGNS_PER_MINUTE"
DEFAULT_SIGNS_PER_MINUTE = 30
# E-mails to one signer (address) per hour, so nobody can fill an inbox by
# signing again and again with someone else's address.
EMAILS_TO_SIGNER = ratelimit.Policy("petition-email-signer", limit=3, period=60 * 60)
# Waiting signatures older than this are deleted by the purge task.
UNCONFIRMED_DAYS = 30


def check_sign_rate(ip: str) -> None:
    """Count one signing attempt from ``ip``; ``RateLimited`` when over the limit.

    The limit is read from settings at each call, so a server can be given
    another one without a code change.
    """
    limit = int(getattr(settings, SIGNS_PER_MINUTE_SETTING, DEFAULT_SIGNS_PER_MINUTE))
    ratelimit.hit(ratelimit.Policy("petition-sign-ip", limit=limit, period=60), ip)


def member_digest(user: User) -> str:
    return digest(f"member:{user.pk}", SIGNER_PURPOSE)


def _signer_digest(signer: Signer) -> str:
    if signer.user is not None:
        return member_digest(signer.user)
    if signer.email:
        return digest(petitions.normalise_email(signer.email), SIGNER_PURPOSE)
    # No address and none asked for: nothing ties two signatures together.
    return digest(f"visitor:{secrets.token_hex(16)}", SIGNER_PURPOSE)


@dataclass(frozen=True)
class Signer:
    """What a signer gave on the form; ``user`` for a signed-in member."""

    name: str
    email: str = ""
    zip_code: str = ""
    show_name: bool = False
    comment: str = ""
    user: User | None = None


class Outcome(StrEnum):
    COUNTED = "counted"  # counted now (or counted before, for a visitor: see the module)
    CHECK_EMAIL = "check_email"  # a visitor who must confirm: the rest is in the e-mail
    ALREADY_SIGNED = "already_signed"  # a member who had signed before


@dataclass(frozen=True)
class SignResult:
    outcome: Outcome
    # The targets whose district holds the signer's ZIP code (district check on).
    districts: tuple[str, ...] = ()
    # None: not checked; True/False: inside / outside every target's district.
    in_district: bool | None = None


def _district_check(petition: Petition, zip_code: str) -> tuple[tuple[str, ...], bool | None]:
    if not petition.check_district or not zip_code:
        return (), None
    districts = access.district_zip_codes(petition.campaign)
    if not districts:
        return (), None
    holding = petitions.districts_holding(zip_code, districts)
    return tuple(holding), bool(holding)


def _email_after_commit(signature: Signature, signer_digest: str) -> None:
    try:
        ratelimit.hit(EMAILS_TO_SIGNER, signer_digest)
    except ratelimit.RateLimited:
        return
    language = translation.get_language() or settings.LANGUAGE_CODE
    transaction.on_commit(
        functools.partial(send_signature_email.enqueue, int(signature.pk), language)
    )


def sign_petition(petition: Petition, signer: Signer) -> SignResult:
    """Sign ``petition`` (with its campaign loaded) as ``signer``; see the module for the rules.

    A member's signature, and a visitor's when the petition asks for no
    confirmation, counts at once; a visitor's otherwise waits for the
    e-mail's button. Signing again changes nothing that counts; a waiting
    signature takes the newest details, which the confirmation page shows.
    ``ValidationError`` when the petition does not take signatures.
    """
    if not access.is_taking_signatures(petition):
        raise ValidationError(_("This petition is not taking signatures."), code="closed")
    member = signer.user
    counts_now = member is not None or not petition.requires_confirmation
    districts, in_district = _district_check(petition, signer.zip_code)
    if petition.check_district and petition.district_only and in_district is not True:
        raise ValidationError(
            _(
                "This petition is for people who live in the districts of the decision makers "
                "it is addressed to, and your ZIP code is outside them. You can still help: "
                "the campaign's other actions are open to everyone."
            ),
            code="outside_district",
        )
    now = timezone.now()
    signature = Signature(
        petition=petition,
        user=member,
        name=signer.name,
        email="" if member is not None else signer.email.strip(),
        signer_digest=_signer_digest(signer),
        zip_code=signer.zip_code,
        in_district=in_district,
        show_name=signer.show_name,
        comment=signer.comment,
        status=Signature.Status.CONFIRMED if counts_now else Signature.Status.PENDING,
        confirmed_at=now if counts_now else None,
        created_at=now,
    )
    with transaction.atomic():
        try:
            with transaction.atomic():
                signature.save(force_insert=True)
        except IntegrityError:
            return _signed_again(petition, signature, districts)
        if counts_now:
            Petition.objects.filter(pk=petition.pk).update(
                signature_count=F("signature_count") + 1
            )
        else:
            _email_after_commit(signature, signature.signer_digest)
        if member is not None:
            record_change(member, "advocacy.signature.sign", signature, subject=member)
    outcome = Outcome.COUNTED if counts_now else Outcome.CHECK_EMAIL
    return SignResult(outcome, districts, in_district)


def _signed_again(petition: Petition, fresh: Signature, districts: tuple[str, ...]) -> SignResult:
    """The answer to a signer whose signature is stored already (inside the transaction)."""
    if fresh.user is not None:
        return SignResult(Outcome.ALREADY_SIGNED, districts, fresh.in_district)
    if not petition.requires_confirmation:
        return SignResult(Outcome.COUNTED, districts, fresh.in_district)
    existing = (
        Signature.objects.select_for_update()
        .filter(petition=petition, signer_digest=fresh.signer_digest)
        .only("pk", "status", "signer_digest")
        .first()
    )
    if existing is None:  # pragma: no cover - the row that won the race cannot vanish
        raise IntegrityError("a signature collided with one that is not there")
    if existing.status == Signature.Status.PENDING:
        changed = ["name", "email", "zip_code", "in_district", "show_name", "comment"]
        for name in changed:
            setattr(existing, name, getattr(fresh, name))
        existing.save(update_fields=changed)
    _email_after_commit(existing, existing.signer_digest)
    return SignResult(Outcome.CHECK_EMAIL, districts, fresh.in_district)


# --- Confirming -------------------------------------------------------------------------


def signature_to_confirm(slug: str, token: str) -> Signature | None:
    """The signature the e-mailed ``token`` is for, on the campaign at ``slug``; None if none."""
    if not token or len(token) > 100:
        return None
    return (
        Signature.objects.select_related("petition__campaign")
        .filter(confirm_digest=digest(token, CONFIRM_PURPOSE), petition__campaign__slug=slug)
        .first()
    )


def confirm_signature(signature: Signature) -> bool:
    """Count a waiting signature; True if this call counted it, False if it counted already.

    The status changes by a conditional update, so two confirmations at once
    count once. ``ValidationError`` when the petition no longer takes
    signatures.
    """
    if not access.is_taking_signatures(signature.petition):
        raise ValidationError(_("This petition is not taking signatures."), code="closed")
    with transaction.atomic():
        changed = Signature.objects.filter(
            pk=signature.pk, status=Signature.Status.PENDING
        ).update(status=Signature.Status.CONFIRMED, confirmed_at=timezone.now())
        if changed:
            Petition.objects.filter(pk=signature.petition_id).update(
                signature_count=F("signature_count") + 1
            )
    return bool(changed)


# --- E-mail -----------------------------------------------------------------------------


def _confirm_email(signature: Signature, token: str) -> tuple[str, str]:
    site = settings.PEERLIGHT_SITE_NAME
    path = reverse("advocacy:petition_confirm", args=[signature.petition.campaign.slug, token])
    link = urljoin(settings.PEERLIGHT_BASE_URL + "/", path.lstrip("/"))
    subject = _("Please confirm your signature")
    body = _(
        "Thank you for signing a petition on %(site)s.\n\n"
        "Your signature counts once you confirm it. Open this link and press "
        "the button on the page:\n%(link)s\n\n"
        "If you did not sign, do nothing: the signature is deleted after %(days)d days."
    ) % {"site": site, "link": link, "days": UNCONFIRMED_DAYS}
    return subject, body


def _already_email(signature: Signature) -> tuple[str, str]:
    site = settings.PEERLIGHT_SITE_NAME
    subject = _("You have already signed")
    body = _(
        "Someone, probably you, signed a petition on %(site)s again with this address.\n\n"
        "You have already signed it and your signature counts: there is nothing more to do."
    ) % {"site": site}
    return subject, body


@task
def send_signature_email(signature_id: int, language: str) -> bool:
    """E-mail the signer of ``signature_id``; True if an e-mail went.

    A waiting signature gets a new confirmation link (the digest of a fresh
    token replaces the old one, so only the newest link works); a confirmed
    one gets "you have already signed". The e-mail is sent while the row is
    locked, so a failed send stores no token.
    """
    with transaction.atomic():
        signature = (
            Signature.objects.select_for_update(of=("self",))
            .select_related("petition__campaign")
            .filter(pk=signature_id)
            .first()
        )
        if signature is None or not signature.email:
            return False
        with translation.override(language):
            if signature.status == Signature.Status.PENDING:
                token = secrets.token_urlsafe(24)
                signature.confirm_digest = digest(token, CONFIRM_PURPOSE)
                signature.save(update_fields=["confirm_digest"])
                subject, body = _confirm_email(signature, token)
            else:
                subject, body = _already_email(signature)
        send_mail(subject, body, None, [signature.email])
    return True


@task
def purge_unconfirmed_signatures() -> int:
    """Delete signatures left unconfirmed for ``UNCONFIRMED_DAYS``; return how many went."""
    cutoff = timezone.now() - datetime.timedelta(days=UNCONFIRMED_DAYS)
    with transaction.atomic():
        deleted, _per_model = Signature.objects.filter(
            status=Signature.Status.PENDING, created_at__lt=cutoff
        ).delete()
        if deleted:
            record_change(
                None,
                "advocacy.signature.purge_unconfirmed",
                ("advocacy.signature", "unconfirmed"),
                reason=f"{deleted} deleted",
            )
    return deleted
