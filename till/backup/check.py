"""Proving a backup file before anyone trusts it: after it is written, and before a restore.

A backup is opened into a private scratch folder (0700, removed after), member by member (no
name may leave the folder, only regular files), and each member's SHA-256 is compared with the
manifest. A SQLite database must then pass ``PRAGMA integrity_check`` and its journal must
verify (``till.fiscal.verify``: every chain, signature and ticket, and the tail anchors of the
backup) with the public keys the backup carries, and hold the heads its manifest names. A
PostgreSQL dump is read by ``pg_restore --list``; its journal is verified once restored.

Checking binds the database layer to the copy; ``make`` therefore runs it in its own process
(``python -m till.backup.check FILE``: the problems on stdout, exit 1 when there are any).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from till.backup.backup_format import (
    ANCHORS_FOLDER, KEY_CHAIN_MEMBER, MANIFEST, SQLITE, SQLITE_MEMBER, Manifest, sha256_file,
)
from till.errors import TillError
from till.files import create_private
from till.i18n import translate

__all__ = ["BackupRefused", "OpenedBackup", "opened_backup", "check_backup", "public_keys_of"]

MAX_MEMBERS = 10_000


class BackupRefused(TillError):
    """A backup file that does not verify: it is not restored, nor kept when just written."""


@dataclass
class OpenedBackup:
    """A backup unpacked into ``folder`` (private, temporary) and its manifest."""

    folder: Path
    manifest: Manifest
    problems: list[str] = field(default_factory=list)

    def member(self, name: str) -> Path:
        return self.folder / name


@contextmanager
def opened_backup(file: str | os.PathLike[str]) -> Iterator[OpenedBackup]:
    """``file`` unpacked and its checksums compared; ``BackupRefused`` when it cannot be read or a
    member differs from the manifest. The scratch folder is removed on leaving."""
    scratch = Path(tempfile.mkdtemp(prefix="till-restore-"))  # 0700
    try:
        yield _unpack(Path(file), scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _unpack(file: Path, scratch: Path) -> OpenedBackup:
    if not file.is_file():
        raise BackupRefused("No backup file {file}", file=str(file))
    try:
        with tarfile.open(file, mode="r:gz") as archive:
            for count, info in enumerate(archive, start=1):
                name = PurePosixPath(info.name)
                if count > MAX_MEMBERS or not info.isfile() or name.is_absolute() or ".." in name.parts:
                    raise BackupRefused("{file} is not a till backup: it holds {member}", file=str(file),
                                        member=info.name)
                target = scratch.joinpath(*name.parts)
                target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                create_private(target)
                source = archive.extractfile(info)
                with open(target, "wb") as out:
                    shutil.copyfileobj(source, out)
    except (tarfile.TarError, OSError, EOFError) as error:
        raise BackupRefused("{file} cannot be read as a till backup: {reason}", file=str(file),
                            reason=str(error) or type(error).__name__) from None
    try:
        manifest = Manifest.from_bytes((scratch / MANIFEST).read_bytes())
    except (OSError, ValueError, KeyError) as error:
        raise BackupRefused("{file} has no readable manifest: {reason}", file=str(file), reason=str(error)) from None
    present = {str(p.relative_to(scratch)) for p in scratch.rglob("*") if p.is_file()} - {MANIFEST}
    for name in sorted(present | set(manifest.members)):
        if name not in present:
            raise BackupRefused("{file}: {member} is missing", file=str(file), member=name)
        if name not in manifest.members or sha256_file(scratch / name) != manifest.members[name]:
            raise BackupRefused("{file}: {member} is not the file the manifest names (checksum)", file=str(file),
                                member=name)
    if manifest.database_member not in present:
        raise BackupRefused("{file}: {member} is missing", file=str(file), member=manifest.database_member)
    return OpenedBackup(scratch, manifest)


def public_keys_of(opened: OpenedBackup) -> dict[str, str]:
    """Key id -> PEM of the public keys the backup carries."""
    try:
        data = json.loads(opened.member(KEY_CHAIN_MEMBER).read_text(encoding="utf-8"))
        return {str(k["key_id"]): str(k["pem"]) for k in data["keys"]}
    except (OSError, ValueError, KeyError, TypeError):
        raise BackupRefused("The backup's public keys cannot be read") from None


def integrity_problems(database_file: Path) -> list[str]:
    """What ``PRAGMA integrity_check`` says of a SQLite file ([] when it says ok)."""
    try:
        connection = sqlite3.connect(f"file:{database_file}?mode=ro", uri=True)
        try:
            rows = [row[0] for row in connection.execute("PRAGMA integrity_check").fetchall()]
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        return [str(error)]
    return [] if rows == ["ok"] else rows[:5]


def journal_problems(opened: OpenedBackup, database_url: str) -> list[str]:
    """Verify the journal of the database at ``database_url`` (the backup's, opened or restored)
    against the backup's public keys and anchors, and that it ends at the manifest's heads. The
    database layer is bound to it meanwhile and given back to what it was bound to after."""
    from store import db  # deferred: the store and the verifier load only when a backup is checked
    from store.models.base import database_proxy  # deferred: as above
    from till.fiscal.anchor import AnchorStore  # deferred: as above
    from till.fiscal.anchor_check import chain_tails  # deferred: as above
    from till.fiscal.verify import verify_journal  # deferred: as above

    manifest = opened.manifest
    keys = public_keys_of(opened)
    before = database_proxy.obj
    database = db.open(database_url, migrate=False)
    try:
        report = verify_journal(public_keys=keys, anchors=AnchorStore(opened.member(ANCHORS_FOLDER), manifest.till_id),
                                workers=0)
        problems = [report.lines()[0], *(problem.text() for problem in report.problems)] if not report.ok else []
        tails = chain_tails(manifest.till_id)
        for chain, head in sorted(manifest.heads.items()):
            found = tails.get(chain)
            if found is None or (found[0], found[2]) != (head.get("sequence"), head.get("hash")):
                problems.append(translate("chain {chain}: the manifest names record {sequence}, the database ends "
                                          "at {found}", chain=chain, sequence=head.get("sequence"),
                                          found=found[0] if found else 0))
    finally:
        database.close()
        if before is not None:
            database_proxy.initialize(before)
    return problems


def check_backup(file: str | os.PathLike[str]) -> list[str]:
    """Every problem of the backup ``file`` ([] when it verifies): see the module docstring."""
    try:
        with opened_backup(file) as opened:
            manifest = opened.manifest
            if manifest.engine == SQLITE:
                database_file = opened.member(SQLITE_MEMBER)
                problems = integrity_problems(database_file)
                if problems:
                    return problems
                return journal_problems(opened, f"sqlite:///{database_file}")
            return _dump_problems(opened.member(manifest.database_member))
    except BackupRefused as refused:
        return [refused.text()]


def _dump_problems(dump: Path) -> list[str]:
    from till.backup.make import find_pg_binary  # deferred: only for a PostgreSQL backup

    done = subprocess.run([find_pg_binary("pg_restore"), "--list", str(dump)], capture_output=True, text=True,
                          timeout=600)
    return [] if done.returncode == 0 else [(done.stderr or "pg_restore cannot read the dump").strip()[:300]]


def main(argv: list[str] | None = None) -> int:
    """``python -m till.backup.check FILE``: the problems, one a line; exit 1 when there are any."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m till.backup.check FILE", file=sys.stderr)
        return 2
    os.umask(0o077)
    problems = check_backup(args[0])
    for line in problems:
        print(" ".join(line.split()))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
