"""The chain heads at each closure (till.fiscal.heads): signed, sealed with the closure, queued
for head office when it is configured, and printed on the Z so the paper is an anchor too."""

from __future__ import annotations

import datetime as dt
import json

from store.models import FiscalRecord, OutboxJob
from reports.xz import z_report
from till.fiscal.canonical import canonical_bytes
from till.fiscal.closures import close_day
from till.fiscal.heads import (
    CHAIN_HEADS, SEND_CHAIN_HEADS, compare_heads, heads_of_closure, short_digest, statement_digest,
    statement_signed_by,
)

from tests.support.closures import at, busy_day


def _close(shop):
    busy_day(shop, "2026-10-05")
    (closure,) = close_day(shop.ctx.sealer, dt.date(2026, 10, 5), now=at("2026-10-05", 20))
    return closure


def test_a_closure_seals_the_signed_heads_of_every_chain(lite_shop):
    closure = _close(lite_shop)
    signed = heads_of_closure(lite_shop.ctx.till_id, closure.sequence)
    statement = signed["statement"]
    assert statement["closure"] == closure.sequence and statement["period"] == "2026-10-05"
    heads = {head["chain"]: head for head in statement["heads"]}
    g = FiscalRecord.get((FiscalRecord.chain == "G") & (FiscalRecord.sequence == closure.sequence))
    assert (heads["G"]["sequence"], heads["G"]["signature"], heads["G"]["hash"]) == (g.sequence, g.signature, g.hash)
    last_t = FiscalRecord.select().where(FiscalRecord.chain == "T").order_by(FiscalRecord.sequence.desc()).first()
    assert heads["T"]["sequence"] == last_t.sequence
    assert signed["digest"] == statement_digest(statement)
    assert statement_signed_by(signed, lite_shop.ctx.sealer.signer.public_pem)
    assert not statement_signed_by({**signed, "statement": {**statement, "closure": 99}},
                                   lite_shop.ctx.sealer.signer.public_pem)
    assert canonical_bytes(statement)  # canonical: what head office and an auditor recompute
    assert compare_heads(lite_shop.ctx.till_id, statement) == []
    assert not OutboxJob.select().where(OutboxJob.kind == SEND_CHAIN_HEADS).exists()  # no head office


def test_with_head_office_the_heads_are_queued_in_the_closure_transaction(lite_shop):
    lite_shop.ctx.sealer.heads_to_headoffice = True
    closure = _close(lite_shop)
    job = OutboxJob.get(OutboxJob.kind == SEND_CHAIN_HEADS)
    assert json.loads(job.payload) == heads_of_closure(lite_shop.ctx.till_id, closure.sequence)


def test_the_z_report_prints_the_heads_digest(lite_shop):
    closure = _close(lite_shop)
    lines = z_report(lite_shop.config, closure)
    digest = short_digest(heads_of_closure(lite_shop.ctx.till_id, closure.sequence)["digest"])
    assert "Têtes de chaîne" in "\n".join(lines) and any(line.strip() == digest for line in lines)
    assert len(digest) == 19 and all(len(line) <= 32 for line in z_report(lite_shop.config, closure, width=32))
    event = FiscalRecord.get(FiscalRecord.kind == CHAIN_HEADS)
    assert json.loads(event.payload)["details"]["digest"].upper().startswith(digest.replace("-", ""))
