"""``till doctor``'s checks: what a technician should know about a till before trusting it.

Each check is a function of the configuration returning findings: OK, WARN (works, but
something should be done) or FAIL (unsafe or broken; ``till doctor`` exits 1). ``CHECKS`` lists
them in the order they are printed; a new check (devices, disk space, clock...) is one more
function appended there. A check that breaks is itself a FAIL finding, never a traceback.

The first check is the privacy of the shop's files (``till.shop.permissions``): each one's mode and
owner. A file other users may open fails; one the group may open, or owned by another user
than the one running the check (the till's), is a warning.
"""

from __future__ import annotations

import grp
import logging
import os
import pwd
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from till.i18n import N_, translate
from till.shop.permissions import sensitive_files

__all__ = ["OK", "WARN", "FAIL", "Finding", "CHECKS", "run_checks", "file_permissions", "log_file", "MESSAGES"]

log = logging.getLogger(__name__)

OK, WARN, FAIL = "OK", "WARN", "FAIL"

FILE_OK = N_("{kind} {file}: mode {mode}, owner {owner}")
FILE_GROUP_MAY_READ = N_("{kind} {file}: mode {mode}, owner {owner}, group {group} may read it")
FILE_OTHERS = N_("{kind} {file}: mode {mode}: every user of this machine can open it (chmod {wanted})")
FILE_GROUP = N_("{kind} {file}: mode {mode}: group {group} can open it (chmod {wanted})")
FILE_OWNER = N_("{kind} {file}: owned by {owner}, not by {user} who runs the till (chown {user})")
FILE_MISSING = N_("{kind} {file} is missing")
CHECK_BROKE = N_("The check {check} could not run: {reason}")
LOG_OK = N_("log file {file}: writable")
LOG_UNWRITABLE = N_("log file {file} cannot be written ({reason}): errors are not kept (fix log_file)")
MESSAGES = (FILE_OK, FILE_GROUP_MAY_READ, FILE_OTHERS, FILE_GROUP, FILE_OWNER, FILE_MISSING, CHECK_BROKE,
            LOG_OK, LOG_UNWRITABLE)


@dataclass(frozen=True)
class Finding:
    """One line of ``till doctor``: a status and a message to translate."""

    status: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str | None = None) -> str:
        """The message in ``lang``; names of file kinds are translated too."""
        params = dict(self.params)
        if "kind" in params:
            params["kind"] = translate(str(params["kind"]), lang)
        return translate(self.message, lang, **params)


Check = Callable[[Any], Iterable[Finding]]


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
    """Mode and owner of each file holding secrets or customers."""
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
            yield Finding(OK, FILE_GROUP_MAY_READ if mode & 0o040 else FILE_OK, params)


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


CHECKS: list[Check] = [file_permissions, log_file]
"""Run in this order by ``till doctor``."""


def run_checks(config: Any, checks: Iterable[Check] | None = None) -> list[Finding]:
    """Every finding of ``checks`` (default: ``CHECKS``) on ``config``'s till."""
    findings: list[Finding] = []
    for check in CHECKS if checks is None else checks:
        try:
            findings += list(check(config))
        except Exception as error:  # noqa: BLE001 - one broken check must not hide the others
            log.exception("doctor check %s failed", check.__name__)
            findings.append(Finding(FAIL, CHECK_BROKE, {"check": check.__name__, "reason": str(error)}))
    return findings
