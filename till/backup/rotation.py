"""Which backups to keep: the last of each hour for a day, of each day for a month, of each month
for a year (``[backup] keep_hourly_h``, ``keep_daily_d``, ``keep_monthly_m``).

A pure function of the backups' times and now, so the rule is tested on its own (properties in
tests/backup/test_rotation.py) and the folder is only ever touched by ``make``. The newest
backup is always kept, whatever the settings: a rotation never leaves a shop without a copy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

__all__ = ["to_keep"]


def to_keep(times: Iterable[dt.datetime], now: dt.datetime, keep_hourly_h: int = 24, keep_daily_d: int = 31,
            keep_monthly_m: int = 12) -> set[dt.datetime]:
    """The times among ``times`` whose backups are kept at ``now`` (all naive UTC).

    In each hour of the last ``keep_hourly_h`` hours, the newest backup of that hour; likewise
    per day for ``keep_daily_d`` days and per month for ``keep_monthly_m`` months (a month
    counted back from now's month). A backup dated after ``now`` (a clock set back) is kept.
    """
    times = sorted(set(times))
    if not times:
        return set()
    kept = {times[-1]} | {t for t in times if t > now}
    buckets: dict[tuple, dt.datetime] = {}
    for t in times:  # ascending: the newest of each bucket wins
        if now - t < dt.timedelta(hours=keep_hourly_h):
            buckets[("h", t.date(), t.hour)] = t
        if (now.date() - t.date()).days < keep_daily_d:
            buckets[("d", t.date())] = t
        if (now.year - t.year) * 12 + now.month - t.month < keep_monthly_m:
            buckets[("m", t.year, t.month)] = t
    return kept | set(buckets.values())
