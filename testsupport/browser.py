"""Headless Chromium from the operating system's packages (Debian: chromium and
chromium-driver), driven by Selenium through the system's chromedriver. Selenium is never
let to fetch a browser or a driver of its own: this machine has no way out, and the tests
must run what a person installs.

    with chromium(language="en") as browser:
        browser.get(url)
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

BROWSER = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver") or "/usr/bin/chromedriver"
PACKAGES = "apt-get install chromium chromium-driver"

# As the machine's own check starts it: no sandbox as root, no GPU, and none of Chromium's
# own calls home, which a closed network refuses many at a time.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def installed() -> bool:
    return all(Path(path).is_file() and os.access(path, os.X_OK) for path in (BROWSER, DRIVER))


@contextmanager
def chromium(
    *, language: str = "en", javascript: bool = True, width: int = 1280, height: int = 900
) -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = BROWSER
    for flag in (*FLAGS, f"--lang={language}", f"--window-size={width},{height}"):
        options.add_argument(flag)
    prefs: dict[str, object] = {"intl.accept_languages": language}
    if not javascript:
        prefs["profile.managed_default_content_settings.javascript"] = 2
    options.add_experimental_option("prefs", prefs)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the page's console, for a failing test to show
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager: look up nothing
    browser = webdriver.Chrome(options=options, service=Service(DRIVER))
    try:
        yield browser
    finally:
        browser.quit()
