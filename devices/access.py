"""Can this till open that device file? And if not, what should the technician do?

Why a module of its own: every serial, input and printer device fails the same three ways on a
Pi (the path is not there, the user is not in the device's group, another program holds it),
and a technician at the counter needs the fix in one sentence, with the group to join, not an
``OSError(13)``. ``till devices list`` and every driver use these same messages.
"""

from __future__ import annotations

import errno
import getpass
import grp
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from till.errors import TillError
from till.i18n import N_

PATH_MISSING = N_("{path} does not exist: check the cable and the device name in the configuration")
PERMISSION_DENIED = (
    N_("Permission denied on {path}: add user {user} to group {group} (sudo usermod -aG {group} {user}),"
       " then log in again")
)
DEVICE_BUSY = N_("{path} is busy: another program holds it (ModemManager, a second till, a console)")
DEVICE_GONE = N_("{path} stopped answering or was unplugged")
CANNOT_OPEN = N_("Cannot open {path}: {reason}")

MESSAGES = (PATH_MISSING, PERMISSION_DENIED, DEVICE_BUSY, DEVICE_GONE, CANNOT_OPEN)

GROUPS_BY_PREFIX = (
    ("/dev/input/", "input"),
    ("/dev/ttyUSB", "dialout"),
    ("/dev/ttyACM", "dialout"),
    ("/dev/ttyS", "dialout"),
    ("/dev/ttyAMA", "dialout"),
    ("/dev/serial/", "dialout"),
    ("/dev/usb/lp", "lp"),
    ("/dev/bus/usb/", "lp"),
)
"""The group Debian / Raspberry Pi OS gives each kind of device (udev rules in config/udev
follow the same choice), used when the file's own group cannot be read (e.g. it is missing)."""


class DeviceAccessError(TillError):
    """A device file cannot be opened; the message says what to fix."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message, **params)
        self.group = params.get("group")


def expected_group(path: str | Path) -> str | None:
    """The group a device at ``path`` usually belongs to, from its name alone."""
    text = str(path)
    for prefix, group in GROUPS_BY_PREFIX:
        if text.startswith(prefix):
            return group
    return None


def owning_group(path: str | Path) -> str | None:
    """The group of the file ``path`` points to (symlinks followed), else the usual one."""
    try:
        gid = os.stat(path).st_gid
        return grp.getgrgid(gid).gr_name
    except (OSError, KeyError):
        return expected_group(path)


def current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no name in the environment: still say something useful
        return str(os.getuid())


@dataclass(frozen=True)
class PathCheck:
    """What ``till devices list`` shows for one device path."""

    path: str
    exists: bool
    group: str | None
    problem: DeviceAccessError | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def check_path(path: str | Path, write: bool = True, *,
               access: Callable[[str, int], bool] | None = None) -> PathCheck:
    """Whether ``path`` exists and this user may open it (read, and write when ``write``).

    ``access`` is the operating system's by default; it is a parameter so a check can be shown
    for another user's rights (tests run as root, who may open anything).
    """
    access = access or os.access
    text = str(path)
    group = owning_group(text)
    if not os.path.exists(text):
        problem = DeviceAccessError(PATH_MISSING, path=text)
        return PathCheck(text, False, group, problem)
    mode = os.R_OK | (os.W_OK if write else 0)
    if access(text, mode):
        return PathCheck(text, True, group, None)
    return PathCheck(text, True, group, permission_error(text, group))


def permission_error(path: str, group: str | None = None) -> DeviceAccessError:
    """The "join this group" message for ``path``."""
    group = group or owning_group(path) or "dialout"
    return DeviceAccessError(PERMISSION_DENIED, path=path, user=current_user(), group=group)


def explain_os_error(path: str | Path, error: OSError) -> DeviceAccessError:
    """Turn the ``OSError`` of opening or using ``path`` into the technician's sentence."""
    text = str(path)
    if error.errno == errno.ENOENT:
        return DeviceAccessError(PATH_MISSING, path=text)
    if error.errno in (errno.EACCES, errno.EPERM):
        return permission_error(text)
    if error.errno == errno.EBUSY:
        return DeviceAccessError(DEVICE_BUSY, path=text)
    if error.errno in (errno.ENODEV, errno.EIO, errno.ENXIO):
        return DeviceAccessError(DEVICE_GONE, path=text)
    return DeviceAccessError(CANNOT_OPEN, path=text, reason=error.strerror or str(error))
