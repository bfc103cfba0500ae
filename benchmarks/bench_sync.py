"""Sync throughput: push a till's records to a local head office on PostgreSQL.

``sync_push_100k_s`` is the time ``till sync`` takes to push 100 000 records (full size; quick
and tiny push fewer and scale the time linearly, which the notes say) to ``till-headoffice
serve`` running as its own process on loopback, on PostgreSQL, every record checked there
(link, hash, ECDSA signature) before it is stored. Beside it, the bare minimum: the same rows
copied into a bare PostgreSQL table by psycopg2 (``COPY``, one commit per batch of the same
size), in the same run, and the bare verification of the same records on all cores
(``benchmarks.bench_verify.raw_verify``: message, SHA-256, ECDSA on a process pool); ``ho_ingest_vs_raw``
is head office's records per second over the slower of the two bare rates, since head office
must do both.

The till's records are sealed once with the real ``Sealer`` (ticket-sized payloads) into a
SQLite till beside the benchmark folder and reused by later runs. PostgreSQL is
``$TILL_BENCH_PG_URL`` (a server URL whose user may create databases) or, failing that, the
throwaway server of ``tests/support/postgres.py``.

Run alone: ``python -m benchmarks.bench_sync --quick``.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

from till.config.sync import SyncSettings

Progress = Callable[[str], None]
ROOT = Path(__file__).resolve().parent.parent
RECORDS = {"full": 100_000, "quick": 20_000, "tiny": 2_000}
BATCH = SyncSettings.batch_size  # what a till sends unless its [sync] says otherwise
TARGET = "<= 15 s"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_till(folder: Path, count: int, say: Progress):
    """A till with ``count`` sealed records in chain T (reused when already there)."""
    from benchmarks.generate import open_sample_till
    from store.models import FiscalRecord

    ctx = open_sample_till(folder, "B1")
    have = FiscalRecord.select().where(FiscalRecord.chain == "T").count()
    if have < count:
        say(f"sealing {count - have} records ...")
        lines = [{"sku": f"SKU{i:05d}", "label": f"Produit numéro {i}", "quantity": 1 + i % 3,
                  "unit_price_cents": 199 + i * 37, "total_cents": (199 + i * 37) * (1 + i % 3),
                  "vat_code": "N", "vat_rate_bp": 2000} for i in range(4)]
        for start in range(have, count, 2000):
            with ctx.database.atomic():
                for number in range(start + 1, min(count, start + 2000) + 1):
                    ctx.sealer.append("T", "sale", {"number": number, "code": f"TB1-{number:07d}", "lines": lines,
                                                    "total_cents": sum(l["total_cents"] for l in lines),
                                                    "payments": [{"means": "cash", "amount_cents": 1000}]})
    return ctx


def _postgres(say: Progress):
    """(server URL maker, stop) for a PostgreSQL the benchmark may create databases on."""
    url = os.environ.get("TILL_BENCH_PG_URL")
    if url:
        import psycopg2

        base = url.rsplit("/", 1)[0]

        def create(name: str) -> str:
            conn = psycopg2.connect(url)
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
                cur.execute(f'CREATE DATABASE "{name}"')
            conn.close()
            return f"{base}/{name}"

        return create, lambda: None
    from tests.support.postgres import PostgresServer  # the repository's root is on sys.path (run.py, -m)

    say("starting a throwaway PostgreSQL ...")
    server = PostgresServer().start()
    return server.create_database, server.stop


def _start_headoffice(database_url: str, folder: Path) -> tuple[subprocess.Popen, str, Path]:
    port = _free_port()
    config = folder / "headoffice.toml"
    config.write_text(f'[headoffice]\ndatabase = "{database_url}"\nhost = "127.0.0.1"\nport = {port}\n'
                      f'log_file = "{folder / "headoffice.log"}"\n', encoding="utf-8")
    process = subprocess.Popen([sys.executable, "-m", "headoffice.cli", "--config", str(config), "serve"],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, f"http://127.0.0.1:{port}", config
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("head office did not start")


def _raw_insert(database_url: str, rows: list[tuple]) -> float:
    """Seconds to insert ``rows`` into a bare table with psycopg2's COPY, a commit per batch."""
    import psycopg2

    from headoffice.ingest import _copy_field

    conn = psycopg2.connect(database_url)
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE raw_record (till_id text, chain text, sequence int, kind text, created_at text, "
                    "ticket_id int, format_version int, payload text, previous_signature text, hash text, "
                    "signature text, key_id text, UNIQUE (till_id, chain, sequence))")
    conn.commit()
    started = time.perf_counter()
    with conn.cursor() as cur:
        for start in range(0, len(rows), BATCH):
            text = "".join("\t".join(_copy_field(v) for v in row) + "\n" for row in rows[start:start + BATCH])
            cur.copy_expert("COPY raw_record FROM STDIN", io.StringIO(text))
            conn.commit()
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def run_all(size: str, folder: Path, seed: int, say: Progress) -> dict[str, Any]:
    """The hook for ``benchmarks/run.py``: its own till beside ``folder``, a head office, a push."""
    from store.models import FiscalRecord
    from till.sync.push import SyncSettings, _NAMES, run_sync

    count = RECORDS.get(size, RECORDS["quick"])
    work = Path(folder).parent / f"{Path(folder).name}-sync"
    try:
        create, stop = _postgres(say)
    except Exception as error:  # noqa: BLE001 - no PostgreSQL here: the figures are absent, said why
        say(f"sync benchmark skipped: {error}")
        return {"sync_push_100k_s": None, "ho_ingest_vs_raw": None, "sync_skipped": str(error)[:200]}
    ctx = build_till(work / "till", count, say)
    process = None
    try:
        stamp = int(time.time())
        ho_url = create(f"bench_ho_{stamp}")
        process, url, config = _start_headoffice(ho_url, work)
        subprocess.run([sys.executable, "-m", "headoffice.cli", "--config", str(config), "enroll", ctx.till_id,
                        "--shop", "BENCH", "--public-key", "-"], input=ctx.sealer.signer.public_pem, text=True,
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        for stale in (work / "till" / "sync-state.json",):
            stale.unlink(missing_ok=True)
        records = FiscalRecord.select().where(FiscalRecord.till_id == ctx.till_id).count()
        say(f"sync push of {records} records ...")
        started = time.perf_counter()
        result = run_sync(ctx, SyncSettings(url=url, batch_size=BATCH, pull=False, timeout_s=120))
        push_s = time.perf_counter() - started
        pushed = sum(result.pushed.values())
        say("bare PostgreSQL insert of the same rows ...")
        rows = [tuple(r) for r in FiscalRecord.select(*[getattr(FiscalRecord, n) for n in _NAMES])
                .where(FiscalRecord.till_id == ctx.till_id).order_by(FiscalRecord.chain, FiscalRecord.sequence)
                .tuples()]
        rows = [r[:4] + (str(r[4]),) + r[5:] for r in rows]
        raw_s = _raw_insert(create(f"bench_raw_{stamp}"), rows)
        say("bare verification of the same records on all cores ...")
        from benchmarks.bench_verify import raw_verify
        from till.fiscal.signature_pool import cores
        bare_verify = raw_verify(Path(ctx.database.database), cores())
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=10)
        ctx.close()
        stop()
    ho_rate, copy_rate = pushed / push_s, len(rows) / raw_s
    raw_rate = min(copy_rate, bare_verify["per_s"])
    return {
        "sync_records": pushed, "sync_exit_code": result.exit_code,
        "sync_push_s": round(push_s, 2),
        "sync_push_100k_s": round(push_s * 100_000 / max(pushed, 1), 2),
        "ho_ingest_per_s": round(ho_rate), "raw_pg_insert_per_s": round(copy_rate),
        "raw_ho_verify_per_s": round(bare_verify["per_s"]), "raw_ho_bound_per_s": round(raw_rate),
        "ho_ingest_vs_raw": round(ho_rate / raw_rate, 3),
        "sync_batch": BATCH,
    }


def table_rows(r: dict[str, Any]) -> list[tuple]:
    """Rows for ``benchmarks/run.py``'s table: (measure, till, bare minimum, ratio, target, ok)."""
    def fmt(value: Any, unit: str = "") -> str:
        return "n/a" if value is None else f"{value}{unit}"

    seconds = r.get("sync_push_100k_s")
    return [
        ("sync push, 100k records", fmt(seconds, " s"), "", "", TARGET,
         None if seconds is None else seconds <= 15 and r.get("sync_exit_code") == 0),
        ("head-office ingest", fmt(r.get("ho_ingest_per_s"), " rec/s"), fmt(r.get("raw_ho_bound_per_s"), " rec/s"),
         fmt(r.get("ho_ingest_vs_raw"), "x"), "", None),
    ]


def notes(r: dict[str, Any]) -> list[str]:
    out = []
    if r.get("sync_records"):
        scaled = "" if abs(r["sync_records"] - 100_000) < 1000 else \
            f" (scaled linearly from {r['sync_records']} records)"
        out.append(f"sync: {r['sync_records']} records pushed in {r['sync_push_s']} s{scaled}, batches of "
                   f"{r['sync_batch']}, to till-headoffice serve (own process) on PostgreSQL; every record's link, "
                   f"hash and signature checked before it is stored; bare minimum: the slower of psycopg2 COPY "
                   f"into a bare table, a commit per batch ({r.get('raw_pg_insert_per_s')} rec/s), and the bare "
                   f"verification on all cores ({r.get('raw_ho_verify_per_s')} rec/s)")
    if r.get("sync_skipped"):
        out.append(f"sync: not measured ({r['sync_skipped']})")
    if r.get("sync_exit_code"):
        out.append(f"warning: the benchmark's sync ended with exit code {r['sync_exit_code']}")
    return out


def main(argv: list[str] | None = None) -> int:
    from benchmarks.generate import run_standalone

    return run_standalone(run_all, notes, argv)


if __name__ == "__main__":
    sys.exit(main())
