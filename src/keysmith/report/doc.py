"""A small document model shared by the Markdown and PDF renderers, and the Markdown renderer itself.

A report is built once as a `ReportDoc` (title, metadata lines, sections of paragraphs, bullet lists, tables
and a chart placeholder) and rendered twice, so the Markdown and the PDF always say the same thing.
Text in the model is plain (no Markdown syntax); the Markdown renderer escapes it, so a title or a cited
heading can never inject links, HTML or table breaks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Inline syntax that could start emphasis, code, links, HTML or break a table cell; `_` only at word edges
# (GFM ignores it inside words, so `change_management` stays readable).
_MD_SPECIAL = re.compile(r"([\\`*\[\]<>|~]|(?<!\w)_|_(?!\w))")
_MD_LINE_START = re.compile(r"^([#>+=-]|\d+(?=[.)]))")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Paragraph:
    text: str
    emphasis: bool = False  # a short call-out line (rendered in italics)


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class ChartSpot:
    """Where the score chart goes (PDF: the image; Markdown: a one-line pointer to the table above)."""

    caption: str


@dataclass(frozen=True)
class Markdown:
    """Trusted Markdown written by a person (an approved advice body), passed through as it is."""

    text: str


Block = Paragraph | Bullets | Table | ChartSpot | Markdown


@dataclass(frozen=True)
class Section:
    heading: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class ReportDoc:
    title: str
    meta: tuple[tuple[str, str], ...]  # (label, value) lines under the title
    sections: tuple[Section, ...] = field(default_factory=tuple)


def plain(text: object) -> str:
    """Text without control characters (newlines and tabs kept); anything else is turned into text."""
    return _CONTROL.sub("", str(text))


def escape_md(text: str, *, line_start: bool = True) -> str:
    """Escape Markdown syntax so `text` shows literally; newlines become spaces (one-line contexts).

    `line_start`: also escape what would open a block (heading, quote, list) at the start of a line;
    not needed inside a table cell.
    """
    escaped = _MD_SPECIAL.sub(r"\\\1", " ".join(plain(text).split()))
    if not line_start:
        return escaped
    return _MD_LINE_START.sub(
        lambda m: m.group(1) + "\\" if m.group(1)[0].isdigit() else "\\" + m.group(1), escaped
    )


def _table_md(table: Table) -> list[str]:
    lines = ["| " + " | ".join(escape_md(h, line_start=False) for h in table.header) + " |"]
    lines.append("|" + "|".join("---" for _ in table.header) + "|")
    lines.extend("| " + " | ".join(escape_md(c, line_start=False) for c in row) + " |" for row in table.rows)
    return lines


def _block_md(block: Block) -> list[str]:
    if isinstance(block, Paragraph):
        text = escape_md(block.text)
        return [f"*{text}*" if block.emphasis else text]
    if isinstance(block, Bullets):
        return [f"- {escape_md(item)}" for item in block.items]
    if isinstance(block, Table):
        return _table_md(block)
    if isinstance(block, ChartSpot):
        return [f"*{escape_md(block.caption)}: the chart is in the PDF; the numbers are in the table.*"]
    return [plain(block.text).strip()]


def render_markdown(doc: ReportDoc) -> str:
    """The document as GitHub-flavoured Markdown, ending with one newline."""
    lines = [f"# {escape_md(doc.title)}", ""]
    lines.extend(f"- **{escape_md(label)}:** {escape_md(value)}" for label, value in doc.meta)
    for section in doc.sections:
        lines.extend(["", f"## {escape_md(section.heading)}"])
        for block in section.blocks:
            lines.append("")
            lines.extend(_block_md(block))
    return "\n".join(lines).rstrip() + "\n"
