"""Which of a shop's files hold secrets or customers, and how private each must be.

New files are made private by ``till.files``; this module deals with the ones already there,
made by an older version or copied in with a careless mode:

- ``sensitive_files(config)`` lists them: till.toml (SMTP and SMS secrets), the SQLite database
  and its -wal, -shm and -journal companions (PIN hashes, customers, credit notes), the signing
  key and the keys set aside by a rotation, the anchors, till.log, the file printer's receipts
  (vouchers carry their codes) and the demo's online-order export. Each must be 0600; the log
  may be 0640, for a monitoring group, since it carries no code (``till.logmask``).
- ``tighten_shop_files(config)``, run each time a till opens its shop (``TillContext.open``),
  takes away what a file grants beyond its mode and logs each change. Signing keys are not
  touched: one another user could read may have been copied, so ``Signer.load`` refuses it
  and a person decides (``till doctor`` names it).
"""

from __future__ import annotations

import logging
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from till.files import GROUP_READ, OWNER_ONLY, tighten
from till.i18n import N_

__all__ = ["ShopFile", "sensitive_files", "tighten_shop_files", "KINDS"]

log = logging.getLogger(__name__)

CONFIGURATION, DATABASE, KEY, ANCHOR, LOG, RECEIPTS, ORDERS = (
    N_("configuration"), N_("database"), N_("signing key"), N_("anchor"), N_("log"), N_("receipts"),
    N_("online orders"))
KINDS = (CONFIGURATION, DATABASE, KEY, ANCHOR, LOG, RECEIPTS, ORDERS)
"""What a file is, as ``till doctor`` names it (translated by the catalogues in till/locales)."""
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


@dataclass(frozen=True)
class ShopFile:
    """One file that must stay private."""

    kind: str
    path: Path
    allowed: int = OWNER_ONLY
    """The widest mode the file may have."""
    required: bool = False
    """A shop cannot work without it (``till doctor`` fails when it is missing)."""
    tightened_at_start: bool = True


def sqlite_file(config: Any) -> Path | None:
    """The SQLite database file of ``config`` (None on PostgreSQL or in memory)."""
    url = config.database_url
    if not url.startswith("sqlite:///"):
        return None
    path = unquote(url[len("sqlite:///"):].split("?", 1)[0])
    return None if path in ("", ":memory:") else Path(path)


def sensitive_files(config: Any) -> list[ShopFile]:
    """Every file of ``config``'s shop that must be private, present or not (companions,
    retired keys and anchors only when present: their names are not known in advance)."""
    files = [ShopFile(CONFIGURATION, Path(config.path), required=True)]
    database = sqlite_file(config)
    if database is not None:
        files.append(ShopFile(DATABASE, database, required=True))
        files += [ShopFile(DATABASE, Path(f"{database}{suffix}")) for suffix in SQLITE_COMPANIONS
                  if Path(f"{database}{suffix}").exists()]
    key = config.resolve(config.till.key_file)
    files.append(ShopFile(KEY, key, required=True, tightened_at_start=False))
    files += [ShopFile(KEY, retired, tightened_at_start=False)
              for retired in sorted(key.parent.glob(key.name + ".retired-*"))]
    anchors = config.resolve(config.till.anchor_dir)
    if anchors.is_dir():
        files += [ShopFile(ANCHOR, anchor) for anchor in sorted(anchors.glob("anchor-*.json"))]
    files.append(ShopFile(LOG, config.resolve(config.till.log_file), allowed=GROUP_READ))
    if getattr(config.printer, "driver", "") == "file":
        files.append(ShopFile(RECEIPTS, config.resolve(config.printer.path)))
    files.append(ShopFile(ORDERS, config.folder / "online-orders.json"))
    return files


def tighten_shop_files(config: Any) -> list[Path]:
    """Take from each sensitive file what it grants beyond its mode; the files changed."""
    changed = []
    for file in sensitive_files(config):
        if not file.tightened_at_start:
            continue
        old = tighten(file.path, file.allowed)
        if old is not None:
            new = stat.S_IMODE(file.path.stat().st_mode)
            log.warning("%s %s let other users in (mode %04o): now %04o", file.kind, file.path, old, new)
            changed.append(file.path)
    return changed
