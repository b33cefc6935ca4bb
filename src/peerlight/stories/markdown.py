"""The small Markdown subset stories are written in, rendered to safe HTML.

Authors may write paragraphs, line breaks, *emphasis*, **strong**, lists,
block quotes, headings and links. Nothing else becomes markup: raw HTML is
shown as the characters typed, images show their description as plain text,
and tables, code blocks and rules stay plain text. Headings are kept to
levels 3 and 4, whatever the number of ``#`` signs, so a story never
outranks the page it sits in (its title is the page's heading).

``render`` parses with markdown-it-py and then passes the result through nh3
with an allow-list of tags, attributes and link schemes: the parser decides
what the author meant, the sanitiser guarantees what the browser gets, so a
mistake in one is caught by the other. Links get
``rel="nofollow ugc noopener"`` and only ``http``, ``https`` and ``mailto``
addresses survive (a relative address loses its link and stays as text).
"""

from __future__ import annotations

import functools

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

ALLOWED_TAGS = frozenset(
    {"p", "br", "em", "strong", "ul", "ol", "li", "blockquote", "h3", "h4", "a"}
)
# "*" empty: the sanitiser's default attributes for every tag (title, lang) go too.
ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "*": frozenset(),
    "a": frozenset({"href"}),
    "ol": frozenset({"start"}),
}
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"
# ``#`` and ``##`` become level 3; ``#####`` and deeper become level 4.
HEADING_LEVELS = {"h1": "h3", "h2": "h3", "h3": "h3", "h4": "h4", "h5": "h4", "h6": "h4"}


def _keep_headings_small(state: StateCore) -> None:
    for token in state.tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = HEADING_LEVELS.get(token.tag, "h4")


def _images_as_text(state: StateCore) -> None:
    # An image becomes its description, as plain text: no picture is ever
    # loaded from another site, and what the author wrote is not lost.
    for token in state.tokens:
        if token.type != "inline" or not token.children:
            continue
        token.children = [
            Token("text", "", 0, content=child.content) if child.type == "image" else child
            for child in token.children
        ]


@functools.cache
def _parser() -> MarkdownIt:
    parser = MarkdownIt("zero", {"breaks": True, "html": False, "linkify": False})
    parser.enable(
        [
            "blockquote",
            "list",
            "heading",
            "newline",
            "escape",
            "emphasis",
            "link",
            "autolink",
            "image",
        ]
    )
    parser.enable("entity")
    parser.core.ruler.push("keep_headings_small", _keep_headings_small)
    parser.core.ruler.push("images_as_text", _images_as_text)
    return parser


def sanitise(html: str) -> str:
    """``html`` reduced to the allow-list (tags, attributes, link schemes)."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(LINK_SCHEMES),
        # A relative address would point into this site from someone's story.
        url_relative="deny",
        link_rel=LINK_REL,
        strip_comments=True,
    )


def render(text: str) -> str:
    """``text`` (the Markdown subset) as sanitised HTML, safe to put in a page as it is.

    The result is marked safe for Django's templates: it has been through
    the sanitiser, and nothing is added to it afterwards.
    """
    html = sanitise(_parser().render(text))
    safe: SafeString = mark_safe(html)  # noqa: S308 -- sanitised by nh3 just above
    return safe
