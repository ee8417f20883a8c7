"""clean_markdown: hand-written payloads, checked by rendering the result with a real CommonMark parser.

markdown-it-py renders with raw HTML *enabled* and its own link validation *disabled*, so anything that gets
through is caught here rather than hidden by the renderer's defences.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from keysmith.guards.sanitize import clean_markdown, safe_url

_SAFE_PREFIXES = ("http://", "https://", "mailto:")


def _renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True})
    md.validateLink = lambda url: True  # test our sanitiser, not the renderer's own filter
    return md


def _tokens(text: str) -> list[Any]:
    flat: list[Any] = []
    for token in _renderer().parse(text):
        flat.append(token)
        flat.extend(token.children or [])
    return flat


def assert_safe(text: str, image_hosts: tuple[str, ...] = ()) -> str:
    """Clean `text`, render it, and check: no raw HTML, only safe links, images only from `image_hosts`."""
    cleaned = clean_markdown(text, image_hosts)
    for token in _tokens(cleaned):
        assert token.type not in ("html_block", "html_inline"), (text, cleaned, token)
        if token.type == "link_open":
            href = str(token.attrs.get("href", ""))
            assert href.lower().startswith(_SAFE_PREFIXES), (text, cleaned, href)
        if token.type == "image":
            src = str(token.attrs.get("src", ""))
            assert any(src.startswith(f"https://{host}/") for host in image_hosts), (text, cleaned, src)
    return cleaned


def _hrefs(cleaned: str) -> list[str]:
    return [str(t.attrs["href"]) for t in _tokens(cleaned) if t.type == "link_open"]


PAYLOADS = [
    "<script>alert(1)</script>",
    "Hi <img src=x onerror=alert(1)> there",
    "<svg/onload=alert(1)>",
    "<!-- hidden --><iframe src=https://evil.example></iframe>",
    '<a href="javascript:alert(1)">click</a>',
    "\\<script>alert(1)\\</script>",
    "\\\\<b>bold</b>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click]( javascript:alert(1) )",
    "[click](<javascript:alert(1)>)",
    "[click](&#106;avascript:alert(1))",
    "[click](&#x6A;avascript&colon;alert(1))",
    "[click](java&#9;script:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](javascript\\:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](%6Aavascript:alert(1))",
    '[click](javascript:alert(1) "title")',
    "[nested [brackets]](javascript:alert(1))",
    "[click](javascript:alert((1)))",
    "[click](javascript:alert(1)",
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    "[ref]\n\n[ref]:\n  javascript:alert(1)",
    "> [ref]: javascript:alert(1)\n\n[ref]",
    "- [ref]: <javascript:alert(1)>\n\n[ref]",
    "<javascript:alert(1)>",
    "<JAVASCRIPT:alert(1)>",
    "<data:text/html,hi>",
    "![x](https://evil.example/track.png)",
    "![x](javascript:alert(1))",
    "![x][img]\n\n[img]: https://evil.example/p.png",
    "[![inner](https://evil.example/a.png)](javascript:alert(1))",
    "`<b>` and ``<i>`` in code",
    "```\n<script>alert(1)</script>\n```\n<b>after</b>",
    "~~~\n[x](javascript:1)\n~~~",
    "```html\n<b>unterminated fence",
    "\u202e[click](javascript:alert(1))",
    "<http://a.example[>",  # found by the fuzz test: a malformed host once raised ValueError
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_render_safely(payload: str) -> None:
    assert_safe(payload)


def test_html_shows_as_text_not_markup() -> None:
    cleaned = assert_safe("Use <b>bold</b> & <script>x</script>")
    html = _renderer().render(cleaned)
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "&lt;script&gt;" in html


def test_good_links_survive() -> None:
    cleaned = assert_safe(
        "See [the post](https://example.com/why-pilots-stall) or [mail](mailto:coach@example.com), "
        "<https://example.com/a>, [ref].\n\n[ref]: https://example.com/ref"
    )
    assert _hrefs(cleaned) == [
        "https://example.com/why-pilots-stall",
        "mailto:coach@example.com",
        "https://example.com/a",
        "https://example.com/ref",
    ]


def test_dropped_links_keep_their_text() -> None:
    assert assert_safe("Read [the guide](javascript:alert(1)) now.") == "Read the guide now."
    assert assert_safe("[relative](/admin) stays text") == "relative stays text"


def test_parentheses_after_a_citation_keep_their_words() -> None:
    cleaned = assert_safe("Governance comes first [1](see the next section).")
    assert "see the next section" in cleaned and "[1]" in cleaned


def test_images_become_alt_text_unless_the_host_is_allowed() -> None:
    assert assert_safe("![a chart](https://evil.example/c.png)") == "a chart"
    allowed = assert_safe("![a chart](https://charts.example/c.png)", ("charts.example",))
    assert [t.type for t in _tokens(allowed) if t.type == "image"] == ["image"]
    assert assert_safe("![a](http://charts.example.evil/c.png)", ("charts.example",)) == "a"


def test_plain_markdown_is_unchanged() -> None:
    text = (
        "## Why it stalled\n\n- **Governance** is missing [1].\n- Adoption stops at enthusiasts [2]."
        "\n\n> Note: 3 > 2"
    )
    assert clean_markdown(text) == text


def test_code_blocks_are_kept_verbatim() -> None:
    text = "```python\nif a < b:\n    print('<ok>')\n```"
    assert clean_markdown(text) == text


def test_safe_url_rules() -> None:
    assert safe_url("https://example.com/a b") == "https://example.com/a%20b"
    assert safe_url("HTTPS://EXAMPLE.com") == "HTTPS://EXAMPLE.com"
    assert safe_url("https:evil") is None
    assert safe_url("//example.com") is None
    assert safe_url("&#x6A;avascript:x") is None


_FRAGMENTS = st.sampled_from(
    [
        "<",
        ">",
        "[",
        "]",
        "(",
        ")",
        "!",
        "\\",
        "`",
        "```",
        "\n",
        " ",
        "\t",
        "x",
        ":",
        "&",
        "#",
        ";",
        '"',
        "javascript:",
        "JaVaScRiPt:",
        "&#106;",
        "&#x3A;",
        "data:",
        "http://a.example",
        "<script>",
        "<img ",
        "onerror=",
        "]:",
        "](",
        "![",
        "> ",
        "- ",
        "~~~",
        "mailto:",
        "%",
        "\u200b",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_FRAGMENTS, max_size=30).map("".join))
def test_fuzzed_markdown_never_renders_html_or_unsafe_links(text: str) -> None:
    assert_safe(text)
