"""The word diff a moderator sees between two versions of a story."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from peerlight.stories.diff import Change, Piece, counts, diff_choices, diff_words, tokens


def _before(pieces: list[Piece]) -> str:
    return "".join(piece.text for piece in pieces if piece.change is not Change.ADDED)


def _after(pieces: list[Piece]) -> str:
    return "".join(piece.text for piece in pieces if piece.change is not Change.REMOVED)


def test_it_keeps_what_did_not_change_and_marks_a_replaced_word() -> None:
    pieces = diff_words("It got better, slowly.", "It got easier, slowly.")
    assert pieces == [
        Piece(Change.SAME, "It got "),
        Piece(Change.REMOVED, "better,"),
        Piece(Change.ADDED, "easier,"),
        Piece(Change.SAME, " slowly."),
    ]


def test_it_marks_a_new_paragraph_as_added() -> None:
    pieces = diff_words("First part.", "First part.\n\nA new ending.")
    assert pieces[0] == Piece(Change.SAME, "First part.")
    assert pieces[-1] == Piece(Change.ADDED, "\n\nA new ending.")
    assert counts(pieces) == (3, 0)


def test_it_counts_words_added_and_removed() -> None:
    pieces = diff_words("one two three four", "one three five six")
    assert counts(pieces) == (2, 2)


def test_identical_texts_are_one_kept_piece() -> None:
    assert diff_words("Same text.\nTwo lines.", "Same text.\nTwo lines.") == [
        Piece(Change.SAME, "Same text.\nTwo lines.")
    ]


def test_an_empty_side_is_all_added_or_all_removed() -> None:
    assert diff_words("", "New story.") == [Piece(Change.ADDED, "New story.")]
    assert diff_words("Old story.", "") == [Piece(Change.REMOVED, "Old story.")]
    assert diff_words("", "") == []


def test_windows_line_endings_do_not_count_as_changes() -> None:
    assert diff_words("a\r\nb", "a\nb") == [Piece(Change.SAME, "a\nb")]


def test_common_words_in_a_long_text_are_not_taken_for_noise() -> None:
    # difflib's "autojunk" would ignore words seen in over 1% of a long text
    # and report everything around them as rewritten.
    paragraph = " ".join(["the day and the night"] * 60)
    pieces = diff_words(paragraph + " end.", paragraph + " finish.")
    assert counts(pieces) == (1, 1)
    assert pieces[0].change is Change.SAME


def test_tokens_join_back_to_the_text() -> None:
    text = "One  two\n\nthree\tfour "
    assert "".join(tokens(text)) == text
    assert tokens("a\nb") == ["a", "\n", "b"]


def test_choices_are_compared_as_sets() -> None:
    changes = diff_choices(["grief", "loneliness"], ["loneliness", "recovery", "grief"])
    assert changes.added == ("recovery",)
    assert changes.removed == ()
    assert changes.kept == ("grief", "loneliness")
    assert changes.changed
    assert not diff_choices(["a", "b"], ["b", "a"]).changed


_text = st.text(alphabet=st.sampled_from(list("ab c\n.")), max_size=40)


@given(before=_text, after=_text)
def test_the_pieces_give_back_both_texts(before: str, after: str) -> None:
    pieces = diff_words(before, after)
    assert _before(pieces) == before
    assert _after(pieces) == after
    # Neighbours of the same kind are joined, and no piece is empty.
    assert all(piece.text for piece in pieces)
    assert all(a.change is not b.change for a, b in itertools.pairwise(pieces))
