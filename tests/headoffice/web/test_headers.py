"""The security headers of the pages, the stylesheet they use, and the helpers pages share."""

from __future__ import annotations

import pytest

from headoffice.web.pages import csv_response, euros
from tests.support.ho_web import csrf_of


def test_every_page_is_sent_with_the_security_headers(ho_web):
    client = ho_web.logged_in("admin")
    for path in ("/", "/admin/users", "/admin/log", "/login"):
        headers = client.get(path).headers
        policy = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy
        assert "unsafe-inline" not in policy
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "same-origin"  # no-referrer makes Chromium send "Origin: null"
        assert headers["cache-control"] == "no-store"
        assert headers["x-content-type-options"] == "nosniff"


def test_a_page_scripts_only_with_its_own_nonce(ho_web):
    client = ho_web.logged_in("viewer")
    one, two = client.get("/").headers["content-security-policy"], client.get("/").headers["content-security-policy"]
    assert "'nonce-" in one and one != two  # a nonce per answer


def test_over_tls_the_pages_ask_for_tls_from_then_on(ho_web):
    assert "strict-transport-security" in ho_web.logged_in("viewer", https=True).get("/").headers
    assert "strict-transport-security" not in ho_web.logged_in("viewer").get("/").headers


def test_the_stylesheet_is_served_with_print_and_narrow_screen_rules(ho_web):
    answer = ho_web.client().get("/static/ho.css")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/css")
    for rule in ("@media print", ".red", ".ok", ".num", "table.data", "overflow-x: auto"):
        assert rule in answer.text


def test_what_people_typed_is_escaped_on_the_page(ho_web):
    client = ho_web.client()
    page = client.get("/login")
    answer = client.post("/login", data={"csrf": csrf_of(page.text), "username": '<script>alert(1)</script>',
                                         "password": "x"})
    assert "<script>alert(1)" not in answer.text and "&lt;script&gt;" in answer.text


def test_euros_are_french_and_from_integer_cents_only():
    assert euros(123456) == "1 234,56 €"
    assert euros(-5) == "-0,05 €"
    assert euros(0) == "0,00 €"
    with pytest.raises(TypeError):
        euros(12.5)


def test_a_csv_cell_is_never_a_formula_for_the_spreadsheet():
    answer = csv_response("sales 2026.csv", ["shop", "note"], [["P01", "=HYPERLINK(\"x\")"], ["P02", "plain"]])
    text = answer.body.decode("utf-8")
    assert text.startswith("\ufeffshop,note")
    assert "'=HYPERLINK" in text and "plain" in text
    assert answer.headers["content-disposition"] == 'attachment; filename="sales2026.csv"'
