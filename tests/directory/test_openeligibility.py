"""The Open Eligibility taxonomy, loaded as an HSDS taxonomy."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from peerlight.audit.models import AuditEntry
from peerlight.directory import openeligibility
from peerlight.directory.hsds import serialise
from peerlight.directory.hsds.validate import check
from peerlight.directory.models import Taxonomy, TaxonomyTerm

pytestmark = pytest.mark.django_db

DATA = Path(openeligibility.__file__).parent / "data" / "openeligibility"


def test_it_loads_the_taxonomy_and_its_terms_with_their_parents() -> None:
    summary = openeligibility.load()

    assert (summary.created, summary.updated, summary.unchanged) == (290, 0, 0)
    taxonomy = Taxonomy.objects.get()
    assert taxonomy.id == uuid.uuid5(uuid.NAMESPACE_URL, openeligibility.URL)
    assert (taxonomy.name, taxonomy.version) == ("Open Eligibility", openeligibility.VERSION)
    assert TaxonomyTerm.objects.filter(taxonomy_detail=taxonomy).count() == 289
    peer_support = openeligibility.term_by_code("1310")
    assert peer_support is not None
    assert peer_support.name == "Peer Support"
    assert peer_support.id == uuid.uuid5(taxonomy.id, "1310")
    # 1310 Peer Support sits in the tree under the top-level "Care" (1108).
    ancestors = []
    term: TaxonomyTerm | None = peer_support
    while term is not None:
        ancestors.append(term.code)
        term = term.parent
    assert ancestors[-1] == "1108"
    assert TaxonomyTerm.objects.filter(parent__isnull=True).count() == 11


def test_loading_again_changes_nothing() -> None:
    openeligibility.load()
    renamed = openeligibility.term_by_code("1305")
    assert renamed is not None
    TaxonomyTerm.objects.filter(id=renamed.id).update(name="Renamed by hand")

    summary = openeligibility.load()

    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 289)
    assert openeligibility.load().changed is False
    assert AuditEntry.objects.filter(verb="directory.import").count() == 3


def test_an_unknown_code_has_no_term() -> None:
    openeligibility.load()

    assert openeligibility.term_by_code("99999") is None


def test_its_terms_serialise_as_valid_hsds() -> None:
    openeligibility.load()
    term = openeligibility.term_by_code("1312")
    assert term is not None

    body = serialise.taxonomy_term(term)

    assert check(body, "taxonomy_term", label=body["id"]) == []
    assert body["taxonomy_detail"]["name"] == "Open Eligibility"


def test_the_vendored_file_says_where_it_comes_from() -> None:
    source = (DATA / "SOURCE.md").read_text(encoding="utf-8")

    assert openeligibility.VERSION.split("(")[1].rstrip(")") in source
    assert "Attribution-ShareAlike 3.0" in (DATA / "LICENSE.md").read_text(encoding="utf-8")
