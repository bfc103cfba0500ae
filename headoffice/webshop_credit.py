"""Credit notes spent on the web shop: check a code, hold an amount, then commit or release it.

A web shop spends a note as a till of another shop does (``headoffice.credit``): the amount is
taken off the note's one balance at once, under the note's row lock, as a ``CreditRedemption``
whose ``till_id`` names the channel (``web:boutique``), so the balance, its rules (never
negative, never an expired note, one wins a race) and its alerts stay one mechanism, and a till
spending what is left sees the right balance. The web shop's checkout may still fail after the
hold (the customer's card is refused, the customer leaves), so a hold is either committed (the
spending is final) or released (given back by a counter-redemption, as ``credit.release``). A
hold left alone is given back when its time is up: every request about a note first releases
that note's expired holds, and ``till-headoffice serve`` sweeps them all periodically
(``start_hold_sweeper``), so an abandoned checkout never keeps a customer's credit.

The web shop chooses the hold id: sent again with the same body it is the same hold (the same
answer, the amount taken once), with another body it is refused. The history a web shop reads is
masked: dates, amounts and the channel (a shop or a web shop), never a till, a request or a
customer, since the code alone is what the customer typed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import uuid
from typing import Any

from starlette.requests import Request

from headoffice.auth import Caller
from headoffice.credit import RELEASE_SUFFIX, CreditError, redeem, release
from headoffice.store import (CreditNote, CreditRedemption, Till, WebShopHold, column_problem, is_postgres, proxy,
                              utcnow)
from headoffice.webshop_auth import WebShopCaller, WebShopError, WebShopRoute

__all__ = ["ROUTES", "DEFAULT_TTL_S", "MAX_TTL_S", "SWEEP_EVERY_S", "channel_of", "check", "hold", "commit",
           "give_back", "sweep_expired_holds", "start_hold_sweeper"]

log = logging.getLogger("headoffice.webshop")

DEFAULT_TTL_S = 900
MAX_TTL_S = 3600
SWEEP_EVERY_S = 30.0
CHANNEL_PREFIX = "web:"
HELD, COMMITTED, RELEASED = "held", "committed", "released"


def channel_of(webshop: str) -> str:
    """The ``till_id`` a web shop's redemptions carry: ``web:NAME`` when it fits the column's 16
    characters, else ``web:`` and 12 hex of the name's hash (names are unique, so is this)."""
    channel = CHANNEL_PREFIX + webshop
    if column_problem(CreditRedemption, "till_id", channel) is None:
        return channel
    return CHANNEL_PREFIX + hashlib.sha256(webshop.encode("utf-8")).hexdigest()[:12]


def _as_till(caller: WebShopCaller) -> Caller:
    return Caller(till_id=channel_of(caller.name), shop_id="", key_id="")


def _refusal(error: CreditError) -> WebShopError:
    return WebShopError(error.code, error.message, error.status)


def _unknown(code: str) -> WebShopError:
    return WebShopError("unknown", f"credit note {code} is unknown to head office: a note issued in a shop is known "
                        "once that shop's till has synced (every few minutes while it is open)", 404)


def _locked_note(code: str) -> CreditNote | None:
    query = CreditNote.select().where(CreditNote.code == code)
    return (query.for_update() if is_postgres() else query).get_or_none()


def _release_expired_of(note: CreditNote, now: dt.datetime) -> int:
    """Give back the holds of ``note`` whose time is up; inside a transaction holding its row lock."""
    given = 0
    for held in WebShopHold.select().where((WebShopHold.code == note.code) & (WebShopHold.state == HELD)
                                           & (WebShopHold.expires_at <= now)):
        _give_back(held, now)
        given += 1
    return given


def _give_back(held: WebShopHold, now: dt.datetime) -> None:
    release(Caller(till_id=channel_of(held.webshop), shop_id="", key_id=""), held.code,
            {"request_id": held.request_id})
    WebShopHold.update(state=RELEASED, settled_at=now).where(WebShopHold.id == held.id).execute()


def _expired_given_back(code: str) -> dt.datetime:
    """Give back the expired holds of note ``code`` in their own transaction (kept even if what
    follows is refused); the time it was done at. An unknown note is refused here."""
    now = utcnow()
    with proxy.obj.atomic():
        note = _locked_note(code)
        if note is None:
            raise _unknown(code)
        _release_expired_of(note, now)
    return now


def sweep_expired_holds(now: dt.datetime | None = None) -> int:
    """Give back every hold whose time is up (each note in its own transaction); how many."""
    now = now or utcnow()
    codes = [code for (code,) in WebShopHold.select(WebShopHold.code).distinct()
             .where((WebShopHold.state == HELD) & (WebShopHold.expires_at <= now)).tuples()]
    given = 0
    for code in codes:
        with proxy.obj.atomic():
            note = _locked_note(code)
            if note is not None:
                given += _release_expired_of(note, now)
    if given:
        log.info("%d expired web-shop holds of credit notes given back", given)
    return given


def start_hold_sweeper(every_s: float = SWEEP_EVERY_S) -> threading.Event:
    """Sweep expired holds every ``every_s`` seconds in a daemon thread; set the event to stop it."""
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(every_s):
            try:
                with proxy.obj.connection_context():
                    sweep_expired_holds()
            except Exception:  # noqa: BLE001 - a failed sweep is retried at the next tick
                log.exception("sweeping expired web-shop holds failed")

    threading.Thread(target=run, name="webshop-hold-sweeper", daemon=True).start()
    return stop


# --- check ----------------------------------------------------------------------------------------


def _channels(code: str) -> dict[str, str]:
    """The channel of each redemption of ``code``, by request id: "web shop NAME" or "shop ID"."""
    rows = list(CreditRedemption.select(CreditRedemption.request_id, CreditRedemption.till_id)
                .where(CreditRedemption.code == code).tuples())
    webs = dict(WebShopHold.select(WebShopHold.request_id, WebShopHold.webshop)
                .where(WebShopHold.code == code).tuples())
    shops = dict(Till.select(Till.till_id, Till.shop_id)
                 .where(Till.till_id.in_([till_id for _request, till_id in rows] or [""])).tuples())
    channels = {}
    for request_id, till_id in rows:
        base = request_id.removesuffix(RELEASE_SUFFIX)
        channels[request_id] = (f"web shop {webs[base]}" if base in webs
                                else f"shop {shops.get(till_id, '?')}")
    return channels


def check(code: str) -> dict[str, Any]:
    """The note's state and its masked history, once its expired holds are given back."""
    now = _expired_given_back(code)
    with proxy.obj.atomic():
        note = CreditNote.get(CreditNote.code == code)
        channels = _channels(code)
        history = [{"date": note.created_at.isoformat(), "kind": "issued", "amount_cents": note.amount_cents,
                    "channel": f"shop {note.shop_id}"}]
        for spent in CreditRedemption.select().where(CreditRedemption.code == code).order_by(CreditRedemption.id):
            history.append({"date": spent.created_at.isoformat(), "kind": "spent" if spent.amount_cents >= 0
                            else "given_back", "amount_cents": abs(spent.amount_cents),
                            "channel": channels[spent.request_id]})
    expired = note.expires_on < now.date()
    return {"code": note.code, "amount_cents": note.amount_cents, "balance_cents": note.balance_cents,
            "expires_on": note.expires_on.isoformat(), "expired": expired,
            "spendable": not expired and note.balance_cents > 0, "history": history}


# --- hold, commit, release ------------------------------------------------------------------------


def _hold_answer(held: WebShopHold) -> dict[str, Any]:
    return {"hold_id": held.hold_id, "code": held.code, "amount_cents": held.amount_cents,
            "balance_cents": held.balance_cents, "expires_at": held.expires_at.isoformat() + "Z",
            "state": held.state}


def _fits(**values: Any) -> None:
    for name, value in values.items():
        problem = column_problem(WebShopHold, name, value)
        if problem is not None:
            raise WebShopError("malformed", problem, 400)


def hold(caller: WebShopCaller, code: str, data: Any) -> dict[str, Any]:
    """Take ``amount_cents`` off note ``code`` for the web shop's checkout, until ``expires_at``."""
    if not isinstance(data, dict):
        raise WebShopError("malformed", "the body is {\"hold_id\", \"amount_cents\", \"ttl_s\"}")
    hold_id, amount, ttl = data.get("hold_id"), data.get("amount_cents"), data.get("ttl_s", DEFAULT_TTL_S)
    if not isinstance(hold_id, str) or not hold_id or type(amount) is not int or amount <= 0:
        raise WebShopError("malformed", "a hold needs a hold_id (your idempotency key) and a positive amount_cents")
    if type(ttl) is not int or not 1 <= ttl <= MAX_TTL_S:
        raise WebShopError("malformed", f"ttl_s is 1 to {MAX_TTL_S} seconds (default {DEFAULT_TTL_S})")
    _fits(hold_id=hold_id, code=code, amount_cents=amount)
    now = _expired_given_back(code)
    with proxy.obj.atomic():
        if _locked_note(code) is None:
            raise _unknown(code)
        earlier = WebShopHold.get_or_none((WebShopHold.webshop == caller.name) & (WebShopHold.hold_id == hold_id))
        if earlier is not None:
            if (earlier.code, earlier.amount_cents, earlier.ttl_s) != (code, amount, ttl):
                raise WebShopError("conflict", f"hold {hold_id} was made with another note, amount or ttl_s; "
                                   "a new hold needs a new hold_id", 409)
            return _hold_answer(earlier)
        request_id = f"web-{uuid.uuid4().hex}"
        try:
            answer = redeem(_as_till(caller), code, {"amount_cents": amount, "request_id": request_id})
        except CreditError as error:
            raise _refusal(error) from None
        held = WebShopHold.create(webshop=caller.name, hold_id=hold_id, code=code, amount_cents=amount, ttl_s=ttl,
                                  balance_cents=answer["balance_cents"], request_id=request_id,
                                  expires_at=now + dt.timedelta(seconds=ttl))
    log.info("web shop %s holds %d cents of a credit note (hold %s)", caller.name, amount, hold_id)
    return _hold_answer(held)


def _settle(caller: WebShopCaller, code: str, hold_id: str, to: str) -> dict[str, Any]:
    now = _expired_given_back(code)
    with proxy.obj.atomic():
        if _locked_note(code) is None:
            raise _unknown(code)
        held = WebShopHold.get_or_none((WebShopHold.webshop == caller.name) & (WebShopHold.hold_id == hold_id)
                                       & (WebShopHold.code == code))
        if held is None:
            raise WebShopError("unknown_hold", f"no hold {hold_id} of this web shop on credit note {code}", 404)
        if held.state == HELD:
            if to == RELEASED:
                _give_back(held, now)
            else:
                WebShopHold.update(state=COMMITTED, settled_at=now).where(WebShopHold.id == held.id).execute()
            held = WebShopHold.get_by_id(held.id)
        elif held.state != to:
            raise (WebShopError("released", f"hold {hold_id} was released (by you or when its time was up): "
                                "hold the amount again", 409) if held.state == RELEASED else
                   WebShopError("committed", f"hold {hold_id} is committed: the spending is final", 409))
        note = CreditNote.get(CreditNote.code == code)
    return {**_hold_answer(held), "balance_cents": note.balance_cents}


def commit(caller: WebShopCaller, code: str, hold_id: str) -> dict[str, Any]:
    """Make the hold's spending final (the web shop's order is paid)."""
    return _settle(caller, code, hold_id, COMMITTED)


def give_back(caller: WebShopCaller, code: str, hold_id: str) -> dict[str, Any]:
    """Give the held amount back to the note (the web shop's checkout was abandoned)."""
    return _settle(caller, code, hold_id, RELEASED)


# --- routes ---------------------------------------------------------------------------------------


def _check_work(_caller: WebShopCaller, _data: Any, request: Request) -> dict[str, Any]:
    return check(request.path_params["code"])


def _hold_work(caller: WebShopCaller, data: Any, request: Request) -> dict[str, Any]:
    return hold(caller, request.path_params["code"], data)


def _commit_work(caller: WebShopCaller, _data: Any, request: Request) -> dict[str, Any]:
    return commit(caller, request.path_params["code"], request.path_params["hold_id"])


def _release_work(caller: WebShopCaller, _data: Any, request: Request) -> dict[str, Any]:
    return give_back(caller, request.path_params["code"], request.path_params["hold_id"])


_CENTS = {"type": "integer", "minimum": 0}
_MOVEMENT = {"type": "object", "required": ["date", "kind", "amount_cents", "channel"],
             "properties": {"date": {"type": "string", "format": "date-time"},
                            "kind": {"enum": ["issued", "spent", "given_back"]}, "amount_cents": _CENTS,
                            "channel": {"type": "string", "description": "\"shop PARIS\" or \"web shop boutique\""}}}
_NOTE = {"type": "object", "required": ["code", "amount_cents", "balance_cents", "expires_on", "expired", "spendable",
                                        "history"],
         "properties": {"code": {"type": "string"}, "amount_cents": _CENTS, "balance_cents": {"type": "integer"},
                        "expires_on": {"type": "string", "format": "date"}, "expired": {"type": "boolean"},
                        "spendable": {"type": "boolean"}, "history": {"type": "array", "items": _MOVEMENT}}}
_HOLD_REQUEST = {"type": "object", "required": ["hold_id", "amount_cents"], "additionalProperties": False,
                 "properties": {"hold_id": {"type": "string", "minLength": 1, "maxLength": 64,
                                            "description": "chosen by the web shop: the same id again is the same "
                                                           "hold"},
                                "amount_cents": {"type": "integer", "minimum": 1},
                                "ttl_s": {"type": "integer", "minimum": 1, "maximum": MAX_TTL_S,
                                          "default": DEFAULT_TTL_S}}}
_HOLD = {"type": "object", "required": ["hold_id", "code", "amount_cents", "balance_cents", "expires_at", "state"],
         "properties": {"hold_id": {"type": "string"}, "code": {"type": "string"}, "amount_cents": _CENTS,
                        "balance_cents": {"type": "integer", "description": "left on the note"},
                        "expires_at": {"type": "string", "format": "date-time"},
                        "state": {"enum": [HELD, COMMITTED, RELEASED]}}}

NOTE_PATH = "/credit-notes/{code}"
ROUTES = [
    WebShopRoute("GET", NOTE_PATH, "credit", _check_work,
                 "Check a credit note: balance, expiry, whether it can be spent, its masked history",
                 response_schema=_NOTE, errors=((404, "unknown: no such note, or its shop has not synced it yet"),)),
    WebShopRoute("POST", NOTE_PATH + "/holds", "credit", _hold_work,
                 "Hold an amount of a credit note during checkout (taken at once, given back if not committed)",
                 request_schema=_HOLD_REQUEST, response_schema=_HOLD, status=201,
                 errors=((404, "unknown: no such note"), (409, "short: less is left (the answer says how much); "
                          "expired; conflict: the hold id was used with another body"))),
    WebShopRoute("POST", NOTE_PATH + "/holds/{hold_id}/commit", "credit", _commit_work,
                 "Commit a hold: the spending is final", response_schema=_HOLD,
                 errors=((404, "unknown_hold"), (409, "released: the hold was released or expired"))),
    WebShopRoute("POST", NOTE_PATH + "/holds/{hold_id}/release", "credit", _release_work,
                 "Release a hold: the amount goes back to the note", response_schema=_HOLD,
                 errors=((404, "unknown_hold"), (409, "committed: the spending is final"))),
]
