"""End to end in a real browser: Playwright drives Debian's Chromium against `streamlit run app.py`.

Offline (KEYSMITH_MODEL=offline), with its own data dir: ask a question and see a cited answer, take the
self-assessment with the buttons, see the chart, download the PDF report; as a coach create a client, add
a note, draft, approve and download the advice. Screenshots of each mode go to `test-artifacts/`. Without
/usr/bin/chromium the test skips and says what to install — unless KEYSMITH_REQUIRE_BROWSER=1 (set by
.ci/run), where a missing browser is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_support import child_env, offline_app_env, run_cli
from processes import streamlit_app

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.browser


def _require_browser() -> None:
    if CHROMIUM.exists():
        return
    message = "Chromium not found at /usr/bin/chromium: install it with `apt-get install chromium`"
    if os.environ.get("KEYSMITH_REQUIRE_BROWSER") == "1":
        pytest.fail(message + " (KEYSMITH_REQUIRE_BROWSER=1 makes this test mandatory)")
    pytest.skip(message)


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Streamlit server on a free port, offline, with a fresh data dir and a built index."""
    _require_browser()
    data_dir = tmp_path_factory.mktemp("e2e-data")
    env = child_env(offline_app_env(data_dir))
    indexed = run_cli("index", cwd=ROOT, env=env)
    assert indexed.returncode == 0, indexed.stderr
    log_path = data_dir / "streamlit.log"
    with log_path.open("wb") as log, streamlit_app(ROOT / "app.py", env, log=log) as (url, _started):
        yield url


def _launch(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def _shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _idle(page: Any) -> None:
    """Wait until the script run the last action started has finished and no stale element is left."""
    page.wait_for_timeout(400)  # let the click's rerun start before waiting for it to end
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()
    page.wait_for_function("!document.querySelector('[data-stale=\"true\"]')")


def _pick_mode(page: Any, label: str) -> None:
    page.get_by_test_id("stSidebar").get_by_text(label, exact=True).click()
    page.get_by_role("heading", name=label).wait_for()
    _idle(page)


def test_manager_and_coach_in_a_real_browser(app_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = _launch(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1800}, accept_downloads=True)
        page.set_default_timeout(90_000)
        page.goto(app_url)
        page.get_by_role("heading", name="Diagnose my pilot").wait_for()

        # Diagnose: a question, a cited answer with an expandable source.
        box = page.get_by_test_id("stChatInputTextArea")
        box.fill("Our invoice AI pilot was great, but the rollout to 12 regions has stalled. Why?")
        box.press("Enter")
        _idle(page)
        source = page.get_by_test_id("stExpander").filter(has_text="[1] ").first
        source.wait_for()
        source.click()
        source.locator("blockquote").first.wait_for()  # the cited passage itself is shown
        expect(page.get_by_text("Send feedback")).to_be_visible()
        _shot(page, "diagnose")

        # Self-assessment: three answers by button, one "don't know", the rest by button, then the chart.
        _pick_mode(page, "Self-assessment")
        for step in range(1, 9):
            label = "Don't know" if step == 4 else str(2 + step % 3)
            page.get_by_role("button", name=label, exact=True).click()
            _idle(page)
            if step < 8:
                page.get_by_text(f"{step} answered").wait_for()
            if step == 2:
                _shot(page, "assessment")
        page.get_by_test_id("stVegaLiteChart").first.wait_for()
        expect(page.get_by_text("Assessment complete")).to_be_visible()
        _shot(page, "scorecard")
        download_button = page.get_by_test_id("stDownloadButton").filter(has_text="Download PDF")
        with page.expect_download() as info:
            download_button.locator("button").click()
        pdf = tmp_path / "report.pdf"
        info.value.save_as(pdf)
        assert pdf.read_bytes().startswith(b"%PDF")

        # Coach: create a client workspace and add a note.
        _pick_mode(page, "Coach")
        page.get_by_label("New client workspace").fill("Northwind Logistics")
        page.get_by_role("button", name="Create workspace").click()
        page.get_by_text("Client: Northwind Logistics").wait_for()
        _idle(page)
        page.get_by_label("Add a note").fill("The regional leads say nobody owns the model now.")
        page.get_by_role("button", name="Add note").click()
        page.get_by_text("nobody owns the model now").wait_for()
        _shot(page, "coach")

        # Coach: draft advice, approve it, download the approved advice as PDF.
        page.get_by_role("tab", name="Draft advice").click()
        page.get_by_role("button", name="Draft advice").click()
        _idle(page)
        expect(page.get_by_label("Draft text")).to_contain_text("[coach judgment]")
        page.get_by_role("button", name="Approve").click()
        page.get_by_text("ready to export").wait_for()
        _idle(page)
        _shot(page, "coach-advice")
        advice = page.get_by_test_id("stDownloadButton").filter(has_text="Download PDF")
        with page.expect_download() as info:
            advice.locator("button").click()
        memo = tmp_path / "advice.pdf"
        info.value.save_as(memo)
        assert memo.read_bytes().startswith(b"%PDF")
        browser.close()
