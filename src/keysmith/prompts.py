"""System and task prompts: Markdown files in `prompts/` with `{placeholder}` variables.

`render(name, **variables)` is the one way to use a prompt. It fails (`PromptError`) on an unknown prompt
name, on a placeholder with no value, and on a value no placeholder uses, so a prompt and its caller cannot
drift apart silently. Literal braces are written `{{` and `}}`. Values are inserted as given (they are not
re-scanned for placeholders).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from keysmith.config import resource_dir
from keysmith.errors import KeysmithError

PROMPTS_DIR = resource_dir("prompts")  # the checkout's prompts/, or the copy shipped in the wheel
_TOKEN = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}|\{|\}")


class PromptError(KeysmithError):
    """A prompt is unknown, malformed, or rendered with missing or unused variables."""


def available(directory: Path = PROMPTS_DIR) -> list[str]:
    """The names of the prompts in `directory` (file stems), sorted."""
    return sorted(path.stem for path in directory.glob("*.md"))


@cache
def _load(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def placeholders(name: str, directory: Path = PROMPTS_DIR) -> set[str]:
    """The variable names prompt `name` expects."""
    return {match.group(1) for match in _TOKEN.finditer(_template(name, directory)) if match.group(1)}


def _template(name: str, directory: Path) -> str:
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise PromptError(f"prompt name: expected lower-case letters, digits and _, got {name!r}")
    path = directory / f"{name}.md"
    if not path.is_file():
        raise PromptError(f"prompt {name!r}: no file {path} (known: {', '.join(available(directory))})")
    return _load(path)


def render(name: str, directory: Path = PROMPTS_DIR, /, **variables: object) -> str:
    """Fill prompt `name` with `variables`; raises `PromptError` on unknown names or mismatched variables."""
    template = _template(name, directory)
    expected = placeholders(name, directory)
    missing = sorted(expected - variables.keys())
    unused = sorted(variables.keys() - expected)
    if missing or unused:
        raise PromptError(f"prompt {name!r}: missing variables {missing}, unused variables {unused}")

    def substitute(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        if match.group(1) is None:
            raise PromptError(f"prompt {name!r}: a lone {token!r} (write {token * 2} for a literal brace)")
        return str(variables[match.group(1)])

    return _TOKEN.sub(substitute, template).strip() + "\n"
