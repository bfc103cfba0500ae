"""Exports: every table of the sales, returns and credit-note pages as CSV, and a shop's signed
archive of a period for an inspector.

``/exports/{table}.csv`` takes the page's own query string (the same filters, the same page of
a paged table) and writes the rows the page shows (``headoffice.web.sales_tables``).

The archive (``/exports/archive``, manager role) is a ZIP in the layout of the till's own fiscal
archive (``till.fiscal.archive``): ``data/<till>-<chain>.jsonl``, each record of the shop's
tills sealed in the period (business days in the shop's zone, by sealing time), one canonical
JSON line exactly as the till's archive writes it (the signed fields, the payload as signed, the
hash, signature and key id); ``keys/<key id>.pem``, the public key of each key that signed; and
``manifest.json`` with, per chain, the first and last sequence, the count, the record just before
the period (so the first link is checked too) and each file's SHA-256. What it cannot carry is
the till's signature of the manifest: head office holds no till's private key, so its manifest
is unsigned and says so; every record in it carries the till's own signature.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from typing import Any

from starlette.responses import HTMLResponse, Response

from headoffice.aggregates import SHOP_ZONE
from headoffice.aggregates_queries import Filters, shops
from headoffice.store import Record, Till, TillKey
from headoffice.web.pages import Page, csv_response, render
from headoffice.web.sales_tables import TABLES, build, csv_cell
from till.fiscal.canonical import canonical_json
from till.fiscal.closure_totals import day_start

__all__ = ["PAGES", "archive_bytes", "MAX_ARCHIVE_DAYS"]

MAX_ARCHIVE_DAYS = 366
"""The longest period one download covers (a year): the archive is built in memory."""

_LINE = ('{"chain":%s,"created_at":%s,"format_version":%d,"hash":%s,"key_id":%s,"kind":%s,"payload":%s,'
         '"previous_signature":%s,"sequence":%d,"signature":%s,"ticket_id":%s,"till_id":%s}\n')
"""A data line as ``till.fiscal.archive`` writes it: canonical JSON, the payload embedded as signed."""


def exports(request, user, _form) -> Response:
    f = Filters.from_query(request.query_params)
    return render(request, user, "exports.html", filters=f, shops=shops(), tables=TABLES, query=request.url.query,
                  groupings=(), hidden={})


def table_csv(request, user, _form) -> Response:
    table = build(str(request.path_params["table"]), request.query_params)
    if table is None:
        return HTMLResponse("<!doctype html><title>Not found</title><p>No such table.</p>", status_code=404)
    header = [column.header + (" (€)" if column.kind == "money" else " (%)" if column.kind == "rate" else "")
              for column in table.columns]
    rows = [[csv_cell(value, column.kind) for value, column in zip(row, table.columns)] for row in table.rows]
    return csv_response(f"{table.id}.csv", header, rows)


def archive(request, user, _form) -> Response:
    f = Filters.from_query(request.query_params)
    if not f.shop or (f.until - f.since).days >= MAX_ARCHIVE_DAYS:
        return HTMLResponse("<!doctype html><title>Archive</title><p>Choose one shop and a period of at most "
                            f"{MAX_ARCHIVE_DAYS} days.</p>", status_code=400)
    data = archive_bytes(f.shop, f.since, f.until)
    name = f"archive-{f.shop}-{f.since.isoformat()}-{f.until.isoformat()}.zip"
    safe = "".join(c for c in name if c.isalnum() or c in "._-")
    return Response(data, media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{safe}"'})


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def archive_bytes(shop_id: str, since: dt.date, until: dt.date) -> bytes:
    """The ZIP of the records of ``shop_id``'s tills sealed from ``since`` to ``until`` (business days)."""
    start, end = _iso(day_start(since, SHOP_ZONE)), _iso(day_start(until + dt.timedelta(days=1), SHOP_ZONE))
    tills = [t for (t,) in Till.select(Till.till_id).where(Till.shop_id == shop_id).order_by(Till.till_id).tuples()]
    out = io.BytesIO()
    chains, key_ids, files = [], set(), []
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zipped:
        for till_id in tills:
            for (chain,) in (Record.select(Record.chain).where(Record.till_id == till_id).distinct()
                             .order_by(Record.chain).tuples()):
                entry = _write_chain(zipped, till_id, chain, start, end, key_ids)
                if entry is not None:
                    chains.append(entry)
                    files.append({"name": entry["file"], "sha256": entry["sha256"]})
        keys = {key_id: pem for key_id, pem in TillKey.select(TillKey.key_id, TillKey.public_key_pem)
                .where(TillKey.key_id.in_(sorted(key_ids))).tuples()} if key_ids else {}
        for key_id, pem in sorted(keys.items()):
            name = f"keys/{key_id}.pem"
            zipped.writestr(name, pem)
            files.append({"name": name, "sha256": hashlib.sha256(pem.encode()).hexdigest()})
        manifest = {"format": "till-headoffice-archive", "format_version": 1, "shop_id": shop_id,
                    "period": {"first_day": since.isoformat(), "last_day": until.isoformat(), "zone": SHOP_ZONE.key,
                               "start_utc": start, "end_utc": end},
                    "tills": tills, "chains": chains, "files": files,
                    "signed": "each record by its till's key; this manifest is written by head office, unsigned"}
        zipped.writestr("manifest.json", canonical_json(manifest))
    return out.getvalue()


def _write_chain(zipped: zipfile.ZipFile, till_id: str, chain: str, start: str, end: str,
                 key_ids: set[str]) -> dict[str, Any] | None:
    query = (Record.select(Record.sequence, Record.kind, Record.created_at, Record.ticket_id, Record.format_version,
                           Record.payload, Record.previous_signature, Record.hash, Record.signature, Record.key_id)
             .where((Record.till_id == till_id) & (Record.chain == chain) & (Record.created_at >= start)
                    & (Record.created_at < end)).order_by(Record.sequence).tuples())
    lines, first, last = [], None, None
    for sequence, kind, created_at, ticket_id, version, payload, previous, hash_, signature, key_id in query.iterator():
        lines.append(_LINE % (canonical_json(chain), canonical_json(created_at), version, canonical_json(hash_),
                              canonical_json(key_id), canonical_json(kind), payload, canonical_json(previous),
                              sequence, canonical_json(signature), "null" if ticket_id is None else int(ticket_id),
                              canonical_json(till_id)))
        key_ids.add(key_id)
        first = sequence if first is None else first
        last = sequence
    if not lines:
        return None
    data = "".join(lines).encode("utf-8")
    name = f"data/{till_id}-{chain}.jsonl"
    zipped.writestr(name, data)
    before = Record.get_or_none((Record.till_id == till_id) & (Record.chain == chain) & (Record.sequence == first - 1))
    return {"till_id": till_id, "chain": chain, "first": first, "last": last, "count": len(lines), "file": name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "before": None if before is None else {"sequence": before.sequence, "signature": before.signature,
                                                   "hash": before.hash}}


PAGES = [
    Page("/exports", "exports", exports, nav="Exports"),
    Page("/exports/archive", "export_archive", archive, role="manager"),
    Page("/exports/{table}.csv", "export_csv", table_csv),
]
