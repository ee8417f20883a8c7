"""Own-words answers in a real browser (issue 13 item 5): what the user typed stays in the box when it could
not be read ("banana"), an unsure reading is shown back for confirmation, and a sure one is recorded.

`AppTest` cannot see this: clearing a form on submit happens in the browser. Playwright drives Debian's
Chromium against `streamlit run app.py`, offline, with its own data dir; screenshots go to
`test-artifacts/`. Without /usr/bin/chromium the test skips (fails under KEYSMITH_REQUIRE_BROWSER=1).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, require_browser
from cli_support import child_env, offline_app_env, run_cli
from processes import streamlit_app

ROOT = Path(__file__).resolve().parents[1]
BOX = "Or answer in your own words"
UNSURE = "it mostly works but the outputs need checking on about a third of cases"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Streamlit server on a free port, offline, over a freshly indexed data dir."""
    require_browser()
    data_dir = tmp_path_factory.mktemp("e2e-words")
    env = child_env(offline_app_env(data_dir))
    indexed = run_cli("index", cwd=ROOT, env=env)
    assert indexed.returncode == 0, indexed.stderr
    with (
        (data_dir / "streamlit.log").open("wb") as log,
        streamlit_app(ROOT / "app.py", env, log=log) as (url, _),
    ):
        yield url


def _idle(page: Any) -> None:
    """Wait until the script run the last action started has finished and no stale element is left."""
    page.wait_for_timeout(400)
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()
    page.wait_for_function("!document.querySelector('[data-stale=\"true\"]')")


def _answer(page: Any, words: str) -> None:
    page.get_by_label(BOX).fill(words)
    page.get_by_role("button", name="Answer", exact=True).click()
    _idle(page)


def test_typed_words_stay_when_unread_and_an_unsure_reading_is_confirmed(app_url: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1400})
        page.set_default_timeout(90_000)
        page.goto(app_url)
        _idle(page)
        page.get_by_text("Self-assessment", exact=True).first.click()  # the mode switch, wherever it is
        page.get_by_text("Question 1 of 8").wait_for()
        _idle(page)

        _answer(page, "banana")
        expect(page.get_by_text("I could not read that as an answer", exact=False)).to_be_visible()
        expect(page.get_by_label(BOX)).to_have_value("banana")  # kept to correct, not cleared
        page.get_by_text("Question 1 of 8").wait_for()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "assessment-words-kept.png"), full_page=True)

        _answer(page, UNSURE)
        expect(page.get_by_text('I read that as 4 (strong) because you said "mostly".')).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "assessment-unsure-reading.png"), full_page=True)
        page.get_by_role("button", name="Confirm", exact=True).click()
        _idle(page)
        page.get_by_text("Question 2 of 8").wait_for()
        expect(page.get_by_label(BOX)).to_have_value("")  # taken words leave the box
        browser.close()
