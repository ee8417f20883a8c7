"""The score card a manager reads after the self-assessment, through `AppTest` (issue 13 items 6, 7, 8).

- "Likely stall reasons" lists only reasons with an answer of 2 or lower, cites only those weak answers, and
  says which reasons could not be judged; a strong answer is never shown as evidence of a stall.
- Archetypes say why in a manager's words, not the rule that fired.
- The PDF offered for download cites the passages the page shows, and its file name is not doubled.

Real components as in test_app.py (indexed knowledge in the shared temporary data dir, real SQLite, offline).
The download buttons are watched by wrapping Streamlit's own `download_button`, so the test sees the file
name and builds the very PDF the button would serve.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from app_support import new_client, open_app
from pypdf import PdfReader
from streamlit.delta_generator import DeltaGenerator
from streamlit.testing.v1 import AppTest

# Question order: technology_fit, team_capability, data_infrastructure, process_integration, governance,
# change_management, organizational_readiness, economics.
ANSWERS = {
    "technology_fit": "3",
    "team_capability": "3",
    "data_infrastructure": "2",
    "process_integration": "3",
    "governance": "Don't know",
    "change_management": "3",
    "organizational_readiness": "3",
    "economics": "4",
}


def _switch_mode(at: AppTest, label: str) -> None:
    """Pick a mode, by the segmented control at the top or (in older layouts) the sidebar radio."""
    try:
        widget: Any = at.segmented_control(key="mode")
    except KeyError:
        widget = at.sidebar.radio(key="mode")
    widget.set_value(label).run()
    assert not at.exception, at.exception


def _downloads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Callable[[], Any]]]:
    """Record (file name, data) of every download button drawn, then draw it as usual."""
    seen: list[tuple[str, Callable[[], Any]]] = []
    original = DeltaGenerator.download_button

    def watched(self: DeltaGenerator, label: str, data: Any, file_name: str | None = None, **kw: Any) -> Any:
        seen.append((str(file_name), data))
        return original(self, label, data, file_name=file_name, **kw)

    monkeypatch.setattr(DeltaGenerator, "download_button", watched)
    return seen


def _score_card(name: str) -> AppTest:
    at = new_client(open_app(), name)
    _switch_mode(at, "Self-assessment")
    for variable_id, label in ANSWERS.items():
        at.button(key=f"answer-{variable_id}-{label}").click().run()
        assert not at.exception, at.exception
    return at


def _section(at: AppTest, heading: str) -> list[str]:
    """Markdown and captions drawn after the subheader `heading`, up to the next subheader."""
    texts: list[str] = []
    inside = False
    for element in at.main:
        kind = element.type
        if kind == "subheader" or (kind == "markdown" and getattr(element.proto, "element_type", "") == "h3"):
            inside = element.value == heading
        elif inside and kind in ("markdown", "caption"):
            texts.append(str(element.value))
    return texts


def test_likely_stall_reasons_cite_only_weak_answers_and_name_the_unjudged(
    app_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _downloads(monkeypatch)
    at = _score_card("Scorecard reasons client")
    likely = "\n".join(_section(at, "Likely stall reasons"))
    assert "**Input-Output Mismatch**" in likely and "**Zoom Level Problem**" in likely
    assert "Evidence: Data infrastructure is weak (2 of 5)." in likely
    assert "**Economics Shift**" not in likely and "Economics at scale" not in likely  # answered 4
    assert "Not signalled (every question behind it answered 3 or higher): " in likely
    assert "of 5 (strong)" not in likely and "(partly there)" not in likely
    assert (
        "Could not be judged, because a question behind it was not answered: Governance Vacuum (Governance)."
        in likely
    )
    archetypes = "\n".join(_section(at, "Solution archetypes that fit"))
    assert "**Standardization** — Suggested because data infrastructure is weak (2 of 5)." in archetypes
    assert "Rule:" not in archetypes and "Fired by" not in archetypes


def test_the_pdf_cites_the_passages_the_page_shows_under_a_single_file_name(
    app_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _downloads(monkeypatch)
    at = _score_card("My workspace")
    sources = [e.label for e in at.main.get("expander") if e.label.startswith("Source: ")]
    assert sources and not any("knowledge/" in label for label in sources)  # titles, not file paths
    names = [name for name, _ in seen]
    assert names[-2:] == ["keysmith-assessment-my-workspace.pdf", "keysmith-assessment-my-workspace.md"]
    pdf = next(data for name, data in reversed(seen) if name.endswith(".pdf"))()
    text = " ".join("\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "No framework passage was cited" not in text
    for label in sources:  # each passage shown beside a reason is cited beside it and listed in Sources
        heading = label.removeprefix("Source: ")
        assert f"Framework passage: {heading} [" in text, heading
    markdown = next(data for name, data in reversed(seen) if name.endswith(".md"))()
    assert "No framework passage was cited" not in markdown


def _page_text(at: AppTest) -> str:
    parts = [str(e.value) for e in at.main if e.type in ("markdown", "caption", "subheader", "header")]
    return "\n".join(parts + [f"{m.label} {m.value} {m.proto.delta}" for m in at.metric])


def test_scores_are_whole_numbers_and_no_formula_id_is_shown(
    app_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ANSWERS score pilot 50, production 47.06 (change -2.94); the top lever gains 17.65 (to 64.71)."""
    seen = _downloads(monkeypatch)
    at = _score_card("Whole numbers client")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Pilot stage readiness"] == "50" and metrics["Production rollout readiness"] == "47"
    assert metrics["Change pilot → production"] == "-3 points"
    levers = "\n".join(_section(at, "Biggest levers"))
    assert "raising it to 5 adds **18** production points (to 65)." in levers
    page = _page_text(at)
    assert "47.06" not in page and "17.65" not in page and "formula" not in page.lower()
    markdown = next(data for name, data in reversed(seen) if name.endswith(".md"))()
    assert "Production rollout: 47 / 100" in markdown and "changes by -3 points" in markdown
    assert "47.06" not in markdown and "weighted-mean" not in markdown and "Formula" not in markdown
    pdf = next(data for name, data in reversed(seen) if name.endswith(".pdf"))()
    text = " ".join("\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "47 / 100" in text and "47.06" not in text and "weighted-mean" not in text


def test_the_points_chart_labels_answers_and_stretches_to_the_screen(
    app_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _downloads(monkeypatch)
    at = _score_card("Chart labels client")
    charts = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    (spec,) = [s for s in charts if "Points per variable" in json.dumps(s.get("title"))]
    assert spec["width"] == "container"  # fits a 390 px screen instead of a fixed 460 px
    bars, labels = spec["layer"]
    assert bars["encoding"]["y"]["axis"]["labelLimit"] == 0  # "Change management" is never cut short
    assert labels["mark"]["type"] == "text" and labels["encoding"]["text"]["field"] == "label"
    weights = next(s for s in charts if s is not spec)
    assert weights["width"] == "container"
