"""The evidence library: the shipped file validates; a malformed one is refused whole."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from peerlight.advocacy import evidence

# The published source the library started from, as it was shared with the
# project (kept here so the comparison runs wherever the repository is).
SHARED = Path(__file__).resolve().parent / "data" / "peer_support_research.yaml"

ENTRY = """\
  - id: first-2020
    citation: "First A. A trial. Journal 2020."
    url: https://example.org/first
    design: RCT, n = 100
    findings:
      - "recovery: SMD 0.2 (95% CI 0.1 to 0.3)"
    caveats: "small trial"
    chime: [hope]
    checked: "yes"
"""


def library_text(*entries: str, version: str = '"2026.1"') -> str:
    return f"version: {version}\nentries:\n" + "".join(entries)


def second(**changes: str) -> str:
    fields = {
        "id": "second-2021",
        "citation": '"Second B. A review. Journal 2021."',
        "url": "https://example.org/second",
        "design": "meta-analysis, 10 RCTs",
        "caveats": '"high risk of bias"',
        "chime": "[connectedness, empowerment]",
        "checked": "partly",
    }
    fields.update(changes)
    lines = [f"  - id: {fields.pop('id')}"]
    lines += [f"    {key}: {value}" for key, value in fields.items() if value != "<drop>"]
    lines.insert(4, '    findings:\n      - "anxiety: SMD -0.21"')
    return "\n".join(lines) + "\n"


# --- The shipped file ----------------------------------------------------------------------


def test_the_shipped_library_validates() -> None:
    library = evidence.load_library()
    assert library.version == "2026.1"
    assert len(library.entries) == 9
    assert all(entry.url.startswith("https://") for entry in library.entries)
    assert {entry.checked for entry in library.entries} == {"yes", "partly"}
    assert [e.id for e in library.entries if not e.fully_checked] == [
        "psychservices-2022",
        "lloyd-evans-2014",
    ]


def test_every_entry_of_the_shared_source_is_kept_field_for_field() -> None:
    shared = yaml.safe_load(SHARED.read_text(encoding="utf-8"))
    ours = {entry.id: entry.as_dict() for entry in evidence.load_library().entries}
    assert set(ours) == {raw["id"] for raw in shared}
    for raw in shared:
        expected = {**raw, "checked": "yes" if raw["checked"] is True else raw["checked"]}
        assert ours[raw["id"]] == expected


def test_the_version_carries_the_files_hash() -> None:
    library = evidence.library()
    label = evidence.library_version()
    assert label == f"2026.1+{library.sha256[:12]}"
    assert len(label) <= 40  # EvidenceBrief.evidence_library_version
    changed = evidence.parse_library(evidence.LIBRARY_PATH.read_text() + "\n# a note\n")
    assert changed.label != label, "an unversioned edit still shows"


def test_an_unquoted_yes_reads_as_checked() -> None:
    entry = ENTRY.replace('checked: "yes"', "checked: yes")
    assert evidence.parse_library(library_text(entry)).entries[0].checked == "yes"


# --- Refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("- just a list", "must be a mapping with 'version' and 'entries'"),
        (library_text(ENTRY) + "extra: 1\n", "Unknown top-level key 'extra'"),
        (library_text(ENTRY, version="2026.1"), "'version' must be a short text"),
        ("version: '1'\nentries: []\n", "'entries' must be a list of at least one"),
        (library_text(ENTRY, second(id="first-2020")), "The id 'first-2020' is used twice"),
        (library_text(ENTRY, second(effect="0.2")), "unknown key 'effect'"),
        (library_text(ENTRY, second(caveats="<drop>")), "missing key 'caveats'"),
        (library_text(ENTRY, second(url="http://example.org/x")), "'url' must be an https"),
        (library_text(ENTRY, second(url="see the journal")), "'url' must be an https"),
        (library_text(ENTRY, second(checked="no")), "'checked' must be yes or partly"),
        (library_text(ENTRY, second(chime="[hope, wellness]")), "not 'wellness'"),
        (library_text(ENTRY, second(chime="[]")), "'chime' must list at least one"),
        (library_text(ENTRY, second(citation='""')), "'citation' must be a non-empty text"),
        (library_text(ENTRY, second(id="Second_2021")), "'id' must be lower case"),
        ("version: '1'\nentries: [\n", "not valid YAML"),
    ],
)
def test_a_malformed_library_is_refused(text: str, problem: str) -> None:
    with pytest.raises(evidence.EvidenceError, match=problem.replace("(", r"\(")):
        evidence.parse_library(text)


def test_an_entry_without_findings_is_refused() -> None:
    bare = textwrap.dedent(
        """\
        version: "1"
        entries:
          - id: a
            citation: "A."
            url: https://example.org/a
            design: RCT
            findings: []
            caveats: none
            chime: [hope]
            checked: partly
        """
    )
    with pytest.raises(evidence.EvidenceError, match="'findings' must be a list"):
        evidence.parse_library(bare)


def test_a_broken_file_on_disk_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "evidence.yaml"
    path.write_text(library_text(ENTRY, second(url="ftp://example.org/x")), encoding="utf-8")
    with pytest.raises(evidence.EvidenceError, match="entry 2 \\(second-2021\\)"):
        evidence.load_library(path)


# --- Choosing entries ------------------------------------------------------------------------


def test_entries_for_domains_put_checked_and_closer_matches_first() -> None:
    library = evidence.parse_library(
        library_text(
            second(),
            ENTRY.replace("[hope]", "[empowerment]"),
            ENTRY.replace("first-2020", "third-2022").replace("[hope]", "[hope]"),
        )
    )
    found = evidence.entries_for(chime_domains={"empowerment", "connectedness"}, source=library)
    # Checked first; the partly checked entry matches two domains but comes after.
    assert [entry.id for entry in found] == ["first-2020", "second-2021"]
    assert evidence.entries_for(chime_domains={"meaning"}, source=library) == []


def test_entries_for_ids_keep_the_chosen_order_and_leave_unknown_ids_out() -> None:
    found = evidence.entries_for(ids=["sledge-2011", "nobody-1999", "smit-2023"])
    assert [entry.id for entry in found] == ["sledge-2011", "smit-2023"]
    assert len(evidence.entries_for(chime_domains={"hope"}, limit=2)) == 2


def test_campaign_topics_map_to_chime_domains() -> None:
    assert evidence.domains_for_topics(["loneliness", "services"]) == {
        "connectedness",
        "empowerment",
    }
    assert evidence.domains_for_topics(["hope", "sleep"]) == {"hope"}
    assert evidence.domains_for_topics([]) == frozenset()
