"""The stall-story gate (`diagnosis.trouble`): a message that reports no difficulty is not read as a stall.

Texts here are written for this test (none comes from an eval set)."""

from __future__ import annotations

import pytest

from keysmith.diagnosis.trouble import NO_SOFTWARE, NOT_STARTED, outside_scope, reports_trouble, trouble_words


@pytest.mark.parametrize(
    "text",
    [
        "pilot great, rollout going nowhere",
        "Three months on and only the two volunteers in Leeds use the forecasting tool.",
        "Our chatbot pilot was a hit. Nobody can tell us who approves it for the other call centres.",
        "The claims model worked in the pilot; the full-volume cloud bill tripled and finance went quiet.",
        "It hasn\u2019t moved since March because IT and legal each say the other signs it off.",
        "In the pilot two analysts cleaned the input sheets by hand every Monday.",
        "The vendor ran the pilot for free. List price for all 40 depots is another story.",
        "Rolling it out to every clinic would need a licence for each of 900 nurses.",
        "The branch managers override most of its suggestions.",
    ],
)
def test_stall_stories_report_trouble_in_many_ways(text: str) -> None:
    assert reports_trouble(text), text


@pytest.mark.parametrize(
    "text",
    [
        "Great news for the board: the AI claims triage is live in all 14 regions, adoption is above 80% "
        "and the run costs came in under the budget we set during the pilot.",
        "How much of next year's IT budget should go to AI tools for a 300-person firm?",
        "We're hiring an AI Rollout Lead to take our models from prototype to production across the group.",
        "Which of two chatbot vendors is better value for a mid-sized insurer, per-seat or usage pricing?",
        "The management agent sent the content in percent.",  # words ending in -nt are not negations
    ],
)
def test_updates_questions_and_ads_report_none(text: str) -> None:
    assert not reports_trouble(text), trouble_words(text)


def test_the_words_found_are_listed_in_order() -> None:
    assert trouble_words("It doesn't work and nobody knows why") == ["doesn t", "nobody", "why"]


@pytest.mark.parametrize(
    ("text", "scope"),
    [
        ("Shortlist of two chatbot vendors; we haven\u2019t run any pilot yet. Which is cheaper at scale?",
         NOT_STARTED),
        ("The board wants AI in claims but we are yet to launch a pilot. Where do we begin?", NOT_STARTED),
        ("The new rota we trialled in two wards failed to spread. No software involved, only paper.",
         NO_SOFTWARE),
        # Still stories: a rollout without a proper pilot, a pilot that ran, a stall that names the AI.
        ("We never ran a proper pilot, we just switched the copilot on for everyone and nobody uses it.",
         None),
        ("The pilot ran in May; the other depots have not yet started using it.", None),
        ("The AI is not the problem; the invoices it gets are.", None),
        # A pilot that ran, a tool handed out and unused, an AI word: each says it is a rollout story.
        ("Our AI pilot in Cork worked. The other regions haven't started their pilots yet: nobody owns it.",
         None),
        ("Legal has not yet started using it after the pilot, and the other teams refuse it.", None),
        ("We haven't run a pilot yet but bought copilot seats for everyone, and nobody uses them.", None),
        ("The chatbot works. No software is involved in the real problem: managers won't release staff.",
         None),
        ("We're about to choose a tool for claims, haven't run any pilot yet. Per-seat or usage?",
         NOT_STARTED),
    ],
)  # fmt: skip
def test_a_message_that_says_no_pilot_ran_or_no_software_is_involved_is_out_of_scope(
    text: str, scope: str | None
) -> None:
    assert outside_scope(text) == scope
