"""The `till` command as a technician runs it: a real process, real files, real exit codes."""

from __future__ import annotations

import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from tests.support.processes import till

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def shop_dir(tmp_path):
    folder = tmp_path / "shop"
    result = till("init", "--dir", str(folder), "--shop-name", "Librairie du Port", "--till-id", "02")
    assert result.returncode == 0, result.stderr
    return folder


def test_init_creates_config_database_and_private_key(shop_dir):
    config = (shop_dir / "till.toml").read_text()
    assert 'name = "Librairie du Port"' in config and 'id = "02"' in config
    key = shop_dir / "keys" / "till.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    with sqlite3.connect(shop_dir / "till.db") as con:
        assert con.execute("select count(*) from vat_rate").fetchone()[0] == 4
        assert con.execute("select kind from fiscal_record where chain='L' order by sequence").fetchall() == [
            ("KEY_CREATED",), ("ANCHORS_SIGNED",), *[("VAT_RATE_CHANGED",)] * 4]
        # the root key, its anchors signed from the start, then the starting VAT rates
    again = till("init", "--dir", str(shop_dir))
    assert again.returncode == 0 and "Kept" in again.stdout
    assert key.read_bytes() == key.read_bytes()


def test_users_are_added_listed_and_unlocked(shop_dir):
    config = str(shop_dir / "till.toml")
    assert till("--config", config, "user", "add", "max", "--name", "Max Durand", "--role", "manager",
                "--pin", "9999").returncode == 0
    listed = till("--config", config, "user", "list")
    assert "max" in listed.stdout and "manager" in listed.stdout
    duplicate = till("--config", config, "user", "add", "max", "--pin", "9999")
    assert duplicate.returncode == 2 and "existe déjà" in duplicate.stderr  # the till speaks French
    bad_pin = till("--config", config, "user", "add", "zoe", "--pin", "12")
    assert bad_pin.returncode == 2 and "4 à 8 chiffres" in bad_pin.stderr
    assert till("--config", config, "user", "unlock", "max").returncode == 0
    verified = till("--config", config, "journal", "verify")
    assert verified.returncode == 0
    import sqlite3

    with sqlite3.connect(shop_dir / "till.db") as db:  # R-JET: user changes are technical events
        changes = [row[0] for row in db.execute(
            "SELECT payload FROM fiscal_record WHERE chain = 'L' AND kind = 'USER_CHANGED' ORDER BY sequence")]
    assert len(changes) == 2 and '"added"' in changes[0] and '"unlocked"' in changes[1]


def _sell(config_path: Path, count: int) -> None:
    code = (
        "import sys\n"
        "from till.config.loader import load\nfrom till.shop.context import TillContext\n"
        "from store.models import Product, Barcode\nfrom till.people.auth import create_user\n"
        "from till.selling.basket import Basket\nfrom till.selling.checkout import Checkout\n"
        f"ctx = TillContext.open(load({str(config_path)!r}))\n"
        "with ctx.database.atomic():\n"
        "    p = Product.create(sku='B1', name='Livre', price_cents=1990, vat_code='R')\n"
        "    Barcode.create(code='9782070360024', product=p)\n"
        "    user = create_user('ana', 'Ana', 'cashier', '1111', sealer=ctx.sealer)\n"
        f"for _ in range({count}):\n"
        "    b = Basket(ctx.config, ctx.sealer, user); b.add_code('9782070360024')\n"
        "    c = Checkout(b, ctx.terminal); c.add_cash(2000); c.complete()\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_journal_verify_clean_then_tampered(shop_dir):
    config = shop_dir / "till.toml"
    _sell(config, 3)
    clean = till("--config", str(config), "journal", "verify")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    with sqlite3.connect(shop_dir / "till.db") as con:
        con.execute("DROP TRIGGER payment_no_update")
        con.execute("UPDATE payment SET amount_cents = 100 WHERE ticket_id = 2 AND position = 1")
    tampered = till("--config", str(config), "journal", "verify")
    assert tampered.returncode == 1
    assert "chaîne T de la caisse 02, enregistrement 2 :" in tampered.stdout


def test_deleting_the_last_record_is_detected_by_the_anchor(shop_dir):
    config = shop_dir / "till.toml"
    _sell(config, 2)
    with sqlite3.connect(shop_dir / "till.db") as con:
        con.execute("DROP TRIGGER fiscal_record_no_delete")
        con.execute("DROP TRIGGER ticket_line_no_delete")
        con.execute("DROP TRIGGER payment_no_delete")
        con.execute("DROP TRIGGER ticket_vat_no_delete")
        con.execute("DROP TRIGGER accounting_line_no_delete")
        con.execute("DROP TRIGGER ticket_no_delete")
        con.execute("PRAGMA foreign_keys = OFF")
        con.execute("DELETE FROM fiscal_record WHERE chain = 'T' AND sequence = 2")
        for table in ("ticket_line", "payment", "ticket_vat", "accounting_line"):
            con.execute(f"DELETE FROM {table} WHERE ticket_id = 2")
        con.execute("DELETE FROM ticket WHERE id = 2")
    result = till("--config", str(config), "journal", "verify")
    assert result.returncode == 1, result.stdout
    assert "chaîne T de la caisse 02" in result.stdout and "2" in result.stdout.split("chaîne T de la caisse 02")[-1]


@pytest.mark.parametrize("content, expected", [
    (None, "does not exist"),
    ('[till]\nid = "01"\nlanguage = "de"\n', "till.language"),
    ("[till\n", "line 1"),
])
def test_config_errors_exit_2_with_a_clear_message(tmp_path, content, expected):
    path = tmp_path / "till.toml"
    if content is not None:
        path.write_text(content)
    result = till("--config", str(path), "journal", "verify")
    assert result.returncode == 2
    assert expected in result.stderr and "Traceback" not in result.stderr


def test_usage_errors_exit_2():
    result = till("journal", "frobnicate")
    assert result.returncode == 2
