"""Reports from real scoring output: Markdown, PDFs parsed back with pypdf, the chart, advice export."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from keysmith.diagnosis import full_report
from keysmith.framework import Framework, load_framework
from keysmith.report import (
    ReportError,
    advice_markdown,
    advice_pdf,
    assessment_markdown,
    assessment_pdf,
    variable_names,
)
from keysmith.report.assessment import num, pct, whole
from keysmith.report.charts import ChartError, chart_png, chart_rows, score_chart
from keysmith.report.doc import ChartSpot, Paragraph, ReportDoc, Section
from keysmith.report.pdf import find_unicode_font, render_pdf
from keysmith.store import Store
from keysmith.store.records import Draft

ROOT = Path(__file__).resolve().parents[1]
CREATED = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
SOURCES = [
    {
        "id": "governance-vacuum#oversight",
        "source": "knowledge/governance-vacuum.md",
        "heading": "Governance > Oversight",
    },
    {
        "id": "zoom-level-problem#macro",
        "source": "knowledge/zoom-level-problem.md",
        "heading": "Zoom Level > Macro",
    },
    {"id": "governance-vacuum#oversight", "source": "knowledge/governance-vacuum.md", "heading": "duplicate"},
]
SECTIONS = (
    "Summary",
    "Scores by profile",
    "Weight shift",
    "Levers, ranked by gain",
    "Omissions (not answered)",
    "Likely stall reasons, with evidence",
    "Solution archetypes",
    "Sources",
    "Appendix: raw answers",
)


@pytest.fixture(scope="module")
def framework() -> Framework:
    return load_framework(ROOT / "knowledge" / "framework")


@pytest.fixture(scope="module")
def stalled(framework: Framework) -> dict[str, Any]:
    answers = json.loads((ROOT / "examples" / "stalled_rollout.json").read_text())["answers"]
    return full_report(answers, framework)


def _md(report: Mapping[str, Any], framework: Framework | None, **overrides: Any) -> str:
    inputs: dict[str, Any] = {
        "title": "Invoice AI rollout",
        "model_used": "offline",
        "sources": SOURCES,
        "created": CREATED,
        "framework": framework,
    }
    return assessment_markdown(report, report["answers"], **{**inputs, **overrides})


def _pdf(report: Mapping[str, Any], framework: Framework | None, **overrides: Any) -> bytes:
    inputs: dict[str, Any] = {
        "title": "Invoice AI rollout",
        "model_used": "openai:gpt-4o-mini",
        "sources": SOURCES,
        "created": CREATED,
        "framework": framework,
    }
    return assessment_pdf(report, report["answers"], **{**inputs, **overrides})


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def _pdf_images(data: bytes) -> list[Any]:
    return [image for page in PdfReader(io.BytesIO(data)).pages for image in page.images]


def _numbers_in(value: Any) -> Iterator[float]:
    """Every number value in the report dict."""
    if isinstance(value, bool):
        return
    if isinstance(value, int | float):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _numbers_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _numbers_in(item)


# -- Markdown ---------------------------------------------------------------------------------------------


def test_markdown_has_every_section_and_the_scores(stalled: dict[str, Any], framework: Framework) -> None:
    md = _md(stalled, framework)
    for heading in SECTIONS:
        assert f"\n## {heading}\n" in md, heading
    pilot, production = stalled["profiles"]["pilot"], stalled["profiles"]["production"]
    assert f"Pilot stage: {whole(pilot['score'])} / 100, resting on {pct(pilot['coverage'])}" in md
    assert f"Production rollout: {whole(production['score'])} / 100" in md
    assert f"changes by {whole(stalled['weight_shift']['score_change'], signed=True)} points" in md
    for rank, lever in enumerate(stalled["levers"], start=1):
        name = framework.variable(lever["variable"]).name
        assert f"| {rank} | {name} | {lever['answer']} / 5 | {whole(lever['gain'])} |" in md


def test_markdown_lists_omissions_stall_reasons_archetypes_and_sources(
    stalled: dict[str, Any], framework: Framework
) -> None:
    md = _md(stalled, framework)
    assert stalled["omissions"] and stalled["stall_reasons"] and stalled["archetypes"]
    for omission in stalled["omissions"]:
        assert f"- {framework.variable(omission['variable']).name}: {omission['reason']}" in md
    likely = md.split("## Likely stall reasons, with evidence")[1].split("\n## ")[0]
    assert "*Zoom Level Problem*" in likely and "*Input-Output Mismatch*" in likely
    evidence = "Data infrastructure is weak (2 of 5); Process integration is very weak (1 of 5)."
    assert f"- Evidence: {evidence}" in likely
    assert "- Evidence: Change management is weak (2 of 5)." in likely
    assert "Economics" not in likely  # answered 3: no evidence of a stall, so not listed
    assert "Could not be judged, because a question behind it was not answered: Governance Vacuum" in likely
    for archetype in stalled["archetypes"]:
        assert f"- {archetype['name']}: Suggested because " in md
    assert (
        "- \\[1\\] Governance \\> Oversight — knowledge/governance-vacuum.md (governance-vacuum#oversight)"
        in md
    )
    assert "- \\[2\\] Zoom Level \\> Macro" in md and "duplicate" not in md


def test_markdown_appendix_has_raw_answers_and_model_but_no_formula_id(
    stalled: dict[str, Any], framework: Framework
) -> None:
    md = _md(stalled, framework, model_used="openai-compatible:llama3@http://localhost:8000/v1")
    appendix = md.split("## Appendix: raw answers", 1)[1]
    for variable_id, value in stalled["answers"].items():
        shown = "don't know" if value is None else f"{value} / 5"
        assert f"| {variable_id} | {framework.variable(variable_id).name} | {shown} |" in appendix
    assert stalled["formula_version"] not in md and "Formula" not in md  # kept in the JSON only
    assert "- Model used: openai-compatible:llama3@http://localhost:8000/v1" in appendix
    assert "- **Created:** 2026-11-27 09:30 UTC" in md


def test_scores_points_and_gains_in_the_report_are_whole_numbers(
    stalled: dict[str, Any], framework: Framework
) -> None:
    numbers = list(_numbers_in(stalled))
    in_strings = set(re.findall(r"-?\d+\.\d+", json.dumps(stalled)))  # e.g. diagnosis evidence text
    md = _md(stalled, framework)
    assert any(num(v) != whole(v) for v in numbers), "the report dict holds fractional scores"
    decimals = set(re.findall(r"(?<![\w.])-?\d+\.\d+(?!%)", md))  # shares such as 12.5% may keep one
    assert decimals <= in_strings, decimals - in_strings
    assert f"| {whole(stalled['levers'][0]['production_score_after'])} |" in md


def test_markdown_escapes_user_text(stalled: dict[str, Any], framework: Framework) -> None:
    evil = "[click](http://evil.example) <script>alert(1)</script> | *bold*\n# heading"
    source = {"id": "x", "source": "client document: <img src=x>", "heading": "[a](javascript:alert(1))"}
    md = _md(stalled, framework, title=evil, sources=[source])
    title_line = (
        "# \\[click\\](http://evil.example) \\<script\\>alert(1)\\</script\\> \\| \\*bold\\* # heading\n"
    )
    assert md.startswith(title_line)
    assert "- \\[1\\] \\[a\\](javascript:alert(1)) — client document: \\<img src=x\\> (x)\n" in md
    assert "\n# heading" not in md
    assert md.startswith("# \\[click\\](http://evil.example) \\<script\\>")


def test_markdown_is_deterministic_and_works_without_a_framework(stalled: dict[str, Any]) -> None:
    first, again = _md(stalled, None), _md(stalled, None)
    assert first == again
    assert "| Data infrastructure | 2 / 5 |" in first  # ids humanised when no framework is given


def test_an_all_dont_know_report_renders_without_scores(framework: Framework) -> None:
    empty = full_report(dict.fromkeys(framework.variable_ids), framework)
    md = _md(empty, framework)
    assert "Pilot stage: no score yet" in md and "Production rollout: no score yet" in md
    assert md.count("don't know") >= len(framework.variable_ids)
    text = _pdf_text(_pdf(empty, framework))
    assert "no score yet" in text


# -- PDF --------------------------------------------------------------------------------------------------


def test_pdf_holds_the_scores_sections_and_the_chart_png(
    stalled: dict[str, Any], framework: Framework
) -> None:
    data = _pdf(stalled, framework)
    assert data.startswith(b"%PDF-")
    text = _pdf_text(data)
    for heading in SECTIONS:
        assert heading in text, heading
    for profile in stalled["profiles"].values():
        assert f"{whole(profile['score'])} / 100" in text and num(profile["score"]) not in text
    assert whole(stalled["levers"][0]["gain"]) in text
    assert stalled["formula_version"] not in text and "openai:gpt-4o-mini" in text
    assert "governance-vacuum#oversight" in text
    images = _pdf_images(data)
    assert len(images) == 1
    assert images[0].image.width > 600  # the rendered Altair chart, not a stray icon


def _png(width: int, height: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (122, 156, 198)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("with_png", [True, False], ids=["png-chart", "drawn-bars"])
def test_the_chart_caption_is_never_stranded_on_the_next_page(
    stalled: dict[str, Any], framework: Framework, with_png: bool
) -> None:
    """Wherever the chart falls on the first page, its caption is on the page where the chart ends.

    The PNG is a small stand-in with the real chart's shape (1400 x 938 px): the layout depends only on the
    aspect ratio, and a small image keeps 36 renders quick. 36 lines of text fill the first page."""
    names = variable_names(stalled, framework)
    png = _png(140, 94) if with_png else None
    caption = "Pilot vs production: each variable's points"
    for lines in range(0, 36):
        blocks = (*(Paragraph(f"Line {i}") for i in range(lines)), ChartSpot(caption))
        doc = ReportDoc("Report", (), (Section("Scores", blocks),))
        rows = chart_rows(stalled, names)
        data = render_pdf(doc, created=CREATED, chart_png=png, chart_rows=rows, find_fonts=False)
        pages = [(page.extract_text() or "", len(page.images)) for page in PdfReader(io.BytesIO(data)).pages]
        caption_page = next(i for i, (text, _) in enumerate(pages) if caption in text)
        if with_png:
            chart_page = next(i for i, (_, images) in enumerate(pages) if images)
        else:  # the last bar drawn is the last variable's
            chart_page = max(i for i, (text, _) in enumerate(pages) if "Economics at scale" in text)
        assert caption_page == chart_page, f"{lines} lines before the chart"


def test_pdf_metadata(stalled: dict[str, Any], framework: Framework) -> None:
    reader = PdfReader(io.BytesIO(_pdf(stalled, framework, title="Regional rollout")))
    assert reader.metadata is not None
    assert reader.metadata.title == "Regional rollout" and reader.metadata.creator == "Keysmith"


def _failing_renderer(spec: Mapping[str, Any]) -> bytes:
    raise ChartError("no renderer here")


@pytest.mark.parametrize("renderer", [None, _failing_renderer], ids=["no-renderer", "renderer-fails"])
def test_pdf_draws_bars_when_no_png_can_be_made(
    stalled: dict[str, Any], framework: Framework, renderer: Any
) -> None:
    data = _pdf(stalled, framework, chart_renderer=renderer)
    assert _pdf_images(data) == []
    text = _pdf_text(data)
    assert "Pilot stage" in text and "Production rollout" in text
    assert "not answered" in text  # governance is unanswered: labelled, no bar
    pilot_points = [c["points"] for c in stalled["profiles"]["pilot"]["contributions"] if c["points"]]
    assert all(f"{p:g}" in text for p in pilot_points)


def test_chart_spec_comes_from_the_report_and_renders_offline(
    stalled: dict[str, Any], framework: Framework
) -> None:
    spec = score_chart(stalled, variable_names(stalled, framework)).to_dict()
    values = spec["data"].get("values") or spec["datasets"][spec["data"]["name"]]
    assert len(values) == 2 * len(framework.variable_ids)
    technology = {v["stage_id"]: v["points"] for v in values if v["variable"] == "Technology fit"}
    contributions = {p: stalled["profiles"][p]["contributions"] for p in ("pilot", "production")}
    expected = {
        p: next(c["points"] for c in cs if c["variable"] == "technology_fit")
        for p, cs in contributions.items()
    }
    assert technology == expected
    png = chart_png(spec)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_chart_png_reports_a_bad_spec_as_chart_error() -> None:
    with pytest.raises(ChartError, match="chart rendering failed"):
        chart_png({"mark": "no-such-mark", "data": {"values": []}})


UNICODE_TITLE = "Größe — Ünïcödé “quotes” ✓ Ελληνικά Кириллица"


def test_pdf_unicode_with_a_ttf_font(stalled: dict[str, Any], framework: Framework) -> None:
    if find_unicode_font() is None:
        pytest.skip(
            "no Unicode TTF installed: `apt-get install fonts-dejavu-core` (the PDF falls back to latin-1)"
        )
    text = _pdf_text(_pdf(stalled, framework, title=UNICODE_TITLE + " 🧭 \u202eRTL\u202c \x07"))
    assert UNICODE_TITLE in " ".join(text.split())


def test_pdf_without_a_unicode_font_replaces_what_latin1_cannot_show() -> None:
    doc = ReportDoc(title=UNICODE_TITLE, meta=(), sections=(Section("Body", (Paragraph("naïve café ✓"),)),))
    text = _pdf_text(render_pdf(doc, created=CREATED, find_fonts=False))
    assert "Größe ? Ünïcödé ?quotes? ?" in text and "naïve café ?" in text


# -- advice -----------------------------------------------------------------------------------------------

ADVICE_BODY = (
    "# Where to start\n\n"
    "The rollout stalls at the seams [framework].\n\n"
    "- Fund the data pipeline first [score]\n"
    "- Read [the plan](https://example.org/plan) with **care** [client document]\n\n"
    "My view: start in two regions [coach judgment]."
)


@pytest.fixture
def draft_store(tmp_path: Path) -> Iterator[tuple[Store, str]]:
    store = Store(f"sqlite:///{tmp_path / 'k.db'}")
    yield store, store.create_workspace("Acme GmbH").id
    store.close()


def test_unapproved_advice_is_refused(draft_store: tuple[Store, str]) -> None:
    store, ws = draft_store
    draft = store.save_draft(ws, "memo", ADVICE_BODY)
    for export in (advice_markdown, advice_pdf):
        with pytest.raises(ReportError, match=f"draft '{draft.id}' is not approved"):
            export(draft, client="Acme GmbH")
    approved = store.approve_draft(ws, draft.id)
    edited = store.save_draft(ws, "memo", ADVICE_BODY + " More.", draft_id=approved.id)
    with pytest.raises(ReportError, match="not approved"):
        advice_markdown(edited, client="Acme GmbH")


def test_approved_advice_as_markdown_and_pdf(draft_store: tuple[Store, str]) -> None:
    store, ws = draft_store
    sources = [SOURCES[0], "client document: rollout-plan.docx"]
    draft = store.save_draft(ws, "email", ADVICE_BODY, title="Next steps for Acme", sources=sources)
    approved = store.approve_draft(ws, draft.id)
    md = advice_markdown(approved, client="Acme GmbH")
    assert md.startswith("# Next steps for Acme\n")
    assert "- **Client:** Acme GmbH" in md and "- **Kind:** email" in md and "- **Approved:** " in md
    assert ADVICE_BODY in md  # the coach's approved text, exactly
    assert "\\[coach judgment\\] the coach's own view" in md
    assert "governance-vacuum#oversight" in md and "client document: rollout-plan.docx" in md
    text = _pdf_text(advice_pdf(approved, client="Acme GmbH"))
    assert "Next steps for Acme" in text and "Where to start" in text
    assert "the plan (https://example.org/plan) with care [client document]" in text
    assert "**" not in text and "My view: start in two regions [coach judgment]." in text


def test_advice_from_a_plain_draft_record() -> None:
    draft = Draft(
        id="d1",
        workspace_id="w",
        kind="memo",
        title="",
        body="Short memo.",
        status="approved",
        approved_at=CREATED,
        sources=[],
        created=CREATED,
        updated=CREATED,
    )
    md = advice_markdown(draft, client="Beta | Co")
    assert md.startswith("# Advice for Beta \\| Co\n") and "2026-11-27 09:30 UTC" in md
    assert "No framework passage was cited" in md


def test_each_likely_reason_cites_the_passage_the_page_showed(
    stalled: dict[str, Any], framework: Framework
) -> None:
    mismatch = {"id": "input-output-mismatch#x", "source": "knowledge/input-output-mismatch.md"}
    shown = [
        {**SOURCES[1], "reason": "zoom_level"},
        {**mismatch, "heading": "Mismatch", "reason": "input_output_mismatch"},
    ]
    md = _md(stalled, framework, sources=shown)
    assert "- Framework passage: Zoom Level \\> Macro \\[1\\]" in md
    assert "- Framework passage: Mismatch \\[2\\]" in md
    assert "No framework passage was cited" not in md
    text = " ".join(_pdf_text(_pdf(stalled, framework, sources=shown)).split())
    assert "Framework passage: Zoom Level > Macro [1]" in text and "Framework passage: Mismatch [2]" in text


def test_chart_labels_an_answer_of_1_apart_from_an_unanswered_variable(framework: Framework) -> None:
    from keysmith.diagnosis import full_report

    report = full_report({"technology_fit": 1, "team_capability": 3}, framework)
    spec = score_chart(report, variable_names(report, framework)).to_dict()
    values = spec["datasets"][spec["data"]["name"]]
    labels = {(v["variable"], v["stage_id"]): (v["label"], v["at"]) for v in values}
    assert labels["Technology fit", "pilot"] == ("answer 1", 0.0)  # 0 points, but labelled
    assert labels["Governance", "pilot"] == ("not answered", 0.0)
    bars, text = spec["layer"]
    assert text["mark"]["type"] == "text" and text["encoding"]["text"]["field"] == "label"
    assert bars["encoding"]["y"]["axis"]["labelLimit"] == 0  # names such as "Change management" are whole
    assert chart_png(spec).startswith(b"\x89PNG")
