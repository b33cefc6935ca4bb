"""Finding help, in a real browser with JavaScript off: search near a ZIP code, open a
service, see its hours and call it. Every page is also checked by the harness
(accessibility, weight, third-party hosts, CSP): see conftest.py."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from peerlight.accounts.models import User
from peerlight.directory.models import PeerNote
from tests.browser.harness import NewPage
from tests.directory.factories import make_service, weekly

pytestmark = pytest.mark.browser

EVERY_DAY = "MO,TU,WE,TH,FR,SA,SU"


def test_a_visitor_finds_a_service_near_them_and_can_call_it(
    new_page: NewPage, peer_supporter: User, transactional_db: None
) -> None:
    warmline = make_service(
        "Harbor Warmline",
        description="Talk with someone who has been there, any time of day.",
        lat=44.0462,
        lon=-123.0220,
        address={"address_1": "200 Main Street", "city": "Springfield", "postal_code": "97477"},
        schedules=[weekly(EVERY_DAY, "00:00", "00:00")],
        phones=["(541) 555-0134"],
        wheelchair=True,
    )
    make_service("Portland Warmline", lat=45.5152, lon=-122.6784)
    PeerNote.objects.create(
        service=warmline,
        author=peer_supporter,
        body="The people who answer really listen.",
        status=PeerNote.Status.PUBLISHED,
    )
    page = new_page(javascript=False)
    page.goto("/directory/")

    # A ZIP code nobody knows gets a clear message, and nothing breaks.
    page.get_by_label("What are you looking for?").fill("warmline")
    page.get_by_label("Near").fill("00000")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("alert")).to_contain_text("We could not find that place.")

    page.get_by_label("Near").fill("97401")
    page.get_by_label("Distance").select_option(label="Within 25 km")
    page.get_by_label("Wheelchair accessible").check()
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="1 service found")).to_be_visible()
    results = page.locator(".directory-cards")
    expect(results).to_contain_text("km away")
    expect(results).not_to_contain_text("Portland Warmline")
    expect(results.get_by_role("link", name="Call: (541) 555-0134")).to_have_attribute(
        "href", "tel:5415550134"
    )

    results.get_by_role("link", name="Harbor Warmline").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Harbor Warmline")
    expect(page.get_by_role("heading", name="Opening hours")).to_be_visible()
    expect(page.locator(".directory-hours").first).to_contain_text("Monday")
    expect(page.get_by_text("Open now").first).to_be_visible()
    call = page.get_by_role("link", name="Call: (541) 555-0134")
    expect(call).to_have_attribute("href", "tel:5415550134")
    expect(page.locator("address")).to_contain_text("200 Main Street")
    expect(page.get_by_text("The people who answer really listen.")).to_be_visible()
    expect(page.get_by_text("Not verified recently")).to_be_visible()
    expect(page.get_by_role("link", name="Report outdated information")).to_be_visible()
    expect(page.get_by_role("link", name="Add a peer note")).to_have_count(0)


def test_a_visitor_reports_outdated_information(new_page: NewPage, transactional_db: None) -> None:
    service = make_service("Harbor Warmline")
    page = new_page(javascript=False)
    page.goto(f"/directory/services/{service.id}/")
    page.get_by_role("link", name="Report outdated information").click()
    page.get_by_label("Opening hours").check()
    page.get_by_label("What should it say? (optional)").fill("They now open at 10.")
    page.get_by_role("button", name="Send the report").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Harbor Warmline")
    expect(page.get_by_text("A coordinator will check this listing.")).to_be_visible()
    assert service.info_reports.get().topic == "hours"


def test_a_coordinator_curates_a_listing(
    new_page: NewPage, coordinator: User, peer_supporter: User, transactional_db: None
) -> None:
    service = make_service("Harbor Warmline", phones=["(541) 555-0134"])
    service.info_reports.create(topic="hours", details="They close at 5 now.")
    PeerNote.objects.create(service=service, author=peer_supporter, body="Kind people.")
    page = new_page(user=coordinator, javascript=False)
    page.goto("/directory/curation/")
    expect(page.get_by_text("1 open report")).to_be_visible()
    expect(page.get_by_text("1 peer note waiting")).to_be_visible()

    page.get_by_role("link", name="1 peer note waiting").click()
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.get_by_text("The note is published on the service page.")).to_be_visible()

    page.goto("/directory/curation/reports/")
    expect(page.get_by_text("They close at 5 now.")).to_be_visible()
    page.get_by_role("link", name="Edit Harbor Warmline").click()
    page.get_by_label("Monday opens").fill("09:00")
    page.get_by_label("Monday closes").fill("17:00")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Harbor Warmline")
    expect(page.get_by_text("Your changes are saved.")).to_be_visible()
    expect(page.locator(".directory-hours").first).to_contain_text("9:00")
    expect(page.get_by_text("Kind people.")).to_be_visible()

    page.goto("/directory/curation/reports/")
    page.get_by_role("button", name="Mark as fixed").click()
    expect(page.get_by_text("No reports here.")).to_be_visible()
    page.goto("/directory/curation/")
    page.get_by_role(
        "button", name=re.compile(r"^Mark as verified today\W+Harbor Warmline$")
    ).click()
    expect(page.get_by_text("Every listing was checked recently.")).to_be_visible()


def test_a_peer_supporter_adds_a_note_that_waits_for_review(
    new_page: NewPage, peer_supporter: User, transactional_db: None
) -> None:
    service = make_service("Harbor Warmline")
    page = new_page(user=peer_supporter, javascript=False)
    page.goto(f"/directory/services/{service.id}/")
    page.get_by_role("link", name="Add a peer note").click()
    page.get_by_label("Your note").fill("Call me on 541-555-0134 and I will explain.")
    page.get_by_role("button", name="Send for review").click()
    expect(page.get_by_role("alert")).to_contain_text("Please leave out phone numbers")
    page.get_by_label("Your note").fill("The waiting room is calm and nobody rushes you.")
    page.get_by_role("button", name="Send for review").click()
    expect(
        page.get_by_text("A coordinator will read your note before it is shown.")
    ).to_be_visible()
    expect(page.get_by_text("The waiting room is calm")).to_have_count(0)
    assert PeerNote.objects.get().status == PeerNote.Status.PENDING
