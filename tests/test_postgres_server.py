"""The database fixtures work: a real PostgreSQL server, per-test databases, both engines."""

from __future__ import annotations

import os
import sqlite3
from urllib.parse import urlparse

import psycopg2
import pytest
from playhouse.db_url import connect as peewee_connect

from tests.support.postgres import PostgresServer, PostgresUnavailable, find_bin_dir, pid_alive


def _pg_connect(url: str):
    u = urlparse(url)
    return psycopg2.connect(host=u.hostname, port=u.port, user=u.username, dbname=u.path.lstrip("/"))


def test_pg_url_round_trip(pg_url):
    assert pg_url.startswith("postgresql://postgres@127.0.0.1:")
    conn = _pg_connect(pg_url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("CREATE TABLE article (id serial PRIMARY KEY, label text NOT NULL, price_cents int)")
            cur.execute("INSERT INTO article (label, price_cents) VALUES (%s, %s), (%s, %s)",
                        ("Crème fraîche", 245, "Pain de campagne", 310))
        with conn.cursor() as cur:
            cur.execute("SELECT label, price_cents FROM article ORDER BY id")
            assert cur.fetchall() == [("Crème fraîche", 245), ("Pain de campagne", 310)]
            cur.execute("SELECT upper(label) FROM article WHERE id = 1")
            assert cur.fetchone() == ("CRÈME FRAÎCHE",)  # UTF-8 database, Unicode-aware locale
    finally:
        conn.close()


def test_server_is_postgresql_15_or_newer_and_tuned_for_tests(pg_url):
    conn = _pg_connect(pg_url)
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW server_version_num")
            assert int(cur.fetchone()[0]) >= 150000
            settings = {}
            for name in ("fsync", "synchronous_commit", "full_page_writes", "listen_addresses", "server_encoding"):
                cur.execute(f"SHOW {name}")
                settings[name] = cur.fetchone()[0]
    finally:
        conn.close()
    assert settings == {
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "listen_addresses": "127.0.0.1",
        "server_encoding": "UTF8",
    }


def test_databases_are_isolated(postgres_server, pg_url):
    other_name = "isolation_other"
    other_url = postgres_server.create_database(other_name)
    try:
        assert other_url == postgres_server.url_for(other_name) != pg_url
        a, b = _pg_connect(pg_url), _pg_connect(other_url)
        try:
            with a, a.cursor() as cur:
                cur.execute("CREATE TABLE only_in_a (x int)")
                cur.execute("INSERT INTO only_in_a VALUES (1)")
            with b.cursor() as cur:
                cur.execute("SELECT to_regclass('only_in_a')")
                assert cur.fetchone() == (None,)
        finally:
            a.close()
            b.close()
    finally:
        postgres_server.drop_database(other_name)


def test_db_url_works_on_both_engines(db_url, request):
    engine = request.node.callspec.params["db_url"]
    if engine == "sqlite":
        assert db_url.startswith("sqlite:///")
        assert request.node.get_closest_marker("postgres") is None  # `-m "not postgres"` keeps it
        path = db_url[len("sqlite:///"):]
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE t (x int)")
            conn.execute("INSERT INTO t VALUES (42)")
        conn.close()
        assert os.path.exists(path)
    else:
        assert request.node.get_closest_marker("postgres") is not None
        conn = _pg_connect(db_url)
        try:
            with conn, conn.cursor() as cur:
                cur.execute("CREATE TABLE t (x int)")
                cur.execute("INSERT INTO t VALUES (42)")
        finally:
            conn.close()
    # What the store will do with the URL: open it with peewee and read back.
    db = peewee_connect(db_url)
    try:
        assert db.execute_sql("SELECT x FROM t").fetchall() == [(42,)]
    finally:
        db.close()


def test_no_binaries_is_a_clear_unavailable(tmp_path, monkeypatch):
    monkeypatch.delenv("TILL_PG_BINDIR", raising=False)
    with pytest.raises(PostgresUnavailable, match="no PostgreSQL server binaries") as exc:
        find_bin_dir(path=str(tmp_path), roots=str(tmp_path / "*" / "bin"))
    assert "apt-get install postgresql" in exc.value.reason


def test_newest_debian_version_wins(tmp_path, monkeypatch):
    monkeypatch.delenv("TILL_PG_BINDIR", raising=False)
    for version in ("9.6", "13", "15", "extra"):
        bin_dir = tmp_path / version / "bin"
        bin_dir.mkdir(parents=True)
        for name in ("initdb", "pg_ctl", "postgres"):
            (bin_dir / name).write_text("#!/bin/sh\n")
            (bin_dir / name).chmod(0o755)
    assert find_bin_dir(path="", roots=str(tmp_path / "*" / "bin")) == tmp_path / "15" / "bin"


def test_stop_kills_the_server_and_removes_its_directory(postgres_server):
    # postgres_server only for its skip/fail-when-unavailable; this test needs its own server.
    server = PostgresServer(postgres_server.bin_dir)
    with server:
        base, pid = server.base_dir, server._postmaster_pid()
        assert base.is_dir() and pid
        assert pid_alive(pid)
        url = server.create_database("lifecycle")
        conn = _pg_connect(url)
        conn.close()
    assert not base.exists()
    assert not pid_alive(pid)
    server.stop()  # idempotent
