"""The sales, returns and credit-note pages over what a real till sold, took back and synced to
the real head office (SQLite and PostgreSQL): the figures are the till's, a reason drills down
to the right tickets and a ticket to its lines, every table's CSV is the table, codes are masked
in lists, and a shop's archive carries the records as signed with the tills' keys."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from headoffice.documents import publish_catalogue
from headoffice.store import Record, proxy
from headoffice.web.pages import euros
from headoffice.web.sales_tables import TABLES
from tests.headoffice.web.history import CATALOGUE, make_history, sync, till_figures
from tests.headoffice.web.tables import cents, csv_rows, shown, tables_of
from tests.support.ho_web import WebOffice


@pytest.fixture
def synced(shop, headoffice, ho_url):
    """The till's history synced; the pages' app on head office's database."""
    with proxy.obj.connection_context():
        publish_catalogue(CATALOGUE)
    history = make_history(shop)
    sync(shop, headoffice)
    return history, WebOffice(ho_url)


def test_the_sales_page_shows_what_the_till_sold_and_took_back(synced, shop):
    _history, office = synced
    page = office.logged_in("viewer").get("/sales")
    assert page.status_code == 200
    tables, _links = tables_of(page.text)
    till = till_figures(shop)
    [paris] = tables["sales-by-shop"]
    assert paris[0] == "PARIS" and int(paris[1]) == till["tickets"]
    assert (cents(paris[2]), cents(paris[3])) == (till["sales_cents"], till["returns_cents"])
    categories = {row[0]: (cents(row[2]), cents(row[4])) for row in tables["sales-by-category"]}
    assert categories["Droguerie"] == (700, 350) and categories["Épicerie"] == (459, 459)
    assert tables["top-products"][0][1] == "WIN"  # 8,95 €: the best seller of the day
    assert 'id="chart-sales"' in page.text and "<script" not in page.text


def test_a_reason_drills_down_to_its_tickets_and_a_ticket_to_its_lines(synced):
    history, office = synced
    client = office.logged_in("viewer")
    page = client.get("/returns")
    tables, links = tables_of(page.text)
    reasons = {row[0]: cents(row[3]) for row in tables["returns-by-reason"]}
    assert reasons["defective"] == 350 and reasons["changed_mind"] == 459
    assert 'id="chart-reasons"' in page.text and ">defective<" in page.text
    defective = next(link for link in links["returns-by-reason"] if link.get("data-reason") == "defective")
    drilled = client.get(defective["href"])
    rows, row_links = tables_of(drilled.text)
    soap_return = history.returns[0]
    assert [row[0] for row in rows["reason-tickets"]] == [soap_return.code]
    assert rows["reason-tickets"][0][7] == "1 × Savon de Marseille"
    ticket = client.get(row_links["reason-tickets"][0]["href"])
    lines, _ = tables_of(ticket.text)
    assert [(row[2], row[3], row[7]) for row in lines["ticket-lines"]] == [("Savon de Marseille", "-1", "defective")]


def test_every_tables_csv_is_the_table(synced):
    _history, office = synced
    client = office.logged_in("viewer")
    seen = set()
    for path in ("/sales?grouping=week", "/returns", "/returns/reason?reason=defective", "/credit-notes"):
        page = client.get(path)
        tables, _ = tables_of(page.text)
        query = path.partition("?")[2]
        for table_id, rows in tables.items():
            if table_id not in TABLES:
                continue
            answer = client.get(f"/exports/{table_id}.csv" + (f"?{query}" if query else ""))
            assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
            header, *body = csv_rows(answer.text)
            assert body == [[shown(cell) for cell in row] for row in rows], table_id
            seen.add(table_id)
    assert seen == set(TABLES)


def test_credit_notes_by_shop_and_a_notes_history_by_its_whole_code_for_a_manager(synced):
    history, office = synced
    viewer = office.logged_in("viewer")
    page = viewer.get("/credit-notes")
    tables, links = tables_of(page.text)
    [paris] = tables["credit-by-shop"]
    assert (paris[0], paris[1], cents(paris[2]), paris[3], cents(paris[4])) == ("PARIS", "1", 500, "1", 120)
    assert history.note_code not in page.text  # masked in lists
    assert viewer.get("/credit-notes/note", params={"code": history.note_code}).status_code == 403
    manager = office.logged_in("manager")
    note = manager.get("/credit-notes/note", params={"code": history.note_code})
    assert note.status_code == 200 and f'id="credit-note-code">{history.note_code}<' in note.text
    wrong = "1" if history.note_code.endswith("0") else "0"  # a typo in the check character
    typed = manager.get("/credit-notes/note", params={"code": history.note_code.lower().replace("-", " ")})
    assert f'id="credit-note-code">{history.note_code}<' in typed.text  # as a person types it
    assert manager.get("/credit-notes/note", params={"code": history.note_code[:-1] + wrong}).status_code == 404
    moves, _ = tables_of(note.text)
    assert [(row[1], cents(row[4])) for row in moves["credit-note-history"]] == [("issued", 500), ("spent", 120)]


def test_a_shops_archive_holds_its_records_as_signed_with_the_keys(synced, shop):
    _history, office = synced
    assert office.logged_in("viewer").get("/exports/archive?shop=PARIS").status_code == 403
    answer = office.logged_in("manager").get("/exports/archive?shop=PARIS")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    manifest = json.loads(archive.read("manifest.json"))
    till = shop.ctx.till_id
    lines = [json.loads(line) for line in archive.read(f"data/{till}-T.jsonl").decode().splitlines()]
    with proxy.obj.connection_context():
        held = {r.sequence: r for r in Record.select().where(Record.till_id == till, Record.chain == "T")}
    assert [line["sequence"] for line in lines] == sorted(held)
    assert all(line["signature"] == held[line["sequence"]].signature and
               json.loads(held[line["sequence"]].payload) == line["payload"] for line in lines)
    assert {f"keys/{line['key_id']}.pem" for line in lines} <= set(archive.namelist())
    assert {c["chain"] for c in manifest["chains"]} >= {"T", "L"} and manifest["shop_id"] == "PARIS"
