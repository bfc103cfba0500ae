"""A till whose backups are gone gets its signed records back from a real head office on
loopback (SQLite and PostgreSQL) and goes on: its journal verifies, its chains continue, an
earlier receipt can still be returned, its credit note is known. A record tampered at head
office, a database that already holds a journal and a till head office does not know are
refused, with nothing stored."""

from __future__ import annotations

import shutil

import pytest
from tests.support.credit import issue_note
from tests.support.headoffice import HeadOffice, settings_for, write_sync_section
from tests.support.journal import problems_text, verify_shop
from tests.support.returns import line_of, session
from tests.support.shop import PRODUCTS, open_shop, sell

from headoffice.cli import enroll
from headoffice.documents import publish_catalogue
from headoffice.store import Record, proxy
from store.models import ChainHead, CreditNote, FiscalRecord, Ticket
from till.cli.main import main
from till.config.loader import load
from till.shop.context import TillContext
from till.config.example import render_example
from till.credit.notes import balance
from till.files import write_private
from till.selling.cash_moves import record_cash_move
from till.fiscal.payloads import ticket_payloads
from till.fiscal.rotation import rotate_key
from till.sync.push import EXIT_OK, run_sync


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], ids=["ho_sqlite", "ho_pg"])
def office(request, tmp_path, shop):
    url = f"sqlite:///{tmp_path / 'headoffice.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    running = HeadOffice(url).start()
    enroll(shop.ctx.till_id, "PARIS", shop.ctx.sealer.signer.public_pem)
    yield running
    running.stop()


def _trade_and_sync(shop, office):
    """A day sold and closed, sales of several lines in cash and by card, a partial return, a
    credit note, an opening float; all pushed."""
    sell(shop, [("NEWS", 2), ("SAND", 1)], days_ago=1)  # sold and closed yesterday: chain G
    first = sell(shop, [("BAG", 2), ("COF", 1), ("SOA", 3)])
    sell(shop, [("WIN", 1), ("COF", 2)], card=895 + 918, customer=shop.customer)
    back = session(shop)
    back.open(first)
    back.pick(line_of(back, "SOA").line_id, 1, reason="defective")
    back.complete()
    note = issue_note(shop, 700)
    record_cash_move(shop.ctx.sealer, shop.config.accounts, "opening_float", 15000, "float", shop.cashier,
                     shop.manager)  # chain P
    with proxy.obj.connection_context():  # the catalogue head office serves the shop's tills
        publish_catalogue({"products": [
            {"sku": sku, "name": name, "price_cents": price, "vat_code": vat, "sold_by_weight": weighed,
             "barcodes": [shop.barcodes[sku]]} for sku, name, price, vat, weighed in PRODUCTS]})
    assert run_sync(shop.ctx, settings_for(office.url)).exit_code == EXIT_OK
    return first, note


def _fresh_folder(shop, office, folder, till_id="01", database=None):
    """A new shop folder for the till: its till.toml with [sync] and its key file, nothing else."""
    folder.mkdir()
    settings = {"till_id": till_id, **({"database": database} if database else {})}
    write_private(folder / "till.toml", render_example(**settings).encode("utf-8"))
    (folder / "keys").mkdir(mode=0o700)
    shutil.copy2(shop.ctx.config.resolve(shop.ctx.config.till.key_file), folder / "keys" / "till.pem")
    write_sync_section(folder / "till.toml", office.url)
    return folder


def _ticket_rows() -> dict:
    """Every ticket as its rows say it (header, lines, VAT, payments), whatever the engine."""
    return ticket_payloads([t.id for t in Ticket.select(Ticket.id)])


def _rebuilt_and_continued(shop, office, tmp_path, capsys, database=None):
    first, note = _trade_and_sync(shop, office)
    heads = {c: s for c, s in ChainHead.select(ChainHead.chain, ChainHead.sequence).tuples()}
    before = _ticket_rows()
    shop.ctx.close()
    folder = _fresh_folder(shop, office, tmp_path / "rebuilt", database=database)

    assert main(["restore", "--from-headoffice", "--dir", str(folder)]) == 0
    printed = capsys.readouterr().out
    assert f"chaîne T : {heads['T']} enregistrements, le suivant est le {heads['T'] + 1}" in printed
    assert "Non reconstruit :" in printed and "codes PIN" in printed
    assert f"chaîne G : {heads['G']} enregistrements" in printed
    assert f"chaîne P : {heads['P']} enregistrements" in printed
    assert f"avoir {note.code} : le siège détient 700 centimes" in printed
    assert main(["--config", str(folder / "till.toml"), "sync"]) == 0  # the catalogue, as step 4 says

    rebuilt = open_shop(folder)
    assert _ticket_rows() == before  # tickets, lines, VAT and payments as they were, ids included
    report = verify_shop(rebuilt)
    assert report.ok, problems_text(report)
    assert main(["--config", str(folder / "till.toml"), "journal", "verify"]) == 0
    assert CreditNote.get(CreditNote.code == note.code).amount_cents == 700
    assert balance(CreditNote.get(CreditNote.code == note.code)) == 700

    # an earlier receipt is found with its lines, the earlier return counted
    again = session(rebuilt)
    again.find(first.code)
    soap = line_of(again, "SOA")
    assert (soap.sold, soap.returned, soap.returnable) == (3, 1, 2)
    assert line_of(again, "BAG").returnable == 2
    again.pick(soap.line_id, 2, reason="defective")
    returned = again.complete()
    assert returned.number == heads["T"] + 1
    record = FiscalRecord.get((FiscalRecord.chain == "T") & (FiscalRecord.ticket_id == returned.id))
    assert record.sequence == heads["T"] + 1
    assert record.previous_signature == FiscalRecord.get((FiscalRecord.chain == "T")
                                                         & (FiscalRecord.sequence == heads["T"])).signature
    new_sale = sell(rebuilt, [("BAG", 1)])
    assert new_sale.number == heads["T"] + 2 and new_sale.id > max(before)
    report = verify_shop(rebuilt)
    assert report.ok, problems_text(report)


def test_a_till_rebuilt_from_head_office_verifies_continues_and_takes_returns(shop, office, tmp_path, capsys):
    _rebuilt_and_continued(shop, office, tmp_path, capsys)


@pytest.mark.postgres
def test_a_till_rebuilt_into_postgresql_numbers_its_next_rows_after_the_rebuilt_ones(shop, office, tmp_path,
                                                                                     capsys, pg_url):
    _rebuilt_and_continued(shop, office, tmp_path, capsys, database=pg_url)


def test_after_a_key_rotation_the_current_key_rebuilds_and_the_retired_one_is_refused(shop, office, tmp_path,
                                                                                      capsys):
    sell(shop, [("BAG", 1)])
    rotate_key(shop.ctx.sealer)
    sell(shop, [("COF", 1)])
    assert run_sync(shop.ctx, settings_for(office.url)).exit_code == EXIT_OK
    key_file = shop.config.resolve(shop.config.till.key_file)
    retired = next(key_file.parent.glob(key_file.name + ".retired-*"))
    shop.ctx.close()

    stale = _fresh_folder(shop, office, tmp_path / "stale")
    shutil.copy2(retired, stale / "keys" / "till.pem")
    assert main(["restore", "--from-headoffice", "--dir", str(stale)]) == 1
    assert "remettez ce fichier de clé en place" in capsys.readouterr().err

    folder = _fresh_folder(shop, office, tmp_path / "rebuilt")
    assert main(["restore", "--from-headoffice", "--dir", str(folder)]) == 0
    assert main(["--config", str(folder / "till.toml"), "journal", "verify"]) == 0


def _change_a_payload_byte(held):
    Record.update(payload=held.payload.replace('"quantity":1', '"quantity":9', 1)).where(Record.id == held.id).execute()


def _delete(held):
    Record.delete().where(Record.id == held.id).execute()


def _cut_the_tail(_held):
    last = Record.select().where(Record.chain == "T").order_by(Record.sequence.desc()).get()
    Record.delete().where(Record.id == last.id).execute()


@pytest.mark.parametrize("tamper, said", [
    (_change_a_payload_byte, "L'enregistrement 2 de la chaîne T venu du siège est refusé : son empreinte n'est pas "
                             "celle de son contenu ; rien n'a été enregistré"),
    (_delete, "L'enregistrement 3 de la chaîne T venu du siège est refusé : un numéro manque avant lui ; rien n'a "
              "été enregistré"),
    (_cut_the_tail, "Le siège dit que la chaîne T s'arrête à l'enregistrement 5, mais ses enregistrements "
                    "s'arrêtent au 4 : rien n'a été enregistré"),
], ids=["payload", "deleted", "tail"])
def test_a_record_tampered_at_head_office_is_refused_and_nothing_stored(shop, office, tmp_path, capsys, tamper,
                                                                        said):
    _trade_and_sync(shop, office)
    with proxy.obj.connection_context():
        tamper(Record.get((Record.chain == "T") & (Record.sequence == 2)))
    shop.ctx.close()
    folder = _fresh_folder(shop, office, tmp_path / "rebuilt")

    assert main(["restore", "--from-headoffice", "--dir", str(folder)]) == 1
    assert said in capsys.readouterr().err
    TillContext.open(load(folder / "till.toml"))
    assert FiscalRecord.select().count() == 0 and Ticket.select().count() == 0


def test_a_database_with_a_journal_is_refused(shop, office, tmp_path, capsys):
    _trade_and_sync(shop, office)
    write_sync_section(shop.ctx.config.path, office.url)
    count = FiscalRecord.select().count()
    shop.ctx.close()

    assert main(["restore", "--from-headoffice", "--dir", str(shop.ctx.config.path.parent)]) == 1
    assert "contient déjà des enregistrements de la caisse 01" in capsys.readouterr().err
    open_shop(shop.ctx.config.path.parent)
    assert FiscalRecord.select().count() == count


def test_a_till_head_office_does_not_know_is_told_so(shop, office, tmp_path, capsys):
    _trade_and_sync(shop, office)
    shop.ctx.close()
    folder = _fresh_folder(shop, office, tmp_path / "other", till_id="07")

    assert main(["restore", "--from-headoffice", "--dir", str(folder)]) == 1
    assert "Le siège ne connaît pas la caisse 07" in capsys.readouterr().err


def test_a_folder_without_the_key_file_is_told_to_put_it_back(tmp_path, capsys):
    folder = tmp_path / "rebuilt"
    folder.mkdir()
    write_private(folder / "till.toml", render_example(till_id="01").encode("utf-8"))
    write_sync_section(folder / "till.toml", "http://127.0.0.1:9")

    assert main(["restore", "--from-headoffice", "--dir", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "till.pem" in err and "till init" not in err and len(err.splitlines()) == 1
    assert not (folder / "keys" / "till.pem").exists()
