"""A full disk or a read-only card: the sale is refused with a clear message before anything is
half written, the basket is kept, and what was written stays whole and verifiable.

The real shop lives on a small tmpfs the test mounts (root, as CI runs; skipped with the reason
elsewhere), filled by a dummy file; SQLite's own limits (``PRAGMA max_page_count``,
``PRAGMA query_only``) give the same failures portably.
"""

from __future__ import annotations

import dataclasses

import peewee
import pytest

from store.models import SALE, FiscalRecord, PendingPayment, Ticket
from till.errors import TillError
from till.fiscal.chain import flush_anchors
from till.selling.basket import Basket
from till.selling.checkout import Checkout
from till.shop.doctor import database as doctor_database
from tests.support.disks import fill, remount, small_tmpfs
from tests.support.journal import problems_text, verify_shop
from till.returns.session import ReturnSession
from till.selling.ticket_writer import write_ticket
from tests.support.shop import open_shop, paid_draft, sell


@pytest.fixture
def disk(tmp_path):
    """A 6 MB tmpfs: room for the shop and a few sales, small enough to fill in a blink."""
    with small_tmpfs(tmp_path / "disk", "6m") as folder:
        yield folder


def floor(shop, mb: int):
    """The shop's configuration with ``till.min_free_mb`` = ``mb``."""
    return dataclasses.replace(shop.config, till=dataclasses.replace(shop.config.till, min_free_mb=mb))


def basket_of(shop, config=None) -> Basket:
    basket = Basket(config or shop.config, shop.ctx.sealer, shop.cashier)
    basket.add_product(shop.products["COF"], 1)
    return basket


def pay_cash(basket: Basket, terminal=None):
    checkout = Checkout(basket, terminal)
    checkout.add_cash(checkout.due_cents)
    return checkout.complete()


def sales() -> int:
    return Ticket.select().where(Ticket.kind == SALE).count()


def whole(shop) -> None:
    """Every ticket has its record of chain T and the other way round; the journal verifies."""
    records = FiscalRecord.select().where(FiscalRecord.chain == "T").count()
    assert records == Ticket.select().where(~Ticket.training).count()
    report = verify_shop(shop)
    assert report.ok, problems_text(report)


def exhaust(database) -> None:
    """SQLite's stand-in for a full disk: the file may not grow (``max_page_count``) and the
    pages it has free are taken by filler rows, so the next page a write needs is refused."""
    database.execute_sql("CREATE TABLE IF NOT EXISTS disk_filler (data BLOB)")
    pages = database.execute_sql("PRAGMA page_count").fetchone()[0]
    database.execute_sql(f"PRAGMA max_page_count = {pages}")
    for size in (4000, 500, 50):
        while True:
            try:
                database.execute_sql("INSERT INTO disk_filler VALUES (zeroblob(?))", (size,))
            except peewee.OperationalError:
                break


def room_again(database) -> None:
    database.execute_sql("PRAGMA max_page_count = 1073741823")


def test_a_full_disk_refuses_the_sale_keeps_the_basket_and_every_ticket_whole(disk, make_shop):
    shop = make_shop(folder=disk / "shop")
    config = floor(shop, 1)
    before = sales()
    for _ in range(3):
        pay_cash(basket_of(shop, config))
    sold = 3

    # GIVEN a disk with less than the floor left: the sale is refused before any money is taken
    filler = fill(disk, leave_bytes=512 * 1024)
    kept = basket_of(shop, config)
    with pytest.raises(TillError) as refused:
        Checkout(kept, None)
    text = refused.value.text("en")
    assert "The disk is full" in text and "nothing was written" in text and "technician" in text
    assert [line.sku for line in kept.lines] == ["COF"]
    assert sales() == before + sold

    # WHEN the disk fills up completely and the floor is off: the transaction meets the full disk
    fill(disk)
    unguarded = floor(shop, 0)
    met = None
    for _ in range(400):
        try:
            pay_cash(basket_of(shop, unguarded))
        except TillError as error:
            met = error
            break
        sold += 1
    # THEN a clear refusal, and only whole tickets: none half written, no gap in the chain
    assert met is not None, "the disk never filled"
    assert "The disk is full" in met.text("en") and "nothing was written" in met.text("en")
    assert sales() == before + sold
    whole(shop)

    # AND once space is freed, the kept basket is paid, and the shop opens again whole
    filler.unlink()
    pay_cash(kept)
    assert sales() == before + sold + 1
    assert flush_anchors(timeout=10)
    shop.ctx.close()
    reopened = open_shop(disk / "shop")
    try:
        assert sales() == before + sold + 1
        whole(reopened)
    finally:
        reopened.ctx.close()


def test_a_read_only_disk_refuses_the_sale_and_the_doctor_says_why(disk, make_shop):
    shop = make_shop(folder=disk / "shop")
    before = sales()
    kept = basket_of(shop, floor(shop, 1))
    assert flush_anchors(timeout=10)
    shop.ctx.database.close()  # no file open for writing: the card can turn read-only
    remount(disk, read_only=True)
    try:
        with pytest.raises(TillError) as refused:
            Checkout(kept, None)
        assert "The database cannot be written (the disk is mounted read-only)" in refused.value.text("en")
        with doctor_database.session():
            found = list(doctor_database.database(shop.config))
        read_only = [f for f in found if f.message == doctor_database.DB_READ_ONLY]
        assert read_only and read_only[0].status == "FAIL"
    finally:
        remount(disk, read_only=False)
    pay_cash(kept)  # writable again: the kept basket is paid
    assert sales() == before + 1
    whole(shop)


def test_the_database_filling_during_the_ticket_rolls_it_back_whole(shop):
    """The portable stand-in for a full disk: SQLite's own page limit, met inside the transaction."""
    database = shop.ctx.database
    before = sales()
    exhaust(database)
    try:
        with pytest.raises(TillError) as refused:
            pay_cash(basket_of(shop))
    finally:
        room_again(database)
    met = refused.value
    assert met is not None and "The disk is full: nothing was written" in met.text("en")
    assert sales() == before
    whole(shop)


def test_a_read_only_connection_refuses_the_sale_and_never_asks_the_terminal(shop):
    """The portable stand-in for a read-only card: ``PRAGMA query_only``. The check comes before
    the card journal and the terminal, so no card is charged for a sale that cannot be written."""
    database = shop.ctx.database
    checkout = Checkout(basket_of(shop), shop.ctx.terminal)
    requests = PendingPayment.select().count()
    database.execute_sql("PRAGMA query_only = 1")
    try:
        with pytest.raises(TillError) as refused:
            checkout.pay_card()
        assert "The database cannot be written (the database was opened read-only)" in refused.value.text("en")
        assert checkout.tenders == []
    finally:
        database.execute_sql("PRAGMA query_only = 0")
    assert PendingPayment.select().count() == requests  # the terminal was never asked
    checkout.pay_card()
    checkout.complete()
    whole(shop)


def test_a_ticket_refused_under_the_floor_is_sealed_as_a_technical_event(shop):
    draft = paid_draft(shop, [("COF", 1)])
    before = sales()
    with pytest.raises(TillError) as refused:
        write_ticket(shop.ctx.sealer, shop.config.accounts, draft, min_free_mb=2**40)
    assert "The disk is full" in refused.value.text("en")
    assert sales() == before
    last = FiscalRecord.select().where(FiscalRecord.chain == "L").order_by(FiscalRecord.sequence.desc()).get()
    assert last.kind == "DISK_WRITE_REFUSED" and "The disk is full" in last.payload
    whole(shop)


def test_a_read_only_database_cannot_take_the_event_either_and_the_log_says_it(shop, caplog):
    draft = paid_draft(shop, [("COF", 1)])
    events = FiscalRecord.select().where(FiscalRecord.chain == "L").count()
    shop.ctx.database.execute_sql("PRAGMA query_only = 1")
    try:
        with pytest.raises(TillError) as refused:
            write_ticket(shop.ctx.sealer, shop.config.accounts, draft)
    finally:
        shop.ctx.database.execute_sql("PRAGMA query_only = 0")
    assert "cannot be written" in refused.value.text("en")
    assert FiscalRecord.select().where(FiscalRecord.chain == "L").count() == events
    assert "refused its technical event too" in caplog.text


def test_a_return_meeting_a_full_database_is_refused_as_such_not_as_busy(shop):
    sale = sell(shop, [("WIN", 2)], cash=2000)
    before = Ticket.select().count()
    session = ReturnSession.at(shop.ctx, shop.cashier)
    session.open(sale)
    session.pick(next(line.line_id for line in session.lines if line.sku == "WIN"), 1, reason="wrong_size")
    database = shop.ctx.database
    exhaust(database)
    try:
        for _ in range(100):  # sales take what room the tables' pages still have
            try:
                pay_cash(basket_of(shop))
            except TillError:
                break
        before = Ticket.select().count()
        with pytest.raises(TillError) as refused:
            session.complete()
    finally:
        room_again(database)
    assert "The disk is full" in refused.value.text("en")
    assert Ticket.select().count() == before
    assert session.complete().total_cents == -895  # room again: the same return is written
    whole(shop)


def test_the_doctor_fails_the_disk_under_the_tills_own_floor(shop):
    """One floor: where the till stops selling, ``till doctor`` says FAIL (``till.min_free_mb``)."""
    with doctor_database.session():
        found = list(doctor_database.database(floor(shop, 2**40)))
    full = [f for f in found if f.message == doctor_database.DISK_FULL]
    assert full and full[0].status == "FAIL"
