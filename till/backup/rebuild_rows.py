"""The shop's rows, rebuilt from the signed records a rebuild brought back from head office.

A ticket's record seals everything printed (``till.fiscal.payloads``): ids, code, time,
operator, customer, lines with products, quantities, prices and VAT, the VAT split and the
payments. So its ticket, lines, VAT rows and payments are written back with the very ids and
values of the payload, and the verifier, rebuilding the payload from these rows, finds the
signed text again. The rows derived from a ticket (accounting lines, stock movements) are made
by the functions the verifier itself uses to check them (``till.selling.derived_check``); the
users, VAT rates, ticket-less stock movements and credit notes from the chain L events that
seal them; the cash documents of chain P from their own payloads. Whatever a record does not
carry is listed, never guessed: customers' contact data and consents, staff PINs, the catalogue
beyond what receipts name, online orders.

Everything here runs inside the rebuild's one transaction, after the records are inserted.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import peewee

from store.models import (AccountingLine, CashMove, CreditNote, CreditNoteMovement, Customer, FiscalRecord, Payment,
                          Product, StockLocation, Ticket, TicketLine, TicketVat, User, VatRate)
from till.fiscal.cash_moves import CASH_MOVE_CHAIN
from till.fiscal.chain import current_database
from till.fiscal.credit_ledger import LedgerRules, ledger_records
from till.fiscal.events import EVENT_CHAIN
from till.fiscal.payloads import TICKET_CHAINS
from till.i18n import N_
from till.people.users_check import sealed_users
from till.selling.accounting import cash_move_postings
from till.selling.derived_check import expected_rows, loyalty_rewards
from till.selling.stock import STOCK_MOVED, move_stock
from till.selling.vat_rates import sealed_vat_rates
from till.shop.setup import STOCK_LOCATIONS

__all__ = ["RebuiltRows", "rebuild_rows", "NOT_IN_RECORDS"]

NOT_IN_RECORDS = (
    N_("staff PINs: every user is rebuilt without one; add a manager with till user add"),
    N_("customers' e-mail, phone, loyalty card and consents: only the id and name printed on tickets are kept"),
    N_("the catalogue beyond the products receipts name: run till sync to pull it from head office"),
    N_("the card journal, the outbox, the remote credit holds and the loyalty ledger"),
)
"""What no signed record carries: listed in every rebuild's report."""

_NO_PIN = "!rebuilt"
"""A PIN hash no PIN matches (``people.auth.pin_matches`` reads it as not scrypt)."""


@dataclass
class RebuiltRows:
    """Rows written per kind, and what could not be rebuilt (message id, parameters)."""

    counts: dict[str, int] = field(default_factory=dict)
    not_rebuilt: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """Codes of the credit notes rebuilt (head office is asked their balance after the commit)."""

    def count(self, kind: str, n: int = 1) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + n

    def missing(self, message: str, **params: Any) -> None:
        self.not_rebuilt.append((message, params))


def _when(text: str) -> dt.datetime:
    """A sealed ISO-8601 UTC time as the naive UTC a column stores."""
    return dt.datetime.fromisoformat(text.replace("Z", "")).replace(tzinfo=None)


def rebuild_rows(till_id: str, accounts: Any, zone: dt.tzinfo, loyalty: Any) -> RebuiltRows:
    """Write the rows the bound database's records of ``till_id`` call for; see the module docstring."""
    out = RebuiltRows()
    for code, name in STOCK_LOCATIONS:
        StockLocation.get_or_create(code=code, defaults={"name": name})
    _vat_rates(out)
    payloads = [(chain, json.loads(payload)) for chain, payload in FiscalRecord.select(
        FiscalRecord.chain, FiscalRecord.payload)
        .where((FiscalRecord.till_id == till_id) & FiscalRecord.chain.in_(TICKET_CHAINS)
               & FiscalRecord.ticket_id.is_null(False))
        .order_by(FiscalRecord.ticket_id).tuples()]
    events = [(created_at, json.loads(payload)) for created_at, payload in FiscalRecord.select(
        FiscalRecord.created_at, FiscalRecord.payload)
              .where((FiscalRecord.till_id == till_id) & (FiscalRecord.chain == EVENT_CHAIN)
                     & (FiscalRecord.kind == STOCK_MOVED)).order_by(FiscalRecord.sequence).tuples()]
    moves = [json.loads(payload) for (payload,) in FiscalRecord.select(FiscalRecord.payload)
             .where((FiscalRecord.till_id == till_id) & (FiscalRecord.chain == CASH_MOVE_CHAIN))
             .order_by(FiscalRecord.sequence).tuples()]
    names = {p["operator"]["user_id"]: p["operator"]["name"] for _chain, p in payloads}
    for move in moves:
        names.update({move["operator"]["id"]: move["operator"]["name"],
                      move["approved_by"]["id"]: move["approved_by"]["name"]})
    _users(out, names)
    _products(out, [p for _chain, p in payloads], [event for _when, event in events])
    written = set()
    rewards = loyalty_rewards()  # the loyalty vouchers each ticket issued: their cost is booked on it
    for _chain, payload in payloads:
        if _ticket(out, payload, accounts, zone, loyalty, rewards.get(payload["ticket_id"], ())):
            written.add(payload["ticket_id"])
    for created_at, event in events:
        details = event["details"]
        move_stock(details["product_id"], details["location"], details["quantity"], details["reason"], None,
                   created_at)
        out.count("stock movements")
    for move in moves:
        _cash_move(out, move, accounts, zone, written)
    _credit_notes(out, till_id, written)
    _advance_sequences((User, Customer, Product, Ticket, TicketLine))  # the only tables given ids here
    return out


def _vat_rates(out: RebuiltRows) -> None:
    for (code, valid_from), state in sorted(sealed_vat_rates().items()):
        if not state.get("added") or "rate_bp" not in state:
            continue
        VatRate.create(code=code, label=state.get("label") or code, rate_bp=state["rate_bp"],
                       valid_from=dt.date.fromisoformat(valid_from),
                       valid_to=dt.date.fromisoformat(state["valid_to"]) if state.get("valid_to") else None)
        out.count("VAT rates")


def _users(out: RebuiltRows, names: dict[int, str]) -> None:
    sealed = sealed_users()
    for user_id in sorted(set(sealed) | set(names)):
        state = sealed.get(user_id, {})
        login = state.get("login") or f"user{user_id}"
        User.insert(id=user_id, login=login, name=names.get(user_id) or login, role=state.get("role", "cashier"),
                    pin_hash=_NO_PIN, active=bool(state.get("active", True))).execute()
        out.count("users")
        if "login" not in state:
            out.missing(N_("user {user_id}: no sealed record of being added; rebuilt as {login}"),
                        user_id=user_id, login=login)


def _products(out: RebuiltRows, payloads: list[dict[str, Any]], events: list[dict[str, Any]]) -> None:
    """A product per id the receipts name, as their lines describe it (the last sale's price);
    ``till sync`` then brings the catalogue, matched by SKU. A product only stock events name
    keeps its id under a placeholder SKU, so its sealed movements stand."""
    seen: dict[int, dict[str, Any]] = {}
    for payload in payloads:
        for line in payload["lines"]:
            if line["product_id"] is not None:
                seen[line["product_id"]] = line
    for product_id, line in sorted(seen.items()):
        if Product.get_or_none(Product.id == product_id) is None:
            Product.insert(id=product_id, sku=line["sku"], name=line["label"], price_cents=line["unit_price_cents"],
                           vat_code=line["vat_code"], sold_by_weight=line["unit"] != "piece").execute()
            out.count("products")
    for event in events:
        product_id = event["details"]["product_id"]
        if product_id not in seen and Product.get_or_none(Product.id == product_id) is None:
            Product.insert(id=product_id, sku=f"?{product_id}", name=f"? {product_id}", price_cents=0,
                           vat_code="N", active=False).execute()
            seen[product_id] = {}
            out.missing(N_("product {product_id}: on no receipt, only in stock movements; kept as SKU ?{product_id}"),
                        product_id=product_id)


def _ticket(out: RebuiltRows, p: dict[str, Any], accounts: Any, zone: dt.tzinfo, loyalty: Any,
            rewards: Any) -> bool:
    origin = p.get("origin") or {}
    if origin.get("order_id") is not None or any(line.get("origin_order_line_id") for line in p["lines"]):
        out.missing(N_("ticket {code}: it returns an online order, which head office keeps apart"), code=p["code"])
        return False
    customer = p.get("customer")
    if customer and customer.get("id") is not None and Customer.get_or_none(Customer.id == customer["id"]) is None:
        Customer.insert(id=customer["id"], last_name=(customer.get("name") or "")[:80]).execute()
        out.count("customers")
    shop = p.get("shop") or {}
    when = _when(p["created_at"])
    Ticket.insert(
        id=p["ticket_id"], till_id=p["till_id"], number=p["number"], code=p["code"], kind=p["kind"], created_at=when,
        user=p["operator"]["user_id"], operator_name=p["operator"]["name"],
        customer=customer.get("id") if customer else None, customer_name=customer.get("name") if customer else None,
        origin_ticket=p["origin_ticket_id"], total_cents=p["total_cents"], discount_cents=p["discount_cents"],
        line_count=p["line_count"], training=p["training"], origin_reference=origin.get("reference"),
        origin_signature=origin.get("signature"), shop_name=shop.get("name"), shop_address=shop.get("address"),
        shop_siret=shop.get("siret"), shop_vat_number=shop.get("vat_number"),
        software_version=p.get("software_version")).execute()
    for line in p["lines"]:
        TicketLine.insert(
            id=line["line_id"], ticket=p["ticket_id"], position=line["position"], product=line["product_id"],
            sku=line["sku"], label=line["label"], quantity=line["quantity"], unit=line["unit"],
            unit_price_cents=line["unit_price_cents"], discount_cents=line["discount_cents"],
            total_cents=line["total_cents"], vat_code=line["vat_code"], vat_rate_bp=line["vat_rate_bp"],
            origin_line=line["origin_line_id"], reason=line["reason"], disposition=line["disposition"],
            serial=line["serial"]).execute()
    for vat in p["vat"]:
        TicketVat.insert(ticket=p["ticket_id"], rate_bp=vat["rate_bp"], ttc_cents=vat["ttc_cents"],
                         ht_cents=vat["ht_cents"], vat_cents=vat["vat_cents"]).execute()
    for payment in p["payments"]:
        Payment.insert(ticket=p["ticket_id"], position=payment["position"], means=payment["means"],
                       amount_cents=payment["amount_cents"], reference=payment["reference"]).execute()
    postings, moves = expected_rows(p, accounts, zone, loyalty, rewards)
    for journal, entry_date, account, label, debit, credit in postings:
        AccountingLine.insert(ticket=p["ticket_id"], journal=journal, entry_date=entry_date, account=account,
                              label=label, debit_cents=debit, credit_cents=credit, created_at=when).execute()
    for product, location, quantity, reason in moves:
        move_stock(product, location, quantity, reason, p["ticket_id"], when)
    out.count("tickets")
    out.count("lines", len(p["lines"]))
    out.count("payments", len(p["payments"]))
    return True


def _cash_move(out: RebuiltRows, p: dict[str, Any], accounts: Any, zone: dt.tzinfo, tickets: set[int]) -> None:
    """A chain P document (float, withdrawal, means correction) and its accounting lines, as
    ``till.selling.cash_moves`` wrote them."""
    origin = p.get("origin") or {}
    if origin and origin.get("ticket_id") not in tickets:
        out.missing(N_("cash document {code}: the ticket it corrects is not rebuilt"), code=p["code"])
        return
    when = _when(p["created_at"])
    move_id = CashMove.insert(
        till_id=p["till_id"], number=p["number"], code=p["code"], kind=p["kind"], created_at=when,
        user=p["operator"]["id"], operator_name=p["operator"]["name"], approved_by=p["approved_by"]["id"],
        approver_name=p["approved_by"]["name"], amount_cents=p["amount_cents"], means=p["means"],
        to_means=p["to_means"], drawer_cents=p["drawer_cents"], reason=p["reason"],
        origin_ticket=origin.get("ticket_id"), origin_reference=origin.get("code"),
        origin_signature=origin.get("signature")).execute()
    business_date = when.replace(tzinfo=dt.timezone.utc).astimezone(zone).date()
    for posting in cash_move_postings(accounts, p["code"], p["kind"], p["amount_cents"], p["means"], p["to_means"]):
        AccountingLine.insert(cash_move=move_id, journal=accounts.cash_journal, entry_date=business_date,
                              account=posting.account, label=posting.label, debit_cents=posting.debit_cents,
                              credit_cents=posting.credit_cents, created_at=when).execute()
    out.count("cash documents")


def _credit_notes(out: RebuiltRows, till_id: str, tickets: set[int]) -> None:
    """The notes this till issued and their movements, as the sealed ledger describes them."""
    rules = LedgerRules()
    for row in ledger_records():
        rules.add(*row)
    notes = rules.notes()
    ids: dict[str, int] = {}
    for code, issue in sorted(notes.items(), key=lambda item: item[1].ticket_id):
        if issue.till_id != till_id or issue.ticket_id not in tickets or issue.expires_on is None:
            out.missing(N_("credit note {code}: its issue cannot be rebuilt"), code=code)
            continue
        issued = Ticket.get_by_id(issue.ticket_id)
        ids[code] = CreditNote.insert(code=code, till_id=till_id, issued_ticket=issue.ticket_id,
                                      customer=issue.customer_id, amount_cents=issue.amount_cents,
                                      expires_on=dt.date.fromisoformat(issue.expires_on),
                                      created_at=issued.created_at).execute()
        out.notes.append(code)
        out.count("credit notes")
    for (code, ticket_id, amount), times in sorted(rules.movements(notes).items()):
        if code in ids and ticket_id in tickets:
            for _ in range(times):
                CreditNoteMovement.insert(credit_note=ids[code], ticket=ticket_id, amount_cents=amount,
                                          created_at=Ticket.get_by_id(ticket_id).created_at).execute()


def _advance_sequences(models: tuple[type[peewee.Model], ...]) -> None:
    """On PostgreSQL, move each table's id sequence past the ids written by hand (SQLite needs
    nothing: its next id is always above the highest)."""
    database = current_database()
    if not isinstance(database, peewee.PostgresqlDatabase):
        return
    for model in models:
        table = model._meta.table_name
        database.execute_sql(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                             f"COALESCE((SELECT MAX(id) FROM \"{table}\"), 0) + 1, false)")
