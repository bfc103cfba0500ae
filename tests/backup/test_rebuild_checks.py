"""What a rebuild trusts: only keys the till's own key chain admits, never a key head office
merely lists. Checked on the records as head office would send them, without a server."""

from __future__ import annotations

import hashlib

import pytest
from tests.support.shop import sell

from store.models import FiscalRecord
from till.backup.rebuild import RebuildRefused, check_records
from till.fiscal.chain import iso_utc, message_bytes
from till.fiscal.key_chain import SealedRecord
from till.fiscal.keys import Signer

_FIELDS = SealedRecord._fields


def _as_sent(shop) -> dict[str, list[SealedRecord]]:
    chains: dict[str, list[SealedRecord]] = {}
    for row in FiscalRecord.select().order_by(FiscalRecord.chain, FiscalRecord.sequence):
        values = {name: getattr(row, name) for name in _FIELDS}
        chains.setdefault(row.chain, []).append(SealedRecord(**{**values, "created_at": iso_utc(row.created_at)}))
    return chains


def test_the_records_as_sealed_pass_and_give_the_key_chain(shop):
    sell(shop, [("BAG", 1)])
    signer = shop.ctx.sealer.signer
    chain = check_records(shop.ctx.till_id, _as_sent(shop), {signer.key_id: signer.public_pem})
    assert chain.current.key_id == signer.key_id


def test_a_record_re_signed_with_a_key_head_office_lists_but_the_chain_does_not_admit_is_refused(shop, tmp_path):
    sell(shop, [("BAG", 1)])
    sell(shop, [("COF", 1)])
    chains = _as_sent(shop)
    stranger = Signer.load_or_create(tmp_path / "stranger.pem")
    forged = chains["T"][1]._replace(payload=chains["T"][1].payload.replace('"quantity":1', '"quantity":5'),
                                     key_id=stranger.key_id)
    message = message_bytes(**{name: getattr(forged, name) for name in _FIELDS
                               if name not in ("hash", "signature", "key_id")})
    chains["T"][1] = forged._replace(hash=hashlib.sha256(message).hexdigest(), signature=stranger.sign(message))
    signer = shop.ctx.sealer.signer
    with pytest.raises(RebuildRefused) as refused:
        check_records(shop.ctx.till_id, chains, {signer.key_id: signer.public_pem,
                                                 stranger.key_id: stranger.public_pem})
    assert refused.value.text("en") == ("Record 2 of chain T from head office is refused: its signature does not "
                                        "hold with the key its till's key chain admits; nothing was stored")
