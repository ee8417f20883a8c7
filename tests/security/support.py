"""Helpers shared by the security tests: a copied, indexed knowledge dir and an active-content detector.

`active_content(markdown)` renders Markdown with a real CommonMark parser (markdown-it-py, raw HTML *enabled*,
its own link filter *disabled*) and lists everything that would be live in a browser: raw HTML, images from
hosts outside the allow-list, and links whose scheme is not http, https or mailto. An empty list means the
text is inert whatever a browser does with it.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from markdown_it import MarkdownIt

from keysmith.config import Settings

ROOT = Path(__file__).resolve().parents[2]
_SAFE_LINK_PREFIXES = ("http://", "https://", "mailto:")


def copied_knowledge_settings(tmp: Path) -> Settings:
    """Settings over a private copy of knowledge/ (pages and framework YAML) with its own data dir."""
    knowledge = tmp / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    return Settings(knowledge_dir=knowledge, data_dir=tmp / "data", model="offline")


def _tokens(text: str) -> list[Any]:
    md = MarkdownIt("commonmark", {"html": True})
    md.validateLink = lambda url: True  # judge what our sanitiser let through, not the renderer's filter
    flat: list[Any] = []
    for token in md.parse(text):
        flat.append(token)
        flat.extend(token.children or [])
    return flat


def active_content(markdown: str, image_hosts: tuple[str, ...] = ()) -> list[str]:
    """What in `markdown` would be live when rendered: raw HTML, off-list images, unsafe links."""
    found: list[str] = []
    for token in _tokens(markdown):
        if token.type in ("html_block", "html_inline"):
            found.append(f"raw HTML {token.content.strip()[:80]!r}")
        elif token.type == "link_open":
            href = str(token.attrs.get("href", ""))
            if not href.lower().startswith(_SAFE_LINK_PREFIXES):
                found.append(f"link to {href[:80]!r}")
        elif token.type == "image":
            src = str(token.attrs.get("src", ""))
            if (urlsplit(src).hostname or "") not in image_hosts:
                found.append(f"image from {src[:80]!r}")
    return found


def link_hosts(markdown: str) -> list[str]:
    """The hosts of every clickable http(s) link in the rendered Markdown."""
    hosts = []
    for token in _tokens(markdown):
        if token.type == "link_open":
            hosts.append((urlsplit(str(token.attrs.get("href", ""))).hostname or "").lower())
    return hosts
