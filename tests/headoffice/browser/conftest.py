"""A head office served for the browser tests, once per module: the real ``till-headoffice
serve`` over TLS on a throwaway PostgreSQL database, a user of each role, and two real tills
that synced to it through ``till sync``'s own code:

- L01 of shop LYON synced while head office ran two days in the past (under ``faketime``), and
  never since: its row goes red;
- P01 of shop PARIS sold, took a bottle back (reason ``defective``) and synced just now; then a
  forged copy of its first ticket was sent, which head office refused and raised (CONFLICT).

Each test drives its own Chromium (``tests.support.browser``); every test of this directory is
marked ``browser``.
"""

from __future__ import annotations

import copy
import json

import pytest

from tests.support.browser import ServedHeadOffice, chromium, require_browser
from tests.support.ho_web import PASSWORD, TEST_COST, USERS


def pytest_collection_modifyitems(items):
    for item in items:
        if "/browser/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.browser)


def _sync(shop, office) -> None:
    from till.sync.push import EXIT_OK, SyncSettings, run_sync

    result = run_sync(shop.ctx, SyncSettings(url=office.url, ca_file=str(office.cert), timeout_s=20, attempts=2))
    assert result.exit_code == EXIT_OK, result.message


def _forge_first_ticket(shop, office) -> None:
    """Send head office a copy of the till's first ticket record with another total: refused and raised."""
    from store.models import FiscalRecord
    from till.fiscal.chain import iso_utc
    from till.sync.client import HeadOfficeAnswer, HeadOfficeClient

    record = FiscalRecord.get((FiscalRecord.chain == "T") & (FiscalRecord.sequence == 1))
    sent = {name: getattr(record, name) for name in ("till_id", "chain", "sequence", "kind", "ticket_id",
                                                     "format_version", "payload", "previous_signature", "hash",
                                                     "signature", "key_id")}
    sent["created_at"] = iso_utc(record.created_at)  # as the push sends it
    forged = copy.deepcopy(json.loads(sent["payload"]))
    forged["total_cents"] = forged.get("total_cents", 0) - 100
    sent["payload"] = json.dumps(forged, sort_keys=True, separators=(",", ":"))
    sent["hash"] = "0" * 64
    client = HeadOfficeClient(office.url, shop.ctx.till_id, shop.ctx.sealer.signer, ca_file=str(office.cert))
    try:
        with pytest.raises(HeadOfficeAnswer) as refused:
            client.request("POST", "/v1/records", {"till_id": shop.ctx.till_id, "chain": "T", "records": [sent]})
        assert refused.value.status == 409
    finally:
        client.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory, postgres_server):
    """The head office of the module's tests, with its two tills synced and one alert raised."""
    require_browser()
    from headoffice.cli import enroll
    from headoffice.store import open_database
    from headoffice.web.accounts import add_user
    from tests.support.returns import session
    from tests.support.shop import build_shop, sell

    folder = tmp_path_factory.mktemp("browser")
    url = postgres_server.create_database(f"browser_{folder.name.replace('-', '_')}"[:60])
    database = open_database(url)
    with database.connection_context():
        for role, username in USERS.items():
            add_user(username, role, PASSWORD, cost=TEST_COST)
    office = ServedHeadOffice(folder / "office", url)
    shops = []
    try:
        lyon = build_shop(folder / "lyon", till_id="L01")
        shops.append(lyon)
        with database.connection_context():
            enroll("L01", "LYON", lyon.ctx.sealer.signer.public_pem, name="Lyon caisse 1")
        sell(lyon, [("BAG", 2)])
        office.start(behind="2d")  # L01 synced two days ago, and never since
        _sync(lyon, office)
        office.stop()
        lyon.ctx.close()
        shops.remove(lyon)

        paris = build_shop(folder / "paris", till_id="P01")
        shops.append(paris)
        with database.connection_context():
            enroll("P01", "PARIS", paris.ctx.sealer.signer.public_pem, name="Paris caisse 1")
        sale = sell(paris, [("WIN", 2), ("SOA", 1)])
        back = session(paris)
        back.find(sale.code)
        back.pick(next(line for line in back.lines if line.sku == "WIN").line_id, 1, reason="defective")
        back.complete()
        office.start()
        _sync(paris, office)
        _forge_first_ticket(paris, office)
        yield office
    finally:
        office.stop()
        for shop in shops:
            shop.ctx.close()
        database.close_all()  # the pool's connections, before the database is dropped
        postgres_server.drop_database(url.rsplit("/", 1)[1])


@pytest.fixture
def browser(tmp_path):
    driver = chromium(tmp_path)
    yield driver
    driver.quit()
