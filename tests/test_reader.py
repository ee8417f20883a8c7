"""The learned story reader, the fusion with the cue reader, and the diagnosis interview (issue 11)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from keysmith.diagnosis import interview as iv
from keysmith.diagnosis import read_story
from keysmith.diagnosis.findings import StallReasonFinding
from keysmith.diagnosis.fusion import FusionPolicy, LearnedReading, LearnedSignal, decide, fuse
from keysmith.framework import Framework
from keysmith.framework.interview_bank import InterviewError
from keysmith.reader import CALIBRATION_PATH, LearnedReader, load_policy
from keysmith.reader import calibrate as cal
from keysmith.reader import train as tr
from keysmith.reader.model import ReaderError, ReaderWeights, fit, load_weights
from keysmith.text.segments import MIN_WORDS, segments

ROOT = Path(__file__).resolve().parents[1]
IDS = [
    "zoom_level",
    "input_output_mismatch",
    "governance_vacuum",
    "change_management_deficit",
    "economics_shift",
]
NAMES = {i: i.replace("_", " ").title() for i in IDS}


def test_segments_are_the_users_clauses_never_a_lone_noun() -> None:
    story = (
        "Our legal team loved the contract-review AI in the pilot. When we tried to roll it out, "
        "procurement, compliance and IT each said someone else had to approve it; "
        "it has sat in limbo for four months."
    )
    pieces = segments(story)
    assert pieces[0] == "Our legal team loved the contract-review AI in the pilot."
    assert any(p.startswith("When we tried to roll it out, procurement, compliance and IT") for p in pieces)
    assert all(len(p.split()) >= MIN_WORDS for p in pieces)
    assert segments("") == [] and segments("pilot fine") == ["pilot fine"]
    # a contrast word starts a new clause when both sides carry enough words
    assert segments("The pilot went really well, but nobody owns the model now") == [
        "The pilot went really well",
        "but nobody owns the model now",
    ]


def _finding(rid: str, strength: float, clause: str = "") -> StallReasonFinding:
    return StallReasonFinding(rid, NAMES[rid], strength, (), clauses=(clause,) if clause else ())


def test_fuse_mixes_the_readers_and_quotes_the_learned_clause() -> None:
    policy = FusionPolicy(learned_weight=0.5, second_at=0.3)
    learned = LearnedReading(
        {
            "governance_vacuum": LearnedSignal(0.9, "each said someone else had to approve it"),
            "economics_shift": LearnedSignal(0.1, "it has sat in limbo"),
        },
        policy,
    )
    fused = fuse([_finding("change_management_deficit", 0.4, "procurement")], learned, IDS, NAMES)
    assert [f.id for f in fused] == ["governance_vacuum", "change_management_deficit", "economics_shift"]
    assert fused[0].strength == pytest.approx(0.45) and fused[1].strength == pytest.approx(0.2)
    assert fused[0].clauses == ("each said someone else had to approve it",)
    assert fuse([_finding("zoom_level", 0.3)], None, IDS, NAMES)[0].strength == 0.3  # cue reader alone


def test_decide_names_the_clear_leader_and_flags_a_close_second_as_unsure() -> None:
    policy = FusionPolicy(name_at=0.3, second_at=0.3, relative=0.6, sure_at=0.6, margin=0.2)
    clear = decide([_finding("governance_vacuum", 0.8), _finding("zoom_level", 0.2)], policy)
    assert clear.named == ("governance_vacuum",) and not clear.unsure
    close = decide([_finding("governance_vacuum", 0.7), _finding("zoom_level", 0.6)], policy)
    assert close.named == ("governance_vacuum", "zoom_level") and close.unsure
    assert decide([_finding("zoom_level", 0.1)], policy).named == ()


def test_a_second_reason_named_on_a_faint_signal_is_confirmed_by_the_interview(framework: Framework) -> None:
    """Top clearly in, a second named at 0.48 (above second_at, below confirm_second_below): the reading is
    unsure, the interview asks about the second, and a strong reply drops it."""
    policy = FusionPolicy(
        name_at=0.3, second_at=0.45, relative=0.4, sure_at=0.6, margin=0.2, confirm_second_below=0.5
    )
    findings = [_finding("governance_vacuum", 0.76), _finding("change_management_deficit", 0.48)]
    decision = decide(findings, policy)
    assert decision.named == ("governance_vacuum", "change_management_deficit") and decision.unsure
    assert not decide(findings, replace(policy, confirm_second_below=0.0)).unsure  # the rule is what asks
    signals = _signals(framework, {f.id: f.strength for f in findings}, unsure=decision.unsure)
    order = [r.id for r in framework.stall_reasons]
    state = iv.start(signals, framework.questions, order, policy)  # type: ignore[arg-type]
    assert state is not None and state.pending == "q_change"
    state = iv.answer(state, "yes", framework.questions, order, policy)
    assert iv.outcome(state, framework.questions, order, policy).named == ("governance_vacuum",)


class _FakeEmbed:
    """Maps texts to fixed vectors by keyword, so the learned reader runs without the ONNX model."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        return [[1.0, 0.0] if "approve" in t else [0.0, 1.0] for t in texts]


def test_the_learned_reader_scores_each_clause_and_keeps_the_best_one() -> None:
    weights = ReaderWeights(("governance_vacuum",), np.array([[6.0, -6.0]]), np.array([0.0]), {})
    embed = _FakeEmbed()
    reading = LearnedReader(weights, FusionPolicy(), embed=embed).read(
        "The pilot went well for months. Now legal and IT each say someone else must approve it."
    )
    signal = reading.signals["governance_vacuum"]
    assert signal.probability > 0.99
    assert signal.clause == "Now legal and IT each say someone else must approve it."
    assert len(embed.calls) == 1 and len(embed.calls[0]) == 3  # two clauses and the whole short story


def test_fit_is_deterministic_and_separates_the_classes() -> None:
    rng = np.random.default_rng(7)
    x = np.vstack([rng.normal(1, 0.3, (20, 3)), rng.normal(-1, 0.3, (20, 3))])
    targets = [("governance_vacuum",)] * 20 + [()] * 20
    first, second = fit(("governance_vacuum",), x, targets, 1.0), fit(("governance_vacuum",), x, targets, 1.0)
    assert first.to_json() == second.to_json()
    probabilities = first.probabilities(x)[:, 0]
    assert probabilities[:20].min() > 0.5 > probabilities[20:].max()


def test_weights_file_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "weights.json"
    bad.write_text(json.dumps({"format": "other"}), encoding="utf-8")
    with pytest.raises(
        ReaderError, match=r"weights\.json: format: expected 'keysmith-reader/1', got 'other'"
    ):
        load_weights(bad)
    with pytest.raises(ReaderError, match="cannot read"):
        load_weights(tmp_path / "missing.json")


def test_the_shipped_weights_were_trained_on_the_current_decontaminated_corpus() -> None:
    weights = load_weights()
    kept, dropped = tr.decontaminate(tr.load_corpus(), tr.eval_ngrams())
    digest = (
        __import__("hashlib").sha256("\n".join(f"{t}\t{','.join(ls)}" for t, ls in kept).encode()).hexdigest()
    )
    assert weights.meta["corpus_sha256"] == digest, "run `python -m keysmith.reader.train`"
    assert (
        weights.meta["examples"] == len(kept) >= 600 and weights.meta["left_out_overlapping_evals"] == dropped
    )
    assert set(weights.labels) == set(IDS)


def test_decontamination_drops_training_text_that_shares_words_with_an_eval_set() -> None:
    held_out = tr.ngrams("legal keeps sending it back asking who is accountable")
    kept, dropped = tr.decontaminate(
        [
            ("Legal keeps sending it back, asking who is accountable.", ("governance_vacuum",)),
            ("The bill grew.", ()),
        ],
        held_out,
    )
    assert dropped == 1 and kept == [("The bill grew.", ())]
    assert tr.ngrams("it is in the") == set()  # a run of stop words alone is no overlap


def test_the_calibrated_policy_is_shipped() -> None:
    policy = load_policy()
    data = json.loads(CALIBRATION_PATH.read_text(encoding="utf-8"))
    assert 0 < policy.learned_weight < 1 and data["development"]["stories_and_controls"] >= 90


def _case(suite: str, expected: set[str], probabilities: dict[str, float]) -> cal.Case:
    signals = {rid: LearnedSignal(p, f"clause about {rid}") for rid, p in probabilities.items()}
    return cal.Case(suite, frozenset(expected), frozenset(), True, (), LearnedReading(signals))


def test_calibration_never_buys_a_pooled_gain_with_one_sets_loss(framework: Framework) -> None:
    """A lower naming bar finds set a's faint reasons (pooled F1 0.4 -> 0.75) but names a wrong reason in set
    b (its precision 1.0 -> 0.5): the per-set guard keeps the bar where it was."""
    cases = [
        _case("a", {"zoom_level"}, {"zoom_level": 0.4}),
        _case("a", {"zoom_level"}, {"zoom_level": 0.4}),
        _case("b", {"economics_shift"}, {"economics_shift": 0.9}),
        _case("b", {"economics_shift"}, {"governance_vacuum": 0.4}),
    ]
    base = FusionPolicy(learned_weight=1.0, name_at=0.5, second_at=0.95, interview_floor=0.1)
    grid = {"name_at": (0.3, 0.5)}
    lower = replace(base, name_at=0.3)
    assert cal.score(cases, lower, framework)["f1"] > cal.score(cases, base, framework)["f1"]
    assert cal.per_set(cases, lower, framework)["b"] == (0.5, 0.5)
    policy, result = cal.calibrate(cases, framework, base, grid=grid)
    assert policy.name_at == 0.5 and result["recall"] == 0.25
    # Without set b's loss the lower bar wins.
    policy, _ = cal.calibrate(cases[:3], framework, base, grid=grid)
    assert policy.name_at == 0.3
    with pytest.raises(ValueError, match="keeps every development set"):
        cal.calibrate(cases, framework, base, grid={"name_at": (0.3,)})


def test_stall_alone_is_no_topic_an_engine_stalls_too(framework: Framework) -> None:
    """With the same learned signal (above the story floor, below a standalone story), "stalling" makes a
    story only beside a pilot, rollout or AI word, or a cue of the story reader."""
    learned = LearnedReading(
        {"input_output_mismatch": LearnedSignal(0.6, "keeps stalling")},
        FusionPolicy(learned_weight=0.5, name_at=0.2, story_floor=0.5),
    )
    engine = "My van keeps stalling at junctions when it is cold, and the new sensor didn't help."
    assert not read_story(engine, framework, learned=learned).on_topic
    rollout = "The pilot went well but the rollout keeps stalling, and the new sensor feed didn't help."
    assert read_story(rollout, framework, learned=learned).on_topic
    terse = "It stalled. Nobody uses it outside the first team."  # "stall" beside a cue of the reader
    assert read_story(terse, framework, learned=learned).on_topic


# --- the interview (pure) --------------------------------------------------------------------------------


def _signals(framework: Framework, strengths: dict[str, float], unsure: bool = True) -> object:
    findings = tuple(_finding(rid, s, f"clause about {rid}") for rid, s in strengths.items())
    base = read_story("", framework)
    return replace(base, on_topic=True, stall_reasons=findings, unsure=unsure, learned=True)


POLICY = FusionPolicy(learned_weight=0.5, name_at=0.3, second_at=0.25, relative=0.6, sure_at=0.6, margin=0.2)


def test_the_interview_asks_what_separates_the_leaders_and_the_replies_decide(framework: Framework) -> None:
    order = [r.id for r in framework.stall_reasons]
    bank = framework.questions
    signals = _signals(framework, {"governance_vacuum": 0.45, "change_management_deficit": 0.4})
    state = iv.start(signals, bank, order, POLICY)  # type: ignore[arg-type]
    assert state is not None and state.pending == "q_governance"
    state = iv.answer(state, "no", bank, order, POLICY)
    assert state.replies[0].variable == "governance" and state.replies[0].value == 2
    assert state.pending == "q_change"  # governance settled; the other leader is still open
    state = iv.answer(state, "yes", bank, order, POLICY)
    result = iv.outcome(state, bank, order, POLICY)
    assert result.named == ("governance_vacuum",)
    assert [r.question_id for r in result.deciding["governance_vacuum"]] == ["q_governance"]
    assert iv.recorded_answers(state) == {"governance": 2, "change_management": 4}
    assert iv.InterviewState.from_dict(json.loads(json.dumps(state.to_dict()))) == state


def test_the_interview_never_asks_more_than_three_questions_and_can_be_skipped(framework: Framework) -> None:
    order = [r.id for r in framework.stall_reasons]
    bank = framework.questions
    signals = _signals(framework, dict.fromkeys(order, 0.3))
    state = iv.start(signals, bank, order, POLICY)  # type: ignore[arg-type]
    assert state is not None
    asked = 0
    while state.pending is not None:
        state = iv.answer(state, "not_sure", bank, order, POLICY)
        asked += 1
    assert asked == iv.MAX_QUESTIONS
    again = iv.start(signals, bank, order, POLICY)  # type: ignore[arg-type]
    assert again is not None
    skipped = iv.answer(again, "skip", bank, order, POLICY)
    assert skipped.done and skipped.skipped and not skipped.replies
    with pytest.raises(
        InterviewError, match=r"reply: expected one of yes, partly, no, not_sure or skip, got 'maybe'"
    ):
        iv.answer(again, "maybe", bank, order, POLICY)
    with pytest.raises(InterviewError, match="no question waiting"):
        iv.answer(skipped, "yes", bank, order, POLICY)


def test_no_interview_for_a_sure_reading_or_a_text_with_no_signal(framework: Framework) -> None:
    order = [r.id for r in framework.stall_reasons]
    sure = _signals(framework, {"economics_shift": 0.9}, unsure=False)
    assert iv.start(sure, framework.questions, order, POLICY) is None  # type: ignore[arg-type]
    faint = _signals(framework, {"economics_shift": 0.05})
    assert iv.start(faint, framework.questions, order, replace(POLICY, interview_floor=0.2)) is None  # type: ignore[arg-type]


def test_a_bad_question_bank_is_refused_naming_the_question(tmp_path: Path, framework: Framework) -> None:
    from keysmith.framework.interview_bank import load_question_bank

    bank = tmp_path / "interview.yaml"
    bank.write_text(
        "questions:\n  - {id: q1, variable: budget, text: x, supports: {},\n"
        "     options: [{id: a, label: A, value: 1}]}\n",
        encoding="utf-8",
    )
    with pytest.raises(InterviewError, match=r"interview\.yaml: q1: variable: unknown variable 'budget'"):
        load_question_bank(bank, framework.variable_ids, [r.id for r in framework.stall_reasons])


def test_once_the_top_reason_is_confirmed_a_faint_one_is_not_probed(framework: Framework) -> None:
    """A faint candidate asked about through a shared variable would be raised by a reply about the top."""
    order = [r.id for r in framework.stall_reasons]
    bank = framework.questions
    reading = {"change_management_deficit": 0.56, "zoom_level": 0.33, "economics_shift": 0.1}
    state = iv.start(_signals(framework, reading), bank, order, POLICY)  # type: ignore[arg-type]
    assert state is not None and state.pending == "q_change"
    state = iv.answer(state, "no", bank, order, POLICY)
    assert state.pending is None  # zoom (0.33) is below relative x the confirmed top: no question on it
    assert iv.outcome(state, bank, order, POLICY).named == ("change_management_deficit",)
    close = {"change_management_deficit": 0.56, "zoom_level": 0.45}  # a close second in the reading itself
    state = iv.start(_signals(framework, close), bank, order, POLICY)  # type: ignore[arg-type]
    assert state is not None
    state = iv.answer(state, "no", bank, order, POLICY)
    assert state.pending == "q_organisation"


def test_a_good_answer_on_one_side_does_not_clear_a_two_sided_reason(framework: Framework) -> None:
    """Input-output mismatch has two main questions (in and out): a strong reply halves the drop."""
    bank = framework.questions
    state = iv.InterviewState({"input_output_mismatch": 0.6, "governance_vacuum": 0.6}, {})
    for qid in ("q_data", "q_governance"):
        state = replace(state, replies=(*state.replies, iv.Reply(qid, "yes", "x", 4)))
    strengths = iv.adjusted(state, bank)
    assert strengths["governance_vacuum"] == pytest.approx(0.6 - 0.35)
    assert strengths["input_output_mismatch"] == pytest.approx(0.6 - 0.35 / 2)
    weak = iv.adjusted(replace(state, replies=(iv.Reply("q_data", "no", "x", 2),)), bank)
    assert weak["input_output_mismatch"] == pytest.approx(1.0)  # one weak side is enough evidence


def test_the_simulated_respondent_answers_from_the_storys_weak_variables(framework: Framework) -> None:
    from evals.interview import respondent_reply

    question = next(q for q in framework.questions if q.id == "q_organisation").to_dict()
    expected = ["change_management_deficit"]  # whose signal variables include organisational readiness
    assert respondent_reply(question, expected, framework) == "no"  # no labels: tied to the reason, weak
    assert respondent_reply(question, expected, framework, ["change_management"]) == "yes"
    assert respondent_reply(question, ["economics_shift"], framework, ["organizational_readiness"]) == "no"
