"""A PostgreSQL shop: backed up with pg_dump while it sells, restored with pg_restore, verified, selling."""

from __future__ import annotations

import pytest

from store.models import FiscalRecord
from till.backup.check import check_backup
from till.backup.make import make_backup
from till.backup.restore import RestoreRefused, restore_backup
from till.fiscal.verify import verify_journal
from tests.support.shop import open_shop, sell

pytestmark = pytest.mark.postgres


def test_a_postgresql_shop_round_trips_through_pg_dump_and_pg_restore(pg_shop, postgres_server, tmp_path):
    sell(pg_shop, [("BAG", 2), ("WIN", 1)])
    result = make_backup(pg_shop.config, pg_shop.ctx.sealer, out=tmp_path / "usb", passphrase="pw")
    assert result.manifest.engine == "postgresql" and "database/till.pgdump" in result.manifest.members
    assert check_backup(result.path) == []
    tail = FiscalRecord.select().where(FiscalRecord.chain == "T").order_by(FiscalRecord.sequence.desc()).first()
    assert result.manifest.heads["T"] == {"sequence": tail.sequence, "hash": tail.hash}
    with pytest.raises(RestoreRefused, match="--database"):
        restore_backup(result.path, tmp_path / "nowhere", passphrase="pw", ask_headoffice=False, lang="en")
    url = postgres_server.create_database("restored_from_backup")
    try:
        report = restore_backup(result.path, tmp_path / "new", passphrase="pw", database_url=url,
                                ask_headoffice=False, lang="en")
        assert not report.behind and report.key_restored
        restored = open_shop(tmp_path / "new")
        try:
            assert restored.config.database_url == url
            assert verify_journal(anchors=restored.ctx.sealer.anchors).ok
            sell(restored, [("COF", 1)])
            assert FiscalRecord.select().where(FiscalRecord.chain == "T").count() == tail.sequence + 1
            assert verify_journal(anchors=restored.ctx.sealer.anchors).ok
        finally:
            restored.ctx.close()
    finally:
        postgres_server.drop_database("restored_from_backup")
