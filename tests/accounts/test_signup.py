"""Sign-up: a pseudonymous account, consent to the texts, signed in at once."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from peerlight.accounts import actions
from peerlight.accounts.models import (
    ConsentDocument,
    ConsentEvent,
    ConsentPurpose,
    User,
    email_digest,
)
from peerlight.audit.models import AuditEntry
from peerlight.lib import ratelimit
from tests.conftest import post_with_csrf

URL = reverse("accounts:signup")
STRONG = "quiet river under the old bridge"


@pytest.fixture
def documents(db: None) -> dict[str, ConsentDocument]:
    """A fresh version of each text people agree to at sign-up."""
    created: dict[str, ConsentDocument] = {}
    for purpose in (ConsentPurpose.TERMS, ConsentPurpose.PRIVACY):
        newest = ConsentDocument.objects.filter(purpose=purpose).order_by("-version").first()
        created[purpose] = ConsentDocument.objects.create(
            purpose=purpose,
            version=(newest.version + 1) if newest else 1,
            language="en",
            title=f"{purpose.label} for tests",
            body=f"# {purpose.label}\n\nThe text of the {purpose} for tests.",
        )
    return created


def form_data(**changes: str) -> dict[str, str]:
    data = {
        "display_name": "Willow",
        "password": STRONG,
        "password_again": STRONG,
        "email": "",
        "language": "en",
        "agree_terms": "on",
        "agree_privacy": "on",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_it_shows_an_accessible_form(documents: dict[str, ConsentDocument]) -> None:
    response = Client().get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'autocomplete="username"' in html
    assert 'autocomplete="new-password"' in html
    assert 'autocomplete="email"' in html
    assert reverse("accounts:document", args=["terms"]) in html
    assert reverse("accounts:document", args=["privacy"]) in html
    assert "style=" not in html


def test_it_creates_an_account_and_signs_in(
    client_for: Callable[[User | None], Client], documents: dict[str, ConsentDocument]
) -> None:
    client = client_for(None)
    response = post_with_csrf(client, URL, form_data(email="willow@example.org", language="es"))
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    user = User.objects.get(display_name="Willow")
    assert user.check_password(STRONG)
    assert user.language == "es"
    assert user.email == "willow@example.org"
    assert user.email_digest == email_digest("willow@example.org")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.session["sudo_until"] > 0
    assert response.cookies["django_language"].value == "es"
    assert AuditEntry.objects.filter(verb="account.create", target_id=str(user.pk)).exists()


def test_it_records_agreement_to_the_texts_shown(
    client_for: Callable[[User | None], Client], documents: dict[str, ConsentDocument]
) -> None:
    post_with_csrf(client_for(None), URL, form_data())
    user = User.objects.get(display_name="Willow")
    agreed = set(
        ConsentEvent.objects.filter(user=user, action=ConsentEvent.Action.GRANT).values_list(
            "document_id", flat=True
        )
    )
    assert agreed == {document.pk for document in documents.values()}


def test_it_tidies_spaces_in_the_name(
    client_for: Callable[[User | None], Client], documents: dict[str, ConsentDocument]
) -> None:
    post_with_csrf(client_for(None), URL, form_data(display_name="  Blue   Heron "))
    assert User.objects.filter(display_name="Blue Heron").exists()


def test_it_refuses_a_name_taken_in_another_case(
    client_for: Callable[[User | None], Client],
    documents: dict[str, ConsentDocument],
    member: User,
) -> None:
    response = post_with_csrf(client_for(None), URL, form_data(display_name="rIVER"))
    assert response.status_code == 200
    assert "Someone already uses this name" in response.content.decode()
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("river@example.org", "looks like an e-mail address"),
        ("river.example.com", "looks like an e-mail address"),
        ("555 123 4567", "looks like a phone number"),
        ("+1-555-123-4567", "looks like a phone number"),
        ("R", "between 2 and 40 characters"),
        ("x" * 41, "between 2 and 40 characters"),
        ("River!", "letters or numbers"),
        ("...", "letters or numbers"),
    ],
)
def test_it_refuses_unsuitable_names(
    client_for: Callable[[User | None], Client],
    documents: dict[str, ConsentDocument],
    name: str,
    words: str,
) -> None:
    response = post_with_csrf(client_for(None), URL, form_data(display_name=name))
    assert response.status_code == 200
    html = response.content.decode()
    assert words in html
    assert 'aria-describedby="id_display_name_helptext id_display_name_error"' in html
    assert not User.objects.exists()


def test_it_accepts_names_in_other_scripts(
    client_for: Callable[[User | None], Client], documents: dict[str, ConsentDocument]
) -> None:
    post_with_csrf(client_for(None), URL, form_data(display_name="Ñandú_2-b.c"))
    assert User.objects.filter(display_name="Ñandú_2-b.c").exists()


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"password": "short", "password_again": "short"}, "too short"),
        ({"password": "password123", "password_again": "password123"}, "too common"),
        ({"password_again": STRONG + "!"}, "not the same"),
        ({"agree_terms": ""}, "This field is required"),
        ({"agree_privacy": ""}, "This field is required"),
        ({"email": "not-an-address"}, "valid email"),
        ({"language": "xx"}, "Select a valid choice"),
    ],
)
def test_it_refuses_bad_input(
    client_for: Callable[[User | None], Client],
    documents: dict[str, ConsentDocument],
    changes: dict[str, str],
    words: str,
) -> None:
    data = form_data(**changes)
    data = {key: value for key, value in data.items() if value != ""}
    response = post_with_csrf(client_for(None), URL, data)
    assert response.status_code == 200
    assert words in response.content.decode()
    assert not User.objects.exists()
    assert "_auth_user_id" not in response.wsgi_request.session


def test_it_refuses_to_open_without_the_texts(client_for: Callable[[User | None], Client]) -> None:
    ConsentDocument.objects.filter(purpose=ConsentPurpose.PRIVACY).delete()
    client = client_for(None)
    assert client.get(URL).status_code == 503
    response = post_with_csrf(client, URL, form_data())
    assert response.status_code == 503
    assert "privacy notice" in response.content.decode()
    assert not User.objects.exists()


def test_the_action_refuses_without_the_texts(
    db: None, documents: dict[str, ConsentDocument]
) -> None:
    with pytest.raises(actions.SignUpClosedError):
        actions.create_account(
            display_name="Willow", password=STRONG, documents=[documents[ConsentPurpose.TERMS]]
        )
    assert not User.objects.exists()


def test_it_sends_people_signed_in_to_their_account(
    client_for: Callable[[User | None], Client],
    documents: dict[str, ConsentDocument],
    member: User,
) -> None:
    client = client_for(member)
    assert client.get(URL)["Location"] == reverse("accounts:account")
    post_with_csrf(client, URL, form_data())
    assert not User.objects.filter(display_name="Willow").exists()


def test_it_limits_sign_ups_per_address(
    client_for: Callable[[User | None], Client], documents: dict[str, ConsentDocument]
) -> None:
    for number in range(ratelimit.SIGNUP_IP.limit):
        response = post_with_csrf(
            client_for(None), URL, form_data(display_name=f"Willow {number}")
        )
        assert response.status_code == 302
    response = post_with_csrf(client_for(None), URL, form_data(display_name="One too many"))
    assert response.status_code == 429
    assert "Please wait about" in response.content.decode()
    assert int(response["Retry-After"]) > 0
    assert not User.objects.filter(display_name="One too many").exists()
    other = client_for(None)
    response = post_with_csrf(
        other, URL, form_data(display_name="Elsewhere"), REMOTE_ADDR="192.0.2.9"
    )
    assert response.status_code == 302


def test_it_does_not_count_refused_forms(
    client_for: Callable[[User | None], Client], documents: dict[str, ConsentDocument]
) -> None:
    client = client_for(None)
    for _ in range(ratelimit.SIGNUP_IP.limit + 1):
        post_with_csrf(client, URL, form_data(password_again="different words entirely"))
    assert post_with_csrf(client, URL, form_data()).status_code == 302
    assert User.objects.filter(display_name="Willow").exists()


def test_it_refuses_other_methods(documents: dict[str, ConsentDocument]) -> None:
    assert Client().put(URL).status_code == 405


def test_it_shows_a_text_to_agree_to(documents: dict[str, ConsentDocument]) -> None:
    response = Client().get(reverse("accounts:document", args=["terms"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Terms of use for tests" in html
    assert "The text of the terms for tests." in html


def test_it_has_no_text_for_unknown_purposes(documents: dict[str, ConsentDocument]) -> None:
    assert Client().get(reverse("accounts:document", args=["nothing"])).status_code == 404
    assert Client().post(reverse("accounts:document", args=["terms"])).status_code == 405
