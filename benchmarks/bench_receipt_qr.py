"""Two measures for ``benchmarks/run.py``: a receipt's QR code checked, and its size.

- receipt_qr_verify_p95_ms: a receipt proof (``till.fiscal.receipt_proof``) of 1 to 10 lines of
  the catalogue's products, read from its text and checked against the selling till's key chain
  as a till of another shop checks it: ``decode`` then ``check`` with ``known_tills.keys_of``
  (the chain read from the database at each scan, as at the counter). The proofs are signed
  beforehand by the shop's own key (not timed), over tickets of the shop.
- receipt_qr_version_10_lines: the QR version (error correction M) of the largest ten-line
  proof made, what the printer prints (``devices.receipt_qr``): 15 or less fits 58 mm paper at
  4 dots a module.
"""

from __future__ import annotations

import random
import time
from typing import Any

from benchmarks.run import TARGETS, _ms, p50, p95

ITERATIONS = {"full": 1000, "quick": 1000, "tiny": 100}
WARM_UP = 20
"""The first checks warm the caches (key loading, the chain's query) and are not counted."""
MAX_VERSION = 15


def _proofs(ctx, count: int, rng: random.Random) -> list[tuple[str, int]]:
    """(text, line count) of ``count`` + ``WARM_UP`` proofs, one in ten of ten lines."""
    import datetime as dt

    from peewee import fn

    from store.models import Barcode, Ticket
    from till.fiscal.receipt_proof import ProofLine, ReceiptProof, encode

    signer = ctx.sealer.signer
    till_id = ctx.sealer.till_id
    codes = [code for (code,) in Barcode.select(Barcode.code).order_by(fn.Random()).limit(200).tuples()]
    tickets = list(Ticket.select(Ticket.number, Ticket.created_at)
                   .where((Ticket.till_id == till_id) & (Ticket.training == False))  # noqa: E712
                   .order_by(fn.Random()).limit(200).tuples()) or [(1, dt.datetime(2026, 1, 1))]
    rates = (2000, 1000, 550, 210)
    made = []
    for index in range(count + WARM_UP):
        size = 10 if index % 10 == 0 else rng.randint(1, 10)
        lines = []
        for position in range(1, size + 1):
            quantity, unit = rng.randint(1, 4), rng.randint(50, 15_000)
            discount = rng.choice((0, 0, 0, unit // 10))
            lines.append(ProofLine(position, rng.choice(codes) if codes else f"SKU{position}", quantity, unit,
                                   discount, quantity * unit - discount, rng.choice(rates)))
        total = sum(line.total_cents for line in lines)
        card = rng.randint(0, total)
        payments = (("card", card), ("cash", total - card)) if card else (("cash", total),)
        number, sold_at = rng.choice(tickets)
        proof = ReceiptProof(ctx.config.shop.siret, till_id, number, sold_at.replace(microsecond=0),
                             tuple(lines), payments)
        made.append((encode(proof, signer.key_id, signer.sign_proof), size))
    return made


def bench_receipt_qr(ctx, count: int, rng: random.Random) -> dict[str, Any]:
    """``count`` proofs read and checked (p95, p50); the QR version of the ten-line ones."""
    from devices.receipt_qr import qr_version
    from till.fiscal import known_tills
    from till.fiscal.receipt_proof import check, decode

    proofs = _proofs(ctx, count, rng)
    timings = []
    for index, (text, _size) in enumerate(proofs):
        started = time.perf_counter()
        check(decode(text), known_tills.keys_of)
        took = time.perf_counter() - started
        if index >= WARM_UP:
            timings.append(took)
    ten = [text for text, size in proofs if size == 10]
    longest = max(ten, key=len)
    return {
        "receipt_qr_verify_p95_ms": _ms(p95(timings)), "receipt_qr_verify_p50_ms": _ms(p50(timings)),
        "receipt_qr_count": len(timings), "receipt_qr_version_10_lines": qr_version(longest),
        "receipt_qr_digits_10_lines": len(longest),
    }


def run_all(ctx, size_name: str, rng: random.Random, say) -> dict[str, Any]:
    """Both measures, for ``run.py``'s ``main``."""
    say("receipt QR code: read and check ...")
    return bench_receipt_qr(ctx, ITERATIONS[size_name], rng)


def table_rows(r: dict[str, Any]) -> list[tuple]:
    """The table's rows for these measures (same shape as ``run.table``'s)."""
    verify, version = r.get("receipt_qr_verify_p95_ms"), r.get("receipt_qr_version_10_lines")
    return [
        ("receipt QR verify p95", "n/a" if verify is None else f"{verify} ms", "", "",
         TARGETS["receipt_qr_verify_p95_ms"], None if verify is None else verify <= 5),
        ("receipt QR version, 10 lines", "n/a" if version is None else str(version), "", "",
         TARGETS["receipt_qr_version_10_lines"], None if version is None else version <= MAX_VERSION),
    ]


def notes(r: dict[str, Any]) -> list[str]:
    if r.get("receipt_qr_verify_p50_ms") is None:
        return []
    return [f"receipt QR: {r['receipt_qr_count']} proofs of 1 to 10 lines decoded and checked against the till's "
            f"key chain; p50 {r['receipt_qr_verify_p50_ms']} ms; a ten-line proof is "
            f"{r['receipt_qr_digits_10_lines']} digits (QR version {r['receipt_qr_version_10_lines']}, level M)"]
