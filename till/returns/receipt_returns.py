"""A return session's part when it returns a receipt of another shop (``ReceiptReturn``).

Why: such a receipt is capped by head office, which alone sees every shop's returns. So the
session asks head office what came back elsewhere when the receipt opens (shown on the lines),
and at ``complete()`` commits a hold row, has head office hold the units, then writes the return
with the hold settled in the same transaction. When head office cannot be reached, the shop's
policy decides (``returns.offline_other_shop``): refuse, or take it as a credit note up to
``returns.offline_other_shop_max_cents``, the hold row settled ``offline`` in the return's
transaction and reported at the next sync. Never refunded to a card: the card was charged
through the other shop's terminal contract.
"""

from __future__ import annotations

from store.models import OnlineOrder, Ticket
from till.fiscal.receipt_proof import SignedProof
from till.i18n import N_
from till.means import CREDIT_NOTE
from till.money import shown
from till.returns import other_shop, return_holds
from till.returns.lines import ReturnError, ReturnableLine
from till.returns.remote_returns import ReturnDesk

__all__ = ["ReceiptReturn", "receipt_return", "CARD_REFUSED", "OFFLINE_REFUSED", "OFFLINE_LIMIT", "OFFLINE_CREDIT_ONLY"]

OFFLINE_REFUSED = N_("Head office cannot be reached: this shop does not take back another shop's receipt offline")
OFFLINE_LIMIT = N_("Head office cannot be reached: another shop's receipt is taken back offline up to {limit}")
CARD_REFUSED = N_("An exchange on another shop's receipt is paid in cash: its hold at head office is settled with "
                  "the ticket, which a card payment writes later")
OFFLINE_CREDIT_ONLY = N_("Head office cannot be reached: another shop's receipt is refunded offline as a credit "
                         "note only")


def receipt_return(session, order: OnlineOrder) -> "ReceiptReturn | None":
    """The part of ``session`` for ``order`` when it is a receipt kept from its QR code, else None."""
    if not other_shop.is_receipt(order):
        return None
    return ReceiptReturn(session, order, ReturnDesk.for_config(session.config, session.sealer))


class ReceiptReturn:
    """What a ``ReturnSession`` needs of head office for a receipt kept from its QR code."""

    def __init__(self, session, order: OnlineOrder, desk: ReturnDesk | None) -> None:
        self.session, self.order, self.desk = session, order, desk
        self.signed: SignedProof = other_shop.signed_proof_of(order)
        self.elsewhere: dict[int, int] = {}
        self.offline = desk is None
        """Head office could not be reached when last asked (or the till has none)."""
        self.hold: return_holds.ReturnHold | None = None
        self._writing = False

    @property
    def code(self) -> str:
        return self.signed.proof.code

    def ask_head_office(self) -> bool:
        """What came back in other shops, from head office (blocking): True when it answered."""
        state = self.desk.state(self.signed) if self.desk is not None else None
        self.offline = state is None
        self.elsewhere = {} if state is None else other_shop.returned_elsewhere(self.order, state)
        self.session.refresh()
        return not self.offline

    def lines(self, lines: list[ReturnableLine]) -> list[ReturnableLine]:
        return other_shop.with_elsewhere(lines, self.elsewhere)

    @property
    def refund_means(self) -> str:
        """How the receipt is refunded here: a credit note offline, else the shop's choice."""
        return CREDIT_NOTE if self.offline else self.session.policy.other_shop_refund

    @property
    def writing(self) -> bool:
        """``complete()`` is writing under a hold now: the session writes the ticket itself."""
        return self._writing

    def complete(self) -> Ticket:
        """Hold at head office (or take it under the offline policy), then write the return with
        the hold settled in its transaction. Nothing is written on a refusal."""
        session = self.session
        if session._card_operation(session._planned_payments()) is not None:
            raise ReturnError(CARD_REFUSED)
        lines = sorted(({"position": pick.origin.position, "quantity": pick.quantity}
                        for pick in session.picks if pick.origin is not None), key=lambda line: line["position"])
        hold = return_holds.open_hold(session.sealer.till_id, self.order, lines)
        self.hold = hold
        held = self.desk.hold(hold, self.signed) if self.desk is not None else False
        if not held:
            self.offline = True
            try:
                self._check_offline()
            except ReturnError as refusal:  # the request may have reached head office: give it back
                return_holds.mark(hold, return_holds.TO_RELEASE, message=str(refusal.message)[:500])
                raise
        session.on_write = lambda ticket: return_holds.settle(hold, self.code, ticket.id, ticket.created_at,
                                                              offline=not held)
        self._writing = True
        try:
            return session.complete()
        except Exception:
            if held:
                self.give_back("the return could not be written")
            else:
                return_holds.mark(hold, return_holds.TO_RELEASE, message="the return could not be written")
            raise
        finally:
            self._writing, session.on_write = False, None

    def _check_offline(self) -> None:
        policy = self.session.policy
        if policy.offline_other_shop != "credit_note":
            raise ReturnError(OFFLINE_REFUSED)
        if self.session.returned_cents > policy.offline_other_shop_max_cents:
            raise ReturnError(OFFLINE_LIMIT, limit=shown(policy.offline_other_shop_max_cents))
        if any(part.means != CREDIT_NOTE for part in self.session.refund_parts()):
            raise ReturnError(OFFLINE_CREDIT_ONLY)

    def give_back(self, message: str = "return abandoned") -> bool:
        """The return will not be written: the held units go back to head office (True when it
        has them back; else the next start or sync sends it)."""
        if self.hold is None or self.hold.status not in (return_holds.PENDING, return_holds.HELD):
            return False
        hold = return_holds.abandon(self.hold, message)
        self.hold = hold
        return self.desk is not None and self.desk.release_pending([hold]) == 1
