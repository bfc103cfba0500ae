"""What chain L records for an inspector (fiscal-fr.md R-JET-01, R-INA-02, R-INA-05, R-INA-06):
a quantity lowered before payment, a catalogue import with its price changes, the VAT rates
(and a rate changed behind the till's back), a key file refused at start, and the program's own
files at each start."""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest

from store.models import FiscalRecord, VatRate
from till.config.loader import load
from till.fiscal.key_chain import KeyFileMismatch, fingerprint
from till.fiscal.keys import Signer
from till.fiscal.verify import verify_journal
from till.selling.basket import Basket
from till.selling.catalogue_import import CATALOGUE_IMPORTED, import_catalogue
from till.shop.context import TillContext
from till.shop.ledgers import journal_checks, seal_baseline
from tests.support.journal import unprotect
from tests.support.queries import events


@pytest.fixture
def shop(lite_shop):
    """The small real shop of the workflow tests (here, not the journal's own ``shop``)."""
    return lite_shop


def _verified(shop):
    return verify_journal(anchors=shop.ctx.sealer.anchors, checks=journal_checks(shop.ctx), workers=0)


# -- a quantity lowered before payment ---------------------------------------------------------------

def test_a_quantity_lowered_before_payment_is_sealed_and_a_raise_is_not(shop):
    basket = Basket(shop.config, shop.ctx.sealer, shop.cashier)
    line = basket.add_code(shop.barcodes["WIN"])
    basket.set_quantity(line.id, 5)
    assert events("QUANTITY_LOWERED") == []
    basket.set_typed_quantity(line.id, "2")
    (lowered,) = events("QUANTITY_LOWERED")
    assert lowered["user_id"] == shop.cashier.id
    assert lowered["details"] == {"sku": "WIN", "label": "Côtes du Rhône 75 cl", "unit": "piece",
                                  "from_quantity": 5, "to_quantity": 2, "from_total_cents": 5 * 895,
                                  "to_total_cents": 2 * 895}
    assert basket.line(line.id).quantity == 2
    assert verify_journal(anchors=shop.ctx.sealer.anchors).ok


# -- catalogue and prices -------------------------------------------------------------------------

def test_a_catalogue_import_is_one_event_with_its_counts_and_price_changes(shop):
    result = import_catalogue({"products": [
        {"sku": "WIN", "name": "Côtes du Rhône 75 cl", "price_cents": 990, "vat_code": "N"},
        {"sku": "SOA", "name": "Savon de Marseille", "price_cents": 350, "vat_code": "I"},
        {"sku": "NEW-1", "name": "Confiture", "price_cents": 425, "vat_code": "R"},
        {"sku": "BAG", "name": "Baguette tradition", "price_cents": 120, "vat_code": "R"},
    ]}, sealer=shop.ctx.sealer, source="file catalogue.json", user_id=shop.manager.id)
    assert (result.created, result.updated, result.unchanged) == (["NEW-1"], ["WIN", "SOA"], 1)

    (sealed,) = events(CATALOGUE_IMPORTED)
    assert sealed["user_id"] == shop.manager.id
    details = sealed["details"]
    assert details["source"] == "file catalogue.json"
    assert (details["created"], details["updated"], details["unchanged"], details["barcodes_moved"]) == (1, 2, 1, 0)
    assert details["prices"] == [["WIN", 895, 990], ["NEW-1", None, 425]]
    assert details["vat_codes"] == [["SOA", "N", "I"], ["NEW-1", None, "R"]]
    assert details["skus_created"] == ["NEW-1"] and details["skus_updated"] == ["WIN", "SOA"]
    assert verify_journal(anchors=shop.ctx.sealer.anchors).ok


def test_a_refused_catalogue_seals_nothing(shop):
    before = FiscalRecord.select().count()
    with pytest.raises(Exception):
        import_catalogue({"products": [{"sku": "WIN", "name": "x", "price_cents": -1, "vat_code": "N"}]},
                         sealer=shop.ctx.sealer)
    assert FiscalRecord.select().count() == before


def test_the_import_command_seals_its_event(shop, capsys):
    from till.cli.main import main

    path = shop.config.folder / "prices.json"
    path.write_text(json.dumps({"products": [{"sku": "WIN", "name": "Côtes du Rhône 75 cl", "price_cents": 1090,
                                              "vat_code": "N"}]}), encoding="utf-8")
    assert main(["--config", str(shop.config.path), "import", "catalogue", str(path)]) == 0
    (sealed,) = events(CATALOGUE_IMPORTED)
    assert sealed["details"]["prices"] == [["WIN", 895, 1090]]
    assert sealed["details"]["source"] == "file prices.json"
    assert len(sealed["details"]["file_sha256"]) == 64


# -- VAT rates --------------------------------------------------------------------------------------

def test_the_vat_rates_are_sealed_and_a_rate_changed_behind_the_till_is_reported(shop):
    sealed = {(e["details"]["code"], e["details"]["rate_bp"]) for e in events("VAT_RATE_CHANGED")}
    assert sealed == {("N", 2000), ("I", 1000), ("R", 550), ("S", 210)}
    assert _verified(shop).ok

    unprotect(shop.ctx.database)
    VatRate.update(rate_bp=700).where(VatRate.code == "I").execute()
    VatRate.create(code="Z", label="TVA inventée", rate_bp=0, valid_from="2026-01-01")
    report = _verified(shop)
    assert not report.ok
    texts = [p.what for p in report.problems]
    assert "VAT rate I from 2014-01-01: rate_bp is 700, the sealed events say 1000" in texts
    assert "VAT rate Z from 2026-01-01 has no sealed record of being added (added outside the till)" in texts


def test_a_vat_rate_added_through_the_till_is_sealed_with_who_and_what(shop):
    import datetime as dt

    from till.selling.vat_rates import add_vat_rate

    add_vat_rate(shop.ctx.sealer, "I", "TVA intermédiaire 12 %", 1200, dt.date(2027, 1, 1), user_id=shop.manager.id)
    (added,) = [e for e in events("VAT_RATE_CHANGED") if e["details"]["valid_from"] == "2027-01-01"]
    assert added["user_id"] == shop.manager.id
    assert added["details"]["previous_rate_bp"] == 1000 and added["details"]["rate_bp"] == 1200
    assert _verified(shop).ok


def test_the_baseline_seals_vat_rates_an_earlier_version_left_unsealed(shop):
    unprotect(shop.ctx.database)
    VatRate.create(code="Z", label="TVA zéro", rate_bp=0, valid_from="2014-01-01")  # as an older version seeded it
    assert not _verified(shop).ok
    seal_baseline(shop.ctx.sealer)
    assert _verified(shop).ok


# -- key file refused at start --------------------------------------------------------------------

def test_a_refused_key_file_is_sealed_once_the_right_key_is_back(shop):
    key_file = shop.config.resolve(shop.config.till.key_file)
    real = shop.ctx.sealer.signer
    os.replace(key_file, key_file.with_name("kept.pem"))
    other = Signer.create(key_file)
    with pytest.raises(KeyFileMismatch):
        TillContext.open(load(shop.config.path))
    assert events("KEY_CHECK_FAILED") == []  # the wrong key signs nothing

    os.replace(key_file.with_name("kept.pem"), key_file)
    TillContext.open(load(shop.config.path)).close()
    (sealed,) = events("KEY_CHECK_FAILED")
    assert sealed["details"]["found"] == fingerprint(other.key_id)
    assert sealed["details"]["expected"] == fingerprint(real.key_id)
    assert sealed["details"]["at"].endswith("Z")
    TillContext.open(load(shop.config.path)).close()
    assert len(events("KEY_CHECK_FAILED")) == 1  # sealed once
    assert verify_journal(anchors=shop.ctx.sealer.anchors).ok


# -- the program's files --------------------------------------------------------------------------

def test_the_program_files_are_sealed_at_the_first_start_and_each_change_named(shop, tmp_path):
    from till.fiscal import program_integrity as integrity

    root = tmp_path / "program"
    for name in ("till/a.py", "till/locales/fr/LC_MESSAGES/till.mo", "store/b.py", "devices/c.py", "reports/d.py",
                 "till/notes.txt"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(name.encode())
    sealer = shop.ctx.sealer

    first = integrity.record_program_integrity(sealer, root)
    assert first is not None
    (sealed,) = events(integrity.PROGRAM_INTEGRITY)
    assert sorted(sealed["details"]["files"]) == ["devices/c.py", "reports/d.py", "store/b.py", "till/a.py",
                                                  "till/locales/fr/LC_MESSAGES/till.mo"]
    assert sealed["details"]["first"] is True and len(sealed["details"]["sha256"]) == 64
    assert integrity.record_program_integrity(sealer, root) is None  # unchanged: nothing sealed

    (root / "till/a.py").write_text("changed")
    (root / "store/b.py").unlink()
    (root / "reports/e.py").write_text("new")
    integrity.record_program_integrity(sealer, root)
    latest = events(integrity.PROGRAM_INTEGRITY)[-1]["details"]
    assert (latest["changed"], latest["added"], latest["removed"]) == (["till/a.py"], ["reports/e.py"],
                                                                       ["store/b.py"])
    assert latest["previous_sha256"] == sealed["details"]["sha256"] and latest["first"] is False
    assert verify_journal(anchors=sealer.anchors).ok


def test_the_installed_program_is_checked_at_start(shop):
    from till.fiscal import program_integrity as integrity
    from till.shop.running import start_till

    ctx = start_till(shop.config)
    ctx.close()
    (sealed,) = events(integrity.PROGRAM_INTEGRITY)
    files = sealed["details"]["files"]
    assert "till/fiscal/program_integrity.py" in files and "store/db.py" in files
    assert "till/locales/fr/LC_MESSAGES/till.mo" in files
    assert not any(name.startswith("tests/") or name.startswith("headoffice/") for name in files)


def test_journal_verify_warns_when_the_program_differs_from_the_last_sealed_list(shop, tmp_path):
    from till.fiscal import program_integrity as integrity

    root = tmp_path / "program"
    (root / "till").mkdir(parents=True)
    (root / "till" / "a.py").write_text("one")
    integrity.record_program_integrity(shop.ctx.sealer, root)
    assert integrity.check_program(shop.ctx.till_id, root) == ([], [])
    (root / "till" / "a.py").write_text("two")
    problems, warnings = integrity.check_program(shop.ctx.till_id, root)
    assert problems == []
    assert [w.what for w in warnings] == [
        "the program files differ from those sealed at the last start of till 01 (changed: till/a.py; added: none; "
        "removed: none): the next start seals them"]
    report = _verified(shop)  # `till journal verify`: the installed program is not the list sealed last
    assert report.ok and [w.what[:56] for w in report.warnings] == [
        "the program files differ from those sealed at the last s"]



def test_till_vat_add_seals_the_new_value_with_the_manager_and_refuses_bad_input(shop, capsys):
    from till.cli.main import main

    config = str(shop.config.path)
    assert main(["--config", config, "vat", "add", "I", "--rate", "12,5", "--from", "2027-01-01",
                 "--label", "TVA intermédiaire 12,5 %", "--manager", "manager", "--pin", "9999"]) == 0
    (added,) = [e for e in events("VAT_RATE_CHANGED") if e["details"]["valid_from"] == "2027-01-01"]
    assert added["user_id"] == shop.manager.id and added["details"]["rate_bp"] == 1250
    assert added["details"]["previous_rate_bp"] == 1000
    assert main(["--config", config, "vat", "list"]) == 0
    listed = capsys.readouterr().out
    assert "I  12.50 %  2027-01-01" in listed and "I  10.00 %  2014-01-01  2026-12-31" in listed

    vat_events = FiscalRecord.select().where(FiscalRecord.kind == "VAT_RATE_CHANGED").count()
    assert vat_events == 4 + 2  # the starting rates, then the old value ended and the new one added
    assert main(["--config", config, "vat", "add", "I", "--rate", "ten", "--from", "2028-01-01",
                 "--manager", "manager", "--pin", "9999"]) == 2
    assert "ten" in capsys.readouterr().err  # not a rate: refused before a manager is asked
    assert main(["--config", config, "vat", "add", "I", "--rate", "11", "--from", "2026-06-01",
                 "--manager", "manager", "--pin", "9999"]) == 2  # before the value in force from 2027
    assert "2026-06-01" in capsys.readouterr().err
    assert FiscalRecord.select().where(FiscalRecord.kind == "VAT_RATE_CHANGED").count() == vat_events
    assert _verified(shop).ok


def test_a_vat_code_is_read_once_whatever_the_days_sold_on(shop, monkeypatch):
    """A till selling on a new day, or the demo writing ninety days of history, finds each
    code's rate without asking the database again; a rate added later is seen at once."""
    from till.selling.catalogue import forget_cached_rates, vat_rate_bp
    from till.selling.vat_rates import add_vat_rate

    forget_cached_rates()
    reads = []
    select = VatRate.select
    monkeypatch.setattr(VatRate, "select", lambda *fields: reads.append(fields) or select(*fields))
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=offset) for offset in range(60)]
    assert {vat_rate_bp("N", day) for day in days} == {2000}
    assert len(reads) == 1

    add_vat_rate(shop.ctx.sealer, "N", "TVA normale 21 %", 2100, dt.date(2027, 1, 1), user_id=shop.manager.id)
    assert vat_rate_bp("N", dt.date(2026, 12, 31)) == 2000
    assert vat_rate_bp("N", dt.date(2027, 1, 1)) == 2100
