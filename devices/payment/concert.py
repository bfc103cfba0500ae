"""Concert V2 (E+): the French cash-register link to a card terminal over serial or USB-CDC.

Our own codec, so that amounts stay integer cents (the PyPI libraries use floats) and every
step has its own timeout (devices.md section 4). Three layers, each testable alone:

- the message codec (``encode_request``/``decode_answer``): fixed-position ASCII fields;
- the frame codec (``frame``/``unframe``/``lrc``): STX text ETX LRC, LRC = XOR after STX up to
  and including ETX;
- the dialogue (``ConcertLink.transact``): ENQ/ACK, request frame with NAK-and-resend, EOT, then
  the terminal's ENQ, its answer frame (we NAK a bad LRC so it resends), its EOT.

Operation types follow the reference: ``0`` debit (sale), ``1`` credit (refund to the card),
``2`` cancellation of a transaction (the reference calls it "refund"; the official spec must
confirm before deployment).
"""

from __future__ import annotations

import errno
import os
import termios
import threading
import time
from dataclasses import dataclass

from devices.payment import REASON_NOT_VERIFIED, REASON_REFUSED, TerminalError, TerminalResult

try:
    from termios import error as _TermiosError
except ImportError:  # pragma: no cover - not a POSIX system
    class _TermiosError(Exception):
        pass

LINE_ERRORS = (OSError, _TermiosError)
"""What a vanished line raises: pyserial's errors are OSErrors, but ``flush`` (tcdrain) on an
unplugged device raises ``termios.error``, which is not."""

ENQ, ACK, NAK, STX, ETX, EOT = b"\x05", b"\x06", b"\x15", b"\x02", b"\x03", b"\x04"

DEBIT, CREDIT, CANCEL = "0", "1", "2"
OPERATIONS = {"sale": DEBIT, "refund": CREDIT, "cancel": CANCEL}

ACCEPTED, REFUSED, NOT_VERIFIED = "0", "7", "9"
_STATUS_TEXT = {REFUSED: REASON_REFUSED, NOT_VERIFIED: REASON_NOT_VERIFIED}

EURO = "978"
REQUEST_LENGTH = 34
SHORT_ANSWER, LONG_ANSWER = 25, 80
MAX_CENTS = 99_999_999
"""Eight digits of cents: the largest amount the message can carry."""


class ConcertFormatError(TerminalError):
    """A frame or message that does not follow the protocol (garbage, bad LRC, unknown status)."""


def lrc(data: bytes) -> int:
    """XOR of ``data``: the caller passes the bytes after STX up to and including ETX."""
    value = 0
    for byte in data:
        value ^= byte
    return value


def frame(text: str) -> bytes:
    """``text`` framed for the line: STX, the ASCII text, ETX, then the LRC byte."""
    body = text.encode("ascii") + ETX
    return STX + body + bytes([lrc(body)])


def unframe(data: bytes) -> str:
    """The text of a complete frame; a bad LRC or framing raises ``ConcertFormatError``."""
    if len(data) < 3 or data[:1] != STX or data[-2:-1] != ETX:
        raise ConcertFormatError("the card terminal sent an unreadable answer")
    body = data[1:-1]
    if lrc(body) != data[-1]:
        raise ConcertFormatError("the card terminal's answer failed its checksum (LRC)")
    return body[:-1].decode("ascii", errors="replace")


@dataclass(frozen=True)
class ConcertRequest:
    """The till's 34-character E+ request."""

    amount_cents: int
    operation: str = DEBIT
    pos: str = "01"
    answer_flag: str = "0"
    """``0``: short answer; ``1``: with the 55-character report (it carries the card number)."""
    payment_mode: str = "1"
    currency: str = EURO
    private: str = " " * 10
    delay: str = "A010"
    """``A010``: answer once the transaction is over (``A011`` would answer at once)."""
    authorisation: str = "B010"

    def encode(self) -> str:
        amount = self.amount_cents
        if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_CENTS:
            raise ValueError(f"amount must be whole cents between 1 and {MAX_CENTS}, not {amount!r}")
        if len(self.pos) != 2 or not self.pos.isdigit():
            raise ValueError(f"POS number must be two digits, not {self.pos!r}")
        text = (f"{self.pos}{amount:08d}{self.answer_flag}{self.payment_mode}{self.operation}"
                f"{self.currency}{self.private:<10.10}{self.delay}{self.authorisation}")
        assert len(text) == REQUEST_LENGTH, text
        return text


def decode_request(text: str) -> ConcertRequest:
    """The request of a 34-character message (the simulator reads what the till sends)."""
    if len(text) != REQUEST_LENGTH or not text[2:10].isdigit():
        raise ConcertFormatError("the card terminal sent an unreadable answer")
    return ConcertRequest(pos=text[0:2], amount_cents=int(text[2:10]), answer_flag=text[10],
                          payment_mode=text[11], operation=text[12], currency=text[13:16],
                          private=text[16:26], delay=text[26:30], authorisation=text[30:34])


@dataclass(frozen=True)
class ConcertAnswer:
    """The terminal's 25- or 80-character answer."""

    pos: str
    status: str
    amount_cents: int
    mode: str
    currency: str = EURO
    private: str = " " * 10
    report: str = ""

    def encode(self) -> str:
        report = f"{self.report:<55.55}" if self.report else ""
        return (f"{self.pos}{self.status}{self.amount_cents:08d}{self.mode}{report}{self.currency}"
                f"{self.private:<10.10}")


def decode_answer(text: str) -> ConcertAnswer:
    """Parse an answer; wrong length, non-digit amount or unknown status raise ``ConcertFormatError``."""
    if len(text) not in (SHORT_ANSWER, LONG_ANSWER) or not text[3:11].isdigit() or not text[:2].isdigit():
        raise ConcertFormatError("the card terminal sent an unreadable answer")
    status = text[2]
    if status not in (ACCEPTED, REFUSED, NOT_VERIFIED):
        raise ConcertFormatError("the card terminal answered an unknown status {status!r}", status=status)
    report = text[12:67] if len(text) == LONG_ANSWER else ""
    tail = text[67:] if report else text[12:]
    return ConcertAnswer(pos=text[:2], status=status, amount_cents=int(text[3:11]), mode=text[11],
                         currency=tail[:3], private=tail[3:13], report=report.rstrip())


@dataclass(frozen=True)
class ConcertTimeouts:
    """How long each step may take: ~3 s per byte or handshake (Telium spec, as quoted by
    pypostelium), the customer's payment up to ``answer_s``; ``retries`` ENQs and resends."""

    step_s: float = 3.0
    answer_s: float = 120.0
    retries: int = 3


class ConcertLink:
    """The E+ dialogue on an open pyserial-like port (``read``, ``write``, ``timeout``).

    The port must be opened with a short read timeout (``open_serial`` uses 50 ms) so that
    ``abort()`` (from the UI's thread) stops a wait promptly; after an abort or failure the link
    sends EOT to leave the line idle.
    """

    def __init__(self, port, timeouts: ConcertTimeouts = ConcertTimeouts()) -> None:
        self.port = port
        self.timeouts = timeouts
        self.aborted = threading.Event()
        # The port's read timeout is set once, at open (``open_serial``): a Linux pty ignores
        # 7E1 and then refuses any later reconfiguration with EINVAL.

    def abort(self) -> None:
        """Stop waiting (the cashier pressed cancel); the running request raises ``TerminalError``."""
        self.aborted.set()

    def _read(self, timeout_s: float, sent: bool) -> bytes:
        """One byte, 7-bit (a line opened 8N1 on a 7E1 terminal keeps the parity in bit 7)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.aborted.is_set():
                raise TerminalError("the card payment was cancelled at the till", maybe_charged=sent)
            data = self._port_read(sent)
            if data:
                return bytes([data[0] & 0x7F])
        return b""

    def _port_read(self, sent: bool) -> bytes:
        try:
            return self.port.read(1)
        except LINE_ERRORS as error:  # serial.SerialException is an OSError: line dropped, unplugged
            raise TerminalError("the card terminal was disconnected ({reason})", maybe_charged=sent,
                                reason=str(error) or type(error).__name__) from None

    def _write(self, data: bytes, sent: bool) -> None:
        try:
            self.port.write(data)
            self.port.flush()
        except LINE_ERRORS as error:
            raise TerminalError("the card terminal was disconnected ({reason})", maybe_charged=sent,
                                reason=str(error) or type(error).__name__) from None

    def _eot(self) -> None:
        try:
            self.port.write(EOT)
        except LINE_ERRORS:
            pass

    def send(self, text: str) -> None:
        """ENQ until ACK, then the frame until ACK (resent on NAK), then EOT.

        Fails with ``maybe_charged=False`` while the terminal has not acknowledged the request.
        """
        steps, tries = self.timeouts, self.timeouts.retries
        for _ in range(tries):
            self._write(ENQ, sent=False)
            if self._wait_for(ACK, steps.step_s, sent=False):
                break
        else:
            self._eot()
            raise TerminalError("the card terminal does not answer (is it on and in cash-register mode?)",
                                maybe_charged=False)
        data = frame(text)
        for _ in range(tries):
            self._write(data, sent=True)
            reply = self._read(steps.step_s, sent=True)
            if reply == ACK:
                self._write(EOT, sent=True)
                return
            if reply != NAK:
                break  # silence or garbage: the terminal may or may not hold the request
        self._eot()
        # NAKed every time: the terminal refused the frame, so it holds no request
        raise TerminalError("the card terminal did not acknowledge the request", maybe_charged=reply != NAK)

    def _wait_for(self, wanted: bytes, timeout_s: float, sent: bool) -> bool:
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            byte = self._read(left, sent)
            if byte == wanted:
                return True
            if not byte:
                return False

    def receive(self, first_timeout_s: float) -> str:
        """The terminal's message: wait for its ENQ, ACK it, read the frame (NAK a bad one), ACK."""
        steps = self.timeouts
        if not self._wait_for(ENQ, first_timeout_s, sent=True):
            self._eot()
            raise TerminalError("no answer from the card terminal within {seconds} s",
                                seconds=int(first_timeout_s))
        self._write(ACK, sent=True)
        problem: TerminalError | None = None
        for _ in range(steps.retries):
            raw = self._read_frame()
            try:
                text = unframe(raw)
            except ConcertFormatError as error:
                problem = error
                self._write(NAK, sent=True)
                continue
            self._write(ACK, sent=True)
            self._wait_for(EOT, steps.step_s, sent=True)  # a missing EOT loses nothing
            return text
        self._eot()
        raise problem or TerminalError("the card terminal sent an unreadable answer")

    def _read_frame(self) -> bytes:
        """STX ... ETX LRC, each byte within the step timeout and the whole frame within two
        steps and a second (512 bytes take half a second at 9600 baud): a stalled frame, or a
        device chattering without ever framing, fails instead of holding the till."""
        step = self.timeouts.step_s
        deadline = time.monotonic() + 2 * step + 1.0
        while True:
            byte = self._read(min(step, max(0.0, deadline - time.monotonic())), sent=True)
            if not byte:
                raise TerminalError("the card terminal stopped in the middle of its answer")
            if byte == STX:
                break
        data = bytearray(STX)
        while len(data) < 600:  # 512 data bytes at most, plus framing
            byte = self._read(min(step, max(0.0, deadline - time.monotonic())), sent=True)
            if not byte:
                raise TerminalError("the card terminal stopped in the middle of its answer")
            data += byte
            if byte == ETX:
                checksum = self._read(step, sent=True)
                if not checksum:
                    raise TerminalError("the card terminal stopped in the middle of its answer")
                return bytes(data + checksum)
        return bytes(data)

    def transact(self, request: ConcertRequest) -> ConcertAnswer:
        """One request and its answer; every failure raises ``TerminalError``."""
        try:
            self.port.reset_input_buffer()  # a late answer from before must not be taken for ours
        except (*LINE_ERRORS, AttributeError):
            pass
        self.send(request.encode())
        return decode_answer(self.receive(self.timeouts.answer_s))


def open_serial(device: str, baudrate: int = 9600):
    """The device opened 7E1 (devices.md section 4); clear errors for a missing or forbidden path.

    A line that cannot do 7E1 (a pseudo-terminal, some USB-CDC terminals, where line settings
    do not matter) refuses it with EINVAL: it is then opened 8N1, and ``ConcertLink`` reads
    7 bits either way.
    """

    import serial  # deferred: pyserial only when a serial device is configured

    def attempt(bytesize: int, parity: str):
        return serial.Serial(device, baudrate=baudrate, bytesize=bytesize, parity=parity,
                             stopbits=serial.STOPBITS_ONE, timeout=0.05, write_timeout=3, exclusive=True)

    try:
        try:
            return attempt(serial.SEVENBITS, serial.PARITY_EVEN)
        except termios.error as error:
            if error.args[0] != errno.EINVAL:
                raise serial.SerialException(error.args[0], str(error.args[-1])) from None
            return attempt(serial.EIGHTBITS, serial.PARITY_NONE)
    except termios.error as error:
        raise TerminalError("cannot open the card terminal on {device} ({reason})", maybe_charged=False,
                            device=device, reason=str(error.args[-1])) from None
    except (serial.SerialException, OSError) as error:
        code = getattr(error, "errno", None)
        if code == errno.ENOENT or not _exists(device):
            raise TerminalError("the card terminal is not connected: {device} does not exist",
                                maybe_charged=False, device=device) from None
        if code in (errno.EACCES, errno.EPERM):
            raise TerminalError("no permission to open {device}: add the till's user to group dialout "
                                "(sudo usermod -aG dialout USER), then log in again",
                                maybe_charged=False, device=device) from None
        raise TerminalError("cannot open the card terminal on {device} ({reason})", maybe_charged=False,
                            device=device, reason=str(error)) from None


def _exists(device: str) -> bool:
    return device.startswith(("socket://", "loop://", "rfc2217://")) or os.path.exists(device)


class ConcertTerminal:
    """A ``PaymentTerminal`` speaking Concert E+ on ``device`` (opened for each request, so an
    unplugged and replugged terminal works again without restarting the till)."""

    name = "concert"
    simulator = None
    """The in-process simulator it talks to, when ``make_terminal`` started one for the demo."""

    def __init__(self, device: str, baudrate: int = 9600, pos: str = "01",
                 timeouts: ConcertTimeouts = ConcertTimeouts()) -> None:
        self.device = device
        self.baudrate = baudrate
        self.pos = pos
        self.timeouts = timeouts
        self._link: ConcertLink | None = None
        self._lock = threading.Lock()

    def _run(self, operation: str, amount_cents: int) -> TerminalResult:
        request = ConcertRequest(amount_cents=amount_cents, operation=OPERATIONS[operation], pos=self.pos)
        request.encode()  # a bad amount fails here, before the line is touched
        with self._lock:
            port = open_serial(self.device, self.baudrate)
            try:
                self._link = ConcertLink(port, self.timeouts)
                answer = self._link.transact(request)
            finally:
                self._link = None
                try:
                    port.close()
                except LINE_ERRORS:
                    pass
        return _result(request, answer)

    def sale(self, amount_cents: int, reference: str) -> TerminalResult:
        return self._run("sale", amount_cents)

    def refund(self, amount_cents: int, reference: str) -> TerminalResult:
        return self._run("refund", amount_cents)

    def cancel(self, amount_cents: int, reference: str) -> TerminalResult:
        """Cancel (annul) a transaction of ``amount_cents`` the terminal just made."""
        return self._run("cancel", amount_cents)

    def abort(self) -> None:
        """Stop waiting for the running request (safe from any thread)."""
        link = self._link
        if link is not None:
            link.abort()

    def health(self) -> str:
        """Opens the line and does an ENQ/ACK/EOT handshake: the terminal is there and listening."""
        if not self._lock.acquire(blocking=False):
            return "busy"
        try:
            port = open_serial(self.device, self.baudrate)
            try:
                link = ConcertLink(port, ConcertTimeouts(self.timeouts.step_s, self.timeouts.answer_s, 1))
                link._write(ENQ, sent=False)
                answered = link._wait_for(ACK, self.timeouts.step_s, sent=False)
                link._eot()
            finally:
                port.close()
        except TerminalError as error:
            return f"offline: {error}"
        finally:
            self._lock.release()
        return "ready" if answered else "offline: the card terminal does not answer"


def _result(request: ConcertRequest, answer: ConcertAnswer) -> TerminalResult:
    """The answer as a ``TerminalResult``; an approval for another amount is not an approval."""
    if answer.pos != request.pos:
        raise ConcertFormatError("the card terminal answered another till ({pos})", pos=answer.pos)
    if answer.status == ACCEPTED and answer.amount_cents != request.amount_cents:
        raise ConcertFormatError("the card terminal approved {got} cents instead of {wanted}",
                                 got=answer.amount_cents, wanted=request.amount_cents)
    if answer.status == ACCEPTED:
        return TerminalResult(True, answer.amount_cents, reference=answer.private.strip())
    return TerminalResult(False, request.amount_cents, message=_STATUS_TEXT[answer.status])
