"""What ``till sync`` pulls once the push is complete: catalogue, online orders, credit notes.

Kept apart from the push (``till.sync.push``): the push is the fiscal part, this is the shop's
convenience. Where it stands is kept in ``sync-state.json`` beside the configuration (the
catalogue version, the last online order row, the last credit note registered), written
atomically after each step, so an interrupted pull resumes and never imports twice (the order
import is idempotent by number anyway).

- the catalogue document is written whole to ``catalogue.json`` and applied to the products by
  ``till.selling.catalogue_import`` (as ``till import catalogue`` does); a document it refuses is kept
  on disk, not applied, and asked for again at the next run;
- online orders for this shop are imported with ``till.returns.online_orders.import_orders``;
- credit notes the shop issued are registered at head office with what is left on them (so
  another shop can take them; from then on the shop's tills spend them through head office
  too), redemptions accepted offline are reported and abandoned holds given back
  (``till.credit.remote.report``);
- returns of other shops' receipts taken offline are reported, abandoned return holds given back
  (``till.returns.remote_returns.report``), and every till's key chain is fetched and kept
  (``till.fiscal.known_tills.store_till_keys``), so the next receipt of another shop is checked
  here even when head office cannot be reached.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import peewee

from store.models import CreditNote, CreditNoteMovement, Setting
from till.credit.remote import REGISTERED_MARK, report
from till.fiscal.chain import current_database
from till.fiscal.credit_ledger import proved_note
from till.fiscal.known_tills import store_till_keys
from till.returns import remote_returns
from till.returns.online_orders import import_orders
from till.selling.catalogue_import import CatalogueImportError, import_catalogue
from till.sync.client import HeadOfficeAnswer, HeadOfficeClient
from till.sync.protocol import CATALOGUE, CREDIT_NOTES, ORDERS, TILL_KEYS

log = logging.getLogger("till.sync.push")

__all__ = ["pull"]


def _state_path(folder: Path) -> Path:
    return folder / "sync-state.json"


def _load_state(folder: Path) -> dict[str, Any]:
    try:
        return json.loads(_state_path(folder).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}


def _save_state(folder: Path, state: dict[str, Any]) -> None:
    path = _state_path(folder)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(state, sort_keys=True, indent=1), encoding="utf-8")
    os.replace(temporary, path)


def pull(client: HeadOfficeClient, till_id: str, folder: Path, result: Any, sealer: Any = None) -> None:
    """Catalogue, online orders, then credit notes (offline redemptions, releases, registration);
    where it stands in sync-state.json."""

    state = _load_state(folder)
    answer = client.request("GET", f"{CATALOGUE}?since={int(state.get('catalogue_version', 0))}")
    if answer.get("catalogue") is not None:
        target = folder / "catalogue.json"
        target.with_suffix(".tmp").write_text(json.dumps(answer["catalogue"], ensure_ascii=False), encoding="utf-8")
        os.replace(target.with_suffix(".tmp"), target)

        try:  # prices and products as head office publishes them (one transaction, or nothing)
            import_catalogue(answer["catalogue"], sealer=sealer, source=f"headoffice version {answer.get('version')}")
        except CatalogueImportError as error:  # kept on disk; the next version may be right
            log.warning("head office's catalogue %s was not applied: %s", answer["version"], error.text("en"))
            result.catalogue_refused = error.text()
        else:
            state["catalogue_version"] = answer["version"]
    result.catalogue_version = state.get("catalogue_version")
    while True:  # pages of 1000 orders
        after = int(state.get("orders_after", 0))
        answer = client.request("GET", f"{ORDERS}?after={after}")
        if not answer.get("orders"):
            break
        imported = import_orders({"orders": answer["orders"]})
        result.orders_imported += len(imported.imported)
        state["orders_after"] = int(answer["last_id"])
        _save_state(folder, state)

    result.offline_credit_sent, released = report(client, till_id)
    if released:
        log.info("%d credit note holds given back at head office", released)
    result.notes_registered = register_notes(client)
    _save_state(folder, state)
    other_shops(client, till_id)


def other_shops(client: HeadOfficeClient, till_id: str) -> None:
    """Offline returns of other shops' receipts reported, abandoned holds given back, then every
    till's key chain kept (this till's own skipped: its journal is the authority). A head office
    that does not answer these paths yet is logged, never a failed sync."""
    reported, released = remote_returns.report(client, till_id)
    if reported or released:
        log.info("returns of other shops' receipts: %d reported, %d holds given back", reported, released)
    try:
        tills = client.request("GET", TILL_KEYS).get("tills") or []
    except HeadOfficeAnswer as answer:
        log.warning("the tills' keys were not fetched: %s", answer)
        return
    refused = store_till_keys(tills, own_till_id=till_id)
    log.info("key chains fetched for %d tills, %d refused", len(tills), len(refused))


def register_notes(client: HeadOfficeClient, page: int = 5000) -> int:
    """Register at head office the shop's notes it does not know yet, each with its balance.

    Any till of the shop may do it (the mark is a setting in the shop's database, shared by its
    tills; head office ignores a note it already has). The mark moves once head office has them:
    from then on the shop's tills spend these notes through head office as well. A note spent
    here during the one request that registers it is the only spending head office can miss.
    Head office registers a note only against the shop's records it holds: one whose records
    have not reached it yet is asked again at the next sync (``_registered_up_to``).
    """
    registered = 0
    while True:
        mark = Setting.get_or_none(Setting.key == REGISTERED_MARK)
        after = int(mark.value) if mark else 0
        notes = list(CreditNote.select().where(CreditNote.id > after).order_by(CreditNote.id).limit(page))
        if not notes:
            return registered
        left = dict(CreditNoteMovement.select(CreditNoteMovement.credit_note,
                                              peewee.fn.SUM(CreditNoteMovement.amount_cents))
                    .where(CreditNoteMovement.credit_note.in_([n.id for n in notes]))
                    .group_by(CreditNoteMovement.credit_note).tuples())
        answer = client.request("POST", CREDIT_NOTES, {"notes": [
            {"code": n.code, "amount_cents": n.amount_cents, "balance_cents": int(left.get(n.id, 0)),
             "expires_on": str(n.expires_on)} for n in notes]})
        registered += int(answer.get("registered", 0))
        last, waiting = _registered_up_to(notes, set(map(str, answer.get("refused") or ())))
        with current_database().atomic():
            Setting.insert(key=REGISTERED_MARK, value=str(last)).on_conflict(
                conflict_target=[Setting.key], update={Setting.value: str(last)}).execute()
        if waiting:
            return registered


def _registered_up_to(notes: list[CreditNote], refused: set[str]) -> tuple[int, bool]:
    """Where the mark may move after head office answered: (last note id, stopped early?).

    Head office refuses a note its copy of the shop's records does not issue. A note this
    database proves (``proved_note``: its signed issue is here) was only not synced yet, by
    another till of the shop or during this very sync: the mark stops before it, so it is sent
    again at the next sync. A note nothing proves was added by hand: head office raised an
    alert, and the mark moves on (it is never registered).
    """
    for note in notes:
        if note.code not in refused:
            continue
        if proved_note(note) is not None:
            log.info("credit note %s waits for its records to reach head office", note.code)
            return note.id - 1, True
        log.warning("head office refused credit note %s: no signed record issued it", note.code)
    return notes[-1].id, False
