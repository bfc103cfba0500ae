"""Fixtures of the selling tests: a Concert card terminal on a pty, journaled as the till's is."""

from __future__ import annotations

import pytest

from devices.payment.concert import ConcertTerminal, ConcertTimeouts
from devices.simulators.concert_sim import ConcertSimulator
from till.selling.card_journal import JournaledTerminal


@pytest.fixture
def concert(shop):
    """(the simulator, the shop's journaled Concert terminal on it): short timeouts."""
    with ConcertSimulator(step_s=0.2) as simulator:
        driver = ConcertTerminal(simulator.path, timeouts=ConcertTimeouts(0.2, 1.0, 2))
        yield simulator, JournaledTerminal(driver, shop.ctx.till_id, sealer=shop.ctx.sealer)
