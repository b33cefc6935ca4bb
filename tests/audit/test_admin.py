"""The audit log in the Django admin: administrators read it, no one changes it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.test import Client

from peerlight.accounts.models import User
from peerlight.audit.models import AuditEntry

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse


CHANGELIST = "/admin/audit/auditentry/"


def listed(response: TestResponse) -> set[int]:
    assert response.status_code == 200
    return {entry.pk for entry in response.context["cl"].result_list}


def detail(entry: AuditEntry) -> str:
    return f"{CHANGELIST}{entry.pk}/change/"


def test_an_admin_can_list_and_read_entries(
    client_for: Callable[[User | None], Client],
    admin_user: User,
    five_entries: list[AuditEntry],
) -> None:
    client = client_for(admin_user)

    listing = client.get(CHANGELIST)
    page = client.get(detail(five_entries[2]))

    assert listing.status_code == 200
    assert b"accounts.role_revoked" in listing.content
    assert page.status_code == 200
    assert b"weekly review" in page.content
    assert b'name="reason"' not in page.content


def test_an_admin_can_search_by_account_id(
    client_for: Callable[[User | None], Client],
    admin_user: User,
    member: User,
    five_entries: list[AuditEntry],
) -> None:
    client = client_for(admin_user)

    by_id = client.get(CHANGELIST, {"q": str(member.pk)})
    by_word = client.get(CHANGELIST, {"q": "email_changed"})
    by_text = client.get(CHANGELIST, {"q": "River"})

    about_member = {
        entry.pk
        for entry in five_entries
        if member.pk in (entry.actor_id, entry.subject_id) or entry.target_id == str(member.pk)
    }
    assert listed(by_id) == about_member
    assert listed(by_word) == {five_entries[2].pk}
    # Not a number: the id columns are skipped instead of failing the search.
    assert listed(by_text) == set()


def test_no_one_can_add_change_or_delete_entries(
    client_for: Callable[[User | None], Client],
    admin_user: User,
    five_entries: list[AuditEntry],
) -> None:
    client = client_for(admin_user)
    entry = five_entries[2]

    add = client.get(f"{CHANGELIST}add/")
    delete = client.post(f"{CHANGELIST}{entry.pk}/delete/", {"post": "yes"})
    change = client.post(detail(entry), {"reason": "rewritten"})

    assert add.status_code == 403
    assert delete.status_code == 403
    assert change.status_code == 403
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.reason == "weekly review"
    assert AuditEntry.objects.count() == 5


def test_other_roles_are_sent_to_the_admin_login(
    client_for: Callable[[User | None], Client],
    coordinator: User,
    five_entries: list[AuditEntry],
) -> None:
    for client in (client_for(None), client_for(coordinator)):
        response = client.get(CHANGELIST)

        assert response.status_code == 302
        assert "/login/" in response["Location"]
