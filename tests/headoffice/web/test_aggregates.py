"""The figures the pages read, kept by ingest from what real tills sync: equal to what the
till sold and took back, counted once when a batch comes again, and rebuilt from the records."""

from __future__ import annotations

import dataclasses

from headoffice.aggregates import rebuild
from headoffice.cli import main
from headoffice.documents import publish_catalogue
from headoffice.store import CategoryDay, CreditMove, ProductDay, ReturnDay, ReturnTicket, ShopDay, proxy
from till.sync import push as sync_module
from till.returns.session import ReturnSession
from till.sync.client import HeadOfficeClient
from till.sync.pull import other_shops
from tests.support.headoffice import settings_for
from tests.support.receipts import lyon, proof_of, receipt_text  # noqa: F401 - lyon: a fixture
from tests.headoffice.web.history import CATALOGUE, make_history, sync, till_figures


def _figures() -> dict:
    with proxy.obj.connection_context():
        days = list(ShopDay.select().where(ShopDay.shop_id != "*", ShopDay.span == "d").dicts())
        months = list(ShopDay.select().where(ShopDay.shop_id == "*", ShopDay.span == "m").dicts())
        return {
            "sales_cents": sum(d["sales_cents"] for d in days), "returns_cents": sum(d["returns_cents"] for d in days),
            "tickets": sum(d["tickets"] for d in days),
            "chain_months": (sum(m["sales_cents"] for m in months), sum(m["returns_cents"] for m in months)),
            "by_category": {(c.category, c.sales_cents, c.returns_cents) for c in CategoryDay.select()
                            .where(CategoryDay.shop_id == "PARIS", CategoryDay.span == "d")
                            if c.sales_cents or c.returns_cents},
            "by_product": {p.sku: (p.sales_quantity, p.returns_quantity, p.returns_cents) for p in ProductDay.select()
                           .where(ProductDay.shop_id == "*", ProductDay.span == "m")},
            "by_reason": {(r.shop_id, r.reason, r.selling_shop_id): (r.tickets, r.returns_cents)
                          for r in ReturnDay.select().where(ReturnDay.span == "d", ReturnDay.shop_id != "*")},
            "behind_reasons": sorted((t.reason, t.amount_cents) for t in ReturnTicket.select()),
            "credit": sorted((m.kind, m.amount_cents) for m in CreditMove.select()),
            "credit_days": [(d["credit_issued_cents"], d["credit_spent_cents"]) for d in days],
        }


def test_synced_tickets_add_up_to_what_the_till_sold_and_took_back(shop, headoffice):
    with proxy.obj.connection_context():
        publish_catalogue(CATALOGUE)
    history = make_history(shop)
    sync(shop, headoffice)
    figures, till = _figures(), till_figures(shop)
    assert (figures["sales_cents"], figures["returns_cents"], figures["tickets"]) == (
        till["sales_cents"], till["returns_cents"], till["tickets"])
    assert figures["chain_months"] == (till["sales_cents"], till["returns_cents"])
    assert figures["by_product"]["SOA"] == (2, 1, 350) and figures["by_product"]["COF"] == (1, 1, 459)
    assert ("Droguerie", 700, 350) in figures["by_category"] and ("Épicerie", 459, 459) in figures["by_category"]
    assert figures["by_reason"][("PARIS", "defective", "PARIS")] == (1, 350)
    assert figures["by_reason"][("PARIS", "changed_mind", "PARIS")] == (1, 459)
    assert ("", 500) in figures["behind_reasons"]  # the note issued by a return without a reason given
    assert figures["credit"] == [("issued", 500), ("spent", 120)]
    assert history.note_code


def test_a_batch_sent_again_counts_once(shop, headoffice):
    make_history(shop)
    sync(shop, headoffice)
    before = _figures()
    client = HeadOfficeClient(headoffice.url, shop.ctx.till_id, shop.ctx.sealer.signer)
    records = sync_module._read(shop.ctx.till_id, "T", 1, 100)
    answer = client.request("POST", "/v1/records", {"till_id": shop.ctx.till_id, "chain": "T", "records": records,
                                                     "last": True})
    assert answer["accepted"] == 0 and answer["duplicates"] == len(records)
    assert _figures() == before


def test_rebuild_gives_the_figures_ingest_kept(shop, headoffice, tmp_path):
    with proxy.obj.connection_context():
        publish_catalogue(CATALOGUE)
    make_history(shop)
    sync(shop, headoffice)
    kept = _figures()
    with proxy.obj.connection_context():
        for model in (ShopDay, CategoryDay, ProductDay, ReturnDay, ReturnTicket, CreditMove):
            model.delete().execute()
        assert _figures()["tickets"] == 0
        assert rebuild() == kept["tickets"]
    assert _figures() == kept
    config = tmp_path / "headoffice.toml"
    config.write_text(f'[headoffice]\ndatabase = "{headoffice.database_url}"\n', encoding="utf-8")
    assert main(["--config", str(config), "aggregates", "rebuild"]) == 0
    assert _figures() == kept



def test_a_receipt_of_another_shop_counts_as_sold_there_and_returned_here(shop, headoffice, lyon):
    config = dataclasses.replace(shop.config, sync=settings_for(headoffice.url))
    other_shops(HeadOfficeClient(headoffice.url, shop.ctx.till_id, shop.ctx.sealer.signer), shop.ctx.till_id)
    back = ReturnSession(config, shop.ctx.sealer, shop.cashier)
    back.find(receipt_text(lyon, proof_of(shop)))
    assert back.receipt.ask_head_office() is True
    back.pick(back.lines[0].line_id, 1, reason="defective")
    ticket = back.complete()
    sync(shop, headoffice)
    with proxy.obj.connection_context():
        rows = [(r.shop_id, r.reason, r.selling_shop_id, r.tickets, r.returns_cents)
                for r in ReturnDay.select().where(ReturnDay.span == "d")]
        behind = [(t.code, t.selling_shop_id) for t in ReturnTicket.select()]
    assert rows == [("PARIS", "defective", "LYON", 1, 895), ("*", "defective", "LYON", 1, 895)]
    assert behind == [(ticket.code, "LYON")]


def test_categories_follow_the_catalogue_of_the_database_open_not_a_version_number(tmp_path):
    """Two head offices' databases, each with its first catalogue (version 1 both): the categories
    read are those of the database open, never those of the other kept under the same version."""
    from headoffice.aggregates import catalogue_categories
    from headoffice.store import open_database

    first = open_database(f"sqlite:///{tmp_path / 'first.db'}")
    publish_catalogue({"products": [{"sku": "BAG", "category": "Boulangerie"}]})
    assert catalogue_categories() == {"BAG": "Boulangerie"}
    first.close()
    second = open_database(f"sqlite:///{tmp_path / 'second.db'}")
    assert publish_catalogue({"products": [{"sku": "BAG", "category": "Pains"}]}) == 1
    assert catalogue_categories() == {"BAG": "Pains"}
    second.close()
