"""Strict YAML reading for the framework files: every error names the file and the field.

`read_yaml(path)` parses with a safe loader that also rejects duplicate mapping keys (plain `safe_load`
silently keeps the last one, which would hide a typo in a weight table). `Record` wraps one mapping and
reads typed fields from it, raising `FrameworkError("<file>: <dotted.field>: ...")` on anything unexpected.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import yaml

from keysmith.errors import FrameworkError

# LibYAML's parser when PyYAML was built with it (about ten times faster: the framework loads at every start);
# the constructors, and so the duplicate-key check, are the same Python code either way.
if TYPE_CHECKING:
    _SafeBase = yaml.SafeLoader
else:
    _SafeBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_SafeBase):
    """A safe loader that refuses duplicate keys in a mapping."""


def _construct_mapping(
    loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False
) -> dict[Hashable, Any]:
    seen: set[object] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise FrameworkError(f"duplicate key {key!r} (line {key_node.start_mark.line + 1})")
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: Path) -> object:
    """Parse `path`; a missing file, bad YAML or a duplicate key raises `FrameworkError` naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FrameworkError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FrameworkError(f"{path}: cannot read: {exc}") from None
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - _StrictLoader is a SafeLoader
    except FrameworkError as exc:
        raise FrameworkError(f"{path}: {exc}") from None
    except yaml.YAMLError as exc:
        raise FrameworkError(f"{path}: invalid YAML: {' '.join(str(exc).split())}") from None


class Record:
    """One YAML mapping at a known place (`file`, dotted `where`) with typed, validated field readers."""

    def __init__(self, file: Path, where: str, data: object) -> None:
        if not isinstance(data, dict):
            kind = where or "document"
            raise FrameworkError(f"{file}: {kind}: expected a mapping, got {type(data).__name__}")
        self.file = file
        self.where = where
        self.data: dict[object, object] = data

    @classmethod
    def root(cls, file: Path, data: object) -> Record:
        return cls(file, "", data)

    def _field(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def fail(self, key: str, message: str) -> NoReturn:
        raise FrameworkError(f"{self.file}: {self._field(key)}: {message}")

    def field_names(self) -> list[str]:
        """The mapping's keys; each must be a string."""
        for key in self.data:
            if not isinstance(key, str):
                self.fail(str(key), f"expected a text key, got {key!r}")
        return [str(k) for k in self.data]

    def only(self, allowed: set[str]) -> None:
        """Reject fields outside `allowed` (catches typos such as `anchor1`)."""
        for key in self.field_names():
            if key not in allowed:
                self.fail(key, f"unknown field (expected one of: {', '.join(sorted(allowed))})")

    def _get(self, key: str) -> object:
        if key not in self.data or self.data[key] is None:
            self.fail(key, "missing required field")
        return self.data[key]

    def text(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str) or not value.strip():
            self.fail(key, f"expected non-empty text, got {value!r}")
        return " ".join(value.split())

    def texts(self, key: str, *, non_empty: bool = False) -> tuple[str, ...]:
        value = self._get(key)
        if not isinstance(value, list) or (non_empty and not value):
            self.fail(key, f"expected a {'non-empty ' if non_empty else ''}list of text, got {value!r}")
        items: list[str] = []
        for index, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                self.fail(f"{key}[{index}]", f"expected non-empty text, got {item!r}")
            items.append(" ".join(item.split()))
        if len(set(items)) != len(items):
            self.fail(key, f"duplicate entries in {items!r}")
        return tuple(items)

    def integer(self, key: str, *, minimum: int) -> int:
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.fail(key, f"expected an integer >= {minimum}, got {value!r}")
        return value

    def number(self, key: str, *, minimum: float) -> float:
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(key, f"expected a number, got {value!r}")
        number = float(value)
        if not math.isfinite(number) or number < minimum:
            self.fail(key, f"expected a finite number >= {minimum}, got {value!r}")
        return number

    def record(self, key: str, *, required: bool = True) -> Record:
        if not required and self.data.get(key) is None:
            return Record(self.file, self._field(key), {})
        return Record(self.file, self._field(key), self._get(key))

    def records(self, key: str) -> list[Record]:
        value = self._get(key)
        if not isinstance(value, list):
            self.fail(key, f"expected a list, got {type(value).__name__}")
        return [Record(self.file, f"{self._field(key)}[{i}]", item) for i, item in enumerate(value)]
