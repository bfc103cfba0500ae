"""The files of a shop: the configuration read, the privacy of each file holding secrets or
customers (``till.shop.permissions``), and the log file.

A file other users may open fails; one the group may open, or owned by another user than the
one running the check (the till's), is a warning.
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from till.i18n import N_, Phrase
from till.shop.doctor.findings import FAIL, OK, WARN, Finding
from till.shop.permissions import sensitive_files

__all__ = ["configuration", "file_permissions", "log_file", "MESSAGES"]

CONFIG_OK = N_("configuration {file}: read, till {till_id}")
CONFIG_PATH_MISSING = N_("configuration: {setting} names {path}, which does not exist (fix the path in {file})")
FILES_PRIVATE = N_("files holding secrets or customers: {count}, each private to {user}{group_note}")
GROUP_MAY_READ = N_(" (group {group} may read the log)")
FILE_OTHERS = N_("{kind} {file}: mode {mode}: every user of this machine can open it (chmod {wanted})")
FILE_GROUP = N_("{kind} {file}: mode {mode}: group {group} can open it (chmod {wanted})")
FILE_OWNER = N_("{kind} {file}: owned by {owner}, not by {user} who runs the till (chown {user})")
FILE_MISSING = N_("{kind} {file} is missing")
LOG_OK = N_("log file {file}: writable")
LOG_UNWRITABLE = N_("log file {file} cannot be written ({reason}): errors are not kept (fix log_file)")
MESSAGES = (CONFIG_OK, CONFIG_PATH_MISSING, FILES_PRIVATE, GROUP_MAY_READ, FILE_OTHERS, FILE_GROUP, FILE_OWNER,
            FILE_MISSING, LOG_OK, LOG_UNWRITABLE)


def configuration(config: Any) -> Iterable[Finding]:
    """The file was read (``till doctor`` stops with the loader's message, exit 2, when it cannot
    be: unknown keys and wrong values are refused there); the folders and files it names that
    the till cannot make itself must exist."""
    yield Finding(OK, CONFIG_OK, {"file": str(config.path), "till_id": config.till.id})
    named = [("till.key_file", config.resolve(config.till.key_file).parent)]
    ca_file = getattr(config.sync, "ca_file", None) if config.sync is not None else None
    if ca_file:
        named.append(("sync.ca_file", Path(ca_file)))
    for setting, path in named:
        if not path.exists():
            yield Finding(WARN, CONFIG_PATH_MISSING, {"setting": setting, "path": str(path), "file": str(config.path)})


def _user(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def file_permissions(config: Any) -> Iterable[Finding]:
    """Mode and owner of each file holding secrets or customers: one line per file to fix, and
    one line for all the files that are right (the doctor's output stays on one screen)."""
    private = 0
    readers: set[str] = set()
    for file in sensitive_files(config):
        try:
            info = file.path.stat()
        except FileNotFoundError:
            if file.required:
                yield Finding(FAIL, FILE_MISSING, {"kind": file.kind, "file": str(file.path)})
            continue
        mode = stat.S_IMODE(info.st_mode)
        params = {"kind": file.kind, "file": str(file.path), "mode": f"{mode:04o}", "owner": _user(info.st_uid),
                  "group": _group(info.st_gid), "wanted": f"{file.allowed & 0o777:o}",
                  "user": _user(os.geteuid())}
        if mode & 0o007:
            yield Finding(FAIL, FILE_OTHERS, params)
        elif mode & 0o070 & ~file.allowed:
            yield Finding(WARN, FILE_GROUP, params)
        elif info.st_uid != os.geteuid():
            yield Finding(WARN, FILE_OWNER, params)
        else:
            private += 1
            if mode & 0o040:
                readers.add(params["group"])
    if private:
        note = Phrase(GROUP_MAY_READ, (("group", ", ".join(sorted(readers))),)) if readers else ""
        yield Finding(OK, FILES_PRIVATE, {"count": private, "user": _user(os.geteuid()), "group_note": note})


def log_file(config: Any) -> Iterable[Finding]:
    """The log file can be appended to: the commands only warn once when it cannot, and the
    till's screens not at all, so a technician learns it here before needing the log."""
    path = config.resolve(config.till.log_file)
    try:
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as error:
        yield Finding(WARN, LOG_UNWRITABLE, {"file": str(path), "reason": error.strerror or str(error)})
    else:
        yield Finding(OK, LOG_OK, {"file": str(path)})

