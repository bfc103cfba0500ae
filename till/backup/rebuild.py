"""A till whose backups are gone, rebuilt from the copy of its journal head office keeps.

Head office holds every record the till pushed, checked (``headoffice.ingest``). A technician
sets up a new shop folder for the same till id (its ``till.toml`` with ``[sync]``, the till's key
file put back) and runs ``rebuild_from_headoffice``:

1. the database must hold no record of this till: a rebuild never mixes with a journal;
2. every chain is fetched page by page (``GET /v1/records``) and checked *before* anything is
   stored: each record's hash is the hash of its content, its signature holds with the key its
   till's key chain admits there (rooted in its first record, rotations followed; head office's
   keys are only candidates, and the key file's own public half), it links to the record before
   and no sequence is skipped. One failure refuses the rebuild and stores nothing;
3. the key file must be the key chain's current key, or the rebuilt till could not sign on;
4. in one transaction: the records as signed, each chain's head (so the next record gets the
   next sequence and links to the last signature), and the shop's rows rebuilt from the
   payloads (``till.backup.rebuild_rows``);
5. after the commit: the tail anchors at the rebuilt heads, signed; head office is asked what is
   left on each credit note rebuilt (it holds one balance per note across shops).

What cannot be rebuilt is listed in the report (``RebuildReport.not_rebuilt``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from store.models import ChainHead, CreditNote, FiscalRecord, Setting, SigningKey
from till.backup.rebuild_rows import NOT_IN_RECORDS, rebuild_rows
from till.errors import TillError
from till.fiscal.chain import current_database, flush_anchors
from till.fiscal.events import EVENT_CHAIN
from till.fiscal.key_chain import KEY_ROTATED, KeyChain, SealedRecord, build_key_chain
from till.fiscal.keys import verify_digest
from till.i18n import N_, Phrase
from till.sync.client import HeadOfficeAnswer, HeadOfficeClient
from till.sync.protocol import CREDIT_NOTES, HEADS, RECORDS

__all__ = ["RebuildRefused", "RebuildReport", "rebuild_from_headoffice", "fetch_records", "check_records"]

_CHAIN_ORDER = "LTGCAXP"
"""Chain L first: it holds the key chain every other chain is checked with."""

_FIELDS = SealedRecord._fields


class RebuildRefused(TillError):
    """The rebuild cannot go on: nothing was stored."""


@dataclass
class RebuildReport:
    records: dict[str, int] = field(default_factory=dict)
    """Records rebuilt per chain (its last sequence: chains start at 1 and have no gap)."""
    rows: dict[str, int] = field(default_factory=dict)
    not_rebuilt: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    root_fingerprint: str | None = None
    note_balances: dict[str, int | None] = field(default_factory=dict)
    """Credit note code -> its balance at head office, in cents (None: head office does not know it)."""


def _order(chain: str) -> tuple[int, str]:
    index = _CHAIN_ORDER.find(chain)
    return (index if index >= 0 else len(_CHAIN_ORDER), chain)


def fetch_records(client: HeadOfficeClient, page_size: int = 1000) -> tuple[dict[str, list[SealedRecord]],
                                                                              dict[str, str]]:
    """Every record head office holds for the client's till, per chain in sequence order, and the
    public keys it holds for it; each chain must end at the head head office announces. An unknown
    till or key is a ``RebuildRefused``."""
    try:
        heads = client.request("GET", HEADS).get("chains", {})
        chains: dict[str, list[SealedRecord]] = {}
        keys: dict[str, str] = {}
        for chain in sorted(heads, key=_order):
            got, after = chains.setdefault(chain, []), 0
            while True:
                page = client.request("GET", f"{RECORDS}?chain={chain}&after={after}&limit={page_size}")
                keys.update(page.get("keys") or {})
                got.extend(_sealed(record) for record in page.get("records") or [])
                if not page.get("more") or not got:
                    break
                after = got[-1].sequence
            _check_complete(chain, got, heads[chain])
            if not got:
                del chains[chain]
    except HeadOfficeAnswer as error:
        if error.status == 401:
            raise RebuildRefused(N_("Head office does not know till {till_id} with key {key_id}: enroll it, or put "
                                    "the till's own key file back"), till_id=client.till_id,
                                 key_id=client.signer.key_id) from None
        raise RebuildRefused(N_("Head office refused: {reason}"), reason=str(error)) from None
    return chains, keys


def _check_complete(chain: str, got: list[SealedRecord], head: Any) -> None:
    """The records end at the head head office announced: none was left out at the tail."""
    sequence = head.get("sequence") if isinstance(head, dict) else None
    last = got[-1] if got else None
    if (last.sequence if last else 0) != sequence or (last is not None and last.signature != head.get("signature")):
        raise RebuildRefused(N_("Head office says chain {chain} ends at record {head}, but its records end at {last}: "
                                "nothing was stored"), chain=chain, head=sequence, last=last.sequence if last else 0)


def _sealed(record: dict[str, Any]) -> SealedRecord:
    try:
        return SealedRecord(*(record[name] for name in _FIELDS))
    except (KeyError, TypeError):
        raise RebuildRefused(N_("Head office sent a record that is not one: {record}"),
                             record=str(record)[:120]) from None


def check_records(till_id: str, chains: dict[str, list[SealedRecord]], pems: dict[str, str]) -> KeyChain:
    """The till's key chain, once every record of ``chains`` is proved; else ``RebuildRefused``
    naming the first record that is not."""
    events = chains.get(EVENT_CHAIN, [])
    firsts = [records[0] for records in chains.values() if records]
    if not firsts:
        raise RebuildRefused(N_("Head office holds no record of till {till_id}: there is nothing to rebuild"),
                             till_id=till_id)
    root = events[0] if events else min(firsts, key=lambda r: str(r.created_at))
    rotations = [r for r in events if r.kind == KEY_ROTATED and r is not root]
    key_chain = build_key_chain(till_id, [root, *rotations], pems)
    if key_chain.problems:
        problem = key_chain.problems[0]
        said = Phrase(problem.message, tuple(problem.params.items())) if problem.message else problem.what
        raise RebuildRefused(N_("The key chain of till {till_id} does not hold (chain {chain}, record {sequence}): "
                                "{problem}"), till_id=till_id, chain=problem.chain, sequence=problem.sequence,
                             problem=said)
    admitted = key_chain.pems()
    for chain, records in sorted(chains.items(), key=lambda item: _order(item[0])):
        order, previous = key_chain.order(chain), ""
        for expected, record in enumerate(records, start=1):
            why = None
            if record.till_id != till_id or record.chain != chain:
                why = N_("it belongs to another till or chain")
            elif record.sequence != expected:
                why = N_("a sequence is missing before it")
            elif record.previous_signature != previous:
                why = N_("it does not link to the record before it")
            else:
                digest = record.digest()
                pem = admitted.get(record.key_id)
                if digest is None:
                    why = N_("its hash is not the hash of its content")
                elif pem is None or not verify_digest(pem, digest, record.signature):
                    why = N_("its signature does not hold with the key its till's key chain admits")
                elif order.check(record.sequence, record.key_id) is not None:
                    why = N_("it is signed by a key the key chain does not admit there")
            if why is not None:
                raise RebuildRefused(N_("Record {sequence} of chain {chain} from head office is refused: {why}; "
                                        "nothing was stored"), sequence=record.sequence, chain=chain, why=Phrase(why))
            previous = record.signature
    return key_chain


def rebuild_from_headoffice(ctx: Any, client: HeadOfficeClient, page_size: int = 1000) -> RebuildReport:
    """Rebuild the till of ``ctx`` (a ``TillContext`` on a database without its records) from
    head office through ``client``; see the module docstring."""
    till_id, signer = ctx.till_id, ctx.sealer.signer
    _refuse_if_journal(till_id)
    chains, held_keys = fetch_records(client, page_size)
    pems = {**held_keys, signer.key_id: signer.public_pem}
    key_chain = check_records(till_id, chains, pems)
    current = key_chain.current
    if current is None or current.key_id != signer.key_id:
        raise RebuildRefused(N_("The key file is key {found}, but the journal of till {till_id} goes on with key "
                                "{expected}: put that key file back"), found=signer.key_id, till_id=till_id,
                             expected=current.key_id if current else "?")
    report = RebuildReport(root_fingerprint=key_chain.fingerprint)
    database = current_database()
    with database.atomic():
        _refuse_if_journal(till_id)  # again, inside the transaction that writes
        for chain, records in sorted(chains.items(), key=lambda item: _order(item[0])):
            _insert(records)
            ChainHead.insert(till_id=till_id, chain=chain, sequence=records[-1].sequence,
                             signature=records[-1].signature).execute()
            report.records[chain] = len(records)
        for key in key_chain.keys:
            if key.public_pem:
                SigningKey.insert(key_id=key.key_id, till_id=till_id,
                                  public_key_pem=key.public_pem).on_conflict_ignore().execute()
        rows = rebuild_rows(till_id, ctx.config.accounts, ctx.sealer.zone, ctx.config.loyalty)
    report.rows = rows.counts
    report.not_rebuilt = [*rows.not_rebuilt, *((message, {}) for message in NOT_IN_RECORDS)]
    _anchor(ctx, chains)
    _note_balances(client, report, rows.notes)
    return report


def _refuse_if_journal(till_id: str) -> None:
    if FiscalRecord.select().where(FiscalRecord.till_id == till_id).exists():
        raise RebuildRefused(N_("This database already holds records of till {till_id}: rebuild only into a new "
                                "shop folder"), till_id=till_id)


def _insert(records: list[SealedRecord]) -> None:
    rows = [{**record._asdict(), "created_at": _stamp(record.created_at)} for record in records]
    for start in range(0, len(rows), 500):
        FiscalRecord.insert_many(rows[start:start + 500]).execute()


def _stamp(value: dt.datetime | str) -> dt.datetime:
    """A signed ISO-8601 UTC text as the naive UTC the column stores (``iso_utc`` gives it back)."""
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(value.replace("Z", ""))


def _anchor(ctx: Any, chains: dict[str, list[SealedRecord]]) -> None:
    """Each chain's tail anchor at its rebuilt head, signed by the till's key."""
    store = ctx.sealer.anchors
    if store is None:
        return
    flush_anchors(30.0)
    with store.locked():
        for chain, records in chains.items():
            last = records[-1]
            store.write(ctx.till_id, chain, last.sequence, last.signature, last.hash, signer=ctx.sealer.signer)


def _note_balances(client: HeadOfficeClient, report: RebuildReport, codes: list[str]) -> None:
    """What head office says is left on each rebuilt note; notes it knows are marked registered
    (``till.credit.remote.REGISTERED_MARK``), so the till spends them through head office."""
    from till.credit.remote import REGISTERED_MARK  # deferred: the credit desk only for a rebuild with notes

    if not codes:
        return
    known = []
    for code in codes:
        try:
            state = client.request("GET", f"{CREDIT_NOTES}/{code}")
        except HeadOfficeAnswer:
            report.note_balances[code] = None
            continue
        report.note_balances[code] = state.get("balance_cents")
        known.append(code)
    mark = 0  # the highest note id below which head office knows every note
    for note_id, code in CreditNote.select(CreditNote.id, CreditNote.code).order_by(CreditNote.id).tuples():
        if code not in known:
            break
        mark = note_id
    if mark:
        with current_database().atomic():
            Setting.insert(key=REGISTERED_MARK, value=str(mark)).on_conflict(
                conflict_target=[Setting.key], update={Setting.value: str(mark)}).execute()
