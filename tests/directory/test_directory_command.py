"""``peerlight directory``: import, export, load-open-eligibility, reindex."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from peerlight import cli
from peerlight.directory import search
from peerlight.directory.models import Service, TaxonomyTerm
from tests.directory.test_hsds_import import DATA, KEPT, SERVICE_ID

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("directory", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_reports_its_counts() -> None:
    run("import", str(DATA / "outside_records.json"))

    out, err = run("import", str(DATA / "service_full.json"), "--no-progress")

    assert out == (
        f"Imported {DATA / 'service_full.json'}: 19 created, 0 updated, 1 unchanged, 0 removed.\n"
    )
    assert err == ""
    assert Service.objects.filter(id=SERVICE_ID).exists()


def test_import_warns_of_each_link_it_keeps_to_a_record_that_is_nowhere() -> None:
    out, err = run("import", str(DATA / "service_full.json"), "--no-progress")

    assert out == (
        f"Imported {DATA / 'service_full.json'}: 20 created, 0 updated, 0 unchanged, 0 removed; "
        "2 warning(s).\n"
    )
    assert err.splitlines() == [
        f"WARNING: record {SERVICE_ID}: $.organization.parent_organization_id: refers to an "
        f"organization that is {KEPT}",
        f"WARNING: record {SERVICE_ID}: $.attributes[0].taxonomy_term.parent_id: refers to a "
        f"taxonomy term that is {KEPT}",
    ]
    assert Service.objects.filter(id=SERVICE_ID).exists()


def test_import_prints_each_problem_and_fails_having_written_nothing(tmp_path: Path) -> None:
    record = json.loads((DATA / "service_full.json").read_text(encoding="utf-8"))
    record["status"] = "open"
    record["phones"][0]["number"] = 5
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    err = StringIO()

    with pytest.raises(CommandError, match=r"^2 problem\(s\); nothing was imported\.$"):
        call_command("directory", "import", str(path), stderr=err)

    assert err.getvalue().splitlines() == [
        f"record {SERVICE_ID}: $.phones[0].number: must be of type 'string'",
        f"record {SERVICE_ID}: $.status: must be one of 'active', 'inactive', 'defunct', "
        "'temporarily closed'",
    ]
    assert not Service.objects.exists()


def test_import_with_a_type_reads_records_it_could_not_tell(tmp_path: Path) -> None:
    path = tmp_path / "terms.json"
    term = {"id": "3f7b145d-84af-42d7-8fae-eaca714b02b2", "name": "n", "description": "d"}
    path.write_text(json.dumps([term]), encoding="utf-8")

    with pytest.raises(CommandError, match="give --type"):
        run("import", str(path))
    run("import", str(path), "--type", "taxonomy_term")

    assert TaxonomyTerm.objects.filter(id=term["id"]).exists()


def test_import_of_a_missing_file_fails_plainly(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="cannot read"):
        run("import", str(tmp_path / "nothing.json"))


def test_an_unknown_type_is_refused_by_the_parser() -> None:
    with pytest.raises(CommandError):
        run("import", str(DATA / "service_full.json"), "--type", "person")


def test_export_writes_the_json_form_and_the_package(tmp_path: Path) -> None:
    run("import", str(DATA / "csv"))

    out_json, _ = run("export", str(tmp_path / "all.json"), "--no-progress")
    out_zip, _ = run("export", str(tmp_path / "all.zip"), "--no-progress")

    assert out_json == f"Exported 1 services to {tmp_path / 'all.json'}.\n"
    # 20 rows, and the schedule's zone: its attribute, the term and the taxonomy.
    assert out_zip.startswith("Exported 23 rows in the tabular package to ")
    assert json.loads((tmp_path / "all.json").read_text())["contents"][0]["id"] == SERVICE_ID


def test_export_into_a_busy_folder_fails(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine", encoding="utf-8")

    with pytest.raises(CommandError, match="not empty"):
        run("export", str(tmp_path))


def test_load_open_eligibility_reports_its_counts() -> None:
    out, _ = run("load-open-eligibility")

    assert out == "Open Eligibility: 290 created, 0 updated, 0 unchanged, 0 removed.\n"


def test_reindex_rebuilds_the_search_index(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "rebuild", lambda: 7)

    out, _ = run("reindex")

    assert out == "7 services indexed.\n"


def test_the_peerlight_wrapper_runs_it(capsys: pytest.CaptureFixture[str]) -> None:
    cli.main(["directory", "load-open-eligibility"])

    assert "Open Eligibility: 290 created" in capsys.readouterr().out
