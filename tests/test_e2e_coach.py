"""The coach's client file end to end in a real browser (issue 12): Playwright drives Debian's Chromium
against `streamlit run app.py`, offline, with its own data dir.

A coach opens Coach mode from the URL, creates a client, uploads the client's status report (.docx, from
the eval set) through the uploader that shows the enforced limit, adds a note, asks the workspace's chat a
question the document answers (the answer quotes and cites the document), drafts advice with a
`[client document]` claim, and approves it: the drafts list says "approved" at once (issue 13, item 9).
Screenshots go to `test-artifacts/coach-*.png`. Fixtures follow tests/test_e2e_browser.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from browser_support import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, require_browser
from cli_support import child_env, offline_app_env, run_cli
from processes import streamlit_app

from evals.client_docs import render_document

ROOT = Path(__file__).resolve().parents[1]
DOC_NAME = "northwind-status-report.docx"
QUESTION = "Who owns the model now that the pilot lead has left?"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Streamlit server on a free port, offline, over a fresh indexed data dir."""
    require_browser()
    data_dir = tmp_path_factory.mktemp("e2e-coach-data")
    indexed = run_cli("index", cwd=ROOT, env=child_env(offline_app_env(data_dir)))
    assert indexed.returncode == 0, indexed.stderr
    env = child_env(offline_app_env(data_dir))
    with (data_dir / "streamlit.log").open("wb") as log, streamlit_app(ROOT / "app.py", env, log=log) as run:
        yield run[0]


def _document(folder: Path) -> Path:
    data = yaml.safe_load((ROOT / "evals" / "datasets" / "client_docs.yaml").read_text(encoding="utf-8"))
    path = folder / DOC_NAME
    path.write_bytes(render_document(next(d for d in data["documents"] if d["name"] == DOC_NAME)))
    return path


def _idle(page: Any) -> None:
    """Wait until the script run the last action started has finished and no stale element is left."""
    page.wait_for_timeout(400)
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()
    page.wait_for_function("!document.querySelector('[data-stale=\"true\"]')")


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"coach-{name}.png"), full_page=True)


def _tab(page: Any, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()
    _idle(page)


def test_coach_chat_cites_the_document_and_the_draft_claims_it(app_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    document = _document(tmp_path)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1800})
        page.set_default_timeout(90_000)
        page.goto(f"{app_url}/?mode=coach")
        page.get_by_label("New client workspace").fill("Northwind Foods")
        page.get_by_role("button", name="Create workspace").click()
        page.get_by_text("Client: Northwind Foods").wait_for()
        _idle(page)

        # Documents: the uploader states the enforced limit, and the file is indexed for this client only.
        _tab(page, "Documents")
        uploader = page.get_by_test_id("stFileUploader")
        expect(uploader).to_contain_text("up to 10.0 MB")
        expect(uploader).to_contain_text("10MB")  # Streamlit's own line, no longer its 200MB default
        uploader.locator('input[type="file"]').set_input_files(str(document))
        _idle(page)
        page.get_by_role("button", name="Index document").click()
        page.get_by_text("passages indexed for Northwind Foods only").wait_for()
        _idle(page)
        _shot(page, "documents")

        _tab(page, "Notes")
        page.get_by_label("Add a note").fill(
            "Nobody has picked up ownership of the model since the lead left."
        )
        page.get_by_role("button", name="Add note").click()
        page.get_by_text("Nobody has picked up ownership").wait_for()
        _idle(page)

        # Chat: a question the document answers is answered from it, quoted and cited.
        _tab(page, "Chat")
        box = page.get_by_test_id("stChatInputTextArea")
        box.fill(QUESTION)
        box.press("Enter")
        _idle(page)
        page.get_by_text("Nobody has owned the model").first.wait_for()
        source = page.get_by_test_id("stExpander").filter(has_text="[1] ").filter(has_text=DOC_NAME).first
        source.wait_for()
        expect(page.get_by_text("Governance Vacuum").first).to_be_visible()
        _shot(page, "chat")

        # Draft advice: a [client document] claim; Approve shows at once in the drafts list.
        _tab(page, "Draft advice")
        page.get_by_role("button", name="Draft advice").click()
        _idle(page)
        draft = page.get_by_label("Draft text")
        expect(draft).to_contain_text("[client document]")
        expect(draft).to_contain_text("Nobody has owned the model")
        drafts = page.get_by_role("combobox", name="Drafts")
        expect(drafts).to_have_value(re.compile(r"· draft$"))
        page.get_by_role("button", name="Approve").click()
        page.get_by_text("ready to export").wait_for()
        _idle(page)
        expect(drafts).to_have_value(re.compile(r"· approved$"))
        _shot(page, "advice")
        browser.close()
