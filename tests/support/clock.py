"""The sealer's clock in tests that write a past history, as a shop lived it.

A ticket is signed when it is sold (``till.fiscal.clock.TICKET_TIME_SLACK``), so a test that
writes a sale "three days ago" sets the clock the records are sealed with to that time, as the
till's clock read then.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from typing import Iterator
from unittest import mock


@contextmanager
def sealing_at(when: dt.datetime) -> Iterator[None]:
    """Records sealed inside are stamped ``when`` (naive UTC, to the second)."""
    if when.tzinfo is not None:
        when = when.astimezone(dt.timezone.utc).replace(tzinfo=None)
    with mock.patch("till.fiscal.chain.utcnow", lambda: when):
        yield
