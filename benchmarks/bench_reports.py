"""The returns report and the FEC export over a year of tickets, beside the bare minimum.

    python benchmarks/bench_reports.py            # a year of 1,000,000 signed tickets (5 % returns)
    python benchmarks/bench_reports.py --quick    # a year of 20,000
    python benchmarks/bench_reports.py --dir DIR  # build there, or reuse what is there

The shop is built once with ``benchmarks/generate.py``'s bulk writer, every ticket sealed in
chain T by the till's own ``Sealer``, all of them in the last complete calendar year, and reused
by later runs. About one sale in twenty comes back (one line, a reason, restocked or damaged,
refunded in cash) as a real return ticket: negative line pointing to the line it returns, its
VAT, payment, stock movement and accounting lines. Every day of the year is then closed (chain
G), as the shop did each evening, so the year can be exported.

What is measured:

- returns_report_s: ``reports.registry.run("returns", ...)`` grouped by reason, then by product,
  over the whole year (target: <= 1 s at 1M tickets); raw_returns_report_s: the same two
  aggregates in bare SQL with bare ``sqlite3`` on the same file.
- fec_export_s: ``reports.fec.export_fec`` of the year, in a child process (target: <= 60 s at
  1M tickets), and fec_export_rss_mb its peak resident memory; fec_baseline_rss_mb is the same
  child's peak before the export starts (shop opened, modules loaded): the difference is what the
  export itself holds, which stays flat whatever the year's size. raw_fec_export_s: the same
  rows read with bare ``sqlite3`` and written as TAB-separated lines, no checks, no labels.

``run_all(size_name, folder, seed, say)`` is the hook for ``benchmarks/run.py``; ``table_rows``
and ``notes`` add its lines to that table. Prints a table, then one JSON object as its last line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

YEAR_TICKETS = {"full": 1_000_000, "quick": 20_000, "tiny": 600}
PRODUCTS = {"full": 20_000, "quick": 2_000, "tiny": 400}
RETURN_SHARE = 0.05
MARKER = "benchmark-reports"
RETURNS_TARGET = "<= 1 s at 1M tickets"
FEC_TARGET = "<= 60 s at 1M tickets, flat memory"

Progress = Callable[[str], None]


def last_complete_year(today: dt.date | None = None) -> int:
    return (today or dt.date.today()).year - 1


# --- the year's shop ----------------------------------------------------------------------------------


def build_year_shop(folder: Path, size: str, seed: int, say: Progress):
    """A shop whose ``YEAR_TICKETS[size]`` tickets (sales and ~5 % returns) all fall in the last
    complete year, every day of it closed; reused when already built alike. Returns (config, year)."""
    from benchmarks import generate
    from store import migrations
    from store.models import DAMAGED, SELLABLE, Setting, Ticket, TicketLine, VatRate
    from till.shop.context import TillContext
    from till.fiscal.chain import Sealer
    from till.fiscal.closures import YEAR, close
    from till.fiscal.imported_history import declare_history
    from till.selling.stock import location_id

    year = last_complete_year()
    wanted = {"size": size, "tickets": YEAR_TICKETS[size], "seed": seed, "year": year,
              "schema": migrations.fingerprint()}
    folder = Path(folder).expanduser().resolve()
    config = generate.reusable_shop(folder, MARKER, wanted)
    if config is not None:
        say(f"reusing the reports benchmark shop in {folder}")
        return config, year
    config = generate.fresh_shop(folder, "benchmarks/bench_reports.py")
    ctx = TillContext.open(config)
    try:
        rng = random.Random(seed)
        database = ctx.database
        started = time.perf_counter()
        with database.atomic():
            products = generate.generate_products(database, PRODUCTS[size], rng)
            customers = generate.generate_customers(database, max(200, PRODUCTS[size] // 10), rng)
            users = generate.add_staff(ctx.sealer)
            locations = {"restock": location_id(SELLABLE), "damaged": location_id(DAMAGED)}
        operators = dict(zip(users, ("Camille Martin", "Max Durand")))
        rates = dict(VatRate.select(VatRate.code, VatRate.rate_bp).tuples())
        till_id = ctx.sealer.till_id
        sealer = Sealer(till_id, ctx.sealer.signer, None, ctx.sealer.zone)  # anchored once, at the end
        count = YEAR_TICKETS[size]
        start = dt.datetime(year, 1, 1, 7)  # 08:00 in Paris on 1 January
        step = (dt.datetime(year, 12, 31, 18) - start) / count
        number = generate._next_number(till_id)
        # a past year written now: declared first, as the demo does (a ticket's time is its signing time otherwise)
        declare_history(sealer, count=count, earliest=start, latest=dt.datetime(year, 12, 31, 21),
                        reason="benchmark data set")
        reported = time.perf_counter()
        made = 0
        while made < count:
            batch = min(generate.TICKETS_PER_COMMIT, count - made)
            returns = int(batch * RETURN_SHARE)
            sales = batch - returns
            plans = []
            for offset in range(sales):
                when = (start + step * (made + offset)).replace(microsecond=0)
                lines = []
                for product in dict.fromkeys(rng.choices(products, k=min(8, int(rng.expovariate(0.5)) + 1))):
                    quantity = rng.choices((1, 2, 3), weights=(80, 15, 5))[0]
                    lines.append((product, quantity, rates[product.vat_code], product.price_cents * quantity))
                customer = customers[rng.randrange(len(customers))] if rng.random() < 0.3 else None
                plans.append((number + offset, when, lines, customer, users[0] if rng.random() < 0.85 else users[-1]))
            with database.atomic():
                generate._write_batch(database, sealer, ctx.config.accounts, till_id, locations["restock"], plans,
                                      operators, rng)
                sold = (TicketLine.select(TicketLine.id, TicketLine.product, TicketLine.sku, TicketLine.label,
                                          TicketLine.vat_code, TicketLine.vat_rate_bp, TicketLine.unit_price_cents,
                                          TicketLine.quantity, Ticket.id, Ticket.code)
                        .join(Ticket, on=TicketLine.ticket == Ticket.id)
                        .where((Ticket.till_id == till_id)
                               & Ticket.number.between(number, number + sales - 1)).tuples())
                chosen = rng.sample(list(sold), returns)
                last = plans[-1][1]
                back = []
                for index, row in enumerate(sorted(chosen, key=lambda r: r[8])):
                    when = last + dt.timedelta(seconds=index + 1)
                    back.append((number + sales + index, when, users[0], (row[8], row[9]), row[:7],
                                 rng.randint(1, row[7]), rng.choice(generate.RETURN_REASONS),
                                 "damaged" if rng.random() < 0.2 else "restock", None))
                if back:
                    generate.write_returns(database, sealer, ctx.config.accounts, till_id, locations, back, operators)
            number += batch
            made += batch
            if time.perf_counter() - reported > 10:
                reported = time.perf_counter()
                say(f"  {made} / {count} tickets")
        say(f"{count} signed tickets in {year} in {time.perf_counter() - started:.1f} s; closing the year")
        database.execute_sql("ANALYZE")  # before the closures: without statistics SQLite may scan whole tables
        close(sealer, YEAR, dt.date(year, 1, 1), operator="benchmark")
        for chain in ("T", "G", "L"):
            generate._anchor_tail(ctx.sealer, chain)
        database.execute_sql("ANALYZE")
        with database.atomic():
            Setting.insert(key=MARKER, value=json.dumps(wanted, sort_keys=True)).on_conflict_replace().execute()
    finally:
        ctx.close()
    return config, year


# --- the measures ------------------------------------------------------------------------------------


_RAW_RETURNS = {
    "reason": "SELECT l.reason, COUNT(*), -SUM(l.quantity), -SUM(l.total_cents) FROM ticket_line l "
              "JOIN ticket t ON l.ticket_id = t.id WHERE t.training = 0 AND t.created_at >= ? AND t.created_at < ? "
              "AND l.quantity < 0 GROUP BY l.reason",
    "product": "SELECT l.sku, COUNT(*), -SUM(l.quantity), -SUM(l.total_cents), MAX(l.label) FROM ticket_line l "
               "JOIN ticket t ON l.ticket_id = t.id WHERE t.training = 0 AND t.created_at >= ? AND t.created_at < ? "
               "AND l.quantity < 0 GROUP BY l.sku",
}


def measure_returns(config, year: int) -> dict[str, Any]:
    """The returns report by reason and by product over the year; best of 3, and the raw twin."""
    from reports.registry import run
    from till.shop.context import TillContext
    from till.fiscal.closures import business_zone
    from till.fiscal.closure_totals import day_start

    zone = business_zone(config)
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    ctx = TillContext.open(config)
    try:
        best = {"reason": float("inf"), "product": float("inf")}
        rows = {}
        for _ in range(3):
            for by in best:
                started = time.perf_counter()
                table = run("returns", first, last, by, zone)
                best[by] = min(best[by], time.perf_counter() - started)
                rows[by] = table.rows
        path = Path(ctx.database.database)
    finally:
        ctx.close()
    stamp = "%Y-%m-%d %H:%M:%S"
    params = (day_start(first, zone).strftime(stamp), day_start(last + dt.timedelta(days=1), zone).strftime(stamp))
    raw_best = float("inf")
    for _ in range(3):
        connection = sqlite3.connect(path)
        try:
            started = time.perf_counter()
            for sql in _RAW_RETURNS.values():
                connection.execute(sql, params).fetchall()
            raw_best = min(raw_best, time.perf_counter() - started)
        finally:
            connection.close()
    took = best["reason"] + best["product"]
    return {
        "returns_report_s": round(took, 4), "returns_by_reason_s": round(best["reason"], 4),
        "returns_by_product_s": round(best["product"], 4), "raw_returns_report_s": round(raw_best, 4),
        "returns_report_vs_raw": round(took / raw_best, 2) if raw_best else None,
        "returns_report_lines": sum(row[1] for row in rows["reason"]),
    }


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KiB on Linux


def child_fec(config_path: str, year: str, out: str) -> dict[str, Any]:
    """In a child process: open the shop, note the peak memory, export the year's FEC."""
    from reports.fec import export_fec
    from till.config.loader import load
    from till.shop.context import TillContext

    config = load(config_path)
    ctx = TillContext.open(config)
    try:
        baseline = _peak_rss_mb()
        started = time.perf_counter()
        result = export_fec(config, int(year), out)
        took = time.perf_counter() - started
    finally:
        ctx.close()
    return {"seconds": took, "lines": result.lines, "entries": result.entries, "rss_mb": _peak_rss_mb(),
            "baseline_rss_mb": baseline, "bytes": result.path.stat().st_size, "file": str(result.path)}


def child_raw_fec(database_path: str, start: str, end: str, out: str) -> dict[str, Any]:
    """Bare minimum: the same rows in the same order, bare sqlite3, written as TAB lines."""
    started = time.perf_counter()
    connection = sqlite3.connect(database_path)
    count = 0
    with open(out, "w", encoding="iso-8859-15", errors="replace") as handle:
        cursor = connection.execute(
            'SELECT t.code, t.created_at, a.journal, a.entry_date, a.account, a.debit_cents, a.credit_cents '
            'FROM ticket t JOIN accounting_line a ON a.ticket_id = t.id WHERE t.training = 0 AND t.created_at >= ? '
            'AND t.created_at < ? ORDER BY t.created_at, t.id, a.journal, a.id', (start, end))
        while batch := cursor.fetchmany(20_000):
            handle.write("".join(f"{j}\t{d}\t{a}\t{c}\t{dc // 100},{dc % 100:02d}\t{cc // 100},{cc % 100:02d}\n"
                                 for c, _t, j, d, a, dc, cc in batch))
            count += len(batch)
    connection.close()
    return {"seconds": time.perf_counter() - started, "lines": count, "rss_mb": _peak_rss_mb()}


def _child(*args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", *args], capture_output=True,
                          text=True, cwd=str(ROOT))
    if done.returncode != 0:
        raise RuntimeError(f"child {args[0]} failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_fec(config, year: int, say: Progress) -> dict[str, Any]:
    """The year's FEC export and its raw twin, each in a child process; the file is then checked."""
    with tempfile.TemporaryDirectory(prefix="till-bench-fec-") as scratch:
        say("FEC export ...")
        fec = _child("fec", str(config.path), str(year), scratch)
        problems = _check(Path(fec["file"]), year)
        Path(fec["file"]).unlink()
        from till.shop.context import TillContext

        ctx = TillContext.open(config)
        database = ctx.database.database
        ctx.close()
        start = dt.datetime(year, 1, 1) - dt.timedelta(days=1)
        end = dt.datetime(year + 1, 1, 1) + dt.timedelta(days=1)
        raw = _child("raw", str(database), start.strftime("%Y-%m-%d %H:%M:%S"), end.strftime("%Y-%m-%d %H:%M:%S"),
                     str(Path(scratch) / "raw.txt"))
    return {
        "fec_export_s": round(fec["seconds"], 2), "fec_export_rss_mb": fec["rss_mb"],
        "fec_baseline_rss_mb": fec["baseline_rss_mb"], "fec_lines": fec["lines"], "fec_entries": fec["entries"],
        "fec_mb": round(fec["bytes"] / 1e6, 1), "raw_fec_export_s": round(raw["seconds"], 2),
        "fec_export_vs_raw": round(fec["seconds"] / raw["seconds"], 2) if raw["seconds"] else None,
        "fec_check_problems": problems,
    }


def _check(path: Path, year: int) -> list[str]:
    """The public checker's errors on the file, when django-accounting-fr is installed (else [])."""
    try:
        from accounting_fr.fec_check import check_fec
    except ImportError:
        return []
    report = check_fec(path.read_bytes(), path.name, dt.date(year, 1, 1), dt.date(year, 12, 31))
    return [str(e) for e in report.errors[:3]]


def run_all(size: str, folder: Path, seed: int, say: Progress) -> dict[str, Any]:
    """The hook for ``benchmarks/run.py``: its own year shop beside ``folder``, then both measures."""
    config, year = build_year_shop(Path(folder).parent / f"{Path(folder).name}-reports", size, seed, say)
    say("returns report ...")
    results = {"reports_year": year, "reports_year_tickets": YEAR_TICKETS[size]}
    results.update(measure_returns(config, year))
    results.update(measure_fec(config, year, say))
    return results


# --- report ------------------------------------------------------------------------------------------


def table_rows(r: dict[str, Any]) -> list[tuple]:
    """Rows for ``benchmarks/run.py``'s table: (measure, till, bare minimum, ratio, target, ok)."""
    def fmt(value: Any, unit: str = "") -> str:
        return "n/a" if value is None else f"{value}{unit}"

    tickets = r.get("reports_year_tickets") or 0
    returns_s, fec_s = r.get("returns_report_s"), r.get("fec_export_s")
    # The returns report is judged at the size only (a small year is all fixed costs);
    # the FEC export streams, so its time is judged pro rata from 20,000 tickets up.
    returns_ok = None if returns_s is None or tickets < 1_000_000 else returns_s <= 1.0
    flat = None
    if r.get("fec_export_rss_mb") is not None and r.get("fec_baseline_rss_mb") is not None:
        flat = r["fec_export_rss_mb"] - r["fec_baseline_rss_mb"] <= 50
    fec_ok = None if fec_s is None or tickets < 20_000 else (fec_s * 1_000_000 / tickets <= 60 and bool(flat)
                                                             and not r.get("fec_check_problems"))
    return [
        (f"returns report by reason + product ({tickets} tickets)", fmt(returns_s, " s"),
         fmt(r.get("raw_returns_report_s"), " s"), fmt(r.get("returns_report_vs_raw"), "x"), RETURNS_TARGET,
         returns_ok),
        (f"FEC export of a year ({r.get('fec_lines')} lines)", fmt(fec_s, " s"), fmt(r.get("raw_fec_export_s"), " s"),
         fmt(r.get("fec_export_vs_raw"), "x"), FEC_TARGET, fec_ok),
        ("FEC export peak RSS (export / before)",
         f"{fmt(r.get('fec_export_rss_mb'))} / {fmt(r.get('fec_baseline_rss_mb'))} MB", "", "", "flat", flat),
    ]


def notes(r: dict[str, Any]) -> list[str]:
    if r.get("fec_export_s") is None:
        return []
    out = [f"reports: year {r['reports_year']}, {r['reports_year_tickets']} tickets of which "
           f"{r.get('returns_report_lines')} returned lines; FEC {r['fec_entries']} entries, {r['fec_mb']} MB, in a "
           f"child process (peak RSS is its own); below 1M tickets the returns report is not judged and the FEC "
           f"export is judged pro rata"]
    if r.get("fec_check_problems"):
        out.append(f"warning: the public FEC checker found: {r['fec_check_problems']}")
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        kind, *rest = argv[1:]
        print(json.dumps({"fec": child_fec, "raw": child_raw_fec}[kind](*rest)))
        return 0
    parser = argparse.ArgumentParser(description="Measure the returns report and the FEC export of a year.")
    parser.add_argument("--quick", action="store_true", help=f"a year of {YEAR_TICKETS['quick']} tickets")
    parser.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--dir", help="the shop's folder: built there, or reused (default: user cache folder)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    size = "tiny" if args.tiny else "quick" if args.quick else "full"
    if args.dir:
        folder = Path(args.dir).expanduser().resolve()
    else:
        from platformdirs import user_cache_dir

        folder = Path(user_cache_dir("till", appauthor=False)) / f"bench-{size}"

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    figures = run_all(size, folder, args.seed, say)
    for measure, value, raw, ratio, target, ok in table_rows(figures):
        verdict = "-" if ok is None else ("ok" if ok else "MISSED")
        print(f"{measure}  {value}  (bare minimum {raw or '-'}, {ratio or '-'})  target {target}  {verdict}")
    print(*notes(figures), sep="\n")
    print(json.dumps(figures, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
