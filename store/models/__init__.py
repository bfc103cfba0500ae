"""The shop's tables, grouped by concept. ``ALL_MODELS`` is in creation order."""

from store.models.base import BaseModel, CentsField, database_proxy, utcnow
from store.models.cash_moves import CashMove
from store.models.catalogue import Barcode, Category, Product, VatRate
from store.models.credit import CreditNote, CreditNoteMovement, RemoteCreditHold
from store.models.fiscal import ChainHead, FiscalRecord, SigningKey
from store.models.orders import OnlineOrder, OnlineOrderLine
from store.models.other_shops import KnownTillKey, ReturnHold
from store.models.loyalty import LoyaltyEntry
from store.models.outbox import OutboxJob, Setting
from store.models.payments import PendingPayment
from store.models.people import CASHIER, MANAGER, ROLES, TECHNICIAN, Customer, CustomerWord, User
from store.models.stock import DAMAGED, SELLABLE, StockLevel, StockLocation, StockMovement
from store.models.tickets import (
    CANCELLATION, EXCHANGE, GRAM, PIECE, RETURN, SALE,
    AccountingLine, Payment, Ticket, TicketLine, TicketVat,
)

ALL_MODELS = [
    VatRate, Category, Product, Barcode,
    StockLocation, StockMovement, StockLevel,
    User, Customer,
    OnlineOrder, OnlineOrderLine,
    Ticket, TicketLine, TicketVat, Payment, AccountingLine,
    FiscalRecord, ChainHead, SigningKey,
    OutboxJob, Setting,
    CreditNote, CreditNoteMovement,
    CustomerWord,
    PendingPayment,
    LoyaltyEntry,
    RemoteCreditHold,
    CashMove,
    KnownTillKey, ReturnHold,
]

FISCAL_TABLES = [Ticket, TicketLine, TicketVat, Payment, AccountingLine, FiscalRecord, SigningKey,
                 CreditNote, CreditNoteMovement, OnlineOrder, OnlineOrderLine, LoyaltyEntry, CashMove]
"""Tables whose rows are never updated or deleted: triggers refuse it on both engines."""

__all__ = [name for name in dir() if not name.startswith("_")]
