"""The store on both engines: schema, migrations, pragmas, append-only fiscal tables."""

from __future__ import annotations

import datetime as dt

import peewee
import pytest

from store import db
from store.migrations import applied, apply_pending, steps
from store.models import (
    ALL_MODELS, FISCAL_TABLES, AccountingLine, Barcode, Category, Customer, FiscalRecord, Payment, Product,
    StockLevel, StockLocation, Ticket, TicketLine, TicketVat, User, VatRate,
)


@pytest.fixture
def database(db_url):
    database = db.open(db_url)
    yield database
    database.close()


def test_migrations_create_every_table_and_are_recorded(database):
    tables = set(database.get_tables())
    for model in ALL_MODELS:
        assert model._meta.table_name in tables
    assert applied(database) == {number for number, _ in steps()}
    assert apply_pending(database) == []  # a second start applies nothing


def test_sqlite_pragmas(sqlite_url):
    database = db.open(sqlite_url)
    assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert database.execute_sql("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert database.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert database.execute_sql("PRAGMA busy_timeout").fetchone()[0] >= 1000
    assert database._lock_type == "IMMEDIATE"
    database.close()


def _ticket(user: User) -> Ticket:
    ticket = Ticket.create(till_id="01", number=1, code="T01-0000019", user=user, operator_name=user.name,
                           total_cents=250, line_count=1)
    TicketLine.create(ticket=ticket, position=1, sku="A", label="Pain", quantity=1, unit_price_cents=250,
                      total_cents=250, vat_code="R", vat_rate_bp=550)
    Payment.create(ticket=ticket, position=1, means="cash", amount_cents=250)
    TicketVat.create(ticket=ticket, rate_bp=550, ttc_cents=250, ht_cents=237, vat_cents=13)
    AccountingLine.create(ticket=ticket, journal="VT", entry_date=dt.date.today(), account="531", label="x",
                          debit_cents=250)
    FiscalRecord.create(till_id="01", chain="T", sequence=1, kind="sale", payload="{}", hash="h", signature="s",
                        key_id="k")
    from store.models import CreditNote, CreditNoteMovement

    note = CreditNote.create(code="AV-TEST", till_id="01", issued_ticket=ticket, amount_cents=250,
                             expires_on=dt.date.today())
    CreditNoteMovement.create(credit_note=note, ticket=ticket, amount_cents=250)
    from store.models import OnlineOrder, OnlineOrderLine

    order = OnlineOrder.create(number="WEB-1", ordered_at=dt.datetime(2026, 11, 1), total_cents=250,
                               paid_cents=250, digest="d")
    OnlineOrderLine.create(order=order, position=1, sku="A", label="Pain", quantity=1, unit_price_cents=250,
                           total_cents=250, vat_code="R", vat_rate_bp=550)
    from store.models import Customer, LoyaltyEntry

    customer = Customer.create(first_name="Hélène")
    LoyaltyEntry.create(customer=customer, ticket=ticket, kind="earn", points=2)
    from store.models import CashMove

    CashMove.create(till_id="01", number=1, code="P01-000001", kind="opening_float", user=user,
                    operator_name=user.name, approved_by=user, approver_name=user.name, amount_cents=5000,
                    means="cash", drawer_cents=5000, reason="float")
    return ticket


def test_catalogue_people_and_money_columns(database):
    VatRate.create(code="N", label="20", rate_bp=2000, valid_from=dt.date(2014, 1, 1))
    grocery = Category.create(name="Épicerie")
    product = Product.create(sku="P1", name="Café", price_cents=12_345_678_901, vat_code="N", category=grocery)
    Barcode.create(code="3017620422003", product=product)
    Barcode.create(code="30176204", product=product)
    assert [b.code for b in product.barcodes.order_by(Barcode.code)] == ["30176204", "3017620422003"]
    assert Product.get_by_id(product.id).price_cents == 12_345_678_901  # BIGINT cents, exact
    with pytest.raises(peewee.IntegrityError), database.atomic():
        Barcode.create(code="3017620422003", product=product)
    customer = Customer.create(first_name="Hélène", last_name="Dupré", consent_email=True, search_key="helene dupre")
    assert customer.display_name == "Hélène Dupré"
    location = StockLocation.create(code="sellable", name="Sellable")
    StockLevel.create(product=product, location=location, quantity=5)
    with pytest.raises(peewee.IntegrityError), database.atomic():
        StockLevel.create(product=product, location=location, quantity=1)


@pytest.mark.parametrize("model", FISCAL_TABLES, ids=lambda m: m._meta.table_name)
def test_fiscal_tables_refuse_update_and_delete(database, model):
    user = User.create(login="c", name="Camille", pin_hash="x")
    _ticket(user)
    from store.models import SigningKey

    SigningKey.create(key_id="k", till_id="01", public_key_pem="pem")
    row = model.select().first()
    assert row is not None
    field = next(f for f in model._meta.sorted_fields
                 if not f.primary_key and not isinstance(f, peewee.ForeignKeyField)
                 and isinstance(f, (peewee.CharField, peewee.TextField, peewee.IntegerField)))
    tampered = "tampered" if isinstance(field, (peewee.CharField, peewee.TextField)) else 999
    with pytest.raises((peewee.IntegrityError, peewee.InternalError, peewee.OperationalError)), database.atomic():
        model.update({field: tampered}).where(model.id == row.id).execute()
    with pytest.raises((peewee.IntegrityError, peewee.InternalError, peewee.OperationalError)), database.atomic():
        model.delete().where(model.id == row.id).execute()
    assert model.select().count() == 1
    assert getattr(model.get_by_id(row.id), field.name) == getattr(row, field.name)


def test_non_fiscal_tables_stay_editable(database):
    user = User.create(login="c", name="Camille", pin_hash="x")
    user.failed_attempts = 2
    user.save()
    assert User.get_by_id(user.id).failed_attempts == 2


def test_unsupported_url_is_refused():
    with pytest.raises(ValueError, match="unsupported database URL"):
        db.connect("mysql://x/y")


def test_with_retry_retries_locks_then_gives_up():
    calls = []

    def busy():
        calls.append(1)
        raise peewee.OperationalError("database is locked")

    with pytest.raises(db.DatabaseUnavailable):
        db.with_retry(busy, attempts=3, pause_s=0)
    assert len(calls) == 3
    outcomes = iter([peewee.OperationalError("database is locked"), "ok"])

    def once_busy():
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert db.with_retry(once_busy, pause_s=0) == "ok"


def test_models_and_migrated_schema_agree(database):
    """A model changed without a new migration step fails here, on both engines."""
    for model in ALL_MODELS:
        table = model._meta.table_name
        columns = {column.name for column in database.get_columns(table)}
        assert columns == {field.column_name for field in model._meta.sorted_fields}, table
        indexes = {tuple(index.columns) for index in database.get_indexes(table)}
        for fields, _unique in model._meta.indexes:
            wanted = tuple(model._meta.fields[name].column_name for name in fields)
            assert wanted in indexes, (table, wanted)


def test_fiscal_table_list_matches_the_models():
    """Each migration step protects the append-only tables it creates; together, the models' list."""
    from store.migrations.m0001_initial import FISCAL_TABLES as FROZEN_0001
    from store.migrations.m0002_credit_notes import FISCAL_TABLES as FROZEN_0002
    from store.migrations.m0004_origins_and_online_orders import FISCAL_TABLES as FROZEN_0004
    from store.migrations.m0007_loyalty import FISCAL_TABLES as FROZEN_0007
    from store.migrations.m0012_cash_moves import FISCAL_TABLES as FROZEN_0012

    steps = [set(FROZEN_0001), set(FROZEN_0002), set(FROZEN_0004), set(FROZEN_0007), set(FROZEN_0012)]
    assert sum(len(step) for step in steps) == len(set().union(*steps)), "a table protected twice"
    assert set().union(*steps) == {model._meta.table_name for model in FISCAL_TABLES}
