"""Render a `ReportDoc` to PDF bytes with fpdf2.

Fonts: fpdf2's built-in fonts are latin-1 only, so a Unicode TrueType font is used when one is installed
(DejaVu Sans from Debian's `fonts-dejavu-core`, part of the base image and installed by .ci/run; else
Liberation Sans, or the same fonts where Fedora, Arch or macOS keep them). Without one the
report still renders, with the core Helvetica font and characters outside latin-1 shown as `?`.
The chart is the PNG the caller passes in; with no PNG a plain bar chart is drawn with fpdf2's own shapes,
so a PDF always has its chart.
"""

from __future__ import annotations

import io
import math
import re
import struct
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from keysmith.report.doc import Block, Bullets, ChartSpot, Markdown, Paragraph, ReportDoc, Table, plain

FONT_CANDIDATES: tuple[tuple[Path, Path], ...] = (
    (
        Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
        Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    ),
    (
        Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"),
        Path("/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf"),
    ),
    (  # Fedora / Arch
        Path("/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf"),
        Path("/usr/share/fonts/dejavu-sans-fonts/DejaVuSans-Bold.ttf"),
    ),
    (Path("/usr/share/fonts/TTF/DejaVuSans.ttf"), Path("/usr/share/fonts/TTF/DejaVuSans-Bold.ttf")),
    (  # macOS
        Path("/System/Library/Fonts/Supplemental/Arial Unicode.ttf"),
        Path("/System/Library/Fonts/Supplemental/Arial Bold.ttf"),
    ),
)
BAR_COLOURS = ((122, 156, 198), (217, 130, 43))
_MD_LINK = re.compile(r"\[([^\]]*)\]\(([^)]*)\)")
_MD_MARKS = re.compile(r"(\*\*|__|`)")


def find_unicode_font(candidates: Sequence[tuple[Path, Path]] = FONT_CANDIDATES) -> tuple[Path, Path] | None:
    """The first (regular, bold) TrueType pair that exists, or None."""
    return next(((r, b) for r, b in candidates if r.is_file() and b.is_file()), None)


class _Pdf:
    """fpdf2 with the document's fonts and a few layout helpers."""

    def __init__(self, fonts: tuple[Path, Path] | None) -> None:
        self.pdf = FPDF(format="A4")
        self.pdf.set_auto_page_break(auto=True, margin=15)
        self.pdf.set_margins(18, 16, 18)
        self.unicode = fonts is not None
        if fonts is not None:
            self.pdf.add_font("Body", "", str(fonts[0]))
            self.pdf.add_font("Body", "B", str(fonts[1]))
            self.family = "Body"
        else:
            self.family = "helvetica"
        self.bullet = "•" if self.unicode else "-"

    def text(self, value: object) -> str:
        """Text the current font can show (latin-1 with `?` for the rest when no Unicode font was found)."""
        cleaned = plain(value)
        return cleaned if self.unicode else cleaned.encode("latin-1", "replace").decode("latin-1")

    def font(self, size: float, bold: bool = False) -> None:
        self.pdf.set_font(self.family, "B" if bold else "", size)

    def line(self, value: object, size: float = 10.5, bold: bool = False, height: float = 5.5) -> None:
        self.font(size, bold)
        self.pdf.multi_cell(0, height, self.text(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")

    def gap(self, height: float = 2.5) -> None:
        self.pdf.ln(height)

    def bullets(self, items: Sequence[str]) -> None:
        for item in items:
            self.line(f"{self.bullet} {item}")
            self.gap(0.8)

    def table(self, table: Table) -> None:
        self.font(8.5)
        with self.pdf.table(
            borders_layout="HORIZONTAL_LINES",
            line_height=4.6,
            text_align="LEFT",
            first_row_as_headings=True,
            col_widths=_column_widths(table),
        ) as grid:
            grid.row([self.text(h) for h in table.header])
            for row in table.rows:
                grid.row([self.text(c) for c in row])


def _column_widths(table: Table) -> tuple[float, ...]:
    """Relative widths from each column's longest cell (capped; headers may wrap onto two lines)."""
    widths = []
    for index, header in enumerate(table.header):
        longest = max([len(row[index]) for row in table.rows if index < len(row)] + [len(header) // 2])
        widths.append(float(min(longest, 40) + 6))
    return tuple(widths)


def _bar(
    out: _Pdf, x: float, y: float, value: float | None, scale: float, colour: tuple[int, int, int]
) -> None:
    """One bar with its value after it; an unanswered variable gets a label and no bar."""
    pdf, height = out.pdf, 2.8
    length = 0.0 if value is None else max(value * scale, 0.3)
    if value is not None:
        pdf.set_fill_color(*colour)
        pdf.rect(x, y, length, height, style="F")
    pdf.set_xy(x + length + 1, y - 0.2)
    pdf.cell(24, height + 0.4, out.text("not answered" if value is None else f"{value:g}"))


_BAR_STEP, _BAR_GAP, _LEGEND = 3.2, 1.5, 6.0
_CAPTION_SIZE, _CAPTION_LINE = 8.5, 5.5


def _bars_height(rows: Sequence[Mapping[str, Any]]) -> float:
    """The height `_draw_bars` takes for `rows` (bars per variable, gaps, legend), in mm."""
    stages = len({str(r["stage"]) for r in rows})
    variables = len({str(r["variable"]) for r in rows})
    return variables * (_BAR_STEP * stages + _BAR_GAP) + _LEGEND


def png_aspect(png: bytes) -> float:
    """Height / width of a PNG, from its IHDR chunk; 0.6 when the bytes are not a readable PNG."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or len(png) < 24:
        return 0.6
    width, height = struct.unpack(">II", png[16:24])
    return height / width if width else 0.6


def _draw_bars(out: _Pdf, rows: Sequence[Mapping[str, Any]]) -> None:
    """A plain grouped bar chart with fpdf2 shapes (used when no PNG could be rendered)."""
    pdf = out.pdf
    stages = list(dict.fromkeys(str(r["stage"]) for r in rows))
    variables = list(dict.fromkeys(str(r["variable"]) for r in rows))
    points = {(str(r["variable"]), str(r["stage"])): r.get("points") for r in rows}
    top = max([float(v) for v in points.values() if v is not None] + [1.0])
    label_w, step = 52.0, _BAR_STEP
    scale = (pdf.epw - label_w - 26.0) / top
    out.font(8)
    for variable in variables:
        if pdf.will_page_break(step * len(stages) + 2):
            pdf.add_page()
        y = pdf.get_y()
        pdf.set_xy(pdf.l_margin, y)
        pdf.cell(label_w, step * len(stages), out.text(variable))
        for i, stage in enumerate(stages):
            value = points.get((variable, stage))
            colour = BAR_COLOURS[i % len(BAR_COLOURS)]
            _bar(
                out,
                pdf.l_margin + label_w,
                y + i * step,
                None if value is None else float(value),
                scale,
                colour,
            )
        pdf.set_y(y + step * len(stages) + _BAR_GAP)
    x = pdf.l_margin + label_w
    for i, stage in enumerate(stages):  # legend: a colour swatch and the stage name
        pdf.set_fill_color(*BAR_COLOURS[i % len(BAR_COLOURS)])
        pdf.rect(x, pdf.get_y() + 0.6, 3, 3, style="F")
        pdf.set_xy(x + 4, pdf.get_y())
        pdf.cell(pdf.get_string_width(out.text(stage)) + 8, 4.2, out.text(stage))
        x = pdf.get_x()
    pdf.set_fill_color(255, 255, 255)  # fpdf2 tables reuse the current fill colour
    pdf.ln(5)


def _caption_height(out: _Pdf, caption: str) -> float:
    out.font(_CAPTION_SIZE)
    lines = max(1, math.ceil(out.pdf.get_string_width(out.text(caption)) / out.pdf.epw))
    return lines * _CAPTION_LINE


def _chart(out: _Pdf, spot: ChartSpot, png: bytes | None, rows: Sequence[Mapping[str, Any]]) -> None:
    """The chart and its caption kept together: when both do not fit on what is left of the page, they
    start a new one (the real image height comes from the PNG, so the caption is never stranded)."""
    pdf, width = out.pdf, out.pdf.epw
    if png is None and not rows:
        out.line(spot.caption, size=_CAPTION_SIZE)
        return
    chart_height = width * png_aspect(png) if png is not None else _bars_height(rows)
    together = chart_height + _caption_height(out, spot.caption) + 1.0
    usable = pdf.h - pdf.t_margin - pdf.b_margin
    if together <= usable and pdf.will_page_break(together):
        pdf.add_page()
    if png is not None:
        pdf.image(io.BytesIO(png), w=width, h=chart_height, alt_text=spot.caption)
    else:
        _draw_bars(out, rows)
    out.line(spot.caption, size=_CAPTION_SIZE)


def _markdown(out: _Pdf, text: str) -> None:
    """A person's Markdown, laid out simply: headings, bullets and paragraphs; inline marks dropped."""
    for raw in plain(text).splitlines():
        line = _MD_MARKS.sub("", _MD_LINK.sub(r"\1 (\2)", raw)).rstrip()
        stripped = line.lstrip()
        if not stripped:
            out.gap(2)
        elif stripped.startswith("#"):
            out.gap(1.5)
            out.line(stripped.lstrip("#").strip(), size=12, bold=True)
        elif stripped[:2] in ("- ", "* ", "+ "):
            out.line(f"{out.bullet} {stripped[2:]}")
        else:
            out.line(line)


def _block(out: _Pdf, block: Block, png: bytes | None, rows: Sequence[Mapping[str, Any]]) -> None:
    if isinstance(block, Paragraph):
        out.line(block.text, bold=block.emphasis)
    elif isinstance(block, Bullets):
        out.bullets(block.items)
    elif isinstance(block, Table):
        out.table(block)
    elif isinstance(block, ChartSpot):
        _chart(out, block, png, rows)
    elif isinstance(block, Markdown):
        _markdown(out, block.text)
    out.gap()


def render_pdf(
    doc: ReportDoc,
    *,
    created: datetime,
    chart_png: bytes | None = None,
    chart_rows: Sequence[Mapping[str, Any]] = (),
    fonts: tuple[Path, Path] | None = None,
    find_fonts: bool = True,
) -> bytes:
    """The document as PDF bytes; `fonts` overrides the font search (`find_fonts=False`: core font only)."""
    out = _Pdf(fonts if fonts is not None else (find_unicode_font() if find_fonts else None))
    out.pdf.set_title(out.text(doc.title))
    out.pdf.set_creator("Keysmith")
    out.pdf.set_creation_date(created)
    out.pdf.add_page()
    out.line(doc.title, size=18, bold=True, height=8)
    out.gap(1)
    for label, value in doc.meta:
        out.line(f"{label}: {value}", size=9.5, height=5)
    for section in doc.sections:
        out.gap(3)
        out.line(section.heading, size=13.5, bold=True, height=7)
        out.gap(1)
        for block in section.blocks:
            _block(out, block, chart_png, chart_rows)
    return bytes(out.pdf.output())
