"""``[sync]`` of till.toml, as frozen data.

Kept apart from ``till.sync.push`` (which needs the store and the HTTP client) so that ``till.config.loader``
can hold it without slowing every command's start; ``till.sync.push`` re-exports it. ``till.config.loader``
reads and checks the section: ``Config.sync`` is None when the till has no head office.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SyncSettings:
    """How this till reaches head office (``till sync``, and credit notes of other shops)."""

    url: str
    """Head office, ``http(s)://host[:port][/prefix]``; https off the shop's network."""
    batch_size: int = 5000
    """Records per request (1 to 20000). Each request has a fixed cost at head office (a round
    trip, a transaction, its last chunk of signatures checked on one core while the others wait):
    5000 pays it a third as often as 2000 did, for about 20 MB more held per request."""
    timeout_s: float = 30.0
    """The longest one request may take."""
    ca_file: str | None = None
    """A private CA's PEM file to trust instead of the system's; made absolute by ``till.config.loader``
    against the folder of till.toml, since cron does not run in the shop's folder."""
    attempts: int = 5
    """How many times a run goes back to the heads after a cut connection before giving up."""
    pause_s: float = 1.0
    """The first pause before going back (it grows with each attempt)."""
    pull: bool = True
    """After a full push, bring back the catalogue, online orders and credit notes."""
    offline_credit_policy: str = "refuse"
    """What a till does with another shop's credit note when head office cannot be reached:
    ``refuse``, or ``accept`` up to ``offline_credit_max_cents`` (flagged at the next sync)."""
    offline_credit_max_cents: int = 0
