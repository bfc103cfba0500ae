"""The journal's verification against its bare twin: ``till journal verify`` on every core and on
one, beside a bare loop that only reads each record, rebuilds its message, hashes and checks its
signature (``raw_verify``) on the same number of cores, so ``verify_vs_raw`` is an honest ratio.
Head office's ingest benchmark (``benchmarks.bench_sync``) takes the same bare check as its bound.
"""

from __future__ import annotations

import base64
import collections
import hashlib
import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from benchmarks import bare_verify


def bench_verify(ctx) -> dict[str, Any]:
    from till.fiscal.verify import default_workers, verify_journal

    started = time.perf_counter()
    report = verify_journal(anchors=ctx.sealer.anchors)
    took = time.perf_counter() - started
    records = sum(report.counts.values())
    raw = raw_verify(Path(ctx.database.database), max(default_workers(), 1))
    alone_raw = raw_verify(Path(ctx.database.database)) if default_workers() > 1 else raw
    started = time.perf_counter()
    alone = verify_journal(anchors=ctx.sealer.anchors, workers=0)
    alone_took = time.perf_counter() - started
    verify_rate = records / took if took else None
    alone_rate = records / alone_took if alone_took else None
    return {
        "verify_records": records, "verify_s": round(took, 3), "verify_ok": report.ok and alone.ok,
        "verify_per_s": round(verify_rate, 1) if verify_rate else None, "verify_workers": default_workers(),
        "verify_1thread_per_s": round(alone_rate, 1) if alone_rate else None,
        "verify_1thread_vs_raw": round(alone_rate / alone_raw["per_s"], 2) if alone_rate and alone_raw["per_s"]
        else None,
        "raw_verify_records": raw["records"], "raw_verify_s": round(raw["seconds"], 3),
        "raw_verify_per_s": round(raw["per_s"], 1), "raw_verify_mismatches": raw["mismatches"],
        "raw_verify_workers": raw["workers"],
        "verify_vs_raw": round(verify_rate / raw["per_s"], 2) if verify_rate and raw["per_s"] else None,
    }


def _iso(stored: str) -> str:
    """A timestamp column's text as the signed ISO-8601 UTC form."""
    text = str(stored).replace(" ", "T")
    if "." in text:
        whole, fraction = text.split(".", 1)
        fraction = fraction[:6].ljust(6, "0")
        text = whole if int(fraction) == 0 else f"{whole}.{fraction}"
    return text + "Z"


def raw_verify(path: Path, workers: int = 1) -> dict[str, Any]:
    """Bare loop over every record: read it, rebuild its message, SHA-256, ECDSA verify; with
    ``workers`` > 1 the verifications run on that many processes (``benchmarks.bare_verify``),
    their start included in the time, as the till's verifier pays for its own."""
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    connection = sqlite3.connect(path)
    started = time.perf_counter()
    executor = bare_verify.pool(workers) if workers > 1 else None
    keys = {key_id: pem.encode("ascii") for key_id, pem in
            connection.execute("SELECT key_id, public_key_pem FROM signing_key")}
    records = mismatches = 0
    hashed_right: collections.deque[bool] = collections.deque()
    cursor = connection.execute(
        "SELECT format_version, till_id, chain, sequence, kind, created_at, ticket_id, payload, previous_signature,"
        " hash, signature, key_id FROM fiscal_record ORDER BY till_id, chain, sequence")

    def jobs():
        nonlocal records, mismatches
        for (version, till_id, chain, sequence, kind, created_at, ticket_id, payload, previous, hash_, signature,
             key_id) in cursor:
            records += 1
            message = (
                '{"chain":' + encode(chain) + ',"created_at":' + encode(_iso(created_at))
                + ',"format_version":' + str(version) + ',"kind":' + encode(kind) + ',"payload":' + payload
                + ',"previous_signature":' + encode(previous) + ',"sequence":' + str(sequence)
                + ',"ticket_id":' + ("null" if ticket_id is None else str(ticket_id)) + ',"till_id":'
                + encode(till_id) + "}"
            ).encode("utf-8")
            digest = hashlib.sha256(message).digest()
            if key_id not in keys:
                mismatches += 1
                continue
            hashed_right.append(digest.hex() == hash_)
            yield keys[key_id], digest, base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))

    for good in bare_verify.verdicts(executor, jobs(), workers):
        mismatches += not (good and hashed_right.popleft())
    if executor is not None:
        executor.shutdown()
    seconds = time.perf_counter() - started
    connection.close()
    return {"records": records, "seconds": seconds, "per_s": records / seconds if seconds else 0.0,
            "mismatches": mismatches, "workers": workers}
