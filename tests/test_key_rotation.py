"""R-SEC / R-JET: a till's key is replaced without breaking its chains; the old key signs the
hand-over, the journal verifies across it."""

from __future__ import annotations

import json

from store.models import FiscalRecord, SigningKey
from till.cli import main
from till.config import load
from till.context import TillContext
from till.fiscal.verify import verify_journal
from shopkit import sell


def test_rotation_hands_over_in_the_journal_and_everything_still_verifies(shop, capsys):
    sell(shop, [("WIN", 1)], cash=1000)
    old = shop.ctx.sealer.signer.key_id
    config = str(shop.config.path)
    assert main(["--config", config, "key", "rotate", "--pin", "1111"]) == 2  # a cashier's PIN
    assert main(["--config", config, "key", "rotate", "--pin", "9999"]) == 0
    assert "Signing key replaced" in capsys.readouterr().out
    key_file = shop.config.resolve(shop.config.till.key_file)
    assert [p.name for p in key_file.parent.iterdir() if ".retired-" in p.name] == [
        f"{key_file.name}.retired-{old[:16]}"]
    (rotated,) = FiscalRecord.select().where(FiscalRecord.kind == "KEY_ROTATED")
    details = json.loads(rotated.payload)["details"]
    assert rotated.key_id == old and details["old_key_id"] == old  # the old key vouches for the new
    new = details["new_key_id"]
    assert SigningKey.select().where(SigningKey.key_id == new).exists()
    ctx = TillContext.open(load(shop.config.path))  # the next start uses the new key
    try:
        assert ctx.sealer.signer.key_id == new
        shop.ctx.sealer.signer = ctx.sealer.signer
        later = sell(shop, [("SOA", 1)], cash=1000)
        record = FiscalRecord.get((FiscalRecord.ticket_id == later.id) & (FiscalRecord.chain == "T"))
        assert record.key_id == new
        assert verify_journal(anchors=ctx.sealer.anchors, workers=0).ok
    finally:
        ctx.close()
