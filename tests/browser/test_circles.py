"""A peer circle, end to end, as a member and a facilitator in two browsers.

The member finds a circle with the list's filters, signs up on its page
(confirming the age range), and takes its meetings into a calendar: the
circle's public feed and the private feed of "Your circles". Then a meeting
about to start: the member's room page says the room opens when the
facilitator arrives and looks again by itself; the facilitator opens the
room, the member joins, they talk both ways over websockets against
Peerlight's own ASGI application (``asgi_pages``), and the facilitator
starts a check-in round from the room tools, which the member sees
arrive. Every page is checked by the harness (accessibility, weight,
hosts, CSP).
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from icalendar import Calendar, Event
from playwright.sync_api import APIResponse, Locator, Page, expect

from peerlight.accounts.models import User
from peerlight.chat.models import Message, Participant
from peerlight.circles import schedule
from peerlight.circles.models import Circle, Meeting, Membership
from tests.browser.chat_helpers import SocketLog, send
from tests.browser.harness import BrowserPages
from tests.circles.factories import make_circle

pytestmark = pytest.mark.browser

# Chat pages poll every few seconds when the socket is not there.
WAIT_MS = 15_000
# A member's waiting room page looks again by itself every 20 seconds.
ROOM_REFRESH_MS = 35_000
ZONE = "America/Los_Angeles"


def circle_meeting_soon(facilitator: User) -> Circle:
    """An online weekly circle for 18 to 30 year olds whose next meeting starts
    within 15 minutes, so its room may be opened now.

    The rule itself gives that meeting (no hand-made row that planning would
    take away as one the rule does not give).
    """
    start = (timezone.now() + dt.timedelta(minutes=10)).astimezone(ZoneInfo(ZONE))
    start = start.replace(second=0, microsecond=0)
    return make_circle(
        facilitator,
        slug="arriving-gently",
        name="Arriving gently",
        description="Young adults who feel alone, meeting online once a week.",
        topics=["young_adult", "loneliness"],
        format=Circle.Format.ONLINE,
        min_age=18,
        max_age=30,
        time_zone=ZONE,
        rrule=schedule.build_rule("weekly", start.weekday()),
        first_date=start.date(),
        start_time=start.time(),
        duration_minutes=60,
    )


def calendar_events(response: APIResponse) -> list[Event]:
    """The events of an iCalendar response, after checking it is one."""
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/calendar")
    events = Calendar.from_ical(response.body()).walk("VEVENT")
    return [event for event in events if isinstance(event, Event)]


def assert_has_circle_event(events: list[Event], circle: Circle) -> None:
    """The circle is a weekly event starting at its time on its own wall clock."""
    found = [event for event in events if str(event.get("summary")) == circle.name]
    assert found, f"No event of {circle.name!r} in {[str(e.get('summary')) for e in events]}"
    event = found[0]
    start = event.decoded("dtstart")
    assert start.astimezone(ZoneInfo(circle.time_zone)).time() == circle.start_time
    assert event.get("rrule")["FREQ"] == ["WEEKLY"]


def follow(pages: BrowserPages, target: Locator) -> None:
    """Click ``target`` (a link, or a form's button) and wait until the harness
    has checked the page it opens.

    The next step may scroll that page (Playwright scrolls to what it acts
    on); a check still running then sees the sticky safety bar over a link
    and reports a target-size failure that no one meets at the top of the page.
    """
    target.click()
    pages.watch(target.page).wait_until_checked()


def find_and_join(pages: BrowserPages, member: Page, circle: Circle) -> None:
    member.goto("/circles/")
    member.get_by_label("Topic").select_option("loneliness")
    member.get_by_label("How it meets").select_option(Circle.Format.ONLINE)
    follow(pages, member.get_by_role("button", name="Show circles"))
    results = member.get_by_role("region", name="1 circle", exact=True)
    expect(results.get_by_role("link")).to_have_count(1)
    # The in-person circle and the one about another topic are filtered out.
    expect(results).not_to_contain_text("Walk and talk")
    expect(results).not_to_contain_text("Voices together")
    follow(pages, results.get_by_role("link", name=circle.name))

    expect(member.get_by_role("heading", name=circle.name, level=1)).to_be_visible()
    member.get_by_label("I am between 18 and 30 years old").check()
    follow(pages, member.get_by_role("button", name="Join this circle"))
    expect(member.get_by_text("Welcome: you are now a member of this circle.")).to_be_visible()
    expect(member.get_by_text("You are a member of this circle.")).to_be_visible()


def fetch_both_feeds(pages: BrowserPages, member: Page, circle: Circle) -> None:
    """The circle's public feed from its page, then the member's private feed."""
    feed_link = member.get_by_role("link", name="Add to your calendar")
    public_feed = member.request.get(feed_link.get_attribute("href") or "")
    assert_has_circle_event(calendar_events(public_feed), circle)

    follow(pages, member.get_by_role("link", name="Your circles and meeting times"))
    follow(
        pages, member.get_by_role("link", name="Add your circle meetings to your phone's calendar")
    )
    expect(member.get_by_role("heading", name="Your circles in your calendar")).to_be_visible()
    download = member.get_by_role("link", name="Or download the meetings as a file")
    private_feed = member.request.get(download.get_attribute("href") or "")
    assert_has_circle_event(calendar_events(private_feed), circle)
    assert "private" in private_feed.headers["cache-control"]


def open_the_waiting_room(pages: BrowserPages, member: Page, circle: Circle) -> Meeting:
    """From the circle's page to the room of the meeting about to start, not open yet."""
    follow(pages, member.get_by_role("link", name=circle.name))
    follow(pages, member.get_by_role("link", name="Go to the online room of the next meeting"))
    meeting = Meeting.objects.filter(circle=circle, starts_at__gt=timezone.now()).first()
    assert meeting is not None
    assert meeting.starts_at - timezone.now() < dt.timedelta(minutes=15)
    expect(member).to_have_url(re.compile(f"/circles/meetings/{meeting.pk}/room/$"))
    room_now = member.get_by_role("region", name="The room now")
    expect(room_now).to_contain_text("The room opens when your facilitator arrives.")
    expect(member.get_by_role("button", name="Join the room")).to_have_count(0)
    return meeting


def test_a_member_finds_a_circle_joins_and_meets_the_facilitator_in_its_room(
    asgi_pages: BrowserPages, member: User, peer_supporter: User
) -> None:
    circle = circle_meeting_soon(peer_supporter)
    make_circle(peer_supporter, name="Walk and talk", format=Circle.Format.IN_PERSON)
    make_circle(peer_supporter, name="Voices together", topics=["voices"])

    person = asgi_pages.new_page(user=member)
    find_and_join(asgi_pages, person, circle)
    membership = Membership.objects.get(circle=circle, user=member)
    assert membership.status == Membership.Status.MEMBER
    assert membership.age_confirmed
    fetch_both_feeds(asgi_pages, person, circle)
    meeting = open_the_waiting_room(asgi_pages, person, circle)

    facilitator = asgi_pages.new_page(user=peer_supporter)
    facilitator_sockets = SocketLog(facilitator)
    facilitator.goto(f"/circles/meetings/{meeting.pk}/room/")
    follow(asgi_pages, facilitator.get_by_role("button", name="Open the room"))
    expect(facilitator.get_by_role("heading", name=circle.name, level=1)).to_be_visible()
    meeting.refresh_from_db()
    assert meeting.conversation_id is not None

    # The member's waiting page looks again by itself and finds the way in.
    expect(person.get_by_role("region", name="The room now")).to_contain_text(
        "Your facilitator is here. You can join now.", timeout=ROOM_REFRESH_MS
    )
    asgi_pages.check(person)
    person_sockets = SocketLog(person)
    follow(asgi_pages, person.get_by_role("button", name="Join the room"))
    expect(person.get_by_role("heading", name=circle.name, level=1)).to_be_visible()

    send(person, "Hi everyone, first time here and a bit nervous.")
    expect(facilitator.locator("#messages")).to_contain_text("a bit nervous", timeout=WAIT_MS)
    send(facilitator, "Welcome, River. Take your time, there is no rush.")
    expect(person.locator("#messages")).to_contain_text("there is no rush", timeout=WAIT_MS)

    # The check-in round, from the room tools: a card the member sees arrive.
    follow(asgi_pages, facilitator.get_by_role("link", name="Back", exact=True))
    follow(asgi_pages, facilitator.get_by_role("link", name="Room tools", exact=True))
    follow(asgi_pages, facilitator.get_by_role("button", name="Start a check-in round"))
    expect(facilitator.get_by_text("The check-in round is in the chat.")).to_be_visible()
    card = person.locator("#messages .card")
    expect(card).to_contain_text("Check-in round", timeout=WAIT_MS)
    expect(card).to_contain_text("Order: Jordan, River")
    # Checked from the top, as the page loads: typing scrolled it, and a link
    # passing under the sticky safety bar reads as a target-size failure.
    person.evaluate("window.scrollTo(0, 0)")
    asgi_pages.check(person)

    # Everything came through the websockets, not the fallback polling.
    socket_path = f"/chat/ws/{meeting.conversation_id}/"
    assert any(url.endswith(socket_path) for url in person_sockets.urls)
    assert any(url.endswith(socket_path) for url in facilitator_sockets.urls)
    assert facilitator_sockets.pushed("a bit nervous")
    assert person_sockets.pushed("there is no rush")
    assert person_sockets.pushed("Check-in round")
    texts = Message.objects.filter(conversation_id=meeting.conversation_id, kind="text")
    assert texts.count() == 2
    seats = Participant.objects.filter(conversation_id=meeting.conversation_id)
    assert dict(seats.values_list("user_id", "role")) == {
        peer_supporter.pk: Participant.Role.FACILITATOR,
        member.pk: Participant.Role.PARTICIPANT,
    }
