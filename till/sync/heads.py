"""Chain heads to and from head office (``till.fiscal.heads`` says what they are).

``send`` is the outbox handler of ``SEND_CHAIN_HEADS``: the signed statement a closure queued
goes to ``POST /v1/chain-heads``; any failure (head office down, a refusal) raises, so the
outbox retries it with its growing delay, never on the cashier's path and never inside a
transaction. ``last_statement`` fetches the last statement head office holds for this till,
for ``till journal verify --headoffice``.
"""

from __future__ import annotations

from typing import Any

from till.config.sync import SyncSettings
from till.fiscal.keys import Signer
from till.sync.client import HeadOfficeClient

__all__ = ["send", "last_statement"]


def _client(settings: SyncSettings, till_id: str, signer: Signer) -> HeadOfficeClient:
    return HeadOfficeClient(settings.url, till_id, signer, settings.timeout_s, settings.ca_file)


def send(settings: SyncSettings, till_id: str, signer: Signer, signed: dict[str, Any]) -> dict[str, Any]:
    """Give head office one signed statement; its answer (``HeadOfficeAnswer`` or
    ``HeadOfficeUnreachable`` otherwise, for the outbox to retry)."""
    client = _client(settings, till_id, signer)
    try:
        return client.request("POST", "/v1/chain-heads", signed)
    finally:
        client.close()


def last_statement(settings: SyncSettings, till_id: str, signer: Signer) -> dict[str, Any] | None:
    """The last signed statement head office holds for this till, or None when it holds none."""
    client = _client(settings, till_id, signer)
    try:
        return client.request("GET", "/v1/chain-heads").get("signed")
    finally:
        client.close()
