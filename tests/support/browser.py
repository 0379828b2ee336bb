"""Headless Chromium from the distribution's packages, driven by selenium (tests and benchmarks).

No browser is downloaded: ``/usr/bin/chromium`` and its ``chromedriver`` come
from ``apt-get install chromium chromium-driver`` (``.ci/run`` installs them).
The flags keep it from reaching the network (no background networking,
component updates or sync), which is refused here anyway.
"""

from __future__ import annotations

import contextlib
import pathlib
import shutil
import tempfile
import time

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1280,900")


def missing() -> str | None:
    """Why a browser cannot be started here, or None when it can."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed: pip install -e '.[test]'"
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if browser is None or driver is None:
        return ("Chromium is not installed (chromium and chromedriver not on PATH): "
                "apt-get install chromium chromium-driver, as .ci/run does")
    return None


@contextlib.contextmanager
def chromium(width: int = 1280, height: int = 900):
    """A selenium driver of headless Chromium with a fresh profile, quit on exit."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser")
    profile = tempfile.mkdtemp(prefix="near-dups-chromium-")
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--window-size={width},{height}")
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def open_page(driver, path, fragment: str = "", timeout: float = 60.0) -> None:
    """Load a report file and wait until its script has rendered (``body[data-ready]``)."""
    driver.get(pathlib.Path(path).resolve().as_uri() + fragment)
    wait_for(driver, "return document.body.dataset.ready === '1'", timeout)


def wait_for(driver, script: str, timeout: float = 10.0):
    """Poll ``script`` until it returns something truthy; that value, or an AssertionError."""
    end = time.monotonic() + timeout
    while True:
        value = driver.execute_script(script)
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout} s waiting for: {script}")
        time.sleep(0.05)


def console_errors(driver) -> list[str]:
    """Console messages at error level (and uncaught exceptions) since the last call."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def time_to_interactive(driver) -> dict:
    """Performance API figures of the page just loaded, in ms from navigation start.

    ``ready`` is the report's own mark, set once its script has rendered the
    summary and the first page of the first list (the page answers input from
    then on); the navigation timing gives the rest.
    """
    return driver.execute_script("""
        const n = performance.getEntriesByType('navigation')[0];
        const m = performance.getEntriesByName('report-ready')[0];
        return {ready: m ? m.startTime : null, dom_interactive: n.domInteractive,
                dom_content_loaded: n.domContentLoadedEventEnd, load: n.loadEventEnd,
                transfer_bytes: n.transferSize || n.encodedBodySize};
    """)
