"""The VAT rates table held to its sealed events (fiscal-fr.md R-INA-05, R-JET-01).

A ticket line copies its rate's value when it is written, so a rate changed in the table changes
no sealed ticket; but it changes every ticket written after, quietly, and a rate edited back
afterwards leaves no trace. So each rate the till adds is a VAT_RATE_CHANGED event of chain L,
sealed with the row (code, label, value in basis points, validity dates), who added it and the
value it follows; ``check_vat_rates`` replays the events and compares them with the table, as
the users check does (``till journal verify``):

- a rate row no event added is reported (added outside the till);
- a label, value or end date that differs from the last sealed one is reported;
- a rate sealed as added but missing from the table is reported.

A rate is identified by its code and the date it applies from: a new rate for a code is a new
row from a later date (``add_vat_rate``), never an edit of the old one. A shop set up before
rates were sealed seals them once as found (``seal_unsealed_vat_rates``, run by ``till journal
baseline``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from store.models import FiscalRecord, VatRate
from till.errors import TillError
from till.fiscal.chain import Sealer, current_database
from till.fiscal.events import EVENT_CHAIN, record_event
from till.fiscal.problems import Problem, table_finding
from till.selling.catalogue import forget_cached_rates

__all__ = ["VAT_RATE_CHANGED", "add_vat_rate", "parse_percent", "check_vat_rates", "seal_unsealed_vat_rates", "sealed_vat_rates"]

VAT_RATE_CHANGED = "VAT_RATE_CHANGED"
_SEALED_FIELDS = ("label", "rate_bp", "valid_to")


def _row(rate: VatRate) -> dict[str, Any]:
    """The sealed form of a rate row: dates as ISO text."""
    return {"code": rate.code, "label": rate.label, "rate_bp": rate.rate_bp,
            "valid_from": _date(rate.valid_from), "valid_to": _date(rate.valid_to)}


def _date(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, dt.date) else str(value)[:10]


def _seal(sealer: Sealer, rate: VatRate, change: str, user_id: int | None = None,
          previous: VatRate | None = None) -> None:
    details = {**_row(rate), "change": change}
    if previous is not None:
        details["previous_rate_bp"] = previous.rate_bp
        details["previous_valid_from"] = _date(previous.valid_from)
    record_event(sealer, VAT_RATE_CHANGED, f"VAT rate {change}", user_id=user_id, details=details)


_PERCENT = re.compile(r"([0-9]{1,3})(?:[.,]([0-9]{1,2}))?")


def parse_percent(text: str) -> int:
    """A rate typed in percent (``20``, ``5.5``, ``5,5``, ``2.10``) in basis points, without a
    float on the way (``5,5`` is 550)."""
    match = _PERCENT.fullmatch((text or "").strip())
    if match is None or int(match.group(1)) > 100:
        raise TillError("A VAT rate is written in percent, such as 20, 5.5 or 5,5, not {text}", text=text)
    return int(match.group(1)) * 100 + int((match.group(2) or "").ljust(2, "0"))


def add_vat_rate(sealer: Sealer, code: str, label: str, rate_bp: int, valid_from: dt.date,
                 user_id: int | None = None) -> VatRate:
    """A new value for VAT code ``code`` from ``valid_from`` on (the one before ends the day
    before), sealed with who added it and the value it follows, in one transaction."""
    if isinstance(rate_bp, bool) or not isinstance(rate_bp, int) or not 0 <= rate_bp <= 10_000:
        raise TillError("A VAT rate is a whole number of basis points from 0 to 10000 (550 for 5.5 percent)")
    with current_database().atomic():
        previous = (VatRate.select().where((VatRate.code == code) & (VatRate.valid_from < valid_from))
                    .order_by(VatRate.valid_from.desc()).first())
        if VatRate.select().where((VatRate.code == code) & (VatRate.valid_from >= valid_from)).exists():
            raise TillError("VAT rate {code} already has a value from {date} or later", code=code,
                            date=valid_from.isoformat())
        if previous is not None and (previous.valid_to is None or _date(previous.valid_to) >= valid_from.isoformat()):
            VatRate.update(valid_to=valid_from - dt.timedelta(days=1)).where(VatRate.id == previous.id).execute()
            ended = VatRate.get_by_id(previous.id)
            _seal(sealer, ended, "ended", user_id)
        rate = VatRate.create(code=code, label=label, rate_bp=rate_bp, valid_from=valid_from)
        _seal(sealer, rate, "added", user_id, previous)
    forget_cached_rates()
    return rate


def seed_vat_rate(sealer: Sealer | None, code: str, label: str, rate_bp: int, valid_from: dt.date) -> VatRate:
    """A shop's starting rate (``till init``), sealed when it is created (idempotent)."""
    rate, created = VatRate.get_or_create(code=code, valid_from=valid_from,
                                          defaults={"label": label, "rate_bp": rate_bp})
    if created and sealer is not None:
        _seal(sealer, rate, "added")
    return rate


def sealed_vat_rates() -> dict[tuple[str, str], dict[str, Any]]:
    """(code, valid_from) -> the last sealed row of that rate, in the order the events were sealed."""
    rates: dict[tuple[str, str], dict[str, Any]] = {}
    rows = (FiscalRecord.select(FiscalRecord.payload)
            .where((FiscalRecord.chain == EVENT_CHAIN) & (FiscalRecord.kind == VAT_RATE_CHANGED))
            .order_by(FiscalRecord.created_at, FiscalRecord.id).tuples())
    for (payload,) in rows:
        try:
            details = json.loads(payload)["details"]
            key_of_rate = (details["code"], details["valid_from"])
        except (TypeError, ValueError, KeyError):
            continue
        state = rates.setdefault(key_of_rate, {})
        if details.get("change") == "added":
            state["added"] = True
        state.update({name: details[name] for name in _SEALED_FIELDS if name in details})
    return rates


def check_vat_rates() -> tuple[list[Problem], list[Problem]]:
    """(problems, warnings) of the VAT rates table against the sealed VAT_RATE_CHANGED events."""
    sealed = sealed_vat_rates()
    problems: list[Problem] = []
    seen = set()
    for rate in VatRate.select().order_by(VatRate.code, VatRate.valid_from):
        row = _row(rate)
        where = (row["code"], row["valid_from"])
        seen.add(where)
        state = sealed.get(where, {})
        if not state.get("added"):
            problems.append(table_finding("VAT rate {code} from {valid_from} has no sealed record of being added "
                                          "(added outside the till)", code=row["code"], valid_from=row["valid_from"]))
            continue
        for name in _SEALED_FIELDS:
            if name in state and state[name] != row[name]:
                problems.append(table_finding("VAT rate {code} from {valid_from}: {field} is {value}, the sealed "
                                              "events say {sealed}", code=row["code"], valid_from=row["valid_from"],
                                              field=name, value=row[name], sealed=state[name]))
    for (code, valid_from), state in sorted(sealed.items()):
        if state.get("added") and (code, valid_from) not in seen:
            problems.append(table_finding("VAT rate {code} from {valid_from} sealed as added is missing from the "
                                          "table", code=code, valid_from=valid_from))
    return problems, []


def seal_unsealed_vat_rates(sealer: Sealer) -> int:
    """Seal, as found, every rate row no event added yet (a shop set up before rates were
    sealed); the number sealed. Run by ``till journal baseline``."""
    sealed = sealed_vat_rates()
    count = 0
    with current_database().atomic():
        for rate in VatRate.select().order_by(VatRate.code, VatRate.valid_from):
            if sealed.get((rate.code, _date(rate.valid_from)), {}).get("added"):
                continue
            record_event(sealer, VAT_RATE_CHANGED, "VAT rate sealed as found (baseline)",
                         details={**_row(rate), "change": "added", "baseline": True})
            count += 1
    return count
