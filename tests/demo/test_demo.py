"""The demo shop: built for real (catalogue, people, signed past sales) and checked like a shop."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from pathlib import Path

import pytest
from peewee import fn

from store.models import (
    GRAM, Barcode, Category, Customer, FiscalRecord, Payment, Product, Setting, StockLevel, Ticket,
    TicketLine, User,
)
from store.models.base import utcnow
from till.people.auth import AuthError, login
from till.config.loader import load
from till.shop.context import TillContext
from till.people.customers import fold
from till.demo.build import DEMO_SHOP, SALES_PER_DAY, DemoError, build_demo, default_demo_dir
from till.fiscal.verify import verify_journal
from till.selling.basket import Basket
from till.scanning import is_valid_gtin, make_ean13
from till.shop.setup import init_shop
from till.selling.checkout import Checkout
from tests.support.queries import row_counts

DAYS = 5


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "shop"
    build_demo(folder, days=DAYS)
    return folder


@pytest.fixture
def ctx(demo_folder):
    context = TillContext.open(load(demo_folder / "till.toml"))
    yield context
    context.close()


COUNTED = (Product, Barcode, Category, Customer, User, Ticket, TicketLine, FiscalRecord)


def test_shop_identity_is_french_and_complete(ctx):
    shop = ctx.config.shop
    assert shop.name == "Épicerie du Marché (démo)"
    assert shop.address and shop.locale == "fr"
    assert len(shop.siret) == 14 and shop.siret.isdigit()
    siren = shop.siret[:9]
    assert shop.vat_number == f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"


def test_the_demo_grocery_takes_food_back_as_defective_by_default(ctx):
    """Food comes back spoiled or damaged, never in the wrong size: each line taken back gets
    "defective" unless the cashier changes it, and so does not go back on the shelf."""
    returns = ctx.config.returns
    assert returns.reason_by_default == "defective"
    assert returns.dispositions["defective"] == "damaged"


def test_catalogue_has_about_300_products_with_valid_ean13(ctx):
    products = list(Product.select())
    assert 290 <= len(products) <= 320
    assert len({p.name for p in products}) == len(products)
    assert all(p.price_cents > 0 for p in products)
    codes = list(Barcode.select())
    assert all(len(b.code) == 13 and is_valid_gtin(b.code) for b in codes)
    per_product = Counter(b.product_id for b in codes)
    assert set(per_product) == {p.id for p in products}, "every product can be scanned"
    assert any(n == 2 for n in per_product.values()), "some products carry two barcodes"
    weighed = {p.id for p in products if p.sold_by_weight}
    for code in codes:
        if code.product_id in weighed:
            assert code.code.startswith("21")
        else:
            assert 300 <= int(code.code[:3]) <= 379, code.code


def test_catalogue_spans_categories_and_all_four_vat_rates(ctx):
    names = {c.name for c in Category.select()}
    assert {"Épicerie", "Boissons", "Fruits et légumes", "Crèmerie", "Hygiène", "Librairie-Presse",
            "Maison"} <= names
    assert any(name.startswith("Pharmacie") for name in names)
    codes = Counter(p.vat_code for p in Product.select())
    assert set(codes) == {"N", "I", "R", "S"}
    assert codes["N"] > codes["I"] and codes["R"] > codes["S"]
    assert Product.get(Product.name == "Le Monde").vat_code == "S"  # press 2.1 %
    assert Product.get(Product.name == "Germinal (poche)").vat_code == "R"  # books 5.5 %
    assert Product.get(Product.name == "Sandwich jambon-beurre").vat_code == "I"  # take-away 10 %
    assert Product.get(Product.name == "Vin rouge Côtes-du-Rhône 75 cl").vat_code == "N"


def test_two_weighed_products_sell_from_their_scale_labels(ctx):
    weighed = list(Product.select().where(Product.sold_by_weight == True))  # noqa: E712
    assert sorted(p.name.split()[0] for p in weighed) == ["Comté", "Pommes"]
    apples = next(p for p in weighed if p.name.startswith("Pommes"))
    key = Barcode.get(Barcode.product == apples).code
    label = make_ean13(key[:7] + "01500")  # 1.500 kg on the scale's label
    basket = Basket(ctx.config, ctx.sealer, User.get(User.login == "cashier"))
    line = basket.add_code(label)
    assert (line.product_id, line.unit, line.quantity) == (apples.id, GRAM, 1500)
    assert line.total_cents == (apples.price_cents * 1500 + 500) // 1000


def test_stock_is_opened_and_never_negative_after_the_past_sales(ctx):
    assert StockLevel.select().count() == Product.select().count()
    assert StockLevel.select().where(StockLevel.quantity < 0).count() == 0


def test_sixty_customers_with_accents_are_found_by_folded_key(ctx):
    customers = list(Customer.select())
    assert len(customers) == 60
    first_names = {c.first_name for c in customers}
    assert {"Hélène", "Jérôme", "Loïc", "Françoise", "Zoë"} <= first_names
    for customer in customers:
        assert customer.search_key == customer.search_key.encode("ascii").decode().lower()
        assert fold(customer.first_name) in customer.search_key
        assert fold(customer.last_name) in customer.search_key
    for typed, name in (("helene", "Hélène"), ("HÉLÈNE", "Hélène"), ("jerome", "Jérôme"), ("loic", "Loïc"),
                        ("francoise", "Françoise"), ("zoe", "Zoë")):
        found = Customer.select().where(Customer.search_key.startswith(fold(typed)))
        assert name in {c.first_name for c in found}, typed
    with_card = [c for c in customers if c.loyalty_card]
    assert with_card and all(is_valid_gtin(c.loyalty_card) for c in with_card)
    card = with_card[0]
    assert Customer.get(Customer.search_key.contains(card.loyalty_card)).id == card.id
    assert any(c.email for c in customers) and any(c.phone for c in customers)
    assert all(c.email.endswith((".com", ".org", ".net")) for c in customers if c.email)
    assert any(c.consent_email for c in customers) and any(not c.consent_email for c in customers)


def test_fold():
    assert fold("Hélène Lefèvre") == "helene lefevre"
    assert fold("  Zoë   Œuvre  Straße ") == "zoe oeuvre strasse"
    assert fold(None) == "" and fold("") == ""


def test_users_log_in_with_their_pins(ctx):
    cashier = login(ctx.sealer, "cashier", "1111")
    assert (cashier.name, cashier.role) == ("Camille Martin", "cashier")
    manager = login(ctx.sealer, "manager", "9999")
    assert (manager.name, manager.role) == ("Max Durand", "manager")
    with pytest.raises(AuthError):
        login(ctx.sealer, "cashier", "9999")
    login(ctx.sealer, "cashier", "1111")  # a good PIN resets the failure count
    assert User.get(User.login == "cashier").failed_attempts == 0


def test_past_sales_are_dated_in_the_past_and_balance(ctx):
    tickets = list(Ticket.select())
    assert len(tickets) >= 20 * (DAYS - 2)
    today = dt.date.today()
    first = today - dt.timedelta(days=DAYS)
    days = {t.created_at.date() for t in tickets}
    assert len(days) >= 3 and min(days) >= first - dt.timedelta(days=1)
    assert all(t.created_at <= utcnow() for t in tickets)
    assert all(1 <= t.line_count <= 8 for t in tickets)
    lines = dict(TicketLine.select(TicketLine.ticket, fn.SUM(TicketLine.total_cents)).group_by(TicketLine.ticket).tuples())
    paid = dict(Payment.select(Payment.ticket, fn.SUM(Payment.amount_cents)).group_by(Payment.ticket).tuples())
    assert all(lines[t.id] == paid[t.id] == t.total_cents for t in tickets)
    means = Counter(p.means for p in Payment.select())
    assert means["cash"] and means["card"]
    assert Payment.select().where(Payment.amount_cents < 0).exists(), "change was given"
    assert Ticket.select().where(Ticket.customer.is_null(False)).exists()
    assert Ticket.select().where(Ticket.line_count > 1).exists()
    split = (Payment.select(Payment.ticket).where(Payment.amount_cents > 0).group_by(Payment.ticket)
             .having(fn.COUNT(fn.DISTINCT(Payment.means)) > 1))
    assert split.exists(), "some sales are paid partly in cash, partly by card"


def test_past_sales_are_signed_in_chain_t_and_the_journal_verifies(ctx):
    assert FiscalRecord.select().where(FiscalRecord.chain == "T").count() == Ticket.select().count()
    numbers = [t.number for t in Ticket.select().order_by(Ticket.created_at, Ticket.id)]
    assert numbers == sorted(numbers), "tickets are numbered in the order they were sold"
    report = verify_journal(anchors=ctx.sealer.anchors)
    assert report.ok, report.lines("en")
    assert not report.warnings, report.lines("en")


def test_a_live_sale_follows_the_demo_history(ctx):
    before = Ticket.select().count()
    basket = Basket(ctx.config, ctx.sealer, User.get(User.login == "cashier"))
    basket.add_code(Barcode.select().order_by(Barcode.id).first().code)
    checkout = Checkout(basket, ctx.terminal)
    checkout.add_cash(checkout.total_cents + 100)
    sale = checkout.complete()
    assert sale.change_cents == 100 and sale.ticket.number == before + 1
    assert verify_journal(anchors=ctx.sealer.anchors).ok


def test_second_build_reuses_the_shop(demo_folder):
    ctx = TillContext.open(load(demo_folder / "till.toml"))
    before, key = row_counts(*COUNTED), ctx.sealer.signer.key_id
    ctx.close()
    config = build_demo(demo_folder, days=DAYS)
    assert config.path == demo_folder / "till.toml"
    ctx = TillContext.open(config)
    try:
        assert row_counts(*COUNTED) == before
        assert ctx.sealer.signer.key_id == key
    finally:
        ctx.close()


def test_reset_rebuilds_the_same_shop_with_a_new_key(tmp_path):
    folder = tmp_path / "shop"
    config = build_demo(folder, days=2)
    ctx = TillContext.open(config)
    first = row_counts(*COUNTED)
    first_codes = {b.code for b in Barcode.select()}
    first_key = ctx.sealer.signer.key_id
    # A sale made after the build disappears with the reset.
    basket = Basket(config, ctx.sealer, User.get(User.login == "manager"))
    basket.add_code(min(code for code in first_codes if not code.startswith("2")))  # not a scale code
    checkout = Checkout(basket, None)
    checkout.add_cash(checkout.total_cents)
    checkout.complete()
    ctx.close()
    (folder / "receipts.txt").write_text("an old receipt\n", encoding="utf-8")

    config = build_demo(folder, reset=True, days=2)
    assert not (folder / "receipts.txt").exists()
    ctx = TillContext.open(config)
    try:
        assert row_counts(*COUNTED) == first, "same seed, same shop"
        assert {b.code for b in Barcode.select()} == first_codes
        assert ctx.sealer.signer.key_id != first_key
        assert Setting.get(Setting.key == "demo").value.startswith("seed=2026")
        assert verify_journal(anchors=ctx.sealer.anchors).ok
    finally:
        ctx.close()


def test_an_interrupted_build_is_refused_until_reset(tmp_path):
    folder = tmp_path / "shop"
    config = build_demo(folder, days=1)
    ctx = TillContext.open(config)
    Setting.delete().where(Setting.key == "demo").execute()  # as if the build had stopped half-way
    ctx.close()
    with pytest.raises(DemoError) as caught:
        build_demo(folder, days=1)
    assert "--reset" in caught.value.text("fr")
    config = build_demo(folder, reset=True, days=1)
    ctx = TillContext.open(config)
    try:
        assert Setting.select().where(Setting.key == "demo").exists()
    finally:
        ctx.close()


def test_a_folder_holding_another_shop_is_refused(tmp_path):
    folder = tmp_path / "real-shop"
    init_shop(folder, shop_name="Boulangerie Dupain", siret="73282932000074")
    for reset in (False, True):
        with pytest.raises(DemoError) as caught:
            build_demo(folder, reset=reset, days=1)
        assert "another shop" in caught.value.text("en")
        assert "autre boutique" in caught.value.text("fr")
    assert (folder / "keys" / "till.pem").exists(), "nothing of the real shop was deleted"


def test_default_demo_dir_is_in_the_user_data_folder():
    folder = default_demo_dir()
    assert folder.name == "demo-shop" and folder.parent.name == "till"


def test_the_real_ninety_days_build_quickly_and_verify(tmp_path):
    started = time.perf_counter()
    config = build_demo(tmp_path / "shop")
    took = time.perf_counter() - started
    ctx = TillContext.open(config)
    try:
        tickets = Ticket.select().count()
        oldest = Ticket.select().order_by(Ticket.created_at).first().created_at
        assert (dt.datetime.now() - oldest).days >= 85
        assert verify_journal(anchors=ctx.sealer.anchors).ok
        # The README lists the receipts ready to return: the same codes and totals whatever the day
        import re

        from till.demo.offered import receipts_to_return
        from till.money import format_cents

        readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
        listed = re.findall(r"^\| `(T01-\d+)` \| ([\d,]+ €) \|", readme, re.MULTILINE)
        offered = sorted((code, format_cents(total, "fr")) for code, total, _means in receipts_to_return())
        assert sorted((code, amount.replace("\u202f", " ")) for code, amount in offered) == sorted(listed)
        assert tickets == 90 * SALES_PER_DAY + 3
        # Its past months closed, each by itself at the first sale of the next (or at the end of
        # the build for the last one), and every closure adds up to its tickets.
        from till.fiscal.closure_check import check_closures
        from till.fiscal.closures import business_day, closures

        first = business_day(oldest, ctx.sealer.zone).replace(day=1)
        this_month = business_day(dt.datetime.now(dt.timezone.utc), ctx.sealer.zone).replace(day=1)
        expected = []
        while first < this_month:
            expected.append(f"{first.year:04d}-{first.month:02d}")
            first = (first + dt.timedelta(days=32)).replace(day=1)
        months = closures(ctx.till_id, "month")
        assert [m.period.label for m in months] == expected and len(expected) >= 2
        assert all(m.payload["automatic"] for m in months)
        assert check_closures() == []
    finally:
        ctx.close()
    print(f"demo build (90 days, {tickets} tickets): {took:.1f} s")
    assert DEMO_SHOP["shop_name"] == config.shop.name


def test_the_demo_offers_receipts_ready_to_return(ctx):
    from till.demo.offered import receipts_to_return
    from till.returns.session import ReturnSession

    receipts = receipts_to_return()
    assert len(receipts) >= 2 and len({means for _, _, means in receipts}) == len(receipts)
    user = User.get(User.login == "cashier")
    for code, total, _ in receipts:
        session = ReturnSession.at(ctx, user)
        ticket = session.find(code)
        assert ticket.total_cents == total
        assert all(line.returnable > 0 for line in session.lines)


def test_the_demo_has_an_imported_online_order_ready_to_return(ctx, demo_folder):
    from store.models import OnlineOrder
    from till.demo.build import DEMO_ORDER
    from till.returns.online_orders import import_file
    from till.returns.session import ReturnSession

    user = User.get(User.login == "cashier")
    session = ReturnSession.at(ctx, user)
    order = session.find(DEMO_ORDER)
    assert isinstance(order, OnlineOrder) and order.customer_id is not None
    assert [line.sold for line in session.lines] == [2, 1] and all(line.returnable for line in session.lines)
    # the file it came from stays in the shop's folder: importing it again changes nothing
    assert import_file(demo_folder / "online-orders.json").unchanged == [DEMO_ORDER]


def test_the_demo_has_a_receipt_of_another_shop_that_its_till_can_check(ctx, demo_folder):
    import stat

    from till.demo.other_shop import OTHER_SHOP, OTHER_TILL, RECEIPT_FILE
    from till.fiscal.known_tills import keys_of, shop_of
    from till.fiscal.receipt_proof import check, looks_like_proof

    path = demo_folder / RECEIPT_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = next(line for line in path.read_text(encoding="utf-8").splitlines() if looks_like_proof(line))
    proof = check(text, keys_of).proof  # L01's key was kept as a sync keeps it
    assert (proof.till_id, shop_of(OTHER_TILL)) == (OTHER_TILL, OTHER_SHOP)
    assert [line.quantity for line in proof.lines] == [1, 2] and proof.payments == (("card", proof.total_cents),)
    assert all(Barcode.get_or_none(Barcode.code == line.product) for line in proof.lines)  # this shop sells them


def test_a_receipt_returned_in_full_is_no_longer_offered(tmp_path):
    from till.demo.offered import receipts_to_return
    from till.returns.session import ReturnSession

    config = build_demo(tmp_path / "shop", days=2)  # two days: never only the Monday it is closed
    ctx = TillContext.open(config)
    try:
        first = receipts_to_return()
        code = next(code for code, _total, means in first if means == "cash")
        session = ReturnSession.at(ctx, User.get(User.login == "cashier"))
        session.find(code)
        for line in session.lines:
            session.pick(line.line_id, reason="defective")
        session.complete()
        again = receipts_to_return()
        assert code not in {c for c, _t, _m in again}
        assert "cash" in {m for _c, _t, m in again}  # an older cash receipt takes its place
    finally:
        ctx.close()


def test_the_archive_of_a_past_demo_day_carries_the_declaration_of_its_history_and_verifies(ctx, tmp_path):
    """The demo's past tickets are sealed at the build and declared first (HISTORY_IMPORTED, in
    today's chain L): the archive of a past day carries that declaration, and verifies clean."""
    import json
    import zipfile

    from till.fiscal.archive import export_archive
    from till.fiscal.archive_verify import verify_archive

    first = Ticket.select().order_by(Ticket.id).first().created_at
    day = first.replace(tzinfo=dt.timezone.utc).astimezone(ctx.sealer.zone).date()
    result = export_archive(ctx.sealer, day.isoformat(), tmp_path)
    with zipfile.ZipFile(result.path) as archive:
        declared = [json.loads(line) for line in archive.read("declarations/01.jsonl").splitlines()]
    assert [record["kind"] for record in declared] == ["HISTORY_IMPORTED"]
    report = verify_archive(result.path)
    assert report.ok and not report.warnings, report.lines("en")
    assert report.counts[("01", "T")] >= 1
