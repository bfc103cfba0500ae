"""Credit notes of another shop: asked of head office, with an offline policy.

A note issued in this shop lives in this shop's database (``till.credit_notes``). A note from
another shop is only known to head office, which keeps one balance per note company-wide and
spends it under a row lock, so a note is never spent twice while head office can be reached.
When it cannot, the shop's policy decides (``sync.offline_credit_policy``): ``refuse``, or
``accept`` up to ``sync.offline_credit_max_cents``. An accepted offline redemption is written
to ``offline-credit.jsonl`` beside the configuration (fsynced before the sale goes on) and sent
to head office at the next sync, where it is recorded even if the note was spent meanwhile and
raised as an alert, so a person settles an overdraft rather than a till silently allowing it.

Each redemption carries a ``request_id`` (the caller makes it from its till and ticket), so a
retry after a lost answer, or an offline one sent twice, counts once.

Wiring (for the owner of ``till.tenders``): when ``credit_notes.find`` raises
``UnknownCreditNote`` and sync settings exist, call ``remote_balance`` / ``redeem_remote``.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from till.money import format_cents
from till.sync import SyncError, SyncSettings
from till.sync_client import HeadOfficeAnswer, HeadOfficeClient, HeadOfficeUnreachable
from till.sync_protocol import CREDIT_NOTES

__all__ = ["RemoteCreditRefused", "RemoteRedemption", "remote_balance", "redeem_remote", "send_offline",
           "OFFLINE_FILE"]

log = logging.getLogger("till.sync")
OFFLINE_FILE = "offline-credit.jsonl"


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


def remote_balance(client: HeadOfficeClient, code: str) -> dict:
    """The note's state at head office (``HeadOfficeUnreachable`` when it cannot be asked)."""
    try:
        return client.request("GET", f"{CREDIT_NOTES}/{code}")
    except HeadOfficeAnswer as answer:
        raise RemoteCreditRefused("Credit note {code} is refused by head office: {reason}", code=code,
                                  reason=answer.body.get("message", answer.body.get("error", ""))) from None


def redeem_remote(client: HeadOfficeClient, settings: SyncSettings, folder: Path, code: str, amount_cents: int,
                  request_id: str) -> RemoteRedemption:
    """Spend ``amount_cents`` of another shop's note, online, or offline under the policy."""
    try:
        answer = client.request("POST", f"{CREDIT_NOTES}/{code}/redeem",
                                {"amount_cents": amount_cents, "request_id": request_id})
        return RemoteRedemption(code, amount_cents, request_id, False, int(answer["balance_cents"]))
    except HeadOfficeAnswer as answer:
        raise RemoteCreditRefused("Credit note {code} is refused by head office: {reason}", code=code,
                                  reason=answer.body.get("message", answer.body.get("error", ""))) from None
    except HeadOfficeUnreachable:
        if settings.offline_credit_policy != "accept":
            raise RemoteCreditRefused("Credit note {code} cannot be checked with head office and offline "
                                      "redemption is refused", code=code) from None
        if amount_cents > settings.offline_credit_max_cents:
            raise RemoteCreditRefused("Credit note {code}: offline redemption is limited to {limit}", code=code,
                                      limit=format_cents(settings.offline_credit_max_cents)) from None
    _append(folder / OFFLINE_FILE, {"code": code, "amount_cents": amount_cents, "request_id": request_id})
    log.warning("credit note %s redeemed offline for %d cents (request %s): flagged at the next sync", code,
                amount_cents, request_id)
    return RemoteRedemption(code, amount_cents, request_id, True, None)


def _append(path: Path, entry: dict) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, (json.dumps(entry, sort_keys=True) + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def send_offline(client: HeadOfficeClient, folder: Path) -> int:
    """Report the offline redemptions to head office (at sync); returns how many were sent.

    Sent ones leave the file; one head office cannot take yet (unreachable) stays for the next
    run. Head office records them even past the balance and raises an alert.
    """
    path = folder / OFFLINE_FILE
    if not path.exists():
        return 0
    entries = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    left, sent = [], 0
    for entry in entries:
        try:
            client.request("POST", f"{CREDIT_NOTES}/{entry['code']}/redeem", {**entry, "offline": True})
            sent += 1
        except HeadOfficeAnswer as answer:
            log.error("offline redemption %s refused by head office: %s", entry, answer)
            left.append(entry) if answer.status >= 500 else None
        except HeadOfficeUnreachable:
            left.append(entry)
    temporary = path.with_suffix(".tmp")
    temporary.write_text("".join(json.dumps(e, sort_keys=True) + "\n" for e in left), encoding="utf-8")
    os.replace(temporary, path)
    if not left:
        path.unlink()
    return sent

