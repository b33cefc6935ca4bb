"""Every URL of the URLconf, requested by every persona, against one table.

The table below declares, for each URL name, what each persona gets from a
GET. A URL name missing from the table fails ``test_every_url_is_declared``,
so no view can ship without saying who may see it. The Django admin is
declared once as a rule for its whole namespace.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from peerlight.accounts.models import User
from peerlight.chat import actions as chat_actions
from peerlight.chat.models import Conversation, Participant
from peerlight.circles.models import AgreementTemplate, Circle, Meeting
from peerlight.directory.models import Service
from peerlight.safety.models import Escalation, Report
from tests.advocacy import matrix_briefs, matrix_campaigns, matrix_outreach, matrix_proposals
from tests.circles.factories import make_circle, make_meeting
from tests.directory.factories import make_service
from tests.matrix import (
    ADMIN_LOGIN,
    FORBIDDEN,
    LOGIN,
    MEMBERS,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    PEOPLE_MANAGERS,
    PERSONAS,
    POST_ONLY,
    PUBLIC,
    REDIRECT,
    Expect,
)
from tests.stories import matrix_author, matrix_moderation, matrix_reader


def _escalation(people: dict[str, User]) -> Escalation:
    return Escalation.objects.create(
        person=people["member"], source="chat.conversation", source_id=1, level="imminent"
    )


GUESTS_ONLY = Expect(anonymous=OK, member=REDIRECT)
STAFF_REDIRECT = Expect(
    anonymous=LOGIN,
    member=NOT_FOUND,
    coordinator=REDIRECT,
    researcher=REDIRECT,
    admin_user=REDIRECT,
)


def _chat_kwargs(people: dict[str, User]) -> dict[str, Any]:
    """A one-to-one chat between the member and the peer supporter (made once)."""
    chat = (
        Conversation.objects.filter(participants__user=people["member"])
        .filter(participants__user=people["peer_supporter"])
        .first()
    ) or chat_actions.start_conversation(
        kind=Conversation.Kind.DIRECT,
        members=[
            (people["member"], Participant.Role.MEMBER),
            (people["peer_supporter"], Participant.Role.SUPPORTER),
        ],
    )
    return {"conversation_id": chat.pk}


CHAT_PARTICIPANTS = Expect(
    anonymous=LOGIN,
    member=OK,
    peer_supporter=OK,
    coordinator=NOT_FOUND,
    researcher=NOT_FOUND,
    admin_user=NOT_FOUND,
    kwargs=_chat_kwargs,
)
CHAT_POST_ONLY = Expect(anonymous=NOT_ALLOWED, member=NOT_ALLOWED, kwargs=_chat_kwargs)
NOBODYS_REQUEST = Expect(
    anonymous=LOGIN, member=NOT_FOUND, kwargs=lambda people: {"request_id": 999999}
)
NOBODYS_REQUEST_POST = Expect(
    anonymous=NOT_ALLOWED, member=NOT_ALLOWED, kwargs=lambda people: {"request_id": 999999}
)

NO_SUCH_UUID = "00000000-0000-4000-8000-000000000000"


def _directory_service(people: dict[str, User]) -> dict[str, Any]:
    """A service of the directory (made once)."""
    service = Service.objects.first() or make_service(index=False)
    return {"service_id": service.id}


def _nothing_named(argument: str) -> Expect:
    """A public page of one record, asked for a record that does not exist."""
    return Expect(
        anonymous=NOT_FOUND, member=NOT_FOUND, kwargs=lambda people: {argument: NO_SUCH_UUID}
    )


def _circle(people: dict[str, User]) -> dict[str, Any]:
    """A circle the peer supporter facilitates (made once)."""
    circle = Circle.objects.filter(slug="matrix-circle").first() or make_circle(
        people["peer_supporter"], slug="matrix-circle"
    )
    return {"slug": circle.slug}


def _circle_meeting(people: dict[str, User]) -> dict[str, Any]:
    """A meeting, in an hour, of the circle the peer supporter facilitates (made once)."""
    circle = Circle.objects.get(slug=_circle(people)["slug"])
    meeting = Meeting.objects.filter(circle=circle).first() or make_meeting(circle)
    return {"meeting_id": meeting.pk}


def _agreement(people: dict[str, User]) -> dict[str, Any]:
    template = AgreementTemplate.objects.first() or AgreementTemplate.objects.create(
        name="Agreement", text="Be kind."
    )
    return {"template_id": template.pk}


CIRCLE_POST_ONLY = Expect(anonymous=NOT_ALLOWED, member=NOT_ALLOWED, kwargs=_circle)
MEETING_POST_ONLY = Expect(anonymous=NOT_ALLOWED, member=NOT_ALLOWED, kwargs=_circle_meeting)
NOBODYS_MEETING_POST = Expect(
    anonymous=NOT_ALLOWED, member=NOT_ALLOWED, kwargs=lambda people: {"meeting_id": 999999}
)
NOBODYS_MEETING_PERSON_POST = Expect(
    anonymous=NOT_ALLOWED,
    member=NOT_ALLOWED,
    kwargs=lambda people: {"meeting_id": 999999, "user_id": 999999},
)
# Pages for the people who lead a circle: its facilitator (the peer supporter) and coordinators.
CIRCLE_LEADERS = Expect(
    anonymous=LOGIN, member=NOT_FOUND, peer_supporter=OK, coordinator=OK, kwargs=_circle
)
MEETING_LEADERS = Expect(
    anonymous=LOGIN, member=NOT_FOUND, peer_supporter=OK, coordinator=OK, kwargs=_circle_meeting
)


TABLE: dict[str, Expect] = {
    "home": PUBLIC,
    "need-help": PUBLIC,
    # Django's view redirects a GET without changing the language.
    "set_language": Expect(anonymous=REDIRECT, member=REDIRECT),
    "accounts:signup": GUESTS_ONLY,
    "accounts:document": Expect(
        anonymous=OK, member=OK, kwargs=lambda people: {"purpose": "terms"}
    ),
    "accounts:login": PUBLIC,
    "accounts:logout": POST_ONLY,
    "accounts:account": MEMBERS,
    # Changing the e-mail asks for the password again first.
    "accounts:email": Expect(anonymous=LOGIN, member=REDIRECT),
    "accounts:language": POST_ONLY,
    "accounts:confirm-password": MEMBERS,
    "accounts:password-change": MEMBERS,
    "accounts:password-reset": PUBLIC,
    "accounts:password-reset-sent": PUBLIC,
    # An unknown link shows "this link does not work" to everyone.
    "accounts:password-reset-confirm": Expect(
        anonymous=OK, member=OK, kwargs=lambda people: {"uidb64": "MQ", "token": "x"}
    ),
    # Staff who passed two-factor are sent on; set-up asks for the password first.
    "accounts:two-factor-verify": STAFF_REDIRECT,
    "accounts:two-factor-setup": STAFF_REDIRECT,
    "accounts:staff-people": PEOPLE_MANAGERS,
    "accounts:staff-person": Expect(
        anonymous=LOGIN,
        member=NOT_FOUND,
        coordinator=OK,
        admin_user=OK,
        kwargs=lambda people: {"person_id": people["member"].pk},
    ),
    "accounts:staff-grant-role": Expect(
        anonymous=NOT_ALLOWED,
        member=NOT_ALLOWED,
        kwargs=lambda people: {"person_id": people["member"].pk},
    ),
    "accounts:staff-revoke-role": Expect(
        anonymous=NOT_ALLOWED,
        member=NOT_ALLOWED,
        kwargs=lambda people: {"person_id": people["member"].pk},
    ),
    "privacy:home": MEMBERS,
    "privacy:consents": MEMBERS,
    "privacy:export": MEMBERS,
    # Deleting an account asks for the password again first.
    "privacy:delete": Expect(anonymous=LOGIN, member=REDIRECT),
    # Peer profiles: a peer edits their own; coordinators make and stop peers.
    "peers:profile": Expect(
        anonymous=LOGIN,
        member=NOT_FOUND,
        peer_supporter=OK,
        coordinator=NOT_FOUND,
        researcher=NOT_FOUND,
        admin_user=NOT_FOUND,
    ),
    "peers:availability": POST_ONLY,
    "peers:staff_list": PEOPLE_MANAGERS,
    "peers:staff_make": Expect(
        anonymous=NOT_ALLOWED,
        member=NOT_ALLOWED,
        kwargs=lambda people: {"person_id": people["member"].pk},
    ),
    "peers:staff_stop": Expect(
        anonymous=NOT_ALLOWED,
        member=NOT_ALLOWED,
        kwargs=lambda people: {"person_id": people["member"].pk},
    ),
    # Talking to a peer. Requests and offers belong to one member and one peer;
    # no persona here owns request 999999, so every one of them gets a 404
    # (the owners' pages are tested in tests/support/).
    "support:start": PUBLIC,
    "support:guest": POST_ONLY,
    "support:request": NOBODYS_REQUEST,
    "support:status": NOBODYS_REQUEST,
    "support:cancel": NOBODYS_REQUEST_POST,
    "support:later": NOBODYS_REQUEST_POST,
    "support:rate": NOBODYS_REQUEST,
    "support:note": NOBODYS_REQUEST,
    "support:read_note": NOBODYS_REQUEST,
    "support:again": NOBODYS_REQUEST_POST,
    "support:peer": Expect(anonymous=LOGIN, member=NOT_FOUND, peer_supporter=OK),
    "support:accept": Expect(
        anonymous=NOT_ALLOWED, member=NOT_ALLOWED, kwargs=lambda people: {"offer_id": 999999}
    ),
    "support:decline": Expect(
        anonymous=NOT_ALLOWED, member=NOT_ALLOWED, kwargs=lambda people: {"offer_id": 999999}
    ),
    "support:queue": Expect(anonymous=LOGIN, member=NOT_FOUND, coordinator=OK),
    # Chats: their participants only.
    "chat:inbox": MEMBERS,
    "chat:conversation": CHAT_PARTICIPANTS,
    "chat:messages": CHAT_PARTICIPANTS,
    "chat:end": CHAT_PARTICIPANTS,  # GET is the "End this chat?" page
    "chat:report": CHAT_PARTICIPANTS,
    "chat:send": CHAT_POST_ONLY,
    "chat:read": CHAT_POST_ONLY,
    # Reports: the coordinators' queue only.
    "safety:reports": Expect(anonymous=LOGIN, member=NOT_FOUND, coordinator=OK),
    "safety:report": Expect(
        anonymous=LOGIN,
        member=NOT_FOUND,
        coordinator=OK,
        kwargs=lambda people: {
            "report_id": Report.objects.create(
                reporter=people["member"], source="chat.conversation", reason="spam"
            ).pk
        },
    ),
    "safety:close_report": Expect(
        anonymous=NOT_ALLOWED, member=NOT_ALLOWED, kwargs=lambda people: {"report_id": 1}
    ),
    # Urgent cases: the coordinators' console; peers escalate from their chat.
    "chat:escalate": CHAT_POST_ONLY,
    "safety:escalations:console": Expect(anonymous=LOGIN, member=NOT_FOUND, coordinator=OK),
    "safety:escalations:banner": Expect(anonymous=LOGIN, member=NOT_FOUND, coordinator=OK),
    "safety:escalations:rota": Expect(anonymous=LOGIN, member=NOT_FOUND, coordinator=OK),
    "safety:escalations:detail": Expect(
        anonymous=LOGIN,
        member=NOT_FOUND,
        coordinator=OK,
        kwargs=lambda people: {"escalation_id": _escalation(people).pk},
    ),
    "safety:escalations:remove_shift": Expect(
        anonymous=NOT_ALLOWED, member=NOT_ALLOWED, kwargs=lambda people: {"shift_id": 1}
    ),
    "safety:escalations:acknowledge": Expect(
        anonymous=NOT_ALLOWED, member=NOT_ALLOWED, kwargs=lambda people: {"escalation_id": 1}
    ),
    "safety:escalations:start": Expect(
        anonymous=NOT_ALLOWED, member=NOT_ALLOWED, kwargs=lambda people: {"escalation_id": 1}
    ),
    "safety:escalations:resolve": Expect(
        anonymous=NOT_ALLOWED, member=NOT_ALLOWED, kwargs=lambda people: {"escalation_id": 1}
    ),
    # Moderation: coordinators act on reports and people; the paused page is public.
    "safety:act_on_report": Expect(
        anonymous=NOT_ALLOWED, member=NOT_ALLOWED, kwargs=lambda people: {"report_id": 1}
    ),
    "safety:person": Expect(
        anonymous=LOGIN,
        member=NOT_FOUND,
        coordinator=OK,
        kwargs=lambda people: {"person_id": people["member"].pk},
    ),
    "safety:act_on_person": Expect(
        anonymous=NOT_ALLOWED,
        member=NOT_ALLOWED,
        kwargs=lambda people: {"person_id": people["member"].pk},
    ),
    "safety:lift": Expect(
        anonymous=NOT_ALLOWED, member=NOT_ALLOWED, kwargs=lambda people: {"action_id": 1}
    ),
    "safety:suspended": PUBLIC,
    # Safety plans: everyone signed in has their own; a shared one is for the chat's peer.
    "safety:plan": MEMBERS,
    "safety:plan_edit": MEMBERS,
    # Without a plan there is nothing to print or delete: back to the plan page.
    "safety:plan_print": Expect(anonymous=LOGIN, member=REDIRECT),
    "safety:plan_delete": Expect(anonymous=LOGIN, member=REDIRECT),
    "safety:plan_share": CHAT_POST_ONLY,
    "safety:plan_shared": Expect(
        anonymous=LOGIN, member=NOT_FOUND, kwargs=lambda people: {"share_id": 999999}
    ),
    # Finding help: the directory's pages are public; notes are peers', curation coordinators'.
    "directory:search": PUBLIC,
    "directory:service": Expect(anonymous=OK, member=OK, kwargs=_directory_service),
    "directory:report": Expect(anonymous=OK, member=OK, kwargs=_directory_service),
    "directory:add_note": Expect(
        anonymous=LOGIN, member=NOT_FOUND, peer_supporter=OK, kwargs=_directory_service
    ),
    "directory:edit_service": Expect(
        anonymous=LOGIN, member=NOT_FOUND, coordinator=OK, kwargs=_directory_service
    ),
    "directory:verify_service": Expect(
        anonymous=NOT_ALLOWED, member=NOT_ALLOWED, kwargs=_directory_service
    ),
    "directory:curation": Expect(anonymous=LOGIN, member=NOT_FOUND, coordinator=OK),
    "directory:notes_queue": Expect(anonymous=LOGIN, member=NOT_FOUND, coordinator=OK),
    "directory:reports_queue": Expect(anonymous=LOGIN, member=NOT_FOUND, coordinator=OK),
    "directory:review_note": Expect(
        anonymous=NOT_ALLOWED, member=NOT_ALLOWED, kwargs=lambda people: {"note_id": 1}
    ),
    "directory:close_report": Expect(
        anonymous=NOT_ALLOWED, member=NOT_ALLOWED, kwargs=lambda people: {"report_id": 1}
    ),
    # Finding help: referrals.
    "directory:referral_index": MEMBERS,
    "directory:referral_answer": Expect(
        anonymous=NOT_ALLOWED, member=NOT_ALLOWED, kwargs=lambda people: {"referral_id": 999999}
    ),
    "directory:referral_share": Expect(
        anonymous=LOGIN, member=NOT_FOUND, peer_supporter=OK, kwargs=_chat_kwargs
    ),
    "directory:referral_report": Expect(anonymous=LOGIN, member=NOT_FOUND, coordinator=OK),
    # Circles: finding them is public; running one is for its facilitators and coordinators.
    "circles:list": PUBLIC,
    "circles:detail": Expect(anonymous=OK, member=OK, kwargs=_circle),
    "circles:edit": Expect(
        anonymous=LOGIN, member=FORBIDDEN, peer_supporter=OK, coordinator=OK, kwargs=_circle
    ),
    "circles:create": Expect(anonymous=LOGIN, member=NOT_FOUND, coordinator=OK),
    "circles:agreements": Expect(anonymous=LOGIN, member=NOT_FOUND, coordinator=OK),
    "circles:agreement_create": Expect(anonymous=LOGIN, member=NOT_FOUND, coordinator=OK),
    "circles:agreement_edit": Expect(
        anonymous=LOGIN, member=NOT_FOUND, coordinator=OK, kwargs=_agreement
    ),
    "circles:join": Expect(anonymous=LOGIN, member=OK, kwargs=_circle),
    "circles:leave": CIRCLE_POST_ONLY,
    "circles:mine": MEMBERS,
    "circles:people": CIRCLE_LEADERS,
    "circles:decide": Expect(
        anonymous=NOT_ALLOWED,
        member=NOT_ALLOWED,
        kwargs=lambda people: {**_circle(people), "membership_id": 999999},
    ),
    "circles:remove_member": Expect(
        anonymous=NOT_ALLOWED,
        member=NOT_ALLOWED,
        kwargs=lambda people: {**_circle(people), "membership_id": 999999},
    ),
    "circles:notice_seen": Expect(
        anonymous=NOT_ALLOWED, member=NOT_ALLOWED, kwargs=lambda people: {"notice_id": 999999}
    ),
    "circles:attendance": MEETING_LEADERS,
    "circles:calendar": MEMBERS,
    "circles:calendar_reset": POST_ONLY,
    "circles:member_calendar": Expect(
        anonymous=NOT_FOUND, member=NOT_FOUND, kwargs=lambda people: {"token": "nothing"}
    ),
    "circles:circle_calendar": Expect(anonymous=OK, member=OK, kwargs=_circle),
    "circles:meeting": Expect(anonymous=OK, member=OK, kwargs=_circle_meeting),
    "circles:meeting_change": MEETING_POST_ONLY,
    "circles:meeting_cancel": MEETING_POST_ONLY,
    "circles:meeting_restore": MEETING_POST_ONLY,
    # A meeting's room: its page is for the circle's people; the tools for a facilitator in it.
    "circles:room": MEETING_LEADERS,
    "circles:room_tools": Expect(
        anonymous=LOGIN, member=NOT_FOUND, kwargs=lambda people: {"meeting_id": 999999}
    ),
    **{
        f"circles:{name}": NOBODYS_MEETING_POST
        for name in (
            "room_open",
            "room_join",
            "room_leave",
            "room_close",
            "room_pin",
            "room_unpin",
            "room_check_in",
            "room_pause",
            "room_resume",
        )
    },
    "circles:room_mute": NOBODYS_MEETING_PERSON_POST,
    "circles:room_remove": NOBODYS_MEETING_PERSON_POST,
    # The HSDS API: public reads; an id that names nothing is a 404.
    "hsds_root": PUBLIC,
    "hsds_openapi": PUBLIC,
    "hsds_services": PUBLIC,
    "hsds_organizations": PUBLIC,
    "hsds_service_at_locations": PUBLIC,
    "hsds_taxonomies": PUBLIC,
    "hsds_taxonomy_terms": PUBLIC,
    "hsds_service": _nothing_named("service_id"),
    "hsds_organization": _nothing_named("organization_id"),
    "hsds_service_at_location": _nothing_named("at_location_id"),
    "hsds_taxonomy": _nothing_named("taxonomy_id"),
    "hsds_taxonomy_term": _nothing_named("term_id"),
    "hsds_not_found": Expect(
        anonymous=NOT_FOUND, member=NOT_FOUND, kwargs=lambda people: {"rest": "nowhere"}
    ),
    **matrix_author.ENTRIES,
    **matrix_reader.ENTRIES,
    **matrix_moderation.ENTRIES,
    **matrix_campaigns.ENTRIES,
    **matrix_outreach.ENTRIES,
    **matrix_briefs.ENTRIES,
    **matrix_proposals.ENTRIES,
}

# The Django admin: administrators who passed two-factor only.
ADMIN_RULE = Expect(
    anonymous=ADMIN_LOGIN,
    member=ADMIN_LOGIN,
    peer_supporter=ADMIN_LOGIN,
    coordinator=ADMIN_LOGIN,
    researcher=ADMIN_LOGIN,
    admin_user="allowed",
)
ADMIN_ARGUMENTS = {
    "object_id": "1",
    "pk": 1,
    "content_type_id": "1",
    "app_label": "audit",
    "url": "nowhere/",
}


def url_patterns() -> Iterator[tuple[str, str, URLPattern]]:
    """(name with namespace, route, pattern) for every pattern in the URLconf."""

    def walk(
        patterns: list[Any], route: str, namespace: str
    ) -> Iterator[tuple[str, str, URLPattern]]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
                yield from walk(pattern.url_patterns, route + str(pattern.pattern), inner)
            else:
                yield namespace + (pattern.name or ""), route + str(pattern.pattern), pattern

    yield from walk(get_resolver().url_patterns, "/", "")


def admin_url(route: str, pattern: URLPattern) -> str:
    """A concrete URL for an admin route, with harmless arguments.

    ``pk`` only appears in django_otp's device views, which expect the device
    to exist (a missing one is a server error there), so it names a real one.
    """
    if pattern.name:
        names = pattern.pattern.regex.groupindex
        arguments = dict(ADMIN_ARGUMENTS)
        arguments["pk"] = TOTPDevice.objects.values_list("pk", flat=True).first() or 1
        return reverse(f"admin:{pattern.name}", kwargs={k: arguments[k] for k in names})
    # Unnamed admin routes: the object redirect and the catch-all.
    return "/admin/audit/auditentry/1/" if "object_id" in route else "/admin/nowhere/"


def test_every_url_is_declared() -> None:
    missing = [
        f"{name or '(unnamed)'} at {route}"
        for name, route, _pattern in url_patterns()
        if not name.startswith("admin:") and name not in TABLE
    ]
    assert not missing, "Declare these URLs in the authorisation matrix: " + ", ".join(missing)


def test_the_table_has_no_stale_entries() -> None:
    names = {name for name, _route, _pattern in url_patterns()}
    assert not set(TABLE) - names


@pytest.fixture
def people(
    member: User,
    peer_supporter: User,
    coordinator: User,
    researcher: User,
    admin_user: User,
) -> dict[str, User]:
    return {
        "member": member,
        "peer_supporter": peer_supporter,
        "coordinator": coordinator,
        "researcher": researcher,
        "admin_user": admin_user,
    }


def check(client: Client, url: str, expected: str, who: str) -> None:
    response = client.get(url)
    where = f"{who} GET {url}"
    location = response.headers.get("Location", "")
    if expected == LOGIN:
        assert response.status_code == 302, where
        assert location.startswith(reverse("accounts:login")), f"{where} went to {location}"
    elif expected == ADMIN_LOGIN:
        assert response.status_code == 302, where
        assert location.startswith(reverse("admin:login")), f"{where} went to {location}"
    elif expected == REDIRECT:
        assert response.status_code == 302, where
        assert "login" not in location, f"{where} went to {location}"
    elif expected == "allowed":
        # Inside the admin, Django's own checks answer (a 403 for a bare
        # autocomplete request, a 404 for a missing object): never a log-in.
        assert response.status_code < 500, f"{where}: {response.status_code}"
        assert not location.startswith(reverse("admin:login")), where
    else:
        assert str(response.status_code) == expected, f"{where}: {response.status_code}"


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_gets_what_the_table_says(
    persona: str, people: dict[str, User], client_for: Callable[[User | None], Client]
) -> None:
    client = client_for(people.get(persona))
    for name, route, pattern in url_patterns():
        if name.startswith("admin:") or (not name and route.startswith("/admin/")):
            if "logout" in name:
                continue  # a GET to the admin's log-out is refused with 405 for all alike
            expected = ADMIN_RULE.for_persona(persona)
            if name == "admin:login":
                # The admin's log-in goes through Peerlight's own log-in and two-factor.
                expected = {"anonymous": LOGIN, "admin_user": REDIRECT}.get(persona, NOT_FOUND)
            check(client, admin_url(route, pattern), expected, persona)
            continue
        rule = TABLE[name]
        check(
            client, reverse(name, kwargs=rule.kwargs(people)), rule.for_persona(persona), persona
        )
