"""Measure the till on a large shop, beside the bare minimum doing the same work in the same run.

    python benchmarks/run.py             # the issue's shop: 100k products, 1M tickets, 200k customers
    python benchmarks/run.py --quick     # 5k products, 20k tickets, 5k customers (under a minute)
    python benchmarks/run.py --dir DIR   # build there, or reuse what is there
    python benchmarks/run.py --cores 1   # this run and all it starts on one core, near a Pi

Prints a table (figure, bare-minimum figure, ratio, target) and, as its last line, one JSON
object with every figure. It never asserts: a missed target is shown as "MISSED", and the
exit status is 0 whenever the figures could be taken.

What is measured:

- scan_to_line: ``Basket.add_code`` on random barcodes of the catalogue.
- checkout_commit: ``Checkout.add_cash`` + ``complete`` of a 3-line basket (the real write:
  ticket, lines, VAT, payments, stock, accounting, seal, outbox, commit with
  synchronous=FULL). The tail anchor file is written after the commit by a background thread,
  as in the till, so it is not in this figure; it is flushed (untimed) before the raw write, so
  its fsyncs never slow the raw twin down. Beside it, raw_sqlite_commit: the very rows that
  checkout wrote, read back and written again with bare ``sqlite3`` statements (same pragmas,
  one transaction) into a copy of the shop database, alternately with the till, in the same run.
- receipt_lookup: a ticket found from its printed code, with its lines and payments.
- verify: records a second by ``till.fiscal.verify.verify_journal`` as the till runs it (each page
  of records sent whole to one of a worker process per core: message, hash, ECDSA; payloads
  against ticket rows, links and the other checks in the calling process); beside it, raw_verify: the same records read with
  bare ``sqlite3``, their signed message rebuilt, SHA-256, and bare ``cryptography`` ECDSA
  verifications on a process pool of as many workers (``benchmarks/bare_verify.py``).
  verify_1thread_per_s is ``verify_journal(workers=0)``, all in one process, against the bare
  loop in one process.
- return_p95_ms, customer_search_p95_ms: a cash sale returned from its receipt code (find, pick
  one unit, cash refund, complete) and ``search_customers`` on typed prefixes; see
  ``benchmarks/bench_returns.py``.
- receipt_qr_verify_p95_ms, receipt_qr_version_10_lines: a receipt's QR code (its signed proof,
  1 to 10 lines) read and checked against the till's key chain, and the QR version of a ten-line
  one; see ``benchmarks/bench_receipt_qr.py``.
- signals_day_s, signals_return_check_p95_ms: every loss-prevention signal of the day with the
  most returns, and the check at the return screen; see ``benchmarks/bench_signals.py``.
- ho_page_p95_ms: the slowest of head office's sales, returns and credit-note pages (and their
  CSV) at p95, over 200 shops x 3 years on PostgreSQL; see ``benchmarks/bench_ho_pages.py``.
- ui_cold_start: ``python -m till --config FILE`` started in a tmux pane until the login screen
  shows; ui_rss_mb is the process's resident memory then. ui_cold_start_cold_cache_s: the same
  with the database file (and its WAL) dropped from the page cache before each start
  (``posix_fadvise`` DONTNEED), as the first start of the morning.
- scan_to_screen, receipt_to_return_screen, demo_first_screen: keys typed at the till in tmux
  until the screen shows their result; see ``benchmarks/bench_terminal.py``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import sqlite3
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.bench_terminal import KEYS as TERMINAL_KEYS, TARGETS as TERMINAL_TARGETS  # noqa: E402
from benchmarks.ui_start import bench_ui  # noqa: E402
from benchmarks.bench_verify import bench_verify  # noqa: E402
from benchmarks.generate import FULL, QUICK, TINY, Size, build_shop, default_bench_dir  # noqa: E402

REQUIRED_KEYS = (
    "scan_to_line_p95_ms", "checkout_commit_p95_ms", "raw_sqlite_commit_p95_ms", "receipt_lookup_p95_ms",
    "verify_per_s", "raw_verify_per_s", "ui_cold_start_s", "ui_cold_start_cold_cache_s", "ui_rss_mb", "checkout_vs_raw", "verify_vs_raw",
    "return_p95_ms", "customer_search_p95_ms", "daily_closure_s", "archive_export_s", "sync_push_100k_s",
    "ho_ingest_vs_raw", "returns_report_s", "fec_export_s", "fec_export_rss_mb", "receipt_qr_verify_p95_ms",
    "receipt_qr_version_10_lines", "signals_day_s", "signals_return_check_p95_ms", "ho_page_p95_ms", "cores",
    *TERMINAL_KEYS,
)
"""Keys the last line's JSON always has (tests/benchmarks/test_benchmarks.py checks them)."""


TARGETS = {
    "scan_to_line_p95_ms": "<= 2 ms",
    "checkout_commit_p95_ms": "<= 15 ms and <= 2.5x raw",
    "receipt_lookup_p95_ms": "<= 2 ms at 1M tickets",
    "verify_per_s": ">= 0.8x raw",
    "ui_cold_start_s": "<= 0.6 s",
    "ui_cold_start_cold_cache_s": "<= 2 s, database not cached",
    "ui_rss_mb": "<= 100 MB",
    "return_p95_ms": "<= 20 ms at 1M tickets",
    "customer_search_p95_ms": "<= 10 ms at 200k customers",
    "receipt_qr_verify_p95_ms": "<= 5 ms",
    "receipt_qr_version_10_lines": "<= 15 (fits 58 mm paper)",
    "signals_day_s": "<= 1 s",
    "signals_return_check_p95_ms": "<= 5 ms",
    "daily_closure_s": "<= 1 s for 5,000 tickets",
    "archive_export_s": "<= 30 s for a month of 150,000 tickets",
    "sync_push_100k_s": "<= 15 s",
    "ho_page_p95_ms": "<= 300 ms, 200 shops x 3 years",
    "returns_report_s": "<= 1 s at 1M tickets",
    "fec_export_s": "<= 60 s for a year of 1M tickets, flat memory",
    **TERMINAL_TARGETS,
}

ITERATIONS = {
    # size: (scans, checkouts, lookups, UI starts)
    "full": (3000, 300, 3000, 3),
    "quick": (1000, 150, 1000, 3),
    "tiny": (200, 20, 200, 1),
}


def p95(samples: list[float]) -> float:
    """The 95th percentile (nearest rank) of ``samples``."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def p50(samples: list[float]) -> float:
    return statistics.median(samples)


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


# --- scan to line ---------------------------------------------------------------------------------


def bench_scan(ctx, user, count: int, rng: random.Random) -> dict[str, float]:
    """``Basket.add_code`` on random barcodes; a fresh basket every 25 lines, as at a real till."""
    from peewee import fn

    from store.models import Barcode
    from till.selling.basket import Basket

    codes = [code for (code,) in Barcode.select(Barcode.code).order_by(fn.Random()).limit(count + 50).tuples()]
    while len(codes) < count + 50:
        codes += codes
    timings = []
    basket = Basket(ctx.config, ctx.sealer, user)
    for index, code in enumerate(codes[:count + 50]):
        if index % 25 == 0:
            basket = Basket(ctx.config, ctx.sealer, user)
        started = time.perf_counter()
        basket.add_code(code)
        took = time.perf_counter() - started
        if index >= 50:  # the first scans warm the caches
            timings.append(took)
    return {"scan_to_line_p95_ms": _ms(p95(timings)), "scan_to_line_p50_ms": _ms(p50(timings))}


# --- checkout commit and its raw twin -------------------------------------------------------------

_WRITTEN = ("ticket", "ticket_line", "ticket_vat", "payment", "stock_movement", "accounting_line", "fiscal_record")


def _table(name: str) -> str:
    from store import models

    for model in models.ALL_MODELS:
        if model._meta.table_name == name:
            return name
    raise LookupError(f"no table {name} in the store")


class RawTwin:
    """The same rows as a till checkout, written with bare ``sqlite3`` into a copy of the shop."""

    def __init__(self, path: Path) -> None:
        self.connection = sqlite3.connect(path, isolation_level=None, timeout=5)
        for pragma in ("journal_mode = wal", "synchronous = full", "foreign_keys = 1", "busy_timeout = 5000",
                       "cache_size = -16000"):
            self.connection.execute(f"PRAGMA {pragma}")
        self.insert_sql: dict[str, str] = {}

    def _insert(self, table: str, columns: tuple[str, ...]) -> str:
        key = table + "|" + ",".join(columns)
        if key not in self.insert_sql:
            self.insert_sql[key] = (f'INSERT INTO "{table}" ({", ".join(chr(34) + c + chr(34) for c in columns)}) '
                                    f'VALUES ({", ".join("?" * len(columns))})')
        return self.insert_sql[key]

    def write(self, captured: dict[str, Any]) -> float:
        """Write one captured checkout in one transaction; returns the seconds it took."""
        cursor = self.connection.cursor()
        ticket_columns, ticket_row = captured["ticket"]
        started = time.perf_counter()
        cursor.execute("BEGIN IMMEDIATE")
        cursor.execute("SELECT id, sequence, signature FROM chain_head WHERE till_id = ? AND chain = 'T'",
                       (captured["till_id"],))
        cursor.execute(self._insert("ticket", ticket_columns), ticket_row)
        ticket_id = cursor.lastrowid
        for table in ("ticket_line", "ticket_vat", "payment"):
            columns, rows = captured[table]
            if rows:
                cursor.executemany(self._insert(table, columns), [_with_ticket(columns, row, ticket_id) for row in rows])
        columns, rows = captured["stock_movement"]
        for row in rows:
            cursor.execute(self._insert("stock_movement", columns), _with_ticket(columns, row, ticket_id))
            values = dict(zip(columns, row))
            cursor.execute(
                "INSERT INTO stock_level (product_id, location_id, quantity) VALUES (?, ?, ?) "
                "ON CONFLICT (product_id, location_id) DO UPDATE SET quantity = quantity + excluded.quantity",
                (values["product_id"], values["location_id"], values["quantity"]))
        columns, rows = captured["accounting_line"]
        cursor.executemany(self._insert("accounting_line", columns), [_with_ticket(columns, r, ticket_id) for r in rows])
        head = cursor.execute("SELECT id, sequence, signature FROM chain_head WHERE till_id = ? AND chain = 'T'",
                              (captured["till_id"],)).fetchone()
        columns, rows = captured["fiscal_record"]
        for row in rows:
            cursor.execute(self._insert("fiscal_record", columns), _with_ticket(columns, row, ticket_id))
            values = dict(zip(columns, row))
            cursor.execute("UPDATE chain_head SET sequence = ?, signature = ? WHERE id = ? AND sequence = ?",
                           (values["sequence"], values["signature"], head[0], head[1]))
        columns, rows = captured["outbox_job"]
        if rows:
            cursor.executemany(self._insert("outbox_job", columns), rows)
        cursor.execute("COMMIT")
        return time.perf_counter() - started

    def close(self) -> None:
        self.connection.close()


def _with_ticket(columns: tuple[str, ...], row: tuple, ticket_id: int) -> tuple:
    return tuple(ticket_id if column == "ticket_id" else value for column, value in zip(columns, row))


def _capture(database, ticket_id: int, outbox_after: int, till_id: str) -> dict[str, Any]:
    """Every row one checkout wrote (ids left out, to be given again by the twin)."""
    captured: dict[str, Any] = {"till_id": till_id}

    def rows(sql: str, params: tuple) -> tuple[tuple[str, ...], list[tuple]]:
        cursor = database.execute_sql(sql, params)
        columns = tuple(d[0] for d in cursor.description)
        keep = [i for i, c in enumerate(columns) if c != "id"]
        return tuple(columns[i] for i in keep), [tuple(r[i] for i in keep) for r in cursor.fetchall()]

    captured["ticket"] = (lambda c, r: (c, r[0]))(*rows(f'SELECT * FROM "{_table("ticket")}" WHERE id = ?', (ticket_id,)))
    for table in _WRITTEN[1:]:
        captured[table] = rows(f'SELECT * FROM "{_table(table)}" WHERE ticket_id = ? ORDER BY id', (ticket_id,))
    captured["outbox_job"] = rows(f'SELECT * FROM "{_table("outbox_job")}" WHERE id > ? ORDER BY id', (outbox_after,))
    return captured


def bench_checkout(ctx, user, count: int, rng: random.Random, folder: Path) -> dict[str, float]:
    """A 3-line basket paid in cash and written, beside the same rows written raw, alternately."""
    from peewee import fn

    from store.models import OutboxJob, Product
    from till.fiscal.chain import flush_anchors
    from till.selling.basket import Basket
    from till.selling.checkout import Checkout

    database = ctx.database
    products = list(Product.select().where((Product.active == True) & (Product.sold_by_weight == False))  # noqa: E712
                    .order_by(fn.Random()).limit(300))
    database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    source = Path(database.database)
    copy = folder / "raw-twin.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(copy) + suffix).unlink(missing_ok=True)
    shutil.copyfile(source, copy)
    twin = RawTwin(copy)
    till_times, raw_times = [], []
    try:
        for index in range(count + 5):
            basket = Basket(ctx.config, ctx.sealer, user)
            for product in rng.sample(products, 3):
                basket.add_product(product, 1)
            checkout = Checkout(basket, ctx.terminal)
            outbox_after = OutboxJob.select(fn.MAX(OutboxJob.id)).scalar() or 0
            cash = -(-checkout.total_cents // 500) * 500
            started = time.perf_counter()
            checkout.add_cash(cash)
            sale = checkout.complete()
            took = time.perf_counter() - started
            # The anchor's intent is written before the commit (timed: it is part of the checkout);
            # its confirmation by a background thread after it: let that finish (not timed) so
            # that its fsyncs never land inside the raw twin's measured commit.
            flush_anchors()
            captured = _capture(database, sale.ticket.id, outbox_after, ctx.sealer.till_id)
            raw = twin.write(captured)
            if index >= 5:
                till_times.append(took)
                raw_times.append(raw)
    finally:
        twin.close()
        for suffix in ("", "-wal", "-shm"):
            Path(str(copy) + suffix).unlink(missing_ok=True)
    till_p95, raw_p95 = p95(till_times), p95(raw_times)
    return {
        "checkout_commit_p95_ms": _ms(till_p95), "checkout_commit_p50_ms": _ms(p50(till_times)),
        "raw_sqlite_commit_p95_ms": _ms(raw_p95), "raw_sqlite_commit_p50_ms": _ms(p50(raw_times)),
        "checkout_vs_raw": round(till_p95 / raw_p95, 2) if raw_p95 else None,
    }


# --- receipt lookup ----------------------------------------------------------------------------------


def find_ticket_by_code(code: str):
    """The ticket printed with ``code``, with its lines and payments, as a return starts."""
    from store.models import Payment, Ticket, TicketLine
    from till.scanning import TicketCode, parse

    scan = parse(code)
    if not isinstance(scan, TicketCode):
        return None
    ticket = Ticket.get_or_none((Ticket.till_id == scan.till_id) & (Ticket.number == scan.number))
    if ticket is None:
        return None
    lines = list(TicketLine.select().where(TicketLine.ticket == ticket.id).order_by(TicketLine.position))
    payments = list(Payment.select().where(Payment.ticket == ticket.id).order_by(Payment.position))
    return ticket, lines, payments


def bench_lookup(ctx, count: int, rng: random.Random) -> dict[str, float]:
    from peewee import fn

    from store.models import Ticket
    from till.scanning import ticket_code

    till_id = ctx.sealer.till_id
    highest = Ticket.select(fn.MAX(Ticket.number)).where(Ticket.till_id == till_id).scalar() or 0
    codes = [ticket_code(till_id, rng.randint(1, highest)) for _ in range(count + 50)] if highest else []
    timings = []
    for index, code in enumerate(codes):
        started = time.perf_counter()
        found = find_ticket_by_code(code)
        took = time.perf_counter() - started
        if found is None:
            raise RuntimeError(f"ticket {code} not found")
        if index >= 50:
            timings.append(took)
    if not timings:
        return {"receipt_lookup_p95_ms": None, "receipt_lookup_p50_ms": None}
    return {"receipt_lookup_p95_ms": _ms(p95(timings)), "receipt_lookup_p50_ms": _ms(p50(timings))}


def drain_outbox(config) -> dict[str, Any]:
    """Print the receipts the checkouts queued, so the UI starts on a till at rest.

    A job that fails is retried later by the till; here it is counted and its error shown once
    in the notes, rather than logged once per receipt.
    """
    import logging

    from till.aftersale import outbox
    from till.aftersale.jobs import handlers

    quiet = logging.getLogger(outbox.__name__)
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    failed: dict[str, int] = {}
    try:
        for _ in range(1000):
            ran = outbox.process(config.till.id, handlers(config))
            if not ran:
                break
            for job in ran:
                if job.last_error:
                    failed[job.last_error] = failed.get(job.last_error, 0) + 1
    finally:
        quiet.setLevel(level)
    if not failed:
        return {"outbox_failures": 0}
    first = next(iter(failed))
    return {"outbox_failures": sum(failed.values()), "outbox_note": f"{sum(failed.values())} queued jobs failed "
            f"(first error: {first})"}


# --- report ---------------------------------------------------------------------------------------------


def _verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("ok" if ok else "MISSED")


def table(results: dict[str, Any]) -> str:
    from benchmarks.bench_archive import notes as archive_notes, table_rows as archive_rows
    from benchmarks.bench_closure import notes as closure_notes, table_rows as closure_rows
    from benchmarks.bench_reports import notes as reports_notes, table_rows as reports_rows
    from benchmarks.bench_sync import notes as sync_notes, table_rows as sync_rows
    from benchmarks.bench_ho_pages import notes as ho_pages_notes, table_rows as ho_pages_rows
    from benchmarks.bench_returns import notes as returns_notes, table_rows as returns_rows
    from benchmarks.bench_receipt_qr import notes as receipt_qr_notes, table_rows as receipt_qr_rows
    from benchmarks.bench_signals import notes as signals_notes, table_rows as signals_rows
    from benchmarks.bench_terminal import notes as terminal_notes, table_rows as terminal_rows  # deferred: as above

    def fmt(value: Any, unit: str = "") -> str:
        return "n/a" if value is None else f"{value}{unit}"

    def check(value: Any, test: Callable[[Any], bool]) -> bool | None:
        return None if value is None else test(value)

    r = results
    rows = [
        ("scan to line p95", fmt(r["scan_to_line_p95_ms"], " ms"), "", "", TARGETS["scan_to_line_p95_ms"],
         check(r["scan_to_line_p95_ms"], lambda v: v <= 2)),
        ("checkout commit p95", fmt(r["checkout_commit_p95_ms"], " ms"), fmt(r["raw_sqlite_commit_p95_ms"], " ms"),
         fmt(r["checkout_vs_raw"], "x"), TARGETS["checkout_commit_p95_ms"],
         None if r["checkout_commit_p95_ms"] is None or r["checkout_vs_raw"] is None
         else r["checkout_commit_p95_ms"] <= 15 and r["checkout_vs_raw"] <= 2.5),
        ("receipt lookup p95", fmt(r["receipt_lookup_p95_ms"], " ms"), "", "", TARGETS["receipt_lookup_p95_ms"],
         check(r["receipt_lookup_p95_ms"], lambda v: v <= 2)),
        *returns_rows(r),
        *receipt_qr_rows(r),
        *signals_rows(r),
        ("journal verify", fmt(r["verify_per_s"], " rec/s"), fmt(r["raw_verify_per_s"], " rec/s"),
         fmt(r["verify_vs_raw"], "x"), TARGETS["verify_per_s"], check(r["verify_vs_raw"], lambda v: v >= 0.8)),
        *closure_rows(r),
        *archive_rows(r),
        *reports_rows(r),
        *sync_rows(r),
        *ho_pages_rows(r),
        ("UI start to login", fmt(r["ui_cold_start_s"], " s"), "", "", TARGETS["ui_cold_start_s"],
         check(r["ui_cold_start_s"], lambda v: v <= 0.6)),
        ("UI start, cold cache", fmt(r["ui_cold_start_cold_cache_s"], " s"), "", "",
         TARGETS["ui_cold_start_cold_cache_s"], check(r["ui_cold_start_cold_cache_s"], lambda v: v <= 2)),
        ("UI memory (RSS)", fmt(r["ui_rss_mb"], " MB"), "", "", TARGETS["ui_rss_mb"],
         check(r["ui_rss_mb"], lambda v: v <= 100)),
        *terminal_rows(r),
    ]
    headers = ("measure", "till", "bare minimum", "ratio", "target", "")
    widths = [max(len(str(row[i])) for row in rows + [headers]) for i in range(5)]
    lines = ["  ".join(str(h).ljust(w) for h, w in zip(headers, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(row[:5], widths)) + "  " + _verdict(row[5]))
    shop = (f"shop: {r['products']} products, {r['tickets']} tickets, {r['customers']} customers"
            f" ({r['size']}; built or reused in {r['build_s']} s); {r.get('cores')} core(s)")
    notes = [shop]
    if r.get("verify_1thread_per_s"):
        notes.append(f"journal verify: ECDSA checks on {r['verify_workers']} worker process(es), the bare minimum "
                     f"on as many; verify_journal in one process: {r['verify_1thread_per_s']} rec/s "
                     f"({r['verify_1thread_vs_raw']}x the bare loop in one process)")
    notes.append("checkout commit: includes the tail anchor's intent, written before the commit; its confirmation "
                 "is written by a background thread after it (not timed; flushed before each raw write)")
    notes += returns_notes(r)
    notes += receipt_qr_notes(r)
    notes += signals_notes(r)
    notes += closure_notes(r)
    notes += archive_notes(r)
    notes += reports_notes(r)
    notes += sync_notes(r)
    notes += ho_pages_notes(r)
    notes += terminal_notes(r)
    if r.get("raw_verify_mismatches"):
        notes.append(f"warning: the raw verifier disagreed on {r['raw_verify_mismatches']} records")
    if r.get("verify_ok") is False:
        notes.append("warning: verify_journal reported problems on this shop")
    if r.get("outbox_note"):
        notes.append(f"outbox: {r['outbox_note']}")
    if r.get("ui_note"):
        notes.append(f"UI: {r['ui_note']}")
    return "\n".join(notes + [""] + lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Measure the till on a large shop; prints a table, then JSON.")
    parser.add_argument("--quick", action="store_true", help=f"a small shop ({QUICK.products} products, "
                        f"{QUICK.tickets} tickets, {QUICK.customers} customers)")
    parser.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)  # for the test suite
    parser.add_argument("--dir", help="the shop's folder: built there, or reused (default: user cache folder)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cores", type=int, help="run everything, and the programs it starts, on this many cores "
                        "(1: near a Raspberry Pi's figures)")
    args = parser.parse_args(argv)
    if args.cores:  # inherited by every process started from here on: the till in tmux, till demo
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:args.cores]))
    size: Size = TINY if args.tiny else QUICK if args.quick else FULL
    folder = Path(args.dir).expanduser().resolve() if args.dir else default_bench_dir(size)
    scans, checkouts, lookups, ui_runs = ITERATIONS[size.name]
    rng = random.Random(args.seed)

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    started = time.perf_counter()
    config = build_shop(folder, size, args.seed, progress=say)
    build_s = round(time.perf_counter() - started, 1)

    from store.db import is_postgres
    from store.models import Customer, Product, Ticket, User
    from till.shop.context import TillContext

    ctx = TillContext.open(config)
    database_file = None if is_postgres(ctx.database) else Path(ctx.database.database)  # dropped from the cache
    try:
        user = User.get(User.login == "cashier")
        results: dict[str, Any] = {
            "size": size.name, "products": Product.select().count(), "tickets": Ticket.select().count(),
            "customers": Customer.select().count(), "build_s": build_s, "cores": len(os.sched_getaffinity(0)),
        }
        say("scan to line ...")
        results.update(bench_scan(ctx, user, scans, rng))
        say("checkout commit ...")
        results.update(bench_checkout(ctx, user, checkouts, rng, folder))
        say("receipt lookup ...")
        results.update(bench_lookup(ctx, lookups, rng))
        from benchmarks.bench_returns import run_all as bench_returns_and_search  # imports this module
        results.update(bench_returns_and_search(ctx, user, size.name, rng, say))
        from benchmarks.bench_receipt_qr import run_all as bench_receipt_qr_all  # imports this module

        results.update(bench_receipt_qr_all(ctx, size.name, rng, say))
        from benchmarks.bench_signals import run_all as bench_signals_all  # imports this module

        results.update(bench_signals_all(ctx, size.name, rng, say))
        say("journal verification ...")
        results.update(bench_verify(ctx))
        results.update(drain_outbox(ctx.config))
    finally:
        ctx.close()
    from benchmarks.bench_closure import run_all as bench_closure_all

    results.update(bench_closure_all(size.name, rng, say))
    say("archive export ...")
    from benchmarks.bench_archive import run_all as bench_archive_all

    results.update(bench_archive_all(size.name, folder, args.seed, say))
    say("returns report and FEC export ...")
    from benchmarks.bench_reports import run_all as bench_reports_all

    results.update(bench_reports_all(size.name, folder, args.seed, say))
    say("sync push ...")
    from benchmarks.bench_sync import run_all as bench_sync_all

    results.update(bench_sync_all(size.name, folder, args.seed, say))
    say("head office's pages ...")
    from benchmarks.bench_ho_pages import run_all as bench_ho_pages_all

    results.update(bench_ho_pages_all(size.name, folder, args.seed, say))
    say("UI cold start ...")
    results.update(bench_ui(config.path, config.till.language, config.till.id, ui_runs, database_file))
    from benchmarks.bench_terminal import run_all as bench_terminal_all  # deferred: as the others

    results.update(bench_terminal_all(config, size.name, say))
    for key in REQUIRED_KEYS:
        results.setdefault(key, None)
    print(table(results))
    print(json.dumps(results, sort_keys=True, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
