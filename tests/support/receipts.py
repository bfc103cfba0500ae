"""Receipts of another shop, as its till would print them: a till enrolled elsewhere, and the
QR code text of one of its sales (``receipt_proof.encode`` signed with that till's key)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from store.models import utcnow
from till.fiscal import receipt_proof
from till.fiscal.keys import Signer
from till.fiscal.known_tills import store_till_keys
from till.fiscal.receipt_proof import ProofLine, ReceiptProof
from till.returns.session import ReturnSession


def lyon_till(folder, till_id: str = "L01", shop_id: str = "LYON") -> Signer:
    """A till of another shop, made known to this one as head office's key list would (its root
    key alone: enrolled, never synced)."""
    signer = Signer.create(folder / f"{till_id}.pem")
    assert store_till_keys([{"till_id": till_id, "shop_id": shop_id, "root_key_id": signer.key_id,
                             "keys": {signer.key_id: signer.public_pem}, "records": []}]) == []
    return signer


def proof_of(shop, number: int = 42, till_id: str = "L01", days_ago: int = 2, lines=None) -> ReceiptProof:
    """A sale of ``till_id``: two bottles of the shop's wine (by barcode), a soap (by SKU) and a
    product this shop does not sell, at 20 % VAT; paid by card."""
    lines = lines or (ProofLine(1, shop.barcodes["WIN"], 2, 895, 0, 1790, 2000),
                      ProofLine(2, "SOA", 1, 350, 0, 350, 2000),
                      ProofLine(3, "LYON-777", 1, 1200, 200, 1000, 550))
    total = sum(line.total_cents for line in lines)
    sold = (utcnow() - dt.timedelta(days=days_ago)).replace(microsecond=0)
    return ReceiptProof(shop_id="LYON", till_id=till_id, number=number, sold_at=sold, lines=tuple(lines),
                        payments=(("card", total),))


def receipt_text(signer: Signer, proof: ReceiptProof) -> str:
    """The QR code's text of ``proof``, signed by ``signer``."""
    return receipt_proof.encode(proof, signer.key_id, signer.sign_proof)


def returns_policy(shop, **changes):
    """The shop's configuration with ``[returns]`` changed (e.g. ``offline_other_shop="credit_note"``)."""
    return dataclasses.replace(shop.config, returns=dataclasses.replace(shop.config.returns, **changes))


def receipt_session(shop, config=None) -> ReturnSession:
    return ReturnSession(config or shop.config, shop.ctx.sealer, shop.cashier)


@pytest.fixture
def headoffice(shop, tmp_path):
    """Head office (SQLite) on loopback, this till (01, shop PARIS) enrolled."""
    from headoffice.cli import enroll  # deferred: head office's package, only for the tests that start it
    from tests.support.headoffice import HeadOffice  # deferred: uvicorn, likewise

    office = HeadOffice(f"sqlite:///{tmp_path / 'headoffice.db'}").start()
    enroll(shop.ctx.till_id, "PARIS", shop.ctx.sealer.signer.public_pem)
    yield office
    office.stop()


@pytest.fixture
def lyon(headoffice, tmp_path) -> Signer:
    """Till L01 of shop LYON, enrolled at head office (its keys reach this till with a sync)."""
    from headoffice.cli import enroll  # deferred: head office's package, only for the tests that start it

    signer = Signer.create(tmp_path / "lyon.pem")
    enroll("L01", "LYON", signer.public_pem)
    return signer
