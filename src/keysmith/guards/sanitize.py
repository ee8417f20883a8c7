"""The one render path for model-written Markdown: `clean_markdown`.

Model output can carry text an attacker planted in a document the model read, so before it is shown it is
cleaned: raw HTML is turned into visible text, images are replaced by their alt text unless their host is
allow-listed, and links survive only when they point to an absolute http, https or mailto address. The
checks decode entities, backslash escapes, whitespace and case first, so `JaVa&#115;cript:` and
`java\\tscript:` are caught; anything that looks like a link this module cannot parse is defused rather than
passed through. Fenced code blocks (opened at column 0) are kept verbatim: their content renders as text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from urllib.parse import quote, urlsplit

_ALLOWED_LINK_SCHEMES = frozenset({"http", "https", "mailto"})
_ALLOWED_IMAGE_SCHEMES = frozenset({"http", "https"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_FENCE_OPEN = re.compile(r"^(`{3,}|~{3,})")
_AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.\-]{1,31}:[^\s<>]*|[\w.!#$%&'*+/=?^`{|}~\-]+@[\w.\-]+)>")
# A link reference definition: `[label]: dest`, at the start of a line or of a container (quote, list item).
_REF_DEF = re.compile(r"^([ \t>*+\-\d.)]*\[[^\]\n]*)\]:[ \t]*(?:\n[ \t]*)?(<[^>\n]*>|\S+)", re.MULTILINE)
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_TOKEN = "\x00{}\x00"  # noqa: S105 - a placeholder, not a secret


def _host(url: str) -> str:
    """The lower-case host of `url`, or "" when there is none or the URL is malformed."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:  # e.g. an unbalanced "[" in the host
        return ""


def safe_url(raw: str, schemes: Iterable[str] = _ALLOWED_LINK_SCHEMES) -> str | None:
    """The URL a Markdown renderer would see for destination `raw`, if its scheme is allowed; else None.

    Decodes entities and backslash escapes, drops whitespace and control characters (browsers ignore them
    inside a scheme), then requires an absolute URL with one of `schemes`. Relative URLs are refused: the
    assistant has no reason to link inside the app, and refusing them closes every percent-encoding trick.
    """
    url = raw.strip()
    if url.startswith("<") and url.endswith(">"):
        url = url[1:-1]
    url = html.unescape(re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", url))
    # Browsers drop tabs, newlines and control characters inside a URL, so the check must too; spaces
    # stay (and are encoded) so "java script:" is simply not a scheme.
    url = re.sub(r"[\t\n\r\x00-\x1f\x7f]+", "", _CONTROL.sub("", url)).strip()
    match = _SCHEME.match(url.lower())
    if match is None or match.group(1) not in set(schemes):
        return None
    if match.group(1) != "mailto" and not _host(url):
        return None
    return quote(url, safe="/:?#[]@!$&'*+,;=%~-._")


class _Protector:
    """Holds text that must survive the final escaping verbatim (checked URLs), behind placeholder tokens."""

    def __init__(self) -> None:
        self.kept: list[str] = []

    def keep(self, text: str) -> str:
        self.kept.append(text)
        return _TOKEN.format(len(self.kept) - 1)

    def restore(self, text: str) -> str:
        return re.sub("\x00(\\d+)\x00", lambda m: self.kept[int(m.group(1))], text)


def _link_text_start(text: str, close: int) -> int | None:
    """Index of the `[` that matches the `]` at `close`, honouring nesting; None if unbalanced."""
    depth = 0
    for index in range(close, -1, -1):
        char = text[index]
        if char == "]":
            depth += 1
        elif char == "[":
            depth -= 1
            if depth == 0:
                return index
    return None


def _destination_end(text: str, start: int) -> tuple[int, str, int] | None:
    """Parse `(dest "title")` at `start`: (dest start, dest, index after `)`), or None if malformed."""
    index = start + 1
    while index < len(text) and text[index] in " \t\n":
        index += 1
    depth = 1
    cursor = index
    while cursor < len(text):
        char = text[cursor]
        if char == "\\":
            cursor += 2
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                inner = text[index:cursor].strip()
                dest = inner.split(None, 1)[0] if inner else ""
                if inner.startswith("<") and ">" in inner:
                    dest = inner[: inner.index(">") + 1]
                return index, dest, cursor + 1
        cursor += 1
    return None


def _looks_like_target(dest: str) -> bool:
    """True when `dest` reads as a URL or path (a scheme, `/`, `#`, `.`, `<...>`), not as plain words."""
    plain = html.unescape(dest).strip().lower()
    return bool(re.match(r"^(?:<|[a-z][a-z0-9+.\-]*\s*:|[/#.?%&\\]|www\.)", plain)) or "/" in plain


def _image_allowed(dest: str, hosts: frozenset[str]) -> str | None:
    url = safe_url(dest, _ALLOWED_IMAGE_SCHEMES)
    if url is None:
        return None
    return url if _host(url) in hosts else None


def _rewrite_inline(text: str, hosts: frozenset[str], keep: _Protector) -> str:
    """Rewrite every `[text](dest)` / `![alt](src)`; defuse `](` sequences that are not a parseable link."""
    out: list[str] = []
    position = 0
    for match in re.finditer(r"\]\(", text):
        close = match.start()
        if close < position:
            continue
        opening = _link_text_start(text, close)
        parsed = _destination_end(text, close + 1)
        if opening is None or opening < position or parsed is None:
            out.append(text[position:close] + "]\\(")
            position = close + 2
            continue
        _, dest, after = parsed
        if not _looks_like_target(dest):
            # "[1](see below)": not a link to any renderer either; keep every word, defuse the bracket.
            out.append(text[position:close] + "]\\(")
            position = close + 2
            continue
        label = text[opening + 1 : close]
        is_image = opening > 0 and text[opening - 1] == "!" and (opening < 2 or text[opening - 2] != "\\")
        head = text[position : opening - 1] if is_image else text[position:opening]
        if is_image:
            url = _image_allowed(dest, hosts)
            # The whole image is kept as one token so the reference-image rule below leaves its `!` alone.
            rendered = keep.keep(f"![{label.replace('<', '&lt;')}]({url})") if url else label
        else:
            url = safe_url(dest)
            rendered = f"[{label}]({keep.keep(url)})" if url else label
        out.append(head + rendered)
        position = after
    out.append(text[position:])
    return "".join(out)


def _rewrite_segment(text: str, hosts: frozenset[str], keep: _Protector) -> str:
    """Clean one non-code stretch of Markdown."""

    def autolink(match: re.Match[str]) -> str:
        target = match.group(1)
        if ":" not in target:  # an e-mail autolink: the renderer makes it a mailto: link
            return keep.keep(f"<{target}>")
        url = safe_url(target)
        return keep.keep(f"<{url}>") if url else match.group(0)

    def ref_def(match: re.Match[str]) -> str:
        url = safe_url(match.group(2))
        # `]\:` is no longer a definition, so references to it render as plain text.
        return match.group(1) + (f"]: {keep.keep(url)}" if url else "]\\: " + match.group(2))

    text = _AUTOLINK.sub(autolink, text)
    text = _REF_DEF.sub(ref_def, text)
    text = _rewrite_inline(text, hosts, keep)
    # Reference-style images (`![alt][ref]`) lose the `!`: at most a checked link remains.
    text = re.sub(r"(?<!\\)!\[", r"\\![", text)
    # Raw HTML becomes visible text. An entity works whatever backslashes precede it.
    return text.replace("<", "&lt;")


def _segments(text: str) -> list[tuple[bool, str]]:
    """Split into (is_code, chunk): fenced code blocks that open at column 0, and everything else.

    Joining the chunks with newlines gives back `text`.
    """
    segments: list[tuple[bool, str]] = []
    lines = text.split("\n")
    start = index = 0
    while index < len(lines):
        opened = _FENCE_OPEN.match(lines[index])
        if opened is None or (opened.group(1)[0] == "`" and "`" in lines[index][len(opened.group(1)) :]):
            index += 1
            continue
        fence = opened.group(1)
        closing = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        end = index + 1
        while end < len(lines) and not closing.match(lines[end]):
            end += 1
        if index > start:
            segments.append((False, "\n".join(lines[start:index])))
        segments.append((True, "\n".join(lines[index : end + 1])))
        start = index = end + 1
    if start < len(lines):
        segments.append((False, "\n".join(lines[start:])))
    return segments


def clean_markdown(text: str, allowed_image_hosts: Iterable[str] = ()) -> str:
    """Return `text` safe to render as Markdown (and still readable as plain text).

    - raw HTML (`<script>`, `<img onerror=...>`, comments) is escaped so it shows as text;
    - images render only from `allowed_image_hosts` (none by default); otherwise their alt text stays;
    - inline links, reference definitions and autolinks keep their target only for absolute http, https
      and mailto URLs; otherwise the link text stays and the target is dropped (or defused);
    - invisible control and bidi characters are removed.
    """
    hosts = frozenset(host.lower() for host in allowed_image_hosts)
    keep = _Protector()
    cleaned = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    parts = [
        chunk if is_code else _rewrite_segment(chunk, hosts, keep) for is_code, chunk in _segments(cleaned)
    ]
    return keep.restore("\n".join(parts))
