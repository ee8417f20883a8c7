"""A short framing a manager can take to the board (or a boss, a steering group) before the diagnosis.

"Pilot fine, rollout dead, the board asks me why: what do I tell them?" needs something honest to say now,
not only questions: what the pilot proved and what it did not (the pilot-illusion page, cited section by
section), the five reasons rollouts usually stall (the framework's stall reasons, each cited to its page),
and what will be checked next. The diagnosis and its questions follow it unchanged.
"""

from __future__ import annotations

import re

from keysmith.composer import frames
from keysmith.composer.frames import Draft
from keysmith.framework import Framework
from keysmith.tools import Toolbox

# Someone the manager reports to, and a request for words to give them.
_AUDIENCE = re.compile(
    r"\b(board|boss|ceo|cfo|cio|coo|cto|execs?|executives?|leadership|leaders|steering (?:committee|group)|"
    r"management team|sponsors?|investors?|shareholders?)\b",
    re.IGNORECASE,
)
_ASKS_FOR_WORDS = re.compile(
    r"\b(tell|say|explain|answer|report|present|brief|update|pitch|justify)\b|\bwhat do i\b|\bhow do i\b",
    re.IGNORECASE,
)
_PILOT_PAGE = "pilot-illusion"


# "what do I tell them", "how do I explain this to the board": a request, not a fact about the rollout.
_REQUEST = re.compile(
    r"^\W*(?:so\s+)?(?:what|how)\s+(?:do|should|can|would)\s+(?:i|we)\s+"
    r"(?:tell|say|explain|answer|report|present|brief|update|pitch|justify)\b",
    re.IGNORECASE,
)


def is_a_request_for_words(clause: str) -> bool:
    """Whether `clause` only asks Keysmith what to say ("what do I tell them"): never quoted as evidence."""
    return bool(_REQUEST.search(clause))


def asks_for_a_briefing(text: str) -> bool:
    """Whether `text` asks what to tell someone the manager answers to (the board, a boss, leadership)."""
    return bool(_AUDIENCE.search(text) and _ASKS_FOR_WORDS.search(text))


def _section(toolbox: Toolbox, query: str, section: str) -> str:
    """The citation of the pilot-illusion page's `section` (else its best-matching passage), or ""."""
    found = toolbox.call("search_framework", query=query)
    markers: list[int] = found.data["markers"] if found.ok else []
    wanted = f"{_PILOT_PAGE}#{section}"
    exact = [m for m in markers if toolbox.passages[m].id == wanted]
    own = [m for m in markers if toolbox.passages[m].id.startswith(f"{_PILOT_PAGE}#")]
    return frames.cite((exact or own)[:1])


def _reasons(toolbox: Toolbox, framework: Framework) -> str:
    """ "the Zoom Level Problem [3], ... and the Economics Shift [7]", each cited to its own page."""
    named = []
    for reason in framework.stall_reasons:
        explained = toolbox.call("explain_stall_reason", stall_reason_id=reason.id)
        markers: list[int] = explained.data["markers"] if explained.ok else []
        named.append(f"{reason.name}{frames.cite(markers[:1])}")
    return frames.join_words(named)


def _audience(text: str) -> str:
    """Who the framing is for, as the heading names them: "the board", "your boss", else "leadership"."""
    match = _AUDIENCE.search(text)
    word = match.group(1).lower() if match else ""
    if word == "board":
        return "the board"
    if word == "boss":
        return "your boss"
    return "the steering group" if word.startswith("steering") else "leadership"


_NEXT_WITH_QUESTIONS = (
    "The next step is to check which of these applies here: the questions below narrow it down, and the "
    "guided self-assessment gives a scored view of pilot-stage against production-stage readiness."
)
_NEXT_WITHOUT_STORY = (
    "The next step is to check which of these applies here: tell me in a few sentences what happened after "
    "the pilot (who was meant to use it, what got in the way), or take the guided self-assessment for a "
    "scored view of pilot-stage against production-stage readiness."
)


def briefing_answer(toolbox: Toolbox, framework: Framework, question: str) -> Draft:
    """The framing alone, for a request for words with no story to diagnose yet ("what do I tell my
    board?"): never refused as off topic, since it is the question a stalled rollout raises first."""
    text = briefing(toolbox, framework, question, next_step=_NEXT_WITHOUT_STORY)
    return Draft(text, follow_ups=["Start the self-assessment", "What does a pilot prove?"])


def briefing(
    toolbox: Toolbox, framework: Framework, story: str, next_step: str = _NEXT_WITH_QUESTIONS
) -> str:
    """The framing for `story`'s audience, as a Markdown section: a heading and four bullets, each a full
    sentence; `next_step` is the last bullet's text."""
    proves = _section(toolbox, "what a pilot proves", "what-a-pilot-proves")
    does_not = _section(
        toolbox,
        "a pilot says nothing about other teams, sites, workflows or costs at full volume",
        "what-a-pilot-does-not-prove",
    )
    total = frames.count_word(len(framework.stall_reasons))
    lines = [
        f"**What you can tell {_audience(story)} now**",
        "- **What the pilot proved.** The technology can handle this problem, with the pilot's people and in "
        f"the pilot's conditions; that is valuable, and it is where the pilot's evidence ends{proves}.",
        "- **What it did not prove.** It did not show that other teams and sites have the same conditions, "
        "that the work around the AI can absorb it without people carrying inputs and outputs by hand, or "
        f"that the costs still add up at full volume{does_not}.",
        f"- **Why rollouts usually stall.** The framework names {total} reasons: "
        f"{_reasons(toolbox, framework)}.",
        f"- **What happens next.** {next_step}",
    ]
    return "\n".join(lines[:1]) + "\n\n" + "\n".join(lines[1:])
