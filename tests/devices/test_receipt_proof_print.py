"""A sale's receipt prints its proof as the QR code (error correction M), the ticket code staying
as CODE128 and as text; on 58 mm paper (384 dots) a ten-line ticket's proof fits, in image mode
and in native mode, read back from the bytes python-escpos sends (Dummy)."""

from __future__ import annotations

import dataclasses

import pytest
import qrcode

from devices.receipt import layout
from till.aftersale.receipts import build_receipt
from till.fiscal import known_tills, receipt_proof
from tests.devices.test_escpos_printer import dummy_printer
from tests.support.shop import sell

PAPER_58_MM = 384
"""Dots a 58 mm head prints (203 dpi)."""
STORE, PRINT = b"1P0", b"1Q0"
"""Native QR functions (GS ( k, cn "1"): store the data, print it."""


def native_qr(out: bytes) -> dict[str, object]:
    """The native QR commands in ``out`` (GS ( k pL pH cn fn ...): data, module size, level."""
    found: dict[str, object] = {}
    at = out.find(b"\x1d(k")
    while at >= 0:
        size = out[at + 3] + 256 * out[at + 4]
        body = out[at + 5:at + 5 + size]
        if body[:3] == STORE:
            found["data"] = body[3:].decode("ascii")
        elif body[:2] == b"1C":
            found["module"] = body[2]
        elif body[:2] == b"1E":
            found["level"] = body[2] - 48
        at = out.find(b"\x1d(k", at + 5 + size)
    return found


def raster_widths(out: bytes) -> list[int]:
    """The width in dots of every raster image (GS v 0 m xL xH yL yH) in ``out``."""
    widths, at = [], out.find(b"\x1dv0")
    while at >= 0:
        widths.append((out[at + 4] + 256 * out[at + 5]) * 8)
        at = out.find(b"\x1dv0", at + 8)
    return widths


def version_at_m(text: str) -> int:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(text)
    code.make(fit=True)
    return code.version


@pytest.fixture
def ten_lines(shop):
    """A ten-line sale of EAN-13 products paid by card and cash, and its receipt with its proof."""
    items = [("WIN", 2), ("BAG", 3), ("COF", 1), ("SOA", 4), ("NEWS", 1), ("SAND", 2), ("WIN", 1), ("COF", 2),
             ("BAG", 1), ("SOA", 1)]
    ticket = sell(shop, items, card=2000)
    assert ticket.line_count == 10
    receipt = build_receipt(shop.config, ticket, signer=shop.ctx.sealer.signer)
    assert receipt_proof.check(receipt.proof, known_tills.keys_of).proof.code == ticket.code
    proof = receipt_proof.decode(receipt.proof).proof
    assert len(proof.lines) == 10 and len(proof.payments) == 2
    return ticket, receipt


def test_native_qr_holds_the_proof_at_level_m_and_the_code_stays_code128_and_text(ten_lines):
    ticket, receipt = ten_lines
    printer, dummy = dummy_printer(width=42)
    printer.print_receipt(receipt)
    out = dummy.output
    qr = native_qr(out)
    assert qr["data"] == receipt.proof and qr["level"] == 1  # M
    assert b"{B" + ticket.code.encode() in out  # CODE128 of the ticket code
    assert ticket.code.encode() in out.replace(b"{B" + ticket.code.encode(), b"")  # and as text
    assert STORE + ticket.code.encode() not in out  # the QR code is the proof's, not the code's


def test_a_receipt_without_proof_keeps_the_qr_of_its_code(ten_lines):
    ticket, receipt = ten_lines
    printer, dummy = dummy_printer(width=42)
    printer.print_receipt(dataclasses.replace(receipt, proof=""))
    qr = native_qr(dummy.output)
    assert qr["data"] == ticket.code and qr["level"] == 0  # L, as before


def test_ten_lines_fit_58_mm_paper_as_an_image(ten_lines):
    ticket, receipt = ten_lines
    version = version_at_m(receipt.proof)
    assert version <= 15
    printer, dummy = dummy_printer(profile="POS-5890", width=32)  # no native QR: sent as a raster image
    printer.print_receipt(receipt)
    out = dummy.output
    [width] = raster_widths(out)
    assert width <= PAPER_58_MM
    modules = 17 + 4 * version + 2  # with the quiet zone python-escpos draws
    assert width >= modules * 3  # not shrunk below 3 dots a module: a scanner still reads it
    for line in layout(receipt, 32):
        assert line.encode("cp858", "replace") in out
    assert receipt.proof.encode() not in out  # the proof is for scanners: never printed as text


def test_ten_lines_fit_58_mm_paper_natively(ten_lines):
    ticket, receipt = ten_lines
    printer, dummy = dummy_printer(profile="Sunmi-V2", width=32)  # a 58 mm printer drawing QR codes itself
    printer.print_receipt(receipt)
    out = dummy.output
    qr = native_qr(out)
    assert qr["data"] == receipt.proof and qr["level"] == 1
    version = version_at_m(qr["data"])
    assert version <= 15
    assert (17 + 4 * version) * qr["module"] <= PAPER_58_MM
    assert qr["module"] >= 3
    assert b"{B" + ticket.code.encode() in out
