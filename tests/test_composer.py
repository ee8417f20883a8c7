"""The offline composer on the real index: routing, diagnoses, what it does not hold, off-topic."""

from __future__ import annotations

import re

import pytest

from keysmith.answer import Answer
from keysmith.composer import Composer
from keysmith.composer.frames import join_words
from keysmith.composer.routing import route
from keysmith.framework import Framework
from keysmith.retrieval import Retriever
from keysmith.tools import Toolbox

STORY = (
    "Our AI pilot for supplier invoices went really well in one team. Since we started rolling it out to "
    "the other regions it has stalled: nobody owns the model now that the pilot team moved on, there is no "
    "policy for monitoring it, and the other teams refuse to use it because nobody trained them."
)
INVOICES = (
    "Our invoice-capture AI was a real success in the Dublin pilot: it read 95% of supplier invoices "
    "correctly. We approved the rollout to all 12 regions last spring and six months later only two are "
    "live. Each region scans invoices differently, some still get paper by post, and the coding the AI "
    "produces has to be typed into the ERP by a clerk because the ERP can't import it. Why has this stalled?"
)


@pytest.fixture(scope="module")
def composer(framework: Framework, retriever: Retriever) -> Composer:
    return Composer(framework, retriever)


def ask(composer: Composer, question: str) -> Answer:
    return composer.answer(question, Toolbox(composer.framework, composer.retriever))


def markers(text: str) -> set[int]:
    return {int(n) for group in re.findall(r"\[(\d+(?:, \d+)*)\]", text) for n in group.split(", ")}


def assert_well_cited(answer: Answer) -> None:
    """Every marker points to a listed citation, every citation is used, and no guard had to step in."""
    assert markers(answer.answer) == set(range(1, len(answer.citations) + 1))
    assert answer.notice is None
    assert answer.mode == "offline"


def test_story_gets_a_cited_diagnosis(composer: Composer) -> None:
    answer = ask(composer, STORY)
    assert not answer.abstained
    assert_well_cited(answer)
    text = answer.answer
    assert text.startswith("**What is likely happening**")
    assert "**Governance Vacuum.**" in text
    assert '"nobody owns the model now that the pilot team moved on' in text  # the user's own clause
    assert answer.reasons[0]["id"] == "governance_vacuum"
    assert all(e in STORY for r in answer.reasons for e in r["evidence"])
    # The second reason (nobody trained the other teams) is either named, or what the interview asks first.
    pages = {c.id.split("#")[0] for c in answer.citations}
    assert "governance-vacuum" in pages
    assert [call["name"] for call in answer.tool_calls][:1] == ["read_story"]
    if answer.question is None:  # a sure reading: both named, with the questions that would confirm them
        assert "**Change Management Deficit.**" in text
        assert "**What would confirm it**" in text and "**Risk Management**" in text
        assert {"change-management-deficit", "archetype-risk-management"} <= pages
        assert "What is the Governance Vacuum?" in answer.follow_ups
    else:  # unsure: the interview asks about the second reason first, whether or not it is named yet
        assert answer.question["variable"] == "change_management"
        assert answer.question["text"] in text and answer.interview is not None


def test_invoice_story_names_the_seams(composer: Composer) -> None:
    answer = ask(composer, INVOICES)
    assert_well_cited(answer)
    assert "**Input-Output Mismatch.**" in answer.answer
    questions = answer.answer.split("**What would confirm it**")[1].split("**Next moves**")[0]
    assert 2 <= sum(line.startswith("- ") for line in questions.splitlines()) <= 3
    assert "the ERP can't import it" in answer.answer  # quoted whole: the clause that carries the cause


def test_off_topic_abstains_politely(composer: Composer) -> None:
    answer = ask(composer, "best pizza in Naples?")
    assert answer.abstained
    assert answer.citations == []
    assert "outside what Keysmith can help with" in answer.answer
    assert "describe your pilot and rollout" in answer.answer


@pytest.mark.parametrize("question", ["what is step 5", "What does step 2 of the seven steps involve?"])
def test_unknown_steps_are_not_guessed(composer: Composer, question: str) -> None:
    answer = ask(composer, question)
    assert answer.abstained
    assert_well_cited(answer)
    assert "The framework text Keysmith holds does not cover this" in answer.answer
    assert answer.citations[0].id.startswith("limits#")
    assert "HD Vision" in answer.answer and "Monitoring and Managing Implications" in answer.answer


def test_unknown_archetype_is_not_invented(composer: Composer) -> None:
    answer = ask(composer, "What is the Delegation archetype?")
    assert answer.abstained
    assert_well_cited(answer)
    assert 'Keysmith does not hold an archetype called "Delegation"' in answer.answer
    assert "Standardization, Education, Process Reengineering and Risk Management" in answer.answer
    assert any(c.id.startswith("limits#") for c in answer.citations)


def test_archetype_list_names_the_four_and_the_gap(composer: Composer) -> None:
    answer = ask(composer, "Which solution archetypes are there?")
    assert not answer.abstained
    assert_well_cited(answer)
    assert "14 solution archetypes" in answer.answer and "The other 10" in answer.answer
    for name in ("Standardization", "Education", "Process Reengineering", "Risk Management"):
        assert f"**{name}**" in answer.answer


def test_asking_for_all_fourteen_abstains(composer: Composer) -> None:
    answer = ask(composer, "List all 14 solution archetypes.")
    assert answer.abstained
    assert "does not cover this" in answer.answer


def test_concept_is_explained_from_its_own_page(composer: Composer) -> None:
    answer = ask(composer, "What is the Governance Vacuum?")
    assert not answer.abstained
    assert_well_cited(answer)
    assert answer.answer.startswith("**Governance Vacuum** is one of the five reasons")
    assert answer.citations[0].id.startswith("governance-vacuum#")


def test_omission_neglect_is_explained(composer: Composer) -> None:
    answer = ask(composer, "What is Omission Neglect?")
    assert_well_cited(answer)
    assert answer.citations[0].id.startswith("omission-neglect#")


def test_assessment_route_shows_the_first_question(composer: Composer) -> None:
    answer = ask(composer, "Can I assess our readiness?")
    assert_well_cited(answer)
    assert "eight questions" in answer.answer
    assert "How well does the AI itself do the job it was chosen for" in answer.answer
    assert "`keysmith assess`" in answer.answer


def test_worksheet_contents_are_not_held(composer: Composer) -> None:
    answer = ask(composer, "What questions are on the Clarity Worksheet?")
    assert answer.abstained
    assert answer.citations[0].id == "limits#the-clarity-worksheet"


def test_a_subject_the_knowledge_never_mentions_is_not_covered(composer: Composer) -> None:
    answer = ask(composer, "What does Drago Dimitrov say about blockchain adoption?")
    assert answer.abstained
    assert 'Nothing in it is about "blockchain adoption"' in answer.answer
    assert answer.citations[0].id == "limits#questions-outside-the-framework"


def test_the_five_stall_reasons_are_listed_and_cited(composer: Composer) -> None:
    answer = ask(composer, "What are the five stall reasons?")
    assert_well_cited(answer)
    assert len(answer.citations) == 5
    for reason in composer.framework.stall_reasons:
        assert f"**{reason.name}.**" in answer.answer


def test_the_bridge_steps_are_listed_in_order(composer: Composer) -> None:
    answer = ask(composer, "What are the four steps from pilot to production?")
    assert_well_cited(answer)
    positions = [answer.answer.index(f"**{s.name}.**") for s in composer.framework.bridge_steps]
    assert positions == sorted(positions) and len(answer.citations) == 4


def test_explanations_leave_out_the_limits_page(composer: Composer) -> None:
    answer = ask(composer, "What is HD Vision?")
    assert not answer.abstained
    assert all(not c.id.startswith("limits#") for c in answer.citations)


def test_a_terse_story_without_first_person_is_still_diagnosed(composer: Composer) -> None:
    story = (
        "Worked great in Lyon. The other nine offices? Almost nothing. Nobody told them it was coming and "
        "the adjusters are convinced it's there to replace them."
    )
    answer = ask(composer, story)
    assert "**Change Management Deficit.**" in answer.answer
    assert_well_cited(answer)


def test_a_story_with_no_clear_reason_asks_the_telling_questions(composer: Composer) -> None:
    """A story that states no cause is never settled on its first reading: either the telling questions are
    listed (nothing named), or the interview asks the first of them (its guess named as unsure). Since the
    2026-12-03 retrain the learned reader leans to the Zoom Level Problem on "the rollout went nowhere after
    that" (0.7), so this text now opens the interview."""
    answer = ask(composer, "The pilot went great. The rollout went nowhere after that, and here we are.")
    assert not answer.abstained
    if answer.question is None:
        assert "does not yet point clearly" in answer.answer
        assert "**Questions to answer first**" in answer.answer
        assert answer.reasons == []
    else:
        assert "Reply Yes, Partly, No or Not sure, or skip" in answer.answer
        assert answer.question["variable"] and len(answer.reasons) <= 1
    assert_well_cited(answer)


def test_user_brackets_do_not_pass_for_citations(composer: Composer) -> None:
    answer = ask(composer, "Our pilot worked [1] but nobody owns the model [2] and there is no policy.")
    assert "(2)" in answer.answer
    assert_well_cited(answer)


def test_the_composer_is_deterministic(composer: Composer) -> None:
    assert ask(composer, STORY).to_dict() == ask(composer, STORY).to_dict()


def test_user_html_is_escaped_in_quotes(composer: Composer) -> None:
    answer = ask(composer, STORY + " <script>alert(1)</script> nobody owns the model.")
    assert "<script>" not in answer.answer


@pytest.mark.parametrize(
    ("question", "intent", "detail"),
    [
        ("What is step 5?", "unknown_step", "5"),
        ("What are steps 5 and 6 of the Instant Competence process?", "unknown_step", "5"),
        ("What is step 3 of the framework?", "known_step", "3"),
        ("What happens in the framework's Stakeholder Mapping step?", "unknown_step", "stakeholder mapping"),
        ("What is the first step we should take?", "explain", ""),
        ("What are the four steps from pilot to production?", "explain", ""),
        ("What is the Delegation archetype?", "unknown_archetype", "delegation"),
        (
            "Explain the Pattern Interrupt archetype and when it applies.",
            "unknown_archetype",
            "pattern interrupt",
        ),
        ("What does the Standardization archetype mean?", "archetype", "standardization"),
        ("Tell me about solution archetypes", "archetypes", ""),
        ("What is the fifth solution archetype?", "archetypes", "not_held"),
        ("Which chapter of the book covers Zoom Levels?", "limits", ""),
        ("I want to do the self-assessment", "assessment", ""),
        ("Our pilot worked but adoption stops with the volunteers who ran it. Why?", "diagnose", ""),
        ("What should we monitor once the AI is rolled out at scale?", "explain", ""),
        ("best pizza in Naples?", "explain", ""),
    ],
)
def test_routing(framework: Framework, question: str, intent: str, detail: str) -> None:
    chosen = route(question, framework)
    assert (chosen.intent, chosen.detail) == (intent, detail)


def test_a_second_reason_nearly_as_strong_is_passed_on(composer: Composer) -> None:
    story = (
        "Our claims-triage AI pilot went well. In production the handlers re-type its scores into the "
        "claims system by hand, and nobody sat down with the handlers outside the pilot team: most keep "
        "their old way of working."
    )
    answer = ask(composer, story)
    text = answer.answer
    assert "**Change Management Deficit.**" in text
    # Either both reasons are named, or the second is what the interview's first question checks.
    if "**Input-Output Mismatch.**" in text:
        assert "points to two of the five stall reasons" in text
    else:
        assert answer.question is not None and answer.question["variable"] == "process_integration"


def test_a_pilot_and_rollout_story_without_an_ai_word_is_diagnosed(composer: Composer) -> None:
    story = (
        "The pilot at our Leeds depot went well, but the rollout to the other sites has stalled: the "
        "planners there copy the schedule across into the old system and nobody sat down with them."
    )
    answer = ask(composer, story)
    assert not answer.abstained
    assert "**What is likely happening**" in answer.answer
    assert_well_cited(answer)
    # The copying-across is a seam: named at once, or once the interview has had its replies (a respondent
    # for whom the seams and the people are weak, everything else strong).
    weak = {"process_integration", "data_infrastructure", "change_management", "organizational_readiness"}
    while answer.question is not None:
        reply = "no" if answer.question["variable"] in weak else "yes"
        answer = composer.reply(
            story, answer.interview or {}, reply, Toolbox(composer.framework, composer.retriever)
        )
    assert "input_output_mismatch" in {r["id"] for r in answer.reasons}


@pytest.mark.parametrize(
    "question",
    [
        "Who won the football league last season, and how many goals did their striker score?",
        "How long should I bake banana bread?",
    ],
)
def test_sports_and_recipes_still_abstain(composer: Composer, question: str) -> None:
    answer = ask(composer, question)
    assert answer.abstained
    assert answer.citations == []


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("Pilot went fine, go-live at the other plants keeps slipping.", "diagnose"),
        ("Football results from the weekend, please.", "explain"),
    ],
)
def test_a_terse_pilot_and_go_live_statement_is_routed_as_a_story(
    framework: Framework, question: str, intent: str
) -> None:
    assert route(question, framework).intent == intent


def test_a_second_reason_with_no_evidence_of_its_own_is_not_named(composer: Composer) -> None:
    # Hand-offs by hand are weak process integration, a signal variable zoom level shares with input-output
    # mismatch; with nothing else pointing at zoom level it is not named beside it.
    story = (
        "Our AI pilot for purchase orders worked. In the rollout the buyers copy and paste the AI's "
        "suggestions into the ordering screen by hand."
    )
    text = ask(composer, story).answer
    assert "**Input-Output Mismatch.**" in text
    assert "**Zoom Level Problem.**" not in text


BOARD = "pilot fine. rollout dead. board asks me why. what do i tell them"


def test_a_manager_asked_by_the_board_gets_a_framing_to_use_now_then_the_questions(
    composer: Composer,
) -> None:
    """Issue 13, item 2: what a pilot proves and does not, the five usual reasons, what is checked next —
    each framework claim cited — before the diagnosis and its questions."""
    answer = ask(composer, BOARD)
    assert_well_cited(answer)
    text = answer.answer
    assert text.startswith("**What you can tell the board now**")
    framing, _, rest = text.partition("**What is likely happening**")
    assert rest, "the diagnosis follows the framing"
    for part in (
        "What the pilot proved.",
        "What it did not prove.",
        "Why rollouts usually stall.",
        "What happens next.",
    ):
        assert part in framing
    assert all(reason.name in framing for reason in composer.framework.stall_reasons)
    cited = {c.id for c in answer.citations}
    assert {"pilot-illusion#what-a-pilot-proves", "pilot-illusion#what-a-pilot-does-not-prove"} <= cited
    pages = {c.split("#")[0] for c in cited}
    assert len(pages - {"pilot-illusion"}) >= len(composer.framework.stall_reasons)  # each reason's own page
    assert answer.question is not None or "**Questions" in rest  # then the questions, as before
    # The request itself ("what do i tell them") is never quoted as evidence of a stall reason.
    assert '"what do i tell them"' not in text
    assert not any("tell them" in e for r in answer.reasons for e in r["evidence"])
    # A story that does not ask what to tell anyone gets no framing.
    assert "What you can tell" not in ask(composer, INVOICES).answer


def test_what_to_tell_the_board_is_never_refused_and_builds_on_the_story_told_before(
    composer: Composer,
) -> None:
    """A follow-up "What do I tell my board?" was refused as off topic (browser trial): alone it gets the
    framing and an invitation to tell the story; after a story, the framing and that story's diagnosis."""
    alone = ask(composer, "What do I tell my board?")
    assert not alone.abstained and alone.reasons == []
    assert_well_cited(alone)
    assert alone.answer.startswith("**What you can tell the board now**")
    assert "tell me in a few sentences what happened after the pilot" in alone.answer
    assert "Start the self-assessment" in alone.follow_ups
    story = (
        "Our route-planning AI worked in one depot, but the other depots won't use it and IT won't connect "
        "it to the dispatch system."
    )
    toolbox = Toolbox(composer.framework, composer.retriever)
    after = composer.answer("What do I tell my board?", toolbox, [story, "How do weights work?"])
    assert after.answer.startswith("**What you can tell the board now**")
    assert "**What is likely happening**" in after.answer and after.reasons
    assert all(e in story for r in after.reasons for e in r["evidence"])  # the story's words, not the request


def test_a_framework_question_for_the_ceo_is_answered_as_a_framework_question(composer: Composer) -> None:
    memo = ask(composer, "What does the steering group's memo say about governance owners?")
    assert not memo.answer.startswith("**What you can tell")  # asks what a document says, not what to say
    answer = ask(composer, "How do I explain the Zoom Level Problem to my CEO?")
    assert not answer.answer.startswith("**What you can tell")
    assert "Zoom Level Problem" in answer.answer and not answer.abstained


@pytest.mark.parametrize(
    "message",
    [
        "Update for our leadership team: the AI rota planner we piloted at two depots is now live at all 30, "
        "usage is up every month and the savings match the business case.",
        "How much of next year's IT budget should we set aside for AI assistants for 300 staff?",
    ],
)
def test_a_message_that_reports_no_difficulty_gets_no_diagnosis_and_no_interview(
    composer: Composer, message: str
) -> None:
    answer = ask(composer, message)
    assert answer.reasons == [] and answer.question is None
    assert "stalled" not in answer.answer  # never "your rollout has stalled" to a success update


@pytest.mark.parametrize(
    "question",
    [
        "I read the article on why AI pilots succeed but rollouts stall. Could you explain the idea of the "
        "zoom level problem from it, and how it differs from the others? It is for a workshop I run.",
        "So many AI pilots never reach a full rollout. How does your framework see that in general? Just "
        "curious, nothing going on here.",
    ],
)
def test_a_question_about_the_framework_is_answered_as_a_question_not_diagnosed(
    composer: Composer, framework: Framework, question: str
) -> None:
    assert route(question, framework).intent == "explain"
    answer = ask(composer, question)
    assert answer.reasons == [] and answer.question is None
    assert "What is likely happening" not in answer.answer


@pytest.mark.parametrize(
    "story",
    [
        "Our AI pilot for invoice matching was a success, but the other five sites refuse to use it. "
        "What does your framework say about this?",
        # No "we" or "our", yet each reports a pilot or rollout of the writer's own (review findings).
        "The pilot worked but the rollout stalled at the other sites. Does the framework cover this?",
        "Our company's AI pilot worked but the rollout stalled. What does the framework say?",
        "The rollout stalled in my division. What would the framework say?",
        "I manage the rollout of a chatbot to 40 branches. Which part of the framework applies?",
        "Our AI pilot stalled; I'm writing it up for a class. What does the framework say?",
    ],
)
def test_a_story_that_asks_what_the_framework_says_is_still_diagnosed(
    framework: Framework, story: str
) -> None:
    assert route(story, framework).intent == "diagnose"


@pytest.mark.parametrize(
    ("message", "because"),
    [
        ("We're about to bring AI into customer service and haven't run a pilot yet. Is per-seat or "
         "per-conversation pricing the safer bet for 200 agents?", "no pilot has run yet"),
        ("The four-day rota we piloted in the warehouse stalled when the other sites refused it. No software "
         "involved, it is a paper rota.", "no software is involved"),
    ],
)  # fmt: skip
def test_a_plan_or_a_rollout_without_software_gets_no_stall_reason(
    composer: Composer, message: str, because: str
) -> None:
    answer = ask(composer, message)
    assert answer.reasons == [] and answer.question is None
    assert answer.answer.startswith("**No stall to diagnose**") and because in answer.answer


TERSE = "pilot great, rollout dead, board asks me why. what do i tell them"


@pytest.mark.parametrize(("option", "value"), [("yes", 4), ("partly", 3), ("no", 2)])
def test_a_reply_states_its_recorded_reading_and_no_sentence_is_removed(
    composer: Composer, option: str, value: int
) -> None:
    """The reading a reply records is a tool's output (the assessment tool), so the numbers guard keeps
    "recorded as 4 of 5" instead of removing it with a notice (found in a browser trial)."""
    first = ask(composer, TERSE)
    assert first.question is not None
    variable = composer.framework.variable(first.question["variable"]).name.lower()
    answer = composer.reply(
        TERSE, first.interview or {}, option, Toolbox(composer.framework, composer.retriever)
    )
    assert answer.notice is None or "removed" not in answer.notice
    assert (
        f"{variable} recorded as {value} of 5" in answer.answer or f"{variable} {value} of 5" in answer.answer
    )


def test_not_sure_replies_are_not_read_as_pointing_away(composer: Composer) -> None:
    """A "Yes" rules its reason out; a "Not sure" after it is no evidence either way, and the closing words
    say so instead of "the answers point away from each one asked about" (found in a browser trial)."""
    answer = ask(composer, TERSE)
    asked = []
    while answer.question is not None:
        asked.append(composer.framework.variable(answer.question["variable"]).name.lower())
        option = "yes" if len(asked) == 1 else "not_sure"
        answer = composer.reply(
            TERSE, answer.interview or {}, option, Toolbox(composer.framework, composer.retriever)
        )
    assert len(asked) >= 2 and answer.reasons == []
    assert f"Your replies on {asked[0]} point away" in answer.answer
    assert f"You were not sure about {join_words(asked[1:])}" in answer.answer


def test_an_engine_that_keeps_stalling_is_not_read_as_a_rollout(composer: Composer) -> None:
    """Found in a browser trial: the word "stall" alone made the framework search answer, and the reply
    began "Your pilot worked and the rollout has stalled"."""
    answer = ask(composer, "My van keeps stalling at junctions when it's cold. Fuel pump?")
    assert answer.abstained and answer.reasons == [] and answer.question is None
    assert "Your pilot worked" not in answer.answer


@pytest.mark.parametrize("said", ["No", "not sure.", "Yes!", "I don\u2019t know"])
def test_a_bare_reply_with_no_question_waiting_says_so(
    composer: Composer, framework: Framework, said: str
) -> None:
    """Found in a browser trial: "No" typed after a diagnosis was told it was outside what Keysmith covers."""
    assert route(said, framework).intent == "bare_reply"
    answer = ask(composer, said)
    assert answer.answer.startswith("There is no question waiting for that reply.")
    assert "keysmith " not in answer.answer  # no terminal command in a chat reply (browser trial)
    assert "Start the self-assessment" in answer.follow_ups


def test_a_story_that_starts_with_no_is_still_a_story(framework: Framework) -> None:
    assert route(
        "No one outside the pilot team uses the AI, and the rollout has stalled.", framework
    ).intent == ("diagnose")


def test_a_message_that_never_says_pilot_is_not_told_its_pilot_worked(composer: Composer) -> None:
    """Review finding: a truck that stalls after a software update got "Your pilot worked and the rollout
    has stalled"; with no pilot, rollout or AI word the opening is conditional, or Keysmith declines."""
    answer = ask(
        composer, "My truck stalls on hills since the software update from the dealer. Nobody knows why."
    )
    assert "Your pilot worked" not in answer.answer
    assert answer.abstained and answer.reasons == [] and answer.question is None
    union = ask(composer, "Talks with the union have stalled again and my team is tired of it all.")
    assert "Your pilot worked" not in union.answer  # a cue but no pilot named: the opening is conditional
    assert union.abstained or "If this is about an AI pilot whose rollout has stalled" in union.answer


def test_each_reply_is_recorded_once_per_turn(composer: Composer) -> None:
    first = ask(composer, TERSE)
    toolbox = Toolbox(composer.framework, composer.retriever)
    answer = composer.reply(TERSE, first.interview or {}, "no", toolbox)
    recorded = [c for c in answer.tool_calls if c["name"] == "record_assessment_answer"]
    assert len(recorded) == 1
