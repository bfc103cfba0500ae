"""Head office's pages at chain scale: 200 shops, three years of history, on PostgreSQL.

``ho_page_p95_ms`` is the slowest page's p95: every page of sales, returns and credit notes,
and every table's CSV, requested through the real app (Starlette's ``TestClient`` over the ASGI
app: login session, role check, the view in its worker thread, Jinja2) as a logged-in manager,
with many combinations of filters (all shops or one, a week to three years, by day, week or
month, later pages of paged tables, a reason's tickets, a ticket, a note). Target: 300 ms.

How the history is made. Sealing and ingesting signed records for 200 shops x 3 years (some
two million tickets) through full ingest (ECDSA on every record) would take hours, so the
tickets are generated as payloads of the shape tills sign (lines with SKU, label, quantity,
total, return reason; payments, credit notes) and fed to ``headoffice.aggregates``' own code
(``Totals.add`` then ``rolled_up``, what ingest runs for each batch), and the rows are written
with COPY in big batches rather than the per-batch upserts. The return tickets get a ``Record``
each (their payloads; not signed: the drill-down only reads them) so the reason pages read what
they read in production, and the shops' credit notes are registered. Beside it, a sample of real
records sealed by a real till goes through real ingest (``ingest_batch``: checks, signatures, the
aggregates' hook), and is timed too.

PostgreSQL is ``$TILL_BENCH_PG_URL`` (a server URL whose user may create databases) or the
throwaway server of ``tests/support/postgres.py``.

Run alone: ``python -m benchmarks.bench_ho_pages --quick`` (20 shops, a year) or without option
(200 shops, three years).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import itertools
import json
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

Progress = Callable[[str], None]
SIZES = {"full": (200, 3 * 365, 5), "quick": (20, 365, 8), "tiny": (4, 60, 6)}
"""(shops, days of history, tickets per shop and day)."""
TARGET_MS = 300
PRODUCTS = 400
REASONS = ("defective", "wrong_size", "changed_mind", "damaged_in_transit", "not_as_described")
CATEGORIES = ("Épicerie", "Boissons", "Cave", "Droguerie", "Boulangerie", "Frais", "Maison", "Presse")
SAMPLE_RECORDS = 300
"""Real records sealed by a real till and put through real ingest."""


def _catalogue(rng: random.Random) -> list[tuple[str, str, str, int]]:
    return [(f"SKU{i:05d}", f"Produit numéro {i}", CATEGORIES[i % len(CATEGORIES)], rng.randint(80, 4000))
            for i in range(PRODUCTS)]


@functools.cache
def _cumulative(count: int) -> list[int]:
    return list(itertools.accumulate(range(count, 0, -1)))


def _tickets(shop: int, shops: int, day: dt.date, count: int, start: int, catalogue, rng: random.Random):
    """``count`` ticket payloads of shop number ``shop`` on ``day`` (about one in twelve a return,
    a fifth of those of another shop's receipt, a third refunded as a credit note)."""
    out = []
    weights = _cumulative(len(catalogue))  # a long tail: a few products sell most
    for index in range(count):
        sequence = start + index
        when = dt.datetime.combine(day, dt.time(8 + index * 10 // max(count, 1), rng.randint(0, 59)))
        created = (when - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        picked = rng.choices(catalogue, cum_weights=weights, k=1 + int(rng.random() * 5))
        if rng.random() < 0.085:
            sku, label, category, price = picked[0]
            quantity = -1
            reason = rng.choice(REASONS)
            own = rng.random() >= 0.2
            ticket = {"code": f"R{shop:03d}-{sequence}", "kind": "return", "created_at": created,
                      "origin_ticket_id": sequence - 1 if own else None,
                      "origin": {"reference": f"T{shop if own else (shop + 1) % shops:03d}-{sequence - 7}",
                                 "signature": "", "order_id": None},
                      "lines": [{"sku": sku, "label": label, "quantity": quantity, "total_cents": -price,
                                 "reason": reason, "position": 1}],
                      "payments": [{"means": "credit_note", "amount_cents": -price, "reference": f"N{shop:03d}{sequence}"}
                                   if rng.random() < 0.33 else {"means": "cash", "amount_cents": -price}]}
            ticket["_selling"] = f"S{(shop if own else (shop + 1) % shops) + 1:03d}"
        else:
            lines = [{"sku": sku, "label": label, "quantity": (q := 1 + int(rng.random() * 3)), "total_cents": price * q,
                      "position": p + 1} for p, (sku, label, category, price) in enumerate(picked)]
            total = sum(line["total_cents"] for line in lines)
            ticket = {"code": f"T{shop:03d}-{sequence}", "kind": "sale", "created_at": created, "lines": lines,
                      "payments": [{"means": "card", "amount_cents": total}]}
        out.append((sequence, ticket))
    return out


def _copy(cursor, model, rows: list[dict[str, Any]]) -> None:
    """COPY ``rows`` (dicts of column values) into ``model``'s table."""
    from headoffice.ingest import _copy_field

    if not rows:
        return
    names = list(rows[0])
    columns = ", ".join(f'"{model._meta.fields[name].column_name}"' for name in names)
    text = "".join("\t".join(_copy_field(value.isoformat() if isinstance(value, dt.date) else value)
                             for value in (row[name] for name in names)) + "\n" for row in rows)
    cursor.copy_expert(f'COPY "{model._meta.table_name}" ({columns}) FROM STDIN', io.StringIO(text))


def _rows(model, rolled: dict[tuple, dict[str, Any]], key: tuple[str, ...]) -> list[dict[str, Any]]:
    """Every column of ``model`` (peewee's defaults are the client's: COPY must name them all)."""
    import peewee

    names = [name for name in model._meta.fields if name != "id" and name not in key]
    empty = {name: "" if isinstance(model._meta.fields[name], peewee.CharField) else 0 for name in names}
    return [{**dict(zip(key, keys)), **{name: values.get(name, empty[name]) for name in names}}
            for keys, values in rolled.items()]


_KEYS = {"ShopDay": ("shop_id", "span", "day"), "CategoryDay": ("shop_id", "span", "day", "category"),
         "ProductDay": ("shop_id", "span", "day", "sku"),
         "ReturnDay": ("shop_id", "span", "day", "reason", "selling_shop_id")}


def generate(database, shops: int, days: int, per_day: int, seed: int, say: Progress) -> dict[str, Any]:
    """Fill head office's tables with the history of ``shops`` shops over ``days`` days."""
    from headoffice.aggregates import ALL_SHOPS, Totals, rolled_up
    from headoffice.store import (CategoryDay, CreditNote, ProductDay, Record, ReturnDay, ReturnTicket, ShopDay,
                                  Till, CreditMove)

    models = {"ShopDay": ShopDay, "CategoryDay": CategoryDay, "ProductDay": ProductDay, "ReturnDay": ReturnDay}
    rng = random.Random(seed)
    catalogue = _catalogue(rng)
    categories = {sku: category for sku, _label, category, _price in catalogue}
    last_day = dt.date.today() - dt.timedelta(days=1)
    first_day = last_day - dt.timedelta(days=days - 1)
    chain: dict[str, dict[tuple, dict[str, Any]]] = {name: defaultdict(lambda: defaultdict(int)) for name in models}
    started, tickets, reason_samples = time.perf_counter(), 0, []
    raw = database.connection()
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0).isoformat(sep=" ")
    for shop in range(shops):
        shop_id, till_id = f"S{shop + 1:03d}", f"S{shop + 1:03d}-1"
        totals, sequence, records, notes = Totals(), 1, [], []
        day = first_day
        while day <= last_day:
            for number, ticket in _tickets(shop, shops, day, per_day + rng.randint(-2, 2), sequence, catalogue, rng):
                selling = ticket.pop("_selling", shop_id)
                totals.add(shop_id, till_id, number, ticket, categories, selling)
                if ticket["kind"] == "return":
                    records.append({"till_id": till_id, "chain": "T", "sequence": number, "kind": "return",
                                    "created_at": ticket["created_at"], "ticket_id": None, "format_version": 1,
                                    "payload": json.dumps(ticket, sort_keys=True, separators=(",", ":")),
                                    "previous_signature": "", "hash": "0" * 64, "signature": "generated",
                                    "key_id": "generated", "received_at": now})
                    for payment in ticket["payments"]:
                        if payment["means"] == "credit_note":
                            amount = -payment["amount_cents"]
                            notes.append({"code": payment["reference"], "shop_id": shop_id, "till_id": till_id,
                                          "amount_cents": amount, "balance_cents": rng.choice((0, amount // 2, amount)),
                                          "expires_on": day + dt.timedelta(days=365), "created_at": now})
                sequence += 1
            day += dt.timedelta(days=1)
        tickets += sequence - 1
        with database.atomic():
            cursor = raw.cursor()
            Till.insert(till_id=till_id, shop_id=shop_id, name=shop_id).execute()
            for name, table in (("ShopDay", totals.shop_days), ("CategoryDay", totals.categories),
                                ("ProductDay", totals.products), ("ReturnDay", totals.reasons)):
                rolled = rolled_up(table)
                mine = {k: v for k, v in rolled.items() if k[0] != ALL_SHOPS}
                for k, v in rolled.items():
                    if k[0] == ALL_SHOPS:
                        row = chain[name][k]
                        for field, value in v.items():
                            if isinstance(value, str):
                                row[field] = value
                            else:
                                row[field] += value
                _copy(cursor, models[name], _rows(models[name], mine, _KEYS[name]))
            _copy(cursor, ReturnTicket, totals.return_tickets)
            _copy(cursor, CreditMove, totals.credit_moves)
            _copy(cursor, Record, records)
            _copy(cursor, CreditNote, notes)
        reason_samples += [(t["till_id"], t["sequence"], t["reason"]) for t in totals.return_tickets[:3]]
        if shop % 20 == 19:
            say(f"  {shop + 1} shops, {tickets} tickets, {time.perf_counter() - started:.0f} s")
    with database.atomic():
        cursor = raw.cursor()
        for name, model in models.items():
            _copy(cursor, model, _rows(model, chain[name], _KEYS[name]))
    database.execute_sql("ANALYZE")
    return {"tickets": tickets, "seconds": time.perf_counter() - started, "first_day": first_day,
            "last_day": last_day, "reason_samples": reason_samples}


def real_sample(database_url: str, folder: Path, say: Progress) -> dict[str, Any]:
    """A real till seals ``SAMPLE_RECORDS`` tickets; real ingest stores them (checks, signatures,
    aggregates): its records per second."""
    from benchmarks.generate import open_sample_till
    from headoffice.cli import enroll
    from headoffice.ingest import ingest_batch
    from till.sync import push as sync_module

    ctx = open_sample_till(folder, "S001R")
    try:
        from store.models import FiscalRecord

        have = FiscalRecord.select().where(FiscalRecord.chain == "T").count()
        with ctx.database.atomic():
            for number in range(have + 1, SAMPLE_RECORDS + 1):
                when = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
                lines = [{"sku": f"SKU{(number * 7 + i) % PRODUCTS:05d}", "label": "Produit", "quantity": 1,
                          "total_cents": 250 + i, "position": i + 1} for i in range(3)]
                ctx.sealer.append("T", "sale", {"number": number, "code": f"S001R-{number}", "created_at": when,
                                                "lines": lines, "total_cents": sum(l["total_cents"] for l in lines),
                                                "payments": [{"means": "cash", "amount_cents": 753}]})
        records = {chain: sync_module._read(ctx.till_id, chain, 1, 100_000) for chain in ("L", "T")}
        with database_of(database_url).connection_context():
            enroll(ctx.till_id, "S001", ctx.sealer.signer.public_pem)
            started = time.perf_counter()
            for chain in ("L", "T"):
                for start in range(0, len(records[chain]), 250):
                    ingest_batch(ctx.till_id, chain, records[chain][start:start + 250])
            seconds = time.perf_counter() - started
    finally:
        ctx.close()
    count = sum(len(r) for r in records.values())
    say(f"  real ingest: {count} records in {seconds:.2f} s")
    return {"ho_sample_records": count, "ho_sample_ingest_per_s": round(count / seconds)}


def database_of(url: str):
    from headoffice.store import proxy

    return proxy.obj


def _urls(info: dict[str, Any], shops: int, rng: random.Random, notes: list[int]) -> list[tuple[str, str]]:
    """(page, URL) of every page and CSV with many filter combinations."""
    from urllib.parse import urlencode

    from headoffice.web.sales_tables import TABLES

    last, first = info["last_day"], info["first_day"]
    periods = [(last - dt.timedelta(days=6), last), (last - dt.timedelta(days=29), last),
               (last - dt.timedelta(days=89), last), (last.replace(month=1, day=1), last), (first, last)]
    out = []
    for _ in range(30):
        since, until = rng.choice(periods)
        if rng.random() < 0.3:  # a random month, or a random stretch
            since = first + dt.timedelta(days=rng.randint(0, max(0, (last - first).days - 40)))
            until = since + dt.timedelta(days=rng.randint(6, 40))
        shop = "" if rng.random() < 0.5 else f"S{rng.randint(1, shops):03d}"
        grouping = rng.choice(("day", "week", "month")) if (until - since).days < 400 else rng.choice(("week", "month"))
        query = {"since": since.isoformat(), "until": until.isoformat(), "grouping": grouping,
                 **({"shop": shop} if shop else {})}
        if rng.random() < 0.25:
            query["page"] = str(rng.randint(2, 4))
        q = urlencode(query)
        out += [("sales", f"/sales?{q}"), ("returns", f"/returns?{q}"), ("credit-notes", f"/credit-notes?{q}"),
                ("reason", f"/returns/reason?{q}&reason={rng.choice(REASONS)}")]
        out += [(f"csv {name}", f"/exports/{name}.csv?{q}" + (f"&reason={rng.choice(REASONS)}"
                                                              if name == "reason-tickets" else ""))
                for name in TABLES]
    for till_id, sequence, _reason in rng.sample(info["reason_samples"], min(12, len(info["reason_samples"]))):
        out.append(("ticket", f"/tickets/{till_id}/{sequence}"))
    for note_id in notes[:12]:
        out.append(("credit note", f"/credit-notes/{note_id}"))
    return out


def time_pages(database_url: str, info: dict[str, Any], shops: int, seed: int, say: Progress) -> dict[str, Any]:
    from starlette.testclient import TestClient

    from headoffice.app import create_app
    from headoffice.store import CreditNote, proxy
    from headoffice.web.accounts import add_user
    from tests.support.ho_web import login

    app = create_app(database_url)
    with proxy.obj.connection_context():
        add_user("bench", "manager", "a long enough passphrase", cost=2 ** 14)
        notes = [n for (n,) in CreditNote.select(CreditNote.id).order_by(CreditNote.id.desc()).limit(12).tuples()]
    client = TestClient(app, follow_redirects=False)
    assert login(client, "bench", "a long enough passphrase").status_code == 303
    rng = random.Random(seed)
    urls = _urls(info, shops, rng, notes)
    for _page, url in urls[:20]:  # warm the caches and the pool
        client.get(url)
    timings: dict[str, list[float]] = defaultdict(list)
    every: list[float] = []
    for page, url in urls:
        started = time.perf_counter()
        answer = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        if answer.status_code != 200:
            raise RuntimeError(f"{url}: {answer.status_code}")
        timings[page].append(elapsed)
        every.append(elapsed)
    client.close()
    per_page = {page: {"p50": round(statistics.median(t), 1), "p95": round(_p95(t), 1), "n": len(t)}
                for page, t in sorted(timings.items())}
    for page, figures in per_page.items():
        say(f"  {page:<32} p50 {figures['p50']:>7} ms   p95 {figures['p95']:>7} ms   ({figures['n']})")
    return {"ho_page_p95_ms": max(f["p95"] for f in per_page.values()),
            "ho_page_all_p50_ms": round(statistics.median(every), 1), "ho_page_all_p95_ms": round(_p95(every), 1),
            "ho_pages": per_page, "ho_page_requests": len(every)}


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def run_all(size: str, folder: Path, seed: int, say: Progress) -> dict[str, Any]:
    """The hook for ``benchmarks/run.py``."""
    from benchmarks.bench_sync import _postgres
    from headoffice.store import open_database

    shops, days, per_day = SIZES.get(size, SIZES["quick"])
    try:
        create, stop = _postgres(say)
    except Exception as error:  # noqa: BLE001 - no PostgreSQL here: the figures are absent, said why
        say(f"head-office pages benchmark skipped: {error}")
        return {"ho_page_p95_ms": None, "ho_pages_skipped": str(error)[:200]}
    try:
        url = create(f"bench_pages_{int(time.time())}")
        database = open_database(url)
        say(f"generating {shops} shops x {days} days x ~{per_day} tickets ...")
        with database.connection_context():
            info = generate(database, shops, days, per_day, seed, say)
        say(f"  generated {info['tickets']} tickets in {info['seconds']:.0f} s")
        sample = real_sample(url, Path(folder).parent / f"{Path(folder).name}-ho-pages", say)
        say("timing the pages ...")
        figures = time_pages(url, info, shops, seed, say)
    finally:
        stop()
    return {**figures, **sample, "ho_pages_shops": shops, "ho_pages_days": days, "ho_pages_tickets": info["tickets"],
            "ho_pages_generate_s": round(info["seconds"], 1)}


def table_rows(r: dict[str, Any]) -> list[tuple]:
    value = r.get("ho_page_p95_ms")
    return [("head-office page p95", "n/a" if value is None else f"{value} ms", "", "", f"<= {TARGET_MS} ms",
             None if value is None else value <= TARGET_MS)]


def notes(r: dict[str, Any]) -> list[str]:
    if r.get("ho_pages_skipped"):
        return [f"head-office pages: not measured ({r['ho_pages_skipped']})"]
    if r.get("ho_page_p95_ms") is None:
        return []
    return [f"head-office pages: {r['ho_pages_shops']} shops x {r['ho_pages_days']} days, {r['ho_pages_tickets']} "
            f"tickets generated through the aggregates' code in {r['ho_pages_generate_s']} s; "
            f"{r['ho_page_requests']} requests over the real app, slowest page's p95 {r['ho_page_p95_ms']} ms "
            f"(all pages: p50 {r['ho_page_all_p50_ms']} ms, p95 {r['ho_page_all_p95_ms']} ms); real ingest of "
            f"{r['ho_sample_records']} sealed records: {r['ho_sample_ingest_per_s']} rec/s"]


def main(argv: list[str] | None = None) -> int:
    from benchmarks.generate import run_standalone

    return run_standalone(run_all, notes, argv)


if __name__ == "__main__":
    sys.exit(main())
