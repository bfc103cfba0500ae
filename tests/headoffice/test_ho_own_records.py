"""``GET /v1/records``: a till fetches its own records back from head office, page by page,
exactly as it signed them, on SQLite and on PostgreSQL (the ``headoffice`` fixture)."""

from __future__ import annotations

import pytest
from tests.support.headoffice import settings_for
from tests.support.shop import sell

from headoffice.cli import enroll
from store.models import FiscalRecord
from till.fiscal.chain import iso_utc
from till.fiscal.keys import Signer
from till.sync.client import HeadOfficeAnswer, HeadOfficeClient
from till.sync.push import EXIT_OK, run_sync


def _client(shop, url: str) -> HeadOfficeClient:
    return HeadOfficeClient(url, shop.ctx.till_id, shop.ctx.sealer.signer, timeout_s=10)


def test_a_till_gets_its_records_back_as_signed_page_by_page(shop, headoffice):
    for _ in range(5):
        sell(shop, [("BAG", 2), ("COF", 1)])
    assert run_sync(shop.ctx, settings_for(headoffice.url)).exit_code == EXIT_OK
    client = _client(shop, headoffice.url)
    got, after = [], 0
    while True:
        page = client.request("GET", f"/v1/records?chain=T&after={after}&limit=2")
        assert len(page["records"]) <= 2
        got += page["records"]
        if not page["more"]:
            break
        after = page["records"][-1]["sequence"]
    local = FiscalRecord.select().where(FiscalRecord.chain == "T").order_by(FiscalRecord.sequence)
    assert [r["sequence"] for r in got] == [1, 2, 3, 4, 5]
    for record, row in zip(got, local):
        assert (record["payload"], record["signature"], record["hash"], record["previous_signature"],
                record["key_id"], record["kind"], record["ticket_id"], record["created_at"]) == (
            row.payload, row.signature, row.hash, row.previous_signature, row.key_id, row.kind, row.ticket_id,
            iso_utc(row.created_at))
    assert page["keys"] == {shop.ctx.sealer.signer.key_id: shop.ctx.sealer.signer.public_pem}
    assert page["root_key_id"] == shop.ctx.sealer.signer.key_id


def test_another_till_sees_none_of_them_and_a_stranger_is_refused(shop, headoffice, tmp_path):
    sell(shop, [("BAG", 1)])
    assert run_sync(shop.ctx, settings_for(headoffice.url)).exit_code == EXIT_OK
    other = Signer.load_or_create(tmp_path / "other.key")
    enroll("02", "PARIS", other.public_pem)
    answer = HeadOfficeClient(headoffice.url, "02", other, timeout_s=10).request("GET", "/v1/records?chain=T")
    assert answer["records"] == [] and answer["till_id"] == "02"
    stranger = Signer.load_or_create(tmp_path / "stranger.key")
    with pytest.raises(HeadOfficeAnswer) as refused:
        HeadOfficeClient(headoffice.url, "99", stranger, timeout_s=10).request("GET", "/v1/records?chain=T")
    assert refused.value.status == 401


def test_a_chain_must_be_named(shop, headoffice):
    with pytest.raises(HeadOfficeAnswer) as refused:
        _client(shop, headoffice.url).request("GET", "/v1/records")
    assert refused.value.status == 400
