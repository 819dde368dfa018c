"""The report in a real browser: headless Chromium (Debian's ``chromium``) driven by Playwright.

Every link and image of the index page and of a rendered notebook resolves, in place and after the report folder
is copied elsewhere (only the catalogue link, marked ``data-outside``, may leave the folder); no console error;
no request leaves the machine; a full-page screenshot is kept under ``build/browser/``.

Without Chromium the test skips and says so; in CI (``CI=true``) it fails instead.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tryghed.paths import ROOT

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ARTEFACTS = ROOT / "build" / "browser"


def chromium_path() -> str | None:
    """Debian's chromium (or ``TRYGHED_CHROMIUM``), or None."""
    for candidate in (os.environ.get("TRYGHED_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


@pytest.fixture(scope="module")
def browser():
    exe = chromium_path()
    if exe is None:
        message = ("no Chromium found (looked for /usr/bin/chromium and chromium on PATH): install Debian's "
                   "'chromium' (apt-get install -y chromium) to run the browser test")
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def built_report(sikker_by_demo_run):
    """The session's shared Danish sikker-by demo run (conftest.py), as the runner made it; the test only reads it
    and copies its report folder elsewhere."""
    return sikker_by_demo_run.index


def _local_file(page_path: Path, href: str) -> tuple[Path | None, str]:
    parts = urlsplit(href)
    if parts.scheme in ("http", "https"):
        return None, href
    if parts.scheme == "file":
        return Path(unquote(parts.path)), parts.fragment
    target = (page_path.parent / unquote(parts.path)).resolve() if parts.path else page_path
    return target, parts.fragment


def check_page(browser, page_path: Path, *, inside_only: bool, shot: str | None = None) -> dict:
    """Open ``page_path``; assert every link and image resolves, no console error and no outside request."""
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    outside, errors = [], []

    def route(r):
        if r.request.url.startswith(("file://", "data:", "about:")):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(page_path.as_uri(), wait_until="load")
    links = page.eval_on_selector_all("a[href]", "els => els.map(e => [e.getAttribute('href'), "
                                                 "e.dataset.outside || ''])")
    ids = set(page.eval_on_selector_all("[id]", "els => els.map(e => e.id)"))
    images = page.eval_on_selector_all("img", "els => els.map(e => [e.getAttribute('src').slice(0, 80), "
                                              "e.complete && e.naturalWidth > 0, e.getAttribute('alt')])")
    broken = []
    for href, marked_outside in links:
        if marked_outside and inside_only:
            continue
        target, fragment = _local_file(page_path, href)
        if target is None:
            broken.append(f"{href} (leaves the machine)")
        elif not target.is_file():
            broken.append(href)
        elif fragment and target == page_path and fragment not in ids:
            broken.append(f"{href} (no such anchor)")
        elif inside_only and not marked_outside and page_path.parent not in target.parents:
            broken.append(f"{href} (outside the report folder)")
    if shot:
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTEFACTS / shot), full_page=True)
    context.close()
    assert broken == [], broken
    assert [src for src, ok, _ in images if not ok] == []
    assert [src for src, _, alt in images if not alt] == []
    assert errors == []
    assert outside == []
    return {"links": len(links), "images": len(images)}


@pytest.mark.slow
def test_index_page_and_a_notebook_work_in_a_browser_in_place_and_copied(browser, built_report, tmp_path):
    index = built_report
    seen = check_page(browser, index, inside_only=False, shot="sikker-by_2017_da_index.png")
    assert seen["images"] >= 13 and seen["links"] >= 20
    check_page(browser, index.parent / "06_report.html", inside_only=False, shot="sikker-by_2017_da_06_report.png")
    catalogue = next(p for p in index.parents if p.name == "reports") / "index.html"
    check_page(browser, catalogue, inside_only=False, shot="catalogue.png")
    # the folder as a person shares it: copied (or unzipped) somewhere else
    copy = tmp_path / "elsewhere" / "rapport"
    shutil.copytree(index.parent, copy)
    check_page(browser, copy / "index.html", inside_only=True)
    check_page(browser, copy / "05_figures.html", inside_only=True)
