"""The rotation rule: the last of each hour for a day, of each day for a month, of each month for a year."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings, strategies as st

from till.backup.rotation import to_keep

NOW = dt.datetime(2026, 12, 7, 15, 30)


def test_hourly_then_daily_then_monthly():
    times = [NOW - dt.timedelta(minutes=20 * i) for i in range(3 * 24 * 400)]  # every 20 minutes for 400 days
    kept = to_keep(times, NOW, 24, 31, 12)
    last_day = [t for t in kept if NOW - t < dt.timedelta(hours=24)]
    hours = {(t.date(), t.hour) for t in times if NOW - t < dt.timedelta(hours=24)}
    assert len(last_day) == len(hours) == 25  # one per clock hour the last 24 hours touch
    assert all(t.minute == max(x.minute for x in times if (x.date(), x.hour) == (t.date(), t.hour))
               for t in last_day)
    days = {t.date() for t in kept}
    assert {NOW.date() - dt.timedelta(days=d) for d in range(31)} <= days
    months = {(t.year, t.month) for t in kept}
    assert len(months) == 12 and (2025, 12) not in months and (2026, 1) in months
    assert max(times) in kept
    assert len(kept) < 24 + 31 + 12 + 1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=-5, max_value=60 * 24 * 500), max_size=60, unique=True),
       st.integers(0, 48), st.integers(0, 40), st.integers(0, 14))
def test_properties(minutes_ago, hourly, daily, monthly):
    times = [NOW - dt.timedelta(minutes=m) for m in minutes_ago]
    kept = to_keep(times, NOW, hourly, daily, monthly)
    assert kept <= set(times)
    if times:
        assert max(times) in kept  # never left without a copy
    # each bucket keeps its newest: a backup with a newer one in its hour is never kept (same day, same month)
    for t in kept:
        if t <= NOW:
            assert not any(t < x <= NOW and (x.date(), x.hour) == (t.date(), t.hour) for x in times)
    # more generous settings never keep less
    assert kept <= to_keep(times, NOW, hourly + 1, daily + 1, monthly + 1)
    # idempotent: rotating what was kept keeps it all
    assert to_keep(kept, NOW, hourly, daily, monthly) == kept
    # at most one per bucket, plus the newest and the future ones
    assert len([t for t in kept if t <= NOW]) <= hourly + daily + monthly + 1
