"""Other tills' key chains, as head office gives them: kept only when they hold from the pinned
root, and the keys a receipt's QR code is checked with."""

from __future__ import annotations


from store.models import KnownTillKey
from till.fiscal.key_chain import key_chain_records
from till.fiscal.known_tills import keys_of, shop_of, store_till_keys
from till.fiscal.keys import Signer


def _entry(shop, till_id: str = "01") -> dict:
    signer = shop.ctx.sealer.signer
    records = [r._asdict() for r in key_chain_records(till_id)]
    for record in records:
        record["created_at"] = str(record["created_at"])
    return {"till_id": till_id, "shop_id": "LYON", "root_key_id": signer.key_id,
            "keys": {signer.key_id: signer.public_pem}, "records": records}


def test_a_chain_that_holds_from_its_pinned_root_is_kept(shop):
    assert store_till_keys([_entry(shop)]) == []
    rows = list(KnownTillKey.select().where(KnownTillKey.till_id == "01"))
    assert [(r.key_id, r.position, r.shop_id) for r in rows] == [(shop.ctx.sealer.signer.key_id, 0, "LYON")]
    assert store_till_keys([_entry(shop)]) == []  # a second sync replaces, never doubles
    assert KnownTillKey.select().where(KnownTillKey.till_id == "01").count() == 1


def test_a_chain_rooted_elsewhere_or_with_an_altered_record_is_refused_and_the_old_rows_stay(shop, tmp_path):
    assert store_till_keys([_entry(shop)]) == []
    other = Signer.create(tmp_path / "other.pem")
    rerooted = dict(_entry(shop), root_key_id=other.key_id)
    altered = _entry(shop)
    altered["records"][0] = dict(altered["records"][0], payload=altered["records"][0]["payload"].replace("{", "{ ", 1))
    refused = store_till_keys([rerooted, altered])
    assert len(refused) == 2 and "root pinned" in refused[0]
    assert [r.key_id for r in KnownTillKey.select()] == [shop.ctx.sealer.signer.key_id]


def test_keys_of_a_till_never_synced_is_its_enrolled_root_and_an_unknown_till_has_none(shop, tmp_path):
    lyon = Signer.create(tmp_path / "lyon.pem")
    entry = {"till_id": "L01", "shop_id": "LYON", "root_key_id": lyon.key_id,
             "keys": {lyon.key_id: lyon.public_pem}, "records": []}
    assert store_till_keys([entry]) == []
    assert keys_of("L01") == [(lyon.key_id, lyon.public_pem)] and shop_of("L01") == "LYON"
    assert keys_of("Z99") is None
    own = keys_of("01")  # this till: from its own journal, never from what head office says
    assert own == [(shop.ctx.sealer.signer.key_id, shop.ctx.sealer.signer.public_pem)]
    assert store_till_keys([_entry(shop)], own_till_id="01") == []
    assert KnownTillKey.select().where(KnownTillKey.till_id == "01").count() == 0
