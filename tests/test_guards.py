"""Answer guards: unsourced numbers drop their sentence; citation markers must point to retrieved passages;
names of archetypes, steps and stall reasons must be ones the framework or the turn's tool results hold."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keysmith.guards import KnownNames, allowed_numbers, check_citations, guard_names, guard_numbers

TOOL_OUTPUT = (
    '{"profiles": {"production": {"score": 41.5}, "pilot": {"score": 72.25}}, "levers": [{"gain": 6.8}]}'
)


def test_numbers_from_tools_stay_and_invented_ones_go() -> None:
    text = "Your production score is 41.5. The pilot scored 72.25. The gap is 30.75 points."
    result = guard_numbers(text, [TOOL_OUTPUT])
    assert result.text == "Your production score is 41.5. The pilot scored 72.25."
    assert result.dropped == ["The gap is 30.75 points."]
    assert result.changed


def test_the_users_own_numbers_are_allowed() -> None:
    question = "Our pilot ran in 1 region for 6 months; we have 12 regions and 1,200 staff."
    text = "With 12 regions and 1200 staff, six months of pilot data is thin. Most firms need 18 months."
    result = guard_numbers(text, [question])
    assert result.dropped == ["Most firms need 18 months."]


def test_percentages_decimals_and_out_of_five() -> None:
    sources = ['{"governance": 2, "coverage": 0.8, "share": 35}']
    assert guard_numbers("About 35% of the weight sits there.", sources).dropped == []
    assert guard_numbers("About 40% of the weight sits there.", sources).dropped != []
    assert guard_numbers("Governance is 2 out of 5.", sources).dropped == []
    assert guard_numbers("Governance is 3 out of 5.", sources).dropped == ["Governance is 3 out of 5."]
    assert guard_numbers("Coverage is 0.8.", sources).dropped == []
    assert guard_numbers("Coverage is 0.85.", sources).dropped == ["Coverage is 0.85."]


def test_numbers_with_magnitude_suffixes_are_checked() -> None:
    result = guard_numbers("Savings reach $250k a year. Adoption grew 3x. The 1st step is clear.", [])
    assert result.dropped == ["Savings reach $250k a year.", "Adoption grew 3x."]


def test_a_sentence_starting_with_a_number_is_its_own_sentence() -> None:
    result = guard_numbers("Governance is weak. 17 teams wait.", ["governance 2"])
    assert result.text == "Governance is weak." and result.dropped == ["17 teams wait."]


def test_rounding_a_tool_number_is_allowed_but_arithmetic_is_not() -> None:
    assert guard_numbers("Production readiness is about 42 [1].", [TOOL_OUTPUT]).dropped == []
    assert guard_numbers("Pilot readiness is 72.3.", [TOOL_OUTPUT]).dropped == []
    assert guard_numbers("Together that is 113.75.", [TOOL_OUTPUT]).dropped == ["Together that is 113.75."]
    assert guard_numbers("Production readiness is about 40.", [TOOL_OUTPUT]).changed


def test_markers_list_numbering_urls_and_names_are_not_numbers() -> None:
    text = (
        "1. Governance first [3].\n"
        "2) Then retraining [1, 4].\n"
        "- See https://example.com/2024/report-77 for gpt-4o notes on S3.\n"
        "## 3. Next moves\n"
        "Score 41.5/100 on a 1–5 scale."
    )
    result = guard_numbers(text, [TOOL_OUTPUT])
    assert result.dropped == []
    assert result.text == text


def test_a_dropped_list_item_disappears_and_the_rest_keeps_its_shape() -> None:
    text = "Findings:\n\n- Governance scores 2 [1].\n- It will cost 250000 to fix.\n- Training is next.\n"
    result = guard_numbers(text, ['{"governance": 2}'])
    assert result.text == "Findings:\n\n- Governance scores 2 [1].\n- Training is next."
    assert result.dropped == ["It will cost 250000 to fix."]


def test_only_the_offending_sentence_of_a_line_is_dropped() -> None:
    text = "- Governance is weak. It costs 9 weeks. Start with policies."
    assert guard_numbers(text, []).text == "- Governance is weak. Start with policies."


def test_text_without_numbers_is_untouched() -> None:
    text = "The framework does not cover pricing.\n\nIt does cover governance [1]."
    result = guard_numbers(text, [])
    assert result.text == text and not result.changed


def test_numbers_written_as_words_are_guarded_too() -> None:
    text = (
        "Seventy percent of AI pilots never reach production. Governance is your weakest variable [1]. "
        "Twenty-three regions is a lot to change at once. A hundred and fifty users were trained."
    )
    result = guard_numbers(text, ["governance: 2"])
    assert result.text == "Governance is your weakest variable [1]."
    assert result.dropped == [
        "Seventy percent of AI pilots never reach production.",
        "Twenty-three regions is a lot to change at once.",
        "A hundred and fifty users were trained.",
    ]


def test_spelled_out_and_digit_numbers_source_each_other() -> None:
    user = "We rolled out to twelve regions; 23 sites are live."
    text = "Only some of your 12 regions are live. The twenty-three live sites are a start."
    assert guard_numbers(text, [user]).text == text


def test_small_counts_in_words_are_ordinary_speech_unless_a_percentage() -> None:
    text = "Two profiles score the same answers. One reason stands out. Someone often asks."
    assert guard_numbers(text, []).text == text
    assert guard_numbers("Only five percent of the budget went to training.", []).text == ""
    assert guard_numbers("Between eleven and twelve teams.", ["11 teams"]).dropped == [
        "Between eleven and twelve teams."
    ]


def test_allowed_numbers_reads_every_source() -> None:
    assert allowed_numbers(["a 1,200 b", "c 3.50"]) == {Decimal(1200), Decimal("3.50")}


def test_citations_to_passages_never_retrieved_are_removed() -> None:
    result = check_citations(
        "Governance is missing [1]. Fourteen moves exist [7]. Both [1, 9] matter.", {1, 2}
    )
    assert result.text == "Governance is missing [1]. Fourteen moves exist. Both [1] matter."
    assert result.dropped == ["[7]", "[9]"]


def test_citations_with_no_passages_at_all_are_all_removed() -> None:
    result = check_citations("Claim [1][2].", set())
    assert result.text == "Claim." and result.dropped == ["[1]", "[2]"]


def test_markdown_links_are_not_citations() -> None:
    text = "See [3](https://example.com) and [1]."
    assert check_citations(text, {1}).text == text


_WORDS = st.sampled_from(["Governance", "is", "scored", "at", "the", "pilot", "gap", "[1]", "%", "of", "5"])
_NUMBERS = st.sampled_from(["2", "41.5", "42", "7", "30.75", "1,200", "0.8", "100"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.one_of(_WORDS, _NUMBERS), min_size=1, max_size=8), min_size=1, max_size=5))
def test_every_number_left_after_the_guard_is_supported(sentences: list[list[str]]) -> None:
    text = " ".join(" ".join(words).capitalize() + "." for words in sentences)
    sources = [TOOL_OUTPUT, "governance 2, staff 1,200"]
    first = guard_numbers(text, sources)
    # Every number left is supported: a second pass finds nothing more to drop.
    assert guard_numbers(first.text, sources).dropped == []
    # Nothing is dropped when every number is sourced: no false alarms.
    supported_only = " ".join(
        " ".join(w for w in words if w not in {"7", "30.75", "0.8", "100", "5"}).capitalize() + "."
        for words in sentences
    )
    assert guard_numbers(supported_only, sources).dropped == []


# --- the names guard (issue 15) ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def known() -> KnownNames:
    from keysmith.config import Settings
    from keysmith.framework import load_framework

    return KnownNames.from_framework(load_framework(Settings.from_env({}).framework_dir))


@pytest.mark.parametrize(
    "sentence",
    [
        "The Referral archetype connects teams.",
        "The archetypes are Standardization [1], Education, Referral and Risk Management.",
        "You could apply the archetype called Delegation.",
        "Step 1 is called Discovery.",
        "The first step is called problem framing.",
        "Step 1: HD Vision.",  # a step Keysmith holds, under the wrong number
        "The Discovery step comes first.",
        "The Vendor Lock-in stall reason is common.",
        "The stall reasons include Governance Vacuum and Budget Freeze.",
    ],
)
def test_a_sentence_naming_what_the_framework_does_not_hold_is_dropped(
    known: KnownNames, sentence: str
) -> None:
    result = guard_names(f"Start here. {sentence} End here.", known, [])
    assert result.dropped == [sentence]
    assert result.text == "Start here. End here."


@pytest.mark.parametrize(
    "sentence",
    [
        "The Risk Management archetype fits here [1].",
        "Consider the **Education** archetype.",
        "The four archetypes Keysmith holds are Standardization, Education, Process Reengineering and Risk "
        "Management.",
        "Step 3 is HD Vision [1].",
        "Step 7, Monitoring and Managing Implications, keeps watch.",
        "HD Vision (step 3) maps every variable.",
        "Start with step 1: run the pilot with production eyes.",
        "The Governance Vacuum stall reason fits [2].",
        "A fitting archetype for you is Education.",
        "Which archetype fits depends on your gaps.",
        "The Instant Competence framework has 14 solution archetypes.",
        "Next steps: Appoint an owner.",
    ],
)
def test_names_the_framework_holds_and_plain_descriptions_stay(known: KnownNames, sentence: str) -> None:
    assert guard_names(sentence, known, []).dropped == []


def test_a_name_from_the_turns_tool_results_is_allowed(known: KnownNames) -> None:
    sentence = "The Clarity Worksheet step comes before scaling."
    assert guard_names(sentence, known, []).dropped == [sentence]
    assert guard_names(sentence, known, ["Passage: the Clarity Worksheet is a step ..."]).dropped == []


def test_the_users_unknown_name_may_be_denied_but_not_described(known: KnownNames) -> None:
    asked = ["What is the Referral archetype?"]
    assert guard_names("Keysmith holds no Referral archetype.", known, [], asked).dropped == []
    described = "The Referral archetype hands work to a partner."
    assert guard_names(described, known, [], asked).dropped == [described]


def test_list_items_under_a_framework_list_must_be_known_names(known: KnownNames) -> None:
    text = (
        "The 14 archetypes are:\n1. **Standardization**: one way of working.\n"
        "2. **Referral**: pass work on.\n3. Risk Management - control risk.\n\n"
        "The seven steps of the process:\n1. Discovery\n3. HD Vision\n\n"
        "Next steps:\n- Appoint an Owner: one person signs off."
    )
    result = guard_names(text, known, [])
    assert result.dropped == ["2. **Referral**: pass work on.", "1. Discovery"]
    assert "Appoint an Owner" in result.text and "Risk Management" in result.text


def test_the_notice_counts_sentences_in_the_right_number() -> None:
    from keysmith.guards.finish import _notice

    assert (
        _notice(1, 0)
        == "Checked: 1 sentence was removed because it stated a number no Keysmith tool produced."
    )
    assert _notice(2, 0, 1) == (
        "Checked: 2 sentences were removed because they stated a number no Keysmith tool produced; "
        "1 sentence was removed because it named an archetype, step or stall reason the framework "
        "material does not hold."
    )
