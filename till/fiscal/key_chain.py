"""The key chain of a till: which signing keys its journal admits, in order, rooted in its first record.

Why: the ``SigningKey`` table is written by whoever writes the database, so trusting every key
it holds trusts a key an intruder inserted, and a record re-signed with it verifies. The trust
must come from the journal itself, checked from its first record on:

- the **root** is the key that signed the till's first record of chain L (its KEY_CREATED, made
  by ``till init``; the KEY_CREATED, when there is one, must name that very key). A till that
  has no chain L yet (built by hand, as some tests do) is rooted in the key of its first record;
- every later key is **admitted** only by a KEY_ROTATED record of chain L, signed by the key
  before it, naming the new key's id and public key (``till.fiscal.rotation``). A rotation record
  whose hash or signature does not hold admits nothing: the chain stops at the key before it.

So the ``SigningKey`` table is only a cache of public keys: a key it holds that the chain does
not admit signs nothing valid. What the chain cannot prove by itself is that its root is the
till's real one (whoever rewrites every record can root a new chain): the root's **fingerprint**
(``fingerprint``) is therefore printed outside the database, by ``till init``, on every Z report,
by ``till journal verify``, in the archive manifest, and pinned by head office at enrolment.
An auditor compares it with the paper or gives it to ``--root``.

Each key may sign only where the chain puts it (``KeyOrder``): in every chain a record signed
by an earlier key after one signed by a later key is refused (the replaced key is retired);
in chain L, where the rotations are, a key signs nothing before the rotation that admits it
nor after the rotation that replaces it.

The same rules serve both readers (``till.fiscal.verify`` on the database, ``till.fiscal.
archive_verify`` on an archive, which carries the chain's records in ``key_chain/<till>.jsonl``):
``build_key_chain`` takes records, wherever they were read from.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, NamedTuple

from store.models import FiscalRecord, SigningKey
from till.errors import TillError
from till.fiscal.chain import current_database, message_bytes
from till.fiscal.events import EVENT_CHAIN, KEY_CREATED, record_event
from till.fiscal.keys import key_id_of, verify_digest
from till.fiscal.problems import Problem, finding, table_finding
from till.i18n import N_

__all__ = [
    "KEY_CHECK_FAILED", "KEY_CHECK_NOTES", "note_key_check_failure", "seal_key_check_failures",
    "KEY_ROTATED", "AdmittedKey", "KeyChain", "KeyFileMismatch", "KeyOrder", "SealedRecord", "build_key_chain",
    "check_key_file", "fingerprint", "root_key_ids", "key_chain_of", "key_chain_records", "normalise_fingerprint", "root_problems",
]

KEY_ROTATED = "KEY_ROTATED"
"""The code ``till.fiscal.rotation`` seals (kept here too: the verifier must not import the rotation)."""


class KeyFileMismatch(TillError):
    """The key file is not the key the till's journal expects: the till does not start."""


class SealedRecord(NamedTuple):
    """A record's stored fields, as the database or an archive line gives them."""

    till_id: str
    chain: str
    sequence: int
    kind: str
    created_at: dt.datetime | str
    ticket_id: int | None
    format_version: int
    payload: str
    previous_signature: str
    hash: str
    signature: str
    key_id: str

    def details(self) -> dict[str, Any]:
        try:
            payload = json.loads(self.payload)
        except ValueError:
            return {}
        details = payload.get("details") if isinstance(payload, dict) else None
        return details if isinstance(details, dict) else {}

    def digest(self) -> bytes | None:
        """SHA-256 of the rebuilt signed message, or None when its hash does not match it."""
        try:
            message = message_bytes(
                format_version=self.format_version, till_id=self.till_id, chain=self.chain,
                sequence=self.sequence, kind=self.kind, created_at=self.created_at, ticket_id=self.ticket_id,
                payload=self.payload, previous_signature=self.previous_signature)
        except (TypeError, ValueError):
            return None
        digest = hashlib.sha256(message)
        return digest.digest() if digest.hexdigest() == self.hash else None


_RECORD_FIELDS = (FiscalRecord.till_id, FiscalRecord.chain, FiscalRecord.sequence, FiscalRecord.kind,
                  FiscalRecord.created_at, FiscalRecord.ticket_id, FiscalRecord.format_version, FiscalRecord.payload,
                  FiscalRecord.previous_signature, FiscalRecord.hash, FiscalRecord.signature, FiscalRecord.key_id)


def fingerprint(key_id: str) -> str:
    """The human form of a key's id: 8 groups of 4 upper-case hex digits ("3F2A 9C01 ...").

    The id is already the first 128 bits of the SHA-256 of the public key (``keys.key_id_of``),
    ample against a forged match, short enough to print on a Z report and read aloud, and the
    very name of ``keys/<id>.pem`` in an archive, so a fingerprint and a key file are matched by
    eye."""
    text = key_id.upper()
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))


def normalise_fingerprint(text: str) -> str:
    """A fingerprint as typed (spaces, dashes, colons, any case) as a key id; ValueError if not one."""
    compact = re.sub(r"[\s:\-]", "", text).lower()
    if not re.fullmatch(r"[0-9a-f]{32}", compact):
        raise ValueError(text)
    return compact


@dataclass(frozen=True)
class AdmittedKey:
    """One key of the chain: ``index`` 0 is the root."""

    key_id: str
    public_pem: str | None
    index: int
    admitted_at: int
    """Sequence in chain L of the record that admits it (the root: its first record there, or 0)."""
    replaced_at: int | None = None
    """Sequence in chain L of the KEY_ROTATED that replaced it (None: the current key)."""


@dataclass
class KeyChain:
    """The keys one till's journal admits, in order, and what was wrong while following it."""

    till_id: str
    keys: list[AdmittedKey] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    records: list[SealedRecord] = field(default_factory=list)
    """The records the chain was built from (root, then rotations): what an archive carries."""

    @property
    def root(self) -> AdmittedKey | None:
        return self.keys[0] if self.keys else None

    @property
    def current(self) -> AdmittedKey | None:
        return self.keys[-1] if self.keys else None

    @property
    def fingerprint(self) -> str | None:
        return fingerprint(self.keys[0].key_id) if self.keys else None

    def index(self, key_id: str) -> int | None:
        for key in self.keys:
            if key.key_id == key_id:
                return key.index
        return None

    def pems(self) -> dict[str, str]:
        """Key id -> PEM of every admitted key whose public half is known."""
        return {key.key_id: key.public_pem for key in self.keys if key.public_pem}

    def order(self, chain: str) -> "KeyOrder":
        return KeyOrder(self, chain)


def build_key_chain(till_id: str, records: Iterable[SealedRecord], pems: dict[str, str]) -> KeyChain:
    """Follow ``records`` (the till's root record first, then its KEY_ROTATED records of chain L
    in sequence order; other records are ignored) and return the keys they admit.

    ``pems`` are the public keys at hand (the ``SigningKey`` cache, an archive's ``keys/``): the
    root's must be there to check its record; a rotated key's is taken from its rotation record.
    """
    chain = KeyChain(till_id)
    records = list(records)
    if not records:
        return chain
    root_record = records[0]
    rotations = sorted((r for r in records[1:] if r.chain == EVENT_CHAIN and r.kind == KEY_ROTATED),
                       key=lambda r: r.sequence)
    if root_record.chain == EVENT_CHAIN and root_record.kind == KEY_ROTATED:
        # A till whose first event is a rotation (it sealed tickets before any event): the key
        # it replaces, which signed it, is the root, and the rotation admits the next key.
        rotations.insert(0, root_record)
    chain.records.append(root_record)
    root_id = root_record.key_id
    pem = pems.get(root_id)
    if pem is not None and _safe_key_id(pem) != root_id:
        pem = None
    named = root_record.details().get("key_id") if root_record.kind == KEY_CREATED else root_id
    if named != root_id:
        chain.problems.append(finding(till_id, root_record.chain, root_record.sequence,
                                      "the root record names key {named} but is signed by key {key_id}",
                                      named=named, key_id=root_id))
    elif pem is None:
        chain.problems.append(finding(till_id, root_record.chain, root_record.sequence,
                                      "the public key of root key {key_id} is missing", key_id=root_id))
    elif not _sealed_by(root_record, pem):
        chain.problems.append(finding(till_id, root_record.chain, root_record.sequence,
                                      "the root record's hash or signature is not valid"))
    chain.keys.append(AdmittedKey(root_id, pem, 0, root_record.sequence if root_record.chain == EVENT_CHAIN else 0))
    for record in rotations:
        if record is not root_record:
            chain.records.append(record)
        current = chain.keys[-1]
        details = record.details()
        new_id, new_pem = details.get("new_key_id"), details.get("new_public_key")
        why = None
        if record.key_id != current.key_id or details.get("old_key_id") not in (None, current.key_id):
            why = N_("key rotation not valid: it is not signed by the key it replaces ({key_id}); no later key is admitted")
        elif current.public_pem is None or not _sealed_by(record, current.public_pem):
            why = N_("key rotation not valid: its hash or signature does not hold (key {key_id}); no later key is admitted")
        elif not isinstance(new_id, str) or not isinstance(new_pem, str) or _safe_key_id(new_pem) != new_id:
            why = N_("key rotation not valid: the new key it names is unreadable or not the key of that id; "
                     "no later key is admitted")
        elif chain.index(new_id) is not None:
            why = N_("key rotation not valid: the new key it names is already in the chain; no later key is admitted")
        if why is not None:
            chain.problems.append(finding(till_id, EVENT_CHAIN, record.sequence, why, key_id=current.key_id))
            break
        chain.keys[-1] = AdmittedKey(current.key_id, current.public_pem, current.index, current.admitted_at,
                                     record.sequence)
        chain.keys.append(AdmittedKey(new_id, new_pem, current.index + 1, record.sequence))
    return chain


def _safe_key_id(pem: str) -> str | None:
    try:
        return key_id_of(pem)
    except ValueError:
        return None


def _sealed_by(record: SealedRecord, pem: str) -> bool:
    digest = record.digest()
    return digest is not None and verify_digest(pem, digest, record.signature)


class KeyOrder:
    """Checks, record after record of one chain walked in sequence order, that each is signed by
    a key the till's chain admits at that point (see the module docstring). ``check`` returns
    the problem's message and parameters, or None."""

    def __init__(self, chain: KeyChain, chain_name: str) -> None:
        self.keys, self.chain_name, self.highest = chain, chain_name, -1

    def check(self, sequence: int, key_id: str) -> tuple[str, dict[str, Any]] | None:
        index = self.keys.index(key_id)
        if index is None:
            return (N_("signed with key {key_id}, which the till's key chain does not admit"), {"key_id": key_id})
        key = self.keys.keys[index]
        if index < self.highest:
            return (N_("signed with key {key_id} after a later key of the chain signed"), {"key_id": key_id})
        self.highest = index
        if self.chain_name == EVENT_CHAIN:
            if index > 0 and sequence <= key.admitted_at:
                return (N_("signed with key {key_id} before the rotation that admits it (record {admitted})"),
                        {"key_id": key_id, "admitted": key.admitted_at})
            if key.replaced_at is not None and sequence > key.replaced_at:
                return (N_("signed with key {key_id} after the rotation that replaced it (record {replaced})"),
                        {"key_id": key_id, "replaced": key.replaced_at})
        return None


def root_problems(found: dict[str, str], given: Iterable[str]) -> list[Problem]:
    """A problem for each till whose key chain leads to a root (``found``: till id -> fingerprint)
    that is not among the root key ids ``given`` (what an auditor passed to ``--root``)."""
    wanted = set(given)
    return [table_finding("the key chain of till {till_id} leads to root key {found}, not to the root given",
                          till_id=till_id, found=root)
            for till_id, root in sorted(found.items()) if normalise_fingerprint(root) not in wanted]


# --- From the database -------------------------------------------------------------------------


def key_chain_records(till_id: str) -> list[SealedRecord]:
    """The till's root record and its KEY_ROTATED records, read from the bound database: the
    input of ``build_key_chain``.

    The root record is the first of chain L when it is the KEY_CREATED ``till init`` seals;
    otherwise (a till that sealed records before its first event) the till's first record of
    all. Never a later event: an event appended to a till with no chain L yet must not root it."""
    mine = FiscalRecord.till_id == till_id
    first = (FiscalRecord.select(*_RECORD_FIELDS).where(mine & (FiscalRecord.chain == EVENT_CHAIN))
             .order_by(FiscalRecord.sequence, FiscalRecord.id).limit(1).tuples().first())
    if first is None or first[3] != KEY_CREATED:
        first = _first_of_all(till_id)
    if first is None:
        return []
    # By (till, kind) alone, sorted here: the index of m0010 then finds the few rotations at once,
    # where an ORDER BY sequence would have the engine walk the whole chain L in its index order.
    rotations = sorted(SealedRecord(*row) for row in FiscalRecord.select(*_RECORD_FIELDS)
                       .where(mine & (FiscalRecord.kind == KEY_ROTATED)).tuples())
    records = [SealedRecord(*first)]
    records += [r for r in rotations if r.chain == EVENT_CHAIN and (r.chain, r.sequence) != (first[1], first[2])]
    return records


def _first_of_all(till_id: str) -> tuple | None:
    """The till's first record of all chains (lowest id), as ``_RECORD_FIELDS``.

    Read chain by chain, each first record one probe of the (till, chain, sequence) index: an
    ``ORDER BY id`` over the till's records would sort all of them, at every start. The chains
    are found by skipping from one to the next in the same index (a handful of probes)."""
    mine = FiscalRecord.till_id == till_id
    firsts, chain = [], ""
    while True:
        chain = (FiscalRecord.select(FiscalRecord.chain).where(mine & (FiscalRecord.chain > chain))
                 .order_by(FiscalRecord.chain).limit(1).scalar())
        if chain is None:
            break
        firsts.append(FiscalRecord.select(FiscalRecord.id, *_RECORD_FIELDS)
                      .where(mine & (FiscalRecord.chain == chain))
                      .order_by(FiscalRecord.sequence).limit(1).tuples().first())
    return min(firsts)[1:] if firsts else None


def key_chain_of(till_id: str, pems: dict[str, str] | None = None) -> KeyChain:
    """The till's key chain from the bound database; ``pems`` default to the ``SigningKey`` cache."""
    if pems is None:
        pems = dict(SigningKey.select(SigningKey.key_id, SigningKey.public_key_pem).tuples())
    return build_key_chain(till_id, key_chain_records(till_id), pems)


def check_key_file(signer: Any, till_id: str) -> KeyChain:
    """At start: the key file must hold the key the till's chain expects (its current key).

    A till with no record yet has no chain: its key becomes the root with its first record
    (``till init`` seals KEY_CREATED). Otherwise another key, a restored old one, a copy from
    another till, one an intruder put there, stops the till (``KeyFileMismatch``, exit 2 from
    the command line): registering it silently would let it sign. A technician puts the right
    file back, or, for a real change of key, the old key rotates to a new one (``till key
    rotate``), which the journal then records and the chain admits."""
    pems = dict(SigningKey.select(SigningKey.key_id, SigningKey.public_key_pem).tuples())
    pems.setdefault(signer.key_id, signer.public_pem)
    chain = build_key_chain(till_id, key_chain_records(till_id), pems)
    current = chain.current
    if current is None or current.key_id == signer.key_id:
        return chain
    waiting = _interrupted_rotation(signer, current.key_id)
    if waiting is not None:
        raise KeyFileMismatch(
            "The key file {file} holds key {found}, which the journal replaced: a key rotation stopped before "
            "its new key file was put in place. A technician moves {new_file} to {file} (root fingerprint {root})",
            file=str(signer.path), found=fingerprint(signer.key_id), new_file=str(waiting), root=chain.fingerprint)
    if chain.index(signer.key_id) is not None:
        raise KeyFileMismatch(
            "The key file {file} holds key {found}, which the journal replaced at record {sequence} of chain L: "
            "the till expects key {expected}. A technician puts that key's file back (root fingerprint {root})",
            file=str(signer.path), found=fingerprint(signer.key_id), expected=fingerprint(current.key_id),
            sequence=chain.keys[chain.index(signer.key_id)].replaced_at, root=chain.fingerprint)
    raise KeyFileMismatch(
        "The key file {file} holds key {found}, which is not in this till's key chain: the till expects key "
        "{expected}. A technician puts that key's file back (root fingerprint {root})",
        file=str(signer.path), found=fingerprint(signer.key_id), expected=fingerprint(current.key_id),
        root=chain.fingerprint)


KEY_CHECK_FAILED = "KEY_CHECK_FAILED"
KEY_CHECK_NOTES = "key-check-failures.jsonl"
"""Beside the configuration: the key file refusals not sealed yet (see ``note_key_check_failure``)."""


def note_key_check_failure(path: Path, refused: KeyFileMismatch) -> None:
    """Keep a key file refusal until it can be sealed.

    The key found cannot sign it (the key chain would refuse the record), so the refusal is
    written down beside the configuration, and sealed as KEY_CHECK_FAILED by the right key at
    the next start that passes the check (``seal_key_check_failures``): the journal then shows
    when the wrong key was found, which one, and which was expected. A failure to write the
    note never hides the refusal itself."""
    from till.files import write_private  # deferred: only on this rare path

    note = {"at": dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0).isoformat() + "Z",
            "found": refused.params.get("found"), "expected": refused.params.get("expected"),
            "root": refused.params.get("root"), "file": refused.params.get("file"), "reason": refused.message}
    try:
        before = path.read_bytes() if path.exists() else b""
        write_private(path, before + (json.dumps(note, sort_keys=True) + "\n").encode("utf-8"))
    except OSError:
        pass


def seal_key_check_failures(sealer: Any, path: Path) -> int:
    """Seal each refusal ``note_key_check_failure`` kept, once the key file is right again, then
    drop the notes; the number sealed. Nothing is sealed (the notes wait) when the journal
    cannot take a record now (an anchor to acknowledge first)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return 0
    except (OSError, UnicodeDecodeError):
        return 0
    notes = []
    for line in lines:
        try:
            note = json.loads(line)
        except ValueError:
            note = {"unreadable": line[:200]}
        notes.append(note if isinstance(note, dict) else {"unreadable": line[:200]})
    try:
        with current_database().atomic():
            for note in notes:
                record_event(sealer, KEY_CHECK_FAILED, "the key file was refused at start",
                             details={str(name): value if value is None or isinstance(value, (str, int)) else str(value)
                                      for name, value in note.items()})
    except TillError:
        return 0
    path.unlink(missing_ok=True)
    return len(notes)


def _interrupted_rotation(signer: Any, expected: str) -> Path | None:
    """The ``<key file>.new`` a rotation wrote and committed but did not move in place, when it
    holds the key the chain expects (``till.fiscal.rotation`` writes it there first)."""
    if signer.path is None:
        return None
    waiting = Path(str(signer.path) + ".new")
    try:
        return waiting if waiting.is_file() and type(signer).load(waiting).key_id == expected else None
    except TillError:
        return None


def root_key_ids(typed: list[str] | None) -> list[str] | None:
    """The key ids of the fingerprints given to ``--root``; TillError for one that is not one."""
    if typed is None:
        return None
    found = []
    for text in typed:
        try:
            found.append(normalise_fingerprint(text))
        except ValueError:
            raise TillError("{fingerprint} is not a key fingerprint (32 hexadecimal digits, spaces allowed)",
                            fingerprint=text) from None
    return found
