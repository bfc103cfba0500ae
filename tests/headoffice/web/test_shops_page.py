"""The Shops page without a browser: real tills synced to a real head office on loopback (the
same database the pages' app reads), the page read as a person reads it."""

from __future__ import annotations

import datetime as dt
import re
from unittest import mock

from headoffice.cli import enroll
from headoffice.store import proxy, utcnow
from till.fiscal import Signer
from till.fiscal.key_chain import fingerprint
from till.sync.push import EXIT_OK, run_sync
from tests.support.headoffice import HeadOffice, settings_for, write_sync_section
from tests.support.shop import sell


def _row(html: str, till_id: str) -> str:
    match = re.search(rf'<tr id="till-{till_id}" class="([^"]*)">(.*?)</tr>', html, re.S)
    assert match, f"no row of till {till_id}"
    return match.group(1) + " | " + re.sub(r"<[^>]+>", " ", match.group(2))


def _synced_at(shop, office, when: dt.datetime | None = None) -> None:
    """The till's sync, received by head office at ``when`` (its clock), or now."""
    if when is None:
        assert run_sync(shop.ctx, settings_for(office.url)).exit_code == EXIT_OK
        return
    with mock.patch("headoffice.ingest.utcnow", lambda: when):
        assert run_sync(shop.ctx, settings_for(office.url)).exit_code == EXIT_OK


def _office(ho_web, shop) -> HeadOffice:
    office = HeadOffice(ho_web.database_url).start()
    with proxy.obj.connection_context():
        enroll(shop.ctx.till_id, "PARIS", shop.ctx.sealer.signer.public_pem, name="Caisse 1")
    return office


def test_a_till_synced_now_is_not_red_one_enrolled_and_never_synced_is(ho_web, shop, tmp_path):
    office = _office(ho_web, shop)
    try:
        never = Signer.create(tmp_path / "L01.pem")
        with proxy.obj.connection_context():
            enroll("L01", "LYON", never.public_pem)
        sell(shop, [("BAG", 2)])
        _synced_at(shop, office)
        client = ho_web.logged_in("viewer")
        page, lyon = client.get("/shops"), client.get("/shops?shop=LYON").text
    finally:
        office.stop()
    assert page.status_code == 200
    assert 'id="till-L01"' in lyon and f'id="till-{shop.ctx.till_id}"' not in lyon  # one shop asked for
    synced, silent = _row(page.text, shop.ctx.till_id), _row(page.text, "L01")
    assert synced.startswith("ok |") and "never" not in synced
    assert fingerprint(shop.ctx.sealer.signer.key_id) in synced
    assert re.search(r"\bT 1\b", synced)  # the sale held: chain T up to 1
    assert silent.startswith("red |") and "never" in silent and fingerprint(never.key_id) in silent
    assert "1 till not synced" in page.text


def test_a_till_whose_last_batch_is_more_than_a_day_old_is_red(ho_web, shop):
    office = _office(ho_web, shop)
    try:
        sell(shop, [("BAG", 1)])
        _synced_at(shop, office, utcnow() - dt.timedelta(hours=25))
        late = ho_web.logged_in("viewer").get("/shops").text
        sell(shop, [("BAG", 1)])
        _synced_at(shop, office, utcnow() - dt.timedelta(hours=23))
        recent = ho_web.logged_in("viewer").get("/shops").text
    finally:
        office.stop()
    assert _row(late, shop.ctx.till_id).startswith("red |") and "(late)" in _row(late, shop.ctx.till_id)
    assert _row(recent, shop.ctx.till_id).startswith("ok |")


def test_records_the_till_said_it_held_at_its_closure_but_never_sent_are_counted_behind(ho_web, shop, capsys):
    from till.cli.main import main as till_main

    office = _office(ho_web, shop)
    try:
        config = str(shop.ctx.config.path)
        write_sync_section(config, office.url)
        sell(shop, [("BAG", 2)])
        sell(shop, [("WIN", 1)])
        assert till_main(["--config", config, "close", "day"]) == 0  # its statement of heads reaches head office
        shop.ctx.database.connect(reuse_if_open=True)
        client = ho_web.logged_in("viewer")
        before = client.get("/shops").text
        till_page = client.get(f"/tills/{shop.ctx.till_id}").text
        _synced_at(shop, office)
        after = client.get("/shops").text
    finally:
        office.stop()
    row = _row(before, shop.ctx.till_id)
    behind = int(re.search(r'<td class="num">(\d+)</td>', before.split(f'id="till-{shop.ctx.till_id}"')[1]).group(1))
    assert behind > 2 and "till said 2" in row  # chain T: 2 tickets said, none held
    assert "closure 1" in row
    assert re.search(r"<td>T</td><td class=\"num\">0</td>.*?<td class=\"num\">2</td>\s*<td class=\"num\">2</td>",
                     till_page, re.S)
    assert f'id="till-{shop.ctx.till_id}" class="ok"' in after
    assert re.search(r'<td class="num">0</td>', after.split(f'id="till-{shop.ctx.till_id}"')[1])


def test_the_till_page_lists_its_chains_keys_and_alerts_and_an_unknown_till_is_404(ho_web, shop):
    office = _office(ho_web, shop)
    try:
        sell(shop, [("BAG", 1)])
        _synced_at(shop, office)
        client = ho_web.logged_in("viewer")
        page = client.get(f"/tills/{shop.ctx.till_id}")
        missing = client.get("/tills/NOPE")
    finally:
        office.stop()
    assert page.status_code == 200
    assert "<td>T</td>" in page.text and "<td>L</td>" in page.text
    assert fingerprint(shop.ctx.sealer.signer.key_id) + "</code> (root)" in page.text
    assert "Alerts (0 open)" in page.text
    assert missing.status_code == 404 and "no such till" in missing.text


def test_the_shops_page_reads_a_fixed_number_of_queries_whatever_the_number_of_tills(ho_web, tmp_path):
    """Fast at 200 shops: no query per till (the anchors are one query with an index probe each)."""
    from headoffice.web.shops_data import shops_overview

    def queries_for(tills: int) -> int:
        with proxy.obj.connection_context():
            for index in range(tills):
                signer = Signer.create(tmp_path / f"{tills}-{index}.pem")
                enroll(f"S{tills}-{index}", f"SHOP{index % 3}", signer.public_pem)
            with mock.patch.object(type(proxy.obj), "execute_sql", autospec=True,
                                   side_effect=type(proxy.obj).execute_sql) as executed:
                shops = shops_overview()
            assert sum(len(shop.tills) for shop in shops) >= tills
            return executed.call_count

    assert queries_for(2) == queries_for(9)
