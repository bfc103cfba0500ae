"""Returns across shops: never more back than was sold, whichever shop takes a receipt back.

A till asked to take back a receipt of another shop reads its proof (the QR code,
``till.fiscal.receipt_proof``) and asks head office, which checks the proof itself with the
selling till's keys it holds (enrolled, or admitted by a verified rotation; not revoked): a
proof that does not verify is refused and raised (RECEIPT_FORGED). The receipt is registered
the first time it is asked (``Receipt``); its row is the lock every hold on it is decided under
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's IMMEDIATE transactions let one writer in),
so two shops asking for the last unit at the same moment: one is granted, the other refused.

What is back already, per line of the receipt: every hold not released (any shop, online or
reported offline) and the returns the selling shop made from its own copy of the ticket, as
synced (chain T records whose ``origin`` names the receipt's code with ``origin_ticket_id``
set: a return written from a proof has it null, and went through a hold, already counted).

``request_id`` makes a retried hold count once; the same id for another receipt, other lines
or another till is no retry: refused (409), nothing held. A return a till wrote offline under
its policy is reported with ``offline``: always recorded, even beyond what is left, and an
over-return is raised (OVER_RETURNED) for a person to settle.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from typing import Any

import peewee

from headoffice.auth import Caller
from headoffice.ingest import raise_alert
from headoffice.store import (Head, Receipt, Record, ReturnHold, Till, TillKey, column_problem, is_postgres, proxy,
                              utcnow)
from till.fiscal.receipt_proof import ProofError, SignedProof, check, decode
from till.money import round_half_up

__all__ = ["ReturnError", "state", "hold", "release"]

_PROOF_STATUS = {"unreadable": 400, "unknown_till": 404, "unknown_key": 404, "forged": 400}


class ReturnError(Exception):
    """A refusal: ``code`` is the protocol's, ``extra`` goes into the answer beside it."""

    def __init__(self, code: str, message: str, status: int = 409, **extra: Any) -> None:
        super().__init__(message)
        self.code, self.message, self.status, self.extra = code, message, status, extra

    def answer(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, **self.extra}


def state(caller: Caller, data: dict[str, Any]) -> dict[str, Any]:
    """What the receipt sold and what is back already (or held), per line."""
    receipt = _register(_checked(caller, data.get("proof")))
    sold, returned = _sold(receipt), _returned(receipt)
    return {"code": receipt.code, "till_id": receipt.till_id, "shop_id": receipt.shop_id,
            "lines": [{"position": p, "sold": q, "returned": returned.get(p, 0)} for p, q in sold.items()]}


def hold(caller: Caller, data: dict[str, Any]) -> dict[str, Any]:
    """Hold ``lines`` of the receipt for the caller's return, or refuse all of them (409
    ``over_returned``) when one asks more than is left; an ``offline`` report is held anyway."""
    request_id, offline, return_code = data.get("request_id"), bool(data.get("offline")), data.get("return_code")
    if not isinstance(request_id, str) or not request_id or not (return_code is None or isinstance(return_code, str)):
        raise ReturnError("malformed", "a hold needs a request_id (and a return_code, text or null)", 400)
    _fits(request_id=request_id, return_code=return_code)
    wanted = _wanted(data.get("lines"))
    receipt = _register(_checked(caller, data.get("proof")))
    sold = _sold(receipt)
    missing = [p for p in wanted if p not in sold]
    if missing:
        raise ReturnError("malformed", f"receipt {receipt.code} has no line at position {missing[0]}", 400)
    lines_text = json.dumps([{"position": p, "quantity": q} for p, q in wanted.items()])
    worth = _worth(receipt, wanted)
    _fits(amount_cents=worth)
    with proxy.obj.atomic():
        _lock(receipt.code)
        earlier = ReturnHold.get_or_none(ReturnHold.request_id == request_id)
        if earlier is not None:
            held, over = _replayed(caller, earlier, receipt, lines_text, offline, return_code), False
            returned = _returned(receipt)
            if held and earlier.released:  # an abandoned hold the till wrote after all, offline
                over = any(returned.get(p, 0) > sold[p] for p in wanted)
        else:
            returned = _returned(receipt)
            over = any(q > sold[p] - returned.get(p, 0) for p, q in wanted.items())
            if over and not offline:
                raise ReturnError("over_returned", f"receipt {receipt.code}: a line asks more than is left to return",
                                  409, lines=_lines(sold, returned))
            try:
                with proxy.obj.atomic():
                    ReturnHold.create(request_id=request_id, code=receipt.code, lines=lines_text, amount_cents=worth,
                                      till_id=caller.till_id, shop_id=caller.shop_id, offline=offline,
                                      return_code=return_code)
            except peewee.IntegrityError:
                raise ReturnError("busy", "the same request is being recorded; ask again") from None
            held = True
            for p, q in wanted.items():
                returned[p] = returned.get(p, 0) + q
    # After the commit, in its own transaction: the report is held whatever the alert does.
    if over:
        _raise_over_returned(caller, receipt, request_id, return_code, sold, returned)
    return {"held": held, "request_id": request_id, "lines": _lines(sold, returned)}


def release(caller: Caller, data: dict[str, Any]) -> dict[str, Any]:
    """Give back what hold ``request_id`` held: the till abandoned that return. A hold head
    office never received (the request was lost) is nothing to give back: ``released: false``,
    not an error, so the till can close its own hold either way; so is a return reported as
    written (offline, or with its return code)."""
    request_id = data.get("request_id")
    if not isinstance(request_id, str) or not request_id:
        raise ReturnError("malformed", "a release needs the request_id of a hold", 400)
    _fits(request_id=request_id)
    taken = ReturnHold.get_or_none(ReturnHold.request_id == request_id)
    if taken is None:
        return {"released": False}
    with proxy.obj.atomic():
        _lock(taken.code)
        taken = ReturnHold.get(ReturnHold.request_id == request_id)
        if taken.till_id != caller.till_id:
            raise ReturnError("forbidden", f"hold {request_id} was made by another till", 403)
        if taken.released or taken.offline or taken.return_code is not None:
            return {"released": False}  # a return reported written is never given back
        ReturnHold.update(released=True, released_at=utcnow()).where(ReturnHold.id == taken.id).execute()
    return {"released": True}


# --- the proof and its receipt ----------------------------------------------------------------------


def _keys_of(till_id: str) -> list[tuple[str, str]] | None:
    """The keys head office holds for ``till_id`` (None: no such till enrolled)."""
    if Till.get_or_none(Till.till_id == till_id) is None:
        return None
    return list(TillKey.select(TillKey.key_id, TillKey.public_key_pem)
                .where((TillKey.till_id == till_id) & (TillKey.revoked == False)).tuples())  # noqa: E712


def _checked(caller: Caller, text: Any) -> SignedProof:
    if not isinstance(text, str):
        raise ReturnError("unreadable", "proof must be the text of a receipt's QR code", 400)
    try:
        return check(text, _keys_of)
    except ProofError as error:
        message = error.text("en")
        if error.reason == "forged":
            raise_alert("RECEIPT_FORGED", f"till {caller.till_id} of shop {caller.shop_id} presented a receipt proof "
                        f"that does not verify: {message}", caller.till_id, proof=text[:200])
        raise ReturnError(error.reason, message, _PROOF_STATUS.get(error.reason, 400)) from None


def _content(signed: SignedProof) -> tuple:
    """What a receipt says, whichever key signed this copy of it."""
    proof = signed.proof
    return proof.shop_id, proof.till_id, proof.number, proof.sold_at, proof.lines, proof.payments


def _register(signed: SignedProof) -> Receipt:
    """The receipt's row, made the first time it is asked of; a verified proof of the same code
    that says another thing (a till restored from a backup that numbered again) is refused."""
    proof = signed.proof
    code = proof.code
    if column_problem(Receipt, "code", code) or column_problem(Receipt, "number", proof.number):
        raise ReturnError("malformed", f"receipt {code} has numbers no column holds", 400)
    lines: dict[str, dict[str, int]] = {}
    for line in proof.lines:
        held = lines.setdefault(str(line.position), {"quantity": 0, "total_cents": 0})
        held["quantity"] += line.quantity
        held["total_cents"] += line.total_cents
    shop_id = Till.get(Till.till_id == proof.till_id).shop_id
    Receipt.insert(code=code, till_id=proof.till_id, shop_id=shop_id, number=proof.number, sold_at=proof.sold_at,
                   proof=signed.text, lines=json.dumps(lines, sort_keys=True)).on_conflict_ignore().execute()
    receipt = Receipt.get(Receipt.code == code)
    if receipt.proof != signed.text and _content(decode(receipt.proof)) != _content(signed):
        raise_alert("RECEIPT_CONFLICT", f"two receipts of till {proof.till_id} verify under code {code} with other "
                    "contents: the till numbered tickets again (restored from an older backup?)", proof.till_id,
                    receipt=code)
        raise ReturnError("conflict", f"receipt {code} differs from the one head office registered", 409)
    return receipt


def _sold(receipt: Receipt) -> dict[int, int]:
    return {int(p): line["quantity"] for p, line in sorted(json.loads(receipt.lines).items(), key=lambda i: int(i[0]))}


def _wanted(lines: Any) -> dict[int, int]:
    """``[{"position", "quantity"}]`` as position -> quantity (positions in order, repeats added)."""
    if not isinstance(lines, list) or not lines:
        raise ReturnError("malformed", "lines must be a non-empty list of {position, quantity}", 400)
    wanted: dict[int, int] = defaultdict(int)
    for line in lines:
        position = line.get("position") if isinstance(line, dict) else None
        quantity = line.get("quantity") if isinstance(line, dict) else None
        if type(position) is not int or type(quantity) is not int or position <= 0 or quantity <= 0:
            raise ReturnError("malformed", "each line has a positive integer position and quantity", 400)
        if column_problem(ReturnHold, "amount_cents", quantity):
            raise ReturnError("malformed", f"quantity {quantity} is out of range", 400)
        wanted[position] += quantity
    return dict(sorted(wanted.items()))


def _fits(**values: Any) -> None:
    """Refuse (400) a value its column cannot hold, before the database sees it."""
    for name, value in values.items():
        problem = None if value is None else column_problem(ReturnHold, name, value)
        if problem is not None:
            raise ReturnError("malformed", problem, 400)


def _lock(code: str) -> None:
    """Hold the receipt's row until the transaction ends (SQLite: the transaction is the lock)."""
    query = Receipt.select(Receipt.id).where(Receipt.code == code)
    (query.for_update() if is_postgres() else query).get()


# --- what is back already -----------------------------------------------------------------------------


def _returned(receipt: Receipt) -> dict[int, int]:
    """Per position: the holds not released and the selling shop's own returns, as synced."""
    returned: dict[int, int] = defaultdict(int)
    for (text,) in (ReturnHold.select(ReturnHold.lines)
                    .where((ReturnHold.code == receipt.code) & (ReturnHold.released == False)).tuples()):  # noqa: E712
        for line in json.loads(text):
            returned[line["position"]] += line["quantity"]
    for position, quantity in _local_returns(receipt).items():
        returned[position] += quantity
    return dict(returned)


def _local_returns(receipt: Receipt) -> dict[int, int]:
    """Units the selling shop's tills took back from their own copy of the ticket (a shop's
    tills may share one database): their return records name the code with ``origin_ticket_id``
    set, and each returned line's ``origin_line_id`` is a line of the sale's own record.

    Read from the records after the sale only, never the shop's whole history (this answers a
    cashier): a ticket's number is its sequence in its till's chain T, so the sale is one probe
    and the selling till's returns come after it; another till's chain T is read from where it
    reaches the day before the sale (``_first_since``). Among those, the records that name the
    code (a text filter in the database, like ``credit._sealed_balance``)."""
    found = _sale_of(receipt)
    if found is None:
        return {}  # not synced yet: its returns cannot be told apart either
    sequence, sale = found
    sold_at = receipt.sold_at if isinstance(receipt.sold_at, dt.datetime) else dt.datetime.fromisoformat(
        str(receipt.sold_at))
    since = (sold_at - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    starts = {till_id: (sequence + 1 if till_id == receipt.till_id else _first_since(till_id, since))
              for (till_id,) in Till.select(Till.till_id).where(Till.shop_id == receipt.shop_id).tuples()}
    starts.setdefault(receipt.till_id, sequence + 1)
    positions = {line.get("line_id"): line.get("position") for line in sale.get("lines") or ()}
    counted: dict[int, int] = defaultdict(int)
    for till_id, first in starts.items():
        for (text,) in (Record.select(Record.payload)
                        .where((Record.till_id == till_id) & (Record.chain == "T") & (Record.sequence >= first)
                               & Record.payload.contains(receipt.code)).tuples()):
            payload = _json_or_none(text) or {}
            origin = payload.get("origin")
            if not (isinstance(origin, dict) and origin.get("reference") == receipt.code
                    and payload.get("origin_ticket_id") is not None):
                continue
            for line in payload.get("lines") or ():
                position = positions.get(line.get("origin_line_id"))
                quantity = line.get("quantity")
                if position is not None and type(quantity) is int and quantity < 0:
                    counted[position] -= quantity
    return dict(counted)


def _sale_of(receipt: Receipt) -> tuple[int, dict[str, Any]] | None:
    """(sequence, payload) of the sale's record in its till's chain T: at the ticket's number
    (the sequence it was sealed at), else found by its code (a ticket numbered otherwise)."""
    mine = (Record.till_id == receipt.till_id) & (Record.chain == "T")
    probes = [Record.select(Record.sequence, Record.payload).where(mine & (Record.sequence == receipt.number)),
              Record.select(Record.sequence, Record.payload).where(mine & Record.payload.contains(receipt.code))]
    for query in probes:
        for sequence, text in query.tuples():
            payload = _json_or_none(text)
            if payload is not None and payload.get("code") == receipt.code:
                return sequence, payload
    return None


def _first_since(till_id: str, since: str) -> int:
    """The first sequence of ``till_id``'s chain T sealed at ``since`` or later, by halving
    (each step one probe of the (till, chain, sequence) index). Sealing times follow the
    sequence but for a till clock set back, which the day of margin the caller gives absorbs."""
    low, high = 1, (Head.select(Head.sequence).where((Head.till_id == till_id) & (Head.chain == "T")).scalar() or 0) + 1
    while low < high:
        middle = (low + high) // 2
        sealed = (Record.select(Record.created_at)
                  .where((Record.till_id == till_id) & (Record.chain == "T") & (Record.sequence == middle)).scalar())
        if sealed is None or sealed >= since:
            high = middle
        else:
            low = middle + 1
    return low


def _json_or_none(text: str | None) -> dict[str, Any] | None:
    try:
        value = json.loads(text) if text is not None else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _lines(sold: dict[int, int], returned: dict[int, int]) -> list[dict[str, int]]:
    return [{"position": p, "sold": q, "returned": returned.get(p, 0), "left": max(0, q - returned.get(p, 0))}
            for p, q in sold.items()]


def _worth(receipt: Receipt, wanted: dict[int, int]) -> int:
    """What ``wanted`` is worth: each line's total on the receipt, pro rata of its quantity."""
    lines = json.loads(receipt.lines)
    return sum(round_half_up(lines[str(p)]["total_cents"] * q, lines[str(p)]["quantity"])
               for p, q in wanted.items() if lines[str(p)]["quantity"] > 0)


def _replayed(caller: Caller, earlier: ReturnHold, receipt: Receipt, lines_text: str, offline: bool,
              return_code: str | None) -> bool:
    """Whether the hold asked again (the same hold, counted once) holds. An offline report of a
    hold granted online (the answer was lost, the till fell back on its policy), even one given
    back since, is the same return, written: its code is noted and it counts."""
    if (earlier.code, earlier.till_id, earlier.lines) != (receipt.code, caller.till_id, lines_text) or (
            return_code is not None and earlier.return_code not in (None, return_code)):
        raise ReturnError("request_reused", f"request {earlier.request_id} was already used for another hold; "
                          "a new hold needs a new request_id")
    if offline and (not earlier.offline or earlier.return_code is None or earlier.released):
        ReturnHold.update(offline=True, return_code=return_code or earlier.return_code, released=False,
                          released_at=None).where(ReturnHold.id == earlier.id).execute()
        return True
    return not earlier.released


def _raise_over_returned(caller: Caller, receipt: Receipt, request_id: str, return_code: str | None,
                         sold: dict[int, int], returned: dict[int, int]) -> None:
    over = {p: returned.get(p, 0) - q for p, q in sold.items() if returned.get(p, 0) > q}
    raise_alert("OVER_RETURNED", f"receipt {receipt.code} of shop {receipt.shop_id}: till {caller.till_id} of shop "
                f"{caller.shop_id} took back offline more than was left "
                + ", ".join(f"(line {p}: {n} over)" for p, n in over.items()), caller.till_id,
                receipt=receipt.code, request_id=request_id, return_code=return_code, over=over)
