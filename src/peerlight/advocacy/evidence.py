"""The evidence library: published research an evidence brief may cite.

The library is a data file (``data/evidence.yaml``): a top-level ``version``
and a list of ``entries``, each with exactly the keys of ``Entry``. Loading
validates everything and refuses the whole file on the first problem, so a
brief never cites an entry that cannot be traced to its source: every entry
has a citation and an https URL, and entries only ``checked: partly`` say so.

Which entries suit a campaign: those whose CHIME recovery domains (Leamy et
al. 2011) meet the campaign's, checked ones first. A campaign's domains come
from its topic tags through ``TOPIC_DOMAINS``.

Pure: no Django imports.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "CHIME_DOMAINS",
    "LIBRARY_PATH",
    "TOPIC_DOMAINS",
    "Entry",
    "EvidenceError",
    "Library",
    "domains_for_topics",
    "entries_for",
    "library",
    "library_version",
    "load_library",
    "parse_library",
]

LIBRARY_PATH = Path(__file__).resolve().parent / "data" / "evidence.yaml"

CHIME_DOMAINS = ("connectedness", "hope", "identity", "meaning", "empowerment")
CHECKED_VALUES = ("yes", "partly")
ENTRY_KEYS = frozenset(
    {"id", "citation", "url", "design", "findings", "caveats", "chime", "checked"}
)
TOP_LEVEL_KEYS = frozenset({"version", "entries"})
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
URL_PATTERN = re.compile(r"^https://[^\s/]+\.[^\s/]+(?:/\S*)?$")
VERSION_PATTERN = re.compile(r"^[0-9A-Za-z.\-]{1,20}$")

# The CHIME domains a campaign about a topic speaks to, by the codes of the
# peers vocabulary (experiences and topics) that campaigns and stories use as
# tags. Only plain readings of the framework: connectedness is relationships
# and community, identity includes overcoming stigma and discrimination,
# meaning includes rebuilding after loss, empowerment is control over one's
# life and the services in it.
TOPIC_DOMAINS: Mapping[str, tuple[str, ...]] = {
    "loneliness": ("connectedness",),
    "relationships": ("connectedness",),
    "family": ("connectedness",),
    "parenting": ("connectedness",),
    "family_carer": ("connectedness",),
    "just_talk": ("connectedness",),
    "feeling_low": ("hope",),
    "worry_stress": ("hope",),
    "recovery": ("hope", "empowerment"),
    "depression": ("hope",),
    "identity": ("identity",),
    "discrimination": ("identity", "empowerment"),
    "racism": ("identity", "empowerment"),
    "lgbtq": ("identity",),
    "neurodivergence": ("identity",),
    "immigration": ("identity",),
    "loss": ("meaning",),
    "grief": ("meaning",),
    "work_school": ("meaning", "empowerment"),
    "services": ("empowerment",),
    "money_housing": ("empowerment",),
    "homelessness": ("empowerment",),
    "justice_involvement": ("empowerment",),
}


class EvidenceError(ValueError):
    """The library file is not valid; the message names the entry and the problem."""


@dataclass(frozen=True)
class Entry:
    """One published source, as the library records it."""

    id: str
    citation: str
    url: str
    design: str
    findings: tuple[str, ...]
    caveats: str
    chime: tuple[str, ...]
    checked: str

    @property
    def fully_checked(self) -> bool:
        return self.checked == "yes"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "citation": self.citation,
            "url": self.url,
            "design": self.design,
            "findings": list(self.findings),
            "caveats": self.caveats,
            "chime": list(self.chime),
            "checked": self.checked,
        }


@dataclass(frozen=True)
class Library:
    """The validated library: its version, a hash of its text, its entries in file order."""

    version: str
    sha256: str
    entries: tuple[Entry, ...]

    @property
    def label(self) -> str:
        """The version as archived with a brief: the declared version and the file's hash."""
        return f"{self.version}+{self.sha256[:12]}"

    def by_id(self) -> dict[str, Entry]:
        return {entry.id: entry for entry in self.entries}


def _text(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise EvidenceError(f"{where}: '{key}' must be a non-empty text.")
    return value.strip()


def _checked(raw: Mapping[str, Any], where: str) -> str:
    value = raw.get("checked")
    # YAML 1.1 reads an unquoted ``yes`` as true.
    if value is True:
        value = "yes"
    if value not in CHECKED_VALUES:
        raise EvidenceError(f"{where}: 'checked' must be yes or partly.")
    return str(value)


def _findings(raw: Mapping[str, Any], where: str) -> tuple[str, ...]:
    value = raw.get("findings")
    if not isinstance(value, list) or not value:
        raise EvidenceError(f"{where}: 'findings' must be a list of at least one finding.")
    if not all(isinstance(item, str) and item.strip() for item in value):
        raise EvidenceError(f"{where}: every finding must be a non-empty text.")
    return tuple(item.strip() for item in value)


def _chime(raw: Mapping[str, Any], where: str) -> tuple[str, ...]:
    value = raw.get("chime")
    if not isinstance(value, list) or not value:
        raise EvidenceError(f"{where}: 'chime' must list at least one CHIME domain.")
    unknown = [item for item in value if item not in CHIME_DOMAINS]
    if unknown:
        raise EvidenceError(
            f"{where}: 'chime' may hold only {', '.join(CHIME_DOMAINS)} (not {unknown[0]!r})."
        )
    return tuple(dict.fromkeys(value))


def _entry(raw: object, index: int) -> Entry:
    where = f"entry {index + 1}"
    if not isinstance(raw, dict):
        raise EvidenceError(f"{where}: must be a mapping of keys to values.")
    entry_id = raw.get("id")
    if isinstance(entry_id, str):
        where = f"entry {index + 1} ({entry_id})"
    unknown = sorted(set(map(str, raw)) - ENTRY_KEYS)
    if unknown:
        raise EvidenceError(f"{where}: unknown key {unknown[0]!r}.")
    missing = sorted(ENTRY_KEYS - set(raw))
    if missing:
        raise EvidenceError(f"{where}: missing key {missing[0]!r}.")
    if not isinstance(entry_id, str) or not ID_PATTERN.match(entry_id):
        raise EvidenceError(f"{where}: 'id' must be lower case letters, digits and hyphens.")
    url = _text(raw, "url", where)
    if not URL_PATTERN.match(url):
        raise EvidenceError(f"{where}: 'url' must be an https address of the source.")
    return Entry(
        id=entry_id,
        citation=_text(raw, "citation", where),
        url=url,
        design=_text(raw, "design", where),
        findings=_findings(raw, where),
        caveats=_text(raw, "caveats", where),
        chime=_chime(raw, where),
        checked=_checked(raw, where),
    )


def parse_library(text: str) -> Library:
    """Validate the library's YAML text; raise ``EvidenceError`` on the first problem."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise EvidenceError(f"The file is not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise EvidenceError("The file must be a mapping with 'version' and 'entries'.")
    unknown = sorted(set(map(str, data)) - TOP_LEVEL_KEYS)
    if unknown:
        raise EvidenceError(f"Unknown top-level key {unknown[0]!r}.")
    version = data.get("version")
    if not isinstance(version, str) or not VERSION_PATTERN.match(version):
        raise EvidenceError("'version' must be a short text such as \"2026.1\" (quoted).")
    raw_entries = data.get("entries")
    if not isinstance(raw_entries, list) or not raw_entries:
        raise EvidenceError("'entries' must be a list of at least one entry.")
    entries = tuple(_entry(raw, index) for index, raw in enumerate(raw_entries))
    seen: set[str] = set()
    for entry in entries:
        if entry.id in seen:
            raise EvidenceError(f"The id {entry.id!r} is used twice.")
        seen.add(entry.id)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Library(version=version, sha256=digest, entries=entries)


def load_library(path: Path = LIBRARY_PATH) -> Library:
    """Read and validate the library file at ``path``."""
    return parse_library(path.read_text(encoding="utf-8"))


@functools.cache
def library() -> Library:
    """The shipped library, read once per process."""
    return load_library()


def library_version() -> str:
    """The shipped library's version as archived with a brief (``Library.label``)."""
    return library().label


def domains_for_topics(topics: Iterable[str]) -> frozenset[str]:
    """The CHIME domains of a campaign tagged with ``topics``.

    A tag that is itself a CHIME domain counts as that domain.
    """
    found: set[str] = set()
    for topic in topics:
        if topic in CHIME_DOMAINS:
            found.add(topic)
        found.update(TOPIC_DOMAINS.get(topic, ()))
    return frozenset(found)


def entries_for(
    *,
    chime_domains: Iterable[str] = (),
    ids: Iterable[str] | None = None,
    limit: int | None = None,
    source: Library | None = None,
) -> list[Entry]:
    """Entries to cite.

    With ``ids``: those entries, in the order given (unknown ids are left
    out). Otherwise: entries sharing at least one of ``chime_domains``,
    fully checked ones first, then those sharing more domains, then in file
    order. ``limit`` keeps the first so many.
    """
    shelf = source or library()
    if ids is not None:
        known = shelf.by_id()
        chosen = [known[entry_id] for entry_id in dict.fromkeys(ids) if entry_id in known]
    else:
        wanted = set(chime_domains)
        matching = [entry for entry in shelf.entries if wanted & set(entry.chime)]
        order = {entry.id: index for index, entry in enumerate(shelf.entries)}
        chosen = sorted(
            matching,
            key=lambda entry: (
                not entry.fully_checked,
                -len(wanted & set(entry.chime)),
                order[entry.id],
            ),
        )
    return chosen[:limit] if limit is not None else chosen
