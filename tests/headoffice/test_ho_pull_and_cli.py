"""The pulls of ``till sync`` (catalogue, online orders, credit notes registered company-wide),
key rotation across a sync, and ``till-headoffice verify|report`` on what a sync brought."""

from __future__ import annotations

import datetime as dt
import json

from tests.support.headoffice import settings_for, write_sync_section
from tests.support.shop import sell

from headoffice.cli import main as ho_main
from headoffice.documents import add_orders, publish_catalogue
from headoffice.store import CreditNote as HeldNote, Record, proxy
from store.models import OnlineOrder
from till.sync.push import EXIT_OK, run_sync

ORDER = {"number": "WEB-900001", "ordered_at": "2026-11-20T14:03:00Z",
         "customer": {"name": "Hélène Dupré", "email": "helene@example.fr"},
         "payment": {"means": "card", "amount_cents": 240},
         "lines": [{"sku": "BAG", "quantity": 2, "unit_price_cents": 120}]}


def test_pull_catalogue_orders_and_register_credit_notes(shop, headoffice):
    from till.credit.notes import issue

    ticket = sell(shop, [("BAG", 1)])
    with shop.ctx.database.atomic():
        note = issue(shop.ctx.sealer, shop.ctx.till_id, 700, ticket.id, None, 365, dt.date.today())
    with proxy.obj.connection_context():
        publish_catalogue({"products": [{"sku": "BAG", "name": "Baguette tradition", "price_cents": 130,
                                         "vat_code": "R", "barcodes": []}]})
        add_orders([ORDER], shop_id="PARIS")
        add_orders([{**ORDER, "number": "WEB-900002"}], shop_id="LYON")  # another shop's: not pulled
    result = run_sync(shop.ctx, settings_for(headoffice.url))
    assert result.exit_code == EXIT_OK, result.message
    folder = shop.ctx.config.path.parent
    assert json.loads((folder / "catalogue.json").read_text())["products"][0]["price_cents"] == 130
    assert result.catalogue_version == 1 and result.orders_imported == 1 and result.notes_registered == 1
    from store.models import Product

    assert Product.get(Product.sku == "BAG").price_cents == 130  # the new price applies to the next sale
    assert OnlineOrder.select().where(OnlineOrder.number == "WEB-900001").exists()
    assert not OnlineOrder.select().where(OnlineOrder.number == "WEB-900002").exists()
    with proxy.obj.connection_context():
        held = HeldNote.get(HeldNote.code == note.code)
    assert (held.shop_id, held.balance_cents) == ("PARIS", 700)
    again = run_sync(shop.ctx, settings_for(headoffice.url))
    assert (again.exit_code, again.orders_imported, again.notes_registered) == (EXIT_OK, 0, 0)


def test_key_rotation_is_followed_by_head_office(shop, headoffice):
    from till.fiscal.rotation import rotate_key

    sell(shop, [("BAG", 1)])
    assert run_sync(shop.ctx, settings_for(headoffice.url)).exit_code == EXIT_OK
    rotate_key(shop.ctx.sealer)  # the old key signs the hand-over in chain L
    sell(shop, [("COF", 1)])
    # Head office knows only the old key: the till signs its requests with the retired one
    # until head office has verified the KEY_ROTATED record (chain L is pushed first).
    result = run_sync(shop.ctx, settings_for(headoffice.url))
    assert result.exit_code == EXIT_OK, result.message
    with proxy.obj.connection_context():
        keys = {k for (k,) in Record.select(Record.key_id).distinct().tuples()}
    assert len(keys) == 2
    from headoffice.store import TillKey

    with proxy.obj.connection_context():
        rotated = TillKey.get(TillKey.key_id == shop.ctx.sealer.signer.key_id)
    assert rotated.source == "rotation"
    assert run_sync(shop.ctx, settings_for(headoffice.url)).exit_code == EXIT_OK  # now with the new key


def test_verify_and_report_commands(shop, headoffice, tmp_path, capsys):
    sell(shop, [("BAG", 2)])
    sell(shop, [("WIN", 1)])
    assert run_sync(shop.ctx, settings_for(headoffice.url)).exit_code == EXIT_OK
    config = tmp_path / "headoffice.toml"
    config.write_text(f'[headoffice]\ndatabase = "{headoffice.database_url}"\n', encoding="utf-8")
    assert ho_main(["--config", str(config), "verify"]) == 0
    assert "every chain held verifies" in capsys.readouterr().out
    assert ho_main(["--config", str(config), "report", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["tills"]
    assert rows == [{"shop_id": "PARIS", "till_id": shop.ctx.till_id, "tickets": 2, "sales_cents": 240 + 895,
                     "returns_cents": 0, "net_cents": 240 + 895}]


def _till_cli(*argv: str) -> int:
    """``till ... sync`` as ``till.cli.main`` will run it once it calls ``cli_sync.register``."""
    import argparse

    from till.cli import sync as cli_sync

    parser = argparse.ArgumentParser(prog="till")
    parser.add_argument("--config")
    cli_sync.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(list(argv))
    return args.func(args)


def test_till_sync_command(shop, headoffice, capsys):
    config = str(shop.ctx.config.path)
    assert _till_cli("--config", config, "sync", "--public-key") == 0
    assert capsys.readouterr().out == shop.ctx.sealer.signer.public_pem
    assert _till_cli("--config", config, "sync") == 2  # no [sync] section in till.toml yet
    assert "[sync]" in capsys.readouterr().err
    assert write_sync_section(config, headoffice.url, batch_size=3, pull=False).sync.batch_size == 3
    assert write_sync_section(config, headoffice.url).sync == settings_for(headoffice.url, batch_size=5000,
                                                                            timeout_s=30.0, attempts=5, pause_s=1.0)
    sell(shop, [("BAG", 1)])
    assert _till_cli("--config", config, "sync", "--dry-run") == 0
    assert "T 1" in capsys.readouterr().out
    assert _till_cli("--config", config, "sync") == 0
    assert "pushed" in capsys.readouterr().out
    shop.ctx.database.connect(reuse_if_open=True)  # the command closed the shared connection


def test_a_catalogue_the_till_refuses_is_kept_aside_and_asked_for_again(shop, headoffice):
    from store.models import Product

    with proxy.obj.connection_context():
        publish_catalogue({"products": [{"sku": "BAG", "name": "Baguette", "price_cents": 1.3, "vat_code": "R"}]})
    result = run_sync(shop.ctx, settings_for(headoffice.url))
    assert result.exit_code == EXIT_OK, result.message  # the journal still went; the catalogue waits
    assert "price_cents" in result.catalogue_refused and result.catalogue_version is None
    assert Product.get(Product.sku == "BAG").price_cents == 120


def test_add_orders_checks_every_order_as_the_web_shop_api_does_and_stores_none_of_a_bad_file(headoffice, tmp_path,
                                                                                              capsys):
    from headoffice.store import OnlineOrder, proxy

    config = tmp_path / "headoffice.toml"
    config.write_text(f'[headoffice]\ndatabase = "{headoffice.database_url}"\n', encoding="utf-8")
    # no catalogue published yet: a line names its product in full, as at the till for a product it lacks
    good = {**ORDER, "number": "WEB-900002", "lines": [{"sku": "BAG", "quantity": 2, "unit_price_cents": 120,
                                                       "label": "Baguette", "vat_code": "R", "vat_rate_bp": 550}]}
    bad = {**good, "number": "WEB-900003", "lines": [{**good["lines"][0], "quantity": 0}]}
    orders = tmp_path / "orders.json"
    orders.write_text(json.dumps({"orders": [good, bad]}), encoding="utf-8")
    assert ho_main(["--config", str(config), "add-orders", str(orders)]) == 1
    assert "WEB-900003" in capsys.readouterr().err
    with proxy.obj.connection_context():
        assert OnlineOrder.select().count() == 0  # one bad order: the file is refused whole
    orders.write_text(json.dumps({"orders": [good]}), encoding="utf-8")
    assert ho_main(["--config", str(config), "add-orders", str(orders)]) == 0
    with proxy.obj.connection_context():
        assert OnlineOrder.select().count() == 1
