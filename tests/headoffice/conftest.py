"""Fixtures of the head-office tests: a till shop, a head office (PostgreSQL or SQLite) on
loopback with that till enrolled, and sync settings pointing at it."""

from __future__ import annotations

import pytest

from tests.support.headoffice import HeadOffice


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], ids=["ho_sqlite", "ho_pg"])
def ho_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'headoffice.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def headoffice(ho_url, shop):
    from headoffice.cli import enroll

    office = HeadOffice(ho_url).start()
    enroll(shop.ctx.till_id, "PARIS", shop.ctx.sealer.signer.public_pem)
    yield office
    office.stop()

