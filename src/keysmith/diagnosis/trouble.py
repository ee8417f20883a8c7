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


# Keysmith reads stalls that follow a pilot of an AI or software system. A message that says the pilot has
# not run yet is planning, and one that says no software is involved is about something else, however many
# stall-like words it has. Both rules need the writer's own explicit words: "we never ran a proper pilot"
# is still a story (a rollout without one), so only "not ... yet" counts as not started.
_NOT_STARTED = re.compile(
    r"\b(?:haven t|have not|hasn t|has not)\s+(?:\w+\s+){0,2}(?:run|done|started|had|launched)\s+"
    r"(?:\w+\s+){0,2}pilots?\s+yet\b|\bno pilot yet\b|\b(?:not yet|yet to)\s+(?:run|start|started|launch|"
    r"launched|begin|begun)\b[^.?!]{0,20}\bpilot",
    re.IGNORECASE,
)
_NO_SOFTWARE = re.compile(
    r"\bno (?:software|ai|technology|tech|app|algorithm)\s+(?:(?:is|was)\s+)?involved\b|"
    r"\bnothing to do with (?:ai|software|technology)\b",
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
    """`NOT_STARTED` when `text` says in so many words that no pilot has run yet, `NO_SOFTWARE` when it says
    no software is involved (whatever else it says, it is not a stalled AI rollout), else None."""
    plain = _plain(text)
    if _NOT_STARTED.search(plain):
        return NOT_STARTED
    return NO_SOFTWARE if _NO_SOFTWARE.search(plain) else None
