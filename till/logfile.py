"""The till's log file: rotated by size, private from the first byte, shared by processes.

A till runs for years on a small SD card: ``till.log`` is rotated at ``till.log_max_kb`` into
``till.log.1`` ... ``till.log.N`` (``till.log_backups``), the oldest dropped. Each new file is
created 0600 before it is opened (``till.files.create_private``): the log names customers and
devices. The till and cron's ``till sync`` write the same file; a process whose file another
one has just rotated notices it (as ``logging.handlers.WatchedFileHandler`` does) and writes on
into the new file, rather than rotate a second time.
"""

from __future__ import annotations

import os
from logging import LogRecord
from logging.handlers import RotatingFileHandler

from till.files import create_private


class PrivateRotatingLog(RotatingFileHandler):
    """A ``RotatingFileHandler`` whose files are private and that follows another process's rotation."""

    def __init__(self, path: str | os.PathLike[str], max_kb: int, backups: int) -> None:
        super().__init__(path, maxBytes=max_kb * 1024, backupCount=backups, encoding="utf-8")

    def _open(self):
        create_private(self.baseFilename)
        return super()._open()

    def shouldRollover(self, record: LogRecord) -> bool:  # noqa: N802 - logging's name
        self._follow_rotation()
        return super().shouldRollover(record)

    def _follow_rotation(self) -> None:
        """Reopen the file by its name when the open one was renamed away (rotated elsewhere)."""
        if self.stream is None:
            return
        try:
            named = os.stat(self.baseFilename)
        except FileNotFoundError:
            named = None
        opened = os.fstat(self.stream.fileno())
        if named is None or (named.st_dev, named.st_ino) != (opened.st_dev, opened.st_ino):
            self.stream.close()
            self.stream = self._open()
