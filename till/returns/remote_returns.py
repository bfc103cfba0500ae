"""Returns of another shop's receipt asked of head office: what came back already, a hold, its release.

Why: only head office sees every shop's returns, so it holds the cap of a receipt sold elsewhere
(``POST /v1/returns/state``, ``/hold``, ``/release``). Each hold goes through a ``return_hold``
row committed first (``till.returns.return_holds``) and carries its ``request_id``, so a retry
after a lost answer counts once and a stop gives the units back. Mirrors
``till.credit.remote``. The calls block on the network: the return screen runs them in a worker.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from store.models import ReturnHold, Ticket
from till.config.sync import SyncSettings
from till.credit.remote import COUNTER_TIMEOUT_S
from till.fiscal import receipt_proof
from till.fiscal.rotation import retired_signers
from till.i18n import N_
from till.returns import return_holds
from till.returns.lines import ReturnError
from till.sync.client import HeadOfficeAnswer, HeadOfficeClient, HeadOfficeUnreachable
from till.sync.protocol import RETURNS

__all__ = ["ReturnDesk", "release_in_background", "OverReturned", "HeadOfficeRefused", "report", "OVER_RETURNED",
           "REFUSED"]

log = logging.getLogger("till.sync.push")

OVER_RETURNED = N_("Head office: only {left} of line {position} of receipt {code} can still come back "
                   "(returned in other shops meanwhile)")
REFUSED = N_("Head office refused the return of receipt {code}: {reason}")
_PROOF_ERRORS = {"unreadable": receipt_proof.UNREADABLE, "unknown_till": receipt_proof.UNKNOWN_TILL,
                 "unknown_key": receipt_proof.UNKNOWN_KEY, "forged": receipt_proof.FORGED}


class OverReturned(ReturnError):
    """Head office holds less than asked on a line: nothing was held."""


class HeadOfficeRefused(ReturnError):
    """Head office refused the request for another reason (its message says which)."""


def _refusal(answer: HeadOfficeAnswer, signed: receipt_proof.SignedProof, asked: dict[int, int]) -> Exception:
    """Head office's refusal in the till's own words."""
    error, proof = answer.body.get("error"), signed.proof
    if error in _PROOF_ERRORS:
        return receipt_proof.ProofError(_PROOF_ERRORS[error], error, code=proof.code, till=proof.till_id)
    if error == "over_returned":
        for line in answer.body.get("lines") or ():
            position = int(line.get("position", 0))
            left = int(line.get("left", int(line.get("sold", 0)) - int(line.get("returned", 0))))
            if asked.get(position, 0) > left:
                return OverReturned(OVER_RETURNED, left=max(0, left), position=position, code=proof.code)
    return HeadOfficeRefused(REFUSED, code=proof.code, reason=str(answer.body.get("message") or error or answer.status))


class ReturnDesk:
    """The till's counter to head office for receipts of other shops (blocking: call from a worker).
    Built from the ``[sync]`` section (``for_config``); None without it: the till is then offline."""

    def __init__(self, settings: SyncSettings, till_id: str, signer) -> None:
        self.settings, self.till_id, self.signer = settings, till_id, signer

    @classmethod
    def for_config(cls, config, sealer) -> "ReturnDesk | None":
        settings = getattr(config, "sync", None)
        return None if settings is None else cls(settings, sealer.till_id, sealer.signer)

    def client(self) -> HeadOfficeClient:
        return HeadOfficeClient(self.settings.url, self.till_id, self.signer,
                                min(self.settings.timeout_s, COUNTER_TIMEOUT_S), self.settings.ca_file,
                                retired_signers(self.signer))

    def state(self, signed: receipt_proof.SignedProof) -> dict[str, Any] | None:
        """What head office counts of the receipt (``lines``: position, sold, returned), or None
        when it cannot be reached."""
        client = self.client()
        try:
            return client.request("POST", f"{RETURNS}/state", {"proof": signed.text})
        except HeadOfficeUnreachable:
            return None
        except HeadOfficeAnswer as answer:
            raise _refusal(answer, signed, {}) from None
        finally:
            client.close()

    def hold(self, hold: ReturnHold, signed: receipt_proof.SignedProof) -> bool:
        """Ask head office to hold ``hold``'s lines: True once held (the row ``held``); False when
        head office cannot be reached (the row stays ``pending``: the offline policy decides). A
        refusal leaves the row ``refused`` and raises (``OverReturned`` names the line)."""
        lines = return_holds.lines_of(hold)
        client = self.client()
        try:
            client.request("POST", f"{RETURNS}/hold", {"proof": signed.text, "request_id": hold.request_id,
                                                       "lines": lines, "offline": False, "return_code": None})
        except HeadOfficeUnreachable:
            return False
        except HeadOfficeAnswer as answer:
            error = _refusal(answer, signed, {int(line["position"]): int(line["quantity"]) for line in lines})
            return_holds.mark(hold, return_holds.REFUSED, message=str(error)[:500])
            raise error from None
        finally:
            client.close()
        return_holds.mark(hold, return_holds.HELD)
        return True

    def release_pending(self, holds: list[ReturnHold] | None = None) -> int:
        """Send the releases waiting (all of this till's by default); how many head office took."""
        holds = return_holds.to_release(self.till_id) if holds is None else holds
        if not holds:
            return 0
        client = self.client()
        try:
            return _send_releases(client, holds)
        finally:
            client.close()


def release_in_background(config, sealer) -> "threading.Thread | None":
    """The holds waiting to go back (``to_release``: a stop reconciled at start), sent to head
    office by a background thread (else by the next sync)."""
    desk = ReturnDesk.for_config(config, sealer)
    if desk is None or not return_holds.to_release(sealer.till_id):
        return None

    def send() -> None:
        try:
            desk.release_pending()
        except Exception:  # noqa: BLE001 - the next sync sends them; never on the cashier's screen
            log.exception("return hold releases left for the next sync")

    thread = threading.Thread(target=send, name="return hold releases", daemon=True)
    thread.start()
    return thread


def _send_releases(client: HeadOfficeClient, holds: list[ReturnHold]) -> int:
    done = 0
    for hold in holds:
        try:
            client.request("POST", f"{RETURNS}/release", {"request_id": hold.request_id})
        except HeadOfficeUnreachable:
            log.warning("return hold %s: release left for later (head office unreachable)", hold.request_id)
            break
        except HeadOfficeAnswer as answer:
            log.error("return hold %s: head office refused its release: %s", hold.request_id, answer)
            continue
        return_holds.mark(hold, return_holds.RELEASED)
        done += 1
    return done


def report(client: HeadOfficeClient, till_id: str) -> tuple[int, int]:
    """At sync: offline returns now on tickets are reported (head office counts them even over the
    cap, and raises an alert), abandoned holds released. Returns (reported, released); one head
    office cannot take now stays for the next run; one it refuses is logged and kept."""
    reported = 0
    for hold in return_holds.to_report(till_id):
        ticket = Ticket.get_or_none(Ticket.id == hold.ticket_id)
        try:
            client.request("POST", f"{RETURNS}/hold", {
                "proof": hold.order.proof, "request_id": hold.request_id, "lines": return_holds.lines_of(hold),
                "offline": True, "return_code": ticket.code if ticket is not None else None})
        except HeadOfficeUnreachable:
            break
        except HeadOfficeAnswer as answer:
            log.error("offline return %s refused by head office: %s", hold.request_id, answer)
            continue
        return_holds.mark_reported(hold)
        reported += 1
    return reported, _send_releases(client, return_holds.to_release(till_id))
