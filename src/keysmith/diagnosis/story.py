"""Deterministic reading of a manager's free-text story (standard library and keysmith only).

`read_story(text, framework)` matches the cue phrases of `knowledge/framework/signals.yaml`
(`framework.variable_cues`, `framework.stall_reason_cues`) against the story, clause by clause (see
`text_matching`), and returns `StorySignals`:
- variables signalled as weak, with the cue phrases and the story's own words that matched;
- stall reasons ranked by a score: each direct cue of the reason counts DIRECT_WEIGHT, each cue of one of its
  signal variables counts VARIABLE_WEIGHT divided by the number of signal variables (a data complaint is
  shared between the two reasons data feeds; a governance complaint belongs to governance vacuum alone).
  A one-word cue counts SINGLE_WORD_WEIGHT of a phrase.
  `strength = score / (score + 1)`, so one direct cue gives 0.5 and more evidence approaches 1;
- archetypes whose gap variables the story signals (directly, or through the direct cues of a stall reason
  with one or two signal variables);
- `on_topic`: a cue of two or more words, two cues, one cue plus an AI or rollout word, an AI word plus a
  rollout word (denied cues count too), or a pilot word plus a word for its spread ("rollout", "go-live",
  "other sites") even with no AI word: managers often name the tool, not the technology. A lone one-word
  cue ("pricing") is not enough to call a text on topic, and a text that is not on topic gets no stall
  reasons and no archetypes (its matched variables are still listed).
- Cues marked with a context in signals.yaml ("who owns @ai_matter") count only with their subject nearby
  (see `text_matching.Cue.fits`).
Cues the story denies ("data is not a problem") count for nothing and are listed in `denied`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from functools import lru_cache

from keysmith.diagnosis.findings import ArchetypeSuggestion, StallReasonFinding, StorySignals, VariableSignal
from keysmith.diagnosis.fusion import FusionPolicy, LearnedReading, decide, fuse
from keysmith.diagnosis.trouble import outside_scope, reports_trouble
from keysmith.framework import CONTEXT_MARK, CueContext, Framework
from keysmith.text.matching import Clause, Cue, Match, clauses, find, find_all, normalize
from keysmith.text.segments import segments

DIRECT_WEIGHT = 1.0
VARIABLE_WEIGHT = 0.5
SINGLE_WORD_WEIGHT = 0.6
ARCHETYPE_THRESHOLD = 0.5
MAX_STORY_CHARS = 20_000
# Learned probability at which a text counts as a stall story even with no AI, pilot or rollout word in it
# (development sets: 4 of 82 stories have no topic word; 0.9 kept their recall until the 2026-12-03 retrain
# left one at 0.8996; 0.85 keeps it, and the trouble gate keeps the development controls out as before).
STANDALONE_STORY = 0.85

_AI_TERMS = (
    "ai", "artificial intelligence", "machine learning", "ml", "model", "algorithm", "automation",
    "chatbot", "copilot", "llm", "genai", "gpt", "computer vision", "predictive", "prediction", "forecast",
    "forecasting", "classifier", "assistant", "bot", "analytics", "recommendation engine",
)  # fmt: skip
_ROLLOUT_TERMS = (
    "pilot", "rollout", "roll out", "scale", "scaling", "deploy", "deployment", "adoption", "implementation",
    "transformation", "proof of concept", "poc", "production", "go live", "stalled", "stall", "trial",
    "launch", "rolled out", "rolling out", "went live", "other sites", "all sites", "every site",
    "network wide", "company wide",
)  # fmt: skip
STALL_WORDS = ("stalled", "stall")


def names_a_rollout(topic_terms: Sequence[str]) -> bool:
    """Whether a text's topic words (`StorySignals.topic_terms`) name a pilot, a rollout or an AI, not only
    a stall: an engine stalls too."""
    return any(term not in STALL_WORDS for term in topic_terms)


# A trial of something and its spread: "the pilot worked, the rollout to other sites stalled" is a stall story
# even when the story never says "AI" (the thing piloted may be a "tool", a "system" or unnamed).
_PILOT_TERMS = ("pilot", "piloted", "proof of concept", "poc", "trial")
_SPREAD_TERMS = (
    "rollout", "roll out", "rolled out", "rolling out", "go live", "went live", "other sites", "all sites",
    "every site", "other regions", "other plants", "other branches", "other offices", "other teams", "scale",
    "scaling", "deploy", "deployment", "network wide", "company wide", "production",
)  # fmt: skip


_Contexts = tuple[tuple[str, CueContext], ...]


# Keys are the lexicon's cue lists and the fixed topic terms (about 100 in all), so every list is compiled
# once per process. A bound below that count makes every story recompile thousands of cues (25x slower).
@lru_cache(maxsize=1024)
def _compiled(phrases: tuple[str, ...], contexts: _Contexts = ()) -> tuple[Cue, ...]:
    """Cues from signals.yaml phrases; "who owns @ai_matter" gets the words of context `ai_matter`."""
    known = dict(contexts)
    cues = []
    for phrase in phrases:
        bare, _, name = phrase.partition(CONTEXT_MARK)
        context = known.get(name, CueContext())
        cues.append(Cue.compile(bare, context.near, context.not_near))
    return tuple(cues)


def _read(
    cue_sets: Mapping[str, tuple[str, ...]], text_clauses: Sequence[Clause], contexts: _Contexts
) -> dict[str, list[Match]]:
    """Every match (affirmed or denied) per id, in the cue file's order."""
    return {
        key: find_all(_compiled(tuple(phrases), contexts), text_clauses) for key, phrases in cue_sets.items()
    }


def _weight(matches: Sequence[Match]) -> float:
    """Evidence from matches: a one-word cue ("integration") is vaguer than a phrase and counts less."""
    return sum(1.0 if len(m.cue.stems) > 1 else SINGLE_WORD_WEIGHT for m in matches)


def _terms(terms: Sequence[str], text_clauses: Sequence[Clause]) -> list[str]:
    return [t for t in terms if any(find(_compiled((t,))[0], c) for c in text_clauses)]


def read_story(text: str, framework: Framework, learned: LearnedReading | None = None) -> StorySignals:
    """Read `text` (any string; never raises on content) against the framework's cue lexicon, fused with
    the learned reader's signals when given (see `diagnosis.fusion`), and decide what to name."""
    cue_only = _read_cues(text, framework)
    if learned is None:
        decision = decide(cue_only.stall_reasons, FusionPolicy())
        return replace(cue_only, named=decision.named, unsure=decision.unsure, candidates=decision.candidates)
    policy = learned.policy
    # A stall story talks about an AI, a pilot or a rollout (`topic_terms`) and signals a stall (a cue, or
    # the learned reader at `story_floor`); only a very clear learned signal stands without a topic word
    # (a printer complaint or a flight-school delay has stray cues and no topic). And it reports a
    # difficulty (`diagnosis.trouble`): a success update or a budgeting question has stall-like signals too.
    top = learned.top_probability()
    signalled = cue_only.on_topic or top >= policy.story_floor
    # "Stall" alone is a weak topic word (an engine stalls too): beside no pilot, rollout or AI word it
    # counts only with a phrase cue of the story reader ("nobody uses it"), never with a one-word cue (the
    # "plugs" of a diesel engine) or the learned signal alone.
    topic = names_a_rollout(cue_only.topic_terms)
    stall_only = bool(cue_only.topic_terms) and not topic
    on_topic = (
        ((topic and signalled) or (stall_only and _phrase_cue(text, framework)) or top >= STANDALONE_STORY)
        and reports_trouble(text)
        and outside_scope(text) is None
    )
    if not on_topic:
        return replace(cue_only, learned=True)
    ids = [r.id for r in framework.stall_reasons]
    names = {r.id: r.name for r in framework.stall_reasons}
    cue_findings = _rank_reasons(framework, *_affirmed(text, framework), text)
    fused = fuse(cue_findings, learned, ids, names)
    decision = decide(fused, policy)
    return replace(
        cue_only,
        on_topic=True,
        stall_reasons=fused,
        named=decision.named,
        unsure=decision.unsure,
        candidates=decision.candidates,
        learned=True,
        policy=policy,
    )


def _affirmed(text: str, framework: Framework) -> tuple[dict[str, list[Match]], dict[str, list[Match]]]:
    """The affirmed (not denied) cue matches per variable and per stall reason."""
    text_clauses = clauses(text[:MAX_STORY_CHARS])
    contexts = tuple(sorted(framework.cue_contexts.items()))
    variable_hits = _read(framework.variable_cues, text_clauses, contexts)
    reason_hits = _read(framework.stall_reason_cues, text_clauses, contexts)
    return (
        {k: [m for m in ms if not m.negated] for k, ms in variable_hits.items()},
        {k: [m for m in ms if not m.negated] for k, ms in reason_hits.items()},
    )


def _phrase_cue(text: str, framework: Framework) -> bool:
    """Whether an affirmed cue of two or more content words ("nobody uses") matches `text`."""
    by_variable, by_reason = _affirmed(text, framework)
    matches = [m for found in (*by_variable.values(), *by_reason.values()) for m in found]
    return any(len(m.cue.stems) >= 2 for m in matches)


def _read_cues(text: str, framework: Framework) -> StorySignals:
    """The cue reader alone (see the module docstring)."""
    text_clauses = clauses(text[:MAX_STORY_CHARS])
    contexts = tuple(sorted(framework.cue_contexts.items()))
    variable_hits = _read(framework.variable_cues, text_clauses, contexts)
    reason_hits = _read(framework.stall_reason_cues, text_clauses, contexts)
    every = [m for hits in (variable_hits, reason_hits) for ms in hits.values() for m in ms]
    # A denial overlapping an affirmed cue from any list denies nothing ("no incident process").
    affirmed = [m for m in every if not m.negated]
    denied = sorted({m.cue.phrase for m in every if m.negated and not any(m.overlaps(a) for a in affirmed)})
    affirmed_vars = {k: [m for m in ms if not m.negated] for k, ms in variable_hits.items()}
    affirmed_reasons = {k: [m for m in ms if not m.negated] for k, ms in reason_hits.items()}
    variables = tuple(
        VariableSignal(v.id, v.name, tuple(m.cue.phrase for m in ms), tuple(m.text for m in ms))
        for v in framework.variables
        if (ms := affirmed_vars.get(v.id, []))
    )
    ai, rollout = _terms(_AI_TERMS, text_clauses), _terms(_ROLLOUT_TERMS, text_clauses)
    trial = bool(_terms(_PILOT_TERMS, text_clauses)) and bool(_terms(_SPREAD_TERMS, text_clauses))
    # Denied cues still show what the text is about ("adoption is strong"), so they count for the topic.
    on_topic = _on_topic(every, bool(ai), bool(rollout)) or trial
    # Off topic, a stray cue ("pricing" in a question about cars) is no diagnosis: no reasons, no archetypes.
    return StorySignals(
        on_topic=on_topic,
        variables=variables,
        stall_reasons=_rank_reasons(framework, affirmed_vars, affirmed_reasons, text) if on_topic else (),
        archetypes=_archetypes(framework, affirmed_vars, affirmed_reasons) if on_topic else (),
        denied=tuple(denied),
        topic_terms=tuple(ai + rollout),
    )


def _on_topic(matches: Sequence[Match], ai: bool, rollout: bool) -> bool:
    if len(matches) >= 2 or any(len(m.cue.stems) >= 2 for m in matches):
        return True
    return (bool(matches) and (ai or rollout)) or (ai and rollout)


def _clause_finder(text: str) -> Callable[[Sequence[Match]], tuple[str, ...]]:
    """Maps cue matches to the user's clauses (`text.segments`) that hold them, in story order."""
    pieces = segments(text[:MAX_STORY_CHARS])
    folded = [f" {normalize(p).replace('|', ' ')} " for p in pieces]

    def find_clauses(matches: Sequence[Match]) -> tuple[str, ...]:
        hits = {i for m in matches for i, f in enumerate(folded) if f" {m.text} " in f}
        return tuple(pieces[i] for i in sorted(hits))

    return find_clauses


def _rank_reasons(
    framework: Framework,
    variable_hits: Mapping[str, list[Match]],
    reason_hits: Mapping[str, list[Match]],
    text: str,
) -> tuple[StallReasonFinding, ...]:
    find_clauses = _clause_finder(text)
    findings: list[tuple[float, int, StallReasonFinding]] = []
    for order, reason in enumerate(framework.stall_reasons):
        direct = reason_hits.get(reason.id, [])
        share = VARIABLE_WEIGHT / len(reason.signal_variables)
        score = DIRECT_WEIGHT * _weight(direct)
        evidence = [f'the story says "{m.text}" (cue: "{m.cue.phrase}")' for m in direct]
        for vid in reason.signal_variables:
            hits = variable_hits.get(vid, [])
            score += share * _weight(hits)
            if hits:
                quoted = ", ".join(f'"{m.text}"' for m in hits)
                name = framework.variable(vid).name.lower()
                evidence.append(f"weak {name}, one of this reason's signal variables: {quoted}")
        if score > 0:
            matched = [*direct, *(m for v in reason.signal_variables for m in variable_hits.get(v, []))]
            strength = score / (score + 1)
            finding = StallReasonFinding(
                reason.id, reason.name, strength, tuple(evidence), clauses=find_clauses(matched)
            )
            findings.append((score, order, finding))
    findings.sort(key=lambda item: (-round(item[0], 9), item[1]))
    return tuple(f for _, _, f in findings)


def _support(
    framework: Framework, variable_hits: Mapping[str, list[Match]], reason_hits: Mapping[str, list[Match]]
) -> dict[str, tuple[float, list[str]]]:
    """Per variable: how much the story points at its weakness, and the words that do."""
    support: dict[str, tuple[float, list[str]]] = {}
    for vid in framework.variable_ids:
        hits = variable_hits.get(vid, [])
        words = [f'"{m.text}"' for m in hits]
        total = _weight(hits)
        for reason in framework.stall_reasons:
            direct = reason_hits.get(reason.id, [])
            # Only a reason with one or two signal variables implies them; the zoom-level problem is about
            # the whole system and points at no single variable (and so at no single archetype).
            if vid in reason.signal_variables and direct and len(reason.signal_variables) <= 2:
                total += _weight(direct) / len(reason.signal_variables)
                words += [f'"{m.text}" ({reason.name})' for m in direct]
        support[vid] = (total, words)
    return support


def _archetypes(
    framework: Framework, variable_hits: Mapping[str, list[Match]], reason_hits: Mapping[str, list[Match]]
) -> tuple[ArchetypeSuggestion, ...]:
    support = _support(framework, variable_hits, reason_hits)
    ranked: list[tuple[float, int, ArchetypeSuggestion]] = []
    for order, archetype in enumerate(framework.archetypes):
        gaps = [v for v in archetype.gap_variables if support[v][0] > 0]
        score = sum(support[v][0] for v in gaps)
        if score < ARCHETYPE_THRESHOLD:
            continue
        parts = [f"{framework.variable(v).name.lower()} ({', '.join(support[v][1])})" for v in gaps]
        reason = (
            f"Rule: the story signals a weak gap variable of this archetype. Fired by: {'; '.join(parts)}."
        )
        ranked.append((score, order, ArchetypeSuggestion(archetype.id, archetype.name, reason, tuple(gaps))))
    ranked.sort(key=lambda item: (-round(item[0], 9), item[1]))
    return tuple(a for _, _, a in ranked)
