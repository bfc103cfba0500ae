"""Credit notes spent through head office, with an offline policy.

A note issued in this shop lives in this shop's database (``till.credit.notes``). Once ``till
sync`` has registered it at head office, any shop may spend it there, so head office keeps the
one balance that counts and spends it under a row lock: a note is never spent twice while head
office can be reached. The till therefore asks head office:

- for a note of another shop (unknown here): always; when head office cannot be reached, the
  shop's policy decides (``[sync] offline_credit_policy``): ``refuse``, or ``accept`` up to
  ``offline_credit_max_cents`` and only for the amount the cashier types (read off the voucher);
- for a note of this shop that head office already knows: as well as its own ledger; offline,
  the own ledger alone decides (the shop issued it) and head office learns of it at the sync.

Every request goes through a hold (``till.credit.holds``) committed first and carries a
``request_id``, so a retry after a lost answer counts once, an abandoned sale gives the money
back (``release``), and a till that stopped mid-sale gives it back at restart. An offline
redemption that made it onto a ticket is reported at the next sync (``report``), where head
office records it even if the note was spent meanwhile and raises an alert, so a person settles
an overdraft rather than a till silently allowing it.

The calls here block on the network: the payment screen runs them in a worker thread.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from store.models import CreditNote, Setting
from store.models.credit import HOLD_HELD, HOLD_REFUSED, HOLD_RELEASED, HOLD_TO_RELEASE, RemoteCreditHold
from till.config.sync import SyncSettings
from till.credit import holds as credit_holds
from till.credit import notes as credit_notes
from till.fiscal.events import PAYMENT_CANCELLED, record_event
from till.fiscal.rotation import retired_signers
from till.i18n import N_
from till.means import CREDIT_NOTE
from till.money import format_cents, shown
from till.sync.client import HeadOfficeAnswer, HeadOfficeClient, HeadOfficeUnreachable, SyncError
from till.sync.protocol import CREDIT_NOTES

__all__ = ["RemoteCreditRefused", "RemoteRedemption", "RemoteCreditDesk", "remote_balance", "redeem_remote",
           "release_remote", "report", "REGISTERED_MARK", "COUNTER_TIMEOUT_S"]

log = logging.getLogger("till.sync.push")

COUNTER_TIMEOUT_S = 8.0
"""The longest a customer waits at the counter for head office (a cron sync may wait longer)."""
REGISTERED_MARK = "sync.credit_notes_registered"
"""Setting: the highest ``credit_note.id`` registered at head office (shared by the shop's tills)."""

OFFLINE_REFUSED = N_("Credit note {code} cannot be checked with head office and offline redemption is refused")
OFFLINE_LIMIT = N_("Credit note {code}: offline redemption is limited to {limit}")
OFFLINE_AMOUNT = N_("Head office cannot be reached: type the amount printed on credit note {code} "
                    "(at most {limit}), then take it again")
REFUSED = N_("Credit note {code} is refused by head office: {reason}")
MESSAGES = (OFFLINE_REFUSED, OFFLINE_LIMIT, OFFLINE_AMOUNT, REFUSED, credit_holds.HOLD_LOST)


class RemoteCreditRefused(SyncError):
    """Head office refused the note, or the offline policy did."""


@dataclass(frozen=True)
class RemoteRedemption:
    code: str
    amount_cents: int
    request_id: str
    offline: bool
    balance_cents: int | None
    """The balance left, as head office said (None when offline)."""


def _refusal(code: str, answer: HeadOfficeAnswer, state: dict[str, Any] | None = None) -> Exception:
    """Head office's refusal in the words the till uses for its own notes."""
    error, body = answer.body.get("error"), answer.body
    if error == "unknown":
        return credit_notes.UnknownCreditNote(credit_notes.UNKNOWN_CODE, code=code)
    if error == "expired":
        day = str((state or {}).get("expires_on", ""))
        date = "/".join(reversed(day.split("-"))) if day else "?"
        return credit_notes.CreditNoteExpired(credit_notes.EXPIRED, code=code, date=date)
    if error == "short":
        left = int((state or {}).get("balance_cents", 0))
        if left <= 0:
            return credit_notes.NotEnoughCredit(credit_notes.SPENT, code=code)
        return credit_notes.NotEnoughCredit(credit_notes.NOT_ENOUGH, code=code, balance=shown(left),
                                            amount=shown(int(body.get("amount_cents", 0))))
    return RemoteCreditRefused(REFUSED, code=code, reason=body.get("message", error or ""))


def remote_balance(client: HeadOfficeClient, code: str) -> dict:
    """The note's state at head office (``HeadOfficeUnreachable`` when it cannot be asked)."""
    try:
        return client.request("GET", f"{CREDIT_NOTES}/{code}")
    except HeadOfficeAnswer as answer:
        raise _refusal(code, answer) from None


def redeem_remote(client: HeadOfficeClient, settings: SyncSettings, code: str, amount_cents: int,
                  request_id: str, own_note: bool = False) -> RemoteRedemption:
    """Spend ``amount_cents`` of a note at head office, or offline under the policy.

    ``own_note``: the note is in this shop's ledger, which has checked it; offline, no policy
    limit applies. Only the answer is interpreted here; the hold journal is the caller's.
    """
    try:
        answer = client.request("POST", f"{CREDIT_NOTES}/{code}/redeem",
                                {"amount_cents": amount_cents, "request_id": request_id})
        return RemoteRedemption(code, amount_cents, request_id, False, int(answer["balance_cents"]))
    except HeadOfficeAnswer as answer:
        answer.body.setdefault("amount_cents", amount_cents)
        state = None
        if answer.body.get("error") in ("short", "expired"):
            try:
                state = client.request("GET", f"{CREDIT_NOTES}/{code}")
            except (HeadOfficeAnswer, HeadOfficeUnreachable):
                pass
        raise _refusal(code, answer, state) from None
    except HeadOfficeUnreachable:
        if not own_note:
            check_offline(settings, code, amount_cents)
    log.warning("credit note %s redeemed offline for %d cents (request %s): reported at the next sync", code,
                amount_cents, request_id)
    return RemoteRedemption(code, amount_cents, request_id, True, None)


def check_offline(settings: SyncSettings, code: str, amount_cents: int | None) -> None:
    """Refuse what the offline policy refuses (``amount_cents`` None: the cashier typed none)."""
    if settings.offline_credit_policy != "accept":
        raise RemoteCreditRefused(OFFLINE_REFUSED, code=code)
    limit = format_cents(settings.offline_credit_max_cents)
    if amount_cents is None:
        raise RemoteCreditRefused(OFFLINE_AMOUNT, code=code, limit=limit)
    if amount_cents > settings.offline_credit_max_cents:
        raise RemoteCreditRefused(OFFLINE_LIMIT, code=code, limit=limit)


def release_remote(client: HeadOfficeClient, hold: RemoteCreditHold) -> int:
    """Give back at head office what ``hold`` took; the cents given back (0: it took nothing)."""
    answer = client.request("POST", f"{CREDIT_NOTES}/{hold.code}/release", {"request_id": hold.request_id})
    return int(answer.get("released_cents", 0))


def is_registered(note: CreditNote) -> bool:
    """Whether head office knows ``note`` (registered by a sync of one of the shop's tills)."""
    mark = Setting.get_or_none(Setting.key == REGISTERED_MARK)
    return mark is not None and note.id <= int(mark.value)


class RemoteCreditDesk:
    """The till's counter to head office for credit notes (blocking: call from a worker).

    ``hold`` asks head office to take money off a note for the sale being paid and journals it;
    ``release`` gives it back when the sale is abandoned. Built by ``for_context`` when the
    configuration has a ``[sync]`` section, else the till works with its own notes only.
    """

    def __init__(self, settings: SyncSettings, till_id: str, signer, sealer=None) -> None:
        self.settings, self.till_id, self.signer, self.sealer = settings, till_id, signer, sealer

    @classmethod
    def for_context(cls, ctx) -> "RemoteCreditDesk | None":
        settings = getattr(ctx.config, "sync", None)
        return None if settings is None else cls(settings, ctx.till_id, ctx.sealer.signer, ctx.sealer)

    def client(self) -> HeadOfficeClient:
        return HeadOfficeClient(self.settings.url, self.till_id, self.signer,
                                min(self.settings.timeout_s, COUNTER_TIMEOUT_S), self.settings.ca_file,
                                retired_signers(self.signer))

    def state_of(self, code: str) -> dict[str, Any] | None:
        """The note as head office holds it (shop, amount, balance, expiry), or None when it
        cannot be reached; an unknown note raises ``UnknownCreditNote``."""
        client = self.client()
        try:
            return remote_balance(client, code)
        except HeadOfficeUnreachable:
            return None
        finally:
            client.close()

    def balance_of(self, code: str) -> int | None:
        """What head office says the note holds (None when it cannot be reached)."""
        state = self.state_of(code)
        return None if state is None else int(state["balance_cents"])

    def hold(self, code: str, amount_cents: int, own_note: bool = False) -> RemoteRedemption:
        """Take ``amount_cents`` off the note at head office for the sale being paid.

        Head office's refusal raises with its reason and leaves the hold ``refused``. Offline,
        the policy's refusal leaves it ``to_release``: the request may have reached head office
        before the line dropped, and a release of nothing is harmless. Granted offline, the hold
        is ``held`` and flagged: if head office had in fact taken it, the report at the next sync
        carries the same request id and counts once.
        """
        hold = credit_holds.open_hold(self.till_id, code, amount_cents)
        client = self.client()
        try:
            redemption = redeem_remote(client, self.settings, code, amount_cents, hold.request_id, own_note)
        except Exception as error:
            # Offline refusals may follow a request that did reach head office: release to be sure.
            lost = isinstance(error, RemoteCreditRefused) and error.message in (OFFLINE_REFUSED, OFFLINE_LIMIT)
            credit_holds.mark(hold, HOLD_TO_RELEASE if lost else HOLD_REFUSED, message=str(error)[:500])
            raise
        finally:
            client.close()
        credit_holds.mark(hold, HOLD_HELD, offline=redemption.offline)
        return redemption

    def release(self, request_id: str, user_id: int | None = None) -> bool:
        """The sale was abandoned: give the hold back. True when head office has it back now;
        False when it could not be reached (the next sync, or the next start, tries again).
        Recorded in chain L either way."""

        hold = credit_holds.abandon(request_id)
        if self.sealer is not None:
            record_event(self.sealer, PAYMENT_CANCELLED, "credit note given back before the sale ended",
                         user_id=user_id, details={"means": CREDIT_NOTE, "code": hold.code,
                                                   "amount_cents": hold.amount_cents, "request_id": request_id})
        return self.release_pending([hold]) == 1

    def release_pending(self, holds: list[RemoteCreditHold] | None = None) -> int:
        """Send the releases waiting (all of this till's by default); how many head office took."""
        holds = credit_holds.to_release(self.till_id) if holds is None else holds
        if not holds:
            return 0
        client = self.client()
        try:
            return _send_releases(client, holds)
        finally:
            client.close()


def _send_releases(client: HeadOfficeClient, holds: list[RemoteCreditHold]) -> int:
    done = 0
    for hold in holds:
        try:
            release_remote(client, hold)
        except HeadOfficeUnreachable:
            log.warning("credit note %s: release of %s left for later (head office unreachable)", hold.code,
                        hold.request_id)
            break
        except HeadOfficeAnswer as answer:
            log.error("credit note %s: head office refused the release of %s: %s", hold.code, hold.request_id, answer)
            continue
        credit_holds.mark(hold, HOLD_RELEASED)
        done += 1
    return done


def report(client: HeadOfficeClient, till_id: str) -> tuple[int, int]:
    """At sync: offline redemptions now on tickets are reported, abandoned holds released.

    Returns (reported, released). One head office cannot take now stays for the next run; one it
    refuses (a malformed request: a bug) is logged and kept, never dropped silently.
    """
    reported = 0
    for hold in credit_holds.to_report(till_id):
        try:
            client.request("POST", f"{CREDIT_NOTES}/{hold.code}/redeem",
                           {"amount_cents": hold.amount_cents, "request_id": hold.request_id, "offline": True})
        except HeadOfficeUnreachable:
            break
        except HeadOfficeAnswer as answer:
            if answer.body.get("error") != "unknown":  # unknown: recorded and alerted at head office
                log.error("offline redemption %s refused by head office: %s", hold.request_id, answer)
                continue
        credit_holds.mark_reported(hold)
        reported += 1
    return reported, _send_releases(client, credit_holds.to_release(till_id))
