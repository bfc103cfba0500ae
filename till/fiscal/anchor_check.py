"""Checking the tail anchors against the journal: at start, at each closure, at each export.

The anchors (``till.fiscal.anchor``) are worth something only if they are looked at where a cut
would matter (fiscal-fr.md R-SEC-05): the till's program checks them before its first sale
(``require_anchors(sealer, START)``), before sealing a closure (``CLOSURE``) and before writing
an archive (``EXPORT``); ``till journal verify`` checks them with everything else.

A chain's anchor passes when it is signed by a key its till's key chain admits (``admitted_keys``) and:

- it names the chain's last record (confirmed, or an intent whose commit's confirmation a stop
  interrupted: the next start confirms it), or
- it is an intent ahead of the chain whose base is the chain's last record: a transaction that
  did not commit (a stop during the commit, or a rollback). A warning; the next start seals an
  ANCHOR_INTENT_UNCOMMITTED event naming the announced record (sequence, signature, hash), so
  even this one case is written down where an auditor reads it.

Anything else is a failure: no anchor for a chain that has records, an unsigned, forged or
altered anchor, a confirmed anchor ahead of the chain or an intent more than one transaction
ahead (records cut), an anchor behind the chain (records added with no anchor written ahead),
a record at the anchored sequence that differs. A failure is sealed (ANCHOR_CHECK_FAILED in
chain L, with the anchors as found, since the event's own anchor may replace a bad one of
chain L) and stops the till from selling, closing and exporting until a manager or technician
acknowledges it (``acknowledge``: ANCHOR_ACKNOWLEDGED, with their note, then every chain is
anchored again at its committed tail). Until then, the failure event itself keeps the till
stopped: a later check that finds the anchors fine still finds the failure unacknowledged.

The limit, said plainly: a stop exactly between the commit of a record and its confirmation,
followed by the deletion of exactly that record before the next start, looks like a commit
that never happened. It is not silent: the start seals the announced record's signature and
hash, which a printed receipt (its signature extract) or head office's copy contradicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from store.models import ChainHead, FiscalRecord
from till.errors import TillError
from till.fiscal.anchor import CONFIRMED, INTENT, Anchor, AnchorStore
from till.fiscal.chain import Sealer, current_database, flush_anchors
from till.fiscal.events import EVENT_CHAIN, record_event
from till.fiscal.key_chain import key_chain_of
from till.fiscal.keys import verify_signature
from till.fiscal.problems import Problem, finding

__all__ = [
    "ANCHOR_CHECK_FAILED", "ANCHOR_ACKNOWLEDGED", "ANCHOR_INTENT_UNCOMMITTED", "START", "CLOSURE", "EXPORT",
    "ANCHORS_SIGNED", "AnchorCheckFailed", "AnchorFindings", "anchors_signed", "seal_anchors_signed", "admitted_keys", "check_anchors", "require_anchors", "acknowledge",
    "record_failure", "resolve_intents", "chain_tails",
]

ANCHOR_CHECK_FAILED = "ANCHOR_CHECK_FAILED"
ANCHOR_ACKNOWLEDGED = "ANCHOR_ACKNOWLEDGED"
ANCHOR_INTENT_UNCOMMITTED = "ANCHOR_INTENT_UNCOMMITTED"
ANCHORS_SIGNED = "ANCHORS_SIGNED"
"""Sealed once per till, at ``till init`` or at the first start of a version that signs its
anchors: from this event on, an unsigned anchor is a failure. Before it (a shop upgraded from a
version that wrote unsigned anchors), an unsigned anchor that names the chain's very last record
is taken as the earlier version's, and that first start signs it and seals the event with the
anchors as found."""

START, CLOSURE, EXPORT, VERIFY = "start", "closure", "export", "verify"


class AnchorCheckFailed(TillError):
    """The tail anchors do not agree with the journal, or a failure is not acknowledged yet."""


@dataclass
class AnchorFindings:
    """What ``check_anchors`` found, per till and chain."""

    problems: list[Problem] = field(default_factory=list)
    """Failures of the anchors themselves (sealed by ``record_failure``)."""
    unacknowledged: list[Problem] = field(default_factory=list)
    """An earlier failure, sealed and not acknowledged yet (not sealed again)."""
    warnings: list[Problem] = field(default_factory=list)
    unconfirmed: list[Anchor] = field(default_factory=list)
    """Intents whose record is committed and equal: the start confirms them."""
    uncommitted: list[Anchor] = field(default_factory=list)
    """Intents ahead of the chain whose base is its tail: the start seals and clears them."""
    found: list[Anchor] = field(default_factory=list)
    """Every anchor read (evidence for the sealed events)."""
    earlier_version: list[Anchor] = field(default_factory=list)
    """Unsigned anchors of a till whose anchors are not signed yet (no ANCHORS_SIGNED), each
    naming its chain's last record: the next start signs them."""

    @property
    def ok(self) -> bool:
        return not self.problems and not self.unacknowledged


def admitted_keys(till_id: str | None = None) -> dict[str, str]:
    """Key id -> PEM of the public keys the journal admits: the one place the anchors' and the
    chain heads' trust comes from. Only the keys of each till's key chain (``key_chain``: its root,
    then each key a KEY_ROTATED signed by the key before it admitted), never a key merely present
    in the ``SigningKey`` table, which anyone who can write the database can fill."""
    if till_id is None:
        tills = {till for (till,) in ChainHead.select(ChainHead.till_id).distinct().tuples()}
    else:
        tills = {till_id}
    keys: dict[str, str] = {}
    for till in sorted(tills):
        keys.update(key_chain_of(till).pems())
    return keys


def chain_tails(till_id: str, also: Iterable[str] = ()) -> dict[str, tuple[int, str, str]]:
    """Chain -> (sequence, signature, hash) of its last record, for each chain of ``till_id``.

    The chains are those of the ``ChainHead`` rows (a chain gets one with its first record) and
    ``also``; each tail is one indexed look-up, never a walk of the chain: the start, each
    closure and each export ask, on journals of millions of records. (A chain whose head row
    was deleted as well is the full verifier's to find.)"""
    tails = {}
    chains = {chain for (chain,) in ChainHead.select(ChainHead.chain).where(ChainHead.till_id == till_id).tuples()}
    for chain in sorted(chains | set(also)):
        row = (FiscalRecord.select(FiscalRecord.sequence, FiscalRecord.signature, FiscalRecord.hash)
               .where((FiscalRecord.till_id == till_id) & (FiscalRecord.chain == chain))
               .order_by(FiscalRecord.sequence.desc()).limit(1).tuples().first())
        if row is not None:
            tails[chain] = (row[0], row[1], row[2])
    return tails


def _record_at(till_id: str, chain: str, sequence: int) -> tuple[str, str] | None:
    row = (FiscalRecord.select(FiscalRecord.signature, FiscalRecord.hash)
           .where((FiscalRecord.till_id == till_id) & (FiscalRecord.chain == chain)
                  & (FiscalRecord.sequence == sequence)).tuples().first())
    return None if row is None else (row[0], row[1])


def _folder_anchors(store: AnchorStore, findings: AnchorFindings) -> dict[tuple[str, str], Anchor | None]:
    """(till, chain) -> anchor of every file in the folder; None for a file that cannot be read."""
    anchors: dict[tuple[str, str], Anchor | None] = {}
    if not store.folder.is_dir():
        return anchors
    for file in sorted(store.folder.glob("anchor-*.json")):
        till_id, _, chain = file.name[len("anchor-"):-len(".json")].rpartition("-")
        try:
            anchor = store._load(file)
        except TillError as error:
            findings.problems.append(Problem(till_id, chain, None, error.text("en"), error.message, error.params))
            anchors[(till_id, chain)] = None
            continue
        if anchor is not None:
            anchors[(till_id, chain)] = anchor
            findings.found.append(anchor)
    return anchors


def check_anchors(store: AnchorStore, till_ids: Iterable[str] | None = None,
                  keys: dict[str, str] | None = None) -> AnchorFindings:
    """Compare each anchor of ``store`` with the journal; see the module docstring for the rules.

    ``till_ids``: the tills to check (default: the folder's own, ``store.till_id``, and every
    till with an anchor in the folder; for a folder of unknown till, every till of the
    database). ``keys`` (key id -> PEM): the keys to trust (default: ``admitted_keys()``).
    Reads only: nothing is sealed or written.

    The anchors and the tails are read holding the folder's lock, which every intent is written
    under: while it is held no record can be announced, so none can commit, and a sale running
    in another process at that moment is never taken for a cut (read without the lock, a
    confirmed anchor then a tail one record further would look like an anchor behind).
    """
    findings = AnchorFindings()
    keys = admitted_keys() if keys is None else keys
    with store.locked():
        anchors = _folder_anchors(store, findings)
        if till_ids is not None:
            tills = set(till_ids)
        elif store.till_id:
            tills = {store.till_id} | {till for till, _ in anchors}
        else:  # a folder of unknown till: every till of the database is expected in it
            tills = {till for (till,) in FiscalRecord.select(FiscalRecord.till_id).distinct().tuples()}
            tills |= {till for till, _ in anchors}
        tails = {till_id: chain_tails(till_id, {chain for till, chain in anchors if till == till_id})
                 for till_id in tills}
    for till_id in sorted(tills):
        anchored = {chain for till, chain in anchors if till == till_id}
        for chain in sorted(set(tails[till_id]) | anchored):
            if (till_id, chain) in anchors and anchors[(till_id, chain)] is None:
                continue  # unreadable: already a problem
            _check_chain(till_id, chain, anchors.get((till_id, chain)), tails[till_id].get(chain, (0, "", "")),
                         keys, findings)
        _check_acknowledged(till_id, findings)
    return findings


def _check_chain(till_id: str, chain: str, anchor: Anchor | None, tail: tuple[int, str, str],
                 keys: dict[str, str], findings: AnchorFindings) -> None:
    def problem(sequence: int | None, message: str, /, **params: Any) -> None:
        findings.problems.append(finding(till_id, chain, sequence, message, **params))

    last, last_signature, last_hash = tail
    if anchor is None:
        if last:
            problem(None, "the chain has no tail anchor")
        return
    unsigned = not anchor.seal or not anchor.key_id
    if unsigned:
        if anchors_signed(till_id) or anchor.state != CONFIRMED or (anchor.sequence, anchor.signature,
                                                                     anchor.hash) != tail:
            problem(None, "the tail anchor is not signed")
            return
        # an earlier version's anchor, on the very last record: signed at the next start
        findings.earlier_version.append(anchor)
        findings.warnings.append(finding(till_id, chain, None, "the tail anchor was written unsigned by an earlier "
                                         "version; the next start signs it"))
        return
    pem = keys.get(anchor.key_id)
    if pem is None:
        problem(None, "the tail anchor is signed with key {key_id}, which the journal does not admit",
                key_id=anchor.key_id)
        return
    if not verify_signature(pem, anchor.signed_bytes(), anchor.seal):
        problem(None, "the tail anchor's signature is not valid (anchor altered or forged)")
        return
    if (anchor.till_id, anchor.chain) != (till_id, chain):
        problem(None, "the tail anchor file holds the anchor of another chain")
        return
    if anchor.sequence > last:
        if anchor.state == INTENT and (anchor.base_sequence, anchor.base_signature) == (last, last_signature):
            findings.warnings.append(finding(
                till_id, chain, anchor.sequence,
                "record {sequence} was announced but is not in the journal: its transaction did not commit "
                "(a stop during the commit?); the next start records it", sequence=anchor.sequence))
            findings.uncommitted.append(anchor)
        else:
            problem(last + 1, "records from {first} on are missing: the tail anchor names record {last}",
                    first=last + 1, last=anchor.sequence)
        return
    at = (last_signature, last_hash) if anchor.sequence == last else _record_at(till_id, chain, anchor.sequence)
    if at != (anchor.signature, anchor.hash):
        problem(anchor.sequence, "differs from the tail anchor kept outside the database")
        return
    if anchor.sequence < last:
        problem(anchor.sequence + 1, "records after {sequence} are not covered by the tail anchor (it is behind "
                "the chain)", sequence=anchor.sequence)
        return
    if anchor.state != CONFIRMED:
        findings.unconfirmed.append(anchor)


def _last_event(till_id: str, code: str) -> int:
    return (FiscalRecord.select(FiscalRecord.sequence)
            .where((FiscalRecord.till_id == till_id) & (FiscalRecord.chain == EVENT_CHAIN)
                   & (FiscalRecord.kind == code))
            .order_by(FiscalRecord.sequence.desc()).scalar()) or 0


def anchors_signed(till_id: str) -> bool:
    """Has this till sealed ANCHORS_SIGNED (its anchors are signed from then on)?"""
    return _last_event(till_id, ANCHORS_SIGNED) > 0


def seal_anchors_signed(sealer: Sealer, findings: AnchorFindings | None = None) -> None:
    """Seal ANCHORS_SIGNED for ``sealer``'s till (once), with the earlier version's anchors as
    found, then anchor those chains again at their tails, signed. ``till init`` calls it for a
    new till; the first start of this version for an upgraded one."""
    if anchors_signed(sealer.till_id):
        return
    earlier = [a for a in (findings.earlier_version if findings else ()) if a.till_id == sealer.till_id]
    with current_database().atomic(), sealer.replacing_anchors():
        record_event(sealer, ANCHORS_SIGNED, "tail anchors signed from now on",
                     details={"earlier_anchors": [a.as_details() for a in earlier]})
    flush_anchors(30.0)
    store = sealer.anchors
    if store is None or not earlier:
        return
    with store.locked():  # the tails read under the lock: no record can be announced meanwhile
        tails = chain_tails(sealer.till_id, {a.chain for a in earlier})
        for anchor in earlier:
            sequence, signature, hash_ = tails.get(anchor.chain, (0, "", ""))
            store.write(sealer.till_id, anchor.chain, sequence, signature, hash_, state=CONFIRMED,
                        signer=sealer.signer)


def _check_acknowledged(till_id: str, findings: AnchorFindings) -> None:
    failed = _last_event(till_id, ANCHOR_CHECK_FAILED)
    if failed and failed > _last_event(till_id, ANCHOR_ACKNOWLEDGED):
        findings.unacknowledged.append(finding(
            till_id, EVENT_CHAIN, failed,
            "an anchor failure is sealed here and not acknowledged yet (till journal acknowledge-anchor)"))


def record_failure(sealer: Sealer, findings: AnchorFindings, where: str) -> None:
    """Seal ANCHOR_CHECK_FAILED in chain L, in a transaction of its own, with the findings and
    the anchors as found: the event's own anchor may replace a bad anchor of chain L, so the
    event is the evidence from then on (and keeps the till stopped until acknowledged)."""
    mine = [a.as_details() for a in findings.found if a.till_id == sealer.till_id]
    with current_database().atomic(), sealer.replacing_anchors():
        record_event(sealer, ANCHOR_CHECK_FAILED, f"tail anchors failed the check at {where}", details={
            "where": where, "problems": [p.text("en") for p in findings.problems], "anchors": mine})


def resolve_intents(sealer: Sealer, findings: AnchorFindings) -> list[str]:
    """At start: confirm the intents whose record committed; for each that never committed,
    anchor the chain at its tail again and seal ANCHOR_INTENT_UNCOMMITTED naming what was
    announced. Returns the chains of the latter."""
    store = sealer.anchors
    assert store is not None
    uncommitted = []
    for anchor in findings.unconfirmed:
        if anchor.till_id != sealer.till_id:
            continue
        with store.locked():
            if store.read(anchor.till_id, anchor.chain) == anchor:
                store.write(anchor.till_id, anchor.chain, anchor.sequence, anchor.signature, anchor.hash,
                            state=CONFIRMED, signer=sealer.signer)
    for anchor in findings.uncommitted:
        if anchor.till_id != sealer.till_id:
            continue
        with current_database().atomic():
            with store.locked():
                if store.read(anchor.till_id, anchor.chain) != anchor:
                    continue  # moved on since the check
                base_hash = (_record_at(anchor.till_id, anchor.chain, anchor.base_sequence) or ("", ""))[1]
                store.write(anchor.till_id, anchor.chain, anchor.base_sequence, anchor.base_signature, base_hash,
                            state=CONFIRMED, signer=sealer.signer)
            record_event(sealer, ANCHOR_INTENT_UNCOMMITTED,
                         f"record {anchor.sequence} of chain {anchor.chain} was announced and never committed",
                         details={"chain": anchor.chain, "sequence": anchor.sequence, "signature": anchor.signature,
                                  "hash": anchor.hash, "base_sequence": anchor.base_sequence})
        uncommitted.append(anchor.chain)
    return uncommitted


def require_anchors(sealer: Sealer, where: str) -> AnchorFindings:
    """Check this till's anchors before ``where`` (START, CLOSURE, EXPORT); raise
    ``AnchorCheckFailed`` (after sealing the failure) rather than go on. At START, intents a stop
    left are resolved too. A sealer without an anchor folder (a bulk writer) checks nothing."""
    if sealer.anchors is None:
        return AnchorFindings()
    flush_anchors(30.0)  # this process's last commits may still be on their way to the folder
    findings = check_anchors(sealer.anchors, [sealer.till_id])
    if findings.problems:
        record_failure(sealer, findings, where)
    if not findings.ok:
        first = (findings.problems or findings.unacknowledged)[0]
        raise AnchorCheckFailed(
            "The journal's tail anchors failed the check ({first}): the till does not sell, close or export "
            "until a technician checks the journal (till journal verify) and acknowledges "
            "(till journal acknowledge-anchor --note ...)", first=first.text())
    if where == START:
        resolve_intents(sealer, findings)
        seal_anchors_signed(sealer, findings)  # once: a till upgraded from unsigned anchors
    return findings


def acknowledge(sealer: Sealer, user_id: int | None, note: str) -> AnchorFindings:
    """A manager or technician acknowledges a known anchor failure: seal ANCHOR_ACKNOWLEDGED in
    chain L with ``note``, what the check finds and the anchors as found, then anchor every
    chain of the till again at its committed tail (signed, confirmed)."""
    store = sealer.anchors
    if store is None:
        raise TillError("This till keeps no tail anchors: nothing to acknowledge")
    if not note.strip():
        raise TillError("A note is required: say what was checked or lost")
    flush_anchors(30.0)
    findings = check_anchors(store, [sealer.till_id])
    mine = [a.as_details() for a in findings.found if a.till_id == sealer.till_id]
    with current_database().atomic(), sealer.replacing_anchors():
        record_event(sealer, ANCHOR_ACKNOWLEDGED, "tail anchor failure acknowledged", user_id=user_id, details={
            "note": note.strip(), "problems": [p.text("en") for p in findings.problems + findings.unacknowledged],
            "anchors": mine})
    flush_anchors(30.0)
    anchored = {a.chain for a in findings.found if a.till_id == sealer.till_id}
    with store.locked():  # the tails read under the lock: no record can be announced meanwhile
        tails = chain_tails(sealer.till_id, anchored)
        for chain in sorted(set(tails) | anchored):
            sequence, signature, hash_ = tails.get(chain, (0, "", ""))
            store.write(sealer.till_id, chain, sequence, signature, hash_, state=CONFIRMED, signer=sealer.signer)
    return findings
