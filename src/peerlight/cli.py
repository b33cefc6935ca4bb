"""The ``peerlight`` command: Django's management commands with friendlier names.

``peerlight seed-demo`` runs the ``seed_demo`` management command, and so on
for every command; ``peerlight bench NAME [--json]`` runs ``benchmarks/NAME.py``
and ``peerlight bench all`` runs every benchmark.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerlight.settings")
    if args and not args[0].startswith("-"):
        args[0] = args[0].replace("-", "_")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["peerlight", *args])


if __name__ == "__main__":
    main()
