"""Real-browser tests: Playwright's sync API driving the system Chromium
against the live server. Mark each test ``@pytest.mark.browser``.

Fixtures
--------
``page``
    One person: a fresh browser context (no cookies, no cache) on a 360x740
    phone screen, with ``base_url`` set to the live server, so
    ``page.goto("/help/")`` works.
``new_page(user=None, *, javascript=True, language="en", color_scheme="light",
viewport=PHONE)``
    Another person: a new context each call, for two-person scenarios
    (``supporter = new_page(user=peer_supporter)`` beside ``page``); ``user``
    signs that person in first.
``sign_in(page, user)``
    Signs ``user`` in within that page's context with a real session cookie
    (staff also pass two-factor), without going through the log-in form.
``check_page(page)``
    Checks the page as it is now and fails at once, e.g. after htmx changed
    it. Documents are checked without it; see below.
``browser_pages``
    What the fixtures above are made of (``harness.BrowserPages``): every
    person and page of the test, and the watch that checks them.
``browser``
    The Chromium, started once for the whole browser package.
``live_server``
    pytest-django's live server, serving static files gzip-compressed as
    WhiteNoise does in production, so page weights are what a phone loads.
``asgi_pages``
    Like ``browser_pages``, but against ``asgi_live_server``: Peerlight's own
    ASGI application under uvicorn, for tests that need websockets (the
    chat). Its ``new_page`` and ``sign_in`` work as above.

Checks on every page
--------------------
Every document a page shows from the live server is checked once it has
loaded (``harness.py`` explains how); ``goto``, ``reload``, ``go_back`` and
``go_forward`` return only after that, and any other navigation away (a
click, a form post, ``location.replace``) waits for it. A test fails when a
page has

a. axe-core violations of impact serious or critical (WCAG 2.0, 2.1 and 2.2,
   levels A and AA);
b. more than 50 KB transferred on a first load, HTML over 14 KB compressed or
   not gzip-encoded, or a resource that failed (routing turns the HTTP cache
   off, so every load is a first load);
c. a request to any host but the live server; the quick-exit target
   (``PEERLIGHT_QUICK_EXIT_URL``) is answered with a stub page;
d. a Content-Security-Policy violation, an error in the console or an
   uncaught JavaScript error.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.http import HttpRequest, HttpResponseBase
from django.middleware.gzip import GZipMiddleware
from playwright.sync_api import Browser, Page, sync_playwright
from pytest_django.live_server_helper import LiveServer

from peerlight.accounts.models import ConsentDocument, User
from tests.browser.asgi_server import ASGILiveServer
from tests.browser.harness import BrowserPages, NewPage

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_FILE = Path(__file__).resolve().parent / "vendor" / "axe-4.11.4.min.js"


class CompressedStaticFilesHandler(StaticFilesHandler):
    """Serves static files gzip-compressed, as WhiteNoise's compressed storage
    does in production, so page weights measure what a phone downloads."""

    def get_response(self, request: HttpRequest) -> HttpResponseBase:
        response = super().get_response(request)
        return GZipMiddleware(lambda _request: response).process_response(request, response)


@pytest.fixture(scope="session")
def live_server(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    address = (
        request.config.getvalue("liveserver")
        or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    server = LiveServer(address, start=False)
    server.thread.static_handler = CompressedStaticFilesHandler
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def asgi_live_server() -> Iterator[ASGILiveServer]:
    from peerlight.asgi import application

    server = ASGILiveServer(application)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One Chromium for the browser package.

    Playwright's sync API keeps an event loop marked as running in this thread
    while it is alive, and Django refuses database calls next to a running
    loop unless DJANGO_ALLOW_ASYNC_UNSAFE is set. Both last exactly as long as
    the browser tests, so the other tests keep Django's safety check and a
    thread free for their own event loops.
    """
    if not CHROMIUM.exists():
        pytest.fail(
            f"The browser tests need Chromium at {CHROMIUM}. Install it as root with "
            "`apt-get update && apt-get install -y chromium` (or run `make browser-deps`).",
            pytrace=False,
        )
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def consent_documents() -> None:
    """The texts agreed to at sign-up (a flush between live-server tests empties them)."""
    if not ConsentDocument.objects.exists():
        migration = importlib.import_module("peerlight.accounts.migrations.0002_consent_documents")
        migration.publish(apps, None)


@pytest.fixture(scope="session")
def axe_source() -> str:
    return AXE_FILE.read_text(encoding="utf-8")


@pytest.fixture
def browser_pages(
    browser: Browser, live_server: LiveServer, axe_source: str
) -> Iterator[BrowserPages]:
    pages = BrowserPages(browser, live_server.url, axe_source)
    yield pages
    pages.close()


@pytest.fixture
def asgi_pages(
    browser: Browser, asgi_live_server: ASGILiveServer, axe_source: str, transactional_db: None
) -> Iterator[BrowserPages]:
    pages = BrowserPages(browser, asgi_live_server.url, axe_source)
    yield pages
    pages.close()


@pytest.fixture
def new_page(browser_pages: BrowserPages) -> NewPage:
    return browser_pages.new_page


@pytest.fixture
def page(browser_pages: BrowserPages) -> Page:
    return browser_pages.new_page()


@pytest.fixture
def sign_in(browser_pages: BrowserPages) -> Callable[[Page, User], None]:
    return browser_pages.sign_in


@pytest.fixture
def check_page(browser_pages: BrowserPages) -> Callable[[Page], None]:
    return browser_pages.check


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None]:
    """After the test body, check the pages it left open, so that a problem
    there fails the test itself (a test that already failed keeps its error)."""
    result = yield
    for name in ("browser_pages", "asgi_pages"):
        pages = getattr(item, "funcargs", {}).get(name)
        if isinstance(pages, BrowserPages):
            pages.finish()
    return result
