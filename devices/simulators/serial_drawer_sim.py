"""Serial cash drawers for tests: they open when they receive their opening bytes (BEL, 0x07,
by default; ``any_byte`` for drawers that fire on any character) and record what they got.

``SerialDrawerSimulator`` sits on a pseudo-terminal. A pty has no modem lines, so the drawer's
sensor cannot be shown on CTS/DSR there: the driver must report "unknown", which it checks.
``Rfc2217DrawerSimulator`` is the same drawer behind an RFC 2217 serial device server (as a
Moxa-style box would be), whose protocol carries the modem lines: the sensor is read for real.
"""

from __future__ import annotations

import os
import select
import socket
import threading

from devices.simulators.pty_line import BackgroundSimulator, close_fds, raw_pty


class SerialDrawerSimulator(BackgroundSimulator):
    def __init__(self, open_bytes: bytes = b"\x07", any_byte: bool = False) -> None:
        self.open_bytes = open_bytes
        self.any_byte = any_byte
        self.received = bytearray()
        self.openings = 0
        self.master, self._slave, self.path = raw_pty()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True, name="drawer-sim")

    join_s = 1.0

    def _release(self) -> None:
        close_fds(self.master, self._slave)

    def _serve(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(self.master, 256)
            except OSError:
                continue
            before = len(self.received)
            self.received.extend(data)
            if self.any_byte:
                self.openings += 1
            elif self.open_bytes in bytes(self.received[max(0, before - len(self.open_bytes)):]):
                self.openings += 1


class _DrawerPort:
    """The serial port of a drawer as an RFC 2217 server sees it: settings, and modem lines
    driven by the drawer's switch (wired to ``line``, HIGH when open unless ``open_level``)."""

    def __init__(self, line: str, open_level: str) -> None:
        self.line, self.open_level = line, open_level
        self.drawer_open = False
        self.baudrate, self.bytesize, self.parity, self.stopbits = 9600, 8, "N", 1
        self.xonxoff = self.rtscts = self.break_condition = False
        self.dtr = self.rts = True

    def _level(self, name: str) -> bool:
        if name != self.line:
            return False
        return self.drawer_open == (self.open_level == "high")

    cts = property(lambda self: self._level("cts"))
    dsr = property(lambda self: self._level("dsr"))
    ri = property(lambda self: self._level("ri"))
    cd = property(lambda self: self._level("cd"))

    def reset_input_buffer(self) -> None:
        pass

    def reset_output_buffer(self) -> None:
        pass


class Rfc2217DrawerSimulator(BackgroundSimulator):
    """A serial drawer behind an RFC 2217 serial device server (``rfc2217://host:port``): unlike
    a pty, the protocol carries the modem lines, so the drawer's sensor can be read for real.
    Opening bytes open the drawer; ``close_drawer()`` is the cashier pushing it shut."""

    def __init__(self, line: str = "cts", open_level: str = "high", open_bytes: bytes = b"\x07") -> None:
        self.port = _DrawerPort(line, open_level)
        self.open_bytes = open_bytes
        self.received = bytearray()
        self.openings = 0
        self._server = socket.create_server(("127.0.0.1", 0))
        self.host, self.tcp_port = self._server.getsockname()[:2]
        self.url = f"rfc2217://{self.host}:{self.tcp_port}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True, name="drawer-rfc2217-sim")

    join_s = 2.0

    def _release(self) -> None:
        self._server.close()

    def close_drawer(self) -> None:
        self.port.drawer_open = False

    def _serve(self) -> None:
        from serial.rfc2217 import PortManager  # deferred: pyserial only when a serial device is configured

        self._server.settimeout(0.05)
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except (socket.timeout, OSError):
                continue
            with conn:
                conn.settimeout(0.05)
                manager = PortManager(self.port, _Writer(conn))
                while not self._stop.is_set():
                    try:
                        data = conn.recv(1024)
                    except socket.timeout:
                        manager.check_modem_lines()
                        continue
                    except OSError:
                        break
                    if not data:
                        break
                    payload = b"".join(manager.filter(data))
                    if payload:
                        self.received.extend(payload)
                        if self.open_bytes in payload:
                            self.openings += 1
                            self.port.drawer_open = True
                    manager.check_modem_lines()


class _Writer:
    def __init__(self, conn) -> None:
        self.conn = conn

    def write(self, data: bytes) -> None:
        try:
            self.conn.sendall(data)
        except OSError:
            pass
