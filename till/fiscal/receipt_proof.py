"""A receipt that proves itself: the ticket in compact form, signed by the till, in its QR code.

Why: a customer brings a receipt to another shop of the chain, whose till has never seen the
ticket. The paper must then say, in a form no one can alter, what was bought (shop, till,
number, time, each line's product, quantity, amounts and VAT rate, the payments) and who
sold it. So the till signs a compact copy of the ticket with its fiscal key, and any till (or
head office) holding the selling till's key chain checks it. The printed ticket code (CODE128)
stays the quick way back to a ticket of this shop; the QR carries the proof.

The text is ``RQ1`` then decimal digits: a QR code stores digits at 3.3 bits each (numeric
mode), as dense as raw bytes, and a keyboard-wedge scanner types digits right on any keyboard
layout, where raw bytes would not come through at all. The digits are one big number: the
byte ``0x01`` (so leading zero bytes survive), the body, then the 64-byte signature (r || s).

Body (version 1), integers as LEB128 varints (``u``) or zigzag varints (``z``, for amounts):
shop id and till id (``u`` length + UTF-8), number ``u``, sale time ``u`` (Unix seconds, UTC),
the first 8 bytes of the signing key's id, then the lines sold (positive quantities only: the
returned lines of an exchange are not returnable again) and the payments:

    line:     position u, flags u (1: weighed, in grams; 2: product is a digit string),
              product (digits: u length + u value; else u length + UTF-8), quantity u,
              unit price z, discount z, total z, VAT rate in basis points u
    payment:  means (u length + ASCII), amount z

The signature is deterministic ECDSA P-256 over SHA-256 (RFC 6979) of ``DOMAIN`` + body: every
copy of a receipt carries the same code, so the code's signature names the sale for good, and
the domain keeps a proof's signature from ever passing for a fiscal record's.

Pure: no database, no network. Head office checks proofs with this module too.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Callable, Iterable

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

from till.errors import TillError
from till.i18n import N_
from till.scanning import RECEIPT_PROOF_PREFIX, looks_like_proof, ticket_code

__all__ = ["PREFIX", "DOMAIN", "KEY_HINT_BYTES", "ProofLine", "ReceiptProof", "SignedProof", "ProofError",
           "looks_like_proof", "encode", "decode", "check", "sign_proof", "UNREADABLE", "UNKNOWN_TILL", "UNKNOWN_KEY",
           "FORGED"]

PREFIX = RECEIPT_PROOF_PREFIX
"""What every proof's text starts with (R for receipt, Q for QR, 1 for the format's version);
kept in ``till.scanning``, which tells a proof from the other codes by its shape."""
DOMAIN = b"till receipt proof 1\n"
"""Prefixed to the body before signing: a proof's signature is never a record's, nor the reverse."""
KEY_HINT_BYTES = 8
SIGNATURE_BYTES = 64
MAX_TEXT = 4000
"""A proof longer than this is refused unread (a QR code holds at most 7089 digits)."""

UNREADABLE = N_("This receipt's QR code cannot be read: scan it again, or type the ticket number")
UNKNOWN_TILL = N_("Receipt {code} comes from till {till}, which this shop does not know yet: "
                  "a sync with head office brings every till's keys")
UNKNOWN_KEY = N_("Receipt {code} was signed with a key of till {till} that this shop does not know yet: "
                 "a sync with head office brings it")
FORGED = N_("Receipt {code} does not verify: its QR code was altered or forged. Nothing can be returned on it")

_WEIGHED, _DIGITS = 1, 2
_MAX_DIGITS = 40
"""The longest product code written as digits (``body_of``); a longer width is an altered code."""


class ProofError(TillError):
    """A receipt's QR code was refused: unreadable, of an unknown till or key, or not verifying.
    ``reason`` is one of ``unreadable``, ``unknown_till``, ``unknown_key``, ``forged`` (what head
    office answers too)."""

    def __init__(self, message: str, reason: str = "unreadable", **params: object) -> None:
        super().__init__(message, **params)
        self.reason = reason


@dataclass(frozen=True)
class ProofLine:
    """A line sold, as the proof carries it."""

    position: int
    product: str
    """The product's barcode (a digit string) or its SKU."""
    quantity: int
    """Units, or grams when ``weighed``."""
    unit_price_cents: int
    discount_cents: int
    total_cents: int
    vat_rate_bp: int
    weighed: bool = False


@dataclass(frozen=True)
class ReceiptProof:
    """What a receipt proves: the sale, and the key that signed it (``key_hint``)."""

    shop_id: str
    till_id: str
    number: int
    sold_at: dt.datetime
    """Naive UTC, whole seconds."""
    lines: tuple[ProofLine, ...]
    payments: tuple[tuple[str, int], ...]
    """(means code, amount in cents); change given is a negative cash amount."""
    key_hint: bytes = b""
    """The first ``KEY_HINT_BYTES`` of the signing key's id."""

    @property
    def code(self) -> str:
        """The ticket's code, as printed under its barcode."""
        return ticket_code(self.till_id, self.number)

    @property
    def total_cents(self) -> int:
        return sum(line.total_cents for line in self.lines)


@dataclass(frozen=True)
class SignedProof:
    """A proof read from its text, not yet checked: ``check`` verifies it."""

    proof: ReceiptProof
    message: bytes
    signature: bytes
    text: str

    @property
    def signature_text(self) -> str:
        """The signature as hex: how a return's record names the receipt it reverses."""
        return self.signature.hex()


# --- writing ------------------------------------------------------------------------------------


def _u(out: bytearray, value: int) -> None:
    if value < 0:
        raise ValueError(f"a count or an id cannot be negative: {value}")
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return


def _z(out: bytearray, value: int) -> None:
    _u(out, (value << 1) if value >= 0 else ((-value) << 1) - 1)


def _text(out: bytearray, text: str) -> None:
    data = text.encode("utf-8")
    _u(out, len(data))
    out += data


def _epoch(moment: dt.datetime) -> int:
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return int((moment - dt.datetime(1970, 1, 1)).total_seconds())


def body_of(proof: ReceiptProof, key_id: str) -> bytes:
    """The body signed and printed for ``proof``, signed by the key ``key_id`` (hex)."""
    out = bytearray()
    _text(out, proof.shop_id)
    _text(out, proof.till_id)
    _u(out, proof.number)
    _u(out, _epoch(proof.sold_at))
    out += bytes.fromhex(key_id)[:KEY_HINT_BYTES]
    _u(out, len(proof.lines))
    for line in proof.lines:
        digits = line.product.isdigit() and line.product.isascii() and len(line.product) <= _MAX_DIGITS
        _u(out, line.position)
        _u(out, (_WEIGHED if line.weighed else 0) | (_DIGITS if digits else 0))
        if digits:
            _u(out, len(line.product))
            _u(out, int(line.product))
        else:
            _text(out, line.product)
        _u(out, line.quantity)
        _z(out, line.unit_price_cents)
        _z(out, line.discount_cents)
        _z(out, line.total_cents)
        _u(out, line.vat_rate_bp)
    _u(out, len(proof.payments))
    for means, amount in proof.payments:
        _text(out, means)
        _z(out, amount)
    return bytes(out)


def encode(proof: ReceiptProof, key_id: str, sign: Callable[[bytes], bytes]) -> str:
    """The text of ``proof``'s QR code; ``sign(message)`` returns the 64-byte r || s signature of
    the key ``key_id`` (``sign_proof`` with the till's private key)."""
    body = body_of(proof, key_id)
    signature = sign(DOMAIN + body)
    if len(signature) != SIGNATURE_BYTES:
        raise ValueError("a proof's signature is 64 bytes (r || s)")
    return PREFIX + str(int.from_bytes(b"\x01" + body + signature, "big"))


def sign_proof(private_key: ec.EllipticCurvePrivateKey, message: bytes) -> bytes:
    """Deterministic ECDSA P-256 / SHA-256 (RFC 6979) of ``message``, as r || s (64 bytes)."""
    der = private_key.sign(message, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    r, s = utils.decode_dss_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


# --- reading ------------------------------------------------------------------------------------


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def u(self) -> int:
        value = shift = 0
        while True:
            byte = self.data[self.at]
            self.at += 1
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return value
            shift += 7
            if shift > 63:
                raise ValueError("varint too long")

    def z(self) -> int:
        value = self.u()
        return (value >> 1) if not value & 1 else -((value + 1) >> 1)

    def raw(self, size: int) -> bytes:
        if self.at + size > len(self.data):
            raise IndexError("past the end")
        chunk = self.data[self.at:self.at + size]
        self.at += size
        return chunk

    def text(self) -> str:
        return self.raw(self.u()).decode("utf-8")


def decode(text: str) -> SignedProof:
    """Read a proof's text (not yet verified: ``check`` does). ``ProofError`` when it is not one."""
    text = (text or "").strip()
    if not looks_like_proof(text) or len(text) > MAX_TEXT:
        raise ProofError(UNREADABLE)
    try:
        number = int(text[len(PREFIX):])
        data = number.to_bytes((number.bit_length() + 7) // 8, "big")
        if not data or data[0] != 1 or len(data) < 1 + SIGNATURE_BYTES + 8:
            raise ValueError("no marker")
        body, signature = data[1:-SIGNATURE_BYTES], data[-SIGNATURE_BYTES:]
        reader = _Reader(body)
        shop_id, till_id, sale_number = reader.text(), reader.text(), reader.u()
        sold_at = dt.datetime(1970, 1, 1) + dt.timedelta(seconds=reader.u())
        key_hint = reader.raw(KEY_HINT_BYTES)
        lines = []
        for _ in range(reader.u()):
            position, flags = reader.u(), reader.u()
            if flags & _DIGITS:
                width = reader.u()
                if width > _MAX_DIGITS:  # an altered code: never a string of 2**60 zeros
                    raise ValueError("product code too long")
                product = str(reader.u()).rjust(width, "0")
            else:
                product = reader.text()
            lines.append(ProofLine(position=position, product=product, quantity=reader.u(),
                                   unit_price_cents=reader.z(), discount_cents=reader.z(), total_cents=reader.z(),
                                   vat_rate_bp=reader.u(), weighed=bool(flags & _WEIGHED)))
        payments = tuple((reader.text(), reader.z()) for _ in range(reader.u()))
        if reader.at != len(body):
            raise ValueError("bytes after the payments")
    except (ValueError, IndexError, UnicodeDecodeError, OverflowError):
        raise ProofError(UNREADABLE) from None
    proof = ReceiptProof(shop_id=shop_id, till_id=till_id, number=sale_number, sold_at=sold_at, lines=tuple(lines),
                         payments=payments, key_hint=key_hint)
    return SignedProof(proof=proof, message=DOMAIN + body, signature=signature, text=text)


@functools.lru_cache(maxsize=256)
def _public_key(public_pem: str) -> ec.EllipticCurvePublicKey | None:
    """A till's public key, parsed once per process (a counter checks many receipts of few tills)."""
    key = serialization.load_pem_public_key(public_pem.encode("ascii"))
    return key if isinstance(key, ec.EllipticCurvePublicKey) else None


def _verifies(public_pem: str, message: bytes, signature: bytes) -> bool:
    try:
        key = _public_key(public_pem)
        if key is None:
            return False
        der = utils.encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
        key.verify(der, message, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return True


def check(signed: SignedProof | str, keys_of: Callable[[str], Iterable[tuple[str, str]] | None]) -> SignedProof:
    """The proof, verified: ``keys_of(till_id)`` gives the (key id, public PEM) pairs the
    selling till's key chain admits, or None when that till is unknown. ``ProofError`` with
    ``reason`` ``unknown_till``, ``unknown_key`` or ``forged`` (or ``unreadable`` from
    ``decode``) otherwise."""
    if isinstance(signed, str):
        signed = decode(signed)
    proof = signed.proof
    code = _code_or_till(proof)
    keys = keys_of(proof.till_id)
    if keys is None:
        raise ProofError(UNKNOWN_TILL, "unknown_till", code=code, till=proof.till_id)
    candidates = [pem for key_id, pem in keys if bytes.fromhex(key_id)[:KEY_HINT_BYTES] == proof.key_hint]
    if not candidates:
        raise ProofError(UNKNOWN_KEY, "unknown_key", code=code, till=proof.till_id)
    if not any(_verifies(pem, signed.message, signed.signature) for pem in candidates):
        raise ProofError(FORGED, "forged", code=code)
    return signed


def _code_or_till(proof: ReceiptProof) -> str:
    try:
        return proof.code
    except (TillError, ValueError, TypeError):
        return f"{proof.till_id} {proof.number}"
