"""Field encryption: round trips, refuses what it must, and leaves no plain text behind."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from peerlight.accounts.models import User
from peerlight.lib import crypto
from peerlight.lib.crypto import DecryptionError, decrypt, encrypt, key_id_of

OLD_KEY = crypto.generate_key_text()
NEW_KEY = crypto.generate_key_text()
EMAIL_COLUMN = "accounts.user.email"
CANARY = "The canary sings at dawn over the quiet harbour"


@override_settings(PEERLIGHT_ENCRYPTION_KEYS=[NEW_KEY])
@given(st.text())
def test_it_round_trips_any_text(text: str) -> None:
    stored = encrypt(text, EMAIL_COLUMN)

    assert stored.startswith(f"pl1:{crypto.Key.from_text(NEW_KEY).key_id}:")
    assert decrypt(stored, EMAIL_COLUMN) == text


@override_settings(PEERLIGHT_ENCRYPTION_KEYS=[NEW_KEY])
def test_the_same_text_is_sealed_differently_each_time() -> None:
    assert encrypt(CANARY, EMAIL_COLUMN) != encrypt(CANARY, EMAIL_COLUMN)


@override_settings(PEERLIGHT_ENCRYPTION_KEYS=[NEW_KEY])
def test_a_value_from_another_column_does_not_decrypt() -> None:
    stored = encrypt(CANARY, "chat.message.body")

    with pytest.raises(DecryptionError, match="column"):
        decrypt(stored, EMAIL_COLUMN)


@override_settings(PEERLIGHT_ENCRYPTION_KEYS=[NEW_KEY])
@pytest.mark.parametrize("position", [10, 20, -3])
def test_a_tampered_value_raises(position: int) -> None:
    stored = encrypt(CANARY, EMAIL_COLUMN)
    flipped = "B" if stored[position] == "A" else "A"
    tampered = stored[:position] + flipped + stored[position + 1 :]
    assert tampered != stored

    with pytest.raises(DecryptionError):
        decrypt(tampered, EMAIL_COLUMN)


@override_settings(PEERLIGHT_ENCRYPTION_KEYS=[NEW_KEY])
@pytest.mark.parametrize(
    "damaged",
    ["plain text", "pl1:", "pl1:abcdef12", "{key}:", "{key}:not*base64", "{key}:AAAA"],
)
def test_a_damaged_value_raises(damaged: str) -> None:
    key_prefix = f"pl1:{crypto.Key.from_text(NEW_KEY).key_id}"

    with pytest.raises(DecryptionError):
        decrypt(damaged.format(key=key_prefix), EMAIL_COLUMN)


def test_an_unknown_key_id_raises() -> None:
    with override_settings(PEERLIGHT_ENCRYPTION_KEYS=[OLD_KEY]):
        stored = encrypt(CANARY, EMAIL_COLUMN)

    with (
        override_settings(PEERLIGHT_ENCRYPTION_KEYS=[NEW_KEY]),
        pytest.raises(DecryptionError, match="No configured key"),
    ):
        decrypt(stored, EMAIL_COLUMN)


def test_old_keys_still_decrypt_after_a_new_key_is_put_first() -> None:
    with override_settings(PEERLIGHT_ENCRYPTION_KEYS=[OLD_KEY]):
        sealed_before = encrypt(CANARY, EMAIL_COLUMN)

    with override_settings(PEERLIGHT_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):
        sealed_after = encrypt(CANARY, EMAIL_COLUMN)
        assert decrypt(sealed_before, EMAIL_COLUMN) == CANARY
        assert decrypt(sealed_after, EMAIL_COLUMN) == CANARY

    assert key_id_of(sealed_before) == crypto.Key.from_text(OLD_KEY).key_id
    assert key_id_of(sealed_after) == crypto.Key.from_text(NEW_KEY).key_id


def test_the_local_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    key_file = tmp_path / "var" / "encryption.keys"

    with override_settings(PEERLIGHT_ENCRYPTION_KEYS=[], PEERLIGHT_LOCAL_KEY_FILE=str(key_file)):
        stored = encrypt(CANARY, EMAIL_COLUMN)
        assert decrypt(stored, EMAIL_COLUMN) == CANARY
        assert crypto.using_local_key_file()

    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key_text = key_file.read_text(encoding="ascii").strip()
    assert key_id_of(stored) == crypto.Key.from_text(key_text).key_id


def test_no_key_and_no_key_file_is_a_configuration_error() -> None:
    with (
        override_settings(PEERLIGHT_ENCRYPTION_KEYS=[], PEERLIGHT_LOCAL_KEY_FILE=""),
        pytest.raises(ImproperlyConfigured, match="No encryption key"),
    ):
        encrypt(CANARY, EMAIL_COLUMN)


@pytest.mark.parametrize(
    "bad_key",
    [
        "not a key",
        "too-short",
        NEW_KEY[:-4],
        NEW_KEY + "AAAA",
        NEW_KEY[:10] + "!" + NEW_KEY[11:],
    ],
    ids=["words", "short", "truncated", "too-long", "stray-character"],
)
def test_bad_key_text_is_a_configuration_error(bad_key: str) -> None:
    with (
        override_settings(PEERLIGHT_ENCRYPTION_KEYS=[bad_key]),
        pytest.raises(ImproperlyConfigured),
    ):
        encrypt(CANARY, EMAIL_COLUMN)


@pytest.mark.django_db
def test_the_field_stores_ciphertext_and_reads_plain_text() -> None:
    user = User.objects.create_user("Rowan", "correct horse battery staple", email=CANARY)

    with connection.cursor() as cursor:
        cursor.execute("SELECT email FROM accounts_user WHERE id = %s", [user.pk])
        (stored,) = cursor.fetchone() or ("",)

    assert key_id_of(stored) == crypto.keys()[0].key_id
    assert CANARY not in stored
    assert decrypt(stored, EMAIL_COLUMN) == CANARY
    assert User.objects.get(pk=user.pk).email == CANARY


@pytest.mark.django_db(transaction=True)
def test_the_canary_appears_nowhere_in_the_database(tmp_path: Path) -> None:
    # Committed (transaction=True) so that a copy of the whole database sees it.
    user = User.objects.create_user("Rowan", "correct horse battery staple", email=CANARY)
    # A plain column holding a known marker proves the search itself finds text.
    control = "plain-marker-4f1c"
    User.objects.create_user(control, "correct horse battery staple")

    assert User.objects.get(pk=user.pk).email == CANARY
    if connection.vendor == "sqlite":
        found = _sqlite_file_contains(tmp_path / "copy.sqlite3", [CANARY, control])
    else:
        found = _postgresql_columns_contain([CANARY, control])
    assert found == {CANARY: False, control: True}


def _sqlite_file_contains(copy: Path, needles: list[str]) -> dict[str, bool]:
    with connection.cursor() as cursor:
        cursor.execute("VACUUM INTO %s", [str(copy)])
    data = copy.read_bytes()
    return {needle: needle.encode("utf-8") in data for needle in needles}


def _postgresql_columns_contain(needles: list[str]) -> dict[str, bool]:
    found = dict.fromkeys(needles, False)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT table_name, column_name FROM information_schema.columns
            WHERE table_schema = current_schema()
              AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb',
                                'xml', 'bytea', 'ARRAY', 'USER-DEFINED')
            """
        )
        columns = cursor.fetchall()
        assert columns, "no text-like columns found to search"
        for table, column in columns:
            for needle in needles:
                cursor.execute(
                    f'SELECT EXISTS (SELECT 1 FROM "{table}" WHERE "{column}"::text LIKE %s '  # noqa: S608
                    f"""OR encode("{column}"::text::bytea, 'escape') LIKE %s)""",
                    [f"%{needle}%", f"%{needle}%"],
                )
                row = cursor.fetchone()
                found[needle] = found[needle] or bool(row and row[0])
    return found
