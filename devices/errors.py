"""Errors of the till's devices, shown to the cashier and retried by the outbox.

They are ``TillError``s, so the status line can say in French or English what is wrong with the
printer or the drawer, and the message names what to do (plug it in, add paper, join a group).
"""

from __future__ import annotations

from till.errors import TillError
from till.i18n import N_

DRAWER_TOO_LATE = N_("The drawer was not opened in time; it is not opened late")
"""Said when a drawer's deadline passed before its kick could be sent (it is never sent later)."""


class DeviceError(TillError):
    """A device cannot do what was asked now; nothing was sold or lost because of it."""


class PrinterError(DeviceError):
    """The printer cannot print now (offline, out of paper...); the job will be retried."""


class PrintIncomplete(PrinterError):
    """The printer failed after part of a document was sent: part of it may be on paper, so the
    next full copy of a receipt is a duplicate (``till.aftersale.lost_prints``)."""


class DrawerError(DeviceError):
    """The cash drawer could not be opened or read."""


class DeviceConfigError(DeviceError):
    """The device settings name something that does not exist (a driver, a profile, a code page)."""
