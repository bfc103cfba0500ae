"""What a sale needs, loaded in the background while the cashier types a PIN.

The till's start imports only what its login screen and start-up checks need, so the login
screen comes up fast. The sale screen, the payment screen, the outbox's print jobs and the rest
are imported right after the login screen is drawn, by a thread worker (``TillApp``): the
cashier's first scan then finds them loaded. Importing in a thread is safe in CPython (the
import lock makes a screen that asks for a module being loaded wait for it, never load it twice).
"""

from __future__ import annotations

import importlib
import time

SALE_MODULES = (
    "till.ui.screens.sale",
    "till.ui.screens.payment",
    "till.aftersale.jobs",
    "till.ui.dialogs.manager_pin",
    "till.ui.dialogs.keys_help",
    "till.returns.lines",
    "till.ui.returns.screen",
)
"""The sale screen (with the basket, checkout and ticket writer it imports), the outbox's jobs
(printing after the first sale), the dialogs of the app's keys, and what a receipt's code
scanned at the sale screen opens. Loaded in this order: the first scan needs the first."""


SETTLE_S = 0.15
"""How long the background thread waits first: the login screen's frame is written to the
terminal by Textual's writer thread, and imports running meanwhile would compete with it for
the interpreter. A cashier takes longer than this to type a login and a PIN."""


def warm_up(modules: tuple[str, ...] = SALE_MODULES, settle_s: float = SETTLE_S) -> None:
    """Import ``modules`` (those already loaded cost nothing), after ``settle_s`` seconds."""
    time.sleep(settle_s)
    for name in modules:
        importlib.import_module(name)
