"""The demo shop: what a newcomer gets from ``till demo``, the README's first command.

``build_demo(folder)`` makes a complete, realistic French corner shop in ``folder``: the shop's
identity, about 300 products with valid EAN-13 barcodes over every French VAT rate, two products
sold by weight with their scale codes, opening stock, 60 customers, a cashier and a manager, and
90 days of past sales. Every past sale is written by ``till.selling.ticket_writer.write_ticket``, the
same code as a live sale, so the tickets are signed in chain T and the journal verifies.

Everything is drawn from a seeded random generator, so the same seed gives the same shop
(amounts, names, barcodes), except the signatures, made with the shop's own fresh key.
Building it again without ``reset`` reuses what is there.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator
from zoneinfo import ZoneInfo

import peewee
from platformdirs import user_data_dir

from store.models import (
    CASHIER,
    MANAGER,
    Barcode,
    Category,
    ChainHead,
    Customer,
    FiscalRecord,
    Product,
    Setting,
    User,
)
from store.models.base import utcnow
from till.config.loader import Config, ConfigError, load
from till.demo.data import (  # noqa: F401 - CATALOGUE and the names are re-exported
    CATALOGUE,
    CATEGORY_RETURN_DAYS,
    FIRST_NAMES,
    LAST_NAMES,
    MAIL_DOMAINS,
    SCALE_PREFIX,
    SKU_PREFIX,
    WEIGHED,
)
from till.demo.other_shop import RECEIPT_FILE, add_receipt_from_another_shop
from till.errors import TillError
from till.files import write_private
from till.fiscal.chain import Sealer, flush_anchors
from till.fiscal.closure_totals import business_day
from till.fiscal.closures import close_day, close_due, fiscal_year_start
from till.fiscal.imported_history import declare_history
from till.means import CARD
from till.money import allocate
from till.people.auth import create_user
from till.people.customers import fold, index_words, search_key
from till.returns.online_orders import import_file
from till.scanning import make_ean13
from till.selling.basket import Basket
from till.selling.checkout import Checkout, Tender
from till.selling.stock import move_stock
from till.selling.ticket_writer import write_ticket
from till.shop.context import TillContext
from till.shop.setup import init_shop

__all__ = [
    "DEMO_ORDER",
    "CATALOGUE", "DEMO_SHOP", "DEMO_USERS", "WEIGHED", "DemoError", "build_demo",
    "default_demo_dir", "is_demo_folder",
]

CONFIG_NAME = "till.toml"

DEMO_SHOP = {
    "shop_name": "Épicerie du Marché (démo)",
    "address": "12 place du Marché, 69002 Lyon",
    # A SIREN with a valid Luhn key, its SIRET (head office 00011) and intra-EU VAT number.
    "siret": "73282932000074",
    "vat_number": "FR44732829320",
    "legal_name": "SARL Épicerie du Marché",
    "share_capital": "8 000 €",
    "rcs": "Lyon",
    "till_id": "01",
    "language": "fr",
    # A grocery: food comes back spoiled or damaged (not to the shelf), never in the wrong size.
    "default_reason": "defective",
    # No head office in the demo: its receipt "from another shop" comes back offline, as a credit note.
    "offline_other_shop": "credit_note",
}
"""The demo shop's identity and settings, as written to its configuration file."""

DEMO_USERS = (
    ("cashier", "Camille Martin", CASHIER, "1111"),
    ("manager", "Max Durand", MANAGER, "9999"),
)
"""Staff of the demo shop: login, name, role, PIN (the README prints them)."""

MARKER = "demo"
"""The ``Setting`` key written once the demo data is complete."""

SHOP_TIMEZONE = "Europe/Paris"


class DemoError(TillError):
    """The demo cannot be built in the folder given; nothing was changed there."""


@dataclass
class _Item:
    """A product of the demo catalogue, as the sales simulation sees it."""

    product: Product
    weight: float
    weighed: bool


@dataclass
class _PlannedTicket:
    """A past sale, drawn before anything is written."""

    when: dt.datetime
    items: list[tuple[int, int]]
    customer: int | None
    operator: int
    means: str
    cash_part: int
    discount_bp: int


# --- Public entry points -----------------------------------------------------------------------


def default_demo_dir() -> Path:
    """Where ``till demo`` builds its shop: the user's data folder for till, ``demo-shop``."""

    return Path(user_data_dir("till", appauthor=False)) / "demo-shop"


def is_demo_folder(folder: Path) -> bool:
    """True when ``folder`` holds no shop yet, or holds the demo shop (judged by its name)."""
    path = Path(folder) / CONFIG_NAME
    if not path.exists():
        return True
    try:
        return load(path).shop.name == DEMO_SHOP["shop_name"]
    except ConfigError:
        return False


def build_demo(folder: Path, reset: bool = False, days: int = 90, seed: int = 2026) -> Config:
    """Build (or reuse) the demo shop in ``folder``; returns its loaded configuration.

    With ``reset``, the folder's database, signing key, anchors and receipts are deleted first
    and everything is built again. Without it, a folder that already has the demo catalogue is
    reused as it is; one whose build was interrupted is refused until it is reset. A folder
    holding another shop is refused (``DemoError``), whatever ``reset`` says: the demo never
    touches a real shop's fiscal data.
    """
    folder = Path(folder).expanduser().resolve()
    if not is_demo_folder(folder):
        raise DemoError("The folder {folder} holds another shop: the demo is built only in a folder of its own",
                        folder=str(folder))
    if reset:
        _delete_shop_files(folder)
    config = init_shop(folder, CONFIG_NAME, **DEMO_SHOP).config
    ctx = TillContext.open(config)
    try:
        if not Product.select().exists():
            _populate(ctx, days=days, seed=seed)
        elif not Setting.select().where(Setting.key == MARKER).exists():
            raise DemoError("The demo shop in {folder} was not finished (interrupted?): build it again with "
                            "--reset", folder=str(folder))
    finally:
        ctx.close()
    return load(config.path)


# --- Building ------------------------------------------------------------------------------------


def _delete_shop_files(folder: Path) -> None:
    """Remove the database, key, anchors and receipts of the demo in ``folder`` (config kept)."""
    path = folder / CONFIG_NAME
    if path.exists():
        try:
            config = load(path)
        except ConfigError:
            config = None
    else:
        config = None
    database = config.database_url if config else "sqlite:///" + str(folder / "till.db")
    key = config.resolve(config.till.key_file) if config else folder / "keys" / "till.pem"
    anchors = config.resolve(config.till.anchor_dir) if config else folder / "anchors"
    receipts = config.resolve(config.printer.path) if config else folder / "receipts.txt"
    if database.startswith("sqlite:///"):
        db_file = Path(database[len("sqlite:///"):])
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(db_file) + suffix).unlink(missing_ok=True)
    key.unlink(missing_ok=True)
    receipts.unlink(missing_ok=True)
    (folder / "drawer.log").unlink(missing_ok=True)  # the simulated drawer's log
    (folder / "online-orders.json").unlink(missing_ok=True)  # the demo's online order export
    (folder / RECEIPT_FILE).unlink(missing_ok=True)  # the receipt of another shop
    if anchors.is_dir():
        shutil.rmtree(anchors)


def _populate(ctx: TillContext, days: int, seed: int) -> None:
    """Write the demo's data, then its ``MARKER`` last: a build cut short is refused until reset.

    Everything is sealed with the shop's key on the shop's chains, by the build's own sealer
    (``_build_sealer``), at the pace of a build rather than of a cashier (``_build_pace``);
    the tail anchors are written once, when the history is complete and on the disk.
    """
    rng = random.Random(seed)
    database = ctx.database
    today = dt.date.today()
    first_day = today - dt.timedelta(days=days)
    sealer = _build_sealer(ctx.sealer)
    with _build_pace(database):
        with database.atomic():
            items = _add_catalogue(rng)
            customers = _add_customers(rng)
            users = [create_user(login, name, role, pin, sealer=sealer) for login, name, role, pin in DEMO_USERS]
        plan = _plan_sales(rng, items, len(customers), len(users), first_day, days)
        with database.atomic():
            _add_opening_stock(sealer, rng, items, plan, _shop_time(first_day - dt.timedelta(days=1), 7, 0))
        _write_sales(ctx, sealer, rng, items, customers, users, plan)
        _add_online_order(ctx.config.folder, items, customers, today)
        pieces = [item.product for item in items if not item.weighed and not item.product.final_sale]
        add_receipt_from_another_shop(ctx.config.folder, (pieces[3], pieces[31]), today)
    _anchor_tails(ctx.sealer)
    with database.atomic():
        Setting.insert(key=MARKER, value=f"seed={seed} days={days} built={utcnow().isoformat(timespec='seconds')}Z") \
            .on_conflict_replace().execute()


def _add_catalogue(rng: random.Random) -> list[_Item]:
    """Categories, products, barcodes; returns the products with a popularity weight."""
    used_codes: set[str] = set()

    def new_ean13() -> str:
        while True:
            body = str(rng.randint(300, 379)) + "".join(rng.choice("0123456789") for _ in range(9))
            code = make_ean13(body)
            if code not in used_codes:
                used_codes.add(code)
                return code

    rows = []
    categories = {}
    for name in CATALOGUE:
        categories[name] = Category.create(name=name, return_days=CATEGORY_RETURN_DAYS.get(name))
    for category, text in CATALOGUE.items():
        for number, line in enumerate(filter(None, (raw.strip() for raw in text.splitlines())), start=1):
            label, price, vat = (part.strip() for part in line.split(";"))
            rows.append(dict(sku=f"{SKU_PREFIX[category]}-{number:04d}", name=label, price_cents=int(price),
                             vat_code=vat, category=categories[category].id,
                             final_sale=category == "Pharmacie-parapharmacie" and vat in ("S", "I")))
    for number, (label, price, vat, category, _item) in enumerate(WEIGHED, start=1):
        rows.append(dict(sku=f"VRAC-{number:04d}", name=label, price_cents=price, vat_code=vat,
                         category=categories[category].id, sold_by_weight=True))
    Product.insert_many(rows).execute()
    products = list(Product.select().order_by(Product.id))
    barcodes = []
    items = []
    scale_items = {label: item for label, _p, _v, _c, item in WEIGHED}
    for product in products:
        if product.sold_by_weight:
            barcodes.append(dict(code=make_ean13(SCALE_PREFIX + scale_items[product.name] + "00000"),
                                 product=product.id))
        else:
            barcodes.append(dict(code=new_ean13(), product=product.id))
            if rng.random() < 0.12:  # a second code: another pack size, an older label
                barcodes.append(dict(code=new_ean13(), product=product.id))
        # Popularity: a few best sellers (bread, press, water), a long tail of rare items.
        weight = rng.paretovariate(1.3)
        if product.sku.startswith(("BOU-000", "LIB-000")) or "Baguette" in product.name:
            weight *= 4
        items.append(_Item(product, weight, bool(product.sold_by_weight)))
    Barcode.insert_many(barcodes).execute()
    return items


def _add_customers(rng: random.Random) -> list[Customer]:
    """60 customers with French names, contact details, cards and consents."""
    rows = []
    last_names = list(LAST_NAMES)
    rng.shuffle(last_names)
    for number, (first, last) in enumerate(zip(FIRST_NAMES, last_names), start=1):
        local = f"{fold(first)}.{fold(last)}".replace(" ", "").replace("'", "")
        email = f"{local}@{rng.choice(MAIL_DOMAINS)}" if rng.random() < 0.85 else None
        # 06 39 98 xx xx: a range ARCEP keeps for fiction, so no real phone rings.
        phone = f"06 39 98 {number // 100 * 10 + rng.randint(0, 9):02d} {number % 100:02d}" \
            if rng.random() < 0.8 else None
        card = make_ean13(f"290{number:09d}") if rng.random() < 0.75 else None
        rows.append(dict(
            first_name=first, last_name=last, email=email, phone=phone, loyalty_card=card,
            consent_email=bool(email) and rng.random() < 0.6, consent_sms=bool(phone) and rng.random() < 0.4,
            search_key=search_key(first, last, email, phone, card),
            created_at=utcnow() - dt.timedelta(days=rng.randint(100, 1500)),
        ))
    Customer.insert_many(rows).execute()
    customers = list(Customer.select().order_by(Customer.id))
    index_words([(customer.id, customer.search_key) for customer in customers])
    return customers


def _shop_time(day: dt.date, hour: int, minute: int, second: int = 0) -> dt.datetime:
    """A local shop time on ``day`` as the naive UTC datetime the database stores."""
    local = dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=_shop_zone())
    return local.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _shop_zone() -> dt.tzinfo:
    try:

        return ZoneInfo(SHOP_TIMEZONE)
    except Exception:  # no time-zone database on this machine: Paris winter time is close enough
        return dt.timezone(dt.timedelta(hours=1))


def _opening_hours(day: dt.date) -> tuple[int, int] | None:
    """Opening and closing hour of the shop on ``day``, or None when it is closed (Mondays)."""
    weekday = day.weekday()
    if weekday == 0:
        return None  # closed on Mondays
    if weekday == 6:
        return 8, 13  # Sunday market morning
    return 8, 20


def _plan_sales(rng: random.Random, items: list[_Item], customers: int, users: int, first_day: dt.date,
                days: int) -> list[list[_PlannedTicket]]:
    """What each past day sold, drawn before anything is written (stock is opened to match)."""
    weights = [item.weight for item in items]
    customer_weights = [rng.paretovariate(1.5) for _ in range(customers)]
    plan: list[list[_PlannedTicket]] = []
    # A fixed number of past sales, shared over the open days (busier on Saturdays), so that the
    # receipts planned last get the same numbers whatever the day the demo is built on.
    calendar = [first_day + dt.timedelta(days=offset) for offset in range(days)]
    load = [0 if _opening_hours(day) is None else (rng.randint(20, 48) * {5: 14, 6: 11}.get(day.weekday(), 10))
            for day in calendar]
    counts = allocate(days * SALES_PER_DAY, load)
    for day, count in zip(calendar, counts):
        hours = _opening_hours(day)
        if hours is None:
            plan.append([])
            continue
        opening, closing = hours
        span = (closing - opening - 1) * 3600  # the last hour is left to the receipts to return
        seconds = sorted(rng.randrange(span) for _ in range(count))
        tickets = []
        for second in seconds:
            when = _shop_time(day, opening, 0) + dt.timedelta(seconds=second)
            line_count = min(8, max(1, int(rng.expovariate(1 / 2.6)) + 1))
            chosen = rng.choices(range(len(items)), weights=weights, k=line_count)
            lines = []
            for index in dict.fromkeys(chosen):
                item = items[index]
                if item.weighed:
                    grams = rng.randint(150, 650) if item.product.price_cents > 1000 else rng.randint(400, 2200)
                    lines.append((index, grams))
                else:
                    lines.append((index, rng.choices((1, 2, 3, 4, 6), weights=(70, 18, 6, 4, 2))[0]))
            customer = rng.choices(range(customers), weights=customer_weights)[0] if rng.random() < 0.3 else None
            means = rng.choices(("card", "cash", "split"), weights=(55, 38, 7))[0]
            tickets.append(_PlannedTicket(
                when=when, items=lines, customer=customer,
                operator=0 if rng.random() < 0.85 else min(1, users - 1), means=means,
                cash_part=rng.choice((500, 1000, 2000)),
                discount_bp=500 if customer is not None and rng.random() < 0.1 else 0,
            ))
        plan.append(tickets)
    opened = [i for i in range(len(plan)) if _opening_hours(calendar[i]) is not None]
    if opened:  # a history of one Monday alone has no day to sell the receipts to return on
        plan[opened[-1]].extend(_receipts_to_return(items, calendar[opened[-1]]))
    return plan


SALES_PER_DAY = 12
"""Past sales per day of history on average (90 days: 1,080), then the receipts to return."""


def _receipts_to_return(items: list[_Item], day: dt.date) -> list[_PlannedTicket]:
    """The last sales of the demo, one per means (card, cash, split), just before closing: the
    receipts the README and ``till demo`` offer to return. Fixed items, so fixed totals."""
    pieces = [index for index, item in enumerate(items) if not item.weighed and not item.product.final_sale]
    closing = _opening_hours(day)[1]
    plans = []
    for minute, (means, chosen) in enumerate((("card", (pieces[3], pieces[40])), ("cash", (pieces[7],)),
                                              ("split", (pieces[12], pieces[60], pieces[90]))), start=1):
        plans.append(_PlannedTicket(when=_shop_time(day, closing - 1, 10 * minute), items=[(i, 1) for i in chosen],
                                    customer=None, operator=0, means=means, cash_part=500, discount_bp=0))
    return plans


def _add_opening_stock(sealer: Sealer, rng: random.Random, items: list[_Item], plan: list[list[_PlannedTicket]],
                       when: dt.datetime) -> None:
    """Opening stock: what the planned sales take, plus what is left on the shelf today; each
    movement sealed in chain L (it has no ticket)."""
    sold = [0] * len(items)
    for tickets in plan:
        for ticket in tickets:
            for index, quantity in ticket.items:
                sold[index] += quantity
    for index, item in enumerate(items):
        left = rng.randint(5_000, 25_000) if item.weighed else rng.randint(4, 48)
        move_stock(item.product.id, "sellable", sold[index] + left, "opening", None, when, sealer=sealer)


def _cash_given(rng: random.Random, due: int) -> int:
    """What a customer hands over for ``due`` cents: the exact sum, or coins and notes above it."""
    style = rng.random()
    if style < 0.25:
        return due
    if style < 0.45:
        step = 100
    elif style < 0.75:
        step = 500
    elif style < 0.93:
        step = 1000
    else:
        step = 2000 if due > 1000 else 5000
    return -(-due // step) * step


def _write_sales(ctx: TillContext, sealer: Sealer, rng: random.Random, items: list[_Item],
                 customers: list[Customer], users: list[User], plan: list[list[_PlannedTicket]]) -> None:
    """Ring up and pay each planned sale, and write it through ``write_ticket``: one day a commit,
    each evening's Z sealed at that evening."""

    config, database = ctx.config, ctx.database
    # The past is written now: each ticket keeps the time it stands for and is sealed at the true
    # time of the build, declared first in chain L (HISTORY_IMPORTED), never signed at a false time.
    planned_all = [planned for tickets in plan for planned in tickets]
    if not planned_all:
        return
    history = declare_history(sealer, count=len(planned_all), earliest=min(p.when for p in planned_all),
                              latest=max(p.when for p in planned_all),
                              reason="demo shop: past sales written when the demo was built")
    for tickets in plan:
        if not tickets:
            continue
        with database.atomic():
            for planned in tickets:
                user = users[planned.operator]
                basket = Basket(config, sealer, user, today=planned.when.date())
                for index, quantity in planned.items:
                    basket.add_product(items[index].product, quantity)
                if planned.customer is not None:
                    basket.attach_customer(customers[planned.customer])
                if planned.discount_bp:
                    basket.discount_ticket(percent_bp=planned.discount_bp)
                checkout = Checkout(basket, None)
                total = checkout.total_cents
                means = planned.means
                if means == "split" and total <= planned.cash_part:
                    means = "cash"
                if means == "split":
                    checkout.add_cash(planned.cash_part)
                    checkout.tenders.append(Tender(CARD, checkout.due_cents, _card_reference(rng)))
                elif means == "card":
                    checkout.tenders.append(Tender(CARD, total, _card_reference(rng)))
                else:
                    checkout.add_cash(_cash_given(rng, total))
                draft = replace(checkout.draft(), created_at=planned.when, print_receipt=False, open_drawer=False)
                write_ticket(sealer, config.accounts, draft, history=history)
        day = business_day(tickets[0].when, sealer.zone)
        if day < business_day(utcnow(), sealer.zone):
            # Each evening's Z, at that evening (no sale on a new day without it): months then
            # close by themselves at the first sale of the next month, as in a shop.
            evening = max(planned.when for planned in tickets) + dt.timedelta(minutes=5)
            close_day(sealer, day, now=evening, operator="demo")
    close_due(sealer)  # today: the last month over closes too (its days are closed)


DEMO_ORDER = "WEB-100234"
"""The number of the demo's imported online order (the README prints it)."""


def _add_online_order(folder: Path, items: list[_Item], customers: list[Customer], today: dt.date) -> None:
    """One online order, written as the web shop would export it, then imported by the same code
    as ``till import orders`` (the file stays in the folder, to try the command)."""


    pieces = [item.product for item in items if not item.weighed and not item.product.final_sale]
    chosen = (pieces[10], pieces[25])
    customer = next(c for c in customers if c.email)
    lines = [{"sku": chosen[0].sku, "quantity": 2, "unit_price_cents": chosen[0].price_cents},
             {"sku": chosen[1].sku, "quantity": 1, "unit_price_cents": chosen[1].price_cents}]
    total = sum(line["quantity"] * line["unit_price_cents"] for line in lines)
    ordered = dt.datetime.combine(today - dt.timedelta(days=3), dt.time(9, 41))
    order = {"number": DEMO_ORDER, "source": "web", "ordered_at": ordered.isoformat() + "Z",
             "customer": {"name": customer.display_name, "email": customer.email},
             "payment": {"means": "card", "amount_cents": total}, "lines": lines}
    path = folder / "online-orders.json"
    text = json.dumps({"orders": [order]}, ensure_ascii=False, indent=2) + "\n"
    write_private(path, text.encode("utf-8"))  # a customer's name and e-mail address
    import_file(path)


def _build_sealer(shop: Sealer) -> Sealer:
    """The build's sealer: the shop's till, key, time zone and issuer, on the same chains, but
    without tail anchors, which ``_anchor_tails`` writes once at the end.

    A live record writes its anchor ahead of its commit (two fsyncs), then has it confirmed
    (two more), so that a till stopped at any moment leaves an anchor its journal is checked
    against. The build needs none of that: a build cut short is refused until ``--reset``,
    which deletes the database and the anchors together, so only the anchors of the finished
    history count, and they are written once it is on the disk."""
    sealer = Sealer(shop.till_id, shop.signer, None, shop.zone)
    sealer.fiscal_year_start = fiscal_year_start(shop)
    sealer.issuer = shop.issuer
    return sealer


@contextmanager
def _build_pace(database: peewee.Database) -> Iterator[None]:
    """Commit the build's transactions without waiting for the disk, then sync them all at once.

    A till commits each sale with ``synchronous=FULL``: it is on the disk before the receipt
    prints. The build writes 90 days of history in about two hundred commits, and nothing needs
    any one of them on the disk by itself: a build cut short, even by a power cut that leaves
    the file behind its commits, is refused until ``--reset`` (the ``MARKER`` setting is
    written last). So the build's connection runs with ``synchronous=OFF``; then it is ``FULL``
    again and a checkpoint copies the write-ahead log into the database file, syncing both,
    before the anchors and the marker are written. Only this connection is affected: every
    other one, and the till's own afterwards, opens with ``FULL`` (``store.db.open``)."""
    if not isinstance(database, peewee.SqliteDatabase):
        yield
        return
    database.execute_sql("PRAGMA synchronous = OFF")
    try:
        yield
    finally:
        database.execute_sql("PRAGMA synchronous = FULL")
    database.execute_sql("PRAGMA wal_checkpoint(FULL)")


def _anchor_tails(shop: Sealer) -> None:
    """Anchor the last record of each of the till's chains outside the database, signed and
    confirmed as live sales leave them: once, for the whole history the build sealed."""
    store = shop.anchors
    if store is None:
        return
    flush_anchors(30.0)  # the confirmations of the shop's own first records (``init_shop``) first
    chains = [head.chain for head in ChainHead.select(ChainHead.chain).where(ChainHead.till_id == shop.till_id)]
    with store.locked():
        for chain in chains:
            last = (FiscalRecord.select()
                    .where((FiscalRecord.till_id == shop.till_id) & (FiscalRecord.chain == chain))
                    .order_by(FiscalRecord.sequence.desc()).first())
            if last is not None:
                store.write(shop.till_id, chain, last.sequence, last.signature, last.hash, signer=shop.signer)


def _card_reference(rng: random.Random) -> str:
    """The authorisation number a card terminal prints (6 digits)."""
    return f"{rng.randint(0, 999_999):06d}"
