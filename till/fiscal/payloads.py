"""What a ticket record seals: everything printed, rebuilt from the database rows.

The payload is computed from the rows of the ticket, in the sealing transaction, and recomputed
the same way by the verifier (fiscal-fr.md R-SEC-02: sign the full ticket, not only its
totals). An UPDATE of any ticket, line, VAT or payment row, or a line deleted or added, made
with the append-only triggers dropped, then no longer matches the signed payload.

Both sides start from the same *row tuples* (``TicketRows``): the verifier reads them in bulk
(four queries for any number of tickets, straight from the cursor), the ticket writer passes
the values it has just inserted, so a checkout never reads its own rows back. ``payload_of`` is
the one definition of the payload. ``payload_text`` writes its JSON text straight from the
tuples, with no dict in between: comparing that text with the sealed one is
how the verifier checks a ticket at nearly the cost of the bare signature check. It is only a
fast "equal": anything else goes to the exact rules (``verify._same_payload``).

A ticket also seals who issued it (fiscal-fr.md R-DATA-03): the shop's name, address, SIRET and
VAT number and the software's version, copied onto the ticket row (``Issuer``), so a copy prints
what the original printed after the settings change. The shape is marked by the fields'
presence: tickets sealed before have those columns NULL and keep their payload byte for byte.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from store.models import FiscalRecord, Payment, Ticket, TicketLine, TicketVat
from till import __version__
from till.fiscal.chain import Sealer, current_database, iso_utc

__all__ = [
    "TICKET_CHAINS", "TicketRows", "ticket_rows", "payload_of", "payload_text", "ticket_payload",
    "ticket_payloads", "seal_ticket", "seal_ticket_rows", "Issuer", "issuer_of", "NO_ISSUER", "sealed_issuer",
    "printed_issuer",
]

TICKET_CHAINS = ("T", "X")
"""Chains whose records seal a ticket: T, and X once training tickets are sealed apart (design.md
section 4). The verifier checks the payload of both; every ticket has one record in one of them.
"""

_TICKET = (
    Ticket.id, Ticket.till_id, Ticket.number, Ticket.code, Ticket.kind, Ticket.created_at,
    Ticket.user, Ticket.operator_name, Ticket.customer, Ticket.customer_name, Ticket.origin_ticket,
    Ticket.total_cents, Ticket.discount_cents, Ticket.line_count, Ticket.training,
    Ticket.origin_reference, Ticket.origin_signature, Ticket.origin_order,
    Ticket.shop_name, Ticket.shop_address, Ticket.shop_siret, Ticket.shop_vat_number, Ticket.software_version,
)
_LINE = (
    TicketLine.ticket, TicketLine.id, TicketLine.position, TicketLine.product, TicketLine.sku,
    TicketLine.label, TicketLine.quantity, TicketLine.unit, TicketLine.unit_price_cents,
    TicketLine.discount_cents, TicketLine.total_cents, TicketLine.vat_code, TicketLine.vat_rate_bp,
    TicketLine.origin_line, TicketLine.reason, TicketLine.disposition, TicketLine.serial,
    TicketLine.origin_order_line,
)
_VAT = (TicketVat.ticket, TicketVat.rate_bp, TicketVat.ttc_cents, TicketVat.ht_cents, TicketVat.vat_cents)
_PAYMENT = (Payment.ticket, Payment.position, Payment.means, Payment.amount_cents, Payment.reference)



@dataclass(frozen=True)
class Issuer:
    """Who issues the tickets a sealer seals: the shop as configured and this software's version.

    The same for every ticket of a run: built once from the settings (``issuer_of``) and carried
    by the ``Sealer``, so a checkout only copies five values it already has."""

    name: str
    address: str
    siret: str
    vat_number: str
    software_version: str = __version__

    def row(self) -> tuple[str, str, str, str, str]:
        """The ticket columns ``shop_name, shop_address, shop_siret, shop_vat_number, software_version``."""
        return (self.name, self.address, self.siret, self.vat_number, self.software_version)


NO_ISSUER = (None, None, None, None, None)
"""The issuer columns of a ticket sealed without one (before they existed, or by a bare sealer)."""


def issuer_of(shop: Any) -> Issuer:
    """The issuer from the shop's settings (``config.shop``) and the running software."""
    return Issuer(shop.name, shop.address, shop.siret, shop.vat_number)


def sealed_issuer(payload: dict[str, Any]) -> Issuer | None:
    """The issuer a ticket's signed payload holds, or None for a ticket sealed before it was sealed."""
    shop = payload.get("shop")
    if not isinstance(shop, dict) or "software_version" not in payload:
        return None
    return Issuer(shop.get("name") or "", shop.get("address") or "", shop.get("siret") or "",
                  shop.get("vat_number") or "", payload["software_version"] or "")


def printed_issuer(record: FiscalRecord | None, shop: Any) -> Issuer:
    """The shop and software a ticket's paper names (its receipt, copies, the vouchers it issued):
    those sealed in its ``record``, so a copy prints what the original did; the current settings
    (``config.shop``) for a ticket sealed before they were (R-DATA-03)."""
    if record is not None:
        sealed = sealed_issuer(json.loads(record.payload))
        if sealed is not None:
            return sealed
    return issuer_of(shop)


TicketRows = tuple[tuple, list[tuple], list[tuple], list[tuple]]
"""(ticket row, line rows, VAT rows, payment rows), columns as ``_TICKET``, ``_LINE``, ``_VAT`` and
``_PAYMENT`` (child rows start with the ticket id), children in payload order: lines by position
then id, VAT by rate descending then id, payments by position then id."""

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


def ticket_rows(ticket_ids: Iterable[int]) -> dict[int, TicketRows]:
    """The rows of each existing ticket of ``ticket_ids`` (missing ids are left out)."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return {}
    found: dict[int, TicketRows] = {
        row[0]: (row, [], [], []) for row in _rows("ticket", lambda ids: Ticket.select(*_TICKET)
                                                   .where(Ticket.id.in_(ids)), ids)
    }
    if not found:
        return found
    ids = sorted(found)
    for row in _rows("line", lambda ids: TicketLine.select(*_LINE).where(TicketLine.ticket.in_(ids))
                     .order_by(TicketLine.ticket, TicketLine.position, TicketLine.id), ids):
        found[row[0]][1].append(row)
    for row in _rows("vat", lambda ids: TicketVat.select(*_VAT).where(TicketVat.ticket.in_(ids))
                     .order_by(TicketVat.ticket, TicketVat.rate_bp.desc(), TicketVat.id), ids):
        found[row[0]][2].append(row)
    for row in _rows("payment", lambda ids: Payment.select(*_PAYMENT).where(Payment.ticket.in_(ids))
                     .order_by(Payment.ticket, Payment.position, Payment.id), ids):
        found[row[0]][3].append(row)
    return found


def payload_of(rows: TicketRows) -> dict[str, Any]:
    """The payload of one ticket, from its rows: the definition of what a ticket record seals.

    A return's ``origin`` (the original receipt's code and record signature, or the online order
    it reverses) and a line's ``origin_order_line_id`` are keys only when set, and so are the
    issuer's ``shop`` and ``software_version`` (when the ticket has a software version): tickets
    sealed before those columns existed keep the payload they were signed with.
    """
    ticket, lines, vats, payments = rows
    (ticket_id, till_id, number, code, kind, created_at, user_id, operator_name, customer_id,
     customer_name, origin_id, total, discount, line_count, training, origin_reference, origin_signature,
     origin_order_id, shop_name, shop_address, shop_siret, shop_vat_number, software_version) = ticket
    customer = None
    if customer_id is not None or customer_name is not None:
        customer = {"id": customer_id, "name": customer_name}
    payload = {
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
        "lines": [
            {
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
                **({} if origin_order_line_id is None else {"origin_order_line_id": origin_order_line_id}),
            }
            for (_t, line_id, position, product_id, sku, label, quantity, unit, unit_price, line_discount,
                 line_total, vat_code, vat_rate_bp, origin_line_id, reason, disposition, serial,
                 origin_order_line_id) in lines
        ],
        "vat": [{"rate_bp": rate_bp, "ttc_cents": ttc, "ht_cents": ht, "vat_cents": vat}
                for _t, rate_bp, ttc, ht, vat in vats],
        "payments": [{"position": position, "means": means, "amount_cents": amount, "reference": reference}
                     for _t, position, means, amount, reference in payments],
    }
    if origin_reference is not None or origin_signature is not None or origin_order_id is not None:
        payload["origin"] = {"reference": origin_reference, "signature": origin_signature,
                             "order_id": origin_order_id}
    if software_version is not None:
        payload["shop"] = {"name": shop_name, "address": shop_address, "siret": shop_siret,
                           "vat_number": shop_vat_number}
        payload["software_version"] = software_version
    return payload


# --- The payload's text, written straight from the tuples -------------------------------------
# Keys in code-point order, as ``canonical_json`` sorts them; every value goes through ``_j``.

_string = json.encoder.encode_basestring  # what the C encoder uses with ensure_ascii=False


class _NotPlain(Exception):
    """A value ``_j`` will not vouch for: let the exact rules decide."""


def _j(value: Any) -> str:
    """A str, int or None as JSON text, exactly as ``json.JSONEncoder(ensure_ascii=False)`` writes it."""
    kind = type(value)
    if kind is int:
        return int.__repr__(value)
    if kind is str:
        return _string(value)
    if value is None:
        return "null"
    raise _NotPlain  # bool, float, subclasses, bytes...: never guessed at


_HEAD = ('{"code":%s,"created_at":%s,"customer":%s,"discount_cents":%s,"kind":%s,"line_count":%s,"lines":[%s],'
         '"number":%s,"operator":{"name":%s,"user_id":%s}%s,"origin_ticket_id":%s,"payments":[%s]%s,"ticket_id":%s,'
         '"till_id":%s,"total_cents":%s,"training":%s,"vat":[%s]}')
_ISSUER = ',"shop":{"address":%s,"name":%s,"siret":%s,"vat_number":%s},"software_version":%s'
_CUSTOMER = '{"id":%s,"name":%s}'
_ORIGIN = ',"origin":{"order_id":%s,"reference":%s,"signature":%s}'
_LINE_TEXT = ('{"discount_cents":%s,"disposition":%s,"label":%s,"line_id":%s,"origin_line_id":%s%s,"position":%s,'
              '"product_id":%s,"quantity":%s,"reason":%s,"serial":%s,"sku":%s,"total_cents":%s,"unit":%s,'
              '"unit_price_cents":%s,"vat_code":%s,"vat_rate_bp":%s}')
_VAT_TEXT = '{"ht_cents":%s,"rate_bp":%s,"ttc_cents":%s,"vat_cents":%s}'
_PAYMENT_TEXT = '{"amount_cents":%s,"means":%s,"position":%s,"reference":%s}'

# The shape nearly every row has, checked at once by exact types: then ints go through ``%d``
# (the same digits as ``int.__repr__``) and only the strings through ``_string``.
_NONE = type(None)
_SALE_LINE = [int, int, int, int, str, str, int, str, int, int, int, str, int, _NONE, _NONE, _NONE, _NONE, _NONE]
_SALE_LINE_TEXT = ('{"discount_cents":%d,"disposition":null,"label":%s,"line_id":%d,"origin_line_id":null,'
                   '"position":%d,"product_id":%d,"quantity":%d,"reason":null,"serial":null,"sku":%s,'
                   '"total_cents":%d,"unit":%s,"unit_price_cents":%d,"vat_code":%s,"vat_rate_bp":%d}')
_INT_VAT = [int] * 5
_INT_VAT_TEXT = '{"ht_cents":%d,"rate_bp":%d,"ttc_cents":%d,"vat_cents":%d}'
_PAYMENT_SHAPES = {
    (int, int, str, int, _NONE): lambda r: '{"amount_cents":%d,"means":%s,"position":%d,"reference":null}' % (
        r[3], _string(r[2]), r[1]),
    (int, int, str, int, str): lambda r: '{"amount_cents":%d,"means":%s,"position":%d,"reference":%s}' % (
        r[3], _string(r[2]), r[1], _string(r[4])),
}


def _line(r: tuple) -> str:
    if list(map(type, r)) == _SALE_LINE:
        s = _string
        return _SALE_LINE_TEXT % (r[9], s(r[5]), r[1], r[2], r[3], r[6], s(r[4]), r[10], s(r[7]), r[8], s(r[11]),
                                  r[12])
    j = _j
    order_line = "" if r[17] is None else ',"origin_order_line_id":' + j(r[17])
    return _LINE_TEXT % (j(r[9]), j(r[15]), j(r[5]), j(r[1]), j(r[13]), order_line, j(r[2]), j(r[3]), j(r[6]),
                         j(r[14]), j(r[16]), j(r[4]), j(r[10]), j(r[7]), j(r[8]), j(r[11]), j(r[12]))


def _vat(r: tuple) -> str:
    if list(map(type, r)) == _INT_VAT:
        return _INT_VAT_TEXT % (r[3], r[1], r[2], r[4])
    return _VAT_TEXT % (_j(r[3]), _j(r[1]), _j(r[2]), _j(r[4]))


def _payment(r: tuple) -> str:
    shape = _PAYMENT_SHAPES.get(tuple([type(value) for value in r]))
    if shape is not None:
        return shape(r)
    return _PAYMENT_TEXT % (_j(r[3]), _j(r[2]), _j(r[1]), _j(r[4]))


def payload_text(rows: TicketRows) -> str | None:
    """The text ``json`` gives ``payload_of(rows)`` with sorted keys, or None if a value is not a
    plain str, int or None.

    That is ``canonical_json(payload_of(rows))`` whenever the strings are NFC. The verifier only
    asks "is it the sealed text?": equal texts mean equal values (JSON text is unambiguous), so
    the rows still say what was signed; any other answer, None included, sends it to the exact
    rules. ``tests/fiscal/test_fiscal_payload_text.py`` holds the two paths equal.
    """
    j = _j
    try:
        ticket, lines, vats, payments = rows
        (ticket_id, till_id, number, code, kind, created_at, user_id, operator_name, customer_id,
         customer_name, origin_id, total, discount, line_count, training, origin_reference, origin_signature,
         origin_order_id, shop_name, shop_address, shop_siret, shop_vat_number, software_version) = ticket
        customer = "null"
        if customer_id is not None or customer_name is not None:
            customer = _CUSTOMER % (j(customer_id), j(customer_name))
        origin = ""
        if origin_reference is not None or origin_signature is not None or origin_order_id is not None:
            origin = _ORIGIN % (j(origin_order_id), j(origin_reference), j(origin_signature))
        issuer = ""
        if software_version is not None:
            issuer = _ISSUER % (j(shop_address), j(shop_name), j(shop_siret), j(shop_vat_number), j(software_version))
        return _HEAD % (
            j(code), j(iso_utc(created_at)), customer, j(discount), j(kind), j(line_count),
            ",".join([_line(r) for r in lines]), j(number), j(operator_name), j(user_id), origin, j(origin_id),
            ",".join([_payment(r) for r in payments]), issuer, j(ticket_id), j(till_id), j(total),
            "true" if training else "false", ",".join([_vat(r) for r in vats]),
        )
    except (_NotPlain, TypeError, ValueError, AttributeError, IndexError):
        return None


def ticket_payloads(ticket_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The payload of each existing ticket of ``ticket_ids`` (missing ids are left out)."""
    return {ticket_id: payload_of(rows) for ticket_id, rows in ticket_rows(ticket_ids).items()}


def ticket_payload(ticket_id: int) -> dict[str, Any]:
    """The payload of one ticket, from its rows as they are now."""
    payload = ticket_payloads([ticket_id]).get(ticket_id)
    if payload is None:
        raise LookupError(f"ticket {ticket_id} does not exist")
    return payload


def _check_chain(chain: str) -> None:
    if chain not in TICKET_CHAINS:
        raise ValueError(f"tickets are sealed in chains {TICKET_CHAINS}, not {chain!r}")


def seal_ticket(sealer: Sealer, ticket: Ticket, chain: str = "T") -> FiscalRecord:
    """Seal a ticket whose rows are all written, in the same transaction as them.

    ``chain`` is T; the training mode may pass X, with ticket numbers reserved from X too.
    Reads the rows back; ``seal_ticket_rows`` is the same for a writer that still has them.
    """
    _check_chain(chain)
    return sealer.append(chain, ticket.kind, ticket_payload(ticket.id), ticket_id=ticket.id)


def seal_ticket_rows(sealer: Sealer, rows: TicketRows, chain: str = "T") -> FiscalRecord:
    """Seal a ticket from the rows its writer has just inserted, in the same transaction.

    The rows must hold the values as the database stores them (after the fields' ``db_value``),
    so that the verifier, reading them back, rebuilds this very payload.
    """
    _check_chain(chain)
    ticket = rows[0]
    return sealer.append(chain, ticket[4], payload_of(rows), ticket_id=ticket[0])
