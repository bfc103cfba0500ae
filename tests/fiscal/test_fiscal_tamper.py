"""Tampering with the triggers dropped: each alteration is reported at the right record.

Three sales are sealed (records 1, 2, 3 of chain T); then, as an attacker with full database
access, the triggers are dropped and something about the second sale (or the journal) is
changed. ``verify_journal`` must fail and name chain T and the altered record first.

The six weaknesses fiscal-fr.md lists in Odoo's French module, each closed here:
payments hashed as ids only (-> "payment amount", "payment means", "payment reference");
products and taxes as ids (-> "line label", "line vat rate": copied by value and sealed);
order totals not hashed (-> "ticket total", "vat row"); no signature (-> the signature tests,
a record re-hashed by the attacker still fails); no tail anchor (-> the deleted-last-record
tests); hashing on the server only (-> every record is signed at the till, in the ticket's own
transaction: tests/fiscal/test_fiscal_ticket_writer.py).
"""

from __future__ import annotations

import hashlib

import peewee
import pytest

from store.models import ChainHead, FiscalRecord, Payment, SigningKey, Ticket, TicketLine, TicketVat
from till.fiscal import (
    Sealer, Signer, message_bytes, register_public_key, seal_ticket, signed_message, verify_journal,
)

TILL = "01"  # the till of the shop fixture (tests/fiscal/conftest.py)


@pytest.fixture
def sealed(shop):
    """The shop with three sealed sales, its triggers dropped; returns (shop, tickets)."""
    tickets = [shop.sale() for _ in range(3)]
    assert shop.verify().ok
    shop.unprotect()
    return shop, tickets


def _record(sequence: int, chain: str = "T") -> FiscalRecord:
    return FiscalRecord.get((FiscalRecord.chain == chain) & (FiscalRecord.sequence == sequence))


def _line(ticket: Ticket, position: int):
    return (TicketLine.ticket == ticket.id) & (TicketLine.position == position)


def _payment(ticket: Ticket, position: int):
    return (Payment.ticket == ticket.id) & (Payment.position == position)


ROW_TAMPERING = {
    "ticket total": lambda t: Ticket.update(total_cents=930).where(Ticket.id == t.id).execute(),
    "ticket operator": lambda t: Ticket.update(operator_name="Quelqu'un").where(Ticket.id == t.id).execute(),
    "line label": lambda t: TicketLine.update(label="Pain de mie").where(_line(t, 1)).execute(),
    "line quantity": lambda t: TicketLine.update(quantity=1).where(_line(t, 1)).execute(),
    "line vat rate": lambda t: TicketLine.update(vat_rate_bp=2000).where(_line(t, 1)).execute(),
    "vat row": lambda t: TicketVat.update(vat_cents=0).where(TicketVat.ticket == t.id).execute(),
    "payment amount": lambda t: Payment.update(amount_cents=900).where(_payment(t, 1)).execute(),
    "payment means": lambda t: Payment.update(means="cash").where(_payment(t, 1)).execute(),
    "payment reference": lambda t: Payment.update(reference="AUTH999").where(_payment(t, 1)).execute(),
    "line deleted": lambda t: TicketLine.delete().where(_line(t, 2)).execute(),
    "payment deleted": lambda t: Payment.delete().where(_payment(t, 2)).execute(),
    "line added": lambda t: TicketLine.create(
        ticket=t.id, position=3, sku="X", label="Ajout", quantity=1, unit_price_cents=1, total_cents=1,
        vat_code="N", vat_rate_bp=2000),
}


@pytest.mark.parametrize("name", sorted(ROW_TAMPERING))
def test_altered_ticket_rows_are_detected_at_their_record(sealed, name):
    shop, tickets = sealed
    ROW_TAMPERING[name](tickets[1])
    report = shop.verify()
    assert not report.ok
    problem = report.first_problem
    assert (problem.till_id, problem.chain, problem.sequence) == (TILL, "T", 2)
    assert problem.what == f"payload differs from the ticket rows (ticket {tickets[1].id} was altered)"
    assert [(p.chain, p.sequence) for p in report.problems] == [("T", 2)]  # the other records are fine
    assert report.lines("en")[2] == (
        f"chain T of till {TILL}, record 2: payload differs from the ticket rows (ticket {tickets[1].id} was altered)"
    )
    assert report.lines("fr")[2].startswith(f"chaîne T de la caisse {TILL}, enregistrement 2 : le contenu scellé")


def test_altered_record_payload_is_detected(sealed):
    shop, tickets = sealed
    forged = _record(2).payload.replace('"total_cents":1030', '"total_cents":930', 1)
    FiscalRecord.update(payload=forged).where(FiscalRecord.id == _record(2).id).execute()
    report = shop.verify()
    assert (report.first_problem.chain, report.first_problem.sequence) == ("T", 2)
    assert {p.what for p in report.problems} >= {
        "hash does not match the record's content (record altered)",
        "signature is not valid (record altered or forged)",
    }


def test_record_payload_and_hash_rewritten_together_still_fail_the_signature(sealed):
    shop, tickets = sealed
    Ticket.update(total_cents=930).where(Ticket.id == tickets[1].id).execute()
    record = _record(2)
    payload = record.payload.replace('"total_cents":1030', '"total_cents":930', 1)
    message = message_bytes(format_version=1, till_id=TILL, chain="T", sequence=2, kind=record.kind,
                            created_at=record.created_at, ticket_id=record.ticket_id, payload=payload,
                            previous_signature=record.previous_signature)
    FiscalRecord.update(payload=payload, hash=hashlib.sha256(message).hexdigest()).where(
        FiscalRecord.id == record.id).execute()
    report = shop.verify()
    assert [(p.sequence, p.what) for p in report.problems] == [(2, "signature is not valid (record altered or forged)")]


def test_altered_record_signature_is_detected(sealed):
    shop, _ = sealed
    record = _record(2)
    other = _record(1).signature
    FiscalRecord.update(signature=other).where(FiscalRecord.id == record.id).execute()
    report = shop.verify()
    assert (report.first_problem.chain, report.first_problem.sequence) == ("T", 2)
    assert report.first_problem.what == "signature is not valid (record altered or forged)"
    # and record 3 no longer links to record 2
    assert ("T", 3) in [(p.chain, p.sequence) for p in report.problems]


def test_a_deleted_middle_record_is_detected(sealed):
    shop, tickets = sealed
    FiscalRecord.delete().where(FiscalRecord.id == _record(2).id).execute()
    report = shop.verify()
    first = report.first_problem
    assert (first.chain, first.sequence, first.what) == ("T", 2, "record 2 is missing")
    whats = [p.what for p in report.problems]
    assert "does not link to the previous record (previous signature differs)" in whats  # record 3
    assert any(f"ticket {tickets[1].id} (number 2) has no fiscal record" in w for w in whats)


def test_a_deleted_last_record_is_detected_by_the_anchor(sealed):
    shop, tickets = sealed
    last = tickets[2]
    # A careful attacker removes the last sale entirely and rewinds the chain head, so that
    # nothing left in the database betrays it.
    FiscalRecord.delete().where(FiscalRecord.id == _record(3).id).execute()
    for model in (Payment, TicketVat, TicketLine):
        model.delete().where(model.ticket == last.id).execute()
    Ticket.delete().where(Ticket.id == last.id).execute()
    ChainHead.update(sequence=2, signature=_record(2).signature).where(ChainHead.chain == "T").execute()
    assert verify_journal().ok  # without the anchor the shorter chain looks whole
    report = shop.verify()
    assert not report.ok
    first = report.first_problem
    assert (first.chain, first.sequence) == ("T", 3)
    assert first.what == "records from 3 on are missing: the tail anchor names record 3"


def test_a_deleted_last_record_is_also_seen_by_the_chain_head(sealed):
    shop, _ = sealed
    FiscalRecord.delete().where(FiscalRecord.id == _record(3).id).execute()
    report = verify_journal()
    assert (report.first_problem.chain, report.first_problem.sequence) == ("T", 3)


def test_a_record_replaced_at_the_anchored_sequence_is_detected(sealed):
    shop, _ = sealed
    anchor = shop.anchors.read(TILL, "T")
    shop.anchors.write(TILL, "T", anchor.sequence, "another-signature", anchor.hash, signer=shop.signer)
    report = shop.verify()
    assert [(p.sequence, p.what) for p in report.problems] == [
        (3, "differs from the tail anchor kept outside the database")]


def test_a_deleted_ticket_line_is_detected(sealed):
    shop, tickets = sealed
    TicketLine.delete().where(_line(tickets[1], 1)).execute()
    report = shop.verify()
    assert (report.first_problem.chain, report.first_problem.sequence) == ("T", 2)


def test_a_deleted_ticket_is_detected(sealed):
    shop, tickets = sealed
    for model in (Payment, TicketVat, TicketLine):
        model.delete().where(model.ticket == tickets[1].id).execute()
    Ticket.delete().where(Ticket.id == tickets[1].id).execute()
    report = shop.verify()
    assert (report.first_problem.chain, report.first_problem.sequence) == ("T", 2)
    assert report.first_problem.what == f"ticket {tickets[1].id} it seals no longer exists"


def test_a_forged_ticket_without_record_is_detected(sealed):
    shop, _ = sealed
    forged = shop.unsealed_ticket(4)
    report = shop.verify()
    assert not report.ok
    problem = report.first_problem
    assert (problem.till_id, problem.chain, problem.sequence) == (TILL, "T", None)
    assert problem.what == (
        f"ticket {forged.id} (number 4) has no fiscal record (added afterwards, or its record deleted)")


def test_a_ticket_sealed_twice_is_detected(sealed):
    shop, tickets = sealed
    with shop.database.atomic():
        seal_ticket(shop.sealer, tickets[0])
    report = shop.verify()
    assert [(p.chain, p.sequence) for p in report.problems] == [("T", 4)]
    assert report.first_problem.what == f"ticket {tickets[0].id} is already sealed by record 1 of chain T"


def test_a_record_signed_with_an_unregistered_key_is_detected(sealed):
    shop, _ = sealed
    intruder = Signer.create(shop.tmp_path / "intruder.pem")
    record = _record(2)
    FiscalRecord.update(signature=intruder.sign(signed_message(record)), key_id=intruder.key_id).where(
        FiscalRecord.id == record.id).execute()
    report = shop.verify()
    assert report.first_problem.sequence == 2
    assert report.first_problem.what == f"signed with unknown key {intruder.key_id}"


def test_a_key_slipped_into_the_table_is_refused(sealed):
    shop, _ = sealed
    intruder = Signer.create(shop.tmp_path / "intruder.pem")
    register_public_key(intruder, TILL)
    with shop.database.atomic():
        # The intruder seals a sale with its own key, continuing the real chain.
        seal_ticket(Sealer(TILL, intruder, shop.anchors), shop.unsealed_ticket(4))
    report = shop.verify()  # the table is only a cache: the till's key chain does not admit it,
    # neither for the record nor for the anchor the intruder's sealer wrote...
    assert [(p.sequence, p.what) for p in report.problems] == [
        (4, f"signed with key {intruder.key_id}, which the till's key chain does not admit"),
        (None, f"the tail anchor is signed with key {intruder.key_id}, which the journal does not admit")]
    trusted = {shop.signer.key_id: shop.signer.public_pem}
    report = shop.verify(public_keys=trusted)  # ...the auditor's exported key does not
    assert [(p.sequence, p.what) for p in report.problems] == [
        (4, f"signed with unknown key {intruder.key_id}"),
        (None, f"the tail anchor is signed with key {intruder.key_id}, which the journal does not admit")]


def test_a_public_key_row_replaced_by_another_key_is_refused(sealed):
    shop, _ = sealed
    intruder = Signer.create(shop.tmp_path / "intruder.pem")
    SigningKey.update(public_key_pem=intruder.public_pem).execute()
    report = shop.verify()
    assert not report.ok
    assert report.problems[0].what == f"public key {shop.signer.key_id} is not the key of that id"
    assert {p.sequence for p in report.problems if p.chain == "T"} == {1, 2, 3, None}  # None: the anchor's key


def test_with_triggers_in_place_the_attacks_are_refused_outright(shop):
    shop.sale()
    for attack in (
        lambda: Ticket.update(total_cents=1).execute(),
        lambda: TicketLine.update(label="x").execute(),
        lambda: Payment.update(means="cash").execute(),
        lambda: FiscalRecord.update(signature="x").execute(),
        lambda: FiscalRecord.delete().execute(),
        lambda: TicketLine.delete().execute(),
    ):
        with pytest.raises(peewee.DatabaseError, match="append-only"):
            with shop.database.atomic():
                attack()
    assert shop.verify().ok
