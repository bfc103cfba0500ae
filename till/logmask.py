"""Credit-note codes never appear whole in a log: they are cash to whoever reads them.

A code (``AV-7K3M-Q9XP-2D4F-H8RT-W``, see ``till.credit.notes``) is written in logs as
``AV-****-****-****-*8RT-W``: the prefix, then every character masked but the last four (three
of the body and the check character). That is enough to tell a voucher in the customer's hand
from the line of the log, and leaves 65 random bits unknown, far too many to guess.

``mask_code`` masks one code; ``mask_codes`` masks every code-shaped run in a text, whatever
its case and separators (typed, scanned, in a URL, in an error message or a traceback).
``MaskingFilter`` does it to every record a handler or logger passes: the till installs it on
its log handlers (``till.cli.main.setup_logging``), head office on its handlers and on uvicorn's
access log, which prints ``/v1/credit-notes/{code}/...`` URLs.

Only the standard library is imported: head office uses this module without the till's
database models (it shares it as it shares ``till.sync.protocol``).
"""

from __future__ import annotations

import logging
import re

__all__ = ["mask_code", "mask_codes", "MaskingFilter", "install"]

PREFIX = "AV"
CODE_CHARACTERS = 17
"""16 random characters in four groups and a check character (``till.credit.notes``)."""
KEPT = 4
"""Characters left readable at the end of a code."""
MASK = "*"

_GROUP = r"[-\s_.]?[0-9A-Z]{4}"
_CODE = re.compile(rf"{PREFIX}{_GROUP * 4}[-\s_.]?[0-9A-Z]", re.IGNORECASE)
"""``AV``, four groups of four letters or digits and a check character, separators (optional)
between groups only: a code printed, typed or scanned in any case, and not ordinary words. A
code glued to other letters is masked too: masking a little too much is harmless."""
_SEPARATORS = re.compile(r"[-\s_.]")


def mask_code(code: str) -> str:
    """``code`` with all but its last four characters masked, in the printed form of a code
    (``AV-****-****-****-*8RT-W``); text not shaped like a code is masked but its last four."""
    compact = _SEPARATORS.sub("", str(code)).upper()
    if len(compact) != len(PREFIX) + CODE_CHARACTERS or not compact.startswith(PREFIX):
        return MASK * max(len(compact) - KEPT, 0) + compact[-KEPT:] if len(compact) > KEPT else MASK * len(compact)
    characters = compact[len(PREFIX):]
    hidden = MASK * (CODE_CHARACTERS - KEPT) + characters[-KEPT:]
    body, check = hidden[:-1], hidden[-1]
    return "-".join([PREFIX, *(body[i:i + 4] for i in range(0, len(body), 4)), check])


def mask_codes(text: str) -> str:
    """``text`` with every credit-note code in it masked by ``mask_code``."""
    return _CODE.sub(lambda match: mask_code(match.group(0)), text)


class MaskingFilter(logging.Filter):
    """Masks credit-note codes in a record's message, arguments and traceback before any
    handler writes it. The record is changed in place, so every handler and formatter after
    this one sees the masked text. Arguments are masked one by one and keep their places, so a
    formatter that reads them (uvicorn's access formatter unpacks the request line from them)
    still works; a code split between the message and an argument is masked in the whole text."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask_codes(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_masked_argument(value) for value in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _masked_argument(value) for key, value in record.args.items()}
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string: logging reports it itself
            return True
        masked = mask_codes(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_codes(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_codes(record.stack_info)
        return True


def _masked_argument(value: object) -> object:
    """``value`` itself, or its masked text when that text holds a code (an error, a path)."""
    if isinstance(value, (int, float)) or value is None:
        return value
    text = value if isinstance(value, str) else str(value)
    masked = mask_codes(text)
    return value if masked == text else masked


def install(*targets: logging.Handler | logging.Logger) -> None:
    """Put one ``MaskingFilter`` on each handler or logger (once: a second call adds nothing)."""
    for target in targets:
        if not any(isinstance(existing, MaskingFilter) for existing in target.filters):
            target.addFilter(MaskingFilter())
