"""The Markdown subset of stories: what becomes markup, and what hostile input becomes."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.template import Context, Template
from django.utils.safestring import SafeString

from peerlight.stories.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, render


class _Markup(HTMLParser):
    """Every tag and attribute (name, value) in a piece of HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend((tag, name, value) for name, value in attrs)


def markup(html: str) -> _Markup:
    parsed = _Markup()
    parsed.feed(html)
    parsed.close()
    return parsed


def assert_within_allow_list(html: str) -> None:
    found = markup(html)
    assert set(found.tags) <= ALLOWED_TAGS
    for tag, name, value in found.attributes:
        assert name in ALLOWED_ATTRIBUTES.get(tag, frozenset()) or (tag, name) == ("a", "rel")
        if name == "href":
            assert value is not None
            assert value.startswith(("https://", "http://", "mailto:"))


def test_it_renders_the_subset() -> None:
    html = render(
        "### A long winter\n\nIt was *hard*, and **then** it got better.\nSlowly.\n\n"
        "- a friend\n- a circle\n\n1. first\n2. second\n\n> Hope is a practice."
    )
    assert "<h3>A long winter</h3>" in html
    assert "<em>hard</em>" in html
    assert "<strong>then</strong>" in html
    assert "better.<br>\nSlowly." in html
    assert "<ul>\n<li>a friend</li>\n<li>a circle</li>\n</ul>" in html
    assert "<ol>\n<li>first</li>" in html
    assert "<blockquote>\n<p>Hope is a practice.</p>\n</blockquote>" in html


@pytest.mark.parametrize(
    ("text", "heading"),
    [
        ("# Title", "<h3>Title</h3>"),
        ("## Title", "<h3>Title</h3>"),
        ("### Title", "<h3>Title</h3>"),
        ("#### Title", "<h4>Title</h4>"),
        ("###### Title", "<h4>Title</h4>"),
    ],
)
def test_headings_stay_at_levels_three_and_four(text: str, heading: str) -> None:
    assert render(text).strip() == heading


def test_links_carry_rel_and_keep_only_web_and_mail_addresses() -> None:
    html = render("[peer respite](https://example.org/respite) and [write](mailto:a@example.org)")
    assert '<a href="https://example.org/respite" rel="nofollow ugc noopener">' in html
    assert '<a href="mailto:a@example.org" rel="nofollow ugc noopener">write</a>' in html


@pytest.mark.parametrize(
    "text",
    [
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](java&#x09;script:alert(1))",
        "[click](vbscript:msgbox(1))",
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
        "<javascript:alert(1)>",
        '[click](https://example.org" onmouseover="alert(1))',
    ],
)
def test_hostile_links_never_become_script(text: str) -> None:
    html = render(text)
    assert_within_allow_list(html)
    assert "<script" not in html.lower()


def test_a_relative_address_loses_its_link() -> None:
    html = render("[delete](/privacy/delete/)")
    assert "href" not in html
    assert "delete" in html


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="https://example.org" onclick="alert(1)">x</a>',
        "<iframe src=https://example.org></iframe>",
        "<style>body{display:none}</style>",
        '<div style="position:fixed">x</div>',
        "<!-- hidden --><b>bold</b>",
        "<svg onload=alert(1)>",
    ],
)
def test_raw_html_is_shown_as_text_never_as_markup(text: str) -> None:
    html = render(text)
    assert_within_allow_list(html)
    assert markup(html).tags == ["p"]
    assert "&lt;" in html


def test_images_become_their_description() -> None:
    html = render("![a lighthouse at dusk](https://example.org/tracker.png)")
    assert "<img" not in html
    assert "tracker.png" not in html
    assert "a lighthouse at dusk" in html


def test_tables_code_and_rules_stay_plain_text() -> None:
    html = render("| a | b |\n|---|---|\n| 1 | 2 |\n\n`code`\n\n***\n\n    indented")
    for tag in ("<table", "<code", "<pre", "<hr"):
        assert tag not in html
    assert "| a | b |" in html


def test_emphasis_inside_a_link_stays_inside_the_allow_list() -> None:
    html = render("[**strong** link](https://example.org)")
    assert "<strong>strong</strong>" in html


def test_the_result_is_marked_safe_so_templates_do_not_escape_it_twice() -> None:
    html = render("*kind* <b>")
    assert isinstance(html, SafeString)
    page = Template("{{ body }}").render(Context({"body": html}))
    assert "<em>kind</em>" in page
    assert "&lt;b&gt;" in page
    assert "&amp;lt;" not in page


def test_deep_nesting_does_not_run_away() -> None:
    # Past the parser's nesting limit the innermost words are dropped: a
    # bounded page matters more than a pathological text.
    html = render(">" * 500 + " deep")
    assert 0 < html.count("<blockquote>") <= 25
