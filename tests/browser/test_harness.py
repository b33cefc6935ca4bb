"""The browser harness itself: each page check fails a page that breaks its
rule, and lets a good page through. The pages come from the URLconf below."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

import pytest
from django.http import HttpRequest, HttpResponse
from django.template import RequestContext, Template
from django.test import override_settings
from django.urls import path
from playwright.sync_api import Page

from tests.browser.harness import NewPage
from tests.browser.page_checks import PageCheckFailure

pytestmark = pytest.mark.browser

PAGE = Template(
    """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Harness page</title>{{ head|safe }}</head>
<body><main><h1>Harness page</h1>{{ body|safe }}</main></body></html>"""
)


def page_with(head: str = "", body: str = "") -> Callable[[HttpRequest], HttpResponse]:
    def view(request: HttpRequest) -> HttpResponse:
        # The nonce is rendered in a second pass, inside the page's own markup.
        markup = PAGE.render(RequestContext(request, {"head": head, "body": body}))
        return HttpResponse(Template(markup).render(RequestContext(request)))

    return view


def big_script(request: HttpRequest) -> HttpResponse:
    noise = secrets.token_urlsafe(60_000)
    return HttpResponse(f'var noise = "{noise}";', content_type="text/javascript")


def not_compressed(request: HttpRequest) -> HttpResponse:
    response = page_with(body="<p>" + "Plain text. " * 200 + "</p>")(request)
    response["Content-Encoding"] = "identity"  # GZipMiddleware leaves it alone
    return response


urlpatterns = [
    path("good/", page_with(body='<p>All is well. <a href="/missing-alt/">Go on</a></p>')),
    path("inline-style/", page_with(body='<p style="color: red">Red</p>')),
    path("missing-alt/", page_with(body='<img src="/static/peerlight/icon.svg">')),
    path("heavy-html/", page_with(body=f"<p>{secrets.token_urlsafe(20_000)}</p>")),
    path(
        "heavy-page/",
        page_with(head='<script src="/big.js" nonce="{{ csp_nonce }}" defer></script>'),
    ),
    path("big.js", big_script),
    path("plain/", not_compressed),
    path("elsewhere/", page_with(body='<a href="https://example.org/">Elsewhere</a>')),
    path(
        "broken-script/",
        page_with(head='<script nonce="{{ csp_nonce }}">undefinedFunction();</script>'),
    ),
]


@pytest.fixture(autouse=True)
def _harness_urls() -> Iterator[None]:
    with override_settings(ROOT_URLCONF=__name__):
        yield


def test_it_lets_a_good_page_through(page: Page) -> None:
    page.goto("/good/")


def test_it_fails_an_inline_style(page: Page) -> None:
    with pytest.raises(PageCheckFailure, match="Content-Security-Policy violation"):
        page.goto("/inline-style/")


def test_it_fails_an_accessibility_violation(page: Page) -> None:
    with pytest.raises(PageCheckFailure, match=r"image-alt \(critical\)"):
        page.goto("/missing-alt/")


def test_it_fails_an_accessibility_violation_without_javascript(new_page: NewPage) -> None:
    page = new_page(javascript=False)
    with pytest.raises(PageCheckFailure, match=r"image-alt \(critical\)"):
        page.goto("/missing-alt/")


def test_it_fails_html_over_budget(page: Page) -> None:
    with pytest.raises(PageCheckFailure, match=r"the HTML is .* over the 14336-byte budget"):
        page.goto("/heavy-html/")


def test_it_fails_a_page_over_budget(page: Page) -> None:
    with pytest.raises(PageCheckFailure, match=r"a first load transfers .* 51200-byte budget"):
        page.goto("/heavy-page/")


def test_it_fails_html_that_is_not_compressed(page: Page) -> None:
    with pytest.raises(PageCheckFailure, match="not gzip-encoded"):
        page.goto("/plain/")


def test_it_fails_a_request_to_another_host(
    page: Page, check_page: Callable[[Page], None]
) -> None:
    page.goto("/elsewhere/")
    page.get_by_role("link", name="Elsewhere").click()
    with pytest.raises(
        PageCheckFailure, match=r"Request to another host: GET https://example\.org/"
    ):
        check_page(page)


def test_it_fails_a_javascript_error(page: Page) -> None:
    with pytest.raises(PageCheckFailure, match=r"Uncaught JavaScript error .*undefinedFunction"):
        page.goto("/broken-script/")


def test_it_checks_a_page_reached_by_a_click(page: Page) -> None:
    page.goto("/good/")
    page.get_by_role("link", name="Go on").click()
    page.wait_for_url("**/missing-alt/")
    with pytest.raises(PageCheckFailure, match="image-alt"):
        page.goto("/good/")
