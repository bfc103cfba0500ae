"""A small real shop for the UI tests: SQLite file, signing key, VAT rates, products, staff.

The shop is built by ``tests/support/shop.py`` (the same set-up code as ``till init``); the UI tests
then drive the real ``TillApp`` on it with Pilot. Screens speak English here so assertions do
not depend on the French catalogues; ``test_glyphs`` switches to French on purpose.
"""

from __future__ import annotations

import pytest

from tests.support.shop import Shop
from till.i18n import set_language


@pytest.fixture
def shop(make_shop) -> Shop:
    """The shop, with the UI in English; closed after the test."""
    built = make_shop()
    set_language("en")
    return built


@pytest.fixture
def app(shop):
    """A ``TillApp`` on the shop (not started: tests use ``app.run_test()``)."""
    from till.ui.app import TillApp

    return TillApp(shop.ctx)
