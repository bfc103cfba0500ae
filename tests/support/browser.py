"""Head office's pages in a real browser: Debian's Chromium driven by selenium through
chromedriver, against the real ``till-headoffice serve`` process over TLS.

- ``ServedHeadOffice`` writes a headoffice.toml (a self-signed certificate made with
  ``cryptography``, ``tests.support.net.self_signed``) and runs ``till-headoffice serve`` as its
  own process; ``start(behind="2d")`` runs it under ``faketime`` that far in the past, so what it
  receives is stamped then, as a till that last synced two days ago left it.
- ``chromium(folder)`` starts a headless Chromium with a fresh profile and a download folder,
  told to accept the server's certificate, with nothing that reaches the outside network.
- ``require_browser()`` skips with the reason when Chromium cannot run here, and fails instead
  under ``TILL_REQUIRE_BROWSER=1`` (set by .ci/run), as ``TILL_REQUIRE_POSTGRES`` does.
- ``screenshots(driver, name)`` saves the page at 1280x800 and 390x844 under build/screenshots.
"""

from __future__ import annotations

import os
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.net import free_port, self_signed

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("TILL_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("TILL_CHROMEDRIVER", "/usr/bin/chromedriver")
SCREENSHOTS = ROOT / "build" / "screenshots"
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--disable-extensions", "--disable-default-apps",
                  "--hide-scrollbars")
"""Headless, and nothing that calls out (this machine, like CI's, may have no outside network)."""


def unavailable(reason: str):
    """Skip with ``reason``, or fail under ``TILL_REQUIRE_BROWSER=1`` (CI must run these tests)."""
    message = f"browser tests cannot run: {reason}"
    if os.environ.get("TILL_REQUIRE_BROWSER") == "1":
        pytest.fail(message + " (TILL_REQUIRE_BROWSER=1)", pytrace=False)
    pytest.skip(message)


def require_browser() -> None:
    """Chromium, chromedriver and selenium are there (else skip, or fail in CI)."""
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.access(path, os.X_OK):
            unavailable(f"{path} is missing (apt-get install {package})")
    try:
        import selenium  # noqa: F401
    except ImportError:
        unavailable("selenium is not installed (pip install -e '.[test]')")


def chromium(folder: Path):
    """A headless Chromium with a fresh profile in ``folder``, downloading to ``folder/downloads``
    without asking, accepting the test server's self-signed certificate."""
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service

    downloads = folder / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS + (f"--user-data-dir={folder / 'profile'}", "--window-size=1280,800"):
        options.add_argument(flag)
    options.accept_insecure_certs = True
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False,
                                              "safebrowsing.enabled": False})
    try:
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    except WebDriverException as error:
        unavailable(f"chromium did not start: {error.msg or error}")
    driver.set_page_load_timeout(30)
    driver.downloads = downloads
    return driver


def screenshots(driver, name: str) -> list[Path]:
    """The current page saved at each of ``SIZES`` as build/screenshots/NAME-SIZE.png (the whole
    page's height, so a person sees all of it); the window is left at desktop size."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    saved = []
    for label, (width, height) in SIZES.items():
        driver.set_window_size(width, height)
        path = SCREENSHOTS / f"{name}-{label}.png"
        assert driver.save_screenshot(str(path)), f"no screenshot of {name} at {label}"
        saved.append(path)
    driver.set_window_size(*SIZES["desktop"])
    return saved


def wait_for_file(folder: Path, pattern: str, timeout_s: float = 20) -> Path:
    """The first complete download matching ``pattern`` in ``folder`` (Chromium writes .crdownload first)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        done = [p for p in folder.glob(pattern) if not p.name.endswith(".crdownload")]
        if done:
            return done[0]
        time.sleep(0.1)
    raise AssertionError(f"no {pattern} downloaded in {folder}: {sorted(p.name for p in folder.iterdir())}")


class ServedHeadOffice:
    """``till-headoffice serve`` over TLS on loopback, as its own process (restartable)."""

    def __init__(self, folder: Path, database_url: str) -> None:
        self.folder, self.database_url = folder, database_url
        folder.mkdir(parents=True, exist_ok=True)
        self.cert, self.key = self_signed(folder)
        self.port = free_port()
        self.log = folder / "headoffice.log"
        self.config = folder / "headoffice.toml"
        self.config.write_text(
            f'[headoffice]\ndatabase = "{database_url}"\nhost = "127.0.0.1"\nport = {self.port}\n'
            f'tls_cert = "{self.cert}"\ntls_key = "{self.key}"\nlog_file = "{self.log}"\n', encoding="utf-8")
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start(self, behind: str | None = None) -> "ServedHeadOffice":
        """Serve; ``behind`` ("2d") runs the server under ``faketime`` that far in the past."""
        command = [sys.executable, "-m", "headoffice.cli", "--config", str(self.config), "serve"]
        env = dict(os.environ)
        if behind:
            faketime = shutil.which("faketime")
            if faketime is None:
                unavailable("faketime is missing (apt-get install faketime)")
            # Its monotonic clock is shifted too: left real, Python's sleep (an absolute
            # deadline on the monotonic clock) fails under libfaketime.
            command = [faketime, "-f", f"-{behind}"] + command
        with open(self.folder / "serve.err", "ab") as errors:
            # Its own process group: ``faketime`` runs the server as its child, and the server
            # has its signature workers; ``stop`` ends the group this started, all of it.
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=errors,
                                            start_new_session=True)
        self._wait_healthy()
        return self

    def _wait_healthy(self, timeout_s: float = 60) -> None:
        context = ssl.create_default_context(cafile=str(self.cert))
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"till-headoffice serve exited: {(self.folder / 'serve.err').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/health", context=context, timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError("till-headoffice serve did not answer /health")

    def stop(self) -> None:
        if self.process is None:
            return
        group = self.process.pid  # the session this Popen started: its id is the group's
        try:
            os.killpg(group, signal.SIGTERM)
            self.process.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(group, signal.SIGKILL)
            self.process.wait(timeout=5)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # the workers leave after their parent
            try:
                os.killpg(group, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            try:
                os.killpg(group, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process = None
