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


class ChartError(KeysmithError):
    """The chart could not be rendered (the report then draws a plain bar chart instead)."""


def chart_rows(report: Mapping[str, Any], names: Mapping[str, str]) -> list[dict[str, Any]]:
    """One row per (variable, stage): its points under that profile (None when not answered)."""
    rows: list[dict[str, Any]] = []
    profiles = report.get("profiles") or {}
    for stage in ("pilot", "production"):
        profile = profiles.get(stage)
        if not profile:
            continue
        label = str(profile.get("name") or stage)
        for item in profile.get("contributions", []):
            variable = str(item["variable"])
            rows.append(
                {
                    "variable": names.get(variable, variable),
                    "stage": label,
                    "stage_id": stage,
                    "points": item.get("points"),
                    "weight": item.get("weight"),
                }
            )
    return rows


def score_chart(report: Mapping[str, Any], names: Mapping[str, str]) -> alt.Chart:
    """Grouped horizontal bars: each variable's points in the pilot and in the production profile."""
    rows = chart_rows(report, names)
    stages = list(dict.fromkeys(r["stage"] for r in rows))
    colours = [STAGE_COLOURS.get(r["stage_id"], "#888888") for r in {r["stage"]: r for r in rows}.values()]
    order = list(dict.fromkeys(r["variable"] for r in rows))
    chart: alt.Chart = (
        alt.Chart(alt.InlineData(values=rows), title="Points per variable: pilot vs production")
        .mark_bar()
        .encode(
            x=alt.X(
                "points:Q", title="points of the profile score (the bars of a profile add up to its score)"
            ),
            y=alt.Y("variable:N", sort=order, title=None),
            yOffset=alt.YOffset("stage:N", sort=stages),
            color=alt.Color(
                "stage:N", sort=stages, scale=alt.Scale(domain=stages, range=colours), title=None
            ),
            tooltip=["variable:N", "stage:N", "points:Q", alt.Tooltip("weight:Q", format=".0%")],
        )
        .properties(width=460)
    )
    return chart


def chart_png(spec: Mapping[str, Any]) -> bytes:
    """Render a Vega-Lite spec to PNG bytes with vl-convert (offline); `ChartError` if it fails."""
    try:
        png = vlc.vegalite_to_png(dict(spec), scale=2)
    except Exception as exc:  # vl-convert raises plain ValueError/RuntimeError from Rust
        raise ChartError(f"chart rendering failed: {exc}") from None
    if not isinstance(png, bytes) or not png.startswith(b"\x89PNG"):
        raise ChartError("chart rendering failed: vl-convert returned no PNG")
    return png
