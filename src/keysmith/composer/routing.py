"""Deterministic intent routing for the offline composer: which kind of answer a question needs.

Rules look at the words only (no model, no retrieval), so the same question always takes the same route;
the composer then confirms with tools (a question routed to `explain` whose search abstains becomes
`off_topic`). Routes, in the order they are tried:
- `unknown_step` / `known_step` / `steps`: the framework's 7-step process (only steps 3 and 7 are known);
- `unknown_archetype` / `archetype` / `archetypes`: the 14 solution archetypes (only 4 are known);
- `limits`: things the framework has that Keysmith does not hold (the Clarity Worksheet, the criteria);
- `assessment`: the user wants to assess or score their rollout;
- `bare_reply`: only "yes", "no", "not sure" and the like, with no question waiting for it;
- `explain` for a question about the framework or its article that tells no rollout of the writer's own;
- `diagnose`: the user describes their own pilot and rollout (first-person rollout words, or any text not
  phrased as a question in which the story reader finds an AI rollout, or a pilot and its rollout);
- `explain`: anything else (a concept, a term) — the search decides whether the framework covers it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from keysmith.diagnosis import read_story
from keysmith.framework import Framework
from keysmith.framework.interview_bank import reply_word
from keysmith.text.numbers import ORDINALS, SMALL_NUMBERS
from keysmith.tools.impl import archetype_key

_NUMBER_WORDS = {**SMALL_NUMBERS, **ORDINALS}
_STEP = re.compile(r"\bsteps?\s*(?:#|no\.?|number)?\s*(\d{1,2}|one|two|three|four|five|six|seven|eight)\b")
_PROCESS_CONTEXT = re.compile(r"\b(framework|process|instant competence|dimitrov|seven|7)\b")
_NAMED_STEP = re.compile(r"\b([a-z][a-z'-]*(?:\s+[a-z][a-z'-]*)?)\s+step\b")
_ORDINAL_STEP = re.compile(r"\b(first|second|third|fourth|fifth|sixth|seventh|eighth)\s+step\b")
_ALL_STEPS = re.compile(
    r"\b(?:the\s+)?(?:7|seven)[\s-]+steps?\b|\b(?:all|list|name)\b[^.?!]*\bsteps\b|\bsteps?\s+of\s+the\s+framework\b"
)
_BRIDGE = re.compile(r"\bbridge\b|pilot to production|from pilot|four steps|4 steps")
_NAMED_ARCHETYPE = re.compile(r"\b([a-z][a-z-]*(?:\s+[a-z][a-z-]*)?)\s+archetype\b")
_ARCHETYPE_NAMED = re.compile(r"\barchetypes?\s+(?:called|named)\s+['\"]?([a-z][a-z-]*(?:\s+[a-z][a-z-]*)?)")
_GENERIC = {
    "solution", "the", "a", "an", "which", "what", "each", "every", "one", "this", "that", "known", "other",
    "right", "best", "first", "any", "its", "my", "our", "your", "same", "another", "good", "about", "of",
    "for", "is", "are", "to", "use", "us", "me", "fits", "fit", "framework", "framework's", "these", "those",
    "named", "called", "new", "unknown", "missing", "fourteen", "ten", "four",
}  # fmt: skip
_LIMIT_CUES = (
    "worksheet",
    "criteria",
    "judge whether a solution",
    "which chapter",
    "what chapter",
    "page number",
)
# Asking for the archetypes Keysmith does not hold: all of them, the other ten, "the fifth archetype".
_ARCHETYPES_NOT_HELD = re.compile(
    r"\b(all|every|14|fourteen|ten|10|other|besides|remaining|rest of)\b[^.?!]*archetypes?|"
    r"\b(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\d+(?:st|nd|rd|th))\b[^.?!]{0,20}archetype"
)
_STEP_GENERIC = {
    "next", "first", "this", "that", "each", "every", "which", "what", "the", "a", "one", "bridge", "process",
    "framework's", "framework", "seven", "final", "last", "key", "important", "crucial", "single", "another",
    "second", "third", "fourth", "fifth", "sixth", "seventh", "our", "my", "your", "their", "any", "critical",
    "big", "small", "concrete", "practical", "right", "good", "best", "missing", "same", "in", "of", "on",
}  # fmt: skip
_ASSESS = re.compile(
    r"\b(self[- ]?assess\w*|assess(?:ment)?|questionnaire|score (?:my|our)|readiness score|"
    r"evaluate (?:my|our)|rate (?:my|our)|how ready)\b"
)
_DEFINE = re.compile(
    r"^\s*(what(?:'s| is| are| does| do)|explain|define|describe|tell me about|who is|how does|meaning of)\b"
)
# A short question starting like this asks for knowledge, even when it says "we" ("what should we monitor").
_ASKS = re.compile(r"^\s*(what|how|which|who|when|where|should|can|could|do|does|is|are|will|would)\b")
_FIRST_PERSON = re.compile(r"\b(we|our|us|my|i|i'm|we're|we've|ours)\b")
_STORY = re.compile(
    r"\b(pilot|roll-?out|rolling out|roll(?:ed)? out|stall\w*|stuck|scal\w*|adopt\w*|regions?|sites?|"
    r"depart\w*|teams?|deploy\w*|momentum|go-?live|resist\w*|pushback)\b"
)

# A question about the framework's own content ("explain the idea from the article", "how does your framework
# think about that in general?") that reports no rollout of its own is answered as a question, even when it
# is full of pilots that stall. Any report of a pilot or rollout ("the pilot worked", "our rollout", "I
# manage the rollout") keeps it a story that asks what the framework says about it.
_FRAMEWORK_CONTENT = re.compile(
    r"\b(?:the|your|this|that|his|dimitrov's|drago's)\s+(?:article|framework|book|blog post)\b|"
    r"\binstant competence\b|\bdimitrov\b"
)
_PILOT_REPORT = re.compile(
    r"\b(?:pilots?|roll-?outs?|rolling out|rolled out|go-?live)\b[^.?!]{0,40}?\b(?:worked|went|stalled|"
    r"failed|succeeded|died|was|were|has|have|had|got|is stuck|are stuck|keeps?|never got|hasn't|didn't)\b"
)
_OWN_ROLLOUT = re.compile(
    r"\b(?:we|we're|we've|us|ours)\b|\b(?:our|my)\s+(?:[\w'-]+\s+){0,2}(?:pilots?|roll-?outs?|tools?|"
    r"systems?|models?|projects?|teams?|staff|people|users|vendors?|bots?|chatbots?|assistants?|ai|"
    r"departments?|divisions?|firm|sites?|stores?|plants?|clients?|customers?)\b|"
    r"\bi\s+(?:run|manage|lead|own|head|am stuck|'m stuck|am in charge)\b"
)
_IN_GENERAL = re.compile(
    r"\b(?:just curious|in general|nothing specific|hypothetical\w*|for (?:a|my) (?:class|course|"
    r"presentation|essay|thesis|lecture|talk|workshop))\b"
)


def asks_about_the_framework(text: str) -> bool:
    """A question about the framework or its article that reports no pilot or rollout of its own: the
    user wants the framework explained, not a diagnosis. Saying it asks "in general" or "for a class"
    outweighs a passing "our company", never a report of a pilot or rollout."""
    lowered = " ".join(text.lower().replace("\u2019", "'").split())
    if "?" not in lowered or not _FRAMEWORK_CONTENT.search(lowered) or _PILOT_REPORT.search(lowered):
        return False
    return bool(_IN_GENERAL.search(lowered)) or not _OWN_ROLLOUT.search(lowered)


_STATEMENT_CHARS = 60


@dataclass(frozen=True)
class Route:
    """The chosen route; `detail` is the step number or archetype name the question named, if any."""

    intent: str
    detail: str = ""


def _step_number(text: str) -> int | None:
    """The process step a question asks about, when it clearly means the framework's process."""
    about_process = bool(_PROCESS_CONTEXT.search(text))
    match = _STEP.search(text) if about_process or len(text) < 80 else None
    match = match or (_ORDINAL_STEP.search(text) if about_process else None)
    if match is None:
        return None
    raw = match.group(1)
    return int(raw) if raw.isdigit() else _NUMBER_WORDS.get(raw)


def _step_route(text: str, framework: Framework) -> Route | None:
    if _BRIDGE.search(text):
        return None  # the four pilot-to-production steps are known: a concept question
    number = _step_number(text)
    if number is not None:
        numbers = {s.number for s in framework.process_steps}
        return Route("known_step" if number in numbers else "unknown_step", str(number))
    if _ALL_STEPS.search(text):
        return Route("steps")
    named = _NAMED_STEP.search(text)
    if named and "framework" in text:
        words = [w for w in named.group(1).split() if w not in _STEP_GENERIC]
        names = " ".join(
            [s.name.lower() for s in framework.process_steps]
            + [b.name.lower() for b in framework.bridge_steps]
        )
        if words and " ".join(words) not in names:
            return Route("unknown_step", " ".join(words))
    return None


def _archetype_route(text: str, framework: Framework) -> Route | None:
    if "archetype" not in text:
        return None
    if _ARCHETYPES_NOT_HELD.search(text):
        return Route("archetypes", "not_held")
    known = {archetype_key(a.name): a.id for a in framework.archetypes} | {
        a.id: a.id for a in framework.archetypes
    }
    for archetype in framework.archetypes:
        if archetype.name.lower() in text:
            return Route("archetype", archetype.id)
    match = _ARCHETYPE_NAMED.search(text) or _NAMED_ARCHETYPE.search(text)
    name = _archetype_name(match.group(1)) if match else ""
    if name and archetype_key(name) not in known:
        return Route("unknown_archetype", name)
    return Route("archetypes")


def _archetype_name(words_before: str) -> str:
    """The name a question gives an archetype ("the delegation archetype" -> "delegation"), or ""."""
    words = words_before.split()
    if not words or words[-1] in _GENERIC:
        return ""
    kept = [w for w in words[-2:] if w not in _GENERIC]
    if len(kept) == 2 and words[-2] in _GENERIC:
        kept = kept[-1:]
    return " ".join(kept)


def asks_for_knowledge(text: str) -> bool:
    """A short question phrased as "what is / how does / explain ...": it asks about the framework."""
    lowered = text.lower()
    return bool((_DEFINE.search(lowered) or _ASKS.search(lowered)) and len(lowered) < 140)


def is_story(text: str) -> bool:
    """The user describes their own situation (first person and rollout words), not a definition question."""
    lowered = text.lower()
    story_words = len(set(_STORY.findall(lowered)))
    personal = bool(_FIRST_PERSON.search(lowered))
    if _DEFINE.search(lowered) and len(lowered) < 120 and not personal:
        return False
    if _ASKS.search(lowered) and len(lowered) < 140:
        return False
    return personal and (story_words >= 2 or (story_words >= 1 and len(lowered) > 80))


def route(question: str, framework: Framework) -> Route:
    """The route for `question` (see the module docstring)."""
    text = " ".join(question.lower().replace("\u2019", "'").split())
    if reply_word(text) is not None:
        # Only a quick reply ("no", "not sure?"): the app and the CLI answer a waiting question before it
        # gets here, so none is waiting.
        return Route("bare_reply")
    for found in (_step_route(text, framework), _archetype_route(text, framework)):
        if found is not None:
            return found
    if any(cue in text for cue in _LIMIT_CUES):
        return Route("limits")
    if _ASSESS.search(text) and not is_story(text):
        return Route("assessment")
    if asks_about_the_framework(text):
        return Route("explain")
    if is_story(question):
        return Route("diagnose")
    if not asks_for_knowledge(text):
        # Not phrased as a question about the framework: a story if the story reader finds one.
        # A longer statement is most likely a story too: the diagnosis declines if nothing in it is on topic.
        signals = read_story(question, framework)
        # Two topic words (an AI word and a rollout word, or a pilot and its go-live) make a terse statement
        # such as "pilot fine, go-live at the other plants keeps slipping" a story, even with no cue in it.
        named_rollout = signals.on_topic and (bool(signals.stall_reasons) or len(signals.topic_terms) >= 2)
        if named_rollout or len(text) > _STATEMENT_CHARS:
            return Route("diagnose")
    return Route("explain")
