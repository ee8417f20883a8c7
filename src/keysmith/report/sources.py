"""The Sources section of a report: each cited passage once, numbered in order of first citation.

`sources` are citation dicts `{id, source, heading, ...}` or plain source strings. `source_numbers` gives
each cited id the number `sources_section` shows it under, so a section citing `[n]` matches the list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from keysmith.report.doc import Bullets, Paragraph, Section, plain


def _source_line(source: Mapping[str, Any] | str) -> tuple[str, str]:
    """(dedup key, display text) of a citation dict `{id, source, heading}` or a plain source string."""
    if isinstance(source, str):
        return source, plain(source)
    sid = str(source.get("id", ""))
    return sid, f"{plain(source.get('heading', ''))} — {plain(source.get('source', ''))} ({sid})"


def source_numbers(sources: Sequence[Mapping[str, Any] | str]) -> dict[str, int]:
    """Each cited id's number in the Sources section (`sources_section` numbers them the same way)."""
    numbers: dict[str, int] = {}
    for source in sources:
        numbers.setdefault(_source_line(source)[0], len(numbers) + 1)
    return numbers


def sources_section(sources: Sequence[Mapping[str, Any] | str]) -> Section:
    """Cited passages: `[n] heading — source (id)`; de-duplicated by id, first seen first."""
    seen: dict[str, str] = {}
    for source in sources:
        key, text = _source_line(source)
        seen.setdefault(key, text)
    if not seen:
        return Section("Sources", (Paragraph("No framework passage was cited in this session."),))
    items = tuple(f"[{n}] {text}" for n, text in enumerate(seen.values(), start=1))
    return Section("Sources", (Bullets(items),))
