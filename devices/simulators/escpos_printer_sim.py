"""A receipt printer that speaks ESC/POS on a TCP socket (JetDirect, port 9100 style) or on a
pseudo-terminal (a serial printer), for tests and demos without hardware.

It records every byte it receives and answers the real-time status queries DLE EOT n the way an
Epson-compatible printer does (one byte, fixed bits 0xx1xx10), from its own state: paper out,
paper low, cover open, offline, drawer sensor. ``ESC p`` (drawer kick) opens its drawer. It can
also misbehave as broken hardware does: stay silent, answer garbage, hang (stop reading), stall
for a while in the middle of a receipt, or vanish in the middle of one.
It shares no code with the till's drivers: the bytes come from the ESC/POS reference.
"""

from __future__ import annotations

import os
import select
import socket
import threading

from devices.simulators.pty_line import BackgroundSimulator, close_fds, raw_pty


class PrinterState:
    """What the simulated printer would show on its panel."""

    def __init__(self) -> None:
        self.paper_out = False
        self.paper_low = False
        self.cover_open = False
        self.error = False
        self.drawer_open = False
        self.silent = False
        self.garbage = False
        self.hang = False
        self.unplug_after: int | None = None
        """Drop the connection once this many bytes arrived (a printer switched off mid-receipt)."""
        self.hang_up = False
        """Close the open connection now, cleanly (a printer's idle timeout); cleared when done."""
        self.connections = 0
        """Connections accepted so far: a driver that keeps its connection opens one."""
        self.received = bytearray()
        self.kicks: list[int] = []
        self.stall_after: int | None = None
        self.stall_s = 0.0
        """Once ``stall_after`` bytes arrived, read nothing (and answer nothing) for ``stall_s``
        seconds, then go on: a printer busy or jammed longer than the till waits (network simulator)."""

    def answer(self, n: int) -> bytes:
        """The byte a printer sends back for DLE EOT ``n``."""
        if self.garbage:
            return b"\xff"
        value = 0x12  # fixed bits
        offline = self.paper_out or self.cover_open or self.error
        if n == 1:
            value |= 0x04 if self.drawer_open else 0
            value |= 0x08 if offline else 0
        elif n == 2:
            value |= 0x04 if self.cover_open else 0
            value |= 0x20 if self.paper_out else 0
            value |= 0x40 if self.error else 0
        elif n == 3:
            value |= 0x20 if self.error else 0
        elif n == 4:
            value |= 0x0C if self.paper_low else 0
            value |= 0x60 if self.paper_out else 0
        return bytes([value])


class _Parser:
    """Finds DLE EOT n and ESC p m t1 t2 in the byte stream, across reads."""

    def __init__(self, state: PrinterState) -> None:
        self.state = state
        self.pending = b""

    def feed(self, data: bytes) -> bytes:
        self.state.received.extend(data)
        buffer = self.pending + data
        replies = b""
        i = 0
        while i < len(buffer):
            if buffer[i] == 0x10:
                if i + 2 >= len(buffer):
                    break
                if buffer[i + 1] == 0x04:
                    if not self.state.silent:
                        replies += self.state.answer(buffer[i + 2])
                    i += 3
                    continue
            elif buffer[i] == 0x1B:
                if i + 1 >= len(buffer) or (buffer[i + 1] == 0x70 and i + 4 >= len(buffer)):
                    break
                if buffer[i + 1] == 0x70:
                    self.state.kicks.append(2 if buffer[i + 2] in (0, 48) else 5)
                    self.state.drawer_open = True
                    i += 5
                    continue
            i += 1
        self.pending = buffer[i:]
        return replies


class NetworkPrinterSimulator(BackgroundSimulator):
    """A printer listening on 127.0.0.1:<port>; one connection at a time, like a real one."""

    def __init__(self, state: PrinterState | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = state or PrinterState()
        self._server = socket.create_server((host, port))
        self.host, self.port = self._server.getsockname()[:2]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True, name="escpos-sim")

    join_s = 2.0

    def _release(self) -> None:
        self._server.close()

    def _serve(self) -> None:
        self._server.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except (socket.timeout, OSError):
                continue
            self.state.connections += 1
            with conn:
                self._talk(conn)

    def _talk(self, conn: socket.socket) -> None:
        parser = _Parser(self.state)
        conn.settimeout(0.1)
        while not self._stop.is_set():
            if self.state.hang_up:
                self.state.hang_up = False
                return
            if self.state.hang:  # stops reading: the sender's buffers fill up, then it blocks
                self._stop.wait(0.05)
                continue
            try:
                data = conn.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            if not data:
                return
            reply = parser.feed(data)
            if self.state.stall_after is not None and len(self.state.received) >= self.state.stall_after:
                self.state.stall_after = None  # once
                self._stop.wait(self.state.stall_s)
            if self.state.unplug_after is not None and len(self.state.received) >= self.state.unplug_after:
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                return  # closed with a reset, as a printer losing power would
            if reply:
                try:
                    conn.sendall(reply)
                except OSError:
                    return


class PtyPrinterSimulator(BackgroundSimulator):
    """A serial printer on a pseudo-terminal: give ``path`` to the driver under test."""

    def __init__(self, state: PrinterState | None = None) -> None:
        self.state = state or PrinterState()
        self.master, self._slave, self.path = raw_pty()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True, name="escpos-pty-sim")

    join_s = 1.0

    def _release(self) -> None:
        close_fds(self.master, self._slave)

    def _serve(self) -> None:
        parser = _Parser(self.state)
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if not ready or self.state.hang:
                continue
            try:
                data = os.read(self.master, 4096)
            except OSError:  # EIO: the driver closed its end
                continue
            reply = parser.feed(data)
            if reply:
                os.write(self.master, reply)
