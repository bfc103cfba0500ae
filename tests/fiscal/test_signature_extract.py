"""The signature extract printed on receipts, copies, Z reports and vouchers.

The extract is four characters an inspector compares with the journal. Taken from the base64 of
a DER signature (the first rule), three of them fall on DER header bytes that hardly vary; taken
from the raw r||s signature, each of the four carries six random bits. Records sealed before the
raw rule keep printing the extract their paper already shows.
"""

from __future__ import annotations

import json

from store.migrations.m0011_receipt_identity import mark_raw_extracts
from store.models import FiscalRecord, Setting
from till.fiscal.canonical import EXTRACT_DER, EXTRACT_RAW, signature_extract
from till.fiscal.extracts import RAW_EXTRACT_FROM, extract_rule, record_extract
from till.fiscal.keys import Signer
from tests.support.shop import sell


def _signatures(tmp_path, count: int = 300) -> list[str]:
    signer = Signer.create(tmp_path / "key.pem")
    return [signer.sign(f"record {n}".encode()) for n in range(count)]


def _values_per_position(extracts: list[str]) -> list[int]:
    return [len({extract[position] for extract in extracts}) for position in range(4)]


def test_every_character_of_the_raw_extract_varies(tmp_path):
    signatures = _signatures(tmp_path)
    raw = [signature_extract(s, EXTRACT_RAW) for s in signatures]
    assert all(len(extract) == 4 for extract in raw)
    assert min(_values_per_position(raw)) >= 40  # 64 possible; 300 draws take nearly all
    der = [signature_extract(s, EXTRACT_DER) for s in signatures]
    assert min(_values_per_position(der)) <= 8  # header bytes: a few values at most


def test_the_der_rule_is_characters_3_7_13_19_of_the_signature(tmp_path):
    signature = _signatures(tmp_path, 1)[0]
    assert signature_extract(signature, EXTRACT_DER) == signature[2] + signature[6] + signature[12] + signature[18]
    assert signature_extract(signature) == signature_extract(signature, EXTRACT_RAW)  # the rule from now on


def test_a_text_that_is_no_signature_keeps_the_first_rule():
    assert signature_extract("abcdefghijklmnopqrst") == "cgms"


def _forget_marks():
    Setting.delete().where(Setting.key == RAW_EXTRACT_FROM).execute()


def test_records_sealed_before_the_upgrade_keep_their_extract(make_shop):
    shop = make_shop()
    first = sell(shop, [("WIN", 1)])
    _forget_marks()
    mark_raw_extracts(shop.ctx.database)
    marks = json.loads(Setting.get(Setting.key == RAW_EXTRACT_FROM).value)
    old = FiscalRecord.get((FiscalRecord.ticket_id == first.id) & (FiscalRecord.chain == "T"))
    assert marks[old.till_id]["T"] == old.sequence + 1
    second = sell(shop, [("WIN", 1)])
    new = FiscalRecord.get((FiscalRecord.ticket_id == second.id) & (FiscalRecord.chain == "T"))
    assert extract_rule(old.till_id, "T", old.sequence) == EXTRACT_DER
    assert record_extract(old) == signature_extract(old.signature, EXTRACT_DER)
    assert extract_rule(new.till_id, "T", new.sequence) == EXTRACT_RAW
    assert record_extract(new) == signature_extract(new.signature, EXTRACT_RAW)
    assert extract_rule(old.till_id, "G", 1) == EXTRACT_RAW  # a chain not begun at the upgrade


def test_a_new_shop_has_every_record_on_the_raw_rule(make_shop):
    shop = make_shop()
    ticket = sell(shop, [("WIN", 1)])
    record = FiscalRecord.get((FiscalRecord.ticket_id == ticket.id) & (FiscalRecord.chain == "T"))
    assert record_extract(record) == signature_extract(record.signature, EXTRACT_RAW)


def test_a_z_report_of_an_old_closure_keeps_its_extracts(lite_shop):
    import datetime as dt

    from reports.xz import z_report
    from till.fiscal.closures import close_day
    from tests.support.closures import at, sale

    shop = lite_shop
    last = sale(shop, at("2026-10-05", 9), [("WIN", 1)])
    (closure,) = close_day(shop.ctx.sealer, dt.date(2026, 10, 5), now=at("2026-10-05", 20))
    _forget_marks()
    mark_raw_extracts(shop.ctx.database)  # the shop upgraded after that day
    text = "\n".join(z_report(shop.config, closure))
    ticket_record = FiscalRecord.get((FiscalRecord.ticket_id == last.id) & (FiscalRecord.chain == "T"))
    assert signature_extract(closure.signature, EXTRACT_DER) in text
    assert signature_extract(ticket_record.signature, EXTRACT_DER) in text
    assert signature_extract(closure.signature, EXTRACT_RAW) not in text
