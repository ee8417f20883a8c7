"""Feedback export as CSV, safe to open in a spreadsheet.

A cell that starts with `=`, `+`, `-`, `@` (or a tab / carriage return, which some spreadsheets skip before
reading a formula) is prefixed with `'` so a spreadsheet shows it as text instead of running it as a formula
(CSV formula injection). Answers and reasons are user- and model-written text, so every text cell is guarded.
"""

from __future__ import annotations

import csv
import io

from keysmith.store.records import Feedback, Message

FEEDBACK_COLUMNS = (
    "feedback_id",
    "created",
    "workspace_id",
    "session_id",
    "message_id",
    "rating",
    "reason",
    "answer_mode",
    "answer",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def guard_cell(value: str) -> str:
    """`value` with a leading `'` when a spreadsheet would read it as a formula."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def feedback_csv(rows: list[tuple[Feedback, Message]]) -> str:
    """CSV text: a header row (`FEEDBACK_COLUMNS`) then one row per feedback, oldest first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(FEEDBACK_COLUMNS)
    for feedback, message in rows:
        cells = (
            feedback.id,
            feedback.created.isoformat(),
            feedback.workspace_id,
            feedback.session_id,
            feedback.message_id,
            feedback.rating,
            feedback.reason,
            message.mode,
            message.content,
        )
        writer.writerow([guard_cell(cell) for cell in cells])
    return buffer.getvalue()
