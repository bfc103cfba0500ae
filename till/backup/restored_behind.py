"""The mark a restore leaves in a shop folder restored from a backup found behind, and the
refusal to start on it.

Apart from ``till.backup.restore`` (which proves a backup and needs the ECDSA key loading,
the backup checks and head office's client): the till reads this mark at every start, and its
start loads only what it needs.
"""

from __future__ import annotations

import json
from pathlib import Path

from till.errors import TillError
from till.i18n import N_

RESTORED_BEHIND = "RESTORED_BEHIND"
"""The file, in the shop folder, that stops the till from starting after a restore found it behind."""

RESTORED_BEHIND_REFUSAL = N_("This till was restored from a backup older than what was sealed after it ({reasons}): "
                             "selling would fork its fiscal chains. Rebuild it from head office with till "
                             "restore --from-headoffice in a new folder, or call the support ({file})")


class RestoredBehind(TillError):
    """The till was restored from a backup behind what its anchors or head office hold: it does not start."""


def refuse_if_restored_behind(folder: Path) -> None:
    """``RestoredBehind`` when ``folder`` holds the mark a restore left (see ``till.backup.restore``)."""
    marker = folder / RESTORED_BEHIND
    if not marker.exists():
        return
    try:
        reasons = "; ".join(json.loads(marker.read_text(encoding="utf-8")).get("reasons") or [])
    except (OSError, ValueError, AttributeError):
        reasons = RESTORED_BEHIND
    raise RestoredBehind(RESTORED_BEHIND_REFUSAL, reasons=reasons, file=str(marker))
