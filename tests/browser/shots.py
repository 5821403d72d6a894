"""Screenshots at the two sizes pages are checked at (a laptop, a phone), kept under
var/screenshots/ for a person to look at, and the check that a page fits its screen."""

from pathlib import Path

from django.conf import settings

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
# A laptop and a phone (an iPhone 12 to 15's viewport).
SIZES = [(1366, 900), (390, 844)]


def new_page(browser, width: int, height: int):
    page = browser.new_page()
    page.set_viewport_size({"width": width, "height": height})
    return page


def shot(page, name: str, *, full_page: bool = True) -> Path:
    """The page (or the screen in view) as var/screenshots/<name>-<width>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    path = SCREENSHOTS / f"{name}-{size['width']}.png"
    if not full_page:
        page.screenshot(path=str(path))
        return path
    # Chromium's full-page capture leaves a frame below the first screen blank (an email's
    # preview): the screen is made as tall as the page for the shot, then put back.
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": min(height, 16000)})
    page.wait_for_timeout(300)
    page.screenshot(path=str(path))
    page.set_viewport_size(size)
    return path


def overflow(page) -> int:
    """How many pixels the page is wider than its screen (0: it fits)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
