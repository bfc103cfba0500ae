"""The tail anchor: the last record of each chain, remembered outside the database.

A signed chain proves every record up to the last one present, but deleting the last records
leaves a shorter chain that still verifies (fiscal-fr.md R-SEC-05). So after each commit the
till writes the last (sequence, signature, hash) of the chain to a small JSON file of its own,
outside the database; the verifier then requires the chain to reach that record.

Each file is replaced atomically (temporary file, fsync, rename, fsync of the folder): a power
cut leaves the old anchor or the new one, never half a file. It is readable by the till's user
only (``till.files.write_private``). The anchor is written after the commit, so a crash in
between leaves the anchor one record behind: the verifier reports that as a warning, not a
failure.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from till.errors import TillError
from till.files import write_private

__all__ = ["Anchor", "AnchorStore"]

_SAFE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@dataclass(frozen=True)
class Anchor:
    """The last record of a chain as the till saw it committed."""

    till_id: str
    chain: str
    sequence: int
    signature: str
    hash: str


class AnchorStore:
    """One ``anchor-<till>-<chain>.json`` file per chain in ``folder`` (made 0700 if missing)."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    def path(self, till_id: str, chain: str) -> Path:
        """The file holding the anchor of ``chain`` of ``till_id``."""
        for part in (till_id, chain):
            if not _SAFE.match(part) or "-" in chain:
                raise ValueError(f"unsafe till or chain name for an anchor file: {part!r}")
        return self.folder / f"anchor-{till_id}-{chain}.json"

    def write(self, till_id: str, chain: str, sequence: int, signature: str, hash: str) -> None:
        """Replace the anchor of ``chain`` atomically."""
        target = self.path(till_id, chain)
        if not self.folder.exists():
            self.folder.mkdir(mode=0o700, parents=True)
        body = json.dumps(
            {"till_id": till_id, "chain": chain, "sequence": sequence, "signature": signature, "hash": hash},
            sort_keys=True,
        ).encode("utf-8")
        write_private(target, body)  # 0600, atomic: the old anchor or the new one, never half

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
            return Anchor(
                till_id=str(data["till_id"]),
                chain=str(data["chain"]),
                sequence=int(data["sequence"]),
                signature=str(data["signature"]),
                hash=str(data["hash"]),
            )
        except (KeyError, TypeError, ValueError):
            raise TillError("Anchor file {file} cannot be read", file=str(file)) from None
