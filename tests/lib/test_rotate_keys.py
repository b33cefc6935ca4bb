"""``peerlight rotate-keys``: every value ends under the newest key, once."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, models
from pytest_django.fixtures import Settings as SettingsWrapper

from peerlight.accounts.models import User
from peerlight.audit.models import AuditEntry
from peerlight.lib import crypto

OLD_KEY = crypto.generate_key_text()
NEW_KEY = crypto.generate_key_text()
OLD_ID = crypto.Key.from_text(OLD_KEY).key_id
NEW_ID = crypto.Key.from_text(NEW_KEY).key_id
PASSWORD = "correct horse battery staple"
EMAILS = [
    "ash@example.org",
    "bo@example.org",
    "cy@example.org",
    "di@example.org",
    "ed@example.org",
]


def stored_emails() -> dict[int, str]:
    """The e-mail column as stored, by user id (empty values left out)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, email FROM accounts_user WHERE email <> ''")
        return dict(cursor.fetchall())


def rotate(*args: str) -> str:
    out = StringIO()
    call_command("rotate_keys", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def users_under_old_key(db: None, settings: SettingsWrapper) -> list[User]:
    """Five accounts with an e-mail and one without, written under the old key;
    the new key is then put first."""
    settings.PEERLIGHT_ENCRYPTION_KEYS = [OLD_KEY]
    users = [User.objects.create_user(f"user{n}", PASSWORD, email=e) for n, e in enumerate(EMAILS)]
    User.objects.create_user("no-email", PASSWORD)
    settings.PEERLIGHT_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    return users


def test_it_seals_old_values_with_the_new_key(
    users_under_old_key: list[User], settings: SettingsWrapper
) -> None:
    assert {crypto.key_id_of(value) for value in stored_emails().values()} == {OLD_ID}

    output = rotate("--batch-size", "2")

    assert {crypto.key_id_of(value) for value in stored_emails().values()} == {NEW_ID}
    assert "accounts.user.email: re-encrypted 5, already current 0, unreadable 0" in output
    assert [User.objects.get(pk=user.pk).email for user in users_under_old_key] == EMAILS
    settings.PEERLIGHT_ENCRYPTION_KEYS = [NEW_KEY]
    assert [User.objects.get(pk=user.pk).email for user in users_under_old_key] == EMAILS
    assert User.objects.get(display_name="no-email").email == ""


def test_it_leaves_values_already_under_the_new_key_untouched(
    users_under_old_key: list[User],
) -> None:
    current = User.objects.create_user("current", PASSWORD, email="fi@example.org")
    before = stored_emails()[current.pk]

    output = rotate()

    assert stored_emails()[current.pk] == before
    assert "re-encrypted 5, already current 1" in output


def test_a_second_run_changes_nothing(users_under_old_key: list[User]) -> None:
    rotate()
    after_first = stored_emails()
    entries_after_first = AuditEntry.objects.count()

    output = rotate()

    assert stored_emails() == after_first
    assert AuditEntry.objects.count() == entries_after_first
    assert "accounts.user.email: re-encrypted 0, already current 5, unreadable 0" in output


def test_a_dry_run_reports_and_changes_nothing(users_under_old_key: list[User]) -> None:
    before = stored_emails()

    output = rotate("--dry-run")

    assert stored_emails() == before
    assert "accounts.user.email: would re-encrypt 5, already current 0" in output
    assert not AuditEntry.objects.exists()


def test_it_records_one_audit_entry(users_under_old_key: list[User]) -> None:
    rotate("--batch-size", "2")

    entry = AuditEntry.objects.get()
    assert entry.verb == "crypto.keys_rotated"
    assert entry.actor_id is None
    assert (entry.target_type, entry.target_id) == ("crypto.key", NEW_ID)
    assert entry.reason == "5 values re-encrypted"


def test_it_reports_values_no_key_can_read_and_rotates_the_rest(
    users_under_old_key: list[User],
) -> None:
    lost = users_under_old_key[2]
    unknown = crypto.Key.from_text(crypto.generate_key_text()).key_id
    orphan = f"pl1:{unknown}:{stored_emails()[lost.pk].split(':', 2)[2]}"
    User.objects.filter(pk=lost.pk).update(
        email=models.Value(orphan, output_field=models.TextField())
    )

    with pytest.raises(CommandError, match="1 values could not be decrypted"):
        rotate()

    stored = stored_emails()
    assert stored.pop(lost.pk) == orphan
    assert {crypto.key_id_of(value) for value in stored.values()} == {NEW_ID}


def test_it_refuses_a_batch_size_below_one(users_under_old_key: list[User]) -> None:
    before = stored_emails()

    with pytest.raises(CommandError, match="--batch-size must be at least 1"):
        rotate("--batch-size", "0")

    assert stored_emails() == before
