"""The receipt's proof (its QR code's text): it reads back exactly, and any change or any other
key is refused with the reason a cashier is told."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from till.fiscal.keys import key_id_of
from till.fiscal.receipt_proof import (
    PREFIX, ProofError, ProofLine, ReceiptProof, check, decode, encode, looks_like_proof, sign_proof,
)


def _key():
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")
    return private, pem, key_id_of(pem)


def _proof(lines: int = 3) -> ReceiptProof:
    return ReceiptProof(
        shop_id="LYON", till_id="L01", number=1234, sold_at=dt.datetime(2026, 12, 5, 15, 3, 2),
        lines=tuple(ProofLine(position=i + 1, product="3760123456789" if i % 2 else "0012345678905",
                              quantity=2, unit_price_cents=1299, discount_cents=100, total_cents=2498,
                              vat_rate_bp=2000) for i in range(lines))
        + (ProofLine(position=lines + 1, product="TOMATES-VRAC", quantity=1250, unit_price_cents=399,
                     discount_cents=0, total_cents=499, vat_rate_bp=550, weighed=True),),
        payments=(("card", 5000), ("cash", 3000), ("cash", -7)))


def test_a_proof_reads_back_exactly_and_is_the_same_on_every_copy():
    private, pem, key_id = _key()
    text = encode(_proof(), key_id, lambda message: sign_proof(private, message))
    assert text.startswith(PREFIX) and text[len(PREFIX):].isdigit() and looks_like_proof(text)
    assert encode(_proof(), key_id, lambda message: sign_proof(private, message)) == text  # deterministic
    signed = check(text, lambda till: [(key_id, pem)] if till == "L01" else None)
    assert signed.proof.lines == _proof().lines  # leading zeros of a barcode kept, grams, SKUs
    assert signed.proof.payments == _proof().payments
    assert (signed.proof.shop_id, signed.proof.till_id, signed.proof.number) == ("LYON", "L01", 1234)
    assert signed.proof.sold_at == dt.datetime(2026, 12, 5, 15, 3, 2)
    assert signed.proof.code.startswith("TL01-")


def test_an_altered_digit_another_key_or_an_unknown_till_is_refused_with_its_reason():
    private, pem, key_id = _key()
    text = encode(_proof(), key_id, lambda message: sign_proof(private, message))
    keys = lambda till: [(key_id, pem)] if till == "L01" else None  # noqa: E731
    altered = text[:40] + str((int(text[40]) + 1) % 10) + text[41:]
    with pytest.raises(ProofError) as refused:
        check(altered, keys)
    assert refused.value.reason in ("forged", "unreadable")
    _other, other_pem, other_id = _key()
    with pytest.raises(ProofError) as refused:  # a key of that till, but not the one that signed
        check(text, lambda till: [(other_id, other_pem)])
    assert refused.value.reason == "unknown_key"
    with pytest.raises(ProofError) as refused:
        check(text, lambda till: None)
    assert refused.value.reason == "unknown_till" and "L01" in refused.value.text("en")
    forged = encode(_proof(), key_id, lambda message: sign_proof(_other, message))  # signed by another key
    with pytest.raises(ProofError) as refused:
        check(forged, keys)
    assert refused.value.reason == "forged" and "forged" in refused.value.text("en")


@pytest.mark.parametrize("text", ["", "RQ1", "RQ1" + "9" * 50, "T01-0000123x", "RQ1" + "1" * 5000, "RQ1abc"])
def test_what_is_not_a_proof_is_unreadable(text):
    with pytest.raises(ProofError) as refused:
        decode(text)
    assert refused.value.reason == "unreadable"
