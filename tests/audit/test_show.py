"""``peerlight audit show``: a plain table of entries, filtered by account id."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from peerlight.accounts.models import User
from peerlight.audit.models import AuditEntry


def show(*args: str) -> list[str]:
    out = StringIO()
    call_command("audit", "show", *args, stdout=out)
    return out.getvalue().splitlines()


def listed_ids(lines: list[str]) -> list[int]:
    return [int(line.split()[0]) for line in lines[1:]]


def test_it_lists_the_newest_entries_oldest_first(five_entries: list[AuditEntry]) -> None:
    lines = show("--last", "3")

    assert lines[0].split()[:3] == ["id", "when", "(UTC)"]
    assert listed_ids(lines) == [entry.pk for entry in five_entries[2:]]
    assert "accounts.email_changed" in lines[1]
    assert "weekly review" in lines[1]


def test_it_filters_by_actor(five_entries: list[AuditEntry], member: User) -> None:
    lines = show("--actor", str(member.pk))

    assert listed_ids(lines) == [five_entries[2].pk]


def test_it_filters_by_subject(five_entries: list[AuditEntry], member: User) -> None:
    lines = show("--subject", str(member.pk))

    assert listed_ids(lines) == [five_entries[0].pk, five_entries[1].pk, five_entries[4].pk]


def test_it_never_shows_names(five_entries: list[AuditEntry], member: User) -> None:
    output = "\n".join(show())

    assert member.display_name not in output
    assert str(member.pk) in output


def test_it_says_when_nothing_matches(five_entries: list[AuditEntry]) -> None:
    assert show("--actor", "999999") == ["No audit entries match."]


def test_it_refuses_a_count_below_one(db: None) -> None:
    with pytest.raises(CommandError, match="--last must be at least 1"):
        show("--last", "0")
