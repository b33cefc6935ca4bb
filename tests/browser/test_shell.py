"""The page shell in a real browser: language, crisis contacts, quick exit,
keyboard use and pages without JavaScript. Every page visited here is also
checked by the harness (accessibility, weight, hosts, CSP): see conftest.py."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from peerlight.accounts.models import User
from tests.browser.harness import NewPage

pytestmark = pytest.mark.browser


def test_it_switches_to_spanish_and_back(page: Page) -> None:
    page.goto("/help/")
    page.get_by_role("button", name="Español").click()

    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text("¿Necesitas ayuda ahora?")
    assert page.url.endswith("/help/")

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Need help now?")


def test_need_help_brings_the_crisis_contacts_into_view(page: Page) -> None:
    page.goto("/")
    contacts = page.locator("#need-help")
    expect(contacts).not_to_be_in_viewport()

    page.get_by_role("navigation", name="Safety").get_by_role(
        "link", name="Need help now?"
    ).click()

    expect(contacts.get_by_role("heading", name="Need help now?")).to_be_in_viewport()
    expect(contacts.get_by_role("link", name="Call 988")).to_have_attribute("href", "tel:988")
    expect(contacts.get_by_role("link", name="Text 988")).to_have_attribute("href", "sms:988")
    expect(contacts.get_by_role("link", name="Call 988")).to_be_in_viewport()


def test_need_help_works_offline_once_the_page_is_loaded(page: Page) -> None:
    page.goto("/")
    page.context.set_offline(True)

    page.get_by_role("link", name="See who you can call or text now").click()

    contacts = page.locator("#need-help")
    expect(contacts.get_by_role("link", name="Call 988")).to_be_in_viewport()
    expect(contacts.get_by_role("link", name="Text 988")).to_have_attribute("href", "sms:988")


def test_need_help_in_spanish_offers_spanish_contacts(new_page: NewPage) -> None:
    page = new_page(language="es")
    page.goto("/")
    page.get_by_role("link", name="¿Necesitas ayuda ahora?").first.click()

    contacts = page.locator("#need-help")
    expect(contacts.get_by_role("link", name="Llamar al 988")).to_be_in_viewport()
    expect(contacts.get_by_role("link", name="Enviar AYUDA al 988")).to_have_attribute(
        "href", "sms:988?body=AYUDA"
    )


@pytest.mark.parametrize("how", ["button", "escape twice"])
def test_quick_exit_leaves_no_way_back(page: Page, how: str, live_server: object) -> None:
    page.goto("about:blank")
    page.goto("/help/")

    if how == "button":
        page.get_by_role("link", name="Quick exit").click()
    else:
        page.keyboard.press("Escape")
        page.keyboard.press("Escape")

    page.wait_for_url(settings.PEERLIGHT_QUICK_EXIT_URL)
    page.go_back()
    assert page.url == "about:blank"
    assert not page.url.startswith(str(live_server))


def test_the_keyboard_reaches_the_skip_link_then_help_then_quick_exit(page: Page) -> None:
    page.goto("/")

    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to main content")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Need help now?").first).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Quick exit")).to_be_focused()

    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_it_works_without_javascript(new_page: NewPage) -> None:
    page = new_page(javascript=False)
    page.goto("/")

    contacts = page.locator("#need-help")
    expect(contacts.get_by_role("link", name="Call 988")).to_have_attribute("href", "tel:988")
    exit_link = page.get_by_role("link", name="Quick exit")
    expect(exit_link).to_have_attribute("href", settings.PEERLIGHT_QUICK_EXIT_URL)
    # The Escape shortcut needs JavaScript, so its hint stays hidden.
    expect(page.get_by_text("press Esc twice")).to_be_hidden()

    page.get_by_role("button", name="Español").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")

    page.get_by_role("link", name="Salida rápida").click()
    page.wait_for_url(settings.PEERLIGHT_QUICK_EXIT_URL)


def test_the_escape_hint_shows_with_javascript(page: Page) -> None:
    page.goto("/")
    expect(page.get_by_text("To leave this site quickly, press Esc twice.")).to_be_visible()


def test_dark_mode_pages_pass_the_checks(new_page: NewPage) -> None:
    page = new_page(color_scheme="dark")
    page.goto("/")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(18, 22, 25)"
    page.goto("/help/")


def test_the_header_follows_who_is_signed_in(
    page: Page, new_page: NewPage, member: User, sign_in: Callable[[Page, User], None]
) -> None:
    visitor = page
    signed_in = new_page(user=member)

    visitor.goto("/")
    signed_in.goto("/")

    main_nav = visitor.get_by_role("navigation", name="Main")
    expect(main_nav.get_by_role("link", name="Sign in")).to_be_visible()
    expect(main_nav.get_by_role("link", name="Sign up")).to_be_visible()
    expect(main_nav.get_by_role("link", name="My account")).to_have_count(0)

    main_nav = signed_in.get_by_role("navigation", name="Main")
    expect(main_nav.get_by_role("link", name="My account")).to_be_visible()
    expect(main_nav.get_by_role("link", name="Sign in")).to_have_count(0)
    main_nav.get_by_role("button", name="Sign out", exact=True).click()
    expect(
        signed_in.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in")
    ).to_be_visible()

    sign_in(visitor, member)
    visitor.reload()
    expect(visitor.get_by_role("link", name="My account")).to_be_visible()
