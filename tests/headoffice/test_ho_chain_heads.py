"""The chain heads of each closure, signed, kept by head office and compared by ``till journal
verify --headoffice`` (till.fiscal.heads, till.sync.heads, headoffice.chain_heads): a real
head office on loopback, the till's own command line."""

from __future__ import annotations

import json

from tests.support.headoffice import write_sync_section
from tests.support.journal import unprotect
from tests.support.shop import sell

from headoffice.chain_heads import HeadsStatement
from headoffice.store import proxy
from store.models import FiscalRecord, OutboxJob
from till.cli.main import main as till_main
from till.fiscal.heads import CHAIN_HEADS, SEND_CHAIN_HEADS
from till.sync.client import HeadOfficeAnswer, HeadOfficeClient
from till.fiscal import Signer


def _held() -> list[dict]:
    with proxy.obj.connection_context():
        return [json.loads(row.body) for row in HeadsStatement.select().order_by(HeadsStatement.id)]


def test_a_closure_sends_its_signed_heads_and_verify_compares(shop, headoffice, capsys):
    config = str(shop.ctx.config.path)
    write_sync_section(config, headoffice.url)
    sell(shop, [("BAG", 2)])
    assert till_main(["--config", config, "close", "day"]) == 0
    shop.ctx.database.connect(reuse_if_open=True)  # the command closed the shared connection
    sealed = json.loads(FiscalRecord.select().where(FiscalRecord.kind == CHAIN_HEADS).get().payload)["details"]
    held = _held()
    assert held == [{key: sealed[key] for key in ("statement", "key_id", "signature", "digest")}]
    heads = {head["chain"]: head["sequence"] for head in held[0]["statement"]["heads"]}
    assert heads["T"] == 1 and heads["G"] == 1
    assert OutboxJob.get(OutboxJob.kind == SEND_CHAIN_HEADS).status == "done"

    capsys.readouterr()
    assert till_main(["--config", config, "journal", "verify", "--headoffice"]) == 0
    assert "clôture 1" in capsys.readouterr().out
    shop.ctx.database.connect(reuse_if_open=True)

    unprotect(shop.ctx.database)  # the closure is cut on the till: head office still names it
    FiscalRecord.delete().where(FiscalRecord.chain == "G").execute()
    assert till_main(["--config", config, "journal", "verify", "--headoffice"]) == 1
    assert "chaîne G : l'enregistrement 1, une tête que détient le siège, manque" in capsys.readouterr().out


def test_heads_wait_in_the_outbox_while_head_office_is_down(shop, headoffice, capsys):
    config = str(shop.ctx.config.path)
    write_sync_section(config, headoffice.url)
    headoffice.stop()
    assert till_main(["--config", config, "close", "day"]) == 0
    assert "plus tard" in capsys.readouterr().err
    shop.ctx.database.connect(reuse_if_open=True)
    job = OutboxJob.get(OutboxJob.kind == SEND_CHAIN_HEADS)
    assert job.status == "pending" and job.attempts == 1
    headoffice.start()
    OutboxJob.update(not_before=job.created_at).where(OutboxJob.id == job.id).execute()  # its retry is due
    from till.aftersale.jobs import run_outbox
    from till.config.loader import load

    assert run_outbox(load(config)) == 1
    assert OutboxJob.get_by_id(job.id).status == "done" and len(_held()) == 1


def test_head_office_refuses_heads_not_signed_by_the_till(shop, headoffice, tmp_path):
    signer = shop.ctx.sealer.signer
    statement = {"format": "till-chain-heads-1", "till_id": shop.ctx.till_id, "closure": 7, "kind": "day",
                 "period": "2026-01-01", "at": "2026-01-01T20:00:00Z", "heads": []}
    intruder = Signer.create(tmp_path / "intruder.pem")
    from till.fiscal.canonical import canonical_bytes
    from till.fiscal.heads import statement_digest

    forged = {"statement": statement, "key_id": signer.key_id, "signature": intruder.sign(canonical_bytes(statement)),
              "digest": statement_digest(statement)}
    client = HeadOfficeClient(headoffice.url, shop.ctx.till_id, signer)
    try:
        try:
            client.request("POST", "/v1/chain-heads", forged)
            raise AssertionError("accepted")
        except HeadOfficeAnswer as answer:
            assert answer.status == 422 and answer.body["error"] == "TAMPERED"
        assert client.request("GET", "/v1/chain-heads") == {"signed": None}
    finally:
        client.close()
