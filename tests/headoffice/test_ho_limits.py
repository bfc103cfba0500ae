"""Head office refuses before it reads: a stranger's request is answered 401 unread, a body over
the limit 413 as soon as it passes it (whatever Content-Length says, chunked or not), and the real
``till-headoffice serve`` process stays small while 512 MiB are thrown at it."""

from __future__ import annotations

import select
import socket
import time
from pathlib import Path

import pytest
from tests.support.headoffice import serve_process
from tests.support.net import free_port

from headoffice.cli import enroll
from headoffice.store import open_database, proxy
from till.fiscal.keys import Signer
from till.sync.client import HeadOfficeAnswer, HeadOfficeClient
from till.sync.protocol import H_KEY, H_SIGNATURE, H_TILL, H_TIME, RECORDS, request_message

MIB = 1024 * 1024
HUGE = 512 * MIB
FRAME = 256 * 1024


def _memory(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (the peak so far) of process ``pid``, in bytes."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return {name: int(fields[name].split()[0]) * 1024 for name in ("VmRSS", "VmHWM")}


def _signed_headers(till_id: str, signer: Signer) -> dict[str, str]:
    """Authentication headers of an enrolled till, fresh, signed over an empty body (head office
    must not get as far as checking that signature)."""
    stamp = int(time.time())
    return {H_TILL: till_id, H_KEY: signer.key_id, H_TIME: str(stamp),
            H_SIGNATURE: signer.sign(request_message("POST", RECORDS, b"", stamp, till_id, signer.key_id))}


def _serve_with_a_1_mib_limit(tmp_path: Path):
    """The real ``till-headoffice serve`` process with ``max_body_mib = 1`` and till 01 enrolled:
    (the process, its port, till 01's signer)."""
    database = f"sqlite:///{tmp_path / 'headoffice.db'}"
    open_database(database)
    signer = Signer.create(tmp_path / "till.key")
    with proxy.obj.connection_context():
        enroll("01", "PARIS", signer.public_pem)
    port = free_port()
    config = tmp_path / "headoffice.toml"
    config.write_text(f'[headoffice]\ndatabase = "{database}"\nhost = "127.0.0.1"\nport = {port}\n'
                      f"max_body_mib = 1\n", encoding="utf-8")
    server = serve_process(config)
    return server, port, signer


def _stream_post(port: int, headers: dict[str, str], total: int, chunked: bool) -> tuple[int, bytes, int]:
    """POST ``total`` zero bytes to /v1/records, chunked or with a Content-Length, reading while
    sending: (status, answer body, bytes of body sent before the answer came)."""
    sock = socket.create_connection(("127.0.0.1", port))
    lines = [f"POST {RECORDS} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json",
             "Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("ascii"))
    sock.setblocking(False)
    frame = (f"{FRAME:x}\r\n".encode("ascii") + bytes(FRAME) + b"\r\n") if chunked else bytes(FRAME)
    pending, sent, answer, sending = memoryview(b""), 0, b"", True
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            readable, writable, _ = select.select([sock], [sock] if sending else [], [], 5)
            if readable:
                try:
                    data = sock.recv(65536)
                except ConnectionResetError:
                    data = b""
                answer += data
                if not data or _complete(answer):
                    break
            elif writable:
                if not pending:
                    if sent >= total:
                        pending, sending = memoryview(b"0\r\n\r\n" if chunked else b""), bool(chunked)
                    else:
                        pending = memoryview(frame)
                        sent += FRAME
                try:
                    pending = pending[sock.send(pending):]
                except (BrokenPipeError, ConnectionResetError):
                    sending = False
    finally:
        sock.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 "), f"no answer from head office ({answer[:200]!r})"
    return int(head.split()[1]), body, sent


def _complete(answer: bytes) -> bool:
    head, found, body = answer.partition(b"\r\n\r\n")
    if not found:
        return False
    length = [line.split(b":", 1)[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")]
    return bool(length) and len(body) >= int(length[0])


def test_huge_bodies_are_refused_as_they_stream_in_and_never_held(tmp_path):
    server, port, signer = _serve_with_a_1_mib_limit(tmp_path)
    try:
        before = _memory(server.pid)
        cases = {
            "stranger, Content-Length": ({}, False, 401, b'"unsigned"'),
            "stranger, chunked": ({H_TILL: "99", H_KEY: "nokey", H_TIME: str(int(time.time())),
                                   H_SIGNATURE: "AAAA"}, True, 401, b'"unknown_key"'),
            "enrolled till, Content-Length": (_signed_headers("01", signer), False, 413, b'"too_large"'),
            "enrolled till, chunked": (_signed_headers("01", signer), True, 413, b'"too_large"'),
        }
        for name, (headers, chunked, status, error) in cases.items():
            started = time.monotonic()
            answered, body, sent = _stream_post(port, headers, HUGE, chunked)
            assert (answered, error in body) == (status, True), (name, answered, body)
            # cut off early: at most the limit plus what the sockets' buffers took in meanwhile
            assert sent < 32 * MIB and time.monotonic() - started < 10, (name, sent)
        after = _memory(server.pid)
        assert after["VmHWM"] - before["VmRSS"] < 64 * MIB, (before, after)
        # Within the limit, a refused body is read and thrown away: a till's client, which writes
        # its whole body before reading, gets its answer (not a reset connection) and can go on.
        stranger = Signer.create(tmp_path / "stranger.key")
        client = HeadOfficeClient(f"http://127.0.0.1:{port}", "01", stranger)
        with pytest.raises(HeadOfficeAnswer) as refused:
            client.request("POST", RECORDS, body=bytes(900 * 1024))
        assert (refused.value.status, refused.value.body["error"]) == (401, "unknown_key")
        signed = HeadOfficeClient(f"http://127.0.0.1:{port}", "01", signer)
        assert signed.request("GET", "/v1/heads")["chains"] == {}
        with pytest.raises(HeadOfficeAnswer) as too_large:
            signed.request("POST", RECORDS, body=bytes(MIB + 1))
        assert too_large.value.status == 413
    finally:
        server.kill()
        server.wait()


def test_a_till_writing_a_body_far_over_the_limit_reads_the_refusal_not_unreachable(tmp_path):
    """Head office answers 413 and closes before it reads a body over its limit; a till's client
    writes its whole body first, so its write fails (broken pipe) while the answer is already
    waiting: it reads it and says "too large", not "head office cannot be reached" (which sends
    a push back to re-read heads and retry the same batch)."""
    server, port, signer = _serve_with_a_1_mib_limit(tmp_path)
    try:
        client = HeadOfficeClient(f"http://127.0.0.1:{port}", "01", signer)
        with pytest.raises(HeadOfficeAnswer) as too_large:
            client.request("POST", RECORDS, body=bytes(64 * MIB))  # far more than the sockets buffer
        assert (too_large.value.status, too_large.value.body["error"]) == (413, "too_large")
    finally:
        server.kill()
        server.wait()
