"""The coordinators' directory of decision makers: list, add, edit, take out of use."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from peerlight.accounts.models import User
from peerlight.advocacy.models import Target
from peerlight.audit.models import AuditEntry
from tests.advocacy.factories import make_campaign, make_target
from tests.conftest import delete_with_csrf, post_with_csrf

type ClientFor = Callable[[User | None], Client]

LIST = reverse("advocacy:target_list")
CREATE = reverse("advocacy:target_create")


def edit_url(target: Target) -> str:
    return reverse("advocacy:target_edit", args=[target.pk])


def deactivate_url(target: Target) -> str:
    return reverse("advocacy:target_deactivate", args=[target.pk])


def reactivate_url(target: Target) -> str:
    return reverse("advocacy:target_reactivate", args=[target.pk])


def target_form(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Rep. Sam Chen",
        "office": "State House",
        "kind": "legislator",
        "district": "District 36",
        "zip_codes": "97201, 97202\n97203",
        "contact_route": "email",
        "email": "chen@house.example",
        "phone": "",
        "postal_address": "",
        "web_form_url": "",
        "notes": "Votes on the budget in May.",
    }
    data.update(changes)
    return data


# --- The list ---------------------------------------------------------------------------


def test_a_coordinator_sees_the_targets_in_use_and_out_of_use(
    client_for: ClientFor, coordinator: User
) -> None:
    used = make_target("Sen. Alex Rivera")
    make_campaign(targets=[used])
    retired = make_target("Former Rep. Gone")
    Target.objects.filter(pk=retired.pk).update(is_active=False)
    response = client_for(coordinator).get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Sen. Alex Rivera") < html.index("No longer in use")
    assert html.index("No longer in use") < html.index("Former Rep. Gone")
    assert "Named in 1 campaign" in html
    assert "2 ZIP codes" in html
    assert deactivate_url(used) in html
    assert reactivate_url(retired) in html


def test_an_empty_directory_says_so(client_for: ClientFor, coordinator: User) -> None:
    assert (
        "No decision makers are listed yet." in client_for(coordinator).get(LIST).content.decode()
    )


def test_others_never_see_the_targets(
    client_for: ClientFor, member: User, peer_supporter: User, researcher: User
) -> None:
    make_target()
    for person in (member, peer_supporter, researcher):
        assert client_for(person).get(LIST).status_code == 404
    anonymous = client_for(None).get(LIST)
    assert anonymous.status_code == 302
    assert reverse("accounts:login") in anonymous["Location"]


def test_a_coordinator_passes_the_second_factor_first(coordinator: User) -> None:
    client = Client()
    client.force_login(coordinator)
    response = client.get(LIST)
    assert response.status_code == 302
    assert reverse("accounts:two-factor-setup") in response["Location"]


def test_the_list_is_read_only(client_for: ClientFor, coordinator: User) -> None:
    assert post_with_csrf(client_for(coordinator), LIST).status_code == 405


# --- Adding and editing -----------------------------------------------------------------


def test_a_coordinator_adds_a_target(client_for: ClientFor, coordinator: User) -> None:
    client = client_for(coordinator)
    assert client.get(CREATE).status_code == 200
    response = post_with_csrf(client, CREATE, target_form())
    assert response.status_code == 302
    assert response["Location"] == LIST
    target = Target.objects.get()
    assert target.name == "Rep. Sam Chen"
    assert target.district_zip_codes == ["97201", "97202", "97203"]
    assert target.notes == "Votes on the budget in May."
    assert target.is_active
    assert AuditEntry.objects.filter(
        verb="advocacy.target.create", actor_id=coordinator.pk, target_id=str(target.pk)
    ).exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "This field is required."),
        ({"kind": "king"}, "Please choose from the list."),
        (
            {"zip_codes": "97201 00000 12345678"},
            "These are not known US ZIP codes: 00000, 12345678.",
        ),
        ({"email": ""}, "Please fill this in: it is the way chosen to reach them."),
        ({"contact_route": "phone"}, "Please fill this in: it is the way chosen to reach them."),
        (
            {"contact_route": "web_form"},
            "Please fill this in: it is the way chosen to reach them.",
        ),
        ({"email": "not an address"}, "Please enter an e-mail address"),
        ({"web_form_url": "not a url"}, "Please enter a web address"),
        ({"notes": "x" * 4001}, "at most 4000 characters"),
    ],
)
def test_mistakes_are_explained_and_nothing_is_added(
    client_for: ClientFor, coordinator: User, changes: dict[str, str], message: str
) -> None:
    response = post_with_csrf(client_for(coordinator), CREATE, target_form(**changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Target.objects.exists()


def test_a_coordinator_edits_a_target(client_for: ClientFor, coordinator: User) -> None:
    target = make_target()
    client = client_for(coordinator)
    page = client.get(edit_url(target)).content.decode()
    assert 'value="Sen. Alex Rivera"' in page
    assert "97201, 97202" in page
    response = post_with_csrf(
        client,
        edit_url(target),
        target_form(name="Sen. Alex Rivera", contact_route="phone", phone="+1 503 555 0101"),
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.contact_route == Target.Route.PHONE
    assert target.phone == "+1 503 555 0101"
    assert target.district_zip_codes == ["97201", "97202", "97203"]
    assert AuditEntry.objects.filter(verb="advocacy.target.update").exists()


def test_a_bad_edit_changes_nothing(client_for: ClientFor, coordinator: User) -> None:
    target = make_target()
    response = post_with_csrf(
        client_for(coordinator), edit_url(target), target_form(zip_codes="abcde")
    )
    assert response.status_code == 400
    target.refresh_from_db()
    assert target.name == "Sen. Alex Rivera"
    assert target.district_zip_codes == ["97201", "97202"]


def test_an_unknown_target_is_not_found(client_for: ClientFor, coordinator: User) -> None:
    assert client_for(coordinator).get("/act/targets/999999/").status_code == 404


def test_others_cannot_add_or_edit(client_for: ClientFor, member: User) -> None:
    target = make_target()
    assert post_with_csrf(client_for(member), CREATE, target_form()).status_code == 404
    response = post_with_csrf(client_for(member), edit_url(target), target_form(name="Mine"))
    assert response.status_code == 404
    assert client_for(None).get(edit_url(target)).status_code == 302
    assert Target.objects.get().name == "Sen. Alex Rivera"


def test_adding_and_editing_take_only_get_and_post(
    client_for: ClientFor, coordinator: User
) -> None:
    client = client_for(coordinator)
    assert delete_with_csrf(client, CREATE).status_code == 405
    assert delete_with_csrf(client, edit_url(make_target())).status_code == 405


# --- Out of use and back ----------------------------------------------------------------


def test_a_target_is_taken_out_of_use_and_back(client_for: ClientFor, coordinator: User) -> None:
    target = make_target()
    campaign = make_campaign(targets=[target])
    client = client_for(coordinator)
    response = post_with_csrf(client, deactivate_url(target))
    assert response.status_code == 302
    target.refresh_from_db()
    assert not target.is_active
    assert list(campaign.targets.all()) == [target], "its campaigns keep it"
    assert "is no longer offered for campaigns" in client.get(LIST).content.decode()
    post_with_csrf(client, deactivate_url(target))
    assert AuditEntry.objects.filter(verb="advocacy.target.deactivate").count() == 1
    post_with_csrf(client, reactivate_url(target))
    target.refresh_from_db()
    assert target.is_active
    assert AuditEntry.objects.filter(verb="advocacy.target.reactivate").count() == 1


def test_others_cannot_take_a_target_out_of_use(client_for: ClientFor, member: User) -> None:
    target = make_target()
    assert post_with_csrf(client_for(member), deactivate_url(target)).status_code == 404
    assert post_with_csrf(client_for(None), deactivate_url(target)).status_code == 302
    target.refresh_from_db()
    assert target.is_active


def test_taking_out_of_use_takes_only_post(client_for: ClientFor, coordinator: User) -> None:
    target = make_target()
    assert client_for(coordinator).get(deactivate_url(target)).status_code == 405
    assert client_for(coordinator).get(reactivate_url(target)).status_code == 405
    assert (
        post_with_csrf(client_for(coordinator), "/act/targets/999999/deactivate/").status_code
        == 404
    )
