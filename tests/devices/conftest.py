"""Device tests: python-escpos's capability cache in one folder for the session (the loader
requires an existing folder, and a shared one keeps the import fast), and a sample receipt."""

from __future__ import annotations

import os

import pytest

from devices.simulators.concert_sim import ConcertSimulator

from devices.receipt import Receipt, ReceiptLine


@pytest.fixture(scope="session", autouse=True)
def escpos_cache(tmp_path_factory):
    if not os.environ.get("ESCPOS_CAPABILITIES_PICKLE_DIR"):
        os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"] = str(tmp_path_factory.mktemp("escpos-cache"))
    return os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"]


@pytest.fixture
def receipt() -> Receipt:
    return Receipt(
        header=("Librairie du Port", "1 quai des Indes, 56100 Lorient"),
        title="VENTE",
        meta=("Ticket T01-0028811", "Caisse 01  N° 1"),
        lines=(ReceiptLine("Café moulu 250 g", "2", "4,50", "9,00", "B"),
               ReceiptLine("Côtes du Rhône 75 cl", "1", "8,95", "8,95", "N")),
        totals=(("Total HT", "15,72"), ("TVA", "2,23"), ("TOTAL TTC", "17,95 €")),
        vat_table=(("TVA", "HT", "Taxe", "Total"), ("20 %", "7,46", "1,49", "8,95")),
        payments=(("Espèces", "20,00"), ("Rendu", "-2,05")),
        footer=("2 lignes", "Merci de votre visite"),
        code="T01-0028811",
    )


@pytest.fixture
def serial_scanner():
    """A serial barcode scanner on a pty, ending codes with CR LF and an AIM identifier."""
    from devices.simulators.serial_scanner_sim import SerialScannerSimulator

    sim = SerialScannerSimulator(suffix=b"\r\n", aim_id="]E0")
    yield sim
    sim.unplug()


@pytest.fixture
def simulator():
    """A Concert terminal on a pty, declining 13,13 €, with 0,3 s protocol steps."""
    with ConcertSimulator(decline_cents=1313, step_s=0.3) as simulator:
        yield simulator
