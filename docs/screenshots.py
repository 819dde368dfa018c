"""Full-page screenshots of report index pages for the README (headless Debian chromium through Playwright).

    python docs/screenshots.py reports/sikker-by/2017/index.html docs/sikker-by-2017-da.png [PAGE PNG ...]

The pages are opened from disk; every request that would leave the machine is blocked.
"""

from __future__ import annotations

import sys
from pathlib import Path

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def shoot(pairs: list[tuple[Path, Path]], executable: str = "/usr/bin/chromium", width: int = 1300) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=ARGS)
        for page_path, png in pairs:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort())
            page.goto(Path(page_path).resolve().as_uri(), wait_until="load")
            page.screenshot(path=str(png), full_page=True)
            page.close()
        browser.close()


if __name__ == "__main__":
    args = sys.argv[1:]
    if not args or len(args) % 2:
        sys.exit(__doc__)
    shoot([(Path(a), Path(b)) for a, b in zip(args[::2], args[1::2])])
