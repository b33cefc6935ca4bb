"""Petition load generator: visitors signing one petition back to back, in a process of its own.

Not a benchmark itself (a helper of ``benchmarks/petition.py``). Reads one
JSON line of settings on stdin (``base_url``, ``slug``, ``workers``,
``warmup_seconds``, ``seconds``, ``retry_every``, ``run``, ``report``), writes
its report as JSON to the ``report`` path and prints ``REPORTED``.

Each worker is a thread with a keep-alive connection. Like a browser, it
first opens the campaign page, ``/act/<slug>/``, for the CSRF cookie and the
sign form's hidden fields, then posts signatures to ``/act/<slug>/sign/`` one
after another, each from a new visitor: a new e-mail address and, in
``X-Forwarded-For``, an address of its own (the server trusts the header from
127.0.0.1, as behind a reverse proxy), so a per-address rate limit counts
visitors as it would in production. A signature is accepted when the answer
is a 303 to ``/act/<slug>/signed/``.

After every ``retry_every``-th accepted signature the worker sends one retry
of an e-mail address it has already had accepted, as a phone on a bad
connection does. Retries alternate between two kinds:

- ``later``: an earlier accepted signature is sent again;
- ``overlapping``: a new signature is sent on two connections at once, as
  when a phone gives up waiting and resends while the first is still on its
  way; both must be accepted, stored and counted once.

A request that fails in transit (no answer) is sent again on a new
connection, up to ``RESENDS`` times; an address never answered is reported
in ``unanswered`` (it may have been stored). Latencies are recorded for the
requests that finish in the measured window (after ``warmup_seconds``).
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import random
import resource
import sys
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

TIMEOUT_SECONDS = 10.0
RESENDS = 3
CSRF_COOKIE = "csrftoken"
# Visitors' addresses: a block of private addresses, a slice for each worker.
FIRST_VISITOR_ADDRESS = int(ipaddress.IPv4Address("10.0.0.0"))
ADDRESSES_PER_WORKER = 1 << 18
ZIP_CODES = ("97201", "97202", "97203", "97205", "97209", "97210", "97211", "97212", "")


class SignFormParser(HTMLParser):
    """The hidden fields of the form that posts to ``action_path``, and whether it was found."""

    def __init__(self, action_path: str) -> None:
        super().__init__()
        self.action_path = action_path
        self.found = False
        self.inside = False
        self.hidden: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form" and urlsplit(attributes.get("action", "")).path == self.action_path:
            self.found = self.inside = True
        elif (
            tag == "input"
            and self.inside
            and attributes.get("type") == "hidden"
            and (name := attributes.get("name"))
        ):
            self.hidden[name] = attributes.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


class PageError(Exception):
    """The campaign page did not give a sign form and a CSRF cookie."""


@dataclass
class Answer:
    status: int
    location: str
    seconds: float
    finished_at: float


@dataclass
class Tally:
    """What one worker saw."""

    accepted: list[str] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    requests: int = 0
    measured_signatures: int = 0
    retries: dict[str, int] = field(default_factory=lambda: {"later": 0, "overlapping": 0})
    retries_accepted: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    page_loads: int = 0

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1

    def add_requests_of(self, other: Tally) -> None:
        """Take in the requests, latencies and errors another thread counted in ``other``."""
        self.requests += other.requests
        self.latencies_ms += other.latencies_ms
        self.unanswered += other.unanswered
        self.page_loads += other.page_loads
        for kind, count in other.errors.items():
            self.errors[kind] = self.errors.get(kind, 0) + count


class Visitor:
    """One keep-alive connection that signs as a browser would (CSRF cookie and token)."""

    def __init__(self, host: str, port: int, slug: str, origin: str) -> None:
        self.host, self.port, self.origin = host, port, origin
        self.page_path = f"/act/{slug}/"
        self.sign_path = f"/act/{slug}/sign/"
        self.signed_path = f"/act/{slug}/signed/"
        self.connection = self._connect()
        self.cookie = ""
        self.hidden: dict[str, str] = {}

    def _connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT_SECONDS)

    def reconnect(self) -> None:
        self.connection.close()
        self.connection = self._connect()

    def open_page(self) -> None:
        """GET the campaign page; keep its CSRF cookie and the sign form's hidden fields."""
        self.connection.request("GET", self.page_path)
        response = self.connection.getresponse()
        html = response.read().decode("utf-8", errors="replace")
        if response.status != 200:
            raise PageError(f"{self.page_path} answered {response.status}, not 200.")
        for header in response.headers.get_all("Set-Cookie") or []:
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            if CSRF_COOKIE in jar:
                self.cookie = jar[CSRF_COOKIE].value
        parser = SignFormParser(self.sign_path)
        parser.feed(html)
        if not parser.found:
            raise PageError(f"{self.page_path} has no form that posts to {self.sign_path}.")
        if not self.cookie:
            raise PageError(f"{self.page_path} set no {CSRF_COOKIE} cookie.")
        self.hidden = parser.hidden

    def sign(self, fields: dict[str, str], address: str) -> Answer:
        body = urlencode({**self.hidden, **fields})
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"{CSRF_COOKIE}={self.cookie}",
            "Origin": self.origin,
            "Referer": self.origin + self.page_path,
            "X-Forwarded-For": address,
        }
        started = time.perf_counter()
        self.connection.request("POST", self.sign_path, body=body, headers=headers)
        response = self.connection.getresponse()
        response.read()
        finished = time.perf_counter()
        return Answer(
            response.status, response.getheader("Location") or "", finished - started, finished
        )

    def accepted(self, answer: Answer) -> bool:
        return answer.status == 303 and urlsplit(answer.location).path == self.signed_path


@dataclass
class Window:
    """The measured window, on ``time.perf_counter``'s clock."""

    starts: float
    ends: float

    def holds(self, moment: float) -> bool:
        return self.starts <= moment <= self.ends


class Worker:
    def __init__(self, number: int, settings: dict[str, Any], window: Window) -> None:
        parts = urlsplit(settings["base_url"])
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        origin = f"{parts.scheme}://{parts.netloc}"
        self.number = number
        self.run = str(settings["run"])
        self.retry_every = max(1, int(settings["retry_every"]))
        self.window = window
        self.visitor = Visitor(host, port, settings["slug"], origin)
        # The second connection of an overlapping retry.
        self.second = Visitor(host, port, settings["slug"], origin)
        self.random = random.Random(f"{self.run}-{number}")
        self.tally = Tally()
        self.signers: dict[str, tuple[dict[str, str], str]] = {}
        self.sent = 0

    def new_signer(self) -> tuple[str, dict[str, str], str]:
        number = self.sent
        self.sent += 1
        email = f"signer-{self.run}-{self.number}-{number}@bench.example"
        fields = {
            "name": f"Signer {self.number}-{number}",
            "email": email,
            # Real ZIP codes (a form may check them), and now and then none.
            "zip_code": ZIP_CODES[number % len(ZIP_CODES)],
            "comment": "Peer respite saved my life." if number % 10 == 0 else "",
        }
        if number % 3 == 0:
            fields["show_name"] = "on"
        address = str(
            ipaddress.IPv4Address(
                FIRST_VISITOR_ADDRESS
                + self.number * ADDRESSES_PER_WORKER
                + number % ADDRESSES_PER_WORKER
            )
        )
        self.signers[email] = (fields, address)
        return email, fields, address

    def open_pages(self) -> None:
        for visitor in (self.visitor, self.second):
            visitor.open_page()
            self.tally.page_loads += 1

    def send(self, visitor: Visitor, email: str, tally: Tally) -> bool:
        """Post ``email``'s signature, resending on a new connection if no answer comes."""
        fields, address = self.signers[email]
        for _attempt in range(1 + RESENDS):
            tally.requests += 1
            try:
                answer = visitor.sign(fields, address)
            except (OSError, http.client.HTTPException):
                tally.error("no_answer")
                visitor.reconnect()
                continue
            if self.window.holds(answer.finished_at):
                tally.latencies_ms.append(round(answer.seconds * 1000, 3))
            if visitor.accepted(answer):
                return True
            tally.error(f"status_{answer.status}")
            if answer.status == 403:
                # A refused CSRF token: fetch the page again, as a person would.
                self.reload(visitor, tally)
            return False
        tally.unanswered.append(email)
        return False

    def reload(self, visitor: Visitor, tally: Tally) -> None:
        try:
            visitor.open_page()
            tally.page_loads += 1
        except (OSError, http.client.HTTPException, PageError):
            tally.error("page_reload_failed")
            visitor.reconnect()

    def sign_new(self) -> None:
        email, _fields, _address = self.new_signer()
        if self.send(self.visitor, email, self.tally):
            self.accept(email)

    def accept(self, email: str) -> None:
        self.tally.accepted.append(email)
        if self.window.holds(time.perf_counter()):
            self.tally.measured_signatures += 1
        if len(self.tally.accepted) % self.retry_every == 0:
            retries = self.tally.retries
            if retries["later"] <= retries["overlapping"]:
                self.retry_later()
            else:
                self.retry_overlapping()

    def retry_later(self) -> None:
        self.tally.retries["later"] += 1
        email = self.random.choice(self.tally.accepted)
        if self.send(self.visitor, email, self.tally):
            self.tally.retries_accepted += 1

    def retry_overlapping(self) -> None:
        """One new signature on both connections at once; accepted once, retried once."""
        self.tally.retries["overlapping"] += 1
        email, _fields, _address = self.new_signer()
        # The second thread counts apart; its counts join this worker's after.
        side = Tally()
        outcome: dict[str, bool] = {}
        second = threading.Thread(
            target=lambda: outcome.update(second=self.send(self.second, email, side))
        )
        second.start()
        first = self.send(self.visitor, email, self.tally)
        second.join()
        self.tally.add_requests_of(side)
        if outcome.get("second"):
            self.tally.retries_accepted += 1
        if first or outcome.get("second"):
            self.tally.accepted.append(email)
            if self.window.holds(time.perf_counter()):
                self.tally.measured_signatures += 1

    def work(self) -> None:
        while time.perf_counter() < self.window.ends:
            self.sign_new()
        self.visitor.connection.close()
        self.second.connection.close()


def load(settings: dict[str, Any]) -> dict[str, Any]:
    workers_count = int(settings["workers"])
    # The window is set once every worker holds its page.
    window = Window(0.0, 0.0)
    workers = [Worker(number, settings, window) for number in range(workers_count)]
    for worker in workers:
        worker.open_pages()
    started = time.perf_counter()
    window.starts = started + float(settings["warmup_seconds"])
    window.ends = window.starts + float(settings["seconds"])
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    threads = [threading.Thread(target=worker.work) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    tallies = [worker.tally for worker in workers]
    errors: dict[str, int] = {}
    for tally in tallies:
        for kind, count in tally.errors.items():
            errors[kind] = errors.get(kind, 0) + count
    return {
        "accepted": [email for tally in tallies for email in tally.accepted],
        "unanswered": [email for tally in tallies for email in tally.unanswered],
        "latencies_ms": sorted(value for tally in tallies for value in tally.latencies_ms),
        "requests": sum(tally.requests for tally in tallies),
        "measured_signatures": sum(tally.measured_signatures for tally in tallies),
        "measured_seconds": round(window.ends - window.starts, 3),
        "retries": {
            kind: sum(tally.retries[kind] for tally in tallies)
            for kind in ("later", "overlapping")
        },
        "retries_accepted": sum(tally.retries_accepted for tally in tallies),
        "errors": errors,
        "page_loads": sum(tally.page_loads for tally in tallies),
        "cpu_seconds": round(
            (cpu_after.ru_utime + cpu_after.ru_stime)
            - (cpu_before.ru_utime + cpu_before.ru_stime),
            2,
        ),
    }


def main() -> None:
    settings = json.loads(sys.stdin.readline())
    try:
        report = load(settings)
    except PageError as error:
        report = {"page_error": str(error)}
    Path(settings["report"]).write_text(json.dumps(report), encoding="utf-8")
    print("REPORTED", flush=True)


if __name__ == "__main__":
    main()
