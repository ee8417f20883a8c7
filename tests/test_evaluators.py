"""The eval metrics themselves: each evaluator on hand-made inputs whose right verdict is known."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from fakes import ScriptedChatModel

from evals import evaluators as ev
from evals import judge
from evals.turns import Turn
from keysmith.answer import Answer, Citation

DATASETS = Path(__file__).resolve().parents[1] / "evals" / "datasets"
REASONS = {
    "zoom_level": "Zoom Level Problem",
    "input_output_mismatch": "Input-Output Mismatch",
    "governance_vacuum": "Governance Vacuum",
    "change_management_deficit": "Change Management Deficit",
    "economics_shift": "Economics Shift",
}
ARCHETYPES = {
    "standardization": "Standardization",
    "education": "Education",
    "process_reengineering": "Process Reengineering",
    "risk_management": "Risk Management",
}


def test_stall_reasons_are_read_from_names_and_ids_in_any_case_and_hyphenation() -> None:
    phrases = ev.stall_reason_phrases(REASONS)
    text = "Most likely an **input/output mismatch**, and the governance-vacuum too. Not a zoom problem."
    assert ev.phrases_named(text, phrases) == {"input_output_mismatch", "governance_vacuum"}


def test_a_reason_word_inside_another_word_is_not_a_name() -> None:
    phrases = {"x": ("economics shift",)}
    assert ev.phrases_named("the socioeconomics shifting", phrases) == set()


def test_archetypes_need_title_case_and_accept_british_spellings() -> None:
    text = "Start with Standardisation, then Process Re-engineering. Their education budget is small."
    assert ev.archetypes_named(text, ARCHETYPES) == {"standardization", "process_reengineering"}


def test_micro_recall_and_precision_with_neutral_names() -> None:
    first = ev.match_sets({"a", "b", "c"}, {"a", "d"}, acceptable={"c"})
    second = ev.match_sets(set(), {"e"})
    assert (first.hits, first.missed, first.wrong) == ({"a"}, {"d"}, {"b"})
    assert ev.micro_recall([first, second]) == pytest.approx(1 / 3)
    assert ev.micro_precision([first, second]) == pytest.approx(1 / 2)


def test_precision_is_perfect_when_nothing_was_named() -> None:
    assert ev.micro_precision([ev.match_sets(set(), {"a"})]) == 1.0
    assert ev.micro_recall([ev.match_sets(set(), {"a"})]) == 0.0


@pytest.mark.parametrize(
    ("expected", "value", "dont_know", "understood", "verdict"),
    [
        (4, 4, False, True, True),
        (4, 3, False, True, False),
        (4, None, True, True, False),
        ("dont_know", None, True, True, True),
        ("dont_know", None, False, False, False),
        ("not_understood", None, False, False, True),
        ("not_understood", 5, False, True, False),
    ],
)
def test_parse_matches(
    expected: int | str, value: int | None, dont_know: bool, understood: bool, verdict: bool
) -> None:
    assert ev.parse_matches(expected, value, dont_know, understood) is verdict


@pytest.mark.parametrize(
    "text",
    [
        "The framework does not say what step 1 is called.",
        "Keysmith doesn’t hold the other ten archetypes.",
        "That is outside what Keysmith covers: it helps with stalled AI rollouts.",
        "The remaining steps are not named in the sources Keysmith has.",
        "I can't help with restaurant tips.",
    ],
)
def test_abstention_statements_are_detected(text: str) -> None:
    assert ev.is_abstention(False, text)


def test_an_on_topic_answer_is_not_an_abstention_unless_flagged() -> None:
    text = "A Governance Vacuum: nobody owns monitoring at scale [1]. If you do not have an owner, name one."
    assert not ev.is_abstention(False, text)
    assert ev.is_abstention(True, text)


def test_citation_markers_map_by_position_or_marker_and_must_exist() -> None:
    citations = [{"id": "gov#a"}, {"id": "gone#b"}]
    text = "See [1] and [2, 3]. A [link](http://x)."
    checked, problems = ev.citation_problems(text, citations, {"gov#a": True})
    assert checked == 5
    assert problems == [
        "marker [2] cites 'gone#b', which is not in the index",
        "marker [3] points to no citation",
        "citation 'gone#b' is not in the index",
    ]
    marked = [{"id": "gov#a", "marker": 4}]
    assert ev.citation_problems("Only [4].", marked, {"gov#a": True}) == (2, [])


def test_a_marker_must_cite_a_passage_the_turn_handed_out() -> None:
    citations = [{"id": "gov#a", "marker": 1}]
    exists = {"gov#a": True}
    assert ev.citation_problems("[1]", citations, exists, {"econ#b", "gov#a"}) == (2, [])
    assert ev.citation_problems("[1]", citations, exists, {"econ#b"}) == (
        2,
        ["marker [1] cites 'gov#a', which this turn's tools never handed out"],
    )


def test_numbers_must_come_from_the_sources_or_round_them() -> None:
    sources = ["tool: production score 62.4, pilot 81", "user: we have 12 regions and 1,200 staff"]
    text = "1. Production scores 62 [3] against 81; 12 regions, 1,200 people, 40% of them. See https://x.io/7"
    assert ev.unsupported_numbers(text, sources) == (5, ["40"])


def test_numbers_with_magnitude_suffixes_are_checked_but_model_names_are_not() -> None:
    assert ev.unsupported_numbers("Costs rose 6x to 30k on gpt-4o.", ["6 times"]) == (2, ["30"])


def test_a_rounding_must_match_the_stated_precision() -> None:
    assert ev.unsupported_numbers("about 62.5", ["62.44"]) == (1, ["62.5"])
    assert ev.unsupported_numbers("about 62.4", ["62.44"]) == (1, [])


def test_retrieval_metrics() -> None:
    ranked = ["a", "b", "c", "d"]
    assert ev.recall_at_k(ranked, {"c", "d"}, 3) == 0.5
    assert ev.hit_at_k(ranked, {"c", "d"}, 3) == 1.0
    assert ev.hit_at_k(ranked, {"d"}, 3) == 0.0
    assert ev.reciprocal_rank(ranked, {"c", "d"}) == pytest.approx(1 / 3)
    assert ev.reciprocal_rank(ranked, {"z"}) == 0.0


def _load(name: str) -> list[dict[str, object]]:
    data = yaml.safe_load((DATASETS / f"{name}.yaml").read_text(encoding="utf-8"))
    (items,) = data.values()
    assert isinstance(items, list)
    return items


def test_datasets_are_big_enough_and_well_formed() -> None:
    scenarios, answers, abstention = _load("scenarios"), _load("assessment"), _load("abstention")
    assert len(scenarios) >= 30 and len(answers) >= 30
    assert sum(c["expect"] == "abstain" for c in abstention) >= 20
    assert any(c["expect"] == "answer" for c in abstention)
    for case in scenarios:
        reasons = case["stall_reasons"]
        assert isinstance(reasons, list) and 1 <= len(reasons) <= 2 and set(reasons) <= set(REASONS)
        assert set(case["archetypes"]) <= set(ARCHETYPES)  # type: ignore[arg-type]
    for answer in answers:
        assert answer["expected"] in {1, 2, 3, 4, 5, "dont_know", "not_understood"}
    for items in (scenarios, answers, abstention):
        ids = [item["id"] for item in items]
        assert len(ids) == len(set(ids))


def _load_key(name: str, key: str) -> list[dict[str, object]]:
    data = yaml.safe_load((DATASETS / f"{name}.yaml").read_text(encoding="utf-8"))
    items = data.get(key, [])
    assert isinstance(items, list)
    return items


def _check_story_labels(stories: list[dict[str, object]]) -> None:
    """Labels well formed; messages name a case by id only, so a failure never prints a (blind) story."""
    for case in stories:
        reasons, acceptable = case["stall_reasons"], case.get("also_acceptable", [])
        assert isinstance(reasons, list) and 1 <= len(reasons) <= 2 and set(reasons) <= set(REASONS), case[
            "id"
        ]
        assert isinstance(acceptable, list), case["id"]
        assert set(acceptable) <= set(REASONS) - set(reasons), case["id"]
        assert set(case["archetypes"]) <= set(ARCHETYPES), case["id"]  # type: ignore[arg-type]
    # Terse voices are wanted (issue 11: "terse and rambling"), but a story still tells something.
    too_short = [case["id"] for case in stories if len(str(case["story"]).split()) < 8]
    assert too_short == []
    main = [c["stall_reasons"][0] for c in stories]  # type: ignore[index]
    assert all(main.count(reason) >= 4 for reason in REASONS), main


def _separate(name: str, items: list[dict[str, object]]) -> None:
    """No id and no message of `name` occurs in another story set (ids only in the messages)."""
    others = [
        c for other in (*DEV_SETS, *CONTROLLED_SETS) if other != name for key in ("scenarios", "controls")
        for c in _load_key(other, key)
    ]  # fmt: skip
    other_texts = {str(c["story"]) for c in others}
    assert [c["id"] for c in items if str(c["story"]) in other_texts] == []
    assert {c["id"] for c in items}.isdisjoint(c["id"] for c in others)
    ids = [c["id"] for c in items]
    assert len(ids) == len(set(ids))


# The development story sets besides scenarios.yaml (evals.run.DEV_SUITES; they were blind until commit
# cf880cb contaminated them) and the letter their case ids start with.
DEV_SETS = {"scenarios": "s", "scenarios_dev2": "h", "scenarios_dev3": "b"}


@pytest.mark.parametrize(("name", "prefix"), list(DEV_SETS.items())[1:])
def test_each_further_development_story_set_is_separate_and_well_formed(name: str, prefix: str) -> None:
    stories = _load_key(name, "scenarios")
    assert [str(c["id"])[:4] for c in stories] == [f"{prefix}{n:02d}-" for n in range(1, 25)]
    assert set(stories[0]) >= {"id", "industry", "role", "story", "stall_reasons", "variables", "archetypes"}
    assert _load_key(name, "controls") == []
    _check_story_labels(stories)
    _separate(name, stories)


# The blind story sets (evals.run.BLIND_SUITES) and the prefix of their story ids; controls add a "c".
# Each blind set: its id prefix, and how many stories and controls it holds.
BLIND_SETS = {
    "blind_d": ("bd", 46, 17), "blind_e": ("be", 45, 16), "blind_f": ("bf", 48, 20),
    "blind_g": ("bg", 52, 25), "blind_h": ("bh", 54, 24),
}  # fmt: skip
# Blind sets A..C, moved to development (scenarios_dev4..6, docs/evaluation.md rule 3), keep their shape.
CONTROLLED_SETS = {
    "scenarios_dev4": ("ba", 46, 11), "scenarios_dev5": ("bb", 46, 11), "scenarios_dev6": ("bc", 48, 15),
    **BLIND_SETS,
}  # fmt: skip


@pytest.mark.parametrize(("name", "shape"), CONTROLLED_SETS.items())
def test_each_blind_set_is_separate_and_well_formed(name: str, shape: tuple[str, int, int]) -> None:
    """Checked by ids and counts only: nothing here may print a blind story (docs/evaluation.md)."""
    prefix, story_count, control_count = shape
    stories, controls = _load_key(name, "scenarios"), _load_key(name, "controls")
    expected_ids = [f"{prefix}{n:02d}-" for n in range(1, story_count + 1)]
    assert [str(c["id"])[: len(prefix) + 3] for c in stories] == expected_ids
    expected_controls = [f"{prefix}c{n:02d}" for n in range(1, control_count + 1)]
    assert [str(c["id"])[: len(prefix) + 3] for c in controls] == expected_controls
    fields = {"id", "industry", "role", "story", "stall_reasons", "variables", "archetypes"}
    assert [c["id"] for c in stories if not fields <= set(c)] == []
    assert [
        c["id"] for c in controls if not {"id", "kind", "story"} <= set(c) or c["stall_reasons"] != []
    ] == []
    _check_story_labels(stories)
    _separate(name, [*stories, *controls])


def test_per_reason_counts_expected_found_and_wrongly_named() -> None:
    matches = [
        ev.match_sets({"a", "b"}, {"a"}),
        ev.match_sets({"c"}, {"a", "d"}, acceptable={"c"}),
        ev.match_sets(set(), {"d"}),
    ]
    assert ev.per_reason(matches, ["a", "e"]) == {
        "a": {"expected": 2, "found": 1, "wrongly_named": 0},
        "b": {"expected": 0, "found": 0, "wrongly_named": 1},
        "d": {"expected": 2, "found": 0, "wrongly_named": 0},
        "e": {"expected": 0, "found": 0, "wrongly_named": 0},
    }


class _Reason:
    def __init__(self, reason_id: str) -> None:
        self.id = reason_id


def test_a_control_is_diagnosed_by_a_named_reason_or_the_answers_own_reasons() -> None:
    phrases = ev.stall_reason_phrases(REASONS)
    assert ev.reasons_diagnosed("Congratulations on the TV pilot.", phrases, None) == set()
    assert ev.reasons_diagnosed("Congratulations on the TV pilot.", phrases, []) == set()
    assert ev.reasons_diagnosed("Beware a governance vacuum.", phrases, None) == {"governance_vacuum"}
    assert ev.reasons_diagnosed("Fine.", phrases, ["economics_shift"]) == {"economics_shift"}
    assert ev.reasons_diagnosed("Fine.", phrases, [_Reason("zoom_level")]) == {"zoom_level"}
    assert ev.reasons_diagnosed("Fine.", phrases, [{"id": "governance_vacuum", "strength": 0.5}]) == {
        "governance_vacuum"
    }
    # Explaining a reason by name (a framework question) is no diagnosis once answers carry `reasons`;
    # opening the interview is.
    assert ev.reasons_diagnosed("The Governance Vacuum is ...", phrases, []) == set()
    assert ev.reasons_diagnosed("One question:", phrases, [], {"id": "q_governance"}) == {"interview"}


class _NoIndex:
    """A retriever stand-in that finds nothing, so the judge is shown the citation excerpts."""

    def get(self, passage_id: str) -> None:
        return None


def _turn(case_id: str, text: str, cited: bool, abstained: bool = False) -> Turn:
    citations = (
        [Citation("gov#a", "knowledge/gov.md", "Governance Vacuum", "Nobody owns it.", 1)] if cited else []
    )
    return Turn(case_id, "q", Answer(text, citations=citations, abstained=abstained))


def test_the_judge_grades_citing_answers_only_and_reads_its_replies() -> None:
    model = ScriptedChatModel.of("SUPPORTED", "UNSUPPORTED: the 40% figure", "maybe?")
    turns = [
        _turn("a", "Nobody owns it [1].", cited=True),
        _turn("b", "Nobody owns it and 40% quit [1].", cited=True),
        _turn("c", "Something [1].", cited=True),
        _turn("d", "No citation here.", cited=False),
        _turn("e", "Declined [1].", cited=True, abstained=True),
    ]
    result = judge.faithfulness_suite(turns, _NoIndex(), model, "fake")  # type: ignore[arg-type]
    assert result.metrics == {"faithfulness": 0.5, "judged": 2, "unparsed": 1, "judge": "fake"}
    assert [c["ok"] for c in result.cases] == [True, False, None]
    assert "Nobody owns it." in model.seen[0][0].content
