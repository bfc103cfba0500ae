"""``GET /v1/till-keys``: every enrolled till's key chain as head office holds it, which a till
of another shop keeps after following it from the pinned root; and a receipt signed before a
key rotation still checks at head office after it."""

from __future__ import annotations

from tests.headoffice.receipt_proofs import made_up_proof, signed_text
from tests.support.headoffice import settings_for
from tests.support.shop import sell

from headoffice.cli import enroll
from store.models import KnownTillKey
from till.fiscal.keys import Signer
from till.fiscal.known_tills import store_till_keys
from till.sync.client import HeadOfficeClient
from till.sync.push import EXIT_OK, run_sync


def _entries(client) -> dict[str, dict]:
    return {entry["till_id"]: entry for entry in client.request("GET", "/v1/till-keys")["tills"]}


def _kept(shop, entry) -> list[str]:
    """The key ids a till keeps for ``entry`` (refusing nothing)."""
    assert store_till_keys([entry]) == []
    return [key_id for (key_id,) in KnownTillKey.select(KnownTillKey.key_id)
            .where(KnownTillKey.till_id == entry["till_id"]).order_by(KnownTillKey.position).tuples()]


def test_every_till_never_synced_synced_and_rotated(shop, headoffice, tmp_path):
    from till.fiscal.rotation import rotate_key

    lyon = Signer.create(tmp_path / "lyon.pem")
    enroll("L01", "LYON", lyon.public_pem)
    old = shop.ctx.sealer.signer
    client = HeadOfficeClient(headoffice.url, shop.ctx.till_id, old)
    never = _entries(client)["L01"]
    assert never == {"till_id": "L01", "shop_id": "LYON", "root_key_id": lyon.key_id,
                     "keys": {lyon.key_id: lyon.public_pem}, "records": []}
    assert _kept(shop, never) == [lyon.key_id]

    sell(shop, [("BAG", 1)])
    assert run_sync(shop.ctx, settings_for(headoffice.url)).exit_code == EXIT_OK
    synced = _entries(client)["01"]
    assert (synced["shop_id"], synced["root_key_id"]) == ("PARIS", old.key_id)
    # Its first record of chain L (a KEY_CREATED at a till made by ``till init``), as signed.
    assert [(r["chain"], r["sequence"], r["key_id"]) for r in synced["records"]] == [("L", 1, old.key_id)]
    assert _kept(shop, synced) == [old.key_id]

    before = signed_text(made_up_proof(shop.ctx.till_id, shop_id="PARIS"), old)  # printed before the rotation
    rotate_key(shop.ctx.sealer)
    new = shop.ctx.sealer.signer
    sell(shop, [("COF", 1)])
    assert run_sync(shop.ctx, settings_for(headoffice.url)).exit_code == EXIT_OK
    rotated = _entries(client)["01"]
    assert [r["kind"] for r in rotated["records"]][1:] == ["KEY_ROTATED"]
    assert set(rotated["keys"]) == {old.key_id, new.key_id}
    assert _kept(shop, rotated) == [old.key_id, new.key_id]
    # A receipt printed before the rotation, and one after, both check at head office.
    client = HeadOfficeClient(headoffice.url, shop.ctx.till_id, new)
    after = signed_text(made_up_proof(shop.ctx.till_id, number=43, shop_id="PARIS"), new)
    for proof in (before, after):
        assert client.request("POST", "/v1/returns/state", {"proof": proof})["shop_id"] == "PARIS"
