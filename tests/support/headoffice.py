"""Head office on loopback for the sync tests: a real uvicorn server in a thread (or the real
``till-headoffice serve`` in its own process), and a TCP proxy that can cut the connection in
the middle of a request."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time

import uvicorn

from tests.support.net import free_port


class HeadOffice:
    """``till-headoffice serve`` in a thread: start, stop (a restart is stop then start)."""

    def __init__(self, database_url: str, port: int | None = None, max_skew_s: int = 300,
                 tls: tuple[str, str] | None = None, webshop_limiter=None) -> None:
        self.database_url, self.port, self.max_skew_s = database_url, port or free_port(), max_skew_s
        self.tls, self.webshop_limiter = tls, webshop_limiter
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def start(self) -> "HeadOffice":
        from headoffice.app import create_app

        app = create_app(self.database_url, self.max_skew_s, webshop_limiter=self.webshop_limiter)
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off",
                                ssl_certfile=self.tls[0] if self.tls else None,
                                ssl_keyfile=self.tls[1] if self.tls else None)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("head office did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
            self.thread.join(timeout=10)
            self.server = None


def serve_process(config) -> subprocess.Popen:
    """``till-headoffice --config CONFIG serve`` in its own process, once it accepts connections
    on the port ``config`` names (the caller kills it)."""
    process = subprocess.Popen([sys.executable, "-m", "headoffice.cli", "--config", str(config), "serve"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port = int(config.read_text().split("port = ")[1].split()[0])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise AssertionError("till-headoffice serve did not start")


class CuttingProxy:
    """Forwards 127.0.0.1:port to ``target``; the first connection that has carried more than
    ``cut_after`` bytes towards the server is closed abruptly, once (mid-request)."""

    def __init__(self, target_port: int, cut_after: int) -> None:
        self.target_port, self.cut_after = target_port, cut_after
        self.cuts = 0
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._stop = True
        self.listener.close()

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, target: socket.socket, counting: bool) -> None:
        carried = 0
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if counting and self.cuts == 0 and carried + len(data) > self.cut_after:
                    keep = self.cut_after - carried
                    target.sendall(data[:max(0, keep)])
                    self.cuts += 1
                    break
                carried += len(data)
                target.sendall(data)
        except OSError:
            pass
        for s in (source, target):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


def settings_for(url: str, **overrides):
    from till.sync.push import SyncSettings

    return SyncSettings(**{"url": url, "batch_size": 5, "timeout_s": 10, "attempts": 5, "pause_s": 0.05, **overrides})


def write_sync_section(config_path, url: str, **keys):
    """Point the till of ``config_path`` (its till.toml) at head office ``url``: a ``[sync]``
    section with ``keys`` replaces any it had. Returns the configuration loaded again, since a
    running ``TillContext`` keeps the one it was opened with."""
    import json
    import re
    from pathlib import Path

    from till.config.loader import load

    path = Path(config_path)
    text = re.sub(r"(?ms)^\[sync\][^\n]*\n.*?(?=^\[|\Z)", "", path.read_text(encoding="utf-8"))
    values = {"url": url, **keys}
    lines = [f"{key} = {str(value).lower() if isinstance(value, bool) else json.dumps(value)}"
             for key, value in values.items()]
    path.write_text(text.rstrip("\n") + "\n\n[sync]\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return load(path)


def note_of_another_shop(amount_cents: int, shop_id: str = "LYON") -> str:
    """A credit note another shop issued, registered at head office (valid 30 days); its code."""
    import datetime as dt

    from headoffice.store import CreditNote, proxy
    from till.credit.notes import make_code

    code = make_code()
    with proxy.obj.connection_context():
        CreditNote.create(code=code, shop_id=shop_id, till_id="L01", amount_cents=amount_cents,
                          balance_cents=amount_cents, expires_on=dt.date.today() + dt.timedelta(days=30))
    return code


def office_balance(code: str) -> int:
    """What head office says is left on note ``code``."""
    from headoffice.store import CreditNote, proxy

    with proxy.obj.connection_context():
        return CreditNote.get(CreditNote.code == code).balance_cents


def alerts() -> list[str]:
    """The codes of head office's alerts, oldest first."""
    from headoffice.store import Alert, proxy

    with proxy.obj.connection_context():
        return [a.code for a in Alert.select().order_by(Alert.id)]
