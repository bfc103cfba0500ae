"""Head office as the real ``till-headoffice`` program: enrolled through its command, served by
its own process, killed with SIGKILL in the middle of a sync and started again. The till's
run resumes from what head office committed: nothing lost, nothing held twice."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time

from tests.support.headoffice import serve_process, settings_for
from tests.support.net import free_port
from tests.support.shop import sell

from headoffice.verify import verify_all
from headoffice.store import Record, open_database, proxy
from store.models import FiscalRecord
from till.sync import push as sync_module
from till.sync.push import EXIT_OK, run_sync


def test_head_office_killed_mid_sync_then_restarted(shop, ho_url, tmp_path, monkeypatch):
    for index in range(15):
        sell(shop, [("BAG", 1 + index % 2)])
    port = free_port()
    config = tmp_path / "headoffice.toml"
    config.write_text(f'[headoffice]\ndatabase = "{ho_url}"\nhost = "127.0.0.1"\nport = {port}\n', encoding="utf-8")
    enrolled = subprocess.run([sys.executable, "-m", "headoffice.cli", "--config", str(config), "enroll",
                               shop.ctx.till_id, "--shop", "PARIS", "--public-key", "-"],
                              input=shop.ctx.sealer.signer.public_pem, text=True, capture_output=True)
    assert enrolled.returncode == 0, enrolled.stderr
    processes = [serve_process(config)]
    real_read, calls = sync_module._read, []

    def read_then_kill(*args):
        calls.append(args)
        if len(calls) == 3:
            processes[-1].send_signal(signal.SIGKILL)
            processes[-1].wait()
            threading.Timer(0.3, lambda: processes.append(serve_process(config))).start()
        return real_read(*args)

    monkeypatch.setattr(sync_module, "_read", read_then_kill)
    try:
        result = run_sync(shop.ctx, settings_for(f"http://127.0.0.1:{port}", batch_size=3, attempts=30,
                                                 pause_s=0.2))
    finally:
        time.sleep(0.5)
        for process in processes:
            process.kill()
            process.wait()
    assert result.exit_code == EXIT_OK, result.message
    assert len(processes) == 2
    open_database(ho_url)
    with proxy.obj.connection_context():
        held = {(c, s): sig for c, s, sig in Record.select(Record.chain, Record.sequence, Record.signature).tuples()}
        assert verify_all() == []
    local = {(r.chain, r.sequence): r.signature for r in FiscalRecord.select()}
    top_l = max(s for c, s in local if c == "L")
    assert {k: v for k, v in local.items() if k != ("L", top_l)} == held
