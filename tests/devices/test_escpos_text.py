"""Text the printer can print: what the pinned code page lacks is spelled with what it has, as the
bytes python-escpos sends show; CP1252 (WPC1252) prints œ, ’ and … as they are, with the ESC t
number of the printer's profile."""

from __future__ import annotations

import pytest

from devices.code_pages import printable
from devices.errors import DeviceConfigError
from devices.escpos_printer import EscposPrinter
from devices.escpos_loader import escpos
from devices.receipt import Receipt, ReceiptLine
from devices.settings import PrinterSettings

INIT = b"\x1b@"
FULL_CUT = b"\x1bd\x06\x1dV\x00"
FRENCH = "Bœuf … l’été"


def dummy_printer(profile="default", **settings):
    dummy = escpos().Dummy(profile=profile)
    return EscposPrinter(PrinterSettings(driver="escpos_file", profile=profile, **settings), connect=lambda: dummy), dummy


def test_cp858_spells_what_it_lacks_and_keeps_its_accents():
    printer, dummy = dummy_printer()
    printer.print_lines([FRENCH, "« Œuf — 5 € »"])
    assert dummy.output == (INIT + b"\x1bt\x13" + b"Boeuf ... l'\x82t\x82\n"
                            + b"\xae OEuf - 5 \xd5 \xaf\n" + FULL_CUT)  # é 0x82, € 0xD5, « » 0xAE 0xAF


@pytest.mark.parametrize("code_page", ["CP1252", "WPC1252", "wpc1252"])
def test_cp1252_prints_them_as_they_are(code_page):
    printer, dummy = dummy_printer(code_page=code_page)
    printer.print_lines([FRENCH + " 5 €"])
    assert dummy.output == INIT + b"\x1bt\x10" + b"B\x9cuf \x85 l\x92\xe9t\xe9 5 \x80\n" + FULL_CUT


def test_the_code_page_number_sent_is_the_profiles():
    printer, dummy = dummy_printer(profile="TSP600", code_page="CP1252")  # Star: CP1252 is ESC t 32
    printer.print_lines(["œ"])
    assert dummy.output.startswith(INIT + b"\x1bt\x20\x9c\n")
    assert printer.code_page == ("CP1252", 32)
    with pytest.raises(DeviceConfigError, match="Code page CP1252 is not one of printer profile TM-U220"):
        dummy_printer(profile="TM-U220", code_page="WPC1252")


def test_a_receipt_is_spelled_before_it_is_laid_out():
    """A spelled "…" takes three columns: the line is laid out with them, never past the paper."""
    label = "Côte de bœuf maturée … ’extra’ 1,2 kg"
    receipt = Receipt(header=("L’Épicerie",), title="VENTE", meta=(), lines=(
        ReceiptLine(label, "1", "38,40", "38,40", "B"),), totals=(("TOTAL", "38,40 €"),), vat_table=(),
        payments=(("Espèces", "40,00"),), code="T1-1")
    printer, dummy = dummy_printer(width=32)
    printer.print_receipt(receipt)
    text = dummy.output[len(INIT + b"\x1bt\x13"):].split(b"\x1ba")[0].decode("cp858")
    rows = [row.replace("\x1bE\x01", "").replace("\x1bE\x00", "") for row in text.split("\n")]
    assert "?" not in text and "L'Épicerie" in rows[0]
    assert all(len(row) <= 32 for row in rows)
    assert "Côte de boeuf maturée    38,40 B" in rows and "... 'extra' 1,2 kg" in rows


def test_spelling_rules():
    assert printable("Œuf ŷ – x", "cp858") == "OEuf y - x"
    assert printable("5 €", "cp437") == "5 EUR"
    assert printable("\u00a0€\u202f", "cp1252") == "\xa0€ "  # CP1252 has the no-break space, not the narrow one
    assert printable("日", "cp858") == "?"


def test_a_control_character_in_a_label_is_never_a_printer_command():
    printer, dummy = dummy_printer()
    printer.print_lines(["Vin\x1bp\x00 rouge\nsec\x7f"])  # ESC p 0 would kick the drawer
    assert dummy.output == INIT + b"\x1bt\x13" + b"Vin p  rouge sec \n" + FULL_CUT
