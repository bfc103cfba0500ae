"""Head office checks a batch's signatures in worker processes before storing any of it, and
``verify_all`` finds the same problems, in the same order, with workers as without."""

from __future__ import annotations

import hashlib
from concurrent.futures import ProcessPoolExecutor

import pytest
from tests.support.headoffice import alerts, settings_for
from tests.support.shop import sell

from headoffice import ingest
from headoffice import verify as ho_verify
from headoffice.store import Record, proxy
from till.fiscal import signature_pool
from till.fiscal.chain import message_bytes
from till.sync import push as sync_module
from till.sync.client import HeadOfficeAnswer, HeadOfficeClient
from till.sync.push import EXIT_OK, run_sync

_SIGNED = ("format_version", "till_id", "chain", "sequence", "kind", "created_at", "ticket_id", "payload",
           "previous_signature")


@pytest.fixture
def workers(monkeypatch):
    """Chunks of 3 records, so a batch of 12 is spread over worker processes; the pools used."""
    used: list = []

    def spy():
        used.append(signature_pool.shared_pool())
        return used[-1]

    monkeypatch.setattr(ingest, "_CHECK_CHUNK", 3)
    monkeypatch.setattr(ingest, "shared_pool", spy)
    monkeypatch.setattr(ho_verify, "shared_pool", spy)
    monkeypatch.setattr(ho_verify, "_BATCH", 3)
    return used


def _held_count() -> int:
    with proxy.obj.connection_context():
        return Record.select().count()


def test_a_forged_signature_checked_by_a_worker_refuses_the_whole_batch(shop, headoffice, workers):
    for index in range(12):
        sell(shop, [("BAG", 1 + index % 3), ("COF", 1)])
    records = sync_module._read(shop.ctx.till_id, "T", 1, 12)
    forged = records[7]  # in the third chunk: checked by a worker, after chunks already stored
    forged["payload"] = forged["payload"].replace('"total_cents":', '"total_cents":1', 1)
    forged["hash"] = hashlib.sha256(message_bytes(**{k: forged[k] for k in _SIGNED})).hexdigest()
    client = HeadOfficeClient(headoffice.url, shop.ctx.till_id, shop.ctx.sealer.signer)
    with pytest.raises(HeadOfficeAnswer) as refused:
        client.request("POST", "/v1/records", {"till_id": shop.ctx.till_id, "chain": "T", "records": records})
    assert refused.value.status == 422 and refused.value.body["error"] == "TAMPERED"
    assert refused.value.body["sequence"] == 8 and "signature" in refused.value.body["message"]
    assert _held_count() == 0 and alerts() == ["TAMPERED"]
    assert workers and all(isinstance(pool, ProcessPoolExecutor) for pool in workers)


def test_verify_all_reports_the_same_with_workers_as_without(shop, headoffice, workers, monkeypatch):
    for index in range(12):
        sell(shop, [("BAG", 1 + index % 3), ("COF", 1)])
    assert run_sync(shop.ctx, settings_for(headoffice.url)).exit_code == EXIT_OK
    with proxy.obj.connection_context():
        rows = {r.sequence: r for r in Record.select().where(Record.chain == "T")}
        Record.update(signature=rows[3].signature).where((Record.chain == "T") & (Record.sequence == 5)).execute()
        Record.update(payload=rows[9].payload + " ").where((Record.chain == "T") & (Record.sequence == 9)).execute()
        Record.delete().where((Record.chain == "T") & (Record.sequence == 11)).execute()
        spread = ho_verify.verify_all()
        monkeypatch.setattr(ho_verify, "shared_pool", lambda: None)
        alone = ho_verify.verify_all()
    assert spread == alone
    assert ("T", 5, "its signature does not verify with the till's key") in [(c, s, p) for _t, c, s, p in alone]
    assert any(c == "T" and s == 9 for _t, c, s, _p in alone) and any(c == "T" and s == 11 for _t, c, s, _p in alone)
    assert workers and all(isinstance(pool, ProcessPoolExecutor) for pool in workers)


def test_serve_starts_the_signature_workers_before_the_first_request(tmp_path, monkeypatch):
    """The workers' start (a Python each, importing ``cryptography``) is paid once, when head
    office starts, not by the first batch a till sends after it."""
    import uvicorn

    from headoffice.cli import main as ho_main

    monkeypatch.setattr(signature_pool, "_shared", None)
    monkeypatch.setattr(signature_pool, "cores", lambda: 2)
    at_serve: list = []

    def serving(_app, **_options):
        pool = signature_pool._shared
        at_serve.append(pool is not None and sum(process.is_alive() for process in pool._processes.values()))

    monkeypatch.setattr(uvicorn, "run", serving)
    config = tmp_path / "headoffice.toml"
    config.write_text(f'[headoffice]\ndatabase = "sqlite:///{tmp_path / "ho.db"}"\n', encoding="utf-8")
    try:
        assert ho_main(["--config", str(config), "serve"]) == 0
    finally:
        if signature_pool._shared is not None:
            signature_pool._shared.shutdown()
    assert at_serve == [2]
