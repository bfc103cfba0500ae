"""The backup file: one ``till-<till id>-<YYYYmmddTHHMMSSZ>.tar.gz`` (0600), its members, its manifest.

Other tools read these files (a restore on another machine, head office's rebuild), so the
format is written down here once and versioned (``FORMAT``):

- ``manifest.json``: format, till id, made at (UTC), program version, engine (``sqlite`` or
  ``postgresql``), each chain's last sequence and record hash, the last daily Z's business day,
  whether the private key is inside, and the SHA-256 of every other member;
- ``database/till.db`` (SQLite, one file, no WAL) or ``database/till.pgdump`` (pg_dump's custom format);
- ``config/till.toml``, and ``config/ca/<name>``: the CA file ``sync.ca_file`` names, if any;
- ``anchors/anchor-<till>-<chain>.json``: the tail anchors as they were at the copy;
- ``keys/public/key-chain.json``: the public keys the journal admits (root first), what
  ``till journal verify`` needs without the private key;
- ``keys/till.pem.enc``: only with ``--with-key``, the private key as encrypted PKCS#8 PEM.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["FORMAT", "MANIFEST", "SQLITE_MEMBER", "PGDUMP_MEMBER", "CONFIG_MEMBER", "ANCHORS_FOLDER", "CA_FILE_FOLDER",
           "KEY_CHAIN_MEMBER", "PRIVATE_KEY_MEMBER", "SQLITE", "POSTGRESQL", "Manifest", "backup_name",
           "parse_backup_name", "sha256_file"]

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/till.db"
PGDUMP_MEMBER = "database/till.pgdump"
CONFIG_MEMBER = "config/till.toml"
CA_FILE_FOLDER = "config/ca"
"""The head office CA file ``sync.ca_file`` names, when there is one: ``config/ca/<its name>``."""
ANCHORS_FOLDER = "anchors"
KEY_CHAIN_MEMBER = "keys/public/key-chain.json"
PRIVATE_KEY_MEMBER = "keys/till.pem.enc"
SQLITE, POSTGRESQL = "sqlite", "postgresql"

_STAMP = "%Y%m%dT%H%M%SZ"
_NAME = re.compile(r"^till-(?P<till>[A-Za-z0-9]{1,8})-(?P<stamp>\d{8}T\d{6}Z)\.tar\.gz$")


def backup_name(till_id: str, made_at: dt.datetime) -> str:
    """The file name of a backup of ``till_id`` made at ``made_at`` (naive UTC): sorted by time."""
    return f"till-{till_id}-{made_at.strftime(_STAMP)}.tar.gz"


def parse_backup_name(name: str) -> tuple[str, dt.datetime] | None:
    """(till id, made at) of a backup file name, or None for any other file (never rotated away)."""
    match = _NAME.match(name)
    if match is None:
        return None
    try:
        return match["till"], dt.datetime.strptime(match["stamp"], _STAMP)
    except ValueError:
        return None


def sha256_file(path: Path) -> str:
    """SHA-256 (hex) of a file, read in blocks: a database may be larger than the memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Manifest:
    """What ``manifest.json`` says. ``heads``: chain -> {"sequence", "hash"}; ``members``: name -> SHA-256."""

    till_id: str
    made_at: str
    version: str
    engine: str
    heads: dict[str, dict[str, Any]]
    last_day_closed: str | None
    with_key: bool
    members: dict[str, str] = field(default_factory=dict)
    format: int = FORMAT

    def to_bytes(self) -> bytes:
        data = {"format": self.format, "till_id": self.till_id, "made_at": self.made_at, "version": self.version,
                "engine": self.engine, "heads": self.heads, "last_day_closed": self.last_day_closed,
                "with_key": self.with_key, "members": self.members}
        return json.dumps(data, sort_keys=True, indent=1).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> "Manifest":
        """Read a manifest; ``ValueError`` when it is not one of a format this program knows."""
        raw = json.loads(data.decode("utf-8"))
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise ValueError(f"not a backup manifest of format {FORMAT}")
        if raw.get("engine") not in (SQLITE, POSTGRESQL):
            raise ValueError("unknown database engine in the manifest")
        members, heads = raw.get("members"), raw.get("heads")
        if not isinstance(members, dict) or not isinstance(heads, dict):
            raise ValueError("the manifest lists no members or no heads")
        return cls(till_id=str(raw["till_id"]), made_at=str(raw["made_at"]), version=str(raw.get("version", "")),
                   engine=raw["engine"], heads={str(k): dict(v) for k, v in heads.items()},
                   last_day_closed=raw.get("last_day_closed"), with_key=bool(raw.get("with_key")),
                   members={str(k): str(v) for k, v in members.items()})

    @property
    def database_member(self) -> str:
        return SQLITE_MEMBER if self.engine == SQLITE else PGDUMP_MEMBER
