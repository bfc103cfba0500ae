"""The fiscal side of a till: its signing key, the tail anchors, the journal itself, and the
clock set beside the last record.

Each check says the fix a technician can make without weakening the journal: put the right key
file back (never make a new one: the journal would refuse it), run ``till journal verify`` for
the full list, have a manager acknowledge what was checked. The journal's own functions decide
(``Signer.load``, ``check_key_file``, ``check_anchors``, ``verify_journal``, the clock's floor);
this module only reads, never seals.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from store.models.base import utcnow
from till.errors import TillError
from till.fiscal import clock
from till.fiscal.anchor import AnchorStore
from till.fiscal.anchor_check import check_anchors
from till.fiscal.key_chain import check_key_file, fingerprint
from till.fiscal.keys import Signer
from till.fiscal.verify import verify_journal
from till.i18n import N_
from till.shop.doctor.database import shop_database
from till.shop.doctor.findings import FAIL, OK, WARN, Finding

__all__ = ["signing_key", "anchors", "journal", "clock_check", "MESSAGES"]

KEY_MISSING = N_("signing key {file} is missing: put the till's key file back from its backup (a new key would be "
                 "refused by the journal)")
KEY_UNUSABLE = N_("signing key: {reason}")
KEY_OK = N_("signing key {file}: loads, key {fingerprint} is the one the journal expects")
KEY_LOADS = N_("signing key {file}: loads, key {fingerprint} (not compared with the journal: the database cannot be "
               "read)")
ANCHORS_OK = N_("anchors {folder}: agree with the journal (chains: {count})")
ANCHORS_BROKEN = N_("anchors: {problem} (problems: {count}): run till journal verify, then a manager acknowledges "
                    "after checking (till journal acknowledge-anchor)")
ANCHORS_WARNED = N_("anchors: {problem}")
JOURNAL_OK = N_("journal: every signature and link holds (records verified: {count})")
JOURNAL_BROKEN = N_("journal: {problem} (problems: {count}): run till journal verify for the list, keep the database "
                    "as it is and call the support")
CLOCK_OK = N_("clock {now} UTC: after the last record ({last} UTC)")
CLOCK_NO_RECORD = N_("clock {now} UTC: no record yet to compare with")
CLOCK_BEHIND = N_("clock {now} UTC is before the last record ({last} UTC): sales are refused; set the date and time "
                  "(timedatectl), then a manager acknowledges (till clock acknowledge)")
CLOCK_HELD = N_("clock: it went backwards and no manager acknowledged it yet: sales wait (till clock acknowledge)")
CLOCK_AHEAD = N_("clock {now} UTC is {hours} hours after the last record ({last} UTC): if the shop was not closed "
                 "that long, set the date and time (timedatectl)")
MESSAGES = (KEY_MISSING, KEY_UNUSABLE, KEY_OK, KEY_LOADS, ANCHORS_OK, ANCHORS_BROKEN, ANCHORS_WARNED, JOURNAL_OK,
            JOURNAL_BROKEN, CLOCK_OK, CLOCK_NO_RECORD, CLOCK_BEHIND, CLOCK_HELD, CLOCK_AHEAD)


def _anchor_store(config: Any) -> AnchorStore:
    return AnchorStore(config.resolve(config.till.anchor_dir), config.till.id)


def signing_key(config: Any) -> Iterable[Finding]:
    """The key file is there, private, an ECDSA P-256 key, and the one the till's key chain expects."""
    path = config.resolve(config.till.key_file)
    if not path.exists():
        yield Finding(FAIL, KEY_MISSING, {"file": str(path)})
        return
    try:
        signer = Signer.load(path)
    except TillError as refused:  # its message says the fix (chmod 600, not a key)
        yield Finding(FAIL, KEY_UNUSABLE, {"reason": refused})
        return
    params = {"file": str(path), "fingerprint": fingerprint(signer.key_id)}
    if shop_database(config) is None:
        yield Finding(OK, KEY_LOADS, params)
        return
    try:
        check_key_file(signer, config.till.id)
    except TillError as refused:  # another till's key, a retired one, a stopped rotation
        yield Finding(FAIL, KEY_UNUSABLE, {"reason": refused})
        return
    yield Finding(OK, KEY_OK, params)


def anchors(config: Any) -> Iterable[Finding]:
    """The tail anchors outside the database agree with the chains' last records (a cut tail)."""
    if shop_database(config) is None:
        return
    store = _anchor_store(config)
    found = check_anchors(store, [config.till.id])
    problems = found.problems + found.unacknowledged
    if problems:
        yield Finding(FAIL, ANCHORS_BROKEN, {"problem": problems[0], "count": len(problems)})
    for warning in found.warnings[:2]:
        yield Finding(WARN, ANCHORS_WARNED, {"problem": warning})
    if not problems:
        yield Finding(OK, ANCHORS_OK, {"folder": str(store.folder), "count": len(found.found)})


def journal(config: Any) -> Iterable[Finding]:
    """Every chain verifies, as ``till journal verify`` checks it (the anchors are the check above)."""
    if shop_database(config) is None:
        return
    report = verify_journal()
    if report.problems:
        yield Finding(FAIL, JOURNAL_BROKEN, {"problem": report.problems[0], "count": len(report.problems)})
    else:
        yield Finding(OK, JOURNAL_OK, {"count": sum(report.counts.values())})


def _minute(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M")


def clock_check(config: Any, now: dt.datetime | None = None) -> Iterable[Finding]:
    """The machine's clock against the till's last record: behind it, sales are refused
    (``till.fiscal.clock``); far ahead, the date may be wrong."""
    if shop_database(config) is None:
        return
    now = now or utcnow()
    till_id = config.till.id
    last = clock.last_sealed(till_id)
    params = {"now": _minute(now), "last": _minute(last) if last else ""}
    if clock.clock_behind(till_id, now) is not None:
        yield Finding(FAIL, CLOCK_BEHIND, params)
    elif clock.is_held(till_id):
        yield Finding(FAIL, CLOCK_HELD, params)
    elif last is None:
        yield Finding(OK, CLOCK_NO_RECORD, params)
    elif now - last > dt.timedelta(hours=config.fiscal.clock_jump_forward_hours):
        yield Finding(WARN, CLOCK_AHEAD, {**params, "hours": int((now - last).total_seconds() // 3600)})
    else:
        yield Finding(OK, CLOCK_OK, params)
