"""The diagnosis interview's question bank (`knowledge/framework/interview.yaml`), read and validated.

Each question is about one assessment variable; `supports` says how much a weak reading of it points to
each stall reason. The interview itself (which question to ask, what the replies decide) is
`keysmith.diagnosis.interview`. Standard library and PyYAML only.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from keysmith.errors import KeysmithError

SKIP = "skip"
VALUES = (1, 2, 3, 4, 5)

# Typed replies, after `normal_reply`: option id -> the words that mean it. One list for the app (a typed
# reply to a waiting question) and the composer (a bare reply with no question waiting), so a word cannot
# answer a question in one place and be "no reply" in the other.
REPLY_WORDS: Mapping[str, frozenset[str]] = {
    "yes": frozenset({"yes", "y", "yeah", "yep", "yup", "yes it is", "yes they are", "yes we have"}),
    "partly": frozenset({"partly", "partially", "somewhat", "sort of", "kind of", "in part", "a bit"}),
    "no": frozenset({"no", "n", "nope", "nah", "not really", "not at all", "nobody", "no one"}),
    "not_sure": frozenset(
        {"not sure", "unsure", "maybe", "im not sure", "i am not sure", "dont know", "i dont know",
         "do not know", "no idea", "idk", "dunno"}
    ),
    SKIP: frozenset(
        {"skip", "skip it", "skip this", "skip the questions", "pass", "give me the best reading"}
    ),
}  # fmt: skip


def normal_reply(text: str) -> str:
    """Lower case, apostrophes dropped, outer punctuation and extra spaces gone: the form `REPLY_WORDS`
    holds ("I don’t know?" -> "i dont know")."""
    words = " ".join(text.lower().replace("\u2019", "'").replace("'", "").replace("_", " ").split())
    return words.strip(' .!?,;:"\u201c\u201d')


def reply_word(text: str) -> str | None:
    """The option id (or `skip`) that `text` means when it is only a quick reply, else None."""
    said = normal_reply(text)
    return next((option for option, words in REPLY_WORDS.items() if said in words), None)


class InterviewError(KeysmithError):
    """A malformed question bank, a reply that is not one of the options, or a state that cannot resume."""


@dataclass(frozen=True)
class Option:
    id: str
    label: str
    value: int | None


@dataclass(frozen=True)
class Question:
    """One quick question about `variable`; `supports` maps stall reason id -> weight (0..1)."""

    id: str
    variable: str
    text: str
    supports: Mapping[str, float]
    options: tuple[Option, ...]

    def option(self, option_id: str) -> Option:
        for option in self.options:
            if option.id == option_id:
                return option
        known = ", ".join(o.id for o in self.options)
        raise InterviewError(f"reply: expected one of {known} or {SKIP}, got {option_id!r}")

    def to_dict(self) -> dict[str, Any]:
        """The `question` field of `keysmith ask --json`."""
        options = [{"id": o.id, "label": o.label, "value": o.value} for o in self.options]
        return {"id": self.id, "text": self.text, "variable": self.variable, "options": options}


def load_question_bank(
    path: Path, variable_ids: Collection[str], reason_ids: Collection[str]
) -> tuple[Question, ...]:
    """Read and validate the bank; raises `InterviewError` naming the file, question and field."""
    data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = data.get("questions") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise InterviewError(f"{path.name}: questions: expected a non-empty list")
    reasons = set(reason_ids)
    bank = []
    for item in items:
        qid = str(item.get("id", ""))
        where = f"{path.name}: {qid or '?'}"
        if item.get("variable") not in variable_ids:
            raise InterviewError(f"{where}: variable: unknown variable {item.get('variable')!r}")
        supports = dict(item.get("supports") or {})
        for rid, weight in supports.items():
            if rid not in reasons or not isinstance(weight, int | float) or not 0 < weight <= 1:
                raise InterviewError(
                    f"{where}: supports: expected reason ids with weights in (0, 1], got {rid!r}: {weight!r}"
                )
        options = tuple(
            Option(str(o["id"]), str(o["label"]), o.get("value")) for o in item.get("options") or []
        )
        if not options or any(o.value is not None and o.value not in VALUES for o in options):
            raise InterviewError(f"{where}: options: expected options with value 1..5 or null")
        bank.append(
            Question(qid, str(item["variable"]), " ".join(str(item["text"]).split()), supports, options)
        )
    return tuple(bank)
