"""The tail anchor: the last record of each chain, remembered outside the database, signed.

A signed chain proves every record up to the last one present, but deleting the last records
leaves a shorter chain that still verifies (fiscal-fr.md R-SEC-05). So the till keeps, per
chain, a small JSON file of its own outside the database naming the chain's last record
(sequence, signature, hash); the checks (``till.fiscal.anchor_check``) require the chain to
reach that record.

Signed. The anchor's body is signed with the till's own signing key (the key that signs the
chain, ``Signer``) and names that key; it is trusted only if the key is one the journal admits
(``till.fiscal.anchor_check.admitted_keys``: the key chain's). Whoever can edit the folder but has not the key
cannot write an anchor that passes, so a forged, altered or unsigned anchor is a failure, never
a warning. (The key is on the same machine; what it protects against is an edit of the files or
the database, not a thief of the key, which the key chain and head office's copy of the chain
heads address.)

Write-ahead. An anchor written after the commit trails it for a moment, and a stop in that
moment left a chain whose last record no file named: deleting exactly that record showed
nothing. So the ``Sealer`` writes the anchor of each record *before* its transaction commits,
marked ``intent`` and naming ``base``, the committed tail the transaction started from; after
the commit it is rewritten ``confirmed``. The anchor therefore never trails the committed tail:
it names either the last committed record (confirmed or intent) or an intent of a transaction
that did not commit, whose base is the tail. The next start resolves such an intent: present
and equal, it is confirmed; absent, with the tail equal to its base, it is a transaction that
never committed and a sealed event (ANCHOR_INTENT_UNCOMMITTED) says so, naming what was
announced. Anything else (a confirmed anchor ahead of the chain, an intent more than its own
transaction ahead, a differing record at the anchored sequence) is a cut or an edit.

Each file is replaced atomically (temporary file, fsync, rename, fsync of the folder): a power
cut leaves the old anchor or the new one, never half a file. It is readable by the till's user
only (``till.files.write_private``). Read-compare-write sequences of several processes of one
till (the screens and a technician's command) are serialised by an ``flock`` on ``.lock`` in
the folder (``AnchorStore.locked``).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from till.errors import TillError
from till.files import write_private

if TYPE_CHECKING:
    from till.fiscal.keys import Signer

__all__ = ["Anchor", "AnchorStore", "CONFIRMED", "INTENT", "ANCHOR_FORMAT"]

_SAFE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")

CONFIRMED = "confirmed"
INTENT = "intent"
ANCHOR_FORMAT = "till-anchor-1"
"""Names what the signed body holds; never change what a format means, add one."""


@dataclass(frozen=True)
class Anchor:
    """The last record of a chain as the till saw it, and who signed that statement.

    ``state`` is ``confirmed`` (the record committed) or ``intent`` (written before the commit
    of the transaction that started from ``base_sequence``/``base_signature``). ``key_id`` and
    ``seal`` are empty on an unsigned file (written by an older version, or forged)."""

    till_id: str
    chain: str
    sequence: int
    signature: str
    hash: str
    state: str = CONFIRMED
    base_sequence: int = 0
    base_signature: str = ""
    key_id: str = ""
    seal: str = ""

    def body(self) -> dict:
        """What the seal signs (every field but the seal itself)."""
        return {"format": ANCHOR_FORMAT, "till_id": self.till_id, "chain": self.chain, "sequence": self.sequence,
                "signature": self.signature, "hash": self.hash, "state": self.state,
                "base_sequence": self.base_sequence, "base_signature": self.base_signature, "key_id": self.key_id}

    def signed_bytes(self) -> bytes:
        """The exact bytes the seal is a signature of: the body as sorted, compact UTF-8 JSON."""
        return json.dumps(self.body(), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    def as_details(self) -> dict:
        """The anchor as found, for a sealed event that must keep it (evidence)."""
        return {**self.body(), "seal": self.seal}


class AnchorStore:
    """One ``anchor-<till>-<chain>.json`` file per chain in ``folder`` (made 0700 if missing).

    ``till_id``, when given, is the till this folder belongs to: the checks then require an
    anchor for each of its chains even if the folder was emptied."""

    def __init__(self, folder: str | os.PathLike[str], till_id: str | None = None) -> None:
        self.folder = Path(folder)
        self.till_id = till_id

    def path(self, till_id: str, chain: str) -> Path:
        """The file holding the anchor of ``chain`` of ``till_id``."""
        for part in (till_id, chain):
            if not _SAFE.match(part) or "-" in chain:
                raise ValueError(f"unsafe till or chain name for an anchor file: {part!r}")
        return self.folder / f"anchor-{till_id}-{chain}.json"

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the folder's lock (blocking) for a read-compare-write of anchors."""
        if not self.folder.exists():
            self.folder.mkdir(mode=0o700, parents=True)
        fd = os.open(self.folder / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def write(self, till_id: str, chain: str, sequence: int, signature: str, hash: str, *,
              state: str = CONFIRMED, base: tuple[int, str] = (0, ""), signer: "Signer | None" = None) -> Anchor:
        """Replace the anchor of ``chain`` atomically; signed when ``signer`` is given.

        Without a signer the file is unsigned: the checks refuse it (kept for tests that forge)."""
        if state not in (CONFIRMED, INTENT):
            raise ValueError(f"unknown anchor state {state!r}")
        target = self.path(till_id, chain)
        if not self.folder.exists():
            self.folder.mkdir(mode=0o700, parents=True)
        anchor = Anchor(till_id, chain, sequence, signature, hash, state, base[0], base[1],
                        signer.key_id if signer is not None else "")
        if signer is not None:
            anchor = replace(anchor, seal=signer.sign(anchor.signed_bytes()))
        data = {**anchor.body(), "seal": anchor.seal} if signer is not None else {
            "till_id": till_id, "chain": chain, "sequence": sequence, "signature": signature, "hash": hash}
        write_private(target, json.dumps(data, sort_keys=True).encode("utf-8"))  # 0600, atomic
        return anchor

    def read(self, till_id: str, chain: str) -> Anchor | None:
        """The anchor of ``chain``, or None when none was ever written."""
        return self._load(self.path(till_id, chain))

    def all(self) -> Iterator[Anchor]:
        """Every anchor in the folder (for the verifier: a chain wholly deleted still has one)."""
        if not self.folder.is_dir():
            return
        for file in sorted(self.folder.glob("anchor-*.json")):
            anchor = self._load(file)
            if anchor is not None:
                yield anchor

    @staticmethod
    def _load(file: Path) -> Anchor | None:
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            raise TillError("Anchor file {file} cannot be read", file=str(file)) from None
        try:
            state = str(data.get("state", CONFIRMED))
            if state not in (CONFIRMED, INTENT):
                raise ValueError(state)
            return Anchor(
                till_id=str(data["till_id"]),
                chain=str(data["chain"]),
                sequence=int(data["sequence"]),
                signature=str(data["signature"]),
                hash=str(data["hash"]),
                state=state,
                base_sequence=int(data.get("base_sequence", 0)),
                base_signature=str(data.get("base_signature", "")),
                key_id=str(data.get("key_id", "")),
                seal=str(data.get("seal", "")),
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise TillError("Anchor file {file} cannot be read", file=str(file)) from None
