"""Does a text report a difficulty at all? The gate between a stall story and a message that only sounds
like one (standard library only).

A stall story says that something is wrong: a negation ("nobody uses it", "hasn't moved"), a word of
trouble ("stuck", "blocked", "worried", "complaints", "by hand"), a contrast ("but", "still", "only"), or
a cost that arrives with scale ("the grant ended", "list price", "would need a licence for each"). A
success update ("now live in all nine hospitals, usage up every month"), a budgeting question or a job ad
says none of these, yet the story readers find stall-like signals in it (costs, teams, rollouts). The words
are generic on purpose: none names a stall reason, so the gate cannot favour one reason over another.

Measured on the development sets only (never the blind ones): every story reports trouble in these words;
13 of the 32 development controls that got a diagnosis or a question report none (a success update, a
budgeting question, a job ad) and are no longer read as stories.

`outside_scope` is the second half of the gate: a message that says in so many words that no pilot has run
yet, or that no software is involved, is not a stalled AI rollout however much trouble it reports (two
development controls, a vendor shortlist and a paper rota; no development story changed its reading).
"""

from __future__ import annotations

import re

_NEGATION = (
    r"not|no|never|nobody|no one|none|nothing|nowhere|neither|nor|without|cannot|cant|wont|\w+n t|"
    r"dont|doesnt|didnt|isnt|arent|wasnt|werent|havent|hasnt|hadnt|couldnt|wouldnt|shouldnt|hardly|barely|anymore|"
    r"any more"
)
_TROUBLE = (
    r"stall\w*|stuck|block\w*|halt\w*|froze|frozen|freez\w*|paus\w*|delay\w*|slow\w*|limbo|dead|died|dying|"
    r"fail\w*|struggl\w*|problem\w*|issues?|complain\w*|refus\w*|resist\w*|worr\w*|afraid|fear\w*|doubt\w*|"
    r"angry|anger|upset|frustrat\w*|confus\w*|mess|messy|chao\w*|broke|broken|wrong|worse|worst|unable|"
    r"gave up|give up|giving up|abandon\w*|shelved?|killed|cancel\w*|wait\w*|sits|sat|sitting|drift\w*|"
    r"stopp\w*|stops|tripled|doubled|quadrupled|soar\w*|spik\w*|shock\w*|explod\w*|balloon\w*|overrun\w*|"
    r"over budget|too \w+|ignor\w*|avoid\w*|bypass\w*|workarounds?|back to|went back|push ?back|pushed back|"
    r"reject\w*|veto\w*|object\w*|concern\w*|risk\w*|scar\w*|s[ck]eptic\w*|suspicious|distrust\w*|"
    r"mistrust\w*|nightmare|headache|pain\w*|hard|difficult\w*|trouble\w*|bottleneck\w*|backlog\w*|"
    r"manual\w*|by hand|rework|errors?|mistakes?|garbage|junk|dirty|inconsistent|incompatible|lost|lose|"
    r"losing|drop\w*|fell|fall\w*|declin\w*|quiet|silen\w*|unclear|unsure|overrid\w*|why|miss\w*|retir\w*|"
    r"exceptions?|ran out|runs? out|running out|tiny|expensive|pricey|leaves|leaving|quit\w*|gone"
)
_CONTRAST = r"but|however|although|though|unless|instead|only|still|yet|whose|who owns|who signs"
# Scale costs that arrive when the pilot's subsidy ends: a story can state them without a word of trouble.
_SCALE_COST = (
    r"grants?|subsidi\w*|free tier|free credits|credits|at cost|list price|quot\w*|would need|would cost|"
    r"will cost|would mean|means|per (?:seat|user|page|call|conversation|licence|license)"
)
_PATTERN = re.compile(rf"\b(?:{_NEGATION}|{_TROUBLE}|{_CONTRAST}|{_SCALE_COST})\b", re.IGNORECASE)


# Keysmith reads stalls that follow a pilot of an AI or software system. A message whose writer says they
# have not run a pilot yet is planning, and one that says no software is involved is about something else,
# however many stall-like words it has. Both need the writer's own explicit words, and each yields to any
# sign of a real rollout story: a pilot that ran ("the pilot worked", "after the pilot"), people not using
# a tool already handed out, or an AI word beside "no software". "We never ran a proper pilot" is still a
# story (a rollout without one), so only "not ... yet" counts.
_NOT_STARTED = re.compile(
    # "we haven't run any pilot yet", "..., haven't run a pilot yet" (the subject left out after a comma)
    r"(?:\b(?:we|i|and)\s+|[,.;:!?]\s*|^)(?:have not|haven t|ve not)\s+(?:yet\s+)?"
    r"(?:run|done|started|had|launched|begun|tried)\s+(?:\w+\s+){0,2}pilots?\b"
    # "we are yet to launch a pilot", "I'm yet to start the pilot"
    r"|\b(?:we|i)(?:\s+are|\s+am|\s+re|\s+m)?\s+(?:still\s+)?yet to\s+(?:run|start|launch|begin|do|try)\s+"
    r"(?:\w+\s+){0,2}pilots?\b|\bno pilot yet\b",
    re.IGNORECASE,
)
_PILOT_RAN = re.compile(
    r"\bpilots?\s+(?:\w+\s+){0,2}(?:worked|went|ran|was|were|showed|proved|succeeded|delivered|did)\b|"
    r"\b(?:after|since|in|from|during)\s+(?:the|our|a|that)\s+pilot\b|\bpiloted\b",
    re.IGNORECASE,
)
_NOT_USED = re.compile(
    r"\b(?:nobody|no one|few|hardly anyone|nobody really)\s+(?:\w+\s+){0,2}uses?\b|\bnot using\b|"
    r"\bwon t use\b|\brefus\w*|\bignor\w*",
    re.IGNORECASE,
)
_NO_SOFTWARE = re.compile(
    r"\bno (?:software|technology|tech|app|it system)\s+(?:(?:is|was)\s+)?involved\b", re.IGNORECASE
)
_AI_WORD = re.compile(
    r"\b(?:ai|a i|model|algorithm|chatbot|bot|copilot|machine learning|llm|gpt|genai|automation|tool)\b",
    re.IGNORECASE,
)


def _plain(text: str) -> str:
    # Apostrophes become spaces, so "hasn't" and "hasn’t" both read as "hasn t".
    return text.replace("\u2019", "'").replace("'", " ")


def trouble_words(text: str) -> list[str]:
    """The words of `text` that report a difficulty (see the module docstring), in order; [] when none."""
    return [m.group(0) for m in _PATTERN.finditer(_plain(text))]


def reports_trouble(text: str) -> bool:
    """True when `text` reports any difficulty: the condition for reading it as a stall story."""
    return _PATTERN.search(_plain(text)) is not None


NOT_STARTED, NO_SOFTWARE = "not_started", "no_software"


def outside_scope(text: str) -> str | None:
    """`NOT_STARTED` when the writer says they have not run a pilot yet (and nothing says one ran or that a
    tool handed out goes unused), `NO_SOFTWARE` when they say no software is involved (and name no AI or
    tool), else None: such a message is not a stalled AI rollout, whatever else it says."""
    plain = _plain(text)
    if _NOT_STARTED.search(plain) and not (_PILOT_RAN.search(plain) or _NOT_USED.search(plain)):
        return NOT_STARTED
    if _NO_SOFTWARE.search(plain) and not _AI_WORD.search(plain):
        return NO_SOFTWARE
    return None
