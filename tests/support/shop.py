"""A small real shop for workflow tests: config file, SQLite (or PostgreSQL) database, key,
VAT rates, a handful of products with valid barcodes, staff. Built with the same code as
``till init`` (``till.shop.setup``), so the tests exercise the real set-up path.

Building one costs migrations, two scrypt PIN hashes and a key; copying one costs a file copy.
So ``ShopTemplates`` builds the shop once per test session and engine (``build_shop``), and
each test gets its own copy (``copy``): the folder (configuration, SQLite file, key), and on
PostgreSQL a database made from the template one (``CREATE DATABASE ... TEMPLATE``). Tests
get these through the ``shop``, ``any_shop`` and ``make_shop`` fixtures (tests/conftest.py).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from store.models import Barcode, Category, Customer, Product, User

from till.fiscal.anchor_check import seal_anchors_signed
from till.people.auth import create_user
from till.people.customers import create_customer
from till.config.loader import load
from till.config.example import render_example
from till.shop.context import TillContext
from till.files import write_private
from till.scanning import make_ean13
from till.shop.setup import seed_defaults
from till.selling.stock import move_stock


@dataclass
class Shop:
    ctx: TillContext
    cashier: User
    manager: User
    products: dict[str, Product]
    barcodes: dict[str, str]
    customer: Customer

    @property
    def config(self):
        return self.ctx.config


PRODUCTS = [
    # sku, name, price (cents, TTC), VAT code, weighed
    ("BAG", "Baguette tradition", 120, "R", False),
    ("COF", "Café moulu 250 g", 459, "R", False),
    ("WIN", "Côtes du Rhône 75 cl", 895, "N", False),
    ("SOA", "Savon de Marseille", 350, "N", False),
    ("NEWS", "Le Monde", 320, "S", False),
    ("SAND", "Sandwich jambon", 450, "I", False),
    ("APPL", "Pommes Gala (kg)", 349, "R", True),
]


def build_shop(folder: Path, database: str | None = None, till_id: str = "01") -> Shop:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "till.toml"
    settings = {"till_id": till_id}
    if database:
        settings["database"] = database
    write_private(path, render_example(**settings).encode("utf-8"))  # as `till init` does
    ctx = TillContext.open(load(path), create_key=True)
    products, barcodes = {}, {}
    with ctx.database.atomic():
        seed_defaults(ctx.sealer)  # the VAT rates sealed, as `till init` seals them
        category = Category.get_or_create(name="Épicerie")[0]
        for index, (sku, name, price, vat, weighed) in enumerate(PRODUCTS, start=1):
            product = Product.create(sku=sku, name=name, price_cents=price, vat_code=vat, category=category,
                                     sold_by_weight=weighed)
            code = make_ean13(f"21{index:05d}00000") if weighed else make_ean13(f"3760000{index:05d}")
            Barcode.create(code=code, product=product)
            move_stock(product.id, "sellable", 100_000 if weighed else 50, "opening", None, _now(), sealer=ctx.sealer)
            products[sku], barcodes[sku] = product, code
        # sealed as `till user add` and an opening stock count seal them, so `till journal verify`
        # holds the tables to their records
        cashier = create_user("cashier", "Camille Martin", "cashier", "1111", sealer=ctx.sealer)
        manager = create_user("manager", "Max Durand", "manager", "9999", sealer=ctx.sealer)
        customer = create_customer("Hélène", "Dupré", email="helene@example.fr", consent_email=True)
    seal_anchors_signed(ctx.sealer)  # as `till init` does: its anchors are signed from the first record
    return Shop(ctx, cashier, manager, products, barcodes, customer)


def open_shop(folder: Path) -> Shop:
    """The shop in ``folder`` (made by ``build_shop`` or copied from one), opened as a till opens."""
    from till.selling.catalogue import forget_cached_rates

    forget_cached_rates()  # cached for another database
    ctx = TillContext.open(load(folder / "till.toml"))
    found = {product.sku: product for product in Product.select()}
    codes = {row.product.sku: row.code for row in Barcode.select(Barcode, Product).join(Product)}
    products = {sku: found[sku] for sku, *_ in PRODUCTS}  # in PRODUCTS' order, as built
    return Shop(ctx, User.get(User.login == "cashier"), User.get(User.login == "manager"), products,
                {sku: codes[sku] for sku in products}, Customer.select().order_by(Customer.id).first())


class ShopTemplates:
    """The shop of ``build_shop`` built once per engine in ``root``, copied for each test.

    On PostgreSQL, ``server`` is the session's ``PostgresServer``. Each copy is the test's
    own: its folder, its database."""

    TEMPLATE_DATABASE = "shop_template"

    def __init__(self, root: Path) -> None:
        self.root = root
        self._built: dict[str, Path] = {}
        self._copies = 0

    def template(self, engine: str, server=None) -> Path:
        """The template shop's folder for ``engine``, built on first use."""
        if engine not in self._built:
            from till.fiscal.chain import flush_anchors

            folder = self.root / engine
            database = None
            if engine == "postgres":
                database = server.create_database(self.TEMPLATE_DATABASE)
            build_shop(folder, database=database).ctx.close()  # no connection left: a template must be idle
            assert flush_anchors(timeout=10), "the template's anchors were not written"
            self._built[engine] = folder
        return self._built[engine]

    def copy(self, folder: Path, engine: str = "sqlite", server=None) -> tuple[Shop, str | None]:
        """A copy of the template shop in ``folder``, opened; and on PostgreSQL the name of its
        database (the caller drops it)."""
        template = self.template(engine, server)
        shutil.copytree(template, folder, dirs_exist_ok=True)  # modes kept: the key stays 0600
        name = None
        if engine == "postgres":
            self._copies += 1
            name = f"shop_{self._copies}"
            url = server.create_database(name, template=self.TEMPLATE_DATABASE)
            write_private(folder / "till.toml", render_example(till_id="01", database=url).encode("utf-8"))
        return open_shop(folder), name


def _now():
    from store.models import utcnow

    return utcnow()


def paid_draft(shop: Shop, items, cash=None, card=None, customer=None, user=None):
    """The ticket draft of ``items`` [(sku, qty)] paid through the real checkout: card first (if
    given, through the shop's terminal), then cash for the rest; not written."""
    from till.selling.basket import Basket
    from till.selling.checkout import Checkout

    basket = Basket(shop.config, shop.ctx.sealer, user or shop.cashier)
    for sku, quantity in items:
        basket.add_product(shop.products[sku], quantity)
    basket.attach_customer(customer)
    checkout = Checkout(basket, shop.ctx.terminal)
    if card:
        checkout.pay_card(card)
    if not checkout.is_paid:
        checkout.add_cash(cash or checkout.due_cents)
    return checkout.draft()


def sell(shop: Shop, items, cash=None, card=None, customer=None, days_ago=0):
    """Write a sale of ``items`` [(sku, qty)] through the real checkout: card first (if given),
    then cash for the rest; ``days_ago`` dates it in the past (for return windows) and closes
    that day, as the shop did that evening (the till sells on no later day otherwise). Sales
    in the past go oldest first: a closed day takes no more tickets."""
    import dataclasses
    import datetime as dt

    from store.models import utcnow
    from till.selling.ticket_writer import write_ticket

    draft = paid_draft(shop, items, cash, card, customer)
    if not days_ago:
        return write_ticket(shop.ctx.sealer, shop.config.accounts, draft)
    from till.fiscal.closure_totals import business_day
    from till.fiscal.closures import close_day

    from tests.support.clock import sealing_at

    when = utcnow() - dt.timedelta(days=days_ago)
    with sealing_at(when):  # signed then, as the shop did
        ticket = write_ticket(shop.ctx.sealer, shop.config.accounts, dataclasses.replace(draft, created_at=when))
    close_day(shop.ctx.sealer, business_day(when, shop.ctx.sealer.zone))
    return ticket


def sell_codes(shop: Shop, *codes: str, cash: int = 5000):
    """Scan ``codes`` (as the scanner reads them), pay ``cash``, complete: the ticket."""
    from till.selling.basket import Basket
    from till.selling.checkout import Checkout

    basket = Basket(shop.config, shop.ctx.sealer, shop.cashier)
    for code in codes:
        basket.add_code(code)
    checkout = Checkout(basket, shop.ctx.terminal)
    checkout.add_cash(cash)
    return checkout.complete().ticket


def complete_together(database, sessions) -> list:
    """Run each session's ``complete()`` on its own thread and connection, released together
    (two tills at the same moment); returns what each gave: its ticket, or the exception."""
    import threading

    barrier = threading.Barrier(len(sessions))
    outcomes: list = [None] * len(sessions)

    def work(index: int) -> None:
        try:
            database.connect(reuse_if_open=True)  # this thread's own connection
            barrier.wait(timeout=10)
            outcomes[index] = sessions[index].complete()
        except BaseException as error:  # noqa: BLE001 - examined by the caller
            outcomes[index] = error
        finally:
            database.close()

    threads = [threading.Thread(target=work, args=(index,)) for index in range(len(sessions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    database.connect(reuse_if_open=True)
    return outcomes
