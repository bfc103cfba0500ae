"""Sealing tickets: gap-free linked chains, signed bytes, transactions, anchors, triggers."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import peewee
import pytest

from store.models import ChainHead, FiscalRecord, Payment, SigningKey, Ticket, TicketLine, TicketVat
from till.fiscal import (
    canonical_bytes, canonical_json, iso_utc, message_bytes, seal_ticket, signed_message, ticket_payload,
    verify_signature,
)
from till.fiscal.chain import Sealer, flush_anchors
from tests.support.queries import chain_records

TILL = "01"  # the till of the shop fixture (tests/fiscal/conftest.py)


def test_a_clean_journal_verifies(shop):
    for _ in range(4):
        shop.sale()
    report = shop.verify()
    assert report.ok, report.lines()
    assert report.problems == [] and report.warnings == [] and report.first_problem is None
    assert report.counts == {(TILL, "T"): 4}
    assert report.lines("en")[0] == "Journal verified: 4 records in 1 chain, no problem found."
    assert report.lines("fr")[0] == "Journal vérifié : 4 enregistrements dans 1 chaîne, aucun problème."


def test_sequences_are_gap_free_and_each_record_links_to_the_previous(shop):
    tickets = [shop.sale() for _ in range(5)]
    records = chain_records()
    assert [r.sequence for r in records] == [1, 2, 3, 4, 5]
    assert [r.ticket_id for r in records] == [t.id for t in tickets]
    assert records[0].previous_signature == ""
    for before, after in zip(records, records[1:]):
        assert after.previous_signature == before.signature
    head = ChainHead.get((ChainHead.till_id == TILL) & (ChainHead.chain == "T"))
    assert (head.sequence, head.signature) == (5, records[-1].signature)


def test_the_record_hashes_and_signs_the_canonical_envelope(shop):
    ticket = shop.sale()
    record = FiscalRecord.get()
    message = signed_message(record)
    envelope = json.loads(message)
    assert envelope == {
        "format_version": 1, "till_id": TILL, "chain": "T", "sequence": 1, "kind": "sale",
        "created_at": record.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"), "ticket_id": ticket.id,
        "payload": json.loads(record.payload), "previous_signature": "",
    }
    assert message == canonical_json(envelope).encode("utf-8")
    assert record.hash == hashlib.sha256(message).hexdigest()
    assert record.key_id == shop.signer.key_id
    assert verify_signature(shop.signer.public_pem, message, record.signature)
    assert SigningKey.get(SigningKey.key_id == record.key_id).public_key_pem == shop.signer.public_pem


def test_the_payload_holds_everything_printed(shop):
    ticket = shop.sale(labels=("Baguette tradition", "Cafe\u0301 moulu"))
    record = FiscalRecord.get()
    assert record.payload == canonical_json(ticket_payload(ticket.id))
    payload = json.loads(record.payload)
    assert payload["code"] == ticket.code and payload["number"] == 1 and payload["kind"] == "sale"
    assert payload["till_id"] == TILL and payload["training"] is False
    assert payload["operator"] == {"user_id": shop.user.id, "name": "Marie Durand"}
    assert payload["customer"] is None and payload["origin_ticket_id"] is None
    assert (payload["total_cents"], payload["discount_cents"], payload["line_count"]) == (1030, 0, 2)
    assert payload["created_at"].endswith("Z") and "T" in payload["created_at"]
    first, second = payload["lines"]
    assert (first["position"], first["label"], first["quantity"], first["unit_price_cents"], first["total_cents"],
            first["vat_rate_bp"], first["sku"], first["unit"]) == (1, "Baguette tradition", 2, 215, 430, 550, "PAIN",
                                                                    "piece")
    assert second["label"] == "Café moulu"  # NFC, as printed
    assert [v["rate_bp"] for v in payload["vat"]] == [2000, 550]  # rate descending
    assert payload["vat"][1] == {"rate_bp": 550, "ttc_cents": 430, "ht_cents": 408, "vat_cents": 22}
    assert payload["payments"] == [
        {"position": 1, "means": "card", "amount_cents": 1000, "reference": "AUTH123"},
        {"position": 2, "means": "cash", "amount_cents": 30, "reference": None},
    ]


def test_append_outside_a_transaction_is_refused(shop):
    with shop.database.atomic():
        ticket = shop.unsealed_ticket(1)
    with pytest.raises(RuntimeError, match="inside database.atomic"):
        seal_ticket(shop.sealer, ticket)
    assert FiscalRecord.select().count() == 0


def test_a_rollback_leaves_no_record_no_head_change_and_only_an_uncommitted_intent(shop):
    shop.sale()
    head_before = ChainHead.get().__data__.copy()
    flush_anchors()  # the anchor is written by a background thread, shortly after the commit
    anchor_before = shop.anchors.read(TILL, "T")
    assert anchor_before.sequence == 1
    with pytest.raises(ZeroDivisionError):
        with shop.database.atomic():
            ticket = shop.unsealed_ticket(2)
            seal_ticket(shop.sealer, ticket)
            assert FiscalRecord.select().count() == 2  # visible inside the transaction
            1 / 0  # e.g. the payment terminal refused: the whole sale goes
    assert FiscalRecord.select().count() == 1
    assert Ticket.select().count() == 1
    assert ChainHead.get().__data__ == head_before
    flush_anchors()
    # The anchor was written ahead, as an intent based on record 1: it names a record that never
    # committed, which the checks accept (a warning) since its base is the chain's tail.
    intent = shop.anchors.read(TILL, "T")
    assert (intent.state, intent.sequence) == ("intent", 2)
    assert (intent.base_sequence, intent.base_signature) == (1, anchor_before.signature)
    assert shop.verify().ok
    shop.sale()  # the next sale takes the number the rolled-back one had
    assert [r.sequence for r in chain_records()] == [1, 2]
    assert shop.verify().ok


def test_a_rolled_back_savepoint_leaves_an_intent_based_on_the_committed_tail(shop):
    shop.sale()
    with shop.database.atomic():
        with pytest.raises(ZeroDivisionError):
            with shop.database.atomic():  # a savepoint
                seal_ticket(shop.sealer, shop.unsealed_ticket(2))
                1 / 0
    flush_anchors()
    anchor = shop.anchors.read(TILL, "T")
    assert (anchor.state, anchor.sequence) == ("intent", 2)
    assert (anchor.base_sequence, anchor.base_signature) == (1, chain_records()[0].signature)
    report = shop.verify()
    assert report.ok and [(w.chain, w.sequence) for w in report.warnings] == [("T", 2)]
    shop.sale()  # the next record replaces the intent that never committed
    flush_anchors()
    assert shop.anchors.read(TILL, "T").state == "confirmed" and shop.verify().ok


def test_the_anchor_is_written_ahead_of_the_commit_then_confirmed(shop):
    shop.sale()
    flush_anchors()
    with shop.database.atomic():
        record = seal_ticket(shop.sealer, shop.unsealed_ticket(2))
        flush_anchors()
        intent = shop.anchors.read(TILL, "T")  # on disk before the commit
        assert (intent.state, intent.sequence, intent.signature, intent.hash) == (
            "intent", 2, record.signature, record.hash)
        assert intent.base_sequence == 1 and intent.key_id == shop.signer.key_id and intent.seal
    flush_anchors()
    last = chain_records()[-1]
    anchor = shop.anchors.read(TILL, "T")
    assert (anchor.state, anchor.sequence, anchor.signature, anchor.hash) == (
        "confirmed", 2, last.signature, last.hash)


def test_records_newer_than_the_anchor_are_a_failure(shop):
    shop.sale()
    shop.sealer.anchors = None  # a writer that does not anchor ahead: the anchor trails
    shop.sale()
    report = shop.verify()
    assert not report.ok
    assert [(p.chain, p.sequence, p.what) for p in report.problems] == [
        ("T", 2, "records after 1 are not covered by the tail anchor (it is behind the chain)")]


def test_an_anchor_that_cannot_be_written_ahead_refuses_the_sale(shop, monkeypatch):
    def disk_full(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(shop.anchors, "write", disk_full)
    with pytest.raises(OSError):
        shop.sale()
    assert FiscalRecord.select().count() == 0 and Ticket.select().count() == 0


def test_a_failed_confirmation_does_not_fail_the_committed_sale(shop, monkeypatch, caplog):
    real = shop.anchors.write

    def disk_full_after_commit(*args, **kwargs):
        if kwargs.get("state") == "confirmed":
            raise OSError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(shop.anchors, "write", disk_full_after_commit)
    ticket = shop.sale()
    assert FiscalRecord.get().ticket_id == ticket.id
    flush_anchors()
    assert "tail anchor" in caplog.text
    assert shop.anchors.read(TILL, "T").state == "intent"  # the intent still names the record
    assert shop.verify().ok


def test_training_tickets_can_be_sealed_in_chain_x(shop):
    shop.sale()
    shop.sale(training=True, chain="X")
    assert [(r.chain, r.sequence) for r in FiscalRecord.select().order_by(FiscalRecord.id)] == [("T", 1), ("X", 1)]
    report = shop.verify()
    assert report.ok and report.counts == {(TILL, "T"): 1, (TILL, "X"): 1}


def test_two_tills_keep_separate_chains(shop):
    shop.sale()
    other = Sealer("02", shop.signer, shop.anchors)
    with shop.database.atomic():
        ticket = Ticket.create(till_id="02", number=1, code="T02-0000001", user=shop.user, operator_name="Marie",
                               total_cents=0, line_count=0)
        seal_ticket(other, ticket)
    shop.sale()
    assert sorted((r.till_id, r.sequence) for r in FiscalRecord.select()) == [("01", 1), ("01", 2), ("02", 1)]
    assert shop.verify().ok


@pytest.mark.parametrize("model, change", [
    (Ticket, {"total_cents": 1}),
    (TicketLine, {"label": "Autre chose"}),
    (TicketVat, {"vat_cents": 0}),
    (Payment, {"amount_cents": 1}),
    (FiscalRecord, {"payload": "{}"}),
    (SigningKey, {"till_id": "99"}),
])
def test_triggers_refuse_update_and_delete(shop, model, change):
    shop.sale()
    with pytest.raises(peewee.DatabaseError, match="append-only"):
        with shop.database.atomic():
            model.update(**change).execute()
    with pytest.raises(peewee.DatabaseError, match="append-only"):
        with shop.database.atomic():
            model.delete().execute()
    assert shop.verify().ok


def test_an_empty_journal_verifies(shop):
    report = shop.verify()
    assert report.ok and report.counts == {} and report.problems == []


@pytest.mark.parametrize("kind, ticket_id, created_at, previous", [
    ("sale", 7, dt.datetime(2024, 5, 1, 9, 30), ""),
    ("Cafe\u0301", None, "2024-05-01 09:30:00.123456", "sig-A_b"),  # not NFC: the general path
    ('quote"and,"previous_signature":', 0, dt.datetime(2024, 5, 1, 11, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))),
     "x"),
])
def test_message_bytes_is_exactly_the_canonical_envelope(kind, ticket_id, created_at, previous):
    payload = {"lines": [{"label": "Crème", "quantity": -1}], "total_cents": 0}
    message = message_bytes(format_version=1, till_id="01", chain="T", sequence=3, kind=kind, created_at=created_at,
                            ticket_id=ticket_id, payload=canonical_json(payload), previous_signature=previous)
    expected = canonical_bytes({
        "format_version": 1, "till_id": "01", "chain": "T", "sequence": 3, "kind": kind,
        "created_at": iso_utc(created_at), "ticket_id": ticket_id, "payload": payload, "previous_signature": previous,
    })
    assert message == expected
    assert json.loads(message)["payload"] == payload


def test_an_unknown_format_version_is_refused():
    with pytest.raises(ValueError, match="format version"):
        message_bytes(format_version=2, till_id="01", chain="T", sequence=1, kind="sale",
                      created_at="2024-05-01T09:30:00", ticket_id=None, payload="{}", previous_signature="")


@pytest.mark.parametrize("value, text", [
    (dt.datetime(2024, 5, 1, 9, 30), "2024-05-01T09:30:00Z"),
    (dt.datetime(2024, 5, 1, 9, 30, 0, 120), "2024-05-01T09:30:00.000120Z"),
    ("2024-05-01 09:30:00", "2024-05-01T09:30:00Z"),  # SQLite's text
    ("2024-05-01 09:30:00.000120", "2024-05-01T09:30:00.000120Z"),
    (dt.datetime(2024, 5, 1, 11, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))), "2024-05-01T09:30:00Z"),
])
def test_iso_utc_gives_one_text_per_instant_whatever_the_engine_returns(value, text):
    assert iso_utc(value) == text


def test_reserve_tells_the_number_the_next_append_takes(shop):
    shop.sale()
    with pytest.raises(RuntimeError, match="inside database.atomic"):
        shop.sealer.reserve("T")
    with shop.database.atomic():
        number = shop.sealer.reserve("T")
        record = seal_ticket(shop.sealer, shop.unsealed_ticket(number))
    assert number == record.sequence == 2
    assert shop.verify().ok
