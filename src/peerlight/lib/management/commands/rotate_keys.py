"""``peerlight rotate-keys``: seal every encrypted value with the newest key.

Put the new key first in ``PEERLIGHT_ENCRYPTION_KEYS`` (keeping the old ones
after it), run this command, and only then remove the old keys. Values are
read as stored, so those already under the newest key are not touched and a
second run changes nothing.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models, transaction

from peerlight.audit.actions import record_change
from peerlight.lib import crypto

DEFAULT_BATCH_SIZE = 500
RAW = "_stored_ciphertext"


@dataclass
class ColumnCount:
    """What rotation did (or would do) to one encrypted column."""

    column: str
    current: int = 0
    rotated: int = 0
    unreadable: int = 0


class Command(BaseCommand):
    help = "Re-encrypt every encrypted value that is not sealed with the newest key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change; change nothing."
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help=f"Values re-encrypted per transaction (default {DEFAULT_BATCH_SIZE}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run: bool = options["dry_run"]
        batch_size: int = options["batch_size"]
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        newest = crypto.keys()[0]
        verb = "would re-encrypt" if dry_run else "re-encrypted"
        counts = []
        for field in crypto.encrypted_fields():
            count = rotate_column(field, newest.key_id, batch_size=batch_size, dry_run=dry_run)
            counts.append(count)
            self.stdout.write(
                f"{count.column}: {verb} {count.rotated}, already current {count.current}, "
                f"unreadable {count.unreadable}"
            )
        rotated = sum(count.rotated for count in counts)
        if rotated and not dry_run:
            record_change(
                None,
                "crypto.keys_rotated",
                ("crypto.key", newest.key_id),
                reason=f"{rotated} values re-encrypted",
            )
        self.stdout.write(f"Newest key {newest.key_id}: {verb} {rotated} values in total.")
        unreadable = sum(count.unreadable for count in counts)
        if unreadable:
            raise CommandError(
                f"{unreadable} values could not be decrypted with the configured keys and were "
                "left as they are. Put back the key they need and run this again."
            )


def rotate_column(
    field: crypto.EncryptedTextField, newest_key_id: str, *, batch_size: int, dry_run: bool
) -> ColumnCount:
    """Re-encrypt the values of one column not sealed with ``newest_key_id``."""
    context = field.context()
    count = ColumnCount(column=context)
    # Read and compare the stored text itself: through the field it would be
    # decrypted, and a filter on the field would be encrypted afresh.
    stored = (
        field.model._default_manager.annotate(
            **{RAW: models.ExpressionWrapper(models.F(field.attname), models.TextField())}
        )
        .exclude(**{f"{RAW}__isnull": True})
        .exclude(**{RAW: ""})
    )
    newest_prefix = f"{crypto.PREFIX}:{newest_key_id}:"
    count.current = stored.filter(**{f"{RAW}__startswith": newest_prefix}).count()
    stale = stored.exclude(**{f"{RAW}__startswith": newest_prefix}).order_by("pk")
    last_pk: Any = None
    while True:
        page = stale if last_pk is None else stale.filter(pk__gt=last_pk)
        batch = list(page.values_list("pk", RAW)[:batch_size])
        if not batch:
            return count
        last_pk = batch[-1][0]
        # A dry run only reads: no transaction, so no write lock on SQLite.
        with nullcontext() if dry_run else transaction.atomic():
            for pk, ciphertext in batch:
                try:
                    plaintext = crypto.decrypt(ciphertext, context)
                except crypto.DecryptionError:
                    count.unreadable += 1
                    continue
                if dry_run:
                    count.rotated += 1
                    continue
                resealed = crypto.encrypt(plaintext, context)
                if _replace_stored(stored, field, pk, ciphertext, resealed):
                    count.rotated += 1
                else:
                    count.current += 1


def _replace_stored(
    stored: models.QuerySet[Any], field: crypto.EncryptedTextField, pk: Any, old: str, new: str
) -> bool:
    """Write ``new`` in place of ``old``; False if the row holds ``old`` no more.

    A value saved since it was read was sealed with the newest key by its own
    write and must not be overwritten. ``new`` is written as it is (a plain
    Value), not passed through the field to be encrypted again.
    """
    replaced = stored.filter(pk=pk, **{RAW: old}).update(
        **{field.attname: models.Value(new, output_field=models.TextField())}
    )
    return replaced == 1
