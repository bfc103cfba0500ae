"""Logs give nothing away: a credit-note code never appears whole in till.log nor in head
office's log and access log (``/v1/credit-notes/{code}/...`` request lines), only its last four
characters; head office's database and log file are private. The real ``till-headoffice serve``
process, started from a shell with umask 022, and the till's real log file."""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.support.headoffice import settings_for
from tests.support.net import free_port

from till.cli.common import setup_logging
from till.credit.notes import UnknownCreditNote, make_code
from till.logmask import mask_code
from till.credit.remote import RemoteCreditDesk, redeem_remote, remote_balance
from till.sync.client import HeadOfficeClient
from tests.support.processes import mode

ROOT = Path(__file__).resolve().parents[2]


def headoffice(*args: str, **kwargs) -> subprocess.CompletedProcess | subprocess.Popen:
    command = [sys.executable, "-m", "headoffice.cli", *args]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if kwargs.pop("background", False):
        return subprocess.Popen(command, env=env, preexec_fn=lambda: os.umask(0o022), **kwargs)
    return subprocess.run(command, env=env, preexec_fn=lambda: os.umask(0o022), capture_output=True, text=True,
                          timeout=60, **kwargs)


def test_head_office_logs_and_access_log_mask_codes_and_its_files_are_private(shop, tmp_path):
    port, database, log_file = free_port(), tmp_path / "ho" / "headoffice.db", tmp_path / "ho" / "log" / "ho.log"
    config = tmp_path / "headoffice.toml"
    config.write_text(f'[headoffice]\ndatabase = "sqlite:///{database}"\nhost = "127.0.0.1"\nport = {port}\n'
                      f'log_file = "{log_file}"\n', encoding="utf-8")
    enrolled = headoffice("--config", str(config), "enroll", shop.ctx.till_id, "--shop", "PARIS", "--public-key", "-",
                          input=shop.ctx.sealer.signer.public_pem)
    assert enrolled.returncode == 0, enrolled.stderr
    from headoffice.store import CreditNote, open_database, proxy

    open_database(f"sqlite:///{database}")
    code, unknown = make_code(), make_code()
    with proxy.obj.connection_context():
        CreditNote.create(code=code, shop_id="LYON", till_id="L01", amount_cents=2000, balance_cents=2000,
                          expires_on=dt.date.today() + dt.timedelta(days=30))
    proxy.obj.close()

    stderr = tmp_path / "serve.err"
    with stderr.open("wb") as err:
        server = headoffice("--config", str(config), "serve", background=True, stdout=err, stderr=err)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, stderr.read_text()
                time.sleep(0.05)
        client = HeadOfficeClient(f"http://127.0.0.1:{port}", shop.ctx.till_id, shop.ctx.sealer.signer)
        assert remote_balance(client, code)["balance_cents"] == 2000
        assert redeem_remote(client, settings_for(client.host), code, 500, "01-T1").balance_cents == 1500
        with pytest.raises(UnknownCreditNote):
            remote_balance(client, unknown)  # 404
        released = client.request("POST", f"/v1/credit-notes/{unknown}/release", {"request_id": "01-T9"})
        assert released["released_cents"] == 0
        client.close()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    logged = log_file.read_text(encoding="utf-8")
    printed = stderr.read_text(encoding="utf-8")
    for text in (logged, printed):
        assert f'"GET /v1/credit-notes/{mask_code(code)} HTTP/1.1" 200' in text
        assert f'"POST /v1/credit-notes/{mask_code(code)}/redeem HTTP/1.1" 200' in text
        assert f"/v1/credit-notes/{mask_code(unknown)}" in text
        for whole in (code, unknown):
            assert whole not in text and whole.replace("-", "") not in text
    assert mode(log_file) == 0o600
    assert mode(database) == 0o600


def test_till_log_never_shows_a_code_whole(shop, own_logging):
    """A credit note taken offline, then given back with head office still unreachable: both
    are logged (for the person who settles them), the code masked."""
    config = shop.config
    setup_logging(config)
    dead = settings_for(f"http://127.0.0.1:{free_port()}", attempts=1)
    desk = RemoteCreditDesk(dead, shop.ctx.till_id, shop.ctx.sealer.signer, shop.ctx.sealer)
    code = make_code()
    taken = desk.hold(code, 1200, own_note=True)
    assert taken.offline
    assert desk.release(taken.request_id) is False  # left for the next sync
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = config.resolve(config.till.log_file).read_text(encoding="utf-8")
    assert f"credit note {mask_code(code)} redeemed offline" in text
    assert f"credit note {mask_code(code)}: release of {taken.request_id} left for later" in text
    assert code not in text and code.replace("-", "") not in text
    assert mode(config.resolve(config.till.log_file)) == 0o600
