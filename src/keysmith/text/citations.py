"""The citation marker: `[1]` or `[1, 2]` in answer text, pointing to a passage handed out in that turn.

One pattern for the guards and the renumbering in `guards.finish`. A Markdown link's label (`[x](url)`) and
a reference definition (`[1]: url`) are not markers. Standard library only.
"""

from __future__ import annotations

import re

MARKER_GROUP = re.compile(r"\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\](?![(:])")


def marker_numbers(group: str) -> list[int]:
    """The numbers of one marker group's inner text: "1, 3" -> [1, 3]."""
    return [int(part) for part in group.split(",")]
