"""Caisse-AP over IP: the TLV codec byte for byte, then the real client against a terminal
simulator on a real loopback socket."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from devices.payment import TerminalError
from devices.payment.caisse_ap import (
    CaisseApFormatError, CaisseApRequest, CaisseApTerminal, CaisseApTimeouts, decode_tlv, encode_tlv,
    is_complete, result_of,
)
from devices.simulators.caisse_ap_sim import CaisseApSimulator

STEP, ANSWER = 0.5, 1.5


# -- codec -----------------------------------------------------------------------------------------

def test_the_reference_example_request():
    assert CaisseApRequest(amount_cents=1250).encode() == b"CZ0040300CJ012012345678901CA00201CB0041250CD0010CE003978"


def test_refund_and_immediate_answer_fields():
    fields = dict(CaisseApRequest(amount_cents=5, operation="1", answer_mode="0").fields())
    assert fields["CD"] == "1" and fields["BA"] == "0" and fields["CB"] == "5"


@pytest.mark.parametrize("amount", [0, -1, 12.5, True, "1250"])
def test_amounts_are_whole_positive_cents(amount):
    with pytest.raises(ValueError):
        CaisseApRequest(amount_cents=amount).encode()


def test_protocol_id_is_twelve_digits():
    with pytest.raises(ValueError):
        CaisseApRequest(amount_cents=1, protocol_id="123").encode()


def test_tlv_round_trip():
    fields = [("CZ", "0300"), ("AE", "10"), ("AC", ""), ("CF", "x" * 999)]
    assert decode_tlv(encode_tlv(fields)) == fields


@pytest.mark.parametrize("text", ["CZ0040300AE0051", "CZ00", "CZ0x40300", "C", "CZ0040300\x00"])
def test_malformed_tlv_is_refused(text):
    with pytest.raises(CaisseApFormatError):
        decode_tlv(text)


def test_a_split_answer_is_not_complete():
    data = b"CZ0040300AE00210CB0041250"
    assert is_complete(data)
    assert not is_complete(data[:12]) and not is_complete(data[:5]) and not is_complete(b"CZ0040300")


def test_answer_must_echo_the_request():
    request = CaisseApRequest(amount_cents=1250)
    approved = {"AE": "10", "CA": "01", "CB": "00001250", "CD": "0", "CE": "978", "AC": "123456"}
    result = result_of(request, approved)
    assert result.approved and result.amount_cents == 1250 and result.reference == "123456"
    with pytest.raises(CaisseApFormatError, match="CB differs"):
        result_of(request, {**approved, "CB": "1251"})
    with pytest.raises(CaisseApFormatError, match="CD differs"):
        result_of(request, {**approved, "CD": "1"})


def test_refusal_reasons_and_unknown_status():
    request = CaisseApRequest(amount_cents=1250)
    assert result_of(request, {"AE": "01", "AF": "06"}).message == "abandoned"
    assert result_of(request, {"AE": "01", "AF": "77"}).message == "refused"
    with pytest.raises(CaisseApFormatError, match="unknown status"):
        result_of(request, {"AE": "11"})
    with pytest.raises(CaisseApFormatError, match="unknown status"):
        result_of(request, {"CZ": "0300"})


# -- the client against the simulator on a socket ---------------------------------------------------------

@pytest.fixture
def simulator():
    with CaisseApSimulator(decline_cents=1313) as simulator:
        yield simulator


@pytest.fixture
def terminal(simulator):
    return CaisseApTerminal(simulator.host, simulator.port, timeouts=CaisseApTimeouts(STEP, ANSWER))


def test_approved_sale_over_tcp(simulator, terminal):
    result = terminal.sale(1250, reference="01")
    assert result.approved and result.reference == "100001"
    assert simulator.requests[0]["CB"] == "1250" and simulator.requests[0]["CD"] == "0"
    assert simulator.requests[0]["CJ"] == "012345678901"


def test_refund_and_cancel(simulator, terminal):
    assert terminal.refund(300, reference="x").approved
    assert terminal.cancel(300, reference="x").approved
    assert [r["CD"] for r in simulator.requests] == ["1", "2"]


def test_declined(simulator, terminal):
    result = terminal.sale(1313, reference="01")
    assert not result.approved and result.message == "refused"


def test_an_answer_split_in_two_segments_is_read_whole(simulator, terminal):
    simulator.script("split")
    assert terminal.sale(800, reference="01").approved


@pytest.mark.parametrize("outcome, message", [
    ("timeout", "no answer from the card terminal within"),
    ("garbage", "unreadable answer"),
    ("bad_length", "unreadable answer"),
    ("unknown_status", "unknown status"),
    ("mismatch", "not for this request"),
    ("drop", "closed the connection"),
])
def test_each_failure_through_the_real_client(simulator, terminal, outcome, message):
    simulator.script(outcome)
    with pytest.raises(TerminalError, match=message) as caught:
        terminal.sale(500, reference="01")
    assert caught.value.maybe_charged is True, "the request was sent: only the terminal's journal can tell"
    assert len(simulator.requests) == 1


def test_answer_timeout(simulator, terminal):
    simulator.script("timeout")
    started = time.monotonic()
    with pytest.raises(TerminalError):
        terminal.sale(500, reference="01")
    assert ANSWER - 0.1 <= time.monotonic() - started < ANSWER + 1


def test_nobody_listening_fails_at_once_and_charged_nothing():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    terminal = CaisseApTerminal("127.0.0.1", port, timeouts=CaisseApTimeouts(STEP, ANSWER))
    started = time.monotonic()
    with pytest.raises(TerminalError, match="cannot reach") as caught:
        terminal.sale(500, reference="01")
    assert caught.value.maybe_charged is False
    assert time.monotonic() - started < STEP + 0.5
    assert terminal.health().startswith("offline")


def test_health(terminal):
    assert terminal.health() == "ready"


def test_abort_stops_the_wait(simulator):
    terminal = CaisseApTerminal(simulator.host, simulator.port, timeouts=CaisseApTimeouts(STEP, 30))
    simulator.script("timeout")
    errors = []

    def pay():
        try:
            terminal.sale(500, reference="01")
        except TerminalError as error:
            errors.append(error)

    worker = threading.Thread(target=pay)
    started = time.monotonic()
    worker.start()
    while not simulator.requests:
        time.sleep(0.02)
    terminal.abort()
    worker.join(5)
    assert time.monotonic() - started < 3 and "cancelled at the till" in str(errors[0])


def test_an_endless_answer_is_cut_short(simulator):
    """A device that talks and never stops cannot hold the till past its limit."""
    simulator.script("chatter")
    terminal = CaisseApTerminal(simulator.host, simulator.port, timeouts=CaisseApTimeouts(STEP, 30))
    started = time.monotonic()
    with pytest.raises(TerminalError, match="unreadable") as caught:
        terminal.sale(100, reference="01")
    assert time.monotonic() - started < 5 and caught.value.maybe_charged
