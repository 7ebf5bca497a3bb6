"""The page in a real browser: Debian's Chromium, driven by Playwright, against the real server.

Digits are drawn on the canvas with mouse events (and one with touch events, on a phone-sized
page) and the digit the page shows is checked; a test digit is uploaded as a PNG file. Where
Chromium or Playwright is missing, or Chromium does not start, the tests fail and say why: they
never pass without having run.
"""

from __future__ import annotations

import math
import os
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from .support import confident_digit

#: Debian's Chromium (``apt-get install -y chromium``); NUMKERAS_CHROMIUM points elsewhere.
CHROMIUM = os.environ.get("NUMKERAS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 20_000

#: Strokes in pad coordinates (0 to 1, y down), drawn the way a person draws each digit.
ONE = [(0.48, 0.14), (0.52, 0.86)]
SEVEN = [(0.22, 0.2), (0.78, 0.2), (0.62, 0.45), (0.45, 0.86)]
ZERO = [
    (0.5 + 0.25 * math.sin(2 * math.pi * t / 40), 0.5 - 0.36 * math.cos(2 * math.pi * t / 40))
    for t in range(41)
]


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as error:
        pytest.fail(
            f"The browser test needs Playwright for Python (in the 'test' extra: "
            f"pip install -e '.[test]'): {error}"
        )
    if not Path(CHROMIUM).is_file():
        pytest.fail(
            f"The browser test needs Chromium at {CHROMIUM}: install it with "
            f"`apt-get install -y chromium` (`make test` does), or set NUMKERAS_CHROMIUM "
            f"to a Chromium executable."
        )
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, timeout=60_000
            )
        except Error as error:
            pytest.fail(f"Chromium at {CHROMIUM} could not be started: {error}")
        yield chromium
        chromium.close()


@contextmanager
def opened(browser, url: str, **context_options):
    """The page at ``url`` in a fresh browser context, checked on exit: nothing was loaded
    from another server and no script error or console error happened."""
    context = browser.new_context(viewport={"width": 1100, "height": 820}, **context_options)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    requested: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}") if message.type == "error" else None
        ),
    )
    page.goto(url + "/")
    # Waits use selectors: the page's Content-Security-Policy forbids the eval that
    # Playwright's wait_for_function needs, and the test keeps that policy on.
    page.wait_for_selector("#model-line:has-text('Test accuracy')")
    yield page
    elsewhere = [
        seen
        for seen in requested
        if not seen.startswith(url + "/") and not seen.startswith("data:")
    ]
    assert elsewhere == [], f"the page loaded assets from elsewhere: {elsewhere}"
    assert problems == []
    context.close()


@pytest.fixture
def page(browser, live_server: str):
    with opened(browser, live_server) as page:
        yield page


def pad_point(page, point: tuple[float, float]) -> tuple[float, float]:
    """Page coordinates of ``point`` given in pad coordinates."""
    box = page.locator("#pad").bounding_box()
    return box["x"] + point[0] * box["width"], box["y"] + point[1] * box["height"]


def draw(page, stroke: list[tuple[float, float]]) -> None:
    """Draw ``stroke`` on the pad with the mouse: press, move through the points, release."""
    page.mouse.move(*pad_point(page, stroke[0]))
    page.mouse.down()
    for point in stroke[1:]:
        page.mouse.move(*pad_point(page, point), steps=6)
    page.mouse.up()


def draw_by_touch(page, stroke: list[tuple[float, float]]) -> None:
    """Draw ``stroke`` with a finger: touch events sent through the DevTools protocol."""
    devtools = page.context.new_cdp_session(page)
    points = [dict(zip("xy", pad_point(page, point))) for point in stroke]
    devtools.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": points[:1]})
    for point in points[1:]:
        devtools.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
    devtools.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def reading(page) -> str:
    """The digit the page shows once its last prediction has come back."""
    page.wait_for_selector("#answer[data-state='ready']")
    return page.locator("#digit").text_content()


def seen_ink(page) -> float:
    """Total brightness of the 28x28 'what the model sees' canvas."""
    return page.evaluate("""() => {
        const c = document.getElementById('seen');
        const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let total = 0;
        for (let i = 0; i < data.length; i += 4) total += data[i];
        return total / 255;
    }""")


def test_drawn_digits_are_read(page, tmp_path: Path) -> None:
    for expected, stroke in (("1", ONE), ("7", SEVEN), ("0", ZERO)):
        page.click("#clear")
        assert page.locator("#digit").text_content() == "?"
        draw(page, stroke)
        assert reading(page) == expected, f"drew a {expected}"
        assert seen_ink(page) > 10
        bars = page.locator("#bars li .value").all_text_contents()
        assert len(bars) == 10 and all(text.endswith("%") for text in bars)
        assert page.locator("#bars li.top .label").text_content() == expected
    screenshot = tmp_path / "numkeras-serve-drawn-zero.png"
    page.screenshot(path=str(screenshot), full_page=True)
    print(f"\nbrowser: screenshot of the page reading a drawn 0: {screenshot}")


def test_a_digit_drawn_with_a_finger_on_a_phone_is_read(browser, live_server: str) -> None:
    stroke = [(0.5, 0.14 + 0.072 * i) for i in range(11)]  # a 1, touched down and dragged
    with opened(browser, live_server, has_touch=True, is_mobile=True) as page:
        page.set_viewport_size({"width": 390, "height": 844})
        draw_by_touch(page, stroke)
        assert reading(page) == "1"


def test_an_uploaded_test_digit_is_read(page, tmp_path: Path, served, digits) -> None:
    index = confident_digit(served, digits, 4)
    picture = tmp_path / "test-digit-4.png"
    Image.fromarray(digits.x_test[index]).save(picture)
    count = int(page.get_attribute("#answer", "data-count"))
    page.set_input_files("#upload", str(picture))
    page.wait_for_selector(f"#answer[data-count='{count + 1}']")
    assert reading(page) == "4"
    seen = np.array(
        page.evaluate("""() => {
        const c = document.getElementById('seen');
        const data = c.getContext('2d').getImageData(0, 0, 28, 28).data;
        return Array.from({length: 784}, (_, i) => data[4 * i]);
    }""")
    ).reshape(28, 28)
    assert np.abs(seen - digits.x_test[index].astype(float)).mean() < 5
    screenshot = tmp_path / "numkeras-serve-uploaded-four.png"
    page.screenshot(path=str(screenshot), full_page=True)
    print(f"\nbrowser: screenshot of the page reading an uploaded test 4: {screenshot}")
