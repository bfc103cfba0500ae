"""A throwaway PostgreSQL server for the test suite.

``PostgresServer`` creates a fresh cluster in a temporary directory, starts it
on 127.0.0.1 and a free port (plus a unix socket inside that directory, so it
never touches /var/run/postgresql), and on ``stop()`` kills it and deletes
everything.  Durability is switched off: the data is thrown away anyway.

PostgreSQL refuses to run as root, and CI runs the tests as root.  So, as
root, the directory is given to the ``postgres`` system user (created by
Debian's package) and ``initdb``/``pg_ctl`` run as that user through
``runuser`` (or ``su``).  As any other user the binaries run as that user.
Either way the cluster's superuser is called ``postgres`` and trusts every
local connection, so the URLs are always ``postgresql://postgres@127.0.0.1:PORT/DB``.

Binaries are looked up in ``$TILL_PG_BINDIR`` if set, then on ``PATH``, then in
``/usr/lib/postgresql/*/bin`` (Debian's layout), newest version first.
``PostgresUnavailable`` is raised, with a readable reason, when the server
cannot be run at all on this machine (the test fixtures turn it into a skip).

Usage::

    with PostgresServer() as server:
        url = server.create_database("till_test")
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

__all__ = ["PostgresServer", "PostgresUnavailable", "PostgresError", "find_bin_dir", "pid_alive"]

SERVER_USER = "postgres"  # system user that owns the cluster when we are root
SUPERUSER = "postgres"  # the cluster's superuser role, whoever runs it
HOST = "127.0.0.1"
DEBIAN_ROOTS = "/usr/lib/postgresql/*/bin"
_REQUIRED = ("initdb", "pg_ctl", "postgres")
_START_TIMEOUT = 60  # seconds, for pg_ctl -w
_PORT_ATTEMPTS = 3  # a free port can be taken between picking it and binding it

_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class PostgresUnavailable(RuntimeError):
    """PostgreSQL cannot be run here (no binaries, no user to run them as...)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class PostgresError(RuntimeError):
    """The binaries are there but the server failed to initialise or start."""


def _has_binaries(bin_dir: str | os.PathLike) -> bool:
    return all(os.access(os.path.join(bin_dir, b), os.X_OK) for b in _REQUIRED)


def _version_key(bin_dir: str) -> tuple:
    # /usr/lib/postgresql/15/bin -> (15,); non-numeric versions sort last.
    name = Path(bin_dir).parent.name
    try:
        return (1, tuple(int(p) for p in name.split(".")))
    except ValueError:
        return (0, ())


def find_bin_dir(path: str | None = None, roots: str = DEBIAN_ROOTS) -> Path:
    """Directory holding initdb, pg_ctl and postgres, or raise PostgresUnavailable.

    ``path`` defaults to ``$PATH``; ``roots`` is the glob of Debian-style
    versioned directories, searched newest version first.
    """
    override = os.environ.get("TILL_PG_BINDIR")
    if override:
        if _has_binaries(override):
            return Path(override)
        raise PostgresUnavailable(f"TILL_PG_BINDIR={override} lacks one of {', '.join(_REQUIRED)}")
    pg_ctl = shutil.which("pg_ctl", path=path if path is not None else os.environ.get("PATH", ""))
    if pg_ctl:
        # Follow symlinks: a PATH entry may point into the real bin dir.
        for candidate in (Path(pg_ctl).parent, Path(os.path.realpath(pg_ctl)).parent):
            if _has_binaries(candidate):
                return candidate
    for candidate in sorted(glob.glob(roots), key=_version_key, reverse=True):
        if _has_binaries(candidate):
            return Path(candidate)
    raise PostgresUnavailable(
        "no PostgreSQL server binaries (initdb, pg_ctl, postgres) on PATH or in "
        f"{roots}; install them, e.g. `apt-get install postgresql`"
    )


def pid_alive(pid: int) -> bool:
    """True if ``pid`` is a running process; a zombie (exited, not yet reaped) counts as dead.

    The postmaster is detached by pg_ctl, so once it exits it waits for init to
    reap it, which some container inits do late.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True  # no /proc: trust kill(0)
    return state not in ("Z", "X")


def _is_postgres(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return b"postgres" in f.read()
    except OSError:
        return True  # no /proc to check: the pid file is all we have


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _utf8_locale() -> str | None:
    """A UTF-8 C locale if the system has one (Unicode-aware lower()/upper())."""
    try:
        out = subprocess.run(["locale", "-a"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    names = out.split()
    for name in ("C.UTF-8", "C.utf8"):
        if name in names:
            return name
    return None


class PostgresServer:
    """One throwaway PostgreSQL cluster. ``start()``/``stop()`` or use as a context manager."""

    def __init__(self, bin_dir: str | os.PathLike | None = None):
        self.bin_dir = Path(bin_dir) if bin_dir else find_bin_dir()
        self.host = HOST
        self.port: int | None = None
        self.base_dir: Path | None = None  # the temp dir; everything lives under it
        self._started = False
        self._version_num: int | None = None
        self._as_root = os.geteuid() == 0
        self._runas: list[str] | None = None
        if self._as_root:
            self._runas = self._runas_prefix()

    # -- paths ---------------------------------------------------------------

    @property
    def data_dir(self) -> Path:
        assert self.base_dir is not None
        return self.base_dir / "data"

    @property
    def socket_dir(self) -> Path:
        assert self.base_dir is not None
        return self.base_dir / "socket"

    @property
    def log_file(self) -> Path:
        assert self.base_dir is not None
        return self.base_dir / "server.log"

    # -- running binaries ----------------------------------------------------

    def _runas_prefix(self) -> list[str] | None:
        """How root runs a command as SERVER_USER; None means 'su -c' with a quoted string."""
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            raise PostgresUnavailable(
                f"running as root, and PostgreSQL refuses root, but there is no "
                f"'{SERVER_USER}' user to run it as (Debian's postgresql package creates it)"
            ) from None
        if shutil.which("runuser"):
            return ["runuser", "-u", SERVER_USER, "--"]
        if shutil.which("su"):
            return None
        raise PostgresUnavailable(f"running as root and neither runuser nor su is available to become '{SERVER_USER}'")

    def _command(self, argv: list[str]) -> list[str]:
        if not self._as_root:
            return argv
        if self._runas is not None:
            return self._runas + argv  # no shell involved: no quoting needed
        # su takes one shell string: quote every argument.
        return ["su", SERVER_USER, "-s", "/bin/sh", "-c", shlex.join(argv)]

    def _run(self, argv: list[str], timeout: float = _START_TIMEOUT + 30) -> subprocess.CompletedProcess:
        return subprocess.run(
            self._command(argv),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            # The server user may not be able to enter the caller's cwd (e.g. /root).
            cwd=self.base_dir or "/",
        )

    def _bin(self, name: str) -> str:
        return str(self.bin_dir / name)

    def version(self) -> str:
        """Version printed by the server binary, e.g. 'postgres (PostgreSQL) 15.18 ...'."""
        return subprocess.run(
            [self._bin("postgres"), "--version"], capture_output=True, text=True, timeout=30
        ).stdout.strip()

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> "PostgresServer":
        if self._started:
            return self
        self.base_dir = Path(tempfile.mkdtemp(prefix="till-pg-"))
        try:
            self.socket_dir.mkdir()
            if self._as_root:
                self._give_to_server_user()
            self._initdb()
            self._start_postmaster()
        except BaseException:
            # Never leave a half-started server or its directory behind.
            self.stop()
            raise
        return self

    def _give_to_server_user(self) -> None:
        pw = pwd.getpwnam(SERVER_USER)
        for p in (self.base_dir, self.socket_dir):
            os.chown(p, pw.pw_uid, pw.pw_gid)
        # Every parent must be searchable by the server user (mkdtemp under a
        # private $TMPDIR would not be).
        probe = self._run(["test", "-w", str(self.base_dir)], timeout=30)
        if probe.returncode != 0:
            raise PostgresUnavailable(
                f"user '{SERVER_USER}' cannot write {self.base_dir}; set TMPDIR to a "
                f"directory every user can reach (e.g. /tmp)"
            )

    def _initdb(self) -> None:
        argv = [
            self._bin("initdb"),
            "-D", str(self.data_dir),
            "-U", SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-sync",  # the cluster is thrown away: don't wait for the disk
        ]
        loc = _utf8_locale()
        argv += [f"--locale={loc}"] if loc else ["--no-locale"]
        res = self._run(argv)
        if res.returncode != 0:
            raise PostgresError(f"initdb failed ({res.returncode}):\n{res.stdout}\n{res.stderr}")

    def _start_postmaster(self) -> None:
        last_error = ""
        for _ in range(_PORT_ATTEMPTS):
            self.port = _free_port()
            # pg_ctl hands -o to a shell: quote the path inside it.
            opts = (
                f"-p {self.port} -k {shlex.quote(str(self.socket_dir))} -h {HOST} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            )
            argv = [
                self._bin("pg_ctl"), "start", "-w", "-t", str(_START_TIMEOUT),
                "-D", str(self.data_dir), "-l", str(self.log_file), "-o", opts,
            ]
            try:
                res = self._run(argv)
            except subprocess.TimeoutExpired:
                res = None
            if res is not None and res.returncode == 0:
                self._started = True
                return
            log = self._log_tail()
            last_error = (
                f"pg_ctl start failed ({'timeout' if res is None else res.returncode}):\n"
                f"{'' if res is None else res.stdout + res.stderr}\n--- server log ---\n{log}"
            )
            self._kill_postmaster()
            if "could not bind" not in log and "already in use" not in log:
                break  # not a port race: retrying would not help
        raise PostgresError(last_error)

    def stop(self) -> None:
        """Stop the server (immediately) and delete its directory. Safe to call twice."""
        base = self.base_dir
        if base is None:
            return
        try:
            pid = self._postmaster_pid()
            if pid is not None:
                try:
                    self._run([self._bin("pg_ctl"), "stop", "-m", "immediate", "-w", "-D", str(self.data_dir)], timeout=60)
                except subprocess.SubprocessError:
                    pass
                self._kill_postmaster(pid)  # waits for it to be gone; kills it if pg_ctl could not
        finally:
            self._started = False
            self.base_dir = None
            shutil.rmtree(base, ignore_errors=True)

    def _postmaster_pid(self) -> int | None:
        try:
            return int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    def _kill_postmaster(self, pid: int | None = None) -> None:
        """Make sure the postmaster of *our* data dir is gone: wait a little, then SIGKILL it by pid."""
        pid = pid if pid is not None else self._postmaster_pid()
        if pid is None:
            return
        for attempt in range(200):  # 10 s at most
            if not pid_alive(pid):
                return
            if attempt == 40:  # still there after 2 s: pg_ctl failed, force it
                if not _is_postgres(pid):
                    return  # a stale pid file, the number reused by someone else
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    return
            time.sleep(0.05)

    def _log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    @property
    def running(self) -> bool:
        return self._started

    def __enter__(self) -> "PostgresServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- databases -----------------------------------------------------------

    def url_for(self, name: str) -> str:
        """URL of database ``name`` on this server (peewee's playhouse.db_url understands it)."""
        if self.port is None:
            raise PostgresError("server not started")
        return f"postgresql://{SUPERUSER}@{self.host}:{self.port}/{name}"

    def connect(self, dbname: str = "postgres", **kwargs):
        """A psycopg2 connection as the superuser (caller closes it)."""
        import psycopg2

        return psycopg2.connect(host=self.host, port=self.port, user=SUPERUSER, dbname=dbname, **kwargs)

    def create_database(self, name: str, template: str | None = None) -> str:
        """Create an empty database (or a copy of database ``template``, which nobody may be
        connected to) and return its URL."""
        statement = f'CREATE DATABASE "{_check_ident(name)}"'
        if template is not None:
            statement += f' TEMPLATE "{_check_ident(template)}"'
        if self.server_version_num() >= 150000:
            # With fsync off, copying template1's files takes ~15 ms where 15's
            # default WAL_LOG strategy takes ~250 ms: it adds up over a test run.
            statement += " STRATEGY = FILE_COPY"
        self._admin(statement)
        return self.url_for(name)

    def server_version_num(self) -> int:
        """The running server's version as a number, e.g. 150018."""
        if self._version_num is None:
            conn = self.connect()
            try:
                with conn.cursor() as cur:
                    cur.execute("SHOW server_version_num")
                    self._version_num = int(cur.fetchone()[0])
            finally:
                conn.close()
        return self._version_num

    def drop_database(self, name: str) -> None:
        """Drop a database, even if a test left connections open to it."""
        self._admin(f'DROP DATABASE IF EXISTS "{_check_ident(name)}" WITH (FORCE)')

    def _admin(self, statement: str) -> None:
        if not self._started:
            raise PostgresError("server not started")
        conn = self.connect()
        try:
            conn.autocommit = True  # CREATE/DROP DATABASE can't run in a transaction
            with conn.cursor() as cur:
                cur.execute(statement)
        finally:
            conn.close()


def _check_ident(name: str) -> str:
    # Database names end up in URLs too: keep them plain.
    if not _IDENT.match(name):
        raise ValueError(f"database name must match {_IDENT.pattern}: {name!r}")
    return name
