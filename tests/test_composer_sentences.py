"""Every sentence the offline composer writes reads as a sentence (issue 13, item 4), over the eval sets.

The frames are tested with the answers to every story of the eval sets (evals/datasets/scenarios*.yaml and
blind_*.yaml, controls included) through the offline Assistant, and to the retrieval and abstention sets'
questions (the explanation frames), not a few fixtures: no sentence may be a verbless list of noun phrases
("Change management (…), organisational readiness (…) and team capability (…). [2]"), and no suggested
follow-up may template a file name, a path or a page id into a question ("How does
northwind-rollout-status.docx show up in a stalled AI rollout?").

Failure messages name case ids and line numbers only: the blind sets' stories must not leak into logs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from keysmith.answer import Answer
from keysmith.assistant import Assistant
from keysmith.composer.frames import reads_as_sentence
from keysmith.config import Settings
from keysmith.ingest import add_client_document

DATASETS = Path(__file__).resolve().parents[1] / "evals" / "datasets"
# A line that is only a heading ("**What is likely happening**") or only a label is not a sentence to check.
_HEADING = re.compile(r"^\*\*[^*]+\*\*:?$")
_QUOTE = re.compile(r'"[^"]*"|“[^”]*”')
_LIST_MARKER = re.compile(r"^(?:[-*+]|\d+[.)])\s+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(*])")
_FILE_NAME = re.compile(r"\b[\w-]+\.(?:docx?|pdf|md|txt|csv|xlsx?|pptx?|ya?ml|json)\b|knowledge/|#", re.I)
_SLUG = re.compile(r"\b[a-z]+(?:-[a-z]+){2,}\b")  # a page id such as zoom-level-problem


def _cases() -> Iterator[tuple[str, str]]:
    """(case id, text) for every story and control of the story sets, and every question of the
    retrieval and abstention sets."""
    for path in sorted([*DATASETS.glob("scenarios*.yaml"), *DATASETS.glob("blind_*.yaml")]):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for group in ("scenarios", "controls"):
            for case in data.get(group) or []:
                yield f"{path.stem}:{case['id']}", str(case["story"])
    retrieval = yaml.safe_load((DATASETS / "retrieval.yaml").read_text(encoding="utf-8"))
    abstention = yaml.safe_load((DATASETS / "abstention.yaml").read_text(encoding="utf-8"))
    for case in [*retrieval["queries"], *retrieval["off_topic"], *abstention["cases"]]:
        yield f"questions:{case['id']}", str(case["question"])


def _sentences(answer: str) -> Iterator[tuple[int, str]]:
    """(line number, sentence) for each sentence of `answer`: headings left out, list markers dropped, and a
    parenthesis after a question ("...? (Governance)") kept with the question it tags."""
    for number, line in enumerate(answer.splitlines(), start=1):
        # The user's own words in quotes are theirs, not a frame's: never split a sentence inside them.
        quoted = _QUOTE.sub(lambda m: re.sub(r"[.!?]", ",", m.group(0)), line.strip())
        text = _LIST_MARKER.sub("", quoted)
        if not text or _HEADING.match(text):
            continue
        sentences: list[str] = []
        for sentence in _SENTENCE.split(text):
            if sentences and re.fullmatch(r"\([^()]*\)[.]?", sentence.strip()):
                sentences[-1] += f" {sentence}"
            elif sentence.strip(" *-"):
                sentences.append(sentence)
        yield from ((number, s) for s in sentences)


@pytest.fixture(scope="module")
def assistant(indexed_settings: Settings) -> Assistant:
    return Assistant.from_settings(indexed_settings)


@pytest.fixture(scope="module")
def answers(assistant: Assistant) -> dict[str, Answer]:
    """The offline answer to every case (each asked once for the module)."""
    found = {case_id: assistant.ask(text) for case_id, text in _cases()}
    assert len(found) > 150, f"only {len(found)} eval cases found in {DATASETS}"
    return found


def test_every_composed_sentence_has_a_verb(answers: dict[str, Answer]) -> None:
    verbless = [
        f"{case_id} line {number}"
        for case_id, answer in answers.items()
        for number, sentence in _sentences(answer.answer)
        if not reads_as_sentence(sentence)
    ]
    assert not verbless, f"{len(verbless)} verbless sentences (ids only): {verbless[:20]}"


def test_follow_ups_are_questions_without_file_names_or_page_ids(answers: dict[str, Answer]) -> None:
    bad = [
        f"{case_id} follow-up {index}"
        for case_id, answer in answers.items()
        for index, follow_up in enumerate(answer.follow_ups, start=1)
        if _FILE_NAME.search(follow_up) or _SLUG.search(follow_up) or not reads_as_sentence(follow_up)
    ]
    assert not bad, f"{len(bad)} follow-ups template a name or are no sentence (ids only): {bad[:20]}"


def test_the_checks_catch_the_faults_the_issue_found() -> None:
    """The checks above can fail: the two sentences issue 13 quoted are caught."""
    assert not reads_as_sentence(
        "Change management (retraining), organisational readiness (leaders) and team capability (skills). [2]"
    )
    assert _FILE_NAME.search("How does northwind-rollout-status.docx show up in a stalled AI rollout?")
    assert reads_as_sentence("**Governance Vacuum.** Nobody owns the model once the pilot team moves on. [1]")


def test_a_client_document_is_never_templated_into_a_follow_up(
    assistant: Assistant, indexed_settings: Settings
) -> None:
    workspace = "ws-sentences-test"
    add_client_document(
        indexed_settings,
        workspace,
        "northwind-rollout-status.docx",
        "Rollout status. The invoice AI is live in two of twelve regions. Regional finance teams say the "
        "coding it produces must be retyped into the ERP by hand, so adoption has stalled.",
    )
    for question in ("What does the rollout status say about the ERP?", "What is the rollout status?"):
        answer = assistant.ask(question, workspace_id=workspace)
        assert not any(_FILE_NAME.search(f) for f in answer.follow_ups), answer.follow_ups
