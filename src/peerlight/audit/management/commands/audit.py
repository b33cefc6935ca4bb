"""``peerlight audit verify`` checks the hash chain; ``peerlight audit show`` lists entries."""

from __future__ import annotations

from argparse import ArgumentParser
from collections.abc import Generator, Iterable
from contextlib import closing
from dataclasses import dataclass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from peerlight.audit.actions import HEAD_PK
from peerlight.audit.models import GENESIS, AuditEntry, AuditHead

CHUNK_SIZE = 2000


@dataclass(frozen=True)
class ChainReport:
    """What a walk over the chain found: the entry count, or the first break."""

    count: int
    newest_hash: str
    broken_entry_id: int | None = None
    problem: str = ""

    @property
    def intact(self) -> bool:
        return not self.problem


def check_chain(entries: Iterable[AuditEntry], head: AuditHead | None) -> ChainReport:
    """Walk ``entries`` (in id order) and report the first broken link.

    Each entry's hash is recomputed from its fields, each ``prev_hash`` must be
    the previous entry's hash (the first entry's, the genesis hash), and the
    head, read before the walk, must name an entry of the chain with its hash.
    Entries after the head's were appended during the walk and must chain on.
    """
    previous: AuditEntry | None = None
    head_seen = head is None or head.last_entry_id is None
    count = 0
    for entry in entries:
        expected = previous.entry_hash if previous else GENESIS
        if entry.prev_hash != expected:
            after = f"entry #{previous.pk}" if previous else "the start of the log"
            return _broken(count, entry.pk, f"it does not link to {after}.")
        if entry.compute_hash() != entry.entry_hash:
            return _broken(count, entry.pk, "its contents do not match its hash.")
        if head is not None and entry.pk == head.last_entry_id:
            if entry.entry_hash != head.last_hash:
                return _broken(count, entry.pk, "the head holds a different hash for it.")
            head_seen = True
        previous = entry
        count += 1
    if head is None:
        if previous is not None:
            return _broken(count, previous.pk, "the head row is missing.")
    elif not head_seen:
        return _broken(
            count,
            head.last_entry_id,
            "the head names it as the newest entry, but it is missing.",
        )
    elif head.last_entry_id is None and head.last_hash != GENESIS:
        return _broken(count, None, "the head holds a hash but names no entry.")
    return ChainReport(count, previous.entry_hash if previous else GENESIS)


def _broken(count: int, entry_id: int | None, problem: str) -> ChainReport:
    return ChainReport(count, "", entry_id, problem)


class Command(BaseCommand):
    help = "Check the audit log's hash chain (verify) or list entries (show)."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        subcommands.add_parser("verify", help="Check every entry and link of the chain.")
        show: ArgumentParser = subcommands.add_parser("show", help="List entries, newest last.")
        show.add_argument("--actor", type=int, help="Only entries by this account id.")
        show.add_argument("--subject", type=int, help="Only entries about this account id.")
        show.add_argument("--last", type=int, default=20, help="How many entries (default 20).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "verify":
            self.verify()
        else:
            self.show(options["actor"], options["subject"], options["last"])

    def verify(self) -> None:
        # The head is read first: entries appended during the walk come after
        # it and are still checked, so a busy log does not look broken.
        head = AuditHead.objects.filter(pk=HEAD_PK).first()
        # Closed explicitly so a walk that stops at a break releases its cursor.
        with closing(_entries_in_id_order()) as entries:
            report = check_chain(entries, head)
        if not report.intact:
            where = f" at entry #{report.broken_entry_id}" if report.broken_entry_id else ""
            raise CommandError(f"Audit log broken{where}: {report.problem}", returncode=1)
        self.stdout.write(f"Audit log intact: {report.count} entries.")
        # Written down elsewhere, this hash later proves the log was not rewritten.
        self.stdout.write(f"Newest hash: {report.newest_hash}")

    def show(self, actor_id: int | None, subject_id: int | None, last: int) -> None:
        if last < 1:
            raise CommandError("--last must be at least 1.")
        entries = AuditEntry.objects.order_by("-id")
        if actor_id is not None:
            entries = entries.filter(actor_id=actor_id)
        if subject_id is not None:
            entries = entries.filter(subject_id=subject_id)
        rows = [_row(entry) for entry in reversed(entries[:last])]
        if not rows:
            self.stdout.write("No audit entries match.")
            return
        header = ("id", "when (UTC)", "action", "verb", "target", "actor", "subject", "reason")
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            self.stdout.write("  ".join(cells).rstrip())


def _entries_in_id_order() -> Generator[AuditEntry]:
    yield from AuditEntry.objects.order_by("id").iterator(chunk_size=CHUNK_SIZE)


def _row(entry: AuditEntry) -> tuple[str, ...]:
    def account(account_id: int | None) -> str:
        return "-" if account_id is None else str(account_id)

    return (
        str(entry.pk),
        entry.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        entry.action,
        entry.verb,
        f"{entry.target_type}:{entry.target_id}" if entry.target_id else entry.target_type,
        account(entry.actor_id),
        account(entry.subject_id),
        entry.reason,
    )
