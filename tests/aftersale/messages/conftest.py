"""Real servers on loopback for the message tests: an SMTP server (aiosmtpd) that speaks
STARTTLS with a self-signed certificate made here and asks for AUTH LOGIN, a server that never
answers (timeouts), and a small HTTP server standing in for an SMS gateway.

Each server records what arrived, so the tests read the message or the request itself.
"""

from __future__ import annotations

import email
import email.policy
import http.server
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from till.aftersale.messages.email import SmtpSettings
from till.aftersale.messages.sms import SmsSettings

from tests.support.messages import PASSWORD, SENDER, USER, WithMessages
from tests.support.net import free_port, self_signed


@pytest.fixture(scope="session")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost: (cert.pem, key.pem)."""
    return self_signed(tmp_path_factory.mktemp("tls"))


@dataclass
class Arrival:
    """A message as the server received it, with how the session was made."""

    sender: str
    recipients: list[str]
    message: email.message.EmailMessage
    tls: bool
    login: str | None


@dataclass
class SmtpServer:
    """The loopback SMTP server's address, what arrived, and a switch to refuse mail."""

    port: int
    cafile: Path
    arrived: list[Arrival] = field(default_factory=list)
    refuse: str | None = None
    """An SMTP reply (e.g. "554 5.7.1 rejected") given to DATA instead of accepting."""
    mechanisms: list[str] = field(default_factory=list)
    """The AUTH mechanisms clients used."""

    def settings(self, **changes) -> SmtpSettings:
        values = dict(host="127.0.0.1", port=self.port, starttls=True, username=USER, password=PASSWORD,
                      sender=SENDER, timeout_s=5, cafile=str(self.cafile))
        values.update(changes)
        return SmtpSettings(**values)


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, smtp, session, envelope):
        if self.server.refuse:
            return self.server.refuse
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=email.policy.default)
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        self.server.arrived.append(Arrival(envelope.mail_from, list(envelope.rcpt_tos), message,
                                           tls=session.ssl is not None, login=login))
        return "250 Message accepted"


@pytest.fixture
def smtp_server(certificate):
    """aiosmtpd on 127.0.0.1: STARTTLS required, AUTH LOGIN (PLAIN withheld) required."""
    cert, key = certificate
    server = SmtpServer(port=free_port(), cafile=cert)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)

    def authenticator(smtp, session, envelope, mechanism, auth_data):
        server.mechanisms.append(mechanism)
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode()
              and auth_data.password == PASSWORD.encode())
        return AuthResult(success=ok, handled=False, auth_data=auth_data)  # handled=False: the server answers 535

    controller = Controller(_Handler(server), hostname="127.0.0.1", port=server.port, tls_context=tls,
                            require_starttls=True, authenticator=authenticator, auth_required=True,
                            auth_require_tls=True, auth_exclude_mechanism=["PLAIN"])
    controller.start()
    yield server
    controller.stop()


@pytest.fixture
def silent_server():
    """A TCP server on loopback that accepts connections and never says a word (a hung SMTP)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
                held.append(connection)
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(timeout=2)
    for connection in held:
        connection.close()
    listener.close()


@dataclass
class Request:
    method: str
    path: str
    headers: dict
    body: bytes


@dataclass
class Gateway:
    """The loopback SMS gateway: what it received, and how it answers."""

    port: int
    requests: list[Request] = field(default_factory=list)
    status: int = 200
    delay_s: float = 0.0

    def settings(self, path: str = "/api/send", **changes) -> SmsSettings:
        values = dict(url_template=f"http://127.0.0.1:{self.port}{path}", token="tok-123", timeout_s=5)
        values.update(changes)
        return SmsSettings(**values)


@pytest.fixture
def sms_gateway():
    """``http.server`` on 127.0.0.1 recording every request (method, path, headers, body)."""
    gateway = Gateway(port=0)

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            gateway.requests.append(Request(self.command, self.path, dict(self.headers.items()), body))
            if gateway.delay_s:
                time.sleep(gateway.delay_s)
            try:
                self.send_response(gateway.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                pass

        do_GET = do_POST = _answer

        def log_message(self, *args) -> None:  # keep the test output clean
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    gateway.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield gateway
    server.shutdown()
    server.server_close()


@pytest.fixture
def with_messages():
    return WithMessages
