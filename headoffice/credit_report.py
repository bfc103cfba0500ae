"""Credit notes by issuing shop: what each shop issued, and where it went.

A note is a debt of the shop that issued it, wherever it is spent, so its spending online counts
in that shop's figures as its spending in any shop does. Per issuing shop, in integer cents:
``issued`` (the notes' amounts), ``spent_in_shops`` (what tills took, here or in another shop,
including what the issuing till took before the note was registered), ``spent_online`` (web-shop
holds committed), ``held_online`` (holds of a checkout still open), ``outstanding`` (what is left
on notes still valid) and ``expired`` (what is left on expired notes). They add up:
issued = spent_in_shops + spent_online + held_online + outstanding + expired (an offline
overdraft, raised as an alert, shows as a negative balance in the last two).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from headoffice.store import CreditNote, WebShopHold

__all__ = ["credit_notes_by_shop", "FIGURES"]

FIGURES = ("issued", "spent_in_shops", "spent_online", "held_online", "outstanding", "expired")


def credit_notes_by_shop(today: dt.date | None = None) -> list[dict[str, Any]]:
    """One row per issuing shop: ``shop_id``, ``notes`` and each of ``FIGURES`` as ``<name>_cents``."""
    today = today or dt.date.today()
    online: dict[str, dict[str, int]] = {}
    """Per note, the web shops' holds by state (a released hold gave its amount back)."""
    for code, state, amount in WebShopHold.select(WebShopHold.code, WebShopHold.state,
                                                  WebShopHold.amount_cents).tuples().iterator():
        by_state = online.setdefault(code, {})
        by_state[state] = by_state.get(state, 0) + amount
    shops: dict[str, dict[str, Any]] = {}
    for code, shop_id, amount, balance, expires_on in (
            CreditNote.select(CreditNote.code, CreditNote.shop_id, CreditNote.amount_cents, CreditNote.balance_cents,
                              CreditNote.expires_on).tuples().iterator()):
        row = shops.setdefault(shop_id, {"shop_id": shop_id, "notes": 0,
                                         **{f"{name}_cents": 0 for name in FIGURES}})
        spent_online = online.get(code, {}).get("committed", 0)
        held_online = online.get(code, {}).get("held", 0)
        row["notes"] += 1
        row["issued_cents"] += amount
        row["spent_online_cents"] += spent_online
        row["held_online_cents"] += held_online
        row["spent_in_shops_cents"] += amount - balance - spent_online - held_online
        row["expired_cents" if expires_on < today else "outstanding_cents"] += balance
    return sorted(shops.values(), key=lambda r: r["shop_id"])

