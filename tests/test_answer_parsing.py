"""Offline reading of free-text assessment answers: a table of real phrasings, and hostile inputs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keysmith.assessment.parsing import MAX_ANSWER_CHARS, ParsedAnswer, parse_answer

DONT_KNOW = "dont_know"

# (text, expected): an int 1..5, DONT_KNOW, or None for "not understood".
TABLE: list[tuple[str, int | str | None]] = [
    # numbers
    ("3", 3),
    ("  5 ", 5),
    ("3/5", 3),
    ("4 / 5", 4),
    ("4 out of 5", 4),
    ("2 of 5", 2),
    ("about a 4", 4),
    ("I'd say 2", 2),
    ("Level 3.", 3),
    ("4ish", 4),
    ("three", 3),
    ("a two", 2),
    ("one out of five", 1),
    ("1 - very weak", 1),
    ("５", 5),  # full-width digit
    ("Not sure, maybe 3", 3),
    # don't know
    ("don't know", DONT_KNOW),
    ("Don’t know", DONT_KNOW),
    ("dont_know", DONT_KNOW),
    ("not sure", DONT_KNOW),
    ("No idea.", DONT_KNOW),
    ("unsure", DONT_KNOW),
    ("n/a", DONT_KNOW),
    ("N/A", DONT_KNOW),
    ("?", DONT_KNOW),
    ("???", DONT_KNOW),
    ("idk", DONT_KNOW),
    ("skip", DONT_KNOW),
    ("hard to say", DONT_KNOW),
    # quality words
    ("very weak", 1),
    ("Non-existent", 1),
    ("nothing in place", 1),
    ("no, nothing", 1),
    ("weak", 2),
    ("pretty poor", 2),
    ("ok", 3),
    ("partly", 3),
    ("mixed", 3),
    ("good", 4),
    ("Strong.", 4),
    ("mostly", 4),
    ("excellent", 5),
    ("fully", 5),
    ("very strong", 5),
    ("really good", 5),
    # negation
    ("not great", 2),
    ("isn't great", 2),
    ("not bad", 3),
    ("not too bad", 3),
    ("not very good", 2),
    ("we are not strong here", 2),
    ("not really", 2),
    ("not at all", 1),
    ("not bad, not great", 3),
    ("not fully", 3),
    # yes / no, only when nothing else matched
    ("yes", 4),
    ("no", 1),
    ("Nope", 1),
    # rejected: ambiguous, out of scale, decimals, counts, nonsense
    ("3 or 4", None),
    ("between 2 and 3", None),
    ("good tech but weak process", None),
    ("3.5", None),
    ("7", None),
    ("0", None),
    ("8/10", None),
    ("8 out of 10", None),
    ("2 teams use it", None),
    ("no one owns it", None),
    ("banana", None),
    ("", None),
    ("   ", None),
]


@pytest.mark.parametrize(("text", "expected"), TABLE)
def test_parse_answer_table(text: str, expected: int | str | None) -> None:
    parsed = parse_answer(text)
    if expected is None:
        assert not parsed.understood and parsed.value is None and not parsed.dont_know
        assert parsed.message  # says what to type instead
    elif expected == DONT_KNOW:
        assert parsed == ParsedAnswer(None, True, True, parsed.matched)
    else:
        assert parsed.understood and parsed.value == expected and not parsed.dont_know
        assert parsed.matched


def test_the_table_is_broad() -> None:
    assert len(TABLE) >= 40
    assert {e for _, e in TABLE} == {1, 2, 3, 4, 5, DONT_KNOW, None}


def test_matched_quotes_the_deciding_words() -> None:
    assert parse_answer("not great").matched == "not great"
    assert parse_answer("4 out of 5").matched == "4 out of 5"
    assert parse_answer("No idea.").matched == "no idea"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("3 or 4", "3 ('3') and 4 ('4')"),
        ("3.5", "3 or 4"),
        ("7", "from 1 to 5"),
        ("8/10", "'8/10'"),
        ("banana", "number from 1"),
    ],
)
def test_rejections_say_why(text: str, fragment: str) -> None:
    assert fragment in parse_answer(text).message


def test_overlong_and_non_text_input_is_rejected_not_raised() -> None:
    assert not parse_answer("3 " * MAX_ANSWER_CHARS).understood
    assert "longer than an answer" in parse_answer("x" * 1_000_000).message
    for value in (None, 3, 3.0, b"3", ["3"]):
        assert not parse_answer(value).understood


@pytest.mark.parametrize("value", [1, 2, 3, 4, 5])
def test_every_button_value_reads_as_itself(value: int) -> None:
    assert parse_answer(str(value)) == ParsedAnswer(value, False, True, str(value))


# Every code point, including control characters, RTL marks and lone surrogates.
any_text = st.text(alphabet=st.characters(exclude_categories=()), max_size=600)


@settings(max_examples=400, deadline=None)
@given(any_text)
def test_parse_answer_never_raises_and_is_consistent(text: str) -> None:
    parsed = parse_answer(text)
    assert isinstance(parsed, ParsedAnswer)
    if parsed.value is not None:
        assert 1 <= parsed.value <= 5 and parsed.understood and not parsed.dont_know
    if parsed.dont_know:
        assert parsed.understood and parsed.value is None
    if not parsed.understood:
        assert parsed.value is None and not parsed.dont_know and parsed.message
    assert parse_answer(text) == parsed


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 5), st.sampled_from(["\u200f", "\u202e", "\x00", "\ufeff", "\ud800", "\t\n"]))
def test_invisible_and_control_characters_do_not_change_a_number(value: int, junk: str) -> None:
    assert parse_answer(f"{junk}{value}{junk}").value == value
