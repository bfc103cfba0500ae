"""The fiscal archive export of a busy month, beside the bare minimum, with its memory.

    python benchmarks/bench_archive.py            # a month of 150,000 signed tickets
    python benchmarks/bench_archive.py --quick    # a month of 20,000
    python benchmarks/bench_archive.py --dir DIR  # build there, or reuse what is there

The month is the last complete calendar month (local time); the shop is built once with
``benchmarks/generate.py``'s bulk writer, every ticket sealed in chain T by the till's own
``Sealer``, all of them dated inside that month, and reused by later runs.

What is measured, each in a fresh child process so its peak memory is its own:

- archive_export_s: ``till.fiscal.archive.export_archive`` of the month (read the records by
  pages, write the ZIP with its manifest, keys, schemas and signature, fsync, rename, seal in
  chain A). Target: <= 30 s for 150,000 tickets, with flat memory.
- archive_export_rss_mb and archive_day_export_rss_mb: peak resident memory of the month's
  export and of one day's (a thirtieth of the records): equal figures show memory is flat.
- raw_archive_export_s: the bare minimum in the same run: the same records read with bare
  ``sqlite3``, written as JSON lines into a deflated ZIP entry with their SHA-256, fsynced.
- archive_verify_s: ``till.fiscal.archive_verify.verify_archive`` of the month's archive (no
  database), schemas included; archive_verify_rss_mb its peak memory.

``run_all`` is the hook for ``benchmarks/run.py``; ``table_rows`` and ``notes`` add its lines to
that table, as ``bench_returns`` does. Prints a table, then one JSON object as its last line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MONTH_TICKETS = {"full": 150_000, "quick": 20_000, "tiny": 600}
PRODUCTS = {"full": 5_000, "quick": 2_000, "tiny": 400}
CUSTOMERS = {"full": 2_000, "quick": 1_000, "tiny": 200}
TARGET = "<= 30 s for 150k tickets, flat memory"
MARKER = "benchmark-archive"

Progress = Callable[[str], None]


def last_complete_month(today: dt.date | None = None) -> str:
    today = today or dt.date.today()
    first = today.replace(day=1) - dt.timedelta(days=1)
    return first.strftime("%Y-%m")


# --- the month's shop -------------------------------------------------------------------------------


def build_month_shop(folder: Path, size: str, seed: int, say: Progress):
    """A shop whose ``MONTH_TICKETS[size]`` tickets all fall in the last complete month."""
    from benchmarks import generate
    from store import migrations
    from store.models import SELLABLE, Setting
    from till.shop.context import TillContext
    from till.fiscal.archive import parse_period
    from till.fiscal.chain import Sealer
    from till.selling.stock import location_id

    month = last_complete_month()
    wanted = {"size": size, "tickets": MONTH_TICKETS[size], "seed": seed, "month": month,
              "schema": migrations.fingerprint()}
    folder = Path(folder).expanduser().resolve()
    config = generate.reusable_shop(folder, MARKER, wanted)
    if config is not None:
        say(f"reusing the archive benchmark shop in {folder}")
        return config, month
    config = generate.fresh_shop(folder, "benchmarks/bench_archive.py")
    ctx = TillContext.open(config)
    try:
        rng = random.Random(seed)
        database = ctx.database
        started = time.perf_counter()
        with database.atomic():
            products = generate.generate_products(database, PRODUCTS[size], rng)
            customers = generate.generate_customers(database, CUSTOMERS[size], rng)
            users = generate.add_staff(ctx.sealer)
            sellable = location_id(SELLABLE)
        period = parse_period(month, getattr(ctx.sealer, "zone", None))  # the month the export will take
        count = MONTH_TICKETS[size]
        sealer = Sealer(ctx.sealer.till_id, ctx.sealer.signer, None)
        operators = {uid: name for uid, name in zip(users, ("Camille Martin", "Max Durand"))}
        from store.models import VatRate
        rates = dict(VatRate.select(VatRate.code, VatRate.rate_bp).tuples())
        step = (period.end - period.start - dt.timedelta(hours=1)) / count
        first_number = generate._next_number(ctx.sealer.till_id)
        # Sealed "at" their ticket's time, so the records fall in the month as a real till's would.
        import till.fiscal.chain as chain_module
        real_clock = chain_module.utcnow
        try:
            for base in range(0, count, generate.TICKETS_PER_COMMIT):
                plans = []
                for index in range(base, min(count, base + generate.TICKETS_PER_COMMIT)):
                    when = (period.start + step * index).replace(microsecond=0)
                    lines = []
                    for product in dict.fromkeys(rng.choices(products, k=min(8, int(rng.expovariate(0.5)) + 1))):
                        quantity = rng.choices((1, 2, 3), weights=(80, 15, 5))[0]
                        lines.append((product, quantity, rates[product.vat_code], product.price_cents * quantity))
                    customer = customers[rng.randrange(len(customers))] if rng.random() < 0.3 else None
                    plans.append((first_number + index, when, lines, customer,
                                  users[0] if rng.random() < 0.85 else users[-1]))
                times = iter([plan[1] for plan in plans])
                chain_module.utcnow = lambda times=times, last=plans[-1][1]: next(times, last)
                with database.atomic():
                    generate._write_batch(database, sealer, ctx.config.accounts, ctx.sealer.till_id, sellable, plans,
                                          operators, rng)
        finally:
            chain_module.utcnow = real_clock
        generate._anchor_tail(ctx.sealer, "T")
        with database.atomic():
            Setting.insert(key=MARKER, value=json.dumps(wanted, sort_keys=True)
                           ).on_conflict_replace().execute()
        say(f"{count} signed tickets in {month} in {time.perf_counter() - started:.1f} s")
    finally:
        ctx.close()
    return config, month


# --- the measures (each in a child process) ----------------------------------------------------------


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KiB on Linux


def child_export(config_path: str, period: str, out: str) -> dict[str, Any]:
    from till.config.loader import load
    from till.shop.context import TillContext
    from till.fiscal.archive import export_archive

    ctx = TillContext.open(load(config_path))
    try:
        started = time.perf_counter()
        result = export_archive(ctx.sealer, period, out, partial=True)  # its days are not closed: a partial archive
        took = time.perf_counter() - started
    finally:
        ctx.close()
    return {"seconds": took, "records": sum(result.counts.values()), "rss_mb": _peak_rss_mb(),
            "bytes": Path(out).stat().st_size}


def child_verify(path: str) -> dict[str, Any]:
    from till.fiscal.archive_verify import verify_archive

    started = time.perf_counter()
    report = verify_archive(path)
    return {"seconds": time.perf_counter() - started, "ok": report.ok, "rss_mb": _peak_rss_mb(),
            "problems": [p.text("en") for p in report.problems[:3]]}


def child_raw(database_path: str, start: str, end: str, out: str) -> dict[str, Any]:
    """Bare minimum: the same rows, bare sqlite3, JSON lines into one deflated ZIP entry + SHA-256.

    ``start`` and ``end`` are the period's UTC bounds as stored ("YYYY-MM-DD HH:MM:SS")."""
    import sqlite3

    started = time.perf_counter()
    connection = sqlite3.connect(database_path)
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    sha = hashlib.sha256()
    records = 0
    with open(out, "wb") as handle:
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            with archive.open("data.jsonl", "w", force_zip64=True) as entry:
                cursor = connection.execute(
                    "SELECT chain, created_at, format_version, hash, key_id, kind, payload, previous_signature,"
                    " sequence, signature, ticket_id, till_id FROM fiscal_record WHERE created_at >= ? AND"
                    " created_at < ? ORDER BY till_id, chain, sequence", (start, end))
                while rows := cursor.fetchmany(2000):
                    text = "".join(
                        '{"chain":' + encode(c) + ',"created_at":' + encode(ca) + ',"format_version":' + str(v)
                        + ',"hash":' + encode(h) + ',"key_id":' + encode(k) + ',"kind":' + encode(kd)
                        + ',"payload":' + p + ',"previous_signature":' + encode(ps) + ',"sequence":' + str(s)
                        + ',"signature":' + encode(sg) + ',"ticket_id":' + ("null" if t is None else str(t))
                        + ',"till_id":' + encode(ti) + "}\n"
                        for c, ca, v, h, k, kd, p, ps, s, sg, t, ti in rows).encode("utf-8")
                    sha.update(text)
                    entry.write(text)
                    records += len(rows)
        handle.flush()
        os.fsync(handle.fileno())
    connection.close()
    return {"seconds": time.perf_counter() - started, "records": records, "rss_mb": _peak_rss_mb()}


def _child(*args: str) -> dict[str, Any]:
    run = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", *args], cwd=ROOT,
                         capture_output=True, text=True, timeout=3600)
    if run.returncode != 0:
        raise RuntimeError(f"benchmark child {args[0]} failed: {run.stderr[-2000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def _zone(config) -> dt.tzinfo | None:
    """The shop's time zone, as ``TillContext`` gives the sealer (None: the machine's, on an older config)."""
    name = getattr(config.shop, "timezone", None)
    if not name:
        return None
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def measure(config, month: str, say: Progress) -> dict[str, Any]:
    """The month's export (and a day's, for memory), the raw twin, then the archive's verification."""
    from till.fiscal.archive import parse_period

    with tempfile.TemporaryDirectory(prefix="till-bench-archive-") as scratch:
        out = Path(scratch) / "month.zip"
        say(f"archive export of {month} ...")
        export = _child("export", str(config.path), month, str(out))
        say("the same records, bare minimum ...")
        database = config.database_url[len("sqlite:///"):] if config.database_url.startswith("sqlite:///") else None
        bounds = parse_period(month, _zone(config))
        stamps = [when.strftime("%Y-%m-%d %H:%M:%S") for when in (bounds.start, bounds.end)]
        raw = _child("raw", database, *stamps, str(Path(scratch) / "raw.zip")) if database else None
        day = (parse_period(month, _zone(config)).end - dt.timedelta(days=14)).strftime("%Y-%m-%d")
        say(f"archive export of one day ({day}) ...")
        day_export = _child("export", str(config.path), day, str(Path(scratch) / "day.zip"))
        say("archive verification ...")
        verify = _child("verify", str(out))
    return {
        "archive_month": month, "archive_export_records": export["records"],
        "archive_export_s": round(export["seconds"], 2), "archive_export_rss_mb": export["rss_mb"],
        "archive_mb": round(export["bytes"] / 1e6, 1),
        "archive_day_export_records": day_export["records"], "archive_day_export_rss_mb": day_export["rss_mb"],
        "raw_archive_export_s": round(raw["seconds"], 2) if raw else None,
        "archive_export_vs_raw": round(export["seconds"] / raw["seconds"], 2) if raw and raw["seconds"] else None,
        "archive_verify_s": round(verify["seconds"], 2), "archive_verify_rss_mb": verify["rss_mb"],
        "archive_verify_ok": verify["ok"], "archive_verify_problems": verify["problems"],
    }


def run_all(size: str, folder: Path, seed: int, say: Progress) -> dict[str, Any]:
    """The hook for ``benchmarks/run.py``: its own month shop beside ``folder``, then ``measure``."""
    config, month = build_month_shop(Path(folder).parent / f"{Path(folder).name}-archive", size, seed, say)
    return measure(config, month, say)


# --- report ------------------------------------------------------------------------------------------


def table_rows(r: dict[str, Any]) -> list[tuple]:
    """Rows for ``benchmarks/run.py``'s table: (measure, till, bare minimum, ratio, target, ok)."""
    def fmt(value: Any, unit: str = "") -> str:
        return "n/a" if value is None else f"{value}{unit}"

    seconds, records = r.get("archive_export_s"), r.get("archive_export_records")
    ok = None
    if seconds is not None and records:
        flat = (r.get("archive_export_rss_mb") or 0) <= 1.5 * (r.get("archive_day_export_rss_mb") or 0) + 20
        ok = seconds * 150_000 / max(records, 1) <= 30 and flat
    return [
        (f"archive export ({records} records)", fmt(seconds, " s"), fmt(r.get("raw_archive_export_s"), " s"),
         fmt(r.get("archive_export_vs_raw"), "x"), TARGET, ok),
        ("archive export peak RSS (month / day)",
         f"{fmt(r.get('archive_export_rss_mb'))} / {fmt(r.get('archive_day_export_rss_mb'))} MB", "", "", "flat",
         None),
        ("archive verify (no database)", fmt(r.get("archive_verify_s"), " s"), "", "", "", r.get("archive_verify_ok")),
    ]


def notes(r: dict[str, Any]) -> list[str]:
    out = []
    if r.get("archive_export_records"):
        out.append(f"archive: month {r['archive_month']}, {r['archive_export_records']} records, "
                   f"{r['archive_mb']} MB; one day: {r['archive_day_export_records']} records; each measure in a "
                   f"child process (peak RSS is its own)")
    if r.get("archive_verify_ok") is False:
        out.append(f"warning: the archive did not verify: {r.get('archive_verify_problems')}")
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        kind, *rest = argv[1:]
        result = {"export": child_export, "verify": child_verify, "raw": child_raw}[kind](*rest)
        print(json.dumps(result))
        return 0
    parser = argparse.ArgumentParser(description="Measure the fiscal archive export of a busy month.")
    parser.add_argument("--quick", action="store_true", help=f"a month of {MONTH_TICKETS['quick']} tickets")
    parser.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--dir", help="the shop's folder: built there, or reused (default: user cache folder)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    size = "tiny" if args.tiny else "quick" if args.quick else "full"
    if args.dir:
        folder = Path(args.dir)
    else:
        from benchmarks.generate import SIZES, default_bench_dir
        folder = default_bench_dir(SIZES[size]).with_name(f"bench-archive-{size}")

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    config, month = build_month_shop(folder, size, args.seed, say)
    results = {"size": size, **measure(config, month, say)}
    headers = ("measure", "till", "bare minimum", "ratio", "target", "")
    rows = table_rows(results)
    widths = [max(len(str(row[i])) for row in rows + [headers]) for i in range(5)]
    print("\n".join(notes(results)) + "\n")
    print("  ".join(str(h).ljust(w) for h, w in zip(headers, widths)).rstrip())
    for row in rows:
        verdict = "-" if row[5] is None else ("ok" if row[5] else "MISSED")
        print("  ".join(str(c).ljust(w) for c, w in zip(row[:5], widths)) + "  " + verdict)
    print(json.dumps(results, sort_keys=True, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
