"""The pilot-vs-production score chart as an Altair spec, and that spec as a PNG (for the PDF report).

`score_chart(report, names)` builds the chart from a `full_report` dict only (the UI can show the same spec
with `st.altair_chart`); `chart_png(chart)` renders it with vl-convert, which runs offline (Vega is bundled,
no network). `ChartRenderer` is the type of a renderer so callers (and tests) can pass another one in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import altair as alt
import vl_convert as vlc

from keysmith.errors import KeysmithError

ChartRenderer = Callable[[Mapping[str, Any]], bytes]
STAGE_COLOURS = {"pilot": "#7a9cc6", "production": "#d9822b"}
LABEL_ROOM = 1.45  # the x axis runs to this multiple of the longest bar, so its label fits beside it


class ChartError(KeysmithError):
    """The chart could not be rendered (the report then draws a plain bar chart instead)."""


def answer_label(answer: object) -> str:
    """The label beside a variable's bar: `answer 1`..`answer 5`, or `not answered` (no bar at all), so an
    answer of 1 (0 points, a bar of no length) never looks like a question left out."""
    if isinstance(answer, int) and not isinstance(answer, bool):
        return f"answer {answer}"
    return "not answered"


def chart_rows(report: Mapping[str, Any], names: Mapping[str, str]) -> list[dict[str, Any]]:
    """One row per (variable, stage): its points under that profile (None when not answered), `at` (the
    points, 0 when not answered: where the label sits) and `label` (`answer_label` of the answer)."""
    rows: list[dict[str, Any]] = []
    profiles = report.get("profiles") or {}
    for stage in ("pilot", "production"):
        profile = profiles.get(stage)
        if not profile:
            continue
        label = str(profile.get("name") or stage)
        for item in profile.get("contributions", []):
            variable = str(item["variable"])
            points = item.get("points")
            rows.append(
                {
                    "variable": names.get(variable, variable),
                    "stage": label,
                    "stage_id": stage,
                    "points": points,
                    "weight": item.get("weight"),
                    "at": points or 0.0,
                    "label": answer_label(item.get("answer")),
                }
            )
    return rows


def score_chart(report: Mapping[str, Any], names: Mapping[str, str]) -> alt.LayerChart:
    """Grouped horizontal bars: each variable's points in the pilot and in the production profile, each bar
    labelled with its answer (`answer_label`); variable names are never cut short (no label limit), the x
    axis leaves room for the labels, and its title and the legend (below) keep a narrow screen's width
    free. 460 px wide for the PDF; the UI stretches it to its container."""
    rows = chart_rows(report, names)
    stages = list(dict.fromkeys(r["stage"] for r in rows))
    colours = [STAGE_COLOURS.get(r["stage_id"], "#888888") for r in {r["stage"]: r for r in rows}.values()]
    order = list(dict.fromkeys(r["variable"] for r in rows))
    top = max([float(r["at"]) for r in rows] + [1.0])
    base = alt.Chart(alt.InlineData(values=rows)).encode(
        y=alt.Y("variable:N", sort=order, title=None, axis=alt.Axis(labelLimit=0)),
        yOffset=alt.YOffset("stage:N", sort=stages),
    )
    bars = base.mark_bar().encode(
        x=alt.X(
            "points:Q",
            title=["points of the profile score", "(the bars of a profile add up to its score)"],
            scale=alt.Scale(domain=[0, top * LABEL_ROOM]),
        ),
        color=alt.Color(
            "stage:N",
            sort=stages,
            scale=alt.Scale(domain=stages, range=colours),
            title=None,
            legend=alt.Legend(orient="bottom"),
        ),
        tooltip=["variable:N", "stage:N", "label:N", alt.Tooltip("points:Q", format=".0f")],
    )
    labels = base.mark_text(align="left", baseline="middle", dx=3, fontSize=10, color="#444444").encode(
        x=alt.X("at:Q"), text=alt.Text("label:N")
    )
    return alt.LayerChart(layer=[bars, labels]).properties(
        title="Points per variable: pilot vs production", width=460
    )


def chart_png(spec: Mapping[str, Any]) -> bytes:
    """Render a Vega-Lite spec to PNG bytes with vl-convert (offline); `ChartError` if it fails."""
    try:
        png = vlc.vegalite_to_png(dict(spec), scale=2)
    except Exception as exc:  # vl-convert raises plain ValueError/RuntimeError from Rust
        raise ChartError(f"chart rendering failed: {exc}") from None
    if not isinstance(png, bytes) or not png.startswith(b"\x89PNG"):
        raise ChartError("chart rendering failed: vl-convert returned no PNG")
    return png
