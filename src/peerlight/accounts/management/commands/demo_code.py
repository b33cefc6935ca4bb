"""``peerlight demo-code NAME``: the current TOTP code of a demo staff account."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import totp

from peerlight.accounts.demo import demo_people


class Command(BaseCommand):
    help = "Print the current two-factor code of a demo staff account (development only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="Display name of a demo staff account.")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("Demo codes exist only in development.")
        wanted = options["name"].casefold()
        for person in demo_people():
            if person.display_name.casefold() == wanted and person.totp_key:
                self.stdout.write(f"{totp(bytes.fromhex(person.totp_key)):06d}")
                return
        staff = ", ".join(p.display_name for p in demo_people() if p.totp_key)
        raise CommandError(f"No demo staff account is called {options['name']!r}. Try: {staff}.")
