"""Where the knowledge pages' facts come from: `knowledge/sources.yaml` -> an ordered registry of `Source`.

Each knowledge page names its sources in its front matter (`facts_from: [S2, S6]`); the ids must be in this
registry. A source's `kind` is `article` (the AI-pilot article the knowledge is built on), `site` (another
public article by the same author) or `background` (general context, not the framework). A missing file is
an empty registry, so a knowledge folder without provenance still loads its pages that declare none.
Errors raise `FrameworkError("<file>: sources[i].<field>: ...")`. Standard library and PyYAML only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from keysmith.framework.reading import Record, read_yaml

SOURCES_FILE = "sources.yaml"
SOURCE_KINDS = ("article", "site", "background")
_SOURCE_ID = re.compile(r"^S[0-9]+$")
_URL = re.compile(r"^https?://\S+$")


@dataclass(frozen=True)
class Source:
    """One source a knowledge page's facts come from."""

    id: str  # e.g. "S2"
    title: str
    url: str
    kind: str  # one of SOURCE_KINDS

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "title": self.title, "url": self.url, "kind": self.kind}


def load_sources(path: Path) -> Mapping[str, Source]:
    """The registry in `path` (usually `<knowledge dir>/sources.yaml`), by id in file order; {} if absent."""
    if not path.exists():
        return MappingProxyType({})
    root = Record.root(path, read_yaml(path))
    root.only({"sources"})
    found: dict[str, Source] = {}
    for item in root.records("sources"):
        item.only({"id", "title", "url", "kind"})
        source_id = item.text("id")
        if not _SOURCE_ID.match(source_id):
            item.fail("id", f"expected S followed by digits (e.g. S2), got {source_id!r}")
        if source_id in found:
            item.fail("id", f"duplicate id {source_id!r}")
        url = item.text("url")
        if not _URL.match(url):
            item.fail("url", f"expected an http(s) address, got {url!r}")
        kind = item.text("kind")
        if kind not in SOURCE_KINDS:
            item.fail("kind", f"expected one of {', '.join(SOURCE_KINDS)}, got {kind!r}")
        found[source_id] = Source(id=source_id, title=item.text("title"), url=url, kind=kind)
    return MappingProxyType(found)


def resolve(ids: str | tuple[str, ...], registry: Mapping[str, Source]) -> tuple[Source, ...]:
    """Source ids (a tuple, or stored as "S2,S6") as `Source`s; an id the registry lacks keeps its id as title
    (the index was built against an older registry) rather than failing a search."""
    names = tuple(i.strip() for i in ids.split(",")) if isinstance(ids, str) else ids
    return tuple(registry.get(i) or Source(id=i, title=i, url="", kind="") for i in names if i)
