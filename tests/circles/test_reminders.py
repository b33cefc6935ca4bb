"""Notices, their e-mails, meeting reminders and the notices banner."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.http import Http404
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pytest_django.fixtures import Settings as SettingsWrapper

from peerlight.accounts.models import User
from peerlight.circles import reminders
from peerlight.circles.models import Circle, Meeting, Membership, Notice
from tests.circles.factories import make_circle, make_meeting, make_membership
from tests.conftest import make_user

Kind = Notice.Kind
PACIFIC = ZoneInfo("America/Los_Angeles")
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def at_half_past_six(days_ahead: int) -> datetime:
    """18:30 in Portland, ``days_ahead`` days from today there."""
    local = timezone.now().astimezone(PACIFIC) + timedelta(days=days_ahead)
    return local.replace(hour=18, minute=30, second=0, microsecond=0)


@pytest.fixture
def circle(peer_supporter: User) -> Circle:
    return make_circle(peer_supporter, name="Grief and loss on Mondays", topics=["grief"])


@pytest.fixture
def meeting(circle: Circle) -> Meeting:
    return make_meeting(circle, at_half_past_six(3))


@pytest.fixture
def immediate_tasks(settings: SettingsWrapper) -> None:
    settings.TASKS = IMMEDIATE


def reminder_tasks() -> list[DBTaskResult[Any, Any]]:
    return list(
        DBTaskResult.objects.filter(
            task_path="peerlight.circles.reminders.send_reminder"
        ).order_by("run_after")
    )


# --- notify and its e-mail -------------------------------------------------------------


@pytest.mark.usefixtures("immediate_tasks")
def test_a_notice_is_e_mailed_after_commit_without_naming_the_circle(
    circle: Circle, meeting: Meeting, member: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        notice = reminders.notify(member, circle, Kind.REMINDER_DAY, meeting=meeting)
    assert notice is not None
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["river@example.org"]
    site = settings.PEERLIGHT_SITE_NAME
    assert sent.subject == f"A reminder from {site}"
    first_line = sent.body.splitlines()[0]
    assert first_line == (
        f"A reminder from {site}: a circle you belong to meets tomorrow at 6:30 p.m."
        " (Pacific Time)."
    )
    assert f"/circles/meetings/{meeting.pk}/" in sent.body
    for secret in ("Grief", "grief", circle.slug, "Jordan"):
        assert secret not in sent.subject
        assert secret not in sent.body
    notice.refresh_from_db()
    assert notice.emailed_at is not None


def test_nothing_is_e_mailed_before_the_commit(
    circle: Circle, meeting: Meeting, member: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        reminders.notify(member, circle, Kind.REMINDER_DAY, meeting=meeting)
    assert len(callbacks) == 1
    assert mail.outbox == []


@pytest.mark.usefixtures("immediate_tasks")
def test_no_e_mail_goes_to_people_without_an_address_or_to_guests(
    circle: Circle, meeting: Meeting, other_member: User, django_capture_on_commit_callbacks: Any
) -> None:
    guest = make_user("Guest person", email="guest@example.org")
    User.objects.filter(pk=guest.pk).update(is_guest=True)
    guest.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert reminders.notify(other_member, circle, Kind.CHANGED, meeting=meeting)
        assert reminders.notify(guest, circle, Kind.CHANGED, meeting=meeting)
    assert callbacks == []
    assert mail.outbox == []
    assert Notice.objects.filter(emailed_at__isnull=True).count() == 2


@pytest.mark.parametrize("kind", [Kind.MOVED_UP, Kind.APPROVED, Kind.DECLINED])
def test_news_without_a_meeting_links_to_my_circles_and_names_no_circle(
    circle: Circle, member: User, kind: str
) -> None:
    notice = reminders.notify(member, circle, kind)
    assert notice is not None
    assert reminders.email_notice.call(notice.pk) is True
    sent = mail.outbox[0]
    assert sent.subject == f"News from {settings.PEERLIGHT_SITE_NAME}"
    assert "/circles/mine/" in sent.body
    assert "Grief" not in sent.body
    assert "grief" not in sent.body


def test_an_e_mail_is_sent_once(circle: Circle, meeting: Meeting, member: User) -> None:
    notice = reminders.notify(member, circle, Kind.CANCELLED, meeting=meeting)
    assert notice is not None
    assert reminders.email_notice.call(notice.pk) is True
    assert reminders.email_notice.call(notice.pk) is False
    assert len(mail.outbox) == 1


def test_the_e_mail_speaks_the_person_s_language(circle: Circle, meeting: Meeting) -> None:
    person = make_user("Lucía", email="lucia@example.org")
    User.objects.filter(pk=person.pk).update(language="es")
    person.refresh_from_db()
    notice = reminders.notify(person, circle, Kind.REMINDER_DAY, meeting=meeting)
    assert notice is not None
    reminders.email_notice.call(notice.pk)
    # Spanish writes times on the 24-hour clock (the sentence itself is
    # translated later).
    assert "18:30" in mail.outbox[0].body.splitlines()[0]


def test_a_meeting_notice_is_made_once_per_kind_and_sequence(
    circle: Circle, meeting: Meeting, member: User
) -> None:
    assert reminders.notify(member, circle, Kind.CHANGED, meeting=meeting) is not None
    assert reminders.notify(member, circle, Kind.CHANGED, meeting=meeting) is None
    Meeting.objects.filter(pk=meeting.pk).update(sequence=1)
    meeting.refresh_from_db()
    assert reminders.notify(member, circle, Kind.CHANGED, meeting=meeting) is not None
    assert Notice.objects.filter(user=member).count() == 2


def test_inactive_people_get_no_notice(circle: Circle, member: User) -> None:
    User.objects.filter(pk=member.pk).update(is_active=False)
    member.refresh_from_db()
    assert reminders.notify(member, circle, Kind.MOVED_UP) is None
    assert not Notice.objects.exists()


def test_changes_reach_members_and_facilitators_but_not_those_waiting(
    circle: Circle, meeting: Meeting, member: User, peer_supporter: User
) -> None:
    make_membership(circle, member)
    make_membership(circle, make_user("Waiting"), Membership.Status.WAITING)
    made = reminders.notify_members(meeting, Kind.CHANGED)
    assert {notice.user_id for notice in made} == {member.pk, peer_supporter.pk}
    reminded = reminders.notify_members(meeting, Kind.REMINDER_HOUR)
    assert [notice.user_id for notice in reminded] == [member.pk]


# --- Reminders -------------------------------------------------------------------------


def test_reminders_are_queued_a_day_and_an_hour_before(meeting: Meeting) -> None:
    reminders.schedule_reminders([meeting.pk])
    tasks = reminder_tasks()
    assert [task.run_after for task in tasks] == [
        meeting.starts_at - timedelta(days=1),
        meeting.starts_at - timedelta(hours=1),
    ]
    assert [task.args_kwargs["args"] for task in tasks] == [
        [meeting.pk, "reminder_day", 0],
        [meeting.pk, "reminder_hour", 0],
    ]


def test_reminder_times_already_past_are_skipped(circle: Circle) -> None:
    soon = make_meeting(circle, timezone.now() + timedelta(hours=5))
    reminders.schedule_reminders([soon.pk])
    assert [task.args_kwargs["args"][1] for task in reminder_tasks()] == ["reminder_hour"]


def test_no_reminders_are_queued_for_cancelled_meetings_or_inactive_circles(
    circle: Circle, peer_supporter: User
) -> None:
    cancelled = make_meeting(circle, at_half_past_six(4), status=Meeting.Status.CANCELLED)
    quiet = make_circle(peer_supporter, is_active=False)
    reminders.schedule_reminders([cancelled.pk, make_meeting(quiet, at_half_past_six(4)).pk])
    assert reminder_tasks() == []


@pytest.mark.usefixtures("immediate_tasks")
def test_a_backend_that_cannot_wait_queues_no_reminder(meeting: Meeting, member: User) -> None:
    make_membership(meeting.circle, member)
    reminders.schedule_reminders([meeting.pk])
    assert not Notice.objects.exists()
    assert mail.outbox == []


def test_a_reminder_reaches_every_member_once(
    circle: Circle, meeting: Meeting, member: User, other_member: User
) -> None:
    make_membership(circle, member)
    make_membership(circle, other_member)
    make_membership(circle, make_user("Left"), Membership.Status.LEFT)
    assert reminders.send_reminder.call(meeting.pk, "reminder_day", 0) == 2
    assert reminders.send_reminder.call(meeting.pk, "reminder_day", 0) == 0
    assert set(Notice.objects.values_list("user_id", "kind")) == {
        (member.pk, Kind.REMINDER_DAY),
        (other_member.pk, Kind.REMINDER_DAY),
    }


@pytest.mark.parametrize("change", ["cancelled", "moved_on", "started", "inactive", "bad_kind"])
def test_no_reminder_for_a_meeting_that_changed(
    circle: Circle, meeting: Meeting, member: User, change: str
) -> None:
    make_membership(circle, member)
    kind, sequence = "reminder_hour", 0
    if change == "cancelled":
        Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.CANCELLED, sequence=1)
        sequence = 1
    elif change == "moved_on":
        Meeting.objects.filter(pk=meeting.pk).update(sequence=1, is_changed=True)
    elif change == "started":
        Meeting.objects.filter(pk=meeting.pk).update(starts_at=timezone.now() - timedelta(1))
    elif change == "inactive":
        Circle.objects.filter(pk=circle.pk).update(is_active=False)
    else:
        kind = "moved_up"
    assert reminders.send_reminder.call(meeting.pk, kind, sequence) == 0
    assert not Notice.objects.exists()


# --- Reading and dismissing notices ----------------------------------------------------


def test_the_banner_shows_three_unseen_notices_and_the_count_in_one_query(
    circle: Circle, member: User, rf: RequestFactory, django_assert_num_queries: Any
) -> None:
    now = timezone.now()
    for minutes in range(5):
        notice = reminders.notify(member, circle, Kind.MOVED_UP)
        assert notice is not None
        Notice.objects.filter(pk=notice.pk).update(created_at=now - timedelta(minutes=minutes))
    Notice.objects.create(user=member, circle=circle, kind=Kind.APPROVED, seen_at=now)
    reminders.notify(make_user("Someone else"), circle, Kind.DECLINED)
    request = rf.get("/")
    request.user = member
    with django_assert_num_queries(1):
        context = reminders.circles_notices(request)
    banner = context["circle_notices"]
    assert banner["count"] == 5
    assert banner["more"] == 2
    newest = Notice.objects.filter(user=member, seen_at__isnull=True).order_by("-created_at")
    assert [item.notice_id for item in banner["items"]] == [row.pk for row in newest[:3]]


def test_visitors_and_people_without_news_get_no_banner(
    member: User, rf: RequestFactory, django_assert_num_queries: Any
) -> None:
    from django.contrib.auth.models import AnonymousUser

    request = rf.get("/")
    request.user = AnonymousUser()
    with django_assert_num_queries(0):
        assert reminders.circles_notices(request) == {}
    request.user = member
    assert reminders.circles_notices(request) == {}


def test_the_banner_is_calm_and_discreet(
    circle: Circle, meeting: Meeting, member: User, rf: RequestFactory
) -> None:
    reminders.notify(member, circle, Kind.REMINDER_HOUR, meeting=meeting)
    request = rf.get("/somewhere/?page=2")
    request.user = member
    html = render_to_string(
        "circles/_notices.html", reminders.circles_notices(request), request=request
    )
    assert "A circle you belong to meets soon, at 6:30 p.m. (Pacific Time)." in html
    assert f'action="/circles/notices/{Notice.objects.get().pk}/seen/"' in html
    assert 'value="/somewhere/?page=2"' in html
    assert "Got it" in html
    assert "Grief" not in html


def test_a_notice_is_marked_seen_only_by_its_person(
    circle: Circle, member: User, other_member: User
) -> None:
    notice = reminders.notify(member, circle, Kind.APPROVED)
    assert notice is not None
    with pytest.raises(Http404):
        reminders.mark_seen(other_member, notice.pk)
    notice.refresh_from_db()
    assert notice.seen_at is None
    reminders.mark_seen(member, notice.pk)
    notice.refresh_from_db()
    assert notice.seen_at is not None


def test_my_notices_list_seen_and_unseen_newest_first(circle: Circle, member: User) -> None:
    first = reminders.notify(member, circle, Kind.APPROVED)
    second = reminders.notify(member, circle, Kind.MOVED_UP)
    assert first is not None
    assert second is not None
    Notice.objects.filter(pk=first.pk).update(
        seen_at=timezone.now(), created_at=timezone.now() - timedelta(1)
    )
    lines = reminders.notices_of(member)
    assert [line.notice_id for line in lines] == [second.pk, first.pk]
    assert lines[1].text == "Your request to join a circle was accepted."
