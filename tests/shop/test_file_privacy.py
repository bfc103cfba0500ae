"""Files give nothing away: what the till makes is 0600 from the first byte, whatever the
umask of the shell that started it; what an older version left open is closed at start; and
``till doctor`` says, file by file, what a technician must fix. Real processes, real files."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from tests.support.shop import sell

from store import db
from till.shop import doctor
from till.shop import permissions as shop_files
from till.config.loader import load
from till.shop.context import TillContext
from till.errors import TillError
from till.i18n import _catalogue
from tests.support.processes import mode, till
from till.fiscal.chain import flush_anchors


@pytest.fixture
def loose_umask():
    """The test process's umask set to 022 for the test (a library creates 0644 files then)."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.fixture
def shop_dir(tmp_path):
    folder = tmp_path / "shop"
    result = till("init", "--dir", str(folder), "--language", "en")
    assert result.returncode == 0, result.stderr
    return folder


def test_init_and_commands_make_every_file_private(shop_dir):
    anchors = sorted((shop_dir / "anchors").glob("anchor-*.json"))
    assert anchors
    for path in [shop_dir / "till.toml", shop_dir / "till.db", shop_dir / "keys" / "till.pem", *anchors]:
        assert mode(path) == 0o600, path
    added = till("--config", str(shop_dir / "till.toml"), "user", "add", "alice", "--pin", "1234")
    assert added.returncode == 0, added.stderr
    assert mode(shop_dir / "till.log") == 0o600
    assert [p.name for p in shop_dir.iterdir() if mode(p) & 0o077] == []


def test_the_database_and_its_wal_and_shm_are_private_while_open(tmp_path, loose_umask):
    path = tmp_path / "till.db"
    database = db.open(f"sqlite:///{path}")  # migrations write: the -wal and -shm files exist now
    try:
        companions = [Path(f"{path}{suffix}") for suffix in ("-wal", "-shm")]
        assert all(p.exists() for p in companions)
        assert [mode(p) for p in [path, *companions]] == [0o600, 0o600, 0o600]
    finally:
        database.close()


def test_start_up_closes_what_an_older_version_left_open(shop, caplog):
    sell(shop, [("BAG", 1)])
    assert flush_anchors(timeout=10)  # the anchors are written by a background thread
    config = shop.config
    shop.ctx.close()
    anchor = next((config.resolve(config.till.anchor_dir)).glob("anchor-*.json"))
    log_file = config.resolve(config.till.log_file)
    log_file.write_text("an older version's log\n", encoding="utf-8")
    database = shop_files.sqlite_file(config)
    for path in (config.path, database, anchor):
        os.chmod(path, 0o644)
    os.chmod(log_file, 0o664)
    with caplog.at_level(logging.WARNING, logger="till.shop.permissions"):
        TillContext.open(load(config.path)).close()
    assert [mode(p) for p in (config.path, database, anchor)] == [0o600] * 3
    assert mode(log_file) == 0o640  # a monitoring group may read the log; others not
    warned = caplog.text
    assert all(str(p) in warned for p in (config.path, database, anchor, log_file))
    key = config.resolve(config.till.key_file)
    os.chmod(key, 0o644)  # a key others could read may have been copied: refused, not fixed
    with pytest.raises(TillError, match="chmod 600"):
        TillContext.open(load(config.path))
    assert mode(key) == 0o644


def test_doctor_says_ok_for_a_private_shop_and_fails_on_a_world_readable_database(shop_dir):
    config = str(shop_dir / "till.toml")
    healthy = till("--config", config, "doctor")
    assert healthy.returncode == 0, healthy.stderr
    lines = healthy.stdout.splitlines()
    user = __import__("pwd").getpwuid(os.geteuid()).pw_name
    # the configuration, the database, the key, the anchor and the log: one line while all are right
    assert f"OK    files holding secrets or customers: 5, each private to {user}" in lines
    warned = [line for line in lines if not line.startswith("OK ")]
    assert len(warned) == 1 and warned[0].startswith("WARN") and "backup" in warned[0]  # none configured yet

    os.chmod(shop_dir / "till.db", 0o644)
    sick = till("--config", config, "doctor")
    assert sick.returncode == 1
    assert (f"FAIL  database {shop_dir / 'till.db'}: mode 0644: every user of this machine can open it "
            f"(chmod 600)") in sick.stdout.splitlines()
    assert "Traceback" not in sick.stdout + sick.stderr

    os.chmod(shop_dir / "till.db", 0o640)
    warned = till("--config", config, "doctor")
    assert warned.returncode == 0
    assert any(line.startswith(f"WARN  database {shop_dir / 'till.db'}: mode 0640: group ")
               for line in warned.stdout.splitlines())


def test_doctor_speaks_the_tills_language_and_names_a_missing_key(tmp_path):
    folder = tmp_path / "boutique"
    assert till("init", "--dir", str(folder), "--language", "fr").returncode == 0
    (folder / "keys" / "till.pem").unlink()
    result = till("--config", str(folder / "till.toml"), "doctor")
    assert result.returncode == 1
    assert f"FAIL  clé de signature {folder / 'keys' / 'till.pem'} est absent" in result.stdout.splitlines()
    assert "OK    fichiers contenant des secrets ou des clients : " in result.stdout


def test_a_check_that_breaks_is_a_fail_line_not_a_traceback(shop):
    def clock(config):
        raise OSError("no RTC")

    findings = doctor.run_checks(shop.config, [doctor.file_permissions, clock])
    assert findings[-1].status == doctor.FAIL
    assert findings[-1].text("en") == "The check clock could not run: no RTC"
    assert findings[-1].text("fr") == "La vérification clock n'a pas pu se faire : no RTC"
    assert {f.status for f in findings[:-1]} == {doctor.OK}


def test_every_doctor_message_and_file_kind_has_french():
    for message in (*doctor.MESSAGES, *shop_files.KINDS):
        assert message in _catalogue("fr"), message
