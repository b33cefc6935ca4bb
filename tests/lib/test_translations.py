"""English and Spanish are complete: every string marked for translation has
a Spanish translation, reviewed (not fuzzy), with the same placeholders."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

import peerlight

PACKAGE = Path(peerlight.__file__).resolve().parent
CATALOGUE = PACKAGE / "locale" / "es" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")


def entries(text: str) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) for every entry but the header."""
    found = []
    for block in text.split("\n\n"):
        msgid = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        msgstr = re.search(r'^msgstr ((?:".*"\n?)+)', block, re.M)
        plural = re.search(r'^msgstr\[0\] ((?:".*"\n?)+)', block, re.M)
        if msgid is None:
            continue
        source = "".join(re.findall(r'"(.*)"', msgid.group(1)))
        if not source:
            continue  # the header
        target_match = msgstr or plural
        target = "".join(re.findall(r'"(.*)"', target_match.group(1))) if target_match else ""
        found.append((source, target, "#, fuzzy" in block))
    return found


def test_every_string_in_the_catalogue_is_translated() -> None:
    problems = []
    for source, target, fuzzy in entries(CATALOGUE.read_text(encoding="utf-8")):
        if not target:
            problems.append(f"untranslated: {source!r}")
        elif fuzzy:
            problems.append(f"fuzzy: {source!r}")
        elif sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(target)):
            problems.append(f"placeholders differ: {source!r}")
    assert not problems, "\n".join(problems)


def test_the_catalogue_has_every_string_of_the_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert shutil.which("xgettext"), "Install gettext (apt-get install gettext) for makemessages."
    copy = tmp_path / "peerlight"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    fresh_catalogue = copy / "locale" / "es" / "LC_MESSAGES" / "django.po"
    fresh_catalogue.unlink()
    # makemessages extracts from the current directory.
    monkeypatch.chdir(copy)
    call_command(
        "makemessages",
        locale=["es"],
        no_location=True,
        ignore_patterns=["static/vendor/*"],
        verbosity=0,
    )
    fresh = {source for source, _, _ in entries(fresh_catalogue.read_text(encoding="utf-8"))}
    known = {source for source, _, _ in entries(CATALOGUE.read_text(encoding="utf-8"))}
    missing = sorted(fresh - known)
    assert not missing, "Add Spanish for: " + "; ".join(missing) + " (run `make translations`)"
