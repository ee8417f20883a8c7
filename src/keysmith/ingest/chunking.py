"""Knowledge pages -> heading-aware chunks with stable ids and content hashes.

A page is Markdown with YAML front matter (`id`, `title`, `kind`, `related_variables`, `source`, and
`facts_from`: the ids in `knowledge/sources.yaml` its facts come from; absent = none). Each `##` or
`###` section becomes one chunk (long sections are split at paragraph boundaries). A chunk's id is
`<page id>#<heading-path-slug>`: it depends only on the page id and the headings, so editing one section's
text never changes another chunk's id, and its hash changes only when its own content does.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import yaml

from keysmith.errors import FrameworkError, IngestError
from keysmith.framework.sources import SOURCES_FILE, load_sources

KINDS = frozenset({"concept", "stall_reason", "archetype", "bridge_step", "process_step", "limits"})
MAX_CHUNK_CHARS = 1400  # ~256 tokens: the embedding model truncates beyond that
INTRO_SLUG = "overview"
_PAGE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_HEADING = re.compile(r"^(#{1,3})\s+(.+?)\s*#*\s*$")


@dataclass(frozen=True)
class Page:
    """A parsed knowledge page."""

    id: str
    title: str
    kind: str
    related_variables: tuple[str, ...]
    source: str  # where the page's claims come from, e.g. "framework"
    path: str  # e.g. "knowledge/governance-vacuum.md"
    body: str
    facts_from: tuple[str, ...] = ()  # source ids (knowledge/sources.yaml), e.g. ("S2", "S6")


@dataclass(frozen=True)
class Chunk:
    """One retrievable passage. `metadata()` is what Chroma stores next to it (scalars only)."""

    id: str
    page_id: str
    source: str
    title: str
    heading: str  # "Title > Section > Subsection"
    kind: str
    related_variables: tuple[str, ...]
    text: str
    workspace_id: str = ""  # "" = framework text, shared by every workspace
    facts_from: tuple[str, ...] = ()  # the page's source ids; client documents have none
    document_hash: str = ""  # client documents: sha256 of the whole document's text (idempotent uploads)

    @property
    def embed_text(self) -> str:
        """What gets embedded: the page title gives a short section its context (measured on the labelled
        set, the title helped and the generic section headings, e.g. "What helps", did not)."""
        return f"{self.title}\n\n{self.text}"

    @property
    def hash(self) -> str:
        """sha256 over everything stored for the chunk; a change means it must be embedded again."""
        # The embedded text (title included) is part of the hash, so a change to it is re-embedded.
        payload = [
            self.id,
            self.source,
            self.heading,
            self.kind,
            self.related_variables,
            self.embed_text,
            self.facts_from,
        ]
        return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode("utf-8")).hexdigest()

    def metadata(self) -> dict[str, str]:
        extra = {"document_hash": self.document_hash} if self.document_hash else {}
        return {
            **extra,
            "page_id": self.page_id,
            "source": self.source,
            "title": self.title,
            "heading": self.heading,
            "kind": self.kind,
            "related_variables": ",".join(self.related_variables),
            "facts_from": ",".join(self.facts_from),
            "hash": self.hash,
            "workspace_id": self.workspace_id,
        }


def slugify(text: str) -> str:
    """Lower-case words joined by '-' (ASCII letters and digits only); 'section' if nothing is left."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def _split_front_matter(raw: str, name: str) -> tuple[dict[str, object], str]:
    lines = raw.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != "---":
        raise IngestError(f"{name}: missing front matter (the file must start with a '---' line)")
    try:
        end = next(i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---")
    except StopIteration:
        raise IngestError(f"{name}: front matter is not closed by a '---' line") from None
    try:
        meta = yaml.safe_load("\n".join(lines[1:end]))
    except yaml.YAMLError as exc:
        raise IngestError(f"{name}: front matter is not valid YAML: {exc}") from None
    if not isinstance(meta, dict):
        raise IngestError(f"{name}: front matter must be a mapping, got {type(meta).__name__}")
    return meta, "\n".join(lines[end + 1 :])


def _text_field(meta: dict[str, object], key: str, name: str) -> str:
    value = meta.get(key)
    if not isinstance(value, str) or not value.strip():
        raise IngestError(f"{name}: front matter: {key}: expected a non-empty string, got {value!r}")
    return value.strip()


def _variables(meta: dict[str, object], name: str, known: Collection[str]) -> tuple[str, ...]:
    value = meta.get("related_variables", [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise IngestError(f"{name}: front matter: related_variables: expected a list of ids, got {value!r}")
    unknown = [v for v in value if v not in known]
    if unknown:
        raise IngestError(f"{name}: front matter: related_variables: unknown variable {unknown[0]!r}")
    return tuple(value)


def _facts_from(meta: dict[str, object], name: str, known: Collection[str]) -> tuple[str, ...]:
    value = meta.get("facts_from", [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise IngestError(f"{name}: front matter: facts_from: expected a list of source ids, got {value!r}")
    for source_id in value:
        if source_id not in known:
            listed = ", ".join(known) or f"none: is knowledge/{SOURCES_FILE} missing?"
            raise IngestError(
                f"{name}: front matter: facts_from: unknown source {source_id!r} "
                f"(knowledge/{SOURCES_FILE} lists {listed})"
            )
    if len(set(value)) != len(value):
        raise IngestError(f"{name}: front matter: facts_from: duplicate source ids in {value!r}")
    return tuple(value)


def parse_page(raw: str, path: str, variable_ids: Collection[str], source_ids: Collection[str] = ()) -> Page:
    """Parse one page's text; `path` (e.g. `knowledge/x.md`) names it in errors. Raises `IngestError`.

    `variable_ids` are the framework's variables (from `variables.yaml`): `related_variables` must name them.
    `source_ids` are the registry's ids (from `knowledge/sources.yaml`): `facts_from` must name them.
    """
    meta, body = _split_front_matter(raw, path)
    page_id = _text_field(meta, "id", path)
    if not _PAGE_ID.match(page_id):
        raise IngestError(
            f"{path}: front matter: id: expected lower-case letters, digits and '-', got {page_id!r}"
        )
    kind = _text_field(meta, "kind", path)
    if kind not in KINDS:
        raise IngestError(f"{path}: front matter: kind: expected one of {sorted(KINDS)}, got {kind!r}")
    return Page(
        id=page_id,
        title=_text_field(meta, "title", path),
        kind=kind,
        related_variables=_variables(meta, path, variable_ids),
        source=_text_field(meta, "source", path),
        path=path,
        body=body,
        facts_from=_facts_from(meta, path, source_ids),
    )


def read_page(
    file: Path, relative_to: Path, variable_ids: Collection[str], source_ids: Collection[str] = ()
) -> Page:
    """Read and parse a page file; an unreadable file raises `IngestError` naming it."""
    name = f"knowledge/{file.relative_to(relative_to).as_posix()}"
    try:
        raw = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise IngestError(f"{name}: cannot read the file: {exc}") from None
    page = parse_page(raw, name, variable_ids, source_ids)
    if page.id != file.stem:  # ids are cited as `<file stem>#...`: the two must agree
        raise IngestError(
            f"{name}: front matter: id: expected {file.stem!r} (the file name), got {page.id!r}"
        )
    return page


def sections(body: str) -> list[tuple[list[str], str]]:
    """Split Markdown into (heading path below the title, text) at `##`/`###`; `#` lines are the title."""
    found: list[tuple[list[str], list[str]]] = [([], [])]
    path: list[str] = []
    in_code = False
    for line in body.splitlines():
        if line.lstrip().startswith("```"):
            in_code = not in_code
        match = None if in_code else _HEADING.match(line)
        if match is None:
            found[-1][1].append(line)
            continue
        level, title = len(match.group(1)), match.group(2).strip()
        if level == 1:
            continue
        path = [title] if level == 2 else [*path[:1], title]
        found.append((list(path), []))
    return [(p, "\n".join(lines).strip()) for p, lines in found if "\n".join(lines).strip()]


def _pieces(paragraph: str, limit: int) -> list[str]:
    """A paragraph as pieces of at most `limit` characters: whole if it fits, else at sentence ends, and
    a sentence longer than `limit` (e.g. text extracted from a PDF) at word boundaries."""
    if len(paragraph) <= limit:
        return [paragraph]
    pieces: list[str] = []
    for sentence in re.split(r"(?<=[.!?])\s+", paragraph):
        while len(sentence) > limit:
            cut = sentence.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            pieces.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        if sentence:
            pieces.append(sentence)
    return pieces


def split_long(text: str, limit: int = MAX_CHUNK_CHARS) -> list[str]:
    """Pack paragraphs (or, for over-long ones, sentences) into parts of at most `limit` characters."""
    parts: list[str] = []
    current = ""
    for paragraph in (p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()):
        for piece in _pieces(paragraph, limit):
            if current and len(current) + 2 + len(piece) > limit:
                parts.append(current)
                current = piece
            else:
                current = f"{current}\n\n{piece}" if current else piece
    return [*parts, current] if current else parts


def _unique(slug: str, seen: set[str]) -> str:
    candidate, n = slug, 2
    while candidate in seen:
        candidate, n = f"{slug}-{n}", n + 1
    seen.add(candidate)
    return candidate


def chunk_page(page: Page) -> list[Chunk]:
    """The page's chunks, in reading order, with ids unique within the page."""
    chunks: list[Chunk] = []
    seen: set[str] = set()
    for path, text in sections(page.body):
        base = "--".join(slugify(h) for h in path) if path else INTRO_SLUG
        heading = " > ".join([page.title, *path])
        for part in split_long(text):
            chunks.append(
                Chunk(
                    id=f"{page.id}#{_unique(base, seen)}",
                    page_id=page.id,
                    source=page.path,
                    title=page.title,
                    heading=heading,
                    kind=page.kind,
                    related_variables=page.related_variables,
                    text=part,
                    facts_from=page.facts_from,
                )
            )
    return chunks


def load_pages(directory: Path, variable_ids: Collection[str]) -> list[Page]:
    """Every `*.md` page directly in `directory` (not `framework/`), validated, in file-name order.

    Ids are unique because each must equal its file name (see `read_page`). `facts_from` is checked against
    `directory/sources.yaml` (a missing registry allows no source ids)."""
    try:
        source_ids = tuple(load_sources(directory / SOURCES_FILE))
    except FrameworkError as exc:  # a broken registry is a broken knowledge file, like a broken page
        raise IngestError(str(exc)) from None
    pages = sorted(f for f in directory.glob("*.md") if f.name.lower() != "readme.md")
    return [read_page(f, directory, variable_ids, source_ids) for f in pages]
