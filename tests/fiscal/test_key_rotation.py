"""R-SEC / R-JET: a till's key is replaced without breaking its chains; the old key signs the
hand-over, the journal verifies across it."""

from __future__ import annotations

import json

from store.models import FiscalRecord, SigningKey, User
from till.cli.main import main
from till.config.loader import load
from till.shop.context import TillContext
from till.fiscal.verify import verify_journal
from tests.support.shop import sell


def test_rotation_hands_over_in_the_journal_and_everything_still_verifies(lite_shop, capsys):
    sell(lite_shop, [("WIN", 1)], cash=1000)
    old = lite_shop.ctx.sealer.signer.key_id
    config = str(lite_shop.config.path)
    assert main(["--config", config, "key", "rotate", "--manager", "cashier", "--pin", "1111"]) == 2  # no manager
    assert main(["--config", config, "key", "rotate", "--manager", "manager", "--pin", "9999"]) == 0
    assert "Signing key replaced" in capsys.readouterr().out
    key_file = lite_shop.config.resolve(lite_shop.config.till.key_file)
    assert [p.name for p in key_file.parent.iterdir() if ".retired-" in p.name] == [
        f"{key_file.name}.retired-{old[:16]}"]
    (rotated,) = FiscalRecord.select().where(FiscalRecord.kind == "KEY_ROTATED")
    details = json.loads(rotated.payload)["details"]
    assert rotated.key_id == old and details["old_key_id"] == old  # the old key vouches for the new
    new = details["new_key_id"]
    assert SigningKey.select().where(SigningKey.key_id == new).exists()
    ctx = TillContext.open(load(lite_shop.config.path))  # the next start uses the new key
    try:
        assert ctx.sealer.signer.key_id == new
        lite_shop.ctx.sealer.signer = ctx.sealer.signer
        later = sell(lite_shop, [("SOA", 1)], cash=1000)
        record = FiscalRecord.get((FiscalRecord.ticket_id == later.id) & (FiscalRecord.chain == "T"))
        assert record.key_id == new
        assert verify_journal(anchors=ctx.sealer.anchors, workers=0).ok
    finally:
        ctx.close()


def test_three_wrong_pins_lock_the_manager_named_and_rotate_nothing(lite_shop, capsys):
    """A shell is no place to try every PIN: the named manager's account counts and locks."""
    old = lite_shop.ctx.sealer.signer.key_id
    config = str(lite_shop.config.path)
    for guess in ("0000", "0001", "0002"):
        assert main(["--config", config, "key", "rotate", "--manager", "manager", "--pin", guess]) == 2
    assert "bloqué" in capsys.readouterr().err  # the shop's language, French
    assert main(["--config", config, "key", "rotate", "--manager", "manager", "--pin", "9999"]) == 2
    assert User.get_by_id(lite_shop.manager.id).locked
    kinds = [r.kind for r in FiscalRecord.select().where(FiscalRecord.chain == "L").order_by(FiscalRecord.sequence)]
    assert kinds.count("LOGIN_FAILED") == 3 and kinds.count("USER_LOCKED") == 1
    assert "KEY_ROTATED" not in kinds and "MANAGER_OVERRIDE" not in kinds
    assert lite_shop.ctx.sealer.signer.key_id == old
