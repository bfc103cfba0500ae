"""The pseudo-terminal every serial device simulator sits on: the driver under test opens
``path`` as it would ``/dev/ttyUSB0``; the simulator reads and writes the other end."""

from __future__ import annotations

import os
import tty


def raw_pty(raw_master: bool = True) -> tuple[int, int, str]:
    """(master fd, slave fd, slave path), both ends raw: bytes pass untouched, no echo, no line
    discipline (a real serial line has none). ``raw_master=False`` leaves the master as it is."""
    master, slave = os.openpty()
    if raw_master:
        tty.setraw(master)
    tty.setraw(slave)
    return master, slave, os.ttyname(slave)


def close_fds(*fds: int) -> None:
    """Close each descriptor, ignoring one already closed (a simulator stopped twice)."""
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


class BackgroundSimulator:
    """A simulator that serves on its own thread (``self._thread``) until ``self._stop`` is set;
    a context manager. Subclasses free what they hold (a pty, a socket) in ``_release``."""

    join_s = 5.0

    def start(self):
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(self.join_s)
        self._release()

    close = stop
    """Tests and drivers say ``close`` of a printer, ``stop`` of a terminal: the same thing."""

    def _release(self) -> None:
        pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
