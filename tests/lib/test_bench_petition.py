"""``peerlight bench petition``: its arithmetic, its load client, and a short run end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from benchmarks._harness import BenchmarkError
from benchmarks._petition_load import PageError, SignFormParser, Window, Worker, load
from benchmarks.petition import (
    FULL,
    QUICK,
    chosen_databases,
    figures,
    judge,
    load_for,
    reconcile,
)

REPORTED_KEYS = {
    "signatures_per_second",
    "p50_ms",
    "p99_ms",
    "accepted",
    "retries",
    "errors",
    "rows",
    "counter",
    "lost",
    "duplicated",
}


# --- lost and duplicated -----------------------------------------------------


def test_it_finds_nothing_wrong_when_counter_rows_and_acceptances_agree() -> None:
    # "b@x" was sent twice (a retry): one address, one row, one count.
    outcome = reconcile(["a@x", "b@x", "b@x"], ["a@x", "b@x"], counter=2)
    assert outcome["accepted"] == 2
    assert outcome["rows"] == 2
    assert outcome["lost"] == 0
    assert outcome["duplicated"] == 0


def test_an_accepted_signature_without_a_row_and_its_missing_count_are_both_lost() -> None:
    outcome = reconcile(["a@x", "b@x", "c@x"], ["a@x", "b@x"], counter=2)
    assert outcome["lost_detail"] == {"accepted_without_row": 1, "not_counted": 1}
    assert outcome["lost"] == 2
    assert outcome["duplicated"] == 0


def test_a_stored_row_the_counter_missed_is_lost() -> None:
    outcome = reconcile(["a@x", "b@x"], ["a@x", "b@x"], counter=1)
    assert outcome["lost"] == 1
    assert outcome["lost_detail"]["accepted_without_row"] == 0
    assert outcome["duplicated"] == 0


def test_a_row_stored_though_its_answer_never_came_must_be_counted_too() -> None:
    # "c@x" got no answer, yet was stored: the counter owes it one.
    assert reconcile(["a@x"], ["a@x", "c@x"], counter=2)["lost"] == 0
    assert reconcile(["a@x"], ["a@x", "c@x"], counter=1)["lost"] == 1


def test_a_second_row_for_one_address_is_duplicated() -> None:
    outcome = reconcile(["a@x", "b@x"], ["a@x", "b@x", "b@x"], counter=3)
    assert outcome["duplicated_detail"] == {"rows_beyond_one_per_address": 1, "overcounted": 0}
    assert outcome["duplicated"] == 1
    assert outcome["lost"] == 0


def test_a_counter_above_the_rows_is_duplicated() -> None:
    outcome = reconcile(["a@x", "b@x"], ["a@x", "b@x"], counter=4)
    assert outcome["duplicated"] == 2
    assert outcome["lost"] == 0


def test_addresses_are_compared_without_regard_to_case_or_spaces() -> None:
    assert reconcile([" A@X "], ["a@x"], counter=1)["lost"] == 0


def test_the_goal_fails_on_any_loss_or_duplicate_and_passes_a_skip_through() -> None:
    verdict = judge(
        {
            "sqlite": {"lost": 0, "duplicated": 0},
            "postgresql": {"lost": 0, "duplicated": 1},
            "other": {"skipped": "PostgreSQL at 127.0.0.1:5432 is unreachable"},
        }
    )
    assert verdict["sqlite"] == {"no_loss_or_duplicates": True}
    assert verdict["postgresql"] == {"no_loss_or_duplicates": False}
    assert verdict["other"] == {"skipped": "PostgreSQL at 127.0.0.1:5432 is unreachable"}
    assert judge({"sqlite": {"lost": 1, "duplicated": 0}})["sqlite"] == {
        "no_loss_or_duplicates": False
    }


def test_speed_counts_the_measured_signatures_and_takes_measured_latencies() -> None:
    report = {
        "latencies_ms": [float(value) for value in range(100, 0, -1)],
        "measured_seconds": 4.0,
        "measured_signatures": 90,
        "requests": 101,
        "retries": {"later": 1, "overlapping": 2},
        "retries_accepted": 3,
        "errors": {"status_429": 2, "no_answer": 1},
        "unanswered": ["z@x"],
    }
    measured = figures(report)
    assert measured["signatures_per_second"] == 22.5
    assert measured["p50_ms"] == 51.0
    assert measured["p99_ms"] == 100.0
    assert measured["max_ms"] == 100.0
    assert measured["retries"] == 3
    assert measured["errors"] == 3
    assert measured["unanswered"] == 1


# --- settings from the environment ---------------------------------------------


def test_the_environment_narrows_a_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PEERLIGHT_BENCH_PETITION_SECONDS", raising=False)
    monkeypatch.delenv("PEERLIGHT_BENCH_PETITION_WORKERS", raising=False)
    monkeypatch.delenv("PEERLIGHT_BENCH_PETITION_DATABASES", raising=False)
    assert load_for(quick=False) == FULL
    assert FULL.seconds == 60
    assert chosen_databases(quick=False) == ["sqlite", "postgresql"]
    assert chosen_databases(quick=True) == ["sqlite"]
    monkeypatch.setenv("PEERLIGHT_BENCH_PETITION_SECONDS", "3")
    monkeypatch.setenv("PEERLIGHT_BENCH_PETITION_WORKERS", "4")
    monkeypatch.setenv("PEERLIGHT_BENCH_PETITION_DATABASES", "postgresql")
    assert load_for(quick=False).seconds == 3.0
    assert load_for(quick=False).workers == 4
    assert load_for(quick=True).retry_every == QUICK.retry_every
    assert chosen_databases(quick=True) == ["postgresql"]


def test_an_unknown_database_is_refused_with_the_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PEERLIGHT_BENCH_PETITION_DATABASES", "sqlite,oracle")
    with pytest.raises(BenchmarkError, match="oracle"):
        chosen_databases(quick=False)


# --- the load client -----------------------------------------------------------

SLUG = "fund-respite"
SIGN_FORM = f"""
<form method="post" action="/act/{SLUG}/letter/">
  <input type="hidden" name="csrfmiddlewaretoken" value="not-this-one">
</form>
<form method="post" action="/act/{SLUG}/sign/" class="stack">
  <input type="hidden" name="csrfmiddlewaretoken" value="token-123">
  <input type="hidden" name="started" value="1700000000">
  <label for="name">Your name</label><input id="name" name="name" type="text">
</form>
"""


def test_the_parser_takes_the_hidden_fields_of_the_sign_form_only() -> None:
    parser = SignFormParser(f"/act/{SLUG}/sign/")
    parser.feed(SIGN_FORM)
    assert parser.found
    assert parser.hidden == {"csrfmiddlewaretoken": "token-123", "started": "1700000000"}
    elsewhere = SignFormParser("/act/other/sign/")
    elsewhere.feed(SIGN_FORM)
    assert not elsewhere.found


def test_every_visitor_has_an_address_and_e_mail_of_their_own() -> None:
    settings = {"base_url": "http://127.0.0.1:9", "slug": SLUG, "run": "r1", "retry_every": 5}
    workers = [Worker(number, settings, Window(0.0, 0.0)) for number in range(2)]
    signers = [worker.new_signer() for worker in workers for _ in range(3)]
    assert len({email for email, _fields, _address in signers}) == 6
    assert len({address for _email, _fields, address in signers}) == 6
    assert all(fields["email"] == email for email, fields, _address in signers)


class FakePetition:
    """The sign endpoint's contract, kept in memory; refuses every ``refuse_every``-th post."""

    def __init__(self, refuse_every: int = 0) -> None:
        self.lock = threading.Lock()
        self.posts: dict[str, int] = {}
        self.addresses: dict[str, set[str]] = {}
        self.refuse_every = refuse_every
        self.seen = 0


def handler_for(petition: FakePetition) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def answer(
            self, status: int, body: bytes = b"", headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path != f"/act/{SLUG}/":
                self.answer(404)
                return
            self.answer(
                200,
                SIGN_FORM.encode(),
                {"Set-Cookie": "csrftoken=cookie-abc; Path=/; SameSite=Lax"},
            )

        def do_POST(self) -> None:
            fields = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
            if (
                self.path != f"/act/{SLUG}/sign/"
                or self.headers.get("Cookie") != "csrftoken=cookie-abc"
                or fields.get("csrfmiddlewaretoken") != ["token-123"]
                or fields.get("started") != ["1700000000"]
            ):
                self.answer(403)
                return
            email = fields["email"][0]
            with petition.lock:
                petition.seen += 1
                if petition.refuse_every and petition.seen % petition.refuse_every == 0:
                    self.answer(429)
                    return
                petition.posts[email] = petition.posts.get(email, 0) + 1
                petition.addresses.setdefault(email, set()).add(
                    self.headers.get("X-Forwarded-For", "")
                )
            self.answer(303, headers={"Location": f"/act/{SLUG}/signed/"})

    return Handler


@contextmanager
def fake_server(petition: FakePetition) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(petition))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def client_settings(base_url: str) -> dict[str, Any]:
    return {
        "base_url": base_url,
        "slug": SLUG,
        "workers": 2,
        "warmup_seconds": 0.1,
        "seconds": 0.5,
        "retry_every": 4,
        "run": "t1",
    }


def test_the_client_signs_like_a_browser_and_retries_accepted_signatures() -> None:
    petition = FakePetition()
    with fake_server(petition) as base_url:
        report = load(client_settings(base_url))
    assert report["errors"] == {}
    accepted = set(report["accepted"])
    assert len(accepted) > 8
    # Everything the client counts as accepted reached the server, and nothing else did.
    assert accepted == set(petition.posts)
    retries = report["retries"]
    assert retries["later"] >= 1
    assert retries["overlapping"] >= 1
    assert report["retries_accepted"] == retries["later"] + retries["overlapping"]
    assert sum(petition.posts.values()) == len(accepted) + report["retries_accepted"]
    # A retry comes from the visitor's own address.
    assert all(len(addresses) == 1 for addresses in petition.addresses.values())
    assert report["requests"] == sum(petition.posts.values())
    assert 0 < report["measured_signatures"] <= len(accepted)
    assert report["latencies_ms"] == sorted(report["latencies_ms"])


def test_a_refused_signature_is_an_error_and_never_counted_as_accepted() -> None:
    petition = FakePetition(refuse_every=5)
    with fake_server(petition) as base_url:
        report = load(client_settings(base_url))
    assert report["errors"]["status_429"] > 0
    assert set(report["accepted"]) <= set(petition.posts)
    assert report["requests"] == sum(petition.posts.values()) + report["errors"]["status_429"]


def test_a_page_without_the_sign_form_stops_the_client_with_the_reason() -> None:
    petition = FakePetition()
    with fake_server(petition) as base_url:
        settings = {**client_settings(base_url), "slug": "no-such-campaign"}
        with pytest.raises(PageError, match="404"):
            load(settings)
    assert petition.posts == {}


# --- a short run against Peerlight ------------------------------------------------


def test_a_short_run_on_sqlite_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    environment = {
        **os.environ,
        "PEERLIGHT_VAR_DIR": str(tmp_path),
        "PEERLIGHT_BENCH_PETITION_DATABASES": "sqlite",
        "PEERLIGHT_BENCH_PETITION_SECONDS": "3",
    }
    finished = subprocess.run(
        [sys.executable, "-m", "peerlight.cli", "bench", "petition", "--quick", "--json"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    printed = json.loads(finished.stdout)
    assert printed == json.loads((tmp_path / "bench" / "petition.json").read_text())
    assert printed["quick"] is True
    assert printed["load"]["seconds"] == 3.0
    sqlite = printed["databases"]["sqlite"]
    assert set(sqlite) >= REPORTED_KEYS
    assert sqlite["accepted"] > 0
    assert sqlite["retries"] > 0
    assert sqlite["retries_accepted"] == sqlite["retries"]
    assert sqlite["errors"] == 0
    assert sqlite["lost"] == 0
    assert sqlite["duplicated"] == 0
    assert sqlite["accepted"] == sqlite["rows"] == sqlite["counter"]
    assert sqlite["pending_rows"] == 0
    assert sqlite["p50_ms"] <= sqlite["p99_ms"]
    assert printed["goals_met"] == {"sqlite": {"no_loss_or_duplicates": True}}
