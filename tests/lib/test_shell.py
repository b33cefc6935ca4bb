"""The page shell, home and "Need help now?": crisis contacts and the quick
exit in plain HTML on every page, both languages, strict CSP, right methods."""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.template.loader import render_to_string
from django.test import Client, override_settings
from django.urls import include, path

from peerlight.accounts.models import User

ClientFor = Callable[[User | None], Client]
PAGES = ["/", "/help/"]


def message_page(request: HttpRequest) -> HttpResponse:
    messages.info(request, "Your answer is saved.")
    return render(request, "home.html")


urlpatterns = [
    path("", include("peerlight.urls")),
    path("with-a-message/", message_page),
]


@pytest.fixture
def visitor(client_for: ClientFor) -> Client:
    return client_for(None)


def html_of(response: HttpResponseBase) -> str:
    assert response.status_code == 200
    assert isinstance(response, HttpResponse)
    return response.content.decode()


@pytest.mark.parametrize("url", PAGES)
def test_every_page_has_the_crisis_contacts_and_quick_exit_in_plain_html(
    visitor: Client, url: str
) -> None:
    html = html_of(visitor.get(url))
    assert '<a class="need-help" href="#need-help">Need help now?</a>' in html
    assert html.count('id="need-help"') == 1
    assert 'href="tel:988"' in html
    assert 'href="sms:988"' in html
    assert 'href="tel:911"' in html
    assert 'href="https://988lifeline.org/chat/"' in html
    exit_link = f'<a class="quick-exit" href="{settings.PEERLIGHT_QUICK_EXIT_URL}"'
    assert exit_link in html
    # The skip link comes first, then "Need help now?" and "Quick exit".
    assert html.index("skip-link") < html.index("need-help") < html.index("quick-exit")


@pytest.mark.parametrize("url", PAGES)
def test_every_page_is_in_spanish_for_spanish_browsers(visitor: Client, url: str) -> None:
    html = html_of(visitor.get(url, headers={"accept-language": "es"}))
    assert '<html lang="es"' in html
    assert '<a class="need-help" href="#need-help">¿Necesitas ayuda ahora?</a>' in html
    assert ">Salida rápida</a>" in html
    assert ">Llamar al 988</a>" in html
    assert 'href="sms:988?body=AYUDA"' in html
    assert "Saltar al contenido principal" in html


def test_home_says_what_peerlight_is_for(visitor: Client) -> None:
    html = html_of(visitor.get("/"))
    assert "<h1>You don't have to go through it alone</h1>" in html
    assert "Peers, not professionals" in html
    assert "You only need a display name." in html


def test_home_in_spanish_from_the_language_cookie(visitor: Client) -> None:
    visitor.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    html = html_of(visitor.get("/"))
    assert "<h1>No tienes que pasar por esto a solas</h1>" in html
    assert "Pares, no profesionales" in html
    assert '<h2 id="need-help-heading">¿Necesitas ayuda ahora?</h2>' in html


def test_the_help_page_puts_the_contacts_first(visitor: Client) -> None:
    html = html_of(visitor.get("/help/"))
    assert '<h1 id="need-help-heading">Need help now?</h1>' in html
    assert html.index("<main") < html.index("tel:988") < html.index("</main>")
    assert "<title>Need help now? · Peerlight</title>" in html


def test_the_language_switch_posts_to_set_language_and_comes_back(visitor: Client) -> None:
    html = html_of(visitor.get("/help/"))
    assert '<form class="language-switch" action="/i18n/setlang/" method="post">' in html
    assert '<input name="next" type="hidden" value="/help/">' in html
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert token is not None

    response = visitor.post(
        "/i18n/setlang/",
        {"language": "es", "next": "/help/", "csrfmiddlewaretoken": token.group(1)},
    )
    assert response.status_code == 302
    assert response["Location"] == "/help/"
    assert '<html lang="es"' in html_of(visitor.get("/help/"))


def test_the_language_switch_refuses_an_unknown_language(visitor: Client) -> None:
    html = html_of(visitor.get("/"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert token is not None
    visitor.post("/i18n/setlang/", {"language": "xx", "csrfmiddlewaretoken": token.group(1)})
    assert '<html lang="en"' in html_of(visitor.get("/"))


@pytest.mark.parametrize("url", PAGES)
def test_the_content_security_policy_has_a_nonce_and_nothing_inline(
    visitor: Client, url: str
) -> None:
    response = visitor.get(url)
    policy = response["Content-Security-Policy"]
    nonce = re.search(r"script-src 'self' 'nonce-([^']+)'", policy)
    assert nonce is not None
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "style-src 'self'" in policy
    html = response.content.decode()
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts
    assert all(f'nonce="{nonce.group(1)}"' in script for script in scripts)
    assert "<style" not in html
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)


@pytest.mark.parametrize("url", PAGES)
def test_pages_are_compressed_and_small(visitor: Client, url: str) -> None:
    response = visitor.get(url, headers={"accept-encoding": "gzip"})
    assert response["Content-Encoding"] == "gzip"
    assert len(response.content) < 14 * 1024
    assert b"tel:988" in gzip.decompress(response.content)


def test_htmx_is_only_on_pages_that_ask_for_it(visitor: Client) -> None:
    assert "htmx" not in html_of(visitor.get("/"))
    included = render_to_string("includes/htmx.html", {"csp_nonce": "abc123"})
    assert '<script src="/static/vendor/htmx-2.0.11.min.js" nonce="abc123" defer>' in included
    assert '"includeIndicatorStyles":false' in included
    assert '"historyCacheSize":0' in included


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_pages_only_answer_get_and_head(url: str, method: str) -> None:
    # A client without CSRF checks, so that the view itself answers.
    response = getattr(Client(), method)(url)
    assert response.status_code == 405
    assert Client().head(url).status_code == 200


def test_a_visitor_is_offered_log_in_and_sign_up(visitor: Client) -> None:
    html = html_of(visitor.get("/help/"))
    assert '<a href="/login/?next=%2Fhelp%2F">Sign in</a>' in html
    assert '<a href="/signup/">Sign up</a>' in html
    assert "Sign out" not in html


def test_a_member_gets_my_account_and_a_log_out_form(client_for: ClientFor, member: User) -> None:
    html = html_of(client_for(member).get("/"))
    assert '<a href="/account/">My account</a>' in html
    log_out = re.search(r'<form method="post" action="/logout/">(.*?)</form>', html)
    assert log_out is not None
    assert 'name="csrfmiddlewaretoken"' in log_out.group(1)
    assert '<button class="link-button" type="submit">Sign out</button>' in log_out.group(1)
    assert ">Sign in<" not in html


@override_settings(ROOT_URLCONF=__name__)
def test_messages_are_announced_politely(client_for: ClientFor) -> None:
    html = html_of(client_for(None).get("/with-a-message/"))
    assert '<div role="status"><ul class="messages">' in html
    assert '<li class="message-info">Your answer is saved.</li>' in html


def test_the_quick_exit_target_is_configurable(visitor: Client) -> None:
    with override_settings(PEERLIGHT_QUICK_EXIT_URL="https://example.org/news"):
        html = html_of(visitor.get("/"))
    assert '<a class="quick-exit" href="https://example.org/news" rel="noreferrer"' in html


# --- Fast paths must render what Django renders ------------------------------


def _fields_html(html: str) -> str:
    """The form's field groups of a page, with whitespace between tags removed."""
    main = html.split("<main", 1)[1]
    start = main.index('<div class="field')
    fields = main[start : main.index("<button", start)]
    return re.sub(r">\s+<", "><", fields).strip()


def _django_fields_html(form: Any) -> str:
    groups = [
        f'<div class="field{" field-error" if field.errors else ""}">{field.as_field_group()}'
        "</div>"
        for field in form.visible_fields()
    ]
    return re.sub(r">\s+<", "><", "".join(groups)).strip()


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"display_name": "", "password": ""},
        {"display_name": 'someone "quoted" <b>', "password": "wrong password"},
    ],
)
@pytest.mark.django_db
def test_the_log_in_fields_are_written_out_as_django_renders_them(
    data: dict[str, str] | None,
) -> None:
    from peerlight.accounts.forms import LoginForm

    # Without CSRF checks: the markup is what is compared here.
    client = Client()
    response = client.get("/login/") if data is None else client.post("/login/", data)
    expected = LoginForm(data)
    expected.is_valid()

    assert _fields_html(html_of(response)) == _django_fields_html(expected)


@pytest.mark.parametrize("url", ["/signup/", "/password-reset/"])
@pytest.mark.django_db
def test_form_fields_render_as_django_renders_them(url: str) -> None:
    response = Client().post(url, {"display_name": "x", "email": "not an address"})
    form = response.context["form"]

    assert _fields_html(html_of(response)) == _django_fields_html(form)


def test_the_shell_fragments_follow_the_language(visitor: Client) -> None:
    english = html_of(visitor.get("/"))
    spanish = html_of(visitor.get("/", headers={"accept-language": "es"}))

    assert "Quick exit" in english
    assert "Quick exit" not in spanish
    assert 'value="es"' in english
    assert 'value="en"' in spanish
