"""Turn "cannot open this device file" into a printer or drawer error a technician can act on.

The sentences (missing path, group to join: ``lp`` for /dev/usb/lp*, ``dialout`` for serial
ports, busy, gone) are ``devices.access``'s, shared by every driver and ``till devices list``;
here they keep the printer's or drawer's error type, so the outbox and the status line know
which device is meant. python-escpos wraps the ``OSError`` in its own exception (with the errno
only in the chain or the text), so the original is looked for there.
"""

from __future__ import annotations

import errno

from devices.access import explain_os_error
from devices.errors import DeviceError

_BY_TEXT = (("No such file or directory", errno.ENOENT), ("Permission denied", errno.EACCES),
            ("Resource busy", errno.EBUSY), ("Input/output error", errno.EIO), ("No such device", errno.ENODEV))


def os_error_in(error: BaseException | None) -> OSError | None:
    """The ``OSError`` with an errno behind ``error`` (itself, its cause or context, or its text)."""
    seen = 0
    current = error
    while current is not None and seen < 5:
        if isinstance(current, OSError) and current.errno:
            return current
        current = current.__cause__ or current.__context__
        seen += 1
    text = str(error)
    for fragment, code in _BY_TEXT:
        if fragment in text:
            return OSError(code, fragment)
    return None


def explain(error: BaseException, device: str, kind: type[DeviceError]) -> DeviceError:
    """``error`` as a ``kind`` naming ``device`` and what to do about it."""
    found = os_error_in(error)
    if found is None:
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        found = OSError(0, lines[-1] if lines else type(error).__name__)
    access = explain_os_error(device, found)
    return kind(access.message, **access.params)
