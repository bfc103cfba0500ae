"""The demo's receipt "from another shop": to try a return of a sale made elsewhere in the chain.

A real till learns the other tills' keys from head office at each sync; the demo has no head
office, so its build plays that part once: it makes the key of till L01 of the chain's Lyon
shop, signs one past sale of that till as its receipt's QR code would carry it
(``till.fiscal.receipt_proof``), keeps L01's key as a sync would (``known_tills.store_till_keys``)
and writes the code to ``receipt-from-another-shop.txt`` in the shop's folder, with the QR code
drawn in text. L01's private key is thrown away: nothing else is ever signed with it.

The demo till cannot reach head office, so the return is taken under the offline policy the demo
sets (``returns.offline_other_shop = "credit_note"``): a credit note, up to the demo's maximum.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Iterable

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from store.models import Barcode, Product
from till.files import write_private
from till.fiscal.keys import key_id_of
from till.fiscal.known_tills import store_till_keys
from till.fiscal.receipt_proof import ProofLine, ReceiptProof, encode, sign_proof
from till.money import format_cents, line_total
from till.selling.catalogue import vat_rate_bp

__all__ = ["OTHER_TILL", "OTHER_SHOP", "RECEIPT_FILE", "add_receipt_from_another_shop"]

OTHER_TILL = "L01"
OTHER_SHOP = "LYON-PRESQU-ILE"
OTHER_SIRET = "73282932000082"
"""The same company's second shop (another establishment of the demo's SIREN)."""
RECEIPT_FILE = "receipt-from-another-shop.txt"
OTHER_NUMBER = 4211


def add_receipt_from_another_shop(folder: Path, products: Iterable[Product], today: dt.date) -> str:
    """Sign a sale of two of ``products`` made two days ago at L01, keep L01's key, write the
    receipt's code to ``RECEIPT_FILE`` in ``folder``; returns the code's text."""
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")
    key_id = key_id_of(pem)
    sold_on = today - dt.timedelta(days=2)
    lines = []
    for position, (product, quantity) in enumerate(zip(products, (1, 2)), start=1):
        barcode = (Barcode.select(Barcode.code).where(Barcode.product == product).order_by(Barcode.id)
                   .limit(1).scalar())
        total = line_total(product.price_cents, quantity)
        lines.append(ProofLine(position=position, product=barcode or product.sku, quantity=quantity,
                               unit_price_cents=product.price_cents, discount_cents=0, total_cents=total,
                               vat_rate_bp=vat_rate_bp(product.vat_code, sold_on)))
    proof = ReceiptProof(shop_id=OTHER_SIRET, till_id=OTHER_TILL, number=OTHER_NUMBER,
                         sold_at=dt.datetime.combine(sold_on, dt.time(15, 20)), lines=tuple(lines),
                         payments=(("card", sum(line.total_cents for line in lines)),))
    text = encode(proof, key_id, lambda message: sign_proof(private, message))
    refused = store_till_keys([{"till_id": OTHER_TILL, "shop_id": OTHER_SHOP, "root_key_id": key_id,
                                "keys": {key_id: pem}, "records": []}])
    if refused:  # the build's own entry: a refusal is a bug of the build, not of the shop
        raise RuntimeError(f"the demo's other till was refused: {refused}")
    write_private(folder / RECEIPT_FILE, _explained(proof, text).encode("utf-8"))
    return text


def _explained(proof: ReceiptProof, text: str) -> str:
    import qrcode  # deferred: only the demo's build draws a QR code in text

    drawn = io.StringIO()
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    code.add_data(text)
    code.make(fit=True)
    code.print_ascii(out=drawn, invert=True)
    return (
        f"A receipt of another shop of the chain ({OTHER_SHOP}, till {OTHER_TILL}, ticket {proof.code},\n"
        f"{format_cents(proof.total_cents)} paid by card), to try a return from another shop.\n"
        "On the till, open the return screen (F12), paste the line below into the scan field (or scan\n"
        "the QR code under it with a 2D scanner), then Enter. The demo cannot reach head office, so the\n"
        "till takes it back under its offline policy: a credit note.\n\n"
        f"{text}\n\n{drawn.getvalue()}"
    )
