"""Error pages stay calm and keep the way to help: crisis contacts, quick exit."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from peerlight.accounts.models import User
from peerlight.lib.views import server_error


@pytest.mark.django_db
def test_it_shows_a_not_found_page_inside_the_shell(client: Client) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "We can&#x27;t find that page" in html or "We can't find that page" in html
    assert 'id="need-help"' in html
    assert "data-quick-exit" in html


@pytest.mark.django_db
def test_a_failed_csrf_check_gets_a_calm_page_and_changes_nothing(
    client_for: Callable[[User | None], Client],
) -> None:
    client = client_for(None)
    response = client.post(
        reverse("accounts:login"), {"display_name": "River", "password": "x" * 12}
    )
    assert response.status_code == 403
    html = response.content.decode()
    assert "Please try that again" in html
    assert 'id="need-help"' in html
    assert "<style" not in html
    assert "sessionid" not in response.cookies


def test_the_server_error_page_has_the_crisis_contacts() -> None:
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "tel:988" in html
    assert "Something went wrong" in html


def test_the_server_error_page_renders_even_without_crisis_contacts() -> None:
    with override_settings(PEERLIGHT_CRISIS_CONTACTS_FILE="/nonexistent/crisis.json"):
        response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
    assert "tel:988" not in response.content.decode()
