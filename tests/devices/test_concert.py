"""Concert E+: the codec byte for byte, then the real driver against a terminal on a real pty.

The simulator plays only the terminal; the till side is ``ConcertTerminal`` opening the pty
with pyserial, exactly as it opens ``/dev/ttyACM0``.
"""

from __future__ import annotations

import functools
import os
import threading
import time

import pytest

from devices.payment import TerminalError
from devices.payment.concert import (
    ConcertAnswer, ConcertFormatError, ConcertRequest, ConcertTerminal, ConcertTimeouts, decode_answer,
    decode_request, frame, lrc, unframe,
)
from devices.simulators.concert_sim import ConcertSimulator

STEP, ANSWER = 0.3, 1.5
"""Short timeouts so that every failure path runs in about a second."""


def xor(data: bytes) -> int:
    return functools.reduce(lambda a, b: a ^ b, data, 0)


# -- codec -----------------------------------------------------------------------------------------

def test_lrc_is_the_xor_after_stx_through_etx():
    assert lrc(b"01\x03") == 0x30 ^ 0x31 ^ 0x03 == 0x02
    assert frame("01") == b"\x0201\x03\x02"
    assert lrc(b"") == 0


def test_request_is_the_34_characters_of_the_reference():
    text = ConcertRequest(amount_cents=1250).encode()
    assert text == "01" "00001250" "0" "1" "0" "978" + " " * 10 + "A010" "B010"
    assert len(text) == 34
    framed = frame(text)
    assert framed == b"\x02" + text.encode() + b"\x03" + bytes([xor(text.encode() + b"\x03")])
    assert len(framed) == 37


def test_refund_and_cancel_types():
    assert ConcertRequest(amount_cents=1, operation="1").encode()[12] == "1"
    assert ConcertRequest(amount_cents=1, operation="2").encode()[12] == "2"


@pytest.mark.parametrize("amount", [0, -5, 1.5, True, "100", 100_000_000])
def test_amounts_are_whole_positive_cents_of_eight_digits(amount):
    with pytest.raises(ValueError):
        ConcertRequest(amount_cents=amount).encode()


def test_largest_amount_fits():
    assert ConcertRequest(amount_cents=99_999_999).encode()[2:10] == "99999999"


def test_request_round_trip():
    request = ConcertRequest(amount_cents=4321, operation="1", pos="07")
    assert decode_request(request.encode()) == request


def test_short_and_long_answers_round_trip():
    short = ConcertAnswer(pos="01", status="0", amount_cents=1250, mode="1", private="AUTH42")
    text = short.encode()
    assert len(text) == 25 and len(frame(text)) == 28
    assert decode_answer(text) == ConcertAnswer(pos="01", status="0", amount_cents=1250, mode="1",
                                                private="AUTH42    ")
    long = ConcertAnswer(pos="01", status="7", amount_cents=99, mode="1", report="4970100000000014 2812")
    text = long.encode()
    assert len(text) == 80 and len(frame(text)) == 83
    decoded = decode_answer(text)
    assert (decoded.status, decoded.amount_cents, decoded.report) == ("7", 99, "4970100000000014 2812")


def test_known_answer_frame():
    raw = b"\x02" + b"010000012501978" + b" " * 10 + b"\x03"
    raw += bytes([xor(raw[1:])])
    answer = decode_answer(unframe(raw))
    assert (answer.pos, answer.status, answer.amount_cents, answer.currency) == ("01", "0", 1250, "978")


def test_bad_lrc_is_refused():
    good = frame(ConcertAnswer(pos="01", status="0", amount_cents=1, mode="1").encode())
    with pytest.raises(ConcertFormatError, match="LRC"):
        unframe(good[:-1] + bytes([good[-1] ^ 0x40]))


@pytest.mark.parametrize("text", [
    "",                                   # nothing
    "01000012501978" + " " * 10,          # 24 characters
    "0100000125O1978" + " " * 10,         # a letter in the amount
    "AB000012501978" + " " * 11,          # POS number not digits
])
def test_unreadable_answers_are_refused(text):
    with pytest.raises(ConcertFormatError):
        decode_answer(text)


def test_unknown_status_is_refused():
    with pytest.raises(ConcertFormatError, match="unknown status"):
        decode_answer("01X000012501978" + " " * 10)


def test_broken_frames_are_refused():
    for raw in (b"", b"\x02\x03", b"01\x03\x02", b"\x0201\x02"):
        with pytest.raises(ConcertFormatError):
            unframe(raw)


# -- the driver against the simulator on a pty --------------------------------------------------------

@pytest.fixture
def terminal(simulator):
    return ConcertTerminal(simulator.path, timeouts=ConcertTimeouts(STEP, ANSWER, 3))


def test_approved_sale_over_the_pty(simulator, terminal):
    result = terminal.sale(1250, reference="01")
    assert result.approved and result.amount_cents == 1250
    assert simulator.requests == [("0", 1250)]


def test_refund_and_cancel_send_their_type(simulator, terminal):
    assert terminal.refund(700, reference="x").approved
    assert terminal.cancel(700, reference="x").approved
    assert simulator.requests == [("1", 700), ("2", 700)]


def test_declined_amount(simulator, terminal):
    result = terminal.sale(1313, reference="01")
    assert not result.approved and result.message == "refused"


@pytest.mark.parametrize("outcome", ["approve", "nak_once", "bad_lrc_once", "silent_once"])
def test_recoverable_line_errors_end_approved(simulator, terminal, outcome):
    simulator.script(outcome)
    assert terminal.sale(500, reference="01").approved
    assert simulator.requests == [("0", 500)], "one request taken: never charged twice"


@pytest.mark.parametrize("outcome, message, maybe_charged", [
    ("decline", None, None),
    ("silent", "does not answer", False),
    ("nak", "did not acknowledge", False),
    ("timeout", "no answer from the card terminal within", True),
    ("garbage", "unreadable answer", True),
    ("bad_lrc", "checksum", True),
    ("unknown_status", "unknown status", True),
    ("stall", "stopped in the middle", True),
    ("drop", "disconnected", True),
])
def test_each_outcome_through_the_real_driver(simulator, terminal, outcome, message, maybe_charged):
    simulator.script(outcome)
    if message is None:
        assert not terminal.sale(500, reference="01").approved
        return
    with pytest.raises(TerminalError, match=message) as caught:
        terminal.sale(500, reference="01")
    assert caught.value.maybe_charged is maybe_charged
    assert caught.value.message  # an English id the domain translates


def test_timeouts_are_per_step(simulator, terminal):
    simulator.script("silent")
    started = time.monotonic()
    with pytest.raises(TerminalError):
        terminal.sale(500, reference="01")
    assert 3 * STEP - 0.1 <= time.monotonic() - started < ANSWER + STEP, "three ENQs, one step each"

    simulator.script("timeout")
    started = time.monotonic()
    with pytest.raises(TerminalError):
        terminal.sale(500, reference="01")
    assert ANSWER - 0.1 <= time.monotonic() - started < ANSWER + 1.0, "the customer's time, then give up"

    simulator.script("stall")
    started = time.monotonic()
    with pytest.raises(TerminalError):
        terminal.sale(500, reference="01")
    assert time.monotonic() - started < ANSWER, "a stalled frame fails after one byte's timeout"


def test_a_long_answer_arrives_within_the_answer_timeout():
    with ConcertSimulator(step_s=STEP, answer_delay_s=0.8) as simulator:
        terminal = ConcertTerminal(simulator.path, timeouts=ConcertTimeouts(STEP, ANSWER, 3))
        assert terminal.sale(100, reference="01").approved


def test_abort_stops_the_wait_from_another_thread(simulator):
    terminal = ConcertTerminal(simulator.path, timeouts=ConcertTimeouts(STEP, 30, 3))
    simulator.script("timeout")
    errors = []
    worker = threading.Thread(target=lambda: _capture(errors, terminal.sale, 500, "01"))
    started = time.monotonic()
    worker.start()
    while not simulator.requests:
        time.sleep(0.02)
    terminal.abort()
    worker.join(5)
    assert time.monotonic() - started < 3
    assert "cancelled at the till" in str(errors[0]) and errors[0].maybe_charged


def _capture(errors, call, *args):
    try:
        call(*args)
    except TerminalError as error:
        errors.append(error)


def test_health(simulator, terminal):
    assert terminal.health() == "ready"
    simulator.script("silent")
    assert terminal.health().startswith("offline")


def test_a_dropped_line_stays_offline(simulator, terminal):
    simulator.script("drop")
    with pytest.raises(TerminalError):
        terminal.sale(100, reference="01")
    assert terminal.health().startswith("offline")


# -- bad device paths ------------------------------------------------------------------------------------

def test_missing_device_says_not_connected(tmp_path):
    with pytest.raises(TerminalError, match="does not exist") as caught:
        ConcertTerminal(str(tmp_path / "ttyACM9")).sale(100, reference="01")
    assert caught.value.maybe_charged is False
    assert ConcertTerminal(str(tmp_path / "ttyACM9")).health().startswith("offline")


def test_device_without_permission_says_join_dialout(simulator):
    """Opened by a user outside the device's group (a pty is root's, mode 0620, like a tty).

    As root (who opens anything) the attempt runs in a forked child that drops to user nobody;
    everything it needs is already imported, so it reads no file of ours.
    """
    import serial  # noqa: F401 - imported before the fork, with its posix backend

    if os.geteuid() != 0:
        os.chmod(simulator.path, 0)
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        try:
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
            try:
                ConcertTerminal(simulator.path).sale(100, reference="x")
                text = "opened"
            except TerminalError as error:
                text = f"{error}|{error.maybe_charged}"
            os.write(write_end, text.encode())
        finally:
            os._exit(0)
    os.close(write_end)
    os.waitpid(child, 0)
    with os.fdopen(read_end) as pipe:
        text = pipe.read()
    assert "group dialout" in text and simulator.path in text, text
    assert text.endswith("|False"), "nothing can have been charged"


def test_a_chattering_device_is_given_up_on_after_the_answer_timeout(simulator, terminal):
    simulator.script("chatter")
    started = time.monotonic()
    with pytest.raises(TerminalError, match="no answer"):
        terminal.sale(500, reference="01")
    assert time.monotonic() - started < ANSWER + 1


def test_parity_bits_on_the_wire_are_ignored():
    """A 7E1 terminal read through a port opened 8N1 delivers its parity in bit 7."""
    with ConcertSimulator(step_s=STEP, parity_on_the_wire=True) as simulator:
        terminal = ConcertTerminal(simulator.path, timeouts=ConcertTimeouts(STEP, ANSWER, 3))
        assert terminal.sale(1999, reference="01").approved


def test_an_answer_for_another_till_is_not_ours():
    from devices.payment.concert import _result

    request = ConcertRequest(amount_cents=100, pos="01")
    with pytest.raises(ConcertFormatError, match="another till"):
        _result(request, ConcertAnswer(pos="02", status="0", amount_cents=100, mode="1"))
    with pytest.raises(ConcertFormatError, match="instead of"):
        _result(request, ConcertAnswer(pos="01", status="0", amount_cents=101, mode="1"))
    assert _result(request, ConcertAnswer(pos="01", status="9", amount_cents=100, mode="1")).message \
        == "not verified by the terminal"
