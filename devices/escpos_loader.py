"""Import python-escpos only when an ESC/POS driver is used, and undo its import side effects.

devices.md §1: importing ``escpos`` parses a 96 KB capabilities file (0.2 s here, seconds on a
Pi) into a pickle cache kept in a fresh temporary folder per process unless
``ESCPOS_CAPABILITIES_PICKLE_DIR`` names an existing one; and it calls ``logging.basicConfig()``,
whose stderr handler would write over the Textual screen (and its module-level ``logging.info``
calls do the same again later whenever the root logger has no handler). So: a persistent cache folder under
the user cache directory, created before the import, and the root handlers it added removed.

Once loaded it still talks: an INFO line through the root logger at every connection opened
and closed (into till.log, twice a second when a drawer sensor was read that way), and
``print()`` calls ("Using hardware barcode renderer") on the terminal the cashier looks at.
Its INFO lines are filtered out of the root logger (warnings and errors still get through), and
its prints become DEBUG lines of the ``escpos`` logger, which is set to WARNING.
(Its ``mkdtemp()`` default runs even when the variable is set: that folder is made in ours and
removed, so a till started every morning does not leave a folder in /tmp each day.)
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import threading
from pathlib import Path
from types import ModuleType

from platformdirs import user_cache_dir

_lock = threading.Lock()
_module: ModuleType | None = None


def cache_dir() -> Path:
    """The folder of python-escpos's capabilities cache (kept between runs)."""
    configured = os.environ.get("ESCPOS_CAPABILITIES_PICKLE_DIR")
    if configured:
        return Path(configured)

    return Path(user_cache_dir("till")) / "escpos"


def escpos() -> ModuleType:
    """The ``escpos.printer`` module, imported once, cleanly."""
    global _module
    with _lock:
        if _module is None:
            folder = cache_dir()
            folder.mkdir(parents=True, exist_ok=True)  # escpos does not create it (FileNotFoundError)
            os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"] = str(folder)
            root = logging.getLogger()
            before = list(root.handlers)
            # capabilities.py reads the folder with ``environ.get(NAME, mkdtemp())``: the default
            # is evaluated anyway, so a temporary folder is made even when NAME is set. Make it
            # inside our cache folder, and remove it there.
            saved_tempdir = tempfile.tempdir
            tempfile.tempdir = str(folder)
            try:
                import escpos.printer as module  # deferred: python-escpos is heavy and only a receipt printer needs it
            finally:
                tempfile.tempdir = saved_tempdir
            for leaked in folder.glob("tmp*"):
                try:
                    leaked.rmdir()  # only if empty: never anything of ours
                except OSError:
                    pass

            for handler in list(root.handlers):
                if handler not in before:  # basicConfig's StreamHandler(stderr)
                    root.removeHandler(handler)
            if not root.handlers:
                # escpos logs through ``logging.info(...)``, which runs basicConfig() again on a
                # root logger without handlers: give it one that writes nowhere (the till's own
                # logging configuration, set up before, replaces it with its log file).
                root.addHandler(logging.NullHandler())
            _quieten()
            _module = module
        return _module


class _EscposChatter(logging.Filter):
    """Drops python-escpos's own INFO and DEBUG lines logged through the root logger."""

    def __init__(self, folder: str) -> None:
        super().__init__()
        self.folder = folder

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or not record.pathname.startswith(self.folder)


def _quieten() -> None:
    """Keep python-escpos's chatter out of till.log and off the terminal (see the module's doc)."""
    package = sys.modules["escpos"]
    folder = os.path.dirname(package.__file__ or "") + os.sep
    root = logging.getLogger()
    if not any(isinstance(existing, _EscposChatter) for existing in root.filters):
        root.addFilter(_EscposChatter(folder))
    chatter = logging.getLogger("escpos")
    chatter.setLevel(logging.WARNING)

    def to_debug_log(*values, **_options) -> None:
        chatter.debug(" ".join(str(value) for value in values))

    for name, module in list(sys.modules.items()):
        if name == "escpos" or name.startswith("escpos."):
            module.print = to_debug_log  # type: ignore[attr-defined]  # its print() calls find this first
