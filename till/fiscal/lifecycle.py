"""Technical events of the program's life (fiscal-fr.md R-JET): start and stop, a new software
version, a changed configuration, a clock set back.

At each start the till compares itself with what its last APP_START record says: another
version of the software is a SOFTWARE_CHANGED event, another configuration file (its SHA-256)
a CONFIG_CHANGED event, each naming the old and the new value, so an auditor sees when the
program or its settings changed even if nobody said so. The clock checks (``till.fiscal.clock``)
record CLOCK_JUMPED_FORWARD first when the clock reads far later than the last record, and
CLOCK_BACKWARDS after when it reads earlier.
"""

from __future__ import annotations

import hashlib
import json

from store.models import FiscalRecord
from till import __version__
from till.config.loader import Config
from till.fiscal.chain import Sealer, current_database
from till.fiscal.clock import CLOCK_JUMPED_FORWARD, record_if_behind, record_if_jumped
from till.fiscal.events import APP_START, APP_STOP, EVENT_CHAIN, record_event

__all__ = ["SOFTWARE_CHANGED", "CONFIG_CHANGED", "config_digest", "record_start", "record_stop"]

SOFTWARE_CHANGED = "SOFTWARE_CHANGED"
CONFIG_CHANGED = "CONFIG_CHANGED"


def config_digest(config: Config) -> str:
    """SHA-256 of the configuration file as it is on disk (what the till runs with)."""
    try:
        return hashlib.sha256(config.path.read_bytes()).hexdigest()
    except OSError:
        return ""


def _last_start(till_id: str) -> dict:
    payload = (FiscalRecord.select(FiscalRecord.payload)
               .where((FiscalRecord.till_id == till_id) & (FiscalRecord.chain == EVENT_CHAIN)
                      & (FiscalRecord.kind == APP_START))
               .order_by(FiscalRecord.sequence.desc()).scalar())
    return json.loads(payload).get("details", {}) if payload else {}


def record_start(sealer: Sealer, config: Config) -> list[str]:
    """Seal APP_START, and before it each change since the last start; returns the codes sealed."""
    digest = config_digest(config)
    sealed = []
    with current_database().atomic():
        if record_if_jumped(sealer, config.fiscal.clock_jump_forward_hours):  # before this start's own records
            sealed.append(CLOCK_JUMPED_FORWARD)
        last = _last_start(sealer.till_id)
        if last and last.get("version") != __version__:
            record_event(sealer, SOFTWARE_CHANGED, "the software version changed",
                         details={"from": last.get("version"), "to": __version__})
            sealed.append(SOFTWARE_CHANGED)
        if last and last.get("config_sha256") not in (None, digest):
            record_event(sealer, CONFIG_CHANGED, "the configuration file changed",
                         details={"from": last.get("config_sha256"), "to": digest, "file": config.path.name})
            sealed.append(CONFIG_CHANGED)
        record_event(sealer, APP_START, "till started", details={"version": __version__, "config_sha256": digest})
        sealed.append(APP_START)
    if record_if_behind(sealer):
        sealed.append("CLOCK_BACKWARDS")
    return sealed


def record_stop(sealer: Sealer) -> None:
    record_event(sealer, APP_STOP, "till stopped")
