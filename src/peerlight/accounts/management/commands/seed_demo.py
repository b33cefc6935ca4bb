"""``peerlight seed-demo``: fill the database with fictional demo data.

Each installed Peerlight app may have a ``demo`` module with ``seed(out)``;
they run in the order of INSTALLED_APPS, so later apps can build on the people
that ``accounts.demo`` creates. Running it twice is safe.
"""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from peerlight.accounts.demo import describe_logins


class Command(BaseCommand):
    help = "Create fictional demo people and data (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("Demo data is for development only, not production.")
        for config in apps.get_app_configs():
            if not config.name.startswith("peerlight."):
                continue
            module_name = f"{config.name}.demo"
            if find_spec(module_name) is None:
                continue
            import_module(module_name).seed(self.stdout)
        describe_logins(self.stdout)
