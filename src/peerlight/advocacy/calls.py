"""Writes for calls: the coordinators' script, and "I made the call".

Anyone may say they made a call, visitors too; the tally counts those
claims, so it is rate limited per address (generously: a whole office or
shelter may share one) and per account or session, and cannot be inflated
by pressing the button again and again. Each record and script change has
an audit entry (ids only).
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from peerlight.accounts.models import User
from peerlight.advocacy import outreach_access as access
from peerlight.advocacy.models import CallAction, CallRecord, Campaign
from peerlight.advocacy.outreach import OutreachError, require_coordinator
from peerlight.advocacy.outreach_models import SCRIPT_MAX
from peerlight.audit.actions import record_change
from peerlight.lib import ratelimit

CALL_IP = ratelimit.Policy("advocacy-call-ip", limit=30, period=60 * 60)
CALL_PERSON = ratelimit.Policy("advocacy-call-person", limit=6, period=60 * 60)


def save_call_action(actor: User, campaign: Campaign, *, script: str, is_open: bool) -> CallAction:
    """Create or change the campaign's call script, open or closed."""
    require_coordinator(actor)
    script = script.strip()
    if not script or len(script) > SCRIPT_MAX:
        raise OutreachError(_("Please write the call script (up to 4,000 characters)."))
    with transaction.atomic():
        action, created = CallAction.objects.select_for_update().get_or_create(
            campaign=campaign, defaults={"script": script, "is_open": is_open}
        )
        if not created:
            action.script, action.is_open = script, is_open
            action.save(update_fields=["script", "is_open"])
        record_change(
            actor,
            "advocacy.call_action.create" if created else "advocacy.call_action.change",
            action,
        )
    return action


def record_call(
    action: CallAction,
    target_id: int,
    *,
    caller: User | None,
    ip: str,
    session_key: str | None,
) -> CallRecord:
    """Count one call someone says they made to one of the campaign's targets.

    Anyone may, visitors too. ``ratelimit.RateLimited`` past the limits per
    address and per account (or session).
    """
    if not access.taking_calls(action.campaign, action):
        raise OutreachError(_("This campaign is not asking for calls at the moment."))
    target = access.callable_target(action, target_id)
    if target is None:
        raise OutreachError(_("Please choose one of the people listed to call."))
    ratelimit.hit(CALL_IP, ip)
    if caller is not None:
        ratelimit.hit(CALL_PERSON, f"account:{caller.pk}")
    elif session_key:
        ratelimit.hit(CALL_PERSON, f"session:{session_key}")
    with transaction.atomic():
        record = CallRecord.objects.create(action=action, target=target, caller=caller)
        record_change(caller, "advocacy.call.record", record)
    return record
