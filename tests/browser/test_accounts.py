"""Signing up, signing out and signing in, as a person does it in a browser.

Every page visited is also checked by the harness (accessibility, weight,
hosts, CSP): see conftest.py.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from peerlight.accounts.models import ConsentEvent, User

pytestmark = pytest.mark.browser

PASSWORD = "lantern-by-the-river-42"


def fill_sign_up_form(page: Page, display_name: str) -> None:
    """Fill the sign-up form as a person does, agreeing to both texts, and send it."""
    page.get_by_label("Display name").fill(display_name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_label("I agree to the terms of use").check()
    page.get_by_label("I have read the privacy notice").check()
    page.get_by_role("button", name="Create my account").click()


def test_someone_signs_up_signs_out_and_signs_in_again(
    page: Page, consent_documents: None
) -> None:
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign up").click()

    fill_sign_up_form(page, "Harbour Light")

    main_nav = page.get_by_role("navigation", name="Main")
    main_nav.get_by_role("link", name="My account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    expect(page.get_by_text("Harbour Light")).to_be_visible()
    user = User.objects.get(display_name="Harbour Light")
    assert user.email == ""
    agreed = set(ConsentEvent.objects.filter(user=user).values_list("purpose", flat=True))
    assert agreed == {"terms", "privacy"}

    main_nav.get_by_role("button", name="Sign out", exact=True).click()
    main_nav.get_by_role("link", name="Sign in").click()
    page.get_by_label("Display name").fill("harbour light")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(main_nav.get_by_role("button", name="Sign out", exact=True)).to_be_visible()
    main_nav.get_by_role("link", name="My account").click()
    expect(page.get_by_text("Harbour Light")).to_be_visible()


def test_a_wrong_password_is_refused_kindly(page: Page, consent_documents: None) -> None:
    User.objects.create_user("Still Water", PASSWORD)
    page.goto("/login/")
    page.get_by_label("Display name").fill("Still Water")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()

    password = page.get_by_label("Password")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in")
    ).to_be_visible()
    assert "sessionid" not in {cookie["name"] for cookie in page.context.cookies()}


def test_sign_up_refuses_a_taken_name_and_keeps_what_was_typed(
    page: Page, consent_documents: None
) -> None:
    User.objects.create_user("Morning Tide", PASSWORD)
    page.goto("/signup/")
    fill_sign_up_form(page, "morning tide")

    name = page.get_by_label("Display name")
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_have_value("morning tide")
    assert User.objects.filter(display_name__iexact="morning tide").count() == 1
