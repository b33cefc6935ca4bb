"""The safety plan pages: the member's own plan, print, delete, sharing from a chat."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils.html import escape

from peerlight.accounts.models import Role, User
from peerlight.audit.models import AuditEntry
from peerlight.chat import actions as chat_actions
from peerlight.chat.models import Conversation, Participant
from peerlight.safety import plans
from peerlight.safety.models import PlanShare, SafetyPlan
from tests.conftest import delete_with_csrf, make_user, post_with_csrf

type ClientFor = Callable[[User | None], Client]

PLAN = reverse("safety:plan")
EDIT = reverse("safety:plan_edit")
PRINT = reverse("safety:plan_print")
DELETE = reverse("safety:plan_delete")
HTMX = {"HX-Request": "true"}
SECRET = "call Marmalade's vet"


@pytest.fixture
def plan(member: User) -> SafetyPlan:
    return plans.save_plan(member, {"coping_strategies": SECRET, "reasons_for_living": "Ana"})


def share_url(chat: Conversation) -> str:
    return reverse("safety:plan_share", args=[chat.pk])


def shared_url(share: PlanShare) -> str:
    return reverse("safety:plan_shared", args=[share.pk])


def form_data(**sections: str) -> dict[str, str]:
    data = {section.name: "" for section in plans.SECTIONS}
    return {**data, **sections}


def textarea(html: str, name: str) -> str:
    """The text in the form's box for section ``name`` (every page lists crisis lines too)."""
    found = re.search(rf'<textarea name="{name}"[^>]*>(.*?)</textarea>', html, re.DOTALL)
    assert found is not None
    return found[1]


def assert_sent_to_log_in(client: Client, url: str, *, post: bool = False) -> None:
    response = post_with_csrf(client, url) if post else client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# --- The plan page ----------------------------------------------------------------------------


def test_it_invites_someone_without_a_plan_to_make_one(
    client_for: ClientFor, member: User
) -> None:
    response = client_for(member).get(PLAN)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Make my safety plan" in html
    assert EDIT in html
    for section in plans.SECTIONS:
        assert escape(str(section.title)) in html


def test_it_shows_the_plan_in_order_with_guidance(
    client_for: ClientFor, member: User, plan: SafetyPlan
) -> None:
    html = client_for(member).get(PLAN).content.decode()
    assert escape(SECRET) in html
    titles = [html.index(escape(str(section.title))) for section in plans.SECTIONS]
    assert titles == sorted(titles)
    assert escape(str(plans.SECTIONS[0].guidance)) in html
    assert PRINT in html
    assert DELETE in html
    assert "Only you." in html


def test_each_person_sees_only_their_own_plan(
    client_for: ClientFor, other_member: User, plan: SafetyPlan
) -> None:
    html = client_for(other_member).get(PLAN).content.decode()
    assert escape(SECRET) not in html
    assert "Make my safety plan" in html


def test_a_guest_has_a_plan_too(client_for: ClientFor) -> None:
    guest = make_user("Guest 123")
    guest.is_guest = True
    guest.save()
    response = post_with_csrf(client_for(guest), EDIT, form_data(warning_signs="tired"))
    assert response.status_code == 302
    assert SafetyPlan.objects.get(member=guest).warning_signs == "tired"


def test_every_plan_page_sends_a_visitor_to_log_in(client_for: ClientFor) -> None:
    for url in (PLAN, EDIT, PRINT, DELETE):
        assert_sent_to_log_in(client_for(None), url)
    assert not SafetyPlan.objects.exists()


def test_the_plan_pages_refuse_other_methods(client_for: ClientFor, member: User) -> None:
    client = client_for(member)
    assert post_with_csrf(client, PLAN).status_code == 405
    assert post_with_csrf(client, PRINT).status_code == 405
    assert delete_with_csrf(client, EDIT).status_code == 405
    assert delete_with_csrf(client, DELETE).status_code == 405


# --- Writing ----------------------------------------------------------------------------------


def test_a_new_plan_starts_with_the_regions_crisis_lines(
    client_for: ClientFor, member: User
) -> None:
    response = client_for(member).get(EDIT)
    assert response.status_code == 200
    html = response.content.decode()
    assert escape("988 Suicide & Crisis Lifeline") in textarea(html, "professionals")
    assert textarea(html, "warning_signs").strip() == ""
    assert '<label for="id_warning_signs">' in html


def test_it_saves_the_plan_and_goes_back_to_it(client_for: ClientFor, member: User) -> None:
    client = client_for(member)
    data = form_data(warning_signs="not sleeping\nstaying in", version="0")
    response = post_with_csrf(client, EDIT, data)
    assert response.status_code == 302
    assert response["Location"] == PLAN
    saved = SafetyPlan.objects.get(member=member)
    assert saved.section_lines("warning_signs") == ["not sleeping", "staying in"]
    assert AuditEntry.objects.filter(verb="safety.plan.create", actor_id=member.pk).exists()
    assert "Your safety plan is saved." in client.get(PLAN).content.decode()


def test_the_edit_page_shows_the_plan_as_it_is(
    client_for: ClientFor, member: User, plan: SafetyPlan
) -> None:
    html = client_for(member).get(EDIT).content.decode()
    assert escape(SECRET) in textarea(html, "coping_strategies")
    assert 'name="version" value="1"' in html
    # The member's own words, not suggestions, once the plan exists.
    assert textarea(html, "professionals").strip() == ""


def test_a_section_too_long_is_refused_with_a_clear_error_and_nothing_saved(
    client_for: ClientFor, member: User, plan: SafetyPlan
) -> None:
    data = form_data(
        coping_strategies="x" * (plans.MAX_SECTION_CHARS + 1),
        warning_signs="new words",
        version="1",
    )
    response = post_with_csrf(client_for(member), EDIT, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert f"Please keep each part under {plans.MAX_SECTION_CHARS} characters." in html
    assert 'href="#id_coping_strategies"' in html
    plan.refresh_from_db()
    assert plan.coping_strategies == SECRET
    assert plan.warning_signs == ""
    assert plan.version == 1


def test_an_edit_from_a_stale_page_is_refused_and_the_words_kept(
    client_for: ClientFor, member: User, plan: SafetyPlan
) -> None:
    plans.save_plan(member, {"warning_signs": "from another window"})
    data = form_data(warning_signs="from this window", version="1")
    response = post_with_csrf(client_for(member), EDIT, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "changed in another window" in html
    assert "from this window" in html
    plan.refresh_from_db()
    assert plan.warning_signs == "from another window"


# --- Printing ---------------------------------------------------------------------------------


def test_the_print_page_is_the_plan_alone(
    client_for: ClientFor, member: User, plan: SafetyPlan
) -> None:
    response = client_for(member).get(PRINT)
    assert response.status_code == 200
    html = response.content.decode()
    assert escape(SECRET) in html
    assert "Ana" in html
    for section in plans.SECTIONS:
        assert escape(str(section.title)) in html
    assert "peerlight/plan.css" in html
    assert 'class="main-nav' not in html
    assert 'class="site-footer' not in html
    assert "Print command" in html
    assert "data-quick-exit" in html


def test_the_print_page_without_a_plan_goes_to_the_plan_page(
    client_for: ClientFor, member: User
) -> None:
    response = client_for(member).get(PRINT)
    assert response.status_code == 302
    assert response["Location"] == PLAN


# --- Deleting ---------------------------------------------------------------------------------


def test_it_asks_before_deleting(client_for: ClientFor, member: User, plan: SafetyPlan) -> None:
    response = client_for(member).get(DELETE)
    assert response.status_code == 200
    assert "Delete your safety plan?" in response.content.decode()
    assert SafetyPlan.objects.exists()


def test_it_deletes_the_plan_on_post(
    client_for: ClientFor, member: User, plan: SafetyPlan, chat: Conversation
) -> None:
    plans.share_plan(member, int(chat.pk))
    response = post_with_csrf(client_for(member), DELETE)
    assert response.status_code == 302
    assert response["Location"] == PLAN
    assert not SafetyPlan.objects.exists()
    assert not PlanShare.objects.exists()
    assert AuditEntry.objects.filter(verb="safety.plan.delete").exists()


def test_deleting_touches_only_ones_own_plan(
    client_for: ClientFor, other_member: User, plan: SafetyPlan
) -> None:
    assert post_with_csrf(client_for(other_member), DELETE).status_code == 302
    assert SafetyPlan.objects.filter(pk=plan.pk).exists()
    assert_sent_to_log_in(client_for(None), DELETE, post=True)
    assert SafetyPlan.objects.filter(pk=plan.pk).exists()


# --- Sharing from the chat --------------------------------------------------------------------


def test_the_member_shares_from_the_chat_and_goes_back_to_it(
    client_for: ClientFor, member: User, plan: SafetyPlan, chat: Conversation
) -> None:
    response = post_with_csrf(client_for(member), share_url(chat), {"sharing": "start"})
    assert response.status_code == 302
    assert response["Location"] == reverse("chat:conversation", args=[chat.pk])
    share = PlanShare.objects.get()
    assert (share.plan, share.conversation_id, share.is_active) == (plan, chat.pk, True)


def test_with_htmx_the_answer_is_the_refreshed_button(
    client_for: ClientFor, member: User, plan: SafetyPlan, chat: Conversation
) -> None:
    client = client_for(member)
    response = post_with_csrf(client, share_url(chat), {"sharing": "start"}, headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith(f'<div id="plan-share-{chat.pk}"')
    assert "Stop sharing" in html
    assert "Your peer can now see your safety plan." in html
    response = post_with_csrf(client, share_url(chat), {"sharing": "stop"}, headers=HTMX)
    html = response.content.decode()
    assert "Share my safety plan with my peer" in html
    assert not PlanShare.objects.filter(stopped_at__isnull=True).exists()


def test_stopping_from_the_plan_page_goes_back_to_it(
    client_for: ClientFor, member: User, plan: SafetyPlan, chat: Conversation
) -> None:
    plans.share_plan(member, int(chat.pk))
    client = client_for(member)
    page = client.get(PLAN).content.decode()
    assert share_url(chat) in page
    response = post_with_csrf(client, share_url(chat), {"sharing": "stop", "next": "plan"})
    assert response["Location"] == PLAN
    assert PlanShare.objects.get().stopped_at is not None


def test_sharing_without_a_plan_says_so_and_shares_nothing(
    client_for: ClientFor, member: User, chat: Conversation
) -> None:
    client = client_for(member)
    response = post_with_csrf(client, share_url(chat), {"sharing": "start"}, follow=True)
    assert "Please make your safety plan first." in response.content.decode()
    assert not PlanShare.objects.exists()


def test_sharing_needs_a_known_choice(
    client_for: ClientFor, member: User, plan: SafetyPlan, chat: Conversation
) -> None:
    response = post_with_csrf(client_for(member), share_url(chat), {"sharing": "everyone"})
    assert response.status_code == 400
    assert not PlanShare.objects.exists()


def test_sharing_into_an_unknown_chat_or_someone_elses_is_a_404(
    client_for: ClientFor,
    member: User,
    other_member: User,
    peer_supporter: User,
    plan: SafetyPlan,
    chat: Conversation,
) -> None:
    theirs = chat_actions.start_conversation(
        kind=Conversation.Kind.DIRECT,
        members=[
            (other_member, Participant.Role.MEMBER),
            (peer_supporter, Participant.Role.SUPPORTER),
        ],
    )
    client = client_for(member)
    for conversation_id in (theirs.pk, chat.pk + 1000):
        url = reverse("safety:plan_share", args=[conversation_id])
        assert post_with_csrf(client, url, {"sharing": "start"}).status_code == 404
        assert post_with_csrf(client, url, {"sharing": "stop"}).status_code == 404
    assert not PlanShare.objects.exists()


def test_the_share_endpoint_takes_posts_from_people_signed_in_only(
    client_for: ClientFor, member: User, chat: Conversation
) -> None:
    assert client_for(member).get(share_url(chat)).status_code == 405
    assert_sent_to_log_in(client_for(None), share_url(chat), post=True)


# --- The peer's copy --------------------------------------------------------------------------


def test_the_peer_reads_the_shared_plan_and_the_read_is_audited(
    client_for: ClientFor,
    member: User,
    peer_supporter: User,
    plan: SafetyPlan,
    chat: Conversation,
) -> None:
    share = plans.share_plan(member, int(chat.pk))
    response = client_for(peer_supporter).get(shared_url(share))
    assert response.status_code == 200
    html = response.content.decode()
    assert escape(SECRET) in html
    assert "River" in html
    assert reverse("chat:conversation", args=[chat.pk]) in html
    assert EDIT not in html  # read-only
    entry = AuditEntry.objects.get(verb="safety.plan.view_shared")
    assert (entry.actor_id, entry.subject_id) == (peer_supporter.pk, member.pk)
    assert (entry.target_type, entry.target_id) == ("safety.safetyplan", str(plan.pk))
    assert SECRET not in repr(list(AuditEntry.objects.values()))


def test_nobody_else_reads_a_shared_plan(
    client_for: ClientFor,
    member: User,
    other_member: User,
    coordinator: User,
    plan: SafetyPlan,
    chat: Conversation,
) -> None:
    share = plans.share_plan(member, int(chat.pk))
    other_peer = make_user("Robin", Role.PEER_SUPPORTER)
    for stranger in (member, other_member, other_peer, coordinator):
        assert client_for(stranger).get(shared_url(share)).status_code == 404
    assert_sent_to_log_in(client_for(None), shared_url(share))
    assert not AuditEntry.objects.filter(verb="safety.plan.view_shared").exists()


def test_the_peer_gets_a_404_once_sharing_stopped(
    client_for: ClientFor,
    member: User,
    peer_supporter: User,
    plan: SafetyPlan,
    chat: Conversation,
) -> None:
    share = plans.share_plan(member, int(chat.pk))
    client = client_for(peer_supporter)
    assert client.get(shared_url(share)).status_code == 200
    post_with_csrf(client_for(member), share_url(chat), {"sharing": "stop"})
    assert client.get(shared_url(share)).status_code == 404
    assert post_with_csrf(client, shared_url(share)).status_code == 405


# --- The chat's includes ----------------------------------------------------------------------


def render_include(name: str, user: User, **context: object) -> str:
    request = RequestFactory().get("/")
    request.user = user
    return render_to_string(f"safety/plan/{name}", context, request=request)


def test_the_chat_button_follows_the_plan_and_the_share(
    member: User, peer_supporter: User, chat: Conversation
) -> None:
    def button() -> str:
        return render_include(
            "_share_from_chat.html", member, plan_share=plans.share_state(member, int(chat.pk))
        )

    assert "Make a safety plan" in button()
    # The peer has nobody in this chat to share a plan with: no button for them.
    for_peer = plans.share_state(peer_supporter, int(chat.pk))
    html = render_include("_share_from_chat.html", peer_supporter, plan_share=for_peer)
    assert "<form" not in html
    assert "Make a safety plan" not in html
    plans.save_plan(member, {"warning_signs": "tired"})
    assert "Share my safety plan with my peer" in button()
    assert share_url(chat) in button()
    plans.share_plan(member, int(chat.pk))
    assert "Stop sharing" in button()
    assert 'value="stop"' in button()


def test_the_peer_include_lists_the_plans_shared_in_that_chat(
    member: User, peer_supporter: User, plan: SafetyPlan, chat: Conversation
) -> None:
    def listing() -> str:
        shared = plans.shared_plans_for(peer_supporter, int(chat.pk))
        return render_include("_shared_with_me.html", peer_supporter, shared_plans=shared)

    assert listing().strip() == ""
    share = plans.share_plan(member, int(chat.pk))
    html = listing()
    assert shared_url(share) in html
    assert "River's safety plan" in html
