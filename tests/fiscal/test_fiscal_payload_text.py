"""The fast paths of the verifier give the very bytes and verdicts of the slow, defining ones.

``payload_text`` writes a ticket's payload text straight from its row tuples, and
``message_bytes`` writes the signed envelope field by field. Both must be byte-identical to the
canonical encoder wherever they answer, and the verifier's "text equal, else exact rules" must
give the verdict of the exact rules alone. Hypothesis tries the odd values: quotes, escapes,
control characters, non-NFC accents, emoji, huge and negative integers, None everywhere.
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata

from hypothesis import example, given, settings
from hypothesis import strategies as st

from till.fiscal.canonical import RawJSON, _encode, canonical_bytes, canonical_json
from till.fiscal.chain import iso_utc, message_bytes
from till.fiscal.payloads import payload_of, payload_text
from till.fiscal.verify import _same_payload

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12) | st.sampled_from(
    ["", "Café", "Cafe\u0301", 'a"b', "a\\b", "\n\t\x00", "€ 1,00", "😀", "}{,:[]"])
nfc_text = text.map(lambda value: unicodedata.normalize("NFC", value))
integer = st.integers(-(2**70), 2**70) | st.sampled_from([0, 1, -1])
stamp = st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1)).map(
    lambda value: value.replace(microsecond=0))
created = stamp | stamp.map(lambda value: value.strftime("%Y-%m-%d %H:%M:%S"))  # PostgreSQL, SQLite


def rows(strings):
    """TicketRows of 0-4 lines, VAT rows and payments, as the database gives them."""
    maybe_int = integer | st.none()
    maybe_str = strings | st.none()
    header = st.tuples(integer, strings, integer, strings, strings, created, integer, strings, maybe_int,
                       maybe_str, maybe_int, integer, integer, integer, st.sampled_from([0, 1, True, False]),
                       maybe_str, maybe_str, maybe_int)
    # the issuer (shop identity, software version): absent on tickets sealed before it was sealed
    issuer = st.just((None,) * 5) | st.tuples(strings, maybe_str, maybe_str, maybe_str, strings)
    ticket = st.tuples(header, issuer).map(lambda parts: parts[0] + parts[1])
    line = st.tuples(integer, integer, integer, maybe_int, strings, strings, integer, strings, integer, integer,
                     integer, strings, integer, maybe_int, maybe_str, maybe_str, maybe_str, maybe_int)
    vat = st.tuples(integer, integer, integer, integer, integer)
    payment = st.tuples(integer, integer, strings, integer, maybe_str)
    return st.tuples(ticket, st.lists(line, max_size=4), st.lists(vat, max_size=3), st.lists(payment, max_size=3))


@settings(max_examples=300)
@given(rows(nfc_text))
def test_payload_text_is_the_canonical_json_of_the_payload(ticket_rows):
    assert payload_text(ticket_rows) == canonical_json(payload_of(ticket_rows))


@settings(max_examples=300)
@given(rows(text))
def test_payload_text_is_the_json_encoder_s_text_whatever_the_strings(ticket_rows):
    assert payload_text(ticket_rows) == _encode(payload_of(ticket_rows))


def sales(strings):
    """Rows in the shape of nearly every sale (the typed shortcut of ``payload_text``)."""
    line = st.tuples(integer, integer, integer, integer, strings, strings, integer, strings, integer, integer,
                     integer, strings, integer, st.none(), st.none(), st.none(), st.none(), st.none())
    payment = st.tuples(integer, integer, strings, integer, strings | st.none())
    return rows(strings).flatmap(lambda r: st.tuples(
        st.just(r[0]), st.lists(line, min_size=1, max_size=4), st.just(r[2]), st.lists(payment, max_size=3)))


@settings(max_examples=300)
@given(sales(text))
def test_payload_text_of_plain_sales_is_the_json_encoder_s_text(ticket_rows):
    assert payload_text(ticket_rows) == _encode(payload_of(ticket_rows))


ODD = [1030.0, True, b"bytes", RawJSON("1"), dt.date(2024, 5, 1)]


@given(rows(nfc_text), st.sampled_from(ODD), st.integers(0, 2), st.data())
def test_a_value_that_is_not_plain_gets_no_fast_answer(ticket_rows, odd, where, data):
    ticket, lines, vats, payments = ticket_rows
    if where == 0:
        column = data.draw(st.sampled_from([0, 2, 3, 4, 6, 7, 11, 12, 13, 15, 16, 17, 18, 22]))
        ticket = ticket[:column] + (odd,) + ticket[column + 1:]
        if column == 18:  # the shop's name is sealed only with a software version (the issuer)
            ticket = ticket[:22] + ("1.0",) + ticket[23:]
    elif where == 1:
        lines = [(0, 1, 1, None, "SKU", "odd", odd, "piece", 1, 0, 1, "N", 2000, None, None, None, None, None)]
    else:
        payments = [(0, 1, "cash", 1, odd)]
    assert payload_text((ticket, lines, vats, payments)) is None


def _verdict(stored: str, ticket_rows) -> bool:
    """What the verifier decides for a ticket record (verify._ChainCheck.check)."""
    return payload_text(ticket_rows) == stored or _same_payload(stored, payload_of(ticket_rows))


@settings(max_examples=300)
@given(rows(text), rows(text), st.booleans())
@example(((1, "01", 1, "T01-1", "sale", "2024-05-01 09:30:00", 1, "Cafe\u0301", None, None, None, 10, 0, 1, 0,
           None, None, None, None, None, None, None, None), [], [], []), None, True)
def test_the_fast_comparison_never_changes_a_verdict(sealed_rows, other_rows, same):
    """Sealed text vs rows now: the same rows (perhaps written non-NFC) or other rows."""
    stored = canonical_json(payload_of(sealed_rows))
    now = sealed_rows if same or other_rows is None else other_rows
    assert _verdict(stored, now) == _same_payload(stored, payload_of(now))
    if payload_text(now) == stored:
        assert canonical_json(payload_of(now)) == stored  # equal text: the exact rule agrees


@settings(max_examples=300)
@given(format_version=st.sampled_from([1, True]), till_id=text, chain=text, sequence=integer, kind=text,
       created_at=created | st.sampled_from(["2024-05-01 09:30:00.000120",
                                             dt.datetime(2024, 5, 1, 11, 30, tzinfo=dt.timezone.utc)]),
       ticket_id=integer | st.none(), previous_signature=text,
       payload=st.dictionaries(nfc_text, integer | text | st.none(), max_size=4))
def test_message_bytes_is_the_canonical_envelope(format_version, till_id, chain, sequence, kind, created_at,
                                                  ticket_id, previous_signature, payload):
    payload_text_ = canonical_json(payload)
    message = message_bytes(format_version=format_version, till_id=till_id, chain=chain, sequence=sequence,
                            kind=kind, created_at=created_at, ticket_id=ticket_id, payload=payload_text_,
                            previous_signature=previous_signature)
    assert message == canonical_bytes({
        "format_version": format_version, "till_id": till_id, "chain": chain, "sequence": sequence, "kind": kind,
        "created_at": iso_utc(created_at), "ticket_id": ticket_id, "payload": RawJSON(payload_text_),
        "previous_signature": previous_signature,
    })
    assert json.loads(message)["payload"] == json.loads(payload_text_)


_OLD_TICKET = (7, "01", 3, "T01-0000031", "sale", dt.datetime(2024, 5, 1, 9, 30), 2, "Camille Martin", 4,
               "Hélène Dupré", None, 2150, 90, 2, 0, None, None, None)
_OLD_LINES = [
    (7, 11, 1, 5, "WIN", "Côtes du Rhône 75 cl", 2, "piece", 895, 90, 1700, "N", 2000, None, None, None, None, None),
    (7, 12, 2, 6, "BAG", "Baguette", 3, "piece", 150, 0, 450, "R", 550, None, None, None, None, None),
]
_OLD_VAT = [(7, 2000, 1700, 1417, 283), (7, 550, 450, 427, 23)]
_OLD_PAYMENTS = [(7, 1, "cash", 2500, None), (7, 2, "cash", -350, "change")]
SEALED_BEFORE_THE_ISSUER = (
    '{"code":"T01-0000031","created_at":"2024-05-01T09:30:00Z","customer":{"id":4,"name":"Hélène Dupré"},'
    '"discount_cents":90,"kind":"sale","line_count":2,"lines":[{"discount_cents":90,"disposition":null,'
    '"label":"Côtes du Rhône 75 cl","line_id":11,"origin_line_id":null,"position":1,"product_id":5,"quantity":2,'
    '"reason":null,"serial":null,"sku":"WIN","total_cents":1700,"unit":"piece","unit_price_cents":895,'
    '"vat_code":"N","vat_rate_bp":2000},{"discount_cents":0,"disposition":null,"label":"Baguette","line_id":12,'
    '"origin_line_id":null,"position":2,"product_id":6,"quantity":3,"reason":null,"serial":null,"sku":"BAG",'
    '"total_cents":450,"unit":"piece","unit_price_cents":150,"vat_code":"R","vat_rate_bp":550}],"number":3,'
    '"operator":{"name":"Camille Martin","user_id":2},"origin_ticket_id":null,"payments":[{"amount_cents":2500,'
    '"means":"cash","position":1,"reference":null},{"amount_cents":-350,"means":"cash","position":2,'
    '"reference":"change"}],"ticket_id":7,"till_id":"01","total_cents":2150,"training":false,"vat":[{'
    '"ht_cents":1417,"rate_bp":2000,"ttc_cents":1700,"vat_cents":283},{"ht_cents":427,"rate_bp":550,'
    '"ttc_cents":450,"vat_cents":23}]}'
)
"""The payload text of a ticket sealed before the issuer was: written by the code of that time."""


def test_a_ticket_sealed_before_the_issuer_keeps_its_payload_byte_for_byte():
    rows = (_OLD_TICKET + (None,) * 5, _OLD_LINES, _OLD_VAT, _OLD_PAYMENTS)
    assert payload_text(rows) == SEALED_BEFORE_THE_ISSUER
    assert canonical_json(payload_of(rows)) == SEALED_BEFORE_THE_ISSUER


def test_a_new_ticket_seals_the_shop_identity_and_the_software_version():
    issuer = ("Épicerie du Marché", "3 place du Marché, 69001 Lyon", "73282932000074", "FR44732829320", "1.4.0")
    rows = (_OLD_TICKET + issuer, _OLD_LINES, _OLD_VAT, _OLD_PAYMENTS)
    payload = payload_of(rows)
    assert payload["shop"] == {"name": "Épicerie du Marché", "address": "3 place du Marché, 69001 Lyon",
                               "siret": "73282932000074", "vat_number": "FR44732829320"}
    assert payload["software_version"] == "1.4.0"
    assert payload_text(rows) == canonical_json(payload)
