"""Long text cut for speech: at sentence boundaries, balanced, nothing lost, tags kept."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mimo_openai_ext._speech.text import leading_style, split_text


def _words(text: str) -> str:
    return " ".join(text.split())


def test_short_text_is_one_piece() -> None:
    assert split_text("  Hello there.  ", 100) == ["Hello there."]


def test_long_text_is_cut_after_sentences_into_balanced_pieces() -> None:
    sentences = [f"This is sentence number {i}, which is short." for i in range(30)]
    text = " ".join(sentences)
    pieces = split_text(text, 500)
    assert len(pieces) == -(-len(text) // 500)  # as few as the limit allows
    assert all(len(p) <= 500 for p in pieces)
    assert all(p.endswith("short.") for p in pieces)  # every cut is after a sentence
    assert max(map(len, pieces)) - min(map(len, pieces)) < 200  # no full piece and a scrap
    assert _words(" ".join(pieces)) == _words(text)


def test_cjk_sentences_and_clauses_are_cut_at_their_own_punctuation() -> None:
    # "Hello. The weather is fine today! Shall we go to the park? Fine, let's go." with its
    # full-width marks: \uff01 !, \uff1f ?, \uff0c , (and \u3002, the ideographic full stop)
    text = "你好。今天天气很好\uff01我们去公园吧\uff1f好的\uff0c走吧。" * 20
    pieces = split_text(text, 100)
    assert all(len(p) <= 100 for p in pieces)
    assert all(p[-1] in "\u3002\uff01\uff1f" for p in pieces)
    assert "".join(pieces) == text


def test_a_sentence_longer_than_the_limit_is_cut_at_clauses_then_words() -> None:
    clause = "and then the story goes on, "
    text = "Once upon a time " + clause * 12 + "until the end."
    pieces = split_text(text, 120)
    assert all(len(p) <= 120 for p in pieces)
    assert all(p.endswith((",", ".")) for p in pieces)
    assert _words(" ".join(pieces)) == _words(text)
    run = "x" * 250  # no pause anywhere: cut mid-run, nothing lost
    assert "".join(split_text(run, 100)) == run


def test_a_leading_style_tag_starts_every_piece() -> None:
    text = "(whispering) " + "A quiet sentence here. " * 30
    pieces = split_text(text, 200)
    assert len(pieces) > 1
    assert all(p.startswith("(whispering) ") and len(p) <= 200 for p in pieces)
    assert leading_style("\uff08\u4e1c\u5317\u8bdd\uff09\u54ce\u5440") == (
        "\uff08\u4e1c\u5317\u8bdd\uff09",
        "\u54ce\u5440",
    )
    assert leading_style("no tag (here)") == ("", "no tag (here)")


_TEXT = st.lists(
    st.one_of(
        st.text(alphabet="abcdefgh ", min_size=1, max_size=30),
        st.sampled_from([". ", "! ", "? ", ", ", "; ", "\n", "\n\n", "\u3002", "\uff0c", "\u2026 "]),
        st.text(alphabet="\u4f60\u597d\u5929\u6c14", min_size=1, max_size=10),
    ),
    min_size=1,
    max_size=60,
).map("".join)


@settings(max_examples=150, deadline=None)
@given(text=_TEXT, limit=st.integers(min_value=20, max_value=200))
def test_pieces_fit_the_limit_and_lose_nothing(text: str, limit: int) -> None:
    pieces = split_text(text, limit)
    assert all(len(p) <= limit for p in pieces)
    assert all(p.strip() == p and p for p in pieces) or pieces == [""]
    assert "".join("".join(p.split()) for p in pieces) == "".join(text.split())


@pytest.mark.parametrize("limit", [20, 50])
def test_the_style_tag_counts_against_the_limit(limit: int) -> None:
    text = "(sad) " + "word " * 60
    assert all(len(p) <= limit for p in split_text(text, limit))
