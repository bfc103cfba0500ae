"""An online order asked of head office the moment a cashier types its number.

Why: the web shop posts its orders to head office, and the tills take them at the next sync; a
customer who bought online this morning may be at the counter before that. When a typed number
is neither a ticket nor an order this till holds, the return screen asks head office for that
one order (``GET /v1/orders/{number}``: answered only when the caller's shop may take it back),
imports it with ``till.returns.online_orders.import_orders`` (the same checks and the same row
as the sync would write: the later sync then finds it unchanged) and opens it. The call blocks
on the network, within ``COUNTER_TIMEOUT_S``: the screen runs it in a worker. Mirrors
``till.returns.remote_returns``.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from store.models import OnlineOrder
from till.config.sync import SyncSettings
from till.credit.remote import COUNTER_TIMEOUT_S
from till.fiscal.rotation import retired_signers
from till.i18n import N_, translate
from till.returns.lines import ReturnError, find_order
from till.returns.online_orders import import_orders
from till.sync.client import HeadOfficeAnswer, HeadOfficeClient, HeadOfficeUnreachable
from till.sync.order_format import NUMBER_MAX
from till.sync.protocol import ORDERS

__all__ = ["OrderDesk", "OrderNotReached", "looks_like_order_number", "fetch_or_refuse", "NOT_REACHED"]

NOT_REACHED = N_("{refusal} (head office could not be asked: {reason})")
"""A typed number found nowhere, when head office could not be asked either."""
_ORDER_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
"""What an order number asked of head office may hold: characters a URL path carries as they are,
so the path the till signs is the path head office reads."""


class OrderNotReached(ReturnError):
    """A typed number found nowhere here, and head office could not be asked about it: both
    parts said in the language the message is shown in."""

    def __init__(self, refusal: ReturnError, unreachable: HeadOfficeUnreachable) -> None:
        super().__init__(NOT_REACHED, refusal=str(refusal), reason=str(unreachable))
        self.refusal, self.unreachable = refusal, unreachable

    def text(self, lang: str | None = None) -> str:
        return translate(NOT_REACHED, lang, refusal=self.refusal.text(lang), reason=self.unreachable.text(lang))


def looks_like_order_number(text: str) -> bool:
    typed = (text or "").strip()
    return bool(typed) and len(typed) <= NUMBER_MAX and _ORDER_NUMBER.fullmatch(typed) is not None


class OrderDesk:
    """The till's counter to head office for online orders (blocking: call from a worker).
    Built from the ``[sync]`` section (``for_config``); None without it."""

    def __init__(self, settings: SyncSettings, till_id: str, signer) -> None:
        self.settings, self.till_id, self.signer = settings, till_id, signer

    @classmethod
    def for_config(cls, config, sealer) -> "OrderDesk | None":
        settings = getattr(config, "sync", None)
        return None if settings is None else cls(settings, sealer.till_id, sealer.signer)

    def fetch(self, number: str) -> OnlineOrder | None:
        """Order ``number`` from head office, imported here; None when head office has none this
        shop may take back. ``HeadOfficeUnreachable`` when it cannot be asked; ``OrderImportError``
        when this till refuses the order (its catalogue or VAT rates)."""
        typed = number.strip()
        if not looks_like_order_number(typed):
            return None
        client = HeadOfficeClient(self.settings.url, self.till_id, self.signer,
                                  min(self.settings.timeout_s, COUNTER_TIMEOUT_S), self.settings.ca_file,
                                  retired_signers(self.signer))
        try:
            answer = client.request("GET", f"{ORDERS}/{quote(typed, safe='')}")
        except HeadOfficeAnswer as refused:
            if refused.status == 404:
                return None
            raise ReturnError("Head office refused order {number}: {reason}", number=typed,
                              reason=str(refused.body.get("message") or refused.status)) from None
        finally:
            client.close()
        order = answer.get("order")
        if not isinstance(order, dict):
            return None
        import_orders({"orders": [order]})  # its own transaction, after the network call
        return find_order(str(order.get("number", typed)))


def fetch_or_refuse(desk: OrderDesk, number: str, refusal: ReturnError) -> OnlineOrder:
    """Order ``number`` from head office, imported; else ``refusal`` (what the till said of the
    typed number), told that head office could not be asked when that is why."""
    try:
        order = desk.fetch(number)
    except HeadOfficeUnreachable as unreachable:
        raise OrderNotReached(refusal, unreachable) from None
    if order is None:
        raise refusal
    return order
