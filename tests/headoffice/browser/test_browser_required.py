"""Without Chromium the browser tests skip with the reason on a developer's machine, and fail
under ``TILL_REQUIRE_BROWSER=1`` (.ci/run): CI cannot go green without running them."""

from __future__ import annotations

import pytest

from tests.support import browser


def test_a_missing_chromium_skips_with_the_reason(monkeypatch, tmp_path):
    monkeypatch.delenv("TILL_REQUIRE_BROWSER", raising=False)
    monkeypatch.setattr(browser, "CHROMIUM", str(tmp_path / "chromium"))
    with pytest.raises(pytest.skip.Exception, match=r"chromium is missing|apt-get install chromium"):
        browser.require_browser()


def test_a_missing_chromedriver_fails_in_ci(monkeypatch, tmp_path):
    monkeypatch.setenv("TILL_REQUIRE_BROWSER", "1")
    monkeypatch.setattr(browser, "CHROMEDRIVER", str(tmp_path / "chromedriver"))
    with pytest.raises(pytest.fail.Exception, match=r"chromium-driver.*TILL_REQUIRE_BROWSER=1"):
        browser.require_browser()
