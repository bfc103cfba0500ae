"""Writing a backup of the live shop while the till sells (``till backup``, and after each Z).

The database is copied consistently without stopping the till: SQLite's online backup API (one
read transaction, so the copy is the database at one instant, whole tickets only), or
``pg_dump`` (one snapshot, in which the manifest's heads are read too) for a PostgreSQL shop.
The copy and the tail anchors are taken
holding the anchor folder's lock, under which every record is announced before it commits: no
record can be announced meanwhile, so the anchors copied agree with the copied journal by the
rules the till checks at start (an announced record not yet committed is the one case they
accept); a sale that ends during the copy waits for it (the copy of a SQLite file is a
matter of seconds). The file is written beside its final name, checked in a separate process (opened,
``integrity_check``, the journal verified against the copied keys and anchors: a backup that
would not restore is no backup), renamed, then old copies are rotated and BACKUP_MADE sealed.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from cryptography.hazmat.primitives import serialization

from store.models.base import utcnow
from till import __version__
from till import postgres_driver
from till.backup.backup_format import (
    ANCHORS_FOLDER, CA_FILE_FOLDER, CONFIG_MEMBER, KEY_CHAIN_MEMBER, MANIFEST, PGDUMP_MEMBER, POSTGRESQL, PRIVATE_KEY_MEMBER,
    SQLITE, SQLITE_MEMBER, Manifest, backup_name, parse_backup_name, sha256_file,
)
from till.backup.rotation import to_keep
from till.config.loader import Config
from till.errors import TillError
from till.files import fsync_folder, write_private
from till.fiscal.backup_schedule import BACKUP_MADE
from till.fiscal.chain import flush_anchors
from till.fiscal.events import record_event
from till.fiscal.key_chain import key_chain_of

__all__ = ["BackupError", "BackupResult", "backup_folder", "make_backup", "find_pg_binary"]

CHECK_TIMEOUT_S = 3600


class BackupError(TillError):
    """A backup that could not be made, or that was made and did not verify; nothing was kept."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    sha256: str
    size: int
    manifest: Manifest
    removed: list[str]


def backup_folder(config: Config, out: str | os.PathLike[str] | None = None) -> Path:
    """``--out``, else ``[backup] dir``; refused when neither is set."""
    if out:
        return Path(out).expanduser()
    if not config.backup.configured:
        raise BackupError("No backup folder: set dir in the [backup] section of till.toml, or give --out DIR")
    return config.resolve(config.backup.dir)


def make_backup(config: Config, sealer: Any, out: str | os.PathLike[str] | None = None,
                passphrase: str | None = None, rotate: bool = True) -> BackupResult:
    """Write, check and seal one backup of ``config``'s shop (see the module docstring).

    ``passphrase``: the private key goes in too, encrypted with it (``--with-key``); without
    it the backup holds only the public keys. ``rotate``: drop the copies ``to_keep`` no longer keeps.
    """
    folder = backup_folder(config, out)
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise BackupError("Cannot use the backup folder {folder}: {reason}", folder=str(folder),
                          reason=error.strerror or str(error)) from None
    till_id = config.till.id
    made_at = utcnow().replace(microsecond=0)
    while (folder / backup_name(till_id, made_at)).exists():  # two in one second: the next second's name
        made_at += dt.timedelta(seconds=1)
    target = folder / backup_name(till_id, made_at)
    with tempfile.TemporaryDirectory(prefix="till-backup-") as scratch:  # 0700, removed whatever happens
        stage = Path(scratch)
        manifest = _stage(config, sealer, stage, made_at, passphrase)
        partial = folder / f".{target.name}.partial"
        try:
            _write_tar(stage, manifest, partial)
            problems = run_check(partial)
            if problems:
                raise BackupError("The backup just written does not verify, it was not kept: {reason}",
                                  reason="; ".join(problems))
            os.replace(partial, target)
            fsync_folder(folder)
        finally:
            partial.unlink(missing_ok=True)
    digest, size = sha256_file(target), target.stat().st_size
    removed = _rotate(config, folder, till_id) if rotate else []
    record_event(sealer, BACKUP_MADE, "backup made", details={
        "file": target.name, "sha256": digest, "size": size, "heads": manifest.heads,
        "last_day_closed": manifest.last_day_closed, "with_key": manifest.with_key, "removed": removed})
    return BackupResult(target, digest, size, manifest, removed)


def _stage(config: Config, sealer: Any, stage: Path, made_at: dt.datetime, passphrase: str | None) -> Manifest:
    """The members of the backup, written into ``stage``; returns the manifest (checksums included)."""
    till_id = config.till.id
    engine = POSTGRESQL if config.database_url.startswith("postgres") else SQLITE
    anchors_out = stage / ANCHORS_FOLDER
    anchors_out.mkdir(mode=0o700)
    flush_anchors(30.0)  # this process's last commits may still be on their way to the folder
    with sealer.anchors.locked():  # no record is announced, so none commits, while the copy is taken
        if engine == SQLITE:
            _copy_sqlite(config.database_url, stage / SQLITE_MEMBER)
            heads, last_day = _heads_of_copy(stage / SQLITE_MEMBER, till_id)
        else:
            heads, last_day = _pg_dump(config.database_url, stage / PGDUMP_MEMBER, till_id)
        for anchor in sorted(sealer.anchors.folder.glob("anchor-*.json")):
            write_private(anchors_out / anchor.name, anchor.read_bytes())
    write_private(stage / CONFIG_MEMBER, config.path.read_bytes())
    if config.sync is not None and config.sync.ca_file and Path(config.sync.ca_file).is_file():
        ca_file = Path(config.sync.ca_file)
        (stage / CA_FILE_FOLDER).mkdir(mode=0o700, parents=True)
        write_private(stage / CA_FILE_FOLDER / ca_file.name, ca_file.read_bytes())
    chain = key_chain_of(till_id)
    keys = [{"key_id": admitted.key_id, "pem": admitted.public_pem} for admitted in chain.keys if admitted.public_pem]
    write_private(stage / KEY_CHAIN_MEMBER, json.dumps(
        {"till_id": till_id, "root_fingerprint": chain.fingerprint, "keys": keys}, sort_keys=True, indent=1
    ).encode("utf-8"))
    if passphrase is not None:
        write_private(stage / PRIVATE_KEY_MEMBER, encrypted_key(config.resolve(config.till.key_file), passphrase))
    members = {str(path.relative_to(stage)): sha256_file(path)
               for path in sorted(stage.rglob("*")) if path.is_file()}
    return Manifest(till_id=till_id, made_at=made_at.isoformat() + "Z", version=__version__, engine=engine,
                    heads=heads, last_day_closed=last_day, with_key=passphrase is not None, members=members)


def encrypted_key(path: Path, passphrase: str) -> bytes:
    """The till's private key at ``path``, as PKCS#8 PEM encrypted with ``passphrase``."""
    if not passphrase:
        raise BackupError("The passphrase for the key is empty")
    private_key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    return private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.BestAvailableEncryption(passphrase.encode("utf-8")))


def _sqlite_path(url: str) -> str:
    return unquote(url[len("sqlite:///"):].split("?", 1)[0])


def _copy_sqlite(url: str, copy: Path) -> None:
    """The live database at one instant (the online backup API, one step), as one file without WAL."""
    copy.parent.mkdir(mode=0o700, exist_ok=True)
    write_private(copy, b"")
    source = sqlite3.connect(f"file:{_sqlite_path(url)}?mode=ro", uri=True, timeout=30)
    target = sqlite3.connect(copy)
    try:
        source.backup(target)  # pages=-1: the whole database in one step, under one read transaction
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        target.commit()
    finally:
        target.close()
        source.close()


_HEADS_SQL = ("SELECT r.chain, r.sequence, r.hash FROM fiscal_record r JOIN (SELECT chain, MAX(sequence) AS top "
              "FROM fiscal_record WHERE till_id = {p} GROUP BY chain) t ON t.chain = r.chain AND t.top = r.sequence "
              "WHERE r.till_id = {p}")
_LAST_DAY_SQL = ("SELECT payload FROM fiscal_record WHERE till_id = {p} AND chain = 'G' AND kind = 'day' "
                 "ORDER BY sequence DESC LIMIT 1")


def _read_heads(cursor: Any, placeholder: str, till_id: str) -> tuple[dict[str, dict[str, Any]], str | None]:
    """Each chain's last sequence and hash, and the last daily Z's business day, as ``cursor`` sees them."""
    cursor.execute(_HEADS_SQL.format(p=placeholder), (till_id, till_id))
    heads = {chain: {"sequence": sequence, "hash": digest} for chain, sequence, digest in cursor.fetchall()}
    cursor.execute(_LAST_DAY_SQL.format(p=placeholder), (till_id,))
    day = cursor.fetchone()
    return heads, (json.loads(day[0]).get("period") or {}).get("label") if day else None


def _heads_of_copy(copy: Path, till_id: str) -> tuple[dict[str, dict[str, Any]], str | None]:
    """The heads and last Z of the SQLite copy."""
    database = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
    try:
        return _read_heads(database.cursor(), "?", till_id)
    finally:
        database.close()


def find_pg_binary(name: str) -> str:
    """``pg_dump`` or ``pg_restore``: the newest of Debian's /usr/lib/postgresql/*/bin (a dump is read
    by a program as new as the server, or newer), else the one on the PATH."""
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    if candidates:
        return str(candidates[-1])
    found = shutil.which(name)
    if found:
        return found
    raise BackupError("{program} is not installed: install the PostgreSQL client (apt install "
                      "postgresql-client)", program=name)


def pg_connection(url: str) -> tuple[list[str], dict[str, str]]:
    """libpq options and environment for ``url``: the password in the environment, never on a command line."""
    parsed = urlparse(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = unquote(parsed.password)
    options = ["--dbname", unquote(parsed.path.lstrip("/"))]
    if parsed.hostname:
        options += ["--host", parsed.hostname]
    if parsed.port:
        options += ["--port", str(parsed.port)]
    if parsed.username:
        options += ["--username", unquote(parsed.username)]
    return options, env


def _pg_dump(url: str, dump: Path, till_id: str) -> tuple[dict[str, dict[str, Any]], str | None]:
    """The PostgreSQL database in pg_dump's custom format (compressed), and the heads and last Z
    read in the very snapshot pg_dump copies (exported by a transaction held open meanwhile), so
    the manifest names exactly the records the dump holds."""
    dump.parent.mkdir(mode=0o700, exist_ok=True)
    write_private(dump, b"")
    options, env = pg_connection(url)
    holder = postgres_driver.connect(url)
    try:
        holder.set_session(isolation_level="REPEATABLE READ", readonly=True)
        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            heads = _read_heads(cursor, "%s", till_id)
            done = subprocess.run([find_pg_binary("pg_dump"), "--format=custom", "--no-owner", f"--snapshot={snapshot}",
                                   "--file", str(dump), *options],
                                  env=env, capture_output=True, text=True, timeout=CHECK_TIMEOUT_S)
    finally:
        holder.rollback()
        holder.close()
    if done.returncode != 0:
        raise BackupError("pg_dump failed: {reason}", reason=(done.stderr or "").strip()[:300])
    return heads


def _write_tar(stage: Path, manifest: Manifest, partial: Path) -> None:
    """The members and the manifest, gzip-compressed, into ``partial`` (0600 from its first byte), fsync-ed."""
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
    except PermissionError:  # a FAT or exFAT stick keeps no modes: its mount options give them (README)
        pass
    with os.fdopen(fd, "wb") as stream:
        with tarfile.open(fileobj=stream, mode="w:gz") as archive:
            data = manifest.to_bytes()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode, info.mtime = len(data), 0o600, int(time.time())
            archive.addfile(info, io.BytesIO(data))
            for name in sorted(manifest.members):
                info = archive.gettarinfo(str(stage / name), arcname=name)
                info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
                with open(stage / name, "rb") as member:
                    archive.addfile(info, member)
        stream.flush()
        os.fsync(stream.fileno())


def run_check(path: Path) -> list[str]:
    """``till.backup.check`` on ``path`` in a separate process: the check binds the database
    layer to the copy, which must never happen beside a till that is selling. The problems found."""
    done = subprocess.run([sys.executable, "-m", "till.backup.check", str(path)], capture_output=True, text=True,
                          timeout=CHECK_TIMEOUT_S)
    if done.returncode == 0:
        return []
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    return lines or [(done.stderr.strip().splitlines() or ["check failed"])[-1]]


def _rotate(config: Config, folder: Path, till_id: str) -> list[str]:
    """Remove this till's backups that the rotation rule no longer keeps; their names."""
    found = {}
    for path in folder.iterdir():
        parsed = parse_backup_name(path.name)
        if parsed is not None and parsed[0] == till_id and path.is_file():
            found[parsed[1]] = path
    keep = to_keep(found, utcnow(), config.backup.keep_hourly_h, config.backup.keep_daily_d,
                   config.backup.keep_monthly_m)
    removed = []
    for made_at, path in sorted(found.items()):
        if made_at not in keep:
            path.unlink(missing_ok=True)
            removed.append(path.name)
    return removed
