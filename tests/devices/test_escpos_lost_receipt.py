"""A receipt lost mid-print is not "printed": after the cut the driver asks the printer its state
again; a printer that vanished, stalled or ran out of paper after part of the document raises
``PrintIncomplete`` (part of it may be on paper), while one that refused before the first byte
raises a plain ``PrinterError`` (nothing is on paper). The printer is the protocol simulator."""

from __future__ import annotations

import os

import pytest

from devices.errors import PrinterError, PrintIncomplete
from devices.printer import make_printer
from devices.settings import PrinterSettings
from devices.simulators.escpos_printer_sim import NetworkPrinterSimulator
from tests.support.devices import wait_until

FULL_CUT = b"\x1bd\x06\x1dV\x00"
QUERIES = b"\x10\x04\x01\x10\x04\x02\x10\x04\x04"


def network(sim, **settings):
    return make_printer(PrinterSettings(driver="escpos_network", host=sim.host, port=sim.port, timeout_s=2,
                                        status_timeout_ms=300, **settings))


def test_the_printer_is_asked_again_after_the_cut(receipt):
    with NetworkPrinterSimulator() as sim:
        network(sim).print_receipt(receipt)
        assert wait_until(lambda: bytes(sim.state.received).endswith(FULL_CUT + QUERIES))


def test_a_printer_unplugged_mid_receipt_is_an_incomplete_receipt(receipt):
    with NetworkPrinterSimulator() as sim:
        sim.state.unplug_after = 400  # of this receipt's ~850 bytes: no barcode, no QR, no cut on paper
        printer = network(sim)
        with pytest.raises(PrintIncomplete):
            printer.print_receipt(receipt)
        assert b"{BT01-0028811" not in bytes(sim.state.received)[:400]


def test_a_stall_longer_than_the_wait_is_an_incomplete_receipt(receipt):
    with NetworkPrinterSimulator() as sim:
        sim.state.stall_after, sim.state.stall_s = 300, 1.0
        with pytest.raises(PrintIncomplete):
            network(sim).print_receipt(receipt)
        assert wait_until(lambda: FULL_CUT in bytes(sim.state.received))  # then it printed it all anyway


def test_a_printer_that_refuses_before_the_first_byte_has_printed_nothing(receipt):
    with NetworkPrinterSimulator() as sim:
        sim.state.paper_out = True
        with pytest.raises(PrinterError) as raised:
            network(sim).print_receipt(receipt)
        assert not isinstance(raised.value, PrintIncomplete)
        host, port = sim.host, sim.port
    with pytest.raises(PrinterError) as refused:  # connection refused
        make_printer(PrinterSettings(driver="escpos_network", host=host, port=port, timeout_s=2)).print_receipt(receipt)
    assert not isinstance(refused.value, PrintIncomplete)


def test_a_printer_silent_from_the_start_prints_without_the_check(receipt):
    with NetworkPrinterSimulator() as sim:
        sim.state.silent = True  # it never answers: its silence after the cut would say nothing
        network(sim).print_receipt(receipt)
        assert wait_until(lambda: bytes(sim.state.received).endswith(FULL_CUT))  # not asked again


def test_a_hung_write_after_the_first_bytes_is_an_incomplete_print(tmp_path):
    """A FIFO nobody reads takes 64 KiB, then blocks, as /dev/usb/lp0 does when the printer stalls."""
    fifo = tmp_path / "lp0"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        printer = make_printer(PrinterSettings(driver="escpos_file", path=str(fifo), status_query="off",
                                               timeout_s=1))
        with pytest.raises(PrintIncomplete, match="did not finish within 1 s"):
            printer.print_lines(["x" * 41] * 3000)
    finally:
        os.close(reader)
