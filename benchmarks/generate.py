"""Build large shops fast, for the benchmarks: products, customers and signed past tickets.

The issue's size is 100k products, 1M tickets and 200k customers (``FULL``); ``QUICK`` and
``TINY`` are the same shop made small. Speed comes from bulk inserts (``executemany`` of
prepared statements, tens of thousands of rows a call) in big transactions, with no ORM object
per row. The tickets are still real fiscal documents: every one is sealed in chain T by the
till's own ``Sealer.append`` with the payload rebuilt from its rows by ``ticket_payloads``
(the verifier's code), so ``verify_journal`` checks real signatures. Only the tail anchor is
written once at the end instead of after every commit.

    python benchmarks/generate.py --quick --dir bench-quick
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from itertools import islice
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import peewee  # noqa: E402

from store import migrations  # noqa: E402
from store.models import (  # noqa: E402
    CASHIER, DAMAGED, MANAGER, PIECE, RETURN, SALE, SELLABLE, AccountingLine, Barcode, Category, Customer,
    CustomerWord, FiscalRecord, Payment, Product, Setting, StockLevel, StockMovement, Ticket, TicketLine, TicketVat,
    VatRate,
)
from till.fiscal.imported_history import declare_history  # noqa: E402
from till.selling.accounting import ticket_postings  # noqa: E402
from till.people.auth import create_user  # noqa: E402
from till.config.loader import Config, load  # noqa: E402
from till.shop.context import TillContext  # noqa: E402
from till.people.customers import fold, search_key as customer_search_key, words_of  # noqa: E402
from till.demo.build import CATALOGUE, FIRST_NAMES, LAST_NAMES  # noqa: E402
from till.fiscal.chain import Sealer  # noqa: E402
from till.fiscal.payloads import ticket_payloads  # noqa: E402
from till.money import vat_breakdown  # noqa: E402
from till.scanning import make_ean13, ticket_code  # noqa: E402
from till.shop.setup import init_shop  # noqa: E402
from till.fiscal.events import EVENT_CHAIN  # noqa: E402
from till.selling.stock import STOCK_MOVED, location_id, stock_moved_payload  # noqa: E402

__all__ = ["Size", "SIZES", "FULL", "QUICK", "TINY", "build_shop", "bulk_insert", "default_bench_dir",
           "write_ticket_parts", "write_returns", "LINE_FIELDS", "RETURN_LINE_FIELDS"]

MARKER = "benchmark"
"""``Setting`` key holding the size and seed of a finished benchmark shop (JSON)."""
OWNER_FILE = ".till-benchmark-shop"
"""Left in the folder so that a rebuild only ever deletes a folder this script made."""
CONFIG_NAME = "till.toml"
TICKETS_PER_COMMIT = 2_000
RETURN_SHARE = 0.03
"""About one ticket in thirty-three is a return of a sale of its batch, as in a real shop."""
RETURN_REASONS = ("wrong_size", "defective", "not_as_described", "changed_mind", "damaged_in_transit")
ROWS_PER_CALL = 20_000


@dataclass(frozen=True)
class Size:
    """How big a benchmark shop is."""

    name: str
    products: int
    tickets: int
    customers: int


FULL = Size("full", 100_000, 1_000_000, 200_000)
QUICK = Size("quick", 5_000, 20_000, 5_000)
TINY = Size("tiny", 400, 600, 200)
SIZES = {size.name: size for size in (FULL, QUICK, TINY)}

SHOP = {
    "shop_name": "Supérette du Banc d'Essai (benchmark)",
    "address": "1 rue des Mesures, 31000 Toulouse",
    "siret": "73282932000074",
    "vat_number": "FR44732829320",
    "till_id": "01",
    "language": "fr",
}

Progress = Callable[[str], None]


def default_bench_dir(size: Size) -> Path:
    """Where a shop of ``size`` is kept between runs: the user's cache folder for till."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("till", appauthor=False)) / f"bench-{size.name}"


# --- Bulk writing ---------------------------------------------------------------------------------


def _chunks(rows: Iterable[tuple], size: int) -> Iterator[list[tuple]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def bulk_insert(database: peewee.Database, model: type[peewee.Model], fields: Sequence[str],
                rows: Iterable[tuple], per_call: int = ROWS_PER_CALL) -> int:
    """Insert ``rows`` (tuples in the order of ``fields``) into ``model``'s table; returns the count.

    One prepared statement run by ``executemany`` per ``per_call`` rows: the table and column
    names come from the model, so the schema stays the store's. Call inside a transaction.
    """
    meta = model._meta
    columns = [meta.fields[name].column_name for name in fields]
    def quote(name: str) -> str:
        return f'"{name}"'  # SQL standard identifiers: SQLite and PostgreSQL alike

    sql = (f"INSERT INTO {quote(meta.table_name)} ({', '.join(quote(c) for c in columns)}) "
           f"VALUES ({', '.join([database.param] * len(columns))})")
    cursor = database.cursor()
    count = 0
    for batch in _chunks(rows, per_call):
        cursor.executemany(sql, batch)
        count += len(batch)
    return count


def _stamp(when: dt.datetime) -> str:
    """A timestamp as peewee stores a naive UTC ``DateTimeField``."""
    return when.strftime("%Y-%m-%d %H:%M:%S")


# --- The shop -----------------------------------------------------------------------------------



def reusable_shop(folder: Path, marker: str, wanted: dict) -> Config | None:
    """The benchmark shop in ``folder`` when it was built by the benchmarks with ``wanted`` (the
    JSON stored under ``marker``), else None: a shop kept between runs is reused, never guessed."""
    config_path = folder / CONFIG_NAME
    if not (config_path.exists() and (folder / OWNER_FILE).exists()):
        return None
    config = load(config_path)
    ctx = TillContext.open(config)
    try:
        row = Setting.get_or_none(Setting.key == marker)
        return config if row is not None and json.loads(row.value) == wanted else None
    finally:
        ctx.close()


def fresh_shop(folder: Path, maker: str) -> Config:
    """An empty shop in ``folder``, made from nothing: a folder the benchmarks made before is
    wiped, any other non-empty folder refused (a benchmark never deletes what it did not make)."""
    if folder.exists() and any(folder.iterdir()):
        if not (folder / OWNER_FILE).exists():
            raise SystemExit(f"{folder} is not empty and was not made by the benchmarks: choose another --dir")
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / OWNER_FILE).write_text(f"made by {maker}; deleted on rebuild\n", encoding="utf-8")
    return init_shop(folder, CONFIG_NAME, **SHOP).config


def add_staff(sealer: Sealer) -> list[int]:
    """The benchmark shop's cashier and manager (ids), inside the caller's transaction, each
    sealed in chain L as ``till user add`` does (``till journal verify`` accepts the shop)."""
    return [create_user("cashier", "Camille Martin", CASHIER, "1111", sealer=sealer).id,
            create_user("manager", "Max Durand", MANAGER, "9999", sealer=sealer).id]

def build_shop(folder: Path, size: Size, seed: int = 7, progress: Progress | None = None) -> Config:
    """A benchmark shop of ``size`` in ``folder``: reused when already built with the same size
    and seed, else (re)made from nothing. Returns its configuration."""
    say = progress or (lambda message: None)
    folder = Path(folder).expanduser().resolve()
    wanted = {"size": asdict(size), "seed": seed, "schema": migrations.fingerprint(), "returns": RETURN_SHARE}
    config = reusable_shop(folder, MARKER, wanted)
    if config is not None:
        say(f"reusing the {size.name} shop in {folder}")
        return config
    config = fresh_shop(folder, "benchmarks/generate.py")
    ctx = TillContext.open(config)
    try:
        rng = random.Random(seed)
        database = ctx.database
        started = time.perf_counter()
        with database.atomic():
            products = generate_products(database, size.products, rng)
        say(f"{size.products} products in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        with database.atomic():
            customers = generate_customers(database, size.customers, rng)
            users = add_staff(ctx.sealer)
        say(f"{size.customers} customers in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        generate_tickets(ctx, size.tickets, products, customers, users, rng, say)
        say(f"{size.tickets} signed tickets in {time.perf_counter() - started:.1f} s")
        with database.atomic():
            Setting.insert(key=MARKER, value=json.dumps(wanted, sort_keys=True)).on_conflict_replace().execute()
        database.execute_sql("ANALYZE") if isinstance(database, peewee.SqliteDatabase) else None
    finally:
        ctx.close()
    return config


_VARIANTS = ("", "bio", "lot de 2", "format familial", "éco-recharge", "premier prix", "édition limitée",
             "sans sucres ajoutés", "maxi", "mini", "x3", "origine France", "label rouge", "nouvelle recette")


@dataclass(frozen=True)
class _Product:
    id: int
    sku: str
    name: str
    price_cents: int
    vat_code: str


def generate_products(database: peewee.Database, count: int, rng: random.Random) -> list[_Product]:
    """``count`` products over the demo's categories and rates, each with an EAN-13 (10 % two)."""
    categories = {}
    for name in CATALOGUE:
        categories[name] = Category.get_or_create(name=name)[0].id
    templates = []
    for category, text in CATALOGUE.items():
        for line in filter(None, (raw.strip() for raw in text.splitlines())):
            label, price, vat = (part.strip() for part in line.split(";"))
            templates.append((categories[category], label, int(price), vat))
    rows = []
    for number in range(1, count + 1):
        category, label, price, vat = templates[(number - 1) % len(templates)]
        variant = _VARIANTS[(number - 1) // len(templates) % len(_VARIANTS)]
        round_ = (number - 1) // (len(templates) * len(_VARIANTS))
        name = " ".join(filter(None, (label, variant, f"réf. {round_}" if round_ else "")))
        price = max(10, int(price * rng.uniform(0.8, 1.3)))
        rows.append((f"B{number:07d}", name[:120], price, vat, category, False, False, False, True))
    bulk_insert(database, Product, ("sku", "name", "price_cents", "vat_code", "category", "sold_by_weight",
                                    "serial_tracked", "final_sale", "active"), rows)
    products = [_Product(*row) for row in Product.select(Product.id, Product.sku, Product.name, Product.price_cents,
                                                         Product.vat_code).order_by(Product.id).tuples()]

    def barcodes() -> Iterator[tuple]:
        for index, product in enumerate(products):
            yield make_ean13(f"{300 + index % 80:03d}{index:09d}"), product.id
            if index % 10 == 3:
                yield make_ean13(f"{379 - index % 80:03d}{index + 500_000_000:09d}"), product.id

    bulk_insert(database, Barcode, ("code", "product"), barcodes())
    return products


def generate_customers(database: peewee.Database, count: int, rng: random.Random) -> list[tuple[int, str]]:
    """``count`` customers with French names, contacts, cards and a folded search key."""
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)

    def rows() -> Iterator[tuple]:
        for number in range(1, count + 1):
            first = FIRST_NAMES[rng.randrange(len(FIRST_NAMES))]
            last = LAST_NAMES[rng.randrange(len(LAST_NAMES))]
            local = f"{fold(first)}.{fold(last)}".replace(" ", "").replace("'", "")
            email = f"{local}{number}@example.com" if rng.random() < 0.8 else None
            phone = f"06 39 98 {number // 100 % 100:02d} {number % 100:02d}" if rng.random() < 0.7 else None
            card = make_ean13(f"29{number:010d}") if rng.random() < 0.6 else None
            yield (first, last, email, phone, card, bool(email) and rng.random() < 0.5,
                   bool(phone) and rng.random() < 0.3, customer_search_key(first, last, email, phone, card),
                   _stamp(now - dt.timedelta(days=rng.randint(1, 2000))))

    bulk_insert(database, Customer, ("first_name", "last_name", "email", "phone", "loyalty_card", "consent_email",
                                     "consent_sms", "search_key", "created_at"), rows())
    keys = list(Customer.select(Customer.id, Customer.search_key).tuples())
    bulk_insert(database, CustomerWord, ("word", "customer"),
                ((word, customer_id) for customer_id, key in keys for word in words_of(key)))
    return [(cid, f"{first} {last}") for cid, first, last in
            Customer.select(Customer.id, Customer.first_name, Customer.last_name).order_by(Customer.id).tuples()]


def generate_tickets(ctx: TillContext, count: int, products: list[_Product], customers: list[tuple[int, str]],
                     users: list[int], rng: random.Random, say: Progress) -> None:
    """``count`` past sales, written in bulk and sealed one by one in chain T, in order."""
    database = ctx.database
    accounts = ctx.config.accounts
    till_id = ctx.sealer.till_id
    sealer = Sealer(till_id, ctx.sealer.signer, None, ctx.sealer.zone)  # anchored once, at the end
    rates = {code: rate for code, rate in VatRate.select(VatRate.code, VatRate.rate_bp).tuples()}
    operators = {uid: name for uid, name in zip(users, ("Camille Martin", "Max Durand"))}
    with database.atomic():
        sellable = location_id(SELLABLE)
        locations = {"restock": sellable, "damaged": location_id(DAMAGED)}
    weights = [rng.paretovariate(1.2) for _ in products]
    cumulative = []
    total = 0.0
    for weight in weights:
        total += weight
        cumulative.append(total)
    sold = [0] * len(products)
    days = max(30, count // 1500)
    end = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0) - dt.timedelta(hours=1)
    start = end - dt.timedelta(days=days)
    step = (end - start) / max(1, count)
    first_number = _next_number(till_id)
    # a past written now: declared first, as the demo does (a ticket's time is its signing time otherwise)
    declare_history(sealer, count=count, earliest=start, latest=end, reason="benchmark data set")
    reported = time.perf_counter()
    index_of = {product.id: index for index, product in enumerate(products)}
    damaged: dict[int, int] = {}
    for base in range(0, count, TICKETS_PER_COMMIT):
        size = min(TICKETS_PER_COMMIT, count - base)
        returns = int(size * RETURN_SHARE)
        sales = size - returns
        plans = []
        for offset in range(sales):
            index = base + offset
            when = start + step * index
            chosen = dict.fromkeys(rng.choices(range(len(products)), cum_weights=cumulative,
                                               k=min(8, int(rng.expovariate(1 / 2.0)) + 1)))
            lines = []
            for product_index in chosen:
                product = products[product_index]
                quantity = rng.choices((1, 2, 3), weights=(80, 15, 5))[0]
                sold[product_index] += quantity
                rate = rates[product.vat_code]
                lines.append((product, quantity, rate, product.price_cents * quantity))
            customer = customers[rng.randrange(len(customers))] if customers and rng.random() < 0.3 else None
            plans.append((first_number + base + offset, when.replace(microsecond=0), lines, customer,
                          users[0] if rng.random() < 0.85 else users[-1]))
        with database.atomic():
            _write_batch(database, sealer, accounts, till_id, sellable, plans, operators, rng)
            if returns:
                back = _returns_of_batch(first_number + base, sales, returns, plans[-1][1], users, till_id, rng)
                write_returns(database, sealer, accounts, till_id, locations, back, operators)
                for plan in back:  # restocked: the opening stock is that much less; damaged: kept aside
                    if plan[7] == "restock":
                        sold[index_of[plan[4][1]]] -= plan[5]
                    else:
                        damaged[plan[4][1]] = damaged.get(plan[4][1], 0) + plan[5]
        if time.perf_counter() - reported > 10:
            reported = time.perf_counter()
            say(f"  {base + size} / {count} tickets")
    with database.atomic():
        when = _stamp(start - dt.timedelta(days=1))
        for index, product in enumerate(products):  # a movement without a ticket is proved by its event
            sealer.append(EVENT_CHAIN, STOCK_MOVED, stock_moved_payload(product.id, SELLABLE, sold[index] + 20,
                                                                        "opening"))
        bulk_insert(database, StockMovement, ("product", "location", "quantity", "reason", "ticket_id", "created_at"),
                    ((p.id, sellable, sold[i] + 20, "opening", None, when) for i, p in enumerate(products)))
        bulk_insert(database, StockLevel, ("product", "location", "quantity"),
                    [*((p.id, sellable, 20) for p in products),
                     *((product_id, locations["damaged"], quantity) for product_id, quantity in damaged.items())])
    # Each past day closed, as the shop did every evening: the till sells today only then.
    from till.fiscal.closure_totals import business_day
    from till.fiscal.closures import close_day

    say("  closing the past days")
    if isinstance(database, peewee.SqliteDatabase):  # statistics first: each closure then uses its index
        database.execute_sql("ANALYZE")
    # Every day before today, in the shop's zone: the last sales (an hour ago) may be of yesterday
    # there, between midnight in the shop and midnight UTC, and a sale today needs them closed.
    today = business_day(dt.datetime.now(dt.timezone.utc).replace(tzinfo=None), sealer.zone)
    close_day(sealer, today - dt.timedelta(days=1), operator="benchmark")
    for chain in ("T", "G", "L"):
        _anchor_tail(ctx.sealer, chain)


def _returns_of_batch(first: int, sales: int, returns: int, last_sale: dt.datetime, users: list[int],
                      till_id: str, rng: random.Random) -> list[tuple]:
    """Plans of ``returns`` return tickets (numbered after the batch's ``sales``, made just after
    its last sale) for ``write_returns``: one line each, of the batch's sales, by their customer.
    Half of them go to the sales of a few customers who return much (every fiftieth customer),
    so the loss-prevention rules have something to find, as in a real shop; the rest at random."""
    rows = (TicketLine.select(TicketLine.id, TicketLine.product, TicketLine.sku, TicketLine.label,
                              TicketLine.vat_code, TicketLine.vat_rate_bp, TicketLine.unit_price_cents,
                              TicketLine.quantity, Ticket.id, Ticket.code, Ticket.customer, Ticket.customer_name)
            .join(Ticket, on=TicketLine.ticket == Ticket.id)
            .where((Ticket.till_id == till_id) & Ticket.number.between(first, first + sales - 1))
            .order_by(TicketLine.id).tuples())
    lines = list(rows)
    frequent = [row for row in lines if row[10] is not None and row[10] % 50 == 0]
    picked = {row[0]: row for row in rng.sample(frequent, min(len(frequent), returns // 2))}
    for row in rng.sample(lines, min(len(lines), returns * 2)):
        if len(picked) >= returns:
            break
        picked.setdefault(row[0], row)
    back = []
    for index, row in enumerate(sorted(picked.values(), key=lambda r: (r[8], r[0]))):
        customer = (row[10], row[11]) if row[10] is not None else None
        back.append((first + sales + index, last_sale + dt.timedelta(seconds=index + 1),
                     users[0] if rng.random() < 0.8 else users[-1], (row[8], row[9]), row[:7], rng.randint(1, row[7]),
                     rng.choice(RETURN_REASONS), "damaged" if rng.random() < 0.2 else "restock", customer))
    return back


def _next_number(till_id: str) -> int:
    last = (FiscalRecord.select(FiscalRecord.sequence)
            .where((FiscalRecord.till_id == till_id) & (FiscalRecord.chain == "T"))
            .order_by(FiscalRecord.sequence.desc()).scalar())
    return (last or 0) + 1


def _write_batch(database: peewee.Database, sealer: Sealer, accounts, till_id: str, sellable: int,
                 plans: list, operators: dict[int, str], rng: random.Random) -> None:
    """Write one batch of tickets with all their rows, then seal them in number order."""
    ticket_rows = []
    for number, when, lines, customer, user in plans:
        total = sum(line[3] for line in lines)
        ticket_rows.append((till_id, number, ticket_code(till_id, number), SALE, _stamp(when), user, operators[user],
                            customer[0] if customer else None, customer[1] if customer else None, None, total, 0,
                            len(lines), False))
    bulk_insert(database, Ticket, ("till_id", "number", "code", "kind", "created_at", "user", "operator_name",
                                   "customer", "customer_name", "origin_ticket", "total_cents", "discount_cents",
                                   "line_count", "training"), ticket_rows)
    ids = dict(Ticket.select(Ticket.number, Ticket.id)
               .where((Ticket.till_id == till_id) & (Ticket.number.between(plans[0][0], plans[-1][0]))).tuples())
    line_rows, vat_rows, payment_rows, accounting_rows, stock_rows = [], [], [], [], []
    for number, when, lines, _customer, _user in plans:
        ticket_id = ids[number]
        stamp = _stamp(when)
        for position, (product, quantity, rate, line_total) in enumerate(lines, start=1):
            line_rows.append((ticket_id, position, product.id, product.sku, product.name, quantity, PIECE,
                              product.price_cents, 0, line_total, product.vat_code, rate))
            stock_rows.append((product.id, sellable, -quantity, SALE, ticket_id, stamp))
        vat = vat_breakdown((rate, line_total) for _p, _q, rate, line_total in lines)
        vat_rows.extend((ticket_id, a.rate_bp, a.ttc, a.ht, a.vat) for a in vat)
        total = sum(line[3] for line in lines)
        if rng.random() < 0.55:
            payments = [("card", total, f"{rng.randint(0, 999_999):06d}")]
        else:
            given = -(-total // 500) * 500
            payments = [("cash", given, None)] + ([("cash", total - given, "change")] if given != total else [])
        payment_rows.extend((ticket_id, position, means, amount, reference)
                            for position, (means, amount, reference) in enumerate(payments, start=1))
        code = ticket_code(till_id, number)
        accounting_rows.extend(
            (ticket_id, accounts.journal, business_date(when, sealer), p.account, p.label, p.debit_cents,
             p.credit_cents, stamp)
            for p in ticket_postings(accounts, code, vat, ((m, a) for m, a, _r in payments)))
    write_ticket_parts(database, sealer, SALE, ids, [plan[0] for plan in plans], line_rows, vat_rows, payment_rows,
                       accounting_rows, stock_rows)


LINE_FIELDS = ("ticket", "position", "product", "sku", "label", "quantity", "unit", "unit_price_cents",
               "discount_cents", "total_cents", "vat_code", "vat_rate_bp")
RETURN_LINE_FIELDS = (*LINE_FIELDS, "origin_line", "reason", "disposition")


def write_ticket_parts(database: peewee.Database, sealer: Sealer, kind: str, ids: dict[int, int],
                       numbers: list[int], lines: list[tuple], vats: list[tuple], payments: list[tuple],
                       postings: list[tuple], moves: list[tuple], line_fields: Sequence[str] = LINE_FIELDS) -> None:
    """The rows of tickets already inserted (``ids``: number -> id), then their T records sealed
    in number order, as ``write_ticket`` would have; a number sealed at another sequence stops
    the build (never leave a shop whose numbers and chain disagree)."""
    bulk_insert(database, TicketLine, line_fields, lines)
    bulk_insert(database, TicketVat, ("ticket", "rate_bp", "ttc_cents", "ht_cents", "vat_cents"), vats)
    bulk_insert(database, Payment, ("ticket", "position", "means", "amount_cents", "reference"), payments)
    bulk_insert(database, AccountingLine, ("ticket", "journal", "entry_date", "account", "label", "debit_cents",
                                           "credit_cents", "created_at"), postings)
    bulk_insert(database, StockMovement, ("product", "location", "quantity", "reason", "ticket_id", "created_at"),
                moves)
    payloads = ticket_payloads(ids.values())
    for number in numbers:
        record = sealer.append("T", kind, payloads[ids[number]], ticket_id=ids[number])
        if record.sequence != number:
            raise RuntimeError(f"{kind} number {number} sealed as record {record.sequence}")


def write_returns(database: peewee.Database, sealer: Sealer, accounts, till_id: str, locations: dict[str, int],
                  plans: list, operators: dict[int, str]) -> None:
    """Write return tickets in bulk, then seal them in number order, as ``_write_batch`` does for
    sales. ``plans``: (number, when, user, origin, line, quantity, reason, disposition, customer)
    where ``origin`` is (ticket id, code), ``line`` the returned row of ``ticket_line`` (id,
    product, sku, label, VAT code, rate, unit price) and ``customer`` (id, name) or None. Each
    return is refunded in cash."""
    rows = []
    for number, when, user, (origin_id, origin_code), line, quantity, _reason, _disposition, customer in plans:
        total = -line[6] * quantity
        rows.append((till_id, number, ticket_code(till_id, number), RETURN, _stamp(when), user, operators[user],
                     customer[0] if customer else None, customer[1] if customer else None, origin_id, total, 0, 1,
                     False, origin_code))
    bulk_insert(database, Ticket, ("till_id", "number", "code", "kind", "created_at", "user", "operator_name",
                                   "customer", "customer_name", "origin_ticket", "total_cents", "discount_cents",
                                   "line_count", "training", "origin_reference"), rows)
    ids = dict(Ticket.select(Ticket.number, Ticket.id)
               .where((Ticket.till_id == till_id) & Ticket.number.between(plans[0][0], plans[-1][0])).tuples())
    lines, vats, payments, postings, moves = [], [], [], [], []
    for number, when, _user, _origin, line, quantity, reason, disposition, _customer in plans:
        ticket_id, stamp = ids[number], _stamp(when)
        line_id, product_id, sku, label, vat_code, rate, unit_price = line
        total = -unit_price * quantity
        lines.append((ticket_id, 1, product_id, sku, label, -quantity, PIECE, unit_price, 0, total, vat_code, rate,
                      line_id, reason, disposition))
        vat = vat_breakdown([(rate, total)])
        vats.extend((ticket_id, a.rate_bp, a.ttc, a.ht, a.vat) for a in vat)
        payments.append((ticket_id, 1, "cash", total, None))
        postings.extend((ticket_id, accounts.journal, business_date(when, sealer), p.account, p.label,
                         p.debit_cents, p.credit_cents, stamp)
                        for p in ticket_postings(accounts, ticket_code(till_id, number), vat, [("cash", total)]))
        moves.append((product_id, locations[disposition], quantity, RETURN, ticket_id, stamp))
    write_ticket_parts(database, sealer, RETURN, ids, [plan[0] for plan in plans], lines, vats, payments, postings,
                       moves, RETURN_LINE_FIELDS)


def business_date(when: dt.datetime, sealer: Sealer) -> str:
    """An accounting entry's date: the shop's business day of ``when`` (naive UTC), as the ticket
    writer dates it, not the UTC date (a sale at 23:30 UTC is the next day in Paris)."""
    return when.replace(tzinfo=dt.timezone.utc).astimezone(sealer.zone).date().isoformat()


def _anchor_tail(sealer: Sealer, chain: str) -> None:
    if sealer.anchors is None:
        return
    last = (FiscalRecord.select().where((FiscalRecord.till_id == sealer.till_id) & (FiscalRecord.chain == chain))
            .order_by(FiscalRecord.sequence.desc()).first())
    if last is not None:
        sealer.anchors.write(sealer.till_id, chain, last.sequence, last.signature, last.hash, signer=sealer.signer)


def open_sample_till(folder: Path, till_id: str) -> TillContext:
    """A till of its own in ``folder`` (the example configuration, a key made at first use), its
    anchors off: a benchmark seals a sample of records through it, then reads what it sealed."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / CONFIG_NAME
    if not path.exists():
        from till.config.example import render_example  # the example's text, only for this

        path.write_text(render_example(till_id=till_id), encoding="utf-8")
    ctx = TillContext.open(load(path), create_key=True)
    ctx.sealer.anchors = None
    return ctx


def run_standalone(run_all: Callable, notes: Callable, argv: list[str] | None = None) -> int:
    """A benchmark module run by itself (``python benchmarks/bench_X.py [--quick|--tiny]``):
    ``run_all(size, folder, seed, say)`` on that size's default shop, its notes, then its JSON."""
    argv = sys.argv[1:] if argv is None else argv
    size = "tiny" if "--tiny" in argv else "quick" if "--quick" in argv else "full"
    folder = default_bench_dir(SIZES[size])
    results = run_all(size, folder, 7, lambda m: print(m, file=sys.stderr, flush=True))
    for line in notes(results):
        print(line)
    print(json.dumps(results, sort_keys=True, default=str))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build a benchmark shop (reused when it exists).")
    parser.add_argument("--quick", action="store_true", help=f"a small shop: {QUICK}")
    parser.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--dir", help="where to build it (default: the user cache folder)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    size = TINY if args.tiny else QUICK if args.quick else FULL
    folder = Path(args.dir) if args.dir else default_bench_dir(size)
    started = time.perf_counter()
    config = build_shop(folder, size, args.seed, progress=lambda m: print(m, file=sys.stderr, flush=True))
    print(f"{config.path} ready in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

