"""What a ticket record seals: everything printed, rebuilt from the database rows.

The payload is computed from the rows just written, in the sealing transaction, and recomputed
the same way by the verifier (fiscal-fr.md R-SEC-02: sign the full ticket, not only its
totals). An UPDATE of any ticket, line, VAT or payment row, or a line deleted or added, made
with the append-only triggers dropped, then no longer matches the signed payload.

Sealing and verifying share ``ticket_payloads``, which reads rows in bulk (four queries for any
number of tickets) straight from the cursor, so the verifier can check a million tickets
without a query per ticket, and both sides see the same values on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from store.models import FiscalRecord, Payment, Ticket, TicketLine, TicketVat
from till.fiscal.chain import Sealer, current_database, iso_utc

__all__ = ["TICKET_CHAINS", "ticket_payload", "ticket_payloads", "seal_ticket"]

TICKET_CHAINS = ("T", "X")
"""Chains whose records seal a ticket: T, and X once training tickets are sealed apart (design.md
section 4). The verifier checks the payload of both; every ticket has one record in one of them.
"""

_TICKET = (
    Ticket.id, Ticket.till_id, Ticket.number, Ticket.code, Ticket.kind, Ticket.created_at,
    Ticket.user, Ticket.operator_name, Ticket.customer, Ticket.customer_name, Ticket.origin_ticket,
    Ticket.total_cents, Ticket.discount_cents, Ticket.line_count, Ticket.training,
)
_LINE = (
    TicketLine.ticket, TicketLine.id, TicketLine.position, TicketLine.product, TicketLine.sku,
    TicketLine.label, TicketLine.quantity, TicketLine.unit, TicketLine.unit_price_cents,
    TicketLine.discount_cents, TicketLine.total_cents, TicketLine.vat_code, TicketLine.vat_rate_bp,
    TicketLine.origin_line, TicketLine.reason, TicketLine.disposition, TicketLine.serial,
)
_VAT = (TicketVat.ticket, TicketVat.rate_bp, TicketVat.ttc_cents, TicketVat.ht_cents, TicketVat.vat_cents)
_PAYMENT = (Payment.ticket, Payment.position, Payment.means, Payment.amount_cents, Payment.reference)


_sql_cache: dict[tuple[str, type, int], str] = {}


def _rows(name: str, build: Callable[[list[int]], Any], ids: list[int]) -> list[tuple]:
    """Raw rows of ``build(ids)``: no per-value conversion, the same path on both engines.

    Peewee renders an ``IN`` list of n ids node by node; the SQL text for n ids is kept, so a
    verifier page of 500 tickets costs the database's time, not the query builder's.
    """
    database = current_database()
    key = (name, type(database), len(ids))
    sql = _sql_cache.get(key)
    if sql is None:
        sql, params = build(ids).sql()
        if list(params) != ids:  # not a plain IN list: run it as built, without caching
            return database.execute_sql(sql, params).fetchall()
        if len(_sql_cache) > 256:
            _sql_cache.clear()
        _sql_cache[key] = sql
    return database.execute_sql(sql, ids).fetchall()


def ticket_payloads(ticket_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The payload of each existing ticket of ``ticket_ids`` (missing ids are left out)."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return {}
    payloads: dict[int, dict[str, Any]] = {}
    for (ticket_id, till_id, number, code, kind, created_at, user_id, operator_name, customer_id,
         customer_name, origin_id, total, discount, line_count, training) in _rows(
        "ticket", lambda ids: Ticket.select(*_TICKET).where(Ticket.id.in_(ids)), ids
    ):
        customer = None
        if customer_id is not None or customer_name is not None:
            customer = {"id": customer_id, "name": customer_name}
        payloads[ticket_id] = {
            "ticket_id": ticket_id,
            "till_id": till_id,
            "number": number,
            "code": code,
            "kind": kind,
            "created_at": iso_utc(created_at),
            "operator": {"user_id": user_id, "name": operator_name},
            "customer": customer,
            "origin_ticket_id": origin_id,
            "total_cents": total,
            "discount_cents": discount,
            "line_count": line_count,
            "training": bool(training),
            "lines": [],
            "vat": [],
            "payments": [],
        }
    if not payloads:
        return payloads
    ids = sorted(payloads)
    for (ticket_id, line_id, position, product_id, sku, label, quantity, unit, unit_price, line_discount,
         line_total, vat_code, vat_rate_bp, origin_line_id, reason, disposition, serial) in _rows(
        "line", lambda ids: TicketLine.select(*_LINE).where(TicketLine.ticket.in_(ids))
        .order_by(TicketLine.ticket, TicketLine.position, TicketLine.id), ids
    ):
        payloads[ticket_id]["lines"].append({
            "line_id": line_id,
            "position": position,
            "product_id": product_id,
            "sku": sku,
            "label": label,
            "quantity": quantity,
            "unit": unit,
            "unit_price_cents": unit_price,
            "discount_cents": line_discount,
            "total_cents": line_total,
            "vat_code": vat_code,
            "vat_rate_bp": vat_rate_bp,
            "origin_line_id": origin_line_id,
            "reason": reason,
            "disposition": disposition,
            "serial": serial,
        })
    for ticket_id, rate_bp, ttc, ht, vat in _rows(
        "vat", lambda ids: TicketVat.select(*_VAT).where(TicketVat.ticket.in_(ids))
        .order_by(TicketVat.ticket, TicketVat.rate_bp.desc(), TicketVat.id), ids
    ):
        payloads[ticket_id]["vat"].append(
            {"rate_bp": rate_bp, "ttc_cents": ttc, "ht_cents": ht, "vat_cents": vat}
        )
    for ticket_id, position, means, amount, reference in _rows(
        "payment", lambda ids: Payment.select(*_PAYMENT).where(Payment.ticket.in_(ids))
        .order_by(Payment.ticket, Payment.position, Payment.id), ids
    ):
        payloads[ticket_id]["payments"].append(
            {"position": position, "means": means, "amount_cents": amount, "reference": reference}
        )
    return payloads


def ticket_payload(ticket_id: int) -> dict[str, Any]:
    """The payload of one ticket, from its rows as they are now."""
    payload = ticket_payloads([ticket_id]).get(ticket_id)
    if payload is None:
        raise LookupError(f"ticket {ticket_id} does not exist")
    return payload


def seal_ticket(sealer: Sealer, ticket: Ticket, chain: str = "T") -> FiscalRecord:
    """Seal a ticket whose rows are all written, in the same transaction as them.

    ``chain`` is T; the training mode may pass X, with ticket numbers reserved from X too.
    """
    if chain not in TICKET_CHAINS:
        raise ValueError(f"tickets are sealed in chains {TICKET_CHAINS}, not {chain!r}")
    return sealer.append(chain, ticket.kind, ticket_payload(ticket.id), ticket_id=ticket.id)
