"""Fixtures of the fiscal journal tests: an open store, a key, an anchor folder, a sealer.

``shop`` works on both engines (through ``db_url``); ``sqlite_shop`` only on SQLite for the
tests that have nothing engine-specific to prove. Tickets are built directly with the models,
as the sale workflow will: header, two lines, per-rate VAT, two payments, then the seal, all in
one ``database.atomic()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import peewee
import pytest

from store import db
from store.models import Payment, Ticket, TicketLine, TicketVat, User
from till.fiscal import chain as _chain
from till.fiscal import AnchorStore, Sealer, Signer, seal_ticket, verify_journal
from tests.support.journal import unprotect

TILL = "01"


@dataclass
class Shop:
    """An open store with everything needed to seal tickets and verify them."""

    database: peewee.Database
    signer: Signer
    anchors: AnchorStore
    sealer: Sealer
    user: User
    tmp_path: Path
    _next_number: int = 1

    @property
    def postgres(self) -> bool:
        return db.is_postgres(self.database)

    def sale(self, *, labels=("Pain de campagne", "Café moulu"), training=False, chain="T") -> Ticket:
        """A committed, sealed sale: 2 lines (5.5 % and 20 %), 2 VAT rows, 2 payments."""
        number = self._next_number
        self._next_number += 1
        with self.database.atomic():
            ticket = self.unsealed_ticket(number, labels=labels, training=training)
            seal_ticket(self.sealer, ticket, chain)
        return ticket

    def unsealed_ticket(self, number: int, *, labels=("Pain de campagne", "Café moulu"),
                        training=False, created_at=None) -> Ticket:
        """The rows of a sale, without its fiscal record (the caller seals it, or forges it),
        dated ``created_at`` (default: the sealer's clock, which the archive tests set: ``at``)."""
        ticket = Ticket.create(
            created_at=created_at or _chain.utcnow(),
            till_id=TILL, number=number, code=f"T{TILL}-{number:07d}", kind="sale", user=self.user,
            operator_name=self.user.name, customer_name=None, total_cents=1_030, discount_cents=0,
            line_count=2, training=training,
        )
        TicketLine.create(ticket=ticket, position=1, sku="PAIN", label=labels[0], quantity=2, unit="piece",
                          unit_price_cents=215, total_cents=430, vat_code="R", vat_rate_bp=550)
        TicketLine.create(ticket=ticket, position=2, sku="CAFE", label=labels[1], quantity=1, unit="piece",
                          unit_price_cents=600, total_cents=600, vat_code="N", vat_rate_bp=2000)
        TicketVat.create(ticket=ticket, rate_bp=2000, ttc_cents=600, ht_cents=500, vat_cents=100)
        TicketVat.create(ticket=ticket, rate_bp=550, ttc_cents=430, ht_cents=408, vat_cents=22)
        Payment.create(ticket=ticket, position=1, means="card", amount_cents=1_000, reference="AUTH123")
        Payment.create(ticket=ticket, position=2, means="cash", amount_cents=30)
        return ticket

    def verify(self, **kwargs):
        kwargs.setdefault("anchors", self.anchors)
        return verify_journal(**kwargs)

    def unprotect(self) -> None:
        """Drop the append-only triggers, as an attacker with database access would."""
        unprotect(self.database)


def _open_shop(url: str, tmp_path: Path) -> Shop:
    database = db.open(url)
    signer = Signer.create(tmp_path / "keys" / "till.pem")
    anchors = AnchorStore(tmp_path / "anchors")
    user = User.create(login="marie", name="Marie Durand", role="cashier", pin_hash="scrypt$x")
    return Shop(database, signer, anchors, Sealer(TILL, signer, anchors), user, tmp_path)


@pytest.fixture
def till_shop(any_shop):
    """The small real shop of the workflow tests (tests/support/shop.py), on both engines
    (``shop`` here is the journal's own)."""
    return any_shop


@pytest.fixture
def lite_shop(make_shop):
    """The same shop on SQLite only, for what has nothing engine-specific to prove."""
    return make_shop()


@pytest.fixture
def shop(db_url, tmp_path):
    shop = _open_shop(db_url, tmp_path)
    yield shop
    shop.database.close()


@pytest.fixture
def sqlite_shop(sqlite_url, tmp_path):
    shop = _open_shop(sqlite_url, tmp_path)
    yield shop
    shop.database.close()
