"""The machinery that checks every document a browser test's pages show,
without the test asking (the rules themselves are in ``page_checks.py``).

Each document a page shows from the live server is checked once it has
loaded, and a navigation away from it waits until the check is done:

* With JavaScript on, the check runs inside the page when its ``load`` event
  fires (axe-core is added to every document by an init script, which the
  page's Content-Security-Policy does not apply to) and reports back through a
  binding. Playwright cannot evaluate anything in a document once a
  navigation away from it has started (DevTools holds the commands until the
  next document commits), so the page has to run its own check.
* With JavaScript off, the page cannot run anything, and its document is
  exactly the HTML it received. The check loads that HTML, unchanged, into a
  twin page (also without JavaScript) and runs axe-core there: this can
  happen at any time, even while the original page is navigating away.

Routing sees every request, keeps them on the live server, and holds each
navigation of the main frame until the document it leaves has been checked.
Routing also turns Chromium's HTTP cache off, so every load is a first load.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from django.conf import settings
from django.test import Client
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Frame,
    Page,
    Request,
    Response,
    Route,
    ViewportSize,
    WebSocket,
)
from playwright.sync_api import Error as PlaywrightError

from peerlight.accounts.models import User
from tests.browser.page_checks import (
    AXE_CHECK,
    IN_PAGE_RUNNER,
    TIMERS_AS_MICROTASKS,
    PageCheckFailure,
    axe_problems,
    is_html,
    origin,
    redirect_chain,
    weight_problems,
    without_fragment,
)
from tests.conftest import sign_in as sign_in_client

PHONE: ViewportSize = {"width": 360, "height": 740}
# How long a navigation may be held for the check of the page it leaves.
CHECK_TIMEOUT_MS = 10_000
NEUTRAL_PAGE = "<!doctype html><html lang=en><title>Weather</title><h1>Weather today</h1></html>"


@dataclass
class DocumentLoad:
    """One document: its navigation (with redirects), then what it fetched."""

    navigation: Request
    requests: list[Request] = field(default_factory=list)
    # What was fetched before the load event: the cost of a first visit.
    # Later requests (htmx, polling) are the page being used, not loaded.
    first_load: list[Request] | None = None
    state: Literal["pending", "loading", "checked"] = "pending"
    # The HTML as received, kept for pages without JavaScript (see on_response).
    body: bytes | None = None

    @property
    def url(self) -> str:
        return without_fragment(list(redirect_chain(self.navigation))[-1].url)

    def document_response(self) -> Response | None:
        return list(redirect_chain(self.navigation))[-1].response()


class PageWatch:
    """Follows the documents of one page and checks each one."""

    def __init__(self, pages: BrowserPages, page: Page, javascript: bool) -> None:
        self.pages = pages
        self.page = page
        self.javascript = javascript
        self.pending: list[DocumentLoad] = []
        self.current: DocumentLoad | None = None
        self.problems: list[str] = []
        page.on("framenavigated", self.on_frame_navigated)
        page.on("load", self.on_load)
        page.on("console", self.on_console)
        page.on("pageerror", self.on_page_error)
        page.on("websocket", self.on_websocket)
        if not javascript:
            page.on("response", self.on_response)
        for name in ("goto", "reload", "go_back", "go_forward"):
            setattr(page, name, self.checked_navigation(getattr(page, name)))

    def is_live(self, url: str) -> bool:
        return origin(url) == self.pages.live_url

    def checked_navigation(
        self, navigate: Callable[..., Response | None]
    ) -> Callable[..., Response | None]:
        """``navigate``, then wait for the new document's check, so the test's
        next step acts on a page already checked."""

        def navigate_then_check(*args: Any, **kwargs: Any) -> Response | None:
            response = navigate(*args, **kwargs)
            self.wait_until_checked()
            return response

        return navigate_then_check

    # --- what the page does (these run between the test's own steps) ---

    def on_request(self, request: Request) -> None:
        if request.is_navigation_request() and request.frame.parent_frame is None:
            self.hold_until_checked()
            self.pending.append(DocumentLoad(request, [request]))
        elif self.current is not None:
            self.current.requests.append(request)

    def on_frame_navigated(self, frame: Frame) -> None:
        if frame.parent_frame is not None:
            return
        shown = without_fragment(frame.url)
        arrived = [load for load in self.pending if load.url == shown]
        if not arrived:
            return  # a move within the document (a #fragment, history.pushState)
        self.pending.clear()
        left = self.current
        if left is not None and left.state != "checked" and self.is_live(left.url):
            self.problems.append(f"{left.url} was left before it could be checked.")
        self.current = arrived[-1]
        self.current.state = "loading"
        if not self.is_live(shown):
            self.current.state = "checked"  # the quick-exit stub is not Peerlight's

    def on_response(self, response: Response) -> None:
        """Keep the HTML of each document as it arrives, for its check.

        The body has to be asked for now: once the test starts the next
        navigation, DevTools holds every question about this document.
        """
        request = response.request
        if not request.is_navigation_request() or request.frame.parent_frame is not None:
            return
        arriving = [load for load in self.pending if load.url == without_fragment(response.url)]
        if arriving and not 300 <= response.status < 400:
            try:
                arriving[-1].body = response.body()
            except PlaywrightError:
                arriving[-1].body = b""  # a download, or a body the browser dropped

    def on_load(self, page: Page) -> None:
        load = self.current
        if load is None or load.state != "loading":
            return
        if load.first_load is None:
            load.first_load = list(load.requests)
        # The in-page check runs on HTML documents only; a JSON or text
        # document shown in the tab has nothing to check.
        if self.javascript and not is_html(load.document_response()):
            load.state = "checked"

    def on_report(self, report: dict[str, Any]) -> None:
        load = self.current
        if load is None or load.state != "loading" or without_fragment(report["url"]) != load.url:
            return
        if load.first_load is None:
            load.first_load = list(load.requests)
        self.finish_check(load, report)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error" or not self.is_live(self.page.url):
            return
        if message.text.startswith("Failed to load resource"):
            return  # failed responses are reported with their URL by the weight check
        self.problems.append(f"Console error on {self.page.url}: {message.text}")

    def on_page_error(self, error: PlaywrightError) -> None:
        self.problems.append(f"Uncaught JavaScript error on {self.page.url}: {error}")

    def on_websocket(self, websocket: WebSocket) -> None:
        if origin(websocket.url.replace("ws", "http", 1)) != self.pages.live_url:
            self.problems.append(f"WebSocket to another host: {websocket.url}")

    def on_csp_violation(self, description: str) -> None:
        self.problems.append(
            f"Content-Security-Policy violation on {self.page.url}: {description}"
        )

    # --- waiting for checks ---

    def hold_until_checked(self) -> None:
        """Called before a navigation leaves the current document: finish its check first."""
        load = self.current
        if load is None or load.state == "checked":
            return
        if not self.javascript:
            self.check_without_javascript(load)
        elif not self.wait_for(lambda: load.state == "checked"):
            load.state = "checked"
            self.problems.append(f"{load.url} did not finish loading, so it was never checked.")

    def wait_for(self, condition: Callable[[], bool]) -> bool:
        """Wait until ``condition()`` holds, letting the browser's events in,
        for at most CHECK_TIMEOUT_MS; whether it held."""
        waited = 0
        while not condition() and waited < CHECK_TIMEOUT_MS:
            self.page.wait_for_timeout(10)
            waited += 10
        return condition()

    def wait_until_checked(self) -> None:
        """Wait for the current document's check, then fail with every problem so far."""
        if self.current is not None and self.current.state == "loading":
            self.page.wait_for_load_state("load")
            self.hold_until_checked()
        self.raise_problems()

    def check_again(self) -> None:
        """Check the current document as it is now (after htmx changed it, say)."""
        self.wait_until_checked()
        load = self.current
        if load is None or not self.is_live(load.url):
            return
        if self.javascript:
            report = self.page.evaluate("window.__peerlightCheck()")
            self.problems.extend(axe_problems(load.url, report))
        self.raise_problems()

    def raise_problems(self) -> None:
        if self.problems:
            problems, self.problems = self.problems, []
            raise PageCheckFailure("\n\n".join(problems))

    # --- the checks ---

    def finish_check(self, load: DocumentLoad, report: dict[str, Any] | None) -> None:
        """Record the problems of ``load`` (``report`` is axe-core's), then mark
        it checked: whoever waits for the mark finds the problems in place."""
        document = load.document_response()
        if document is None or not is_html(document):
            pass  # nothing to check in a download or a JSON document
        elif report is not None and report.get("hidden"):
            self.problems.append(
                f"{load.url} was left by Quick exit before it could be checked: call "
                "check_page(page) after the navigation that opened it."
            )
        else:
            requests = load.first_load if load.first_load is not None else load.requests
            self.problems.extend(
                weight_problems(load.url, requests, document, self.pages.live_url)
            )
            if report is not None:
                self.problems.extend(axe_problems(load.url, report))
        load.state = "checked"

    def check_without_javascript(self, load: DocumentLoad) -> None:
        document = load.document_response()
        report = None
        if document is not None and is_html(document):
            if not self.wait_for(lambda: load.body is not None) or load.body is None:
                load.state = "checked"
                self.problems.append(f"{load.url} was left before it could be checked.")
                return
            report = self.pages.check_in_twin(self.page, load.url, document, load.body)
        self.finish_check(load, report)


class NewPage(Protocol):
    """The ``new_page`` fixture: another person, in a fresh browser context."""

    def __call__(
        self,
        user: User | None = None,
        *,
        javascript: bool = True,
        language: str = "en",
        color_scheme: Literal["light", "dark"] = "light",
        viewport: ViewportSize | None = None,
    ) -> Page: ...


@dataclass
class PersonOptions:
    javascript: bool
    language: str
    color_scheme: Literal["light", "dark"]
    viewport: ViewportSize


class BrowserPages:
    """The people (browser contexts) of one test, and the watch on each page."""

    def __init__(self, browser: Browser, live_url: str, axe_source: str) -> None:
        self.browser = browser
        self.live_url = live_url
        self.axe_source = axe_source
        self.options: dict[BrowserContext, PersonOptions] = {}
        self.watches: dict[Page, PageWatch] = {}
        # One twin page per person without JavaScript, made when first needed.
        self.twins: dict[BrowserContext, Page] = {}

    def new_page(
        self,
        user: User | None = None,
        *,
        javascript: bool = True,
        language: str = "en",
        color_scheme: Literal["light", "dark"] = "light",
        viewport: ViewportSize | None = None,
    ) -> Page:
        """A new person: a fresh context (no cookies, no cache) with one page."""
        options = PersonOptions(javascript, language, color_scheme, viewport or PHONE)
        context = self.new_context(options)
        self.options[context] = options
        if javascript:
            context.expose_binding("__peerlightReport", self.on_report)
            context.expose_binding("__peerlightCspViolation", self.on_csp_violation)
            context.add_init_script(
                IN_PAGE_RUNNER
                % {"origin": json.dumps(self.live_url), "axe": self.axe_source, "check": AXE_CHECK}
            )
        context.route("**/*", self.route)
        context.on("page", self.start_watching)
        page = context.new_page()
        self.watch(page)
        if user is not None:
            self.sign_in(page, user)
        return page

    def new_context(self, options: PersonOptions) -> BrowserContext:
        context = self.browser.new_context(
            base_url=self.live_url,
            java_script_enabled=options.javascript,
            locale=options.language,
            color_scheme=options.color_scheme,
            viewport=options.viewport,
        )
        context.set_default_timeout(CHECK_TIMEOUT_MS)
        return context

    def start_watching(self, page: Page) -> None:
        self.watch(page)

    def watch(self, page: Page) -> PageWatch:
        if page not in self.watches:
            javascript = self.options[page.context].javascript
            self.watches[page] = PageWatch(self, page, javascript)
        return self.watches[page]

    def on_report(self, source: dict[str, Any], report: dict[str, Any]) -> None:
        self.watch(source["page"]).on_report(report)

    def on_csp_violation(self, source: dict[str, Any], description: str) -> None:
        self.watch(source["page"]).on_csp_violation(description)

    def route(self, route: Route, request: Request) -> None:
        """Let requests reach the live server only; answer the quick exit with
        a stub page; refuse everything else and remember it."""
        watch = self.watch(request.frame.page)
        if watch.is_live(request.url):
            watch.on_request(request)
            route.continue_()
        elif origin(request.url) == origin(settings.PEERLIGHT_QUICK_EXIT_URL):
            watch.on_request(request)
            if request.is_navigation_request():
                route.fulfill(status=200, content_type="text/html", body=NEUTRAL_PAGE)
            else:
                route.fulfill(status=404, body="")
        else:
            watch.problems.append(f"Request to another host: {request.method} {request.url}")
            route.abort("blockedbyclient")

    def check_in_twin(
        self, page: Page, url: str, document: Response, body: bytes
    ) -> dict[str, Any]:
        """axe-core on the exact HTML ``document`` brought (``body``), in a twin
        page without JavaScript (same screen, colours and language), for pages
        that cannot run the check themselves."""
        if page.context not in self.twins:
            self.twins[page.context] = self.new_context(self.options[page.context]).new_page()
        twin = self.twins[page.context]
        headers = {
            name: value
            for name, value in document.headers.items()
            if name not in ("content-encoding", "content-length", "transfer-encoding")
        }

        def serve_copy(route: Route, request: Request) -> None:
            if without_fragment(request.url) == url:
                route.fulfill(status=200, headers=headers, body=body)
            elif origin(request.url) == self.live_url:
                route.continue_()
            else:
                route.abort("blockedbyclient")

        twin.context.unroute_all()
        twin.context.route("**/*", serve_copy)
        twin.goto(url)
        twin.evaluate(self.axe_source)
        twin.evaluate(TIMERS_AS_MICROTASKS)
        twin.evaluate(AXE_CHECK)
        report: dict[str, Any] = twin.evaluate("window.__peerlightCheck()")
        return report

    def sign_in(self, page: Page, user: User) -> None:
        """Sign ``user`` in within ``page``'s context, with a real session cookie."""
        # A fresh copy: signing out elsewhere may have moved the session version on.
        user.refresh_from_db()
        client = Client()
        sign_in_client(client, user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        page.context.add_cookies(
            [{"name": cookie.key, "value": cookie.value, "url": self.live_url, "httpOnly": True}]
        )

    def check(self, page: Page) -> None:
        self.watch(page).check_again()

    def finish(self) -> None:
        """Check the last document of every page, and fail with every problem."""
        problems: list[str] = []
        for watch in self.watches.values():
            try:
                if not watch.page.is_closed():
                    watch.wait_until_checked()
            except PageCheckFailure as failure:
                problems.append(str(failure))
            problems.extend(watch.problems)
            watch.problems = []
        if problems:
            raise PageCheckFailure("\n\n".join(problems))

    def close(self) -> None:
        for context in [*self.options, *(twin.context for twin in self.twins.values())]:
            context.unroute_all(behavior="ignoreErrors")
            context.close()
