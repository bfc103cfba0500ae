"""A till checks a receipt's QR code at every scan against the selling till's key chain
(``known_tills.keys_of``); its own chain is read from its journal once, and again only after a
key rotation, so a scan costs one query, and a proof signed by the new key checks at once."""

from __future__ import annotations

from till.aftersale.receipt_proofs import proof_text
from till.fiscal import known_tills, receipt_proof
from till.fiscal.chain import current_database
from till.fiscal.rotation import rotate_key
from tests.support.shop import sell


def _queries(monkeypatch) -> list[str]:
    """The SQL statements the bound database runs from now on."""
    database, seen = current_database(), []
    run = database.execute_sql

    def counted(sql, params=None, *args, **kwargs):
        seen.append(sql)
        return run(sql, params, *args, **kwargs)

    monkeypatch.setattr(database, "execute_sql", counted)
    return seen


def test_the_till_s_own_chain_is_read_once_then_one_query_a_scan(shop, monkeypatch):
    sale = sell(shop, [("WIN", 1)], cash=895)
    text = proof_text(shop.config, sale, shop.ctx.sealer.signer)
    receipt_proof.check(text, known_tills.keys_of)
    seen = _queries(monkeypatch)
    for _ in range(3):
        assert receipt_proof.check(text, known_tills.keys_of).proof.code == sale.code
    assert len(seen) <= 3, seen


def test_after_a_rotation_the_new_key_s_proofs_and_the_old_one_s_both_check(shop):
    before = sell(shop, [("WIN", 1)], cash=895)
    old_text = proof_text(shop.config, before, shop.ctx.sealer.signer)
    assert receipt_proof.check(old_text, known_tills.keys_of)
    new = rotate_key(shop.ctx.sealer)
    after = sell(shop, [("BAG", 1)], cash=120)
    new_text = proof_text(shop.config, after, new)
    assert [key_id for key_id, _pem in known_tills.keys_of("01")][-1] == new.key_id
    assert receipt_proof.check(new_text, known_tills.keys_of).proof.code == after.code
    assert receipt_proof.check(old_text, known_tills.keys_of).proof.code == before.code
