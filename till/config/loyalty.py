"""``[loyalty]`` of till.toml, as frozen data (apart from ``till.credit.loyalty``, which needs the
store, so that ``till.config.loader`` can hold it cheaply)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LoyaltySettings:
    """The shop's loyalty programme. Off by default: a shop turns it on."""

    enabled: bool = False
    points_per_euro: int = 1
    reward_threshold_points: int = 100
    """Points that make one reward voucher (0: no vouchers, points only)."""
    reward_cents: int = 500
    reward_account: str = "6234"
    """Where the cost of a reward voucher is booked (PCG 6234, gifts to customers)."""

