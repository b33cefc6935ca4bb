"""Demo advocacy in the demo region (Multnomah County, Oregon): decision makers and campaigns.

Four fictional decision makers (two county commissioners, a state
representative and the county's behavioral health director) with districts
of real ZIP codes of the county; two active campaigns, each with a petition
(one checks the signer's district), signatures of the demo people and a
batch collected on paper, progress updates and a built evidence brief. The
peer respite campaign also has a letter (three letters waiting, two with
their writers' stories), a brief version delivered by hand and a commitment
on its tracker; the crisis response campaign has a call script and a few
calls. A demo member's campaign proposal is open, with a few backers.

Everything is made through the apps' actions as the demo coordinator and
the demo people would make it, so audit entries, counters, consent and
hashes are real. Before campaigns existed, stories could only be consented
to "any campaign": here the author of "A week at the respite house" (from
``stories.demo``) narrows hers to the respite campaign, as an author would
on her story's consent page.

``seed(out)`` is idempotent: decision makers are found by name, campaigns
by their address, the proposal by its title; what is there already is left
exactly as it is, actions and signatures included.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Protocol

from django.db import transaction
from django.utils import timezone

from peerlight.accounts.models import User
from peerlight.advocacy import (
    actions,
    briefs,
    calls,
    outreach,
    outreach_access,
    petition_signing,
    proposals,
)
from peerlight.advocacy.accountability import record_commitment
from peerlight.advocacy.models import Campaign, Commitment, LetterAction, Proposal, Target
from peerlight.stories import actions as story_actions
from peerlight.stories import demo as stories_demo
from peerlight.stories.models import Story, StoryConsent

COORDINATOR = stories_demo.COORDINATOR
# Calls are rate limited per address; the demo's are made from this machine.
DEMO_ADDRESS = "127.0.0.1"


class Writer(Protocol):
    def write(self, text: str) -> object: ...


@dataclass(frozen=True)
class DemoTarget:
    name: str
    office: str
    kind: str
    district: str
    zip_codes: tuple[str, ...]
    email: str
    phone: str
    route: str = Target.Route.EMAIL


TARGETS = (
    DemoTarget(
        name="Dana Whitfield",
        office="County Commissioner, Multnomah County",
        kind=Target.Kind.COUNTY_BOARD,
        district="Commission District 2",
        zip_codes=("97203", "97211", "97212", "97217", "97218", "97227", "97232"),
        email="dana.whitfield@multco.example",
        phone="+1 503 555 0122",
    ),
    DemoTarget(
        name="Luis Ortega",
        office="County Commissioner, Multnomah County",
        kind=Target.Kind.COUNTY_BOARD,
        district="Commission District 4",
        zip_codes=("97220", "97230", "97233", "97236", "97266"),
        email="luis.ortega@multco.example",
        phone="+1 503 555 0144",
    ),
    DemoTarget(
        name="Harriet Okafor",
        office="State Representative, Oregon House",
        kind=Target.Kind.LEGISLATOR,
        district="House District 44",
        zip_codes=("97203", "97211", "97217"),
        email="rep.okafor@legislature.example",
        phone="+1 503 555 0186",
        route=Target.Route.PHONE,
    ),
    DemoTarget(
        name="Dr. Samuel Yamada",
        office="Director, Behavioral Health Division, Multnomah County",
        kind=Target.Kind.AGENCY,
        district="",
        zip_codes=(),
        email="bhd.director@multco.example",
        phone="+1 503 555 0199",
    ),
)


@dataclass(frozen=True)
class Signing:
    """A demo person signing while signed in (a name shows only with ``show_name``)."""

    person: str
    zip_code: str = ""
    show_name: bool = False


@dataclass(frozen=True)
class DemoLetter:
    writer: str
    own_words: str
    zip_code: str
    story: str = ""  # public id of the writer's own story
    signed_name: str = ""  # signs with this name when given


@dataclass(frozen=True)
class DemoCampaign:
    slug: str
    title: str
    ask: str
    why: str
    tags: tuple[str, ...]
    targets: tuple[str, ...]
    deadline_days: int
    statement: str
    goal: int
    check_district: bool
    signings: tuple[Signing, ...]
    paper: tuple[int, dict[str, int], str]
    # Posted before anyone acts, and after the rest (members who acted are told).
    first_update: str
    last_update: str = ""
    # Stories (public ids) whose authors narrow their consent to this campaign.
    chosen_by: tuple[str, ...] = ()
    letter: tuple[str, str] | None = None  # subject, template
    letters: tuple[DemoLetter, ...] = ()
    call_script: str = ""
    calls: tuple[tuple[str, str], ...] = ()  # (caller, target name)
    deliver_brief_to: str = ""  # a target's name: the first version is handed over
    commitment: tuple[str, str] | None = None  # target name, what they committed to


RESPITE = DemoCampaign(
    slug="fund-peer-respite",
    title="Fund a second peer respite house in Multnomah County",
    ask=(
        "Fund a second peer-run respite house in Multnomah County in next year's budget: "
        "eight beds, open all year, run by people with lived experience."
    ),
    why=(
        "A peer respite is a calm, homelike house where someone going through a "
        "mental-health crisis can stay a few nights, supported by staff who have been "
        "through crises themselves. The county has one house with four beds, and people "
        "wait weeks for a place. Many of them end up in an emergency room instead, the "
        "hardest place there is to be in a crisis."
    ),
    tags=("depression", "feeling_low", "loneliness", "services", "recovery"),
    targets=("Dana Whitfield", "Luis Ortega", "Dr. Samuel Yamada"),
    deadline_days=80,
    statement=(
        "We ask the Multnomah County Board of Commissioners to fund a second peer-run "
        "respite house in next year's budget."
    ),
    goal=100,
    check_district=True,
    signings=(
        Signing("quietfern", "97214"),
        Signing("Luz del Mar", "97217"),
        Signing("nightowl", "97233"),
        Signing("Marisol", "97211", show_name=True),
        Signing("Dev", "97212", show_name=True),
        Signing("Tomás", "97227"),
        Signing("Renée", "97230"),
        Signing("Kai", "97232", show_name=True),
    ),
    paper=(46, {"97211": 14, "97217": 9, "97233": 8}, "Collected at the clubhouse open day"),
    first_update=(
        "The campaign is open! Thank you to everyone who signed on paper at the clubhouse "
        "open day: 46 of you, and counting."
    ),
    last_update=(
        "Commissioner Whitfield says she will propose a budget amendment for a second "
        "respite house. The budget vote is in the spring: keep signing and sharing."
    ),
    chosen_by=("demo-story-2",),
    letter=(
        "Please fund a second peer respite house",
        "Dear Commissioner,\n\n"
        "I am writing to ask you to fund a second peer-run respite house in Multnomah "
        "County in next year's budget.\n\n"
        "A peer respite gives people in a mental-health crisis a calm place to stay, with "
        "staff who have been there themselves. The county's only house has four beds and "
        "a waiting list. Please make room for a second one.",
    ),
    letters=(
        DemoLetter(
            "quietfern",
            "Six nights at a peer respite helped me through the hardest winter of my life. "
            "I want the next person to find a bed when they need one.",
            "97214",
            story="demo-story-2",
            signed_name="Fern",
        ),
        DemoLetter(
            "Luz del Mar",
            "Cuando necesité ayuda, la encontré con otras mamás que me entendían. Un lugar "
            "tranquilo como este cambia vidas. Por favor, financien la segunda casa.",
            "97217",
            story="demo-story-3",
        ),
        DemoLetter(
            "nightowl",
            "Nobody should have to wait weeks for somewhere safe to rest. Please fund the "
            "second house.",
            "97233",
        ),
    ),
    deliver_brief_to="Dana Whitfield",
    commitment=(
        "Dana Whitfield",
        "At the board's public meeting, Commissioner Whitfield committed to propose a "
        "budget amendment funding a second peer respite house.",
    ),
)

CRISIS = DemoCampaign(
    slug="peers-on-crisis-teams",
    title="Put peers on the county's crisis teams",
    ask="Add a paid peer specialist to every mobile crisis team in Multnomah County by next July.",
    why=(
        "When someone is in crisis, who knocks on the door matters. A peer specialist has "
        "lived through crises too: they can calm a tense moment, build trust quickly and "
        "help people choose the support they want. Some of the county's crisis teams "
        "already include a peer; every team should."
    ),
    tags=("psychosis", "trauma", "military", "services"),
    targets=("Dr. Samuel Yamada", "Harriet Okafor", "Dana Whitfield"),
    deadline_days=140,
    statement="We ask the county to put a paid peer specialist on every mobile crisis team.",
    goal=50,
    check_district=False,
    signings=(
        Signing("Dev", "97212"),
        Signing("Renée", "97230", show_name=True),
        Signing("Kai"),
        Signing("Tomás", "97227"),
        Signing("nightowl"),
    ),
    paper=(23, {}, "Signed at the veterans' resource fair"),
    first_update=(
        "The behavioral health division has agreed to meet us next month. We will bring "
        "the evidence brief, and your stories."
    ),
    call_script=(
        "Hello, my name is … and I live in Multnomah County.\n\n"
        "I'm calling to ask you to support putting a paid peer specialist on every mobile "
        "crisis team. Peers have lived through crises themselves, and they help people feel "
        "safe enough to accept support.\n\n"
        "Will you support it? Thank you for your time."
    ),
    calls=(("Renée", "Harriet Okafor"), ("Dev", "Dr. Samuel Yamada"), ("Kai", "Harriet Okafor")),
)

CAMPAIGNS = (RESPITE, CRISIS)


@dataclass(frozen=True)
class DemoProposal:
    proposer: str
    title: str
    ask: str
    why: str
    backers: tuple[str, ...]


PROPOSAL = DemoProposal(
    proposer="nightowl",
    title="Peer support in every high school",
    ask=(
        "Ask the school districts of Multnomah County to fund trained peer supporters in "
        "every public high school."
    ),
    why=(
        "Many of us first struggled as teenagers, with nobody our age who understood. "
        "Someone who has been there makes it easier to ask for help early."
    ),
    backers=("quietfern", "Kai", "Luz del Mar"),
)


def seed(out: Writer) -> None:
    coordinator = _person(COORDINATOR)
    if coordinator is None:
        out.write("Advocacy: 0 created, skipped (no demo coordinator).\n")
        return
    made = existing = 0
    targets: dict[str, Target] = {}
    for spec in TARGETS:
        target, created = _target(coordinator, spec)
        targets[spec.name] = target
        if created:
            made += 1
        else:
            existing += 1
    for campaign in CAMPAIGNS:
        if Campaign.objects.filter(slug=campaign.slug).exists():
            existing += 1
            continue
        make_campaign(coordinator, campaign, targets)
        made += 1
    if Proposal.objects.filter(title=PROPOSAL.title).exists():
        existing += 1
    elif make_proposal(PROPOSAL) is not None:
        made += 1
    out.write(f"Advocacy: {made} created, {existing} already there.\n")


def _person(name: str) -> User | None:
    return User.objects.filter(display_name__iexact=name, is_active=True).first()


def _target(coordinator: User, spec: DemoTarget) -> tuple[Target, bool]:
    found = Target.objects.filter(name=spec.name).first()
    if found is not None:
        return found, False
    target = actions.create_target(
        coordinator,
        {
            "name": spec.name,
            "office": spec.office,
            "kind": spec.kind,
            "district": spec.district,
            "district_zip_codes": list(spec.zip_codes),
            "contact_route": spec.route,
            "email": spec.email,
            "phone": spec.phone,
        },
    )
    return target, True


def make_campaign(coordinator: User, spec: DemoCampaign, targets: dict[str, Target]) -> Campaign:
    """The campaign of ``spec`` with everything around it, in one transaction."""
    today = timezone.localdate()
    with transaction.atomic():
        campaign = actions.create_campaign(
            coordinator,
            {
                "title": spec.title,
                "ask": spec.ask,
                "why": spec.why,
                "deadline": today + datetime.timedelta(days=spec.deadline_days),
                "status": Campaign.Status.ACTIVE,
                "tags": list(spec.tags),
            },
            [targets[name] for name in spec.targets],
            slug=spec.slug,
        )
        _narrow_consent(campaign, spec.chosen_by)
        actions.post_update(coordinator, campaign, spec.first_update)
        _petition(coordinator, campaign, spec)
        _letters(coordinator, campaign, spec)
        _calls(coordinator, campaign, spec, targets)
        _brief(coordinator, campaign, spec, targets)
        if spec.commitment is not None:
            name, description = spec.commitment
            record_commitment(
                coordinator,
                campaign,
                {
                    "target": targets[name],
                    "kind": Commitment.Kind.COMMITMENT,
                    "stance": Commitment.Stance.FOR,
                    "description": description,
                    "occurred_on": today - datetime.timedelta(days=5),
                },
            )
        if spec.last_update:
            actions.post_update(coordinator, campaign, spec.last_update)
    return campaign


def _narrow_consent(campaign: Campaign, public_ids: tuple[str, ...]) -> None:
    """Each author changes "any campaign" to this campaign only, keeping the rest."""
    for story in Story.objects.filter(public_id__in=public_ids).select_related("author"):
        latest = StoryConsent.objects.filter(story=story).order_by("-number").first()
        if latest is None or latest.withdrawn:
            continue
        story_actions.change_consent(
            story.author,
            story,
            story_actions.ConsentChoices(
                audience=latest.audience,
                attribution=latest.attribution,
                advocacy=StoryConsent.Advocacy.CHOSEN,
                other_name=latest.other_name,
                campaign_ids=(int(campaign.pk),),
                ends_on=latest.ends_on,
            ),
            language=story.author.language,
        )


def _petition(coordinator: User, campaign: Campaign, spec: DemoCampaign) -> None:
    petition = actions.save_petition(
        coordinator,
        campaign,
        {
            "statement": spec.statement,
            "goal": spec.goal,
            "check_district": spec.check_district,
            "requires_confirmation": True,
            "is_open": True,
        },
    )
    for signing in spec.signings:
        person = _person(signing.person)
        if person is None:
            continue
        petition_signing.sign_petition(
            petition,
            petition_signing.Signer(
                name=person.display_name,
                zip_code=signing.zip_code,
                show_name=signing.show_name,
                user=person,
            ),
        )
    count, zip_counts, note = spec.paper
    actions.add_paper_signatures(
        coordinator, petition, count=count, zip_counts=zip_counts, note=note
    )


def _letters(coordinator: User, campaign: Campaign, spec: DemoCampaign) -> None:
    if spec.letter is None:
        return
    subject, template = spec.letter
    outreach.save_letter_action(
        coordinator,
        campaign,
        subject=subject,
        template=template,
        delivery=LetterAction.Delivery.PACKET,
        is_open=True,
    )
    for letter in spec.letters:
        writer = _person(letter.writer)
        if writer is None:
            continue
        offered = {
            item.story.public_id for item in outreach_access.stories_to_offer(writer, campaign)
        }
        outreach.write_letter(
            writer,
            campaign,
            own_words=letter.own_words,
            # Without the demo stories, the letter goes with the writer's own words alone.
            story_public_id=letter.story if letter.story in offered else "",
            zip_code=letter.zip_code,
            share_name=bool(letter.signed_name),
            signed_name=letter.signed_name,
        )


def _calls(
    coordinator: User, campaign: Campaign, spec: DemoCampaign, targets: dict[str, Target]
) -> None:
    if not spec.call_script:
        return
    action = calls.save_call_action(coordinator, campaign, script=spec.call_script, is_open=True)
    for caller_name, target_name in spec.calls:
        caller = _person(caller_name)
        if caller is None:
            continue
        calls.record_call(
            action, targets[target_name].pk, caller=caller, ip=DEMO_ADDRESS, session_key=None
        )


def _brief(
    coordinator: User, campaign: Campaign, spec: DemoCampaign, targets: dict[str, Target]
) -> None:
    version = briefs.build_version(coordinator, campaign, briefs.default_evidence_ids(campaign))
    if spec.deliver_brief_to:
        briefs.deliver_version(coordinator, version, [targets[spec.deliver_brief_to]], briefs.HAND)


def make_proposal(spec: DemoProposal) -> Proposal | None:
    """The proposal, open for support, with backers short of the vote's threshold."""
    proposer = _person(spec.proposer)
    if proposer is None:
        return None
    with transaction.atomic():
        proposal = proposals.propose(proposer, title=spec.title, ask=spec.ask, why=spec.why)
        # Short of the threshold, so it stays open for the demo's members to back.
        room = max(0, proposals.support_threshold() - 1)
        for name in spec.backers[:room]:
            backer = _person(name)
            if backer is not None:
                proposals.back(backer, proposal)
    return proposal
