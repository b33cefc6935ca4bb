"""Safety, end to end, in three browsers: a member, their peer and the on-call coordinator.

A member writes that they will take their pills tonight. They get the
safety card at once, without reloading, and can keep talking; the peer sees
what the safety check noticed and the protocol steps; the case reaches the
coordinator's console, which updates itself, and the coordinator carries it
to an outcome. Then the member makes a safety plan and shares it with the
peer from the chat in one tap. Every page is checked by the harness
(accessibility, weight, hosts, CSP).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from peerlight.accounts.models import User
from peerlight.chat import actions as chat_actions
from peerlight.chat.models import Conversation, Participant
from peerlight.safety import dispatcher, escalations
from peerlight.safety.models import Escalation, PlanShare
from tests.browser.harness import BrowserPages
from tests.support.conftest import make_peer

pytestmark = pytest.mark.browser

# Pages poll every few seconds when the socket is not there.
WAIT_MS = 15_000


def send(page: Page, text: str) -> None:
    page.get_by_label("Your message").fill(text)
    page.get_by_role("button", name="Send").click()


def test_an_urgent_message_reaches_the_on_call_coordinator_and_the_plan_is_shared(
    asgi_pages: BrowserPages, member: User, coordinator: User
) -> None:
    peer = make_peer("Renée", experiences=["suicide_attempt_survivor"])
    now = timezone.now()
    escalations.add_shift(coordinator, coordinator, now, now + timedelta(hours=8), 0)
    conversation = chat_actions.start_conversation(
        kind=Conversation.Kind.DIRECT,
        members=[(member, Participant.Role.MEMBER), (peer, Participant.Role.SUPPORTER)],
    )
    address = f"/chat/{conversation.pk}/"

    console = asgi_pages.new_page(user=coordinator)
    console.goto("/safety/escalations/")
    expect(console.get_by_text("No open cases right now.")).to_be_visible()
    supporter = asgi_pages.new_page(user=peer)
    supporter.goto(address)
    person = asgi_pages.new_page(user=member)
    person.goto(address)
    expect(person.get_by_role("heading", name="You matter")).to_have_count(0)

    send(person, "i cant do this anymore, im going to take all my pills tonight")
    # The card comes with the message itself: no reload, and the chat goes on.
    expect(person.get_by_role("heading", name="You matter")).to_be_visible(timeout=WAIT_MS)
    expect(person.get_by_label("Your message")).to_be_enabled()
    expect(supporter.locator("#messages")).to_contain_text("all my pills", timeout=WAIT_MS)
    supporter.reload()
    expect(supporter.get_by_text("The safety check sees imminent risk.")).to_be_visible()
    expect(supporter.get_by_text("Ask directly:").first).to_be_visible()

    # The imminent message opened a case in the same transaction; the
    # worker's dispatcher (run here by hand) alerts the coordinator on call.
    case = Escalation.objects.get()
    assert case.person_id == member.pk
    assert case.level == "imminent"
    assert dispatcher.run_once() >= 1
    case.refresh_from_db()
    assert case.responder_id == coordinator.pk
    # The console refreshes itself: the case appears without a reload.
    expect(console.get_by_text("You are asked to respond.")).to_be_visible(timeout=WAIT_MS)

    console.get_by_role("link", name=f"Case {case.pk}").first.click()
    console.get_by_role("button", name="Acknowledge: I will take it").click()
    console.get_by_role("button", name="I am working with the person now").click()
    console.get_by_label("Warm hand-off to a crisis line done").check()
    console.get_by_role("button", name="Resolve this case").click()
    case.refresh_from_db()
    assert case.state == Escalation.State.RESOLVED
    assert case.outcome == Escalation.Outcome.WARM_HANDOFF
    assert case.acknowledged_at is not None
    assert case.resolved_at is not None

    # The member makes a plan and shares it from the chat in one tap.
    person.goto("/safety/plan/edit/")
    person.get_by_label("Warning signs").fill("Not sleeping\nStaying in my room")
    person.get_by_label("My reasons for living").fill("My sister\nMy cat, Miso")
    person.get_by_role("button", name="Save my plan").click()
    person.goto(address)
    person.get_by_role("button", name="Share my safety plan with my peer").click()
    expect(person.get_by_text("Your peer can see your safety plan.")).to_be_visible()
    share = PlanShare.objects.get()
    assert share.stopped_at is None

    supporter.reload()
    supporter.get_by_role("link", name=f"{member.display_name}'s safety plan").click()
    expect(supporter.locator("main")).to_contain_text("My cat, Miso")
