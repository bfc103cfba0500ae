"""``till-headoffice user``: the pages' users made, listed, changed and unlocked from the command
line, run as a technician runs it (its own process, the password on stdin or typed at a terminal)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time

import pytest
from starlette.testclient import TestClient

from headoffice.app import create_app
from tests.support.ho_web import login

PASSWORD = "the first admin's passphrase"


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "headoffice.toml"
    path.write_text(f'[headoffice]\ndatabase = "sqlite:///{tmp_path / "ho.db"}"\n', encoding="utf-8")
    return path


def run(config, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "headoffice.cli", "--config", str(config), "user", *args],
                          input=stdin, capture_output=True, text=True, timeout=120)


def _client(config) -> TestClient:
    url = config.read_text().split('"')[1]
    return TestClient(create_app(url), follow_redirects=False)


def test_the_first_admin_is_made_from_a_script_and_logs_in(config):
    made = run(config, "add", "ada", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    assert "user ada added, role admin" in made.stdout
    assert login(_client(config), "ada", PASSWORD).status_code == 303
    listed = run(config, "list")
    assert listed.stdout.startswith("ada\tadmin\tactive\t")


def test_a_user_is_refused_a_short_password_a_bad_role_or_a_second_account(config):
    assert run(config, "add", "bob", "--role", "viewer", "--password-stdin", stdin="short\n").returncode == 1
    assert run(config, "add", "bob", "--role", "boss", "--password-stdin", stdin=PASSWORD).returncode == 2
    assert run(config, "add", "bob", "--role", "viewer", "--password-stdin", stdin=PASSWORD).returncode == 0
    again = run(config, "add", "bob", "--role", "admin", "--password-stdin", stdin=PASSWORD)
    assert again.returncode == 1 and "exists" in again.stderr


def test_a_new_password_ends_the_old_one_and_disable_ends_the_logins(config):
    run(config, "add", "bob", "--role", "viewer", "--password-stdin", stdin=PASSWORD)
    client = _client(config)
    assert login(client, "bob", PASSWORD).status_code == 303
    assert run(config, "password", "bob", "--password-stdin", stdin="another long passphrase").returncode == 0
    assert client.get("/").status_code == 303  # the session held with the old password is over
    assert login(_client(config), "bob", PASSWORD).status_code == 401
    assert login(_client(config), "bob", "another long passphrase").status_code == 303
    assert run(config, "disable", "bob").returncode == 0
    assert login(_client(config), "bob", "another long passphrase").status_code == 401
    assert "bob\tviewer\tdisabled" in run(config, "list").stdout


def test_the_log_shows_logins_failures_and_what_the_commands_did(config):
    run(config, "add", "bob", "--role", "viewer", "--password-stdin", stdin=PASSWORD)
    login(_client(config), "bob", PASSWORD)
    login(_client(config), "bob", "wrong password")
    log = run(config, "log").stdout.splitlines()
    actions = [line.split("\t")[2] for line in log]
    assert actions == ["user_added", "login", "login_failed"]
    assert run(config, "unlock", "bob").stdout == "bob: 1 failed logins cleared\n"


def test_the_password_is_typed_twice_without_echo(config):
    """At a terminal: two prompts, nothing typed shown back, two different answers refused."""

    def typed(*answers: str) -> tuple[int, str]:
        pid, fd = pty.fork()
        if pid == 0:  # the child: the command, on the terminal
            os.execv(sys.executable, [sys.executable, "-m", "headoffice.cli", "--config", str(config),
                                      "user", "add", "carol", "--role", "manager"])
        seen = b""
        for answer in answers:
            seen += _read_until(fd, b": ")
            os.write(fd, answer.encode() + b"\n")
        seen += _read_rest(fd)
        return os.waitpid(pid, 0)[1], seen.decode("utf-8", "replace")

    status, seen = typed(PASSWORD, "something else entirely")
    assert os.waitstatus_to_exitcode(status) == 1 and "differ" in seen
    status, seen = typed(PASSWORD, PASSWORD)
    assert os.waitstatus_to_exitcode(status) == 0 and "user carol added" in seen
    assert PASSWORD not in seen


def _read_until(fd: int, marker: bytes, timeout: float = 60) -> bytes:
    seen, deadline = b"", time.monotonic() + timeout
    while marker not in seen and time.monotonic() < deadline:
        seen += os.read(fd, 1024)
    return seen


def _read_rest(fd: int) -> bytes:
    seen = b""
    while True:
        try:
            chunk = os.read(fd, 1024)
        except OSError:  # the child closed the terminal
            return seen
        if not chunk:
            return seen
        seen += chunk
