"""Credit notes across shops: one balance per note, company-wide, spent at most once online.

A shop registers the notes it issues (at sync); any shop may then ask a note's state and redeem
it. A redemption locks the note's row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's
IMMEDIATE transactions let one writer in) and is refused if the balance is short, so two shops
cannot both spend the last euro. ``request_id`` makes a retried redeem count once; the same id
with another amount, note or till is no retry: refused (409), nothing debited. A redemption
made offline under the shop's policy is reported later with ``offline``: it is recorded even if
the note was spent meanwhile, and an overdraft is raised as an alert for a person to settle.

A note is registered only when the shop's own records, synced and verified at ingest, carry
it: its signed issue (``till.fiscal.credit_ledger``: the chain L ``CREDIT_NOTE_ISSUED`` event,
or for an older note the refund payment of its ticket) with the same amount and expiry. Its
balance is then the lower of what the till says and what the sealed redemptions leave, so a
till cannot claim more than its signed records allow. A note the records do not carry (added
to the shop's database by hand) is refused and raised as an alert (CREDIT_NOTE_UNSEALED); no
till of any shop can then spend it here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import peewee

from headoffice.auth import Caller
from headoffice.ingest import raise_alert
from headoffice.store import CreditNote, CreditRedemption, Record, Till, column_problem, is_postgres, proxy
from till.fiscal.credit_ledger import CREDIT_NOTE_ISSUED, LedgerRules

__all__ = ["CreditError", "register", "state", "redeem", "release", "unproved_notes", "RELEASE_SUFFIX"]

RELEASE_SUFFIX = "/release"
"""A release is stored as a counter-redemption whose request id is the redemption's plus this."""


class CreditError(Exception):
    def __init__(self, code: str, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status

    def answer(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message}


def register(caller: Caller, notes: Any) -> dict[str, Any]:
    """Notes a shop issued, each with what its own ledger says is left (``balance_cents``; the
    full amount when absent): from then on head office's balance is the one that counts."""
    if not isinstance(notes, list):
        raise CreditError("malformed", "notes must be a list", 400)
    added, refused = 0, []
    with proxy.obj.atomic():
        for note in notes:
            try:
                code, amount = str(note["code"]), note["amount_cents"]
                expires = dt.date.fromisoformat(note["expires_on"])
            except (KeyError, TypeError, ValueError):
                raise CreditError("malformed", "a note has code, amount_cents and expires_on", 400) from None
            left = note.get("balance_cents", amount)
            if type(amount) is not int or amount <= 0 or type(left) is not int or not 0 <= left <= amount:
                raise CreditError("malformed", "amount_cents is a positive integer, balance_cents 0 to it", 400)
            _fits(CreditNote, code=code, amount_cents=amount)
            sealed = _sealed_balance(caller.shop_id, code, amount, expires)
            if sealed is None:
                refused.append(code)
                continue
            left = min(left, sealed)
            added += 1 if CreditNote.insert(code=code, shop_id=caller.shop_id, till_id=caller.till_id,
                                            amount_cents=amount, balance_cents=left,
                                            expires_on=expires).on_conflict_ignore().execute() else 0
    for code in refused:  # after the commit, in their own transactions
        raise_alert("CREDIT_NOTE_UNSEALED", f"till {caller.till_id} of shop {caller.shop_id} registered credit note "
                    f"{code}, which none of the shop's signed records issued with that amount and expiry: refused",
                    caller.till_id, note=code)
    return {"registered": added, "refused": refused}


def _sealed_balance(shop_id: str, code: str, amount: int, expires: dt.date) -> int | None:
    """What the shop's signed records leave on note ``code`` if they issued it for ``amount``
    and ``expires`` (an older note, issued before its expiry was sealed, is taken on its
    amount); None if they did not.

    Reads only the records of the shop's tills whose payload names the code (a text filter in the
    database), then applies the till's own ledger rules to them.
    """
    tills = Till.select(Till.till_id).where(Till.shop_id == shop_id)
    rows = (Record.select(Record.till_id, Record.chain, Record.sequence, Record.kind, Record.ticket_id, Record.payload)
            .where(Record.till_id.in_(tills) & Record.payload.contains(code)
                   & (((Record.chain == "L") & (Record.kind == CREDIT_NOTE_ISSUED)) | (Record.chain == "T")))
            .order_by(Record.till_id, Record.chain, Record.sequence).tuples())
    rules = LedgerRules()
    for row in rows:
        rules.add(*row)
    issue = rules.notes().get(code)
    if issue is None or issue.amount_cents != amount or (issue.expires_on is not None
                                                         and issue.expires_on != expires.isoformat()):
        return None
    spent = sum(spend for spent_code, _ticket, spend, _where in rules.spends if spent_code == code)
    return max(0, amount - spent)


def _fits(model, **values: Any) -> None:
    """Refuse (400) a value its column cannot hold, before the database sees it."""
    for name, value in values.items():
        problem = column_problem(model, name, value)
        if problem is not None:
            raise CreditError("malformed", problem, 400)


def _answer(note: CreditNote) -> dict[str, Any]:
    return {"code": note.code, "shop_id": note.shop_id, "amount_cents": note.amount_cents,
            "balance_cents": note.balance_cents, "expires_on": str(note.expires_on)}


def state(code: str) -> dict[str, Any]:
    note = CreditNote.get_or_none(CreditNote.code == code)
    if note is None:
        raise CreditError("unknown", f"credit note {code} is unknown to head office", 404)
    return _answer(note)


def redeem(caller: Caller, code: str, data: dict[str, Any]) -> dict[str, Any]:
    amount, request_id, offline = data.get("amount_cents"), data.get("request_id"), bool(data.get("offline"))
    if type(amount) is not int or amount <= 0 or not isinstance(request_id, str) or not request_id \
            or request_id.endswith(RELEASE_SUFFIX):
        raise CreditError("malformed", "redeem needs a positive amount_cents and a request_id", 400)
    # The request id must leave room for its release's (``RELEASE_SUFFIX``).
    _fits(CreditRedemption, code=code, amount_cents=amount, request_id=request_id + RELEASE_SUFFIX)
    with proxy.obj.atomic():
        query = CreditNote.select().where(CreditNote.code == code)
        note = (query.for_update() if is_postgres() else query).get_or_none()
        earlier = CreditRedemption.get_or_none(CreditRedemption.request_id == request_id)
        if earlier is not None and (earlier.code, earlier.till_id, earlier.amount_cents) != (code, caller.till_id,
                                                                                            amount):
            raise CreditError("conflict", f"request {request_id} was already used for another redemption; "
                              "a new redemption needs a new request_id")
        if note is not None:
            if earlier is not None:
                return {**_answer(note), "redeemed_cents": amount, "replayed": True}
            if not offline:
                if note.expires_on < dt.date.today():
                    raise CreditError("expired", f"credit note {code} expired on {note.expires_on}")
                if note.balance_cents < amount:
                    raise CreditError("short", f"credit note {code} holds {note.balance_cents} cents only")
            overdrawn = note.balance_cents < amount
            try:
                with proxy.obj.atomic():
                    CreditRedemption.create(request_id=request_id, code=code, till_id=caller.till_id,
                                            amount_cents=amount, offline=offline)
            except peewee.IntegrityError:
                raise CreditError("busy", "the same redemption is being recorded; ask again") from None
            note.balance_cents -= amount
            note.save()
    # Alerts are written after the commit (a refusal rolls its transaction back, not its alert).
    if note is None:
        if offline:
            raise_alert("OFFLINE_CREDIT_UNKNOWN", f"till {caller.till_id} accepted credit note {code} offline for "
                        f"{amount} cents; head office does not know it", caller.till_id, request_id=request_id)
        raise CreditError("unknown", f"credit note {code} is unknown to head office", 404)
    if offline:
        raise_alert("CREDIT_OVERDRAWN" if overdrawn else "OFFLINE_CREDIT",
                    f"credit note {code} redeemed offline for {amount} cents by till {caller.till_id}"
                    + (": more than its balance" if overdrawn else ""), caller.till_id,
                    request_id=request_id, balance_cents=note.balance_cents)
    return {**_answer(note), "redeemed_cents": amount, "replayed": False}


def release(caller: Caller, code: str, data: dict[str, Any]) -> dict[str, Any]:
    """Give back what redemption ``request_id`` took: the till abandoned the sale it was for.

    Nothing is deleted: the release is a counter-redemption (negative amount, request id
    ``<request_id>/release``), so it counts once however often the till asks. A redemption head
    office never received (the till's request was lost) has nothing to give back: answered
    ``released_cents: 0``, not an error, so the till can close its hold either way.
    """
    request_id = data.get("request_id")
    if not isinstance(request_id, str) or not request_id or request_id.endswith(RELEASE_SUFFIX):
        raise CreditError("malformed", "release needs the request_id of a redemption", 400)
    _fits(CreditRedemption, code=code, request_id=request_id + RELEASE_SUFFIX)
    with proxy.obj.atomic():
        query = CreditNote.select().where(CreditNote.code == code)
        note = (query.for_update() if is_postgres() else query).get_or_none()
        taken = CreditRedemption.get_or_none((CreditRedemption.request_id == request_id)
                                             & (CreditRedemption.code == code))
        if note is None or taken is None:
            return {"code": code, "released_cents": 0, "replayed": False}
        if taken.till_id != caller.till_id:
            raise CreditError("forbidden", f"redemption {request_id} was made by another till", 403)
        if CreditRedemption.get_or_none(CreditRedemption.request_id == request_id + RELEASE_SUFFIX) is not None:
            return {**_answer(note), "released_cents": taken.amount_cents, "replayed": True}
        CreditRedemption.create(request_id=request_id + RELEASE_SUFFIX, code=code, till_id=caller.till_id,
                                amount_cents=-taken.amount_cents, offline=taken.offline)
        note.balance_cents += taken.amount_cents
        note.save()
    return {**_answer(note), "released_cents": taken.amount_cents, "replayed": False}


def unproved_notes(till_id: str | None = None) -> list[tuple[str, str, int | None, str]]:
    """Registered notes (of ``till_id``, or all) that their shop's records do not issue with
    that amount and expiry, or that hold more than their amount: for ``till-headoffice
    verify``, which then finds a note registered before registration was checked, or written
    into head office's database by hand."""
    query = CreditNote.select().order_by(CreditNote.id)
    if till_id is not None:
        query = query.where(CreditNote.till_id == till_id)
    problems = []
    for note in query:
        if _sealed_balance(note.shop_id, note.code, note.amount_cents, note.expires_on) is None:
            problems.append((note.till_id, "", None, f"credit note {note.code} is issued by none of shop "
                             f"{note.shop_id}'s signed records with amount {note.amount_cents} and expiry "
                             f"{note.expires_on}"))
        elif not 0 <= note.balance_cents <= note.amount_cents:
            problems.append((note.till_id, "", None, f"credit note {note.code} holds {note.balance_cents}, "
                             f"outside 0 to its amount {note.amount_cents}"))
    return problems
