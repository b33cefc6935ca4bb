"""Writes for letters: setting one up, writing, withdrawing and delivering.

Every write checks who may make it, validates again what the form checked,
saves in one transaction and writes an audit entry (ids only, never words).

Delivery is a coordinator's step for both methods, never automatic. The
letters of a campaign go out together, so each target receives one message
with every letter and the count by district rather than a trickle of single
e-mails; until that moment a writer can still withdraw their letter, and a
coordinator chooses when the ask lands (before a vote, say). E-mail delivery
sends one message per target after commit, through a task; packet delivery
archives a printable packet per target for delivery by hand or post (a
target without an e-mail address gets a packet either way).

What a target receives is private by default: counts by district and the
stories whose consent still covers the campaign at that moment (each
re-checked through ``stories.access.story_for_campaign``), never ZIP codes,
accounts or addresses, and a name only under a letter whose writer chose to
sign. Each delivery is archived (``LetterDelivery``) with its exact content,
SHA-256 and the ids of the stories it carried.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from peerlight.accounts.models import User
from peerlight.advocacy import letters as assembly
from peerlight.advocacy import outreach_access as access
from peerlight.advocacy.models import Campaign, Letter, LetterAction, LetterDelivery, Target
from peerlight.advocacy.outreach_models import OWN_WORDS_MAX, SUBJECT_MAX, TEMPLATE_MAX
from peerlight.audit.actions import record_change
from peerlight.stories import access as stories
from peerlight.stories.access import Readable
from peerlight.stories.markdown import render as render_markdown

SIGNED_NAME_MAX = 80
Delivery = LetterAction.Delivery


class OutreachError(Exception):
    """A write was refused; ``message`` says why in words for the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def require_coordinator(actor: User) -> None:
    """``PermissionDenied`` unless ``actor`` is a coordinator."""
    if not access.is_coordinator(actor):
        raise PermissionDenied


def unnamed_byline() -> str:
    """What stands in for the name of an anonymous story."""
    return _("A member of %(organisation)s") % {"organisation": settings.PEERLIGHT_SITE_NAME}


def story_part(readable: Readable) -> assembly.StoryPart:
    """A story as a decision maker receives it: its byline as consented, never more."""
    consent = readable.consent
    return assembly.StoryPart(
        story_id=int(readable.story.pk),
        title=readable.version.title,
        body=readable.version.body,
        byline=assembly.byline_for(
            consent.attribution,
            display_name=readable.story.author.display_name,
            other_name=consent.other_name,
            unnamed=unnamed_byline(),
        ),
    )


# --- Setting a letter up (coordinators) ------------------------------------------------


def save_letter_action(
    actor: User, campaign: Campaign, *, subject: str, template: str, delivery: str, is_open: bool
) -> LetterAction:
    """Create or change the campaign's letter: subject, template, delivery, open or closed."""
    require_coordinator(actor)
    subject, template = subject.strip(), template.strip()
    if not subject or len(subject) > SUBJECT_MAX or "\n" in subject or "\r" in subject:
        raise OutreachError(_("Please give the letter a subject of one line."))
    if not template or len(template) > TEMPLATE_MAX:
        raise OutreachError(_("Please write the letter's text (up to 6,000 characters)."))
    if delivery not in Delivery.values:
        raise OutreachError(_("Please choose how the letters are delivered."))
    with transaction.atomic():
        action, created = LetterAction.objects.select_for_update().get_or_create(
            campaign=campaign,
            defaults={
                "subject": subject,
                "template": template,
                "delivery": delivery,
                "is_open": is_open,
            },
        )
        if not created:
            action.subject, action.template = subject, template
            action.delivery, action.is_open = delivery, is_open
            action.save(update_fields=["subject", "template", "delivery", "is_open"])
        record_change(
            actor,
            "advocacy.letter_action.create" if created else "advocacy.letter_action.change",
            action,
        )
    return action


# --- Writing a letter (members) --------------------------------------------------------


def check_letter(
    writer: User,
    campaign: Campaign,
    *,
    own_words: str,
    story_public_id: str,
    zip_code: str,
    share_name: bool,
    signed_name: str,
) -> tuple[assembly.WrittenLetter, Readable | None]:
    """The letter as it would be sent, and its story; ``OutreachError`` for what may not go.

    The story must be one of the writer's own whose consent covers this
    campaign now (``stories.access.own_stories_for_campaign``); anyone
    else's, or one without that consent, is refused.
    """
    own_words = own_words.strip()
    if not own_words:
        raise OutreachError(_("Please write a few words of your own: why this matters to you."))
    if len(own_words) > OWN_WORDS_MAX:
        raise OutreachError(_("Please keep your own words under 3,000 characters."))
    zip_found = ""
    if zip_code.strip():
        normalised = assembly.normalise_zip(zip_code)
        if normalised is None:
            raise OutreachError(_("Please give a ZIP code of five digits, or leave it empty."))
        zip_found = normalised
    signed_name = signed_name.strip()
    if share_name and not signed_name:
        raise OutreachError(_("Please type the name to sign with, or untick the box."))
    if len(signed_name) > SIGNED_NAME_MAX:
        raise OutreachError(_("Please keep the name under 80 characters."))
    readable = None
    if story_public_id:
        mine = {item.story.public_id: item for item in access.stories_to_offer(writer, campaign)}
        readable = mine.get(story_public_id)
        if readable is None:
            raise OutreachError(
                _("Please choose one of your own stories shared for this campaign.")
            )
    letter = assembly.WrittenLetter(
        own_words=own_words,
        share_name=share_name,
        signed_name=signed_name if share_name else "",
        district=assembly.district_for(zip_found, access.district_table(campaign)),
        story_id=int(readable.story.pk) if readable is not None else None,
    )
    return letter, readable


def write_letter(
    writer: User,
    campaign: Campaign,
    *,
    own_words: str,
    story_public_id: str,
    zip_code: str,
    share_name: bool,
    signed_name: str,
) -> Letter:
    """Save the person's letter, ready for delivery (the fields as for ``check_letter``).

    Refused while the campaign takes no letters, and while the person has a
    letter of this campaign waiting already (one voice, one letter per round).
    """
    action = access.letter_action_of(campaign)
    if action is None or not access.taking_letters(campaign, action):
        raise OutreachError(_("This campaign is not taking letters at the moment."))
    written, _readable = check_letter(
        writer,
        campaign,
        own_words=own_words,
        story_public_id=story_public_id,
        zip_code=zip_code,
        share_name=share_name,
        signed_name=signed_name,
    )
    with transaction.atomic():
        # Locking the action orders writers and deliveries, so a letter is
        # either in a delivery or waiting for the next one, never lost between.
        LetterAction.objects.select_for_update().get(pk=action.pk)
        if access.waiting_letters(action).filter(writer=writer).exists():
            raise OutreachError(
                _(
                    "Your letter is already waiting to be delivered. "
                    "Withdraw it to write a new one."
                )
            )
        letter = Letter.objects.create(
            action=action,
            writer=writer,
            own_words=written.own_words,
            story_id=written.story_id,
            share_name=written.share_name,
            signed_name=written.signed_name,
            zip_code=assembly.normalise_zip(zip_code) or "",
            district=written.district,
            status=Letter.Status.READY,
        )
        record_change(writer, "advocacy.letter.write", letter, subject=writer)
    return letter


def withdraw_letter(writer: User, letter: Letter) -> Letter:
    """Take back one's own letter before it is delivered."""
    with transaction.atomic():
        letter = Letter.objects.select_for_update().get(pk=letter.pk)
        if letter.writer_id != writer.pk:
            raise PermissionDenied
        if letter.status != Letter.Status.READY:
            raise OutreachError(_("This letter has already gone, so it cannot be withdrawn."))
        letter.status = Letter.Status.WITHDRAWN
        letter.save(update_fields=["status"])
        record_change(writer, "advocacy.letter.withdraw", letter, subject=writer)
    return letter


# --- Delivering (coordinators) ---------------------------------------------------------


def _render(delivery: assembly.Delivery, campaign: Campaign, method: str) -> str:
    """The archived content of one delivery, in the site's language."""
    context = {
        "delivery": delivery,
        "campaign": campaign,
        "site_name": settings.PEERLIGHT_SITE_NAME,
        "stories": [
            {"part": story, "html": render_markdown(story.body)} for story in delivery.stories
        ],
    }
    with translation.override(settings.LANGUAGE_CODE):
        if method == Delivery.EMAIL:
            body = render_to_string("advocacy/outreach/delivery_email.txt", context)
            return assembly.join_message(delivery.subject, body.strip() + "\n")
        return render_to_string("advocacy/outreach/delivery_packet.html", context).strip()


def _method_for(action: LetterAction, target: Target) -> str:
    if action.delivery == Delivery.EMAIL and target.email:
        return str(Delivery.EMAIL)
    return str(Delivery.PACKET)


def deliver_letters(actor: User, campaign: Campaign) -> list[LetterDelivery]:
    """Deliver every waiting letter of the campaign to each of its targets.

    Each story is checked against its consent now; one that no longer covers
    the campaign is left out (its writer sees so on their letter page). One
    ``LetterDelivery`` per target is archived; e-mails are queued after commit.
    """
    require_coordinator(actor)
    targets = list(access.active_targets(campaign))
    if not targets:
        raise OutreachError(_("This campaign has no decision makers to deliver to yet."))
    with transaction.atomic():
        action = LetterAction.objects.select_for_update().filter(campaign=campaign).first()
        if action is None:
            raise OutreachError(_("This campaign has no letter yet."))
        waiting = list(access.waiting_letters(action))
        if not waiting:
            raise OutreachError(_("No letters are waiting to be delivered."))
        allowed: dict[int, assembly.StoryPart] = {}
        for story_id in {letter.story_id for letter in waiting if letter.story_id is not None}:
            readable = stories.story_for_campaign(story_id, campaign.pk)
            if readable is not None:
                # In the language of the delivery, not of the coordinator's page.
                with translation.override(settings.LANGUAGE_CODE):
                    allowed[story_id] = story_part(readable)
        written = [
            assembly.WrittenLetter(
                own_words=letter.own_words,
                share_name=letter.share_name,
                signed_name=letter.signed_name,
                district=letter.district,
                story_id=letter.story_id,
            )
            for letter in waiting
        ]
        now = timezone.now()
        made = []
        for target in targets:
            method = _method_for(action, target)
            parts = assembly.assemble_delivery(
                target_name=str(target),
                target_district=target.district,
                subject=action.subject,
                template=action.template,
                letters=written,
                stories=allowed,
            )
            content = _render(parts, campaign, method)
            delivery = LetterDelivery.objects.create(
                action=action,
                target=target,
                counts_by_district=parts.counts_dict(),
                method=method,
                content=content,
                content_sha256=assembly.sha256_hex(content),
                story_ids=parts.story_ids,
                delivered_by=actor,
                delivered_at=now,
            )
            delivery.letters.set(waiting)
            record_change(actor, "advocacy.letters.deliver", delivery)
            made.append(delivery)
        Letter.objects.filter(pk__in=[letter.pk for letter in waiting]).update(
            status=Letter.Status.DELIVERED, delivered_at=now
        )
        for delivery in made:
            if delivery.method == Delivery.EMAIL:
                transaction.on_commit(functools.partial(email_delivery.enqueue, delivery.pk))
    return made


@task
def email_delivery(delivery_id: int) -> bool:
    """E-mail the archived letters of ``delivery_id`` to its target; True if an e-mail went.

    Sends exactly the archived text (subject and body), so what was sent is
    what the hash covers. Once sent, ``sent_at`` is set in the same
    transaction, so running the task again sends nothing.
    """
    with transaction.atomic():
        delivery = (
            LetterDelivery.objects.select_for_update()
            .select_related("target")
            .filter(pk=delivery_id, method=Delivery.EMAIL, sent_at__isnull=True)
            .first()
        )
        if delivery is None or not delivery.target.email:
            return False
        subject, body = assembly.split_message(delivery.content)
        # Sent while the row is locked and marked in the same transaction: a
        # second run of the task finds it sent. A crash between the send and
        # the commit can still send twice, never none.
        send_mail(subject, body, None, [delivery.target.email])
        delivery.sent_at = timezone.now()
        delivery.save(update_fields=["sent_at"])
    return True
