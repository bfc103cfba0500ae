"""``till restore FILE --dir DIR``: a shop folder from a backup, and how far behind it is.

A dead SD card or a lost machine is rebuilt from its last backup onto a new one. The backup is
proved first (``till.backup.check``: checksums, integrity, the journal with its own keys and
anchors); a file that does not verify, a folder that is not empty, a wrong passphrase are
refused before anything is written. Then the folder gets its database, its ``till.toml`` (the
paths the till writes made relative to the new folder), the anchors, the public keys and, when
the backup holds it, the private key decrypted (0600; folders 0700).

A backup is older than the shop it was taken from. The records sealed after it (tickets
printed and handed to customers, a Z, records head office already holds) are gone from the
restored journal, and a till selling on it would number new tickets with the same numbers: a
fork of its fiscal chains that head office refuses (BEHIND, CONFLICT in
``headoffice/ingest.py``) and that an inspector would read as records deleted. So the restore
compares the backup's chain heads with the anchors the technician still has (``--anchors``),
with what head office holds (``[sync]``: one bounded, signed ``GET /v1/heads``), and names the
last Z. When either holds more or other records, the folder gets a ``RESTORED_BEHIND`` file
that ``till.shop.running.start_till`` refuses to start with, and the technician is told, in
words, to rebuild from head office or to call the support.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization

from till.backup.backup_format import (
    ANCHORS_FOLDER, CA_FILE_FOLDER, CONFIG_MEMBER, KEY_CHAIN_MEMBER, PRIVATE_KEY_MEMBER, SQLITE, SQLITE_MEMBER, Manifest,
)
from till.backup.check import BackupRefused, integrity_problems, journal_problems, opened_backup
from till.errors import TillError
from till.backup.restored_behind import (  # noqa: F401 - re-exported, read at every start
    RESTORED_BEHIND,
    RESTORED_BEHIND_REFUSAL,
    RestoredBehind,
    refuse_if_restored_behind,
)
from till.files import create_private, write_private
from till.i18n import N_, translate

__all__ = ["RESTORED_BEHIND", "RestoreRefused", "RestoredBehind", "RestoreReport", "restore_backup",
           "refuse_if_restored_behind"]

HEADOFFICE_TIMEOUT_S = 10.0
PROGRAM_INSTALL = frozenset({".venv", "src"})
"""What a folder restored into may already hold: the program installed in it (README, "Install the till"),
never a file of a shop."""

NOT_EMPTY = N_("{folder} is not empty: restore into a new, empty folder (the program's .venv and src may be there)")
NEEDS_PASSPHRASE = N_("This backup holds the till's private key: give its passphrase (--passphrase-file or "
                      "--passphrase-env)")
WRONG_PASSPHRASE = N_("The passphrase does not open the private key of this backup")
DOES_NOT_VERIFY = N_("The backup does not verify, nothing was restored: {reason}")
RESTORED = N_("Restored the backup of till {till_id} made {made_at} into {folder}")
LAST_Z = N_("last daily closure (Z) in the backup: {day}")
NO_Z = N_("the backup holds no daily closure (Z) yet")
ANCHOR_AHEAD = N_("chain {chain}: the anchors found name record {found}, the backup ends at {sequence}: "
                  "{missing} record(s) sealed after the backup are missing")
ANCHOR_DIFFERS = N_("chain {chain}: record {sequence} differs from the one the anchors found name")
ANCHORS_AGREE = N_("anchors found: none is ahead of the backup")
HEADOFFICE_AHEAD = N_("chain {chain}: head office holds up to record {found}, the backup ends at {sequence} "
                      "(BEHIND: {missing} record(s) missing)")
HEADOFFICE_DIFFERS = N_("chain {chain}: record {sequence} differs from the one head office holds (CONFLICT)")
HEADOFFICE_AGREES = N_("head office holds nothing the backup does not (the next till sync sends the rest)")
HEADOFFICE_UNREACHABLE = N_("head office could not be asked ({reason}): before the first sale, run till sync; if it "
                            "is refused as BEHIND or CONFLICT, stop selling and rebuild from head office")
HEADOFFICE_NO_KEY = N_("head office was not asked: the request is signed with the till's key, which the backup "
                       "does not hold")
NO_HEADOFFICE = N_("no head office configured: only the anchors and the last Z tell how far behind the backup is")
NO_ANCHORS = N_("no anchors given (--anchors DIR): give the old card's anchors folder or a copy, if any survived, "
                "to know what was sealed after the backup")
MUST_NOT_SELL = N_("THE TILL MUST NOT SELL on this backup: records were sealed after it, and new tickets would reuse "
                   "their numbers. Rebuild the till from head office (till restore --from-headoffice, in a new folder) or "
                   "call the support; the till refuses to start while {file} is in the folder")
KEY_MISSING = N_("The backup holds no private key (made without --with-key): put the till's key file back as "
                 "{file} (chmod 600), or have the key replaced from the root key (see the key chain section of "
                 "the README), before the till can sell")
READY = N_("Ready: check it with till --config {config} journal verify, then start the till")
MESSAGES = (NOT_EMPTY, NEEDS_PASSPHRASE, WRONG_PASSPHRASE, DOES_NOT_VERIFY, RESTORED, LAST_Z, NO_Z, ANCHOR_AHEAD,
            ANCHOR_DIFFERS, ANCHORS_AGREE, HEADOFFICE_AHEAD, HEADOFFICE_DIFFERS, HEADOFFICE_AGREES,
            HEADOFFICE_UNREACHABLE, HEADOFFICE_NO_KEY, NO_HEADOFFICE, NO_ANCHORS, MUST_NOT_SELL, KEY_MISSING, READY,
            RESTORED_BEHIND_REFUSAL)


class RestoreRefused(TillError):
    """A restore refused before anything was written (a backup that does not verify, a folder in use...)."""


@dataclass
class RestoreReport:
    """What was restored and what the technician must know, in lines of the till's language."""

    folder: Path
    manifest: Manifest
    lines: list[str] = field(default_factory=list)
    behind: list[str] = field(default_factory=list)
    """The reasons the till must not sell (chains behind or different); empty: it may."""
    key_restored: bool = False


def restore_backup(file: str | os.PathLike[str], target: str | os.PathLike[str], *,
                   anchors_dir: str | os.PathLike[str] | None = None, passphrase: str | None = None,
                   database_url: str | None = None, ask_headoffice: bool = True,
                   lang: str | None = None) -> RestoreReport:
    """Restore ``file`` into the new folder ``target`` and report (see the module docstring).

    ``database_url``: for a PostgreSQL backup, the empty database to restore into.
    """
    target = Path(target).expanduser().absolute()
    if target.exists() and (not target.is_dir() or any(p.name not in PROGRAM_INSTALL for p in target.iterdir())):
        raise RestoreRefused(NOT_EMPTY, folder=str(target))
    try:
        manifest, private_pem, url = _restore_files(file, target, passphrase, database_url)
    except BackupRefused as refused:
        raise RestoreRefused(DOES_NOT_VERIFY, reason=refused.text(lang)) from None
    lang = lang or _language_of(target)
    report = RestoreReport(target, manifest, key_restored=private_pem is not None)
    say = report.lines.append
    say(translate(RESTORED, lang, till_id=manifest.till_id, made_at=manifest.made_at, folder=str(target)))
    say(translate(LAST_Z, lang, day=manifest.last_day_closed) if manifest.last_day_closed else translate(NO_Z, lang))
    hashes = _hash_reader(f"sqlite:///{target / 'till.db'}" if manifest.engine == SQLITE else url, manifest.till_id)
    if anchors_dir is not None:
        _compare_anchors(report, Path(anchors_dir), hashes, lang)
    else:
        say(translate(NO_ANCHORS, lang))
    if ask_headoffice:
        _compare_headoffice(report, target, hashes, lang)
    if report.behind:
        write_private(target / RESTORED_BEHIND, json.dumps({"backup": Path(file).name, "made_at": manifest.made_at,
                                                            "reasons": report.behind}, indent=1).encode("utf-8"))
        say(translate(MUST_NOT_SELL, lang, file=RESTORED_BEHIND))
    if private_pem is None:
        say(translate(KEY_MISSING, lang, file=str(target / "keys" / "till.pem")))
    if not report.behind:
        say(translate(READY, lang, config=str(target / "till.toml")))
    return report



def _language_of(folder: Path) -> str | None:
    """The restored till's language (``till.language``): the technician at it reads that one."""
    from till.config.loader import load  # deferred: the restored configuration, read once written

    try:
        return load(folder / "till.toml").till.language
    except TillError:
        return None


def _restore_files(file, target: Path, passphrase: str | None, database_url: str | None):
    """Prove the backup, then write the shop's files into ``target``: (manifest, key PEM or None, database URL)."""
    with opened_backup(file) as opened:
        manifest = opened.manifest
        if manifest.engine == SQLITE:
            database_file = opened.member(SQLITE_MEMBER)
            problems = integrity_problems(database_file) or journal_problems(opened, f"sqlite:///{database_file}")
            if problems:
                raise RestoreRefused(DOES_NOT_VERIFY, reason="; ".join(problems[:5]))
        elif not database_url:
            raise RestoreRefused(N_("A PostgreSQL backup is restored into an empty database: give --database URL"))
        private_pem = _private_key(opened, passphrase)
        target.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(target, 0o700)
        url = _write_database(opened, target, database_url)
        config_text = opened.member(CONFIG_MEMBER).read_text(encoding="utf-8")
        ca_files = sorted(opened.member(CA_FILE_FOLDER).glob("*")) if opened.member(CA_FILE_FOLDER).is_dir() else []
        for ca_file in ca_files:  # beside till.toml, which names it so
            write_private(target / ca_file.name, ca_file.read_bytes())
        write_private(target / "till.toml", adjusted_config(config_text, url, ca_files[0].name if ca_files else None
                                                            ).encode("utf-8"))
        (target / ANCHORS_FOLDER).mkdir(mode=0o700)
        for anchor in sorted(opened.member(ANCHORS_FOLDER).glob("anchor-*.json")):
            write_private(target / ANCHORS_FOLDER / anchor.name, anchor.read_bytes())
        (target / "keys" / "public").mkdir(mode=0o700, parents=True)
        os.chmod(target / "keys", 0o700)
        write_private(target / KEY_CHAIN_MEMBER, opened.member(KEY_CHAIN_MEMBER).read_bytes())
        if private_pem is not None:
            write_private(target / "keys" / "till.pem", private_pem)
        if manifest.engine != SQLITE:
            problems = journal_problems(opened, url)
            if problems:
                raise RestoreRefused(DOES_NOT_VERIFY, reason="; ".join(problems[:5]))
    return manifest, private_pem, url


def _private_key(opened, passphrase: str | None) -> bytes | None:
    """The backup's private key as plain PKCS#8 PEM (to be written 0600), or None when it has none."""
    if not opened.manifest.with_key:
        return None
    if not passphrase:
        raise RestoreRefused(NEEDS_PASSPHRASE)
    try:
        key = serialization.load_pem_private_key(opened.member(PRIVATE_KEY_MEMBER).read_bytes(),
                                                 password=passphrase.encode("utf-8"))
    except (ValueError, TypeError):
        raise RestoreRefused(WRONG_PASSPHRASE) from None
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _write_database(opened, target: Path, database_url: str | None) -> str:
    """The backup's database in its new place; its URL."""
    if opened.manifest.engine == SQLITE:
        create_private(target / "till.db")
        with open(opened.member(SQLITE_MEMBER), "rb") as source, open(target / "till.db", "wb") as out:
            shutil.copyfileobj(source, out)
            out.flush()
            os.fsync(out.fileno())
        return "sqlite:///till.db"
    from till.backup.make import find_pg_binary, pg_connection  # deferred: only for a PostgreSQL backup

    options, env = pg_connection(database_url)
    done = subprocess.run([find_pg_binary("pg_restore"), "--no-owner", "--exit-on-error", *options,
                           str(opened.member(opened.manifest.database_member))],
                          env=env, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise RestoreRefused(N_("pg_restore failed: {reason}"), reason=(done.stderr or "").strip()[:300])
    return database_url


_SECTION = re.compile(r"^\s*\[\s*([A-Za-z0-9_.]+)\s*\]")
_PLACES = {"database": None, "key_file": '"keys/till.pem"', "anchor_dir": '"anchors"'}


def adjusted_config(text: str, database_url: str, ca_file: str | None = None) -> str:
    """``till.toml`` of the backup with the till's own files in the new folder: the database, the
    key and the anchors (in ``[till]``), and head office's CA file (``ca_file``: its name beside
    till.toml); whatever else it says is kept, comments included."""
    wanted = dict(_PLACES, database=json.dumps(database_url))
    out, section, seen, till_header = [], None, set(), None
    for line in text.splitlines():
        header = _SECTION.match(line)
        if header:
            section = header.group(1)
            if section == "till":
                till_header = len(out)
        elif section == "sync" and ca_file and "=" in line and line.split("=", 1)[0].strip() == "ca_file":
            out.append(f"ca_file = {json.dumps(ca_file)}")
            continue
        elif section == "till":
            name = line.split("=", 1)[0].strip()
            if "=" in line and name in wanted:
                out.append(f"{name} = {wanted[name]}")
                seen.add(name)
                continue
        out.append(line)
    missing = [f"{name} = {value}" for name, value in wanted.items() if name not in seen]
    if missing:
        if till_header is None:
            out += ["", "[till]", *missing]
        else:
            out[till_header + 1:till_header + 1] = missing
    return "\n".join(out) + "\n"


def _hash_reader(url: str, till_id: str):
    """A function (chain, sequence) -> the restored record's hash, or None when it has no such record."""
    from store import db  # deferred: the store loads only when a backup is restored
    from store.models import FiscalRecord  # deferred: as above
    from store.models.base import database_proxy  # deferred: as above

    cache: dict[tuple[str, int], str | None] = {}

    def hash_at(chain: str, sequence: int) -> str | None:
        if (chain, sequence) not in cache:
            before = database_proxy.obj
            database = db.open(url, migrate=False)
            try:
                row = (FiscalRecord.select(FiscalRecord.hash)
                       .where((FiscalRecord.till_id == till_id) & (FiscalRecord.chain == chain)
                              & (FiscalRecord.sequence == sequence)).tuples().first())
            finally:
                database.close()
                if before is not None:
                    database_proxy.initialize(before)
            cache[(chain, sequence)] = row[0] if row else None
        return cache[(chain, sequence)]

    return hash_at


def _compare(report: RestoreReport, heads: dict[str, dict[str, Any]], hash_at, ahead: str, differs: str,
             lang: str | None) -> bool:
    """Compare what another place holds (chain -> {"sequence", "hash"}) with the backup; True when it agrees."""
    agrees = True
    for chain, held in sorted(heads.items()):
        sequence, digest = int(held.get("sequence") or 0), held.get("hash")
        mine = int((report.manifest.heads.get(chain) or {}).get("sequence") or 0)
        if sequence > mine:
            line = translate(ahead, lang, chain=chain, found=sequence, sequence=mine, missing=sequence - mine)
        elif sequence and digest and hash_at(chain, sequence) != digest:
            line = translate(differs, lang, chain=chain, sequence=sequence)
        else:
            continue
        agrees = False
        report.lines.append(line)
        report.behind.append(line)
    return agrees


def _compare_anchors(report: RestoreReport, folder: Path, hash_at, lang: str | None) -> None:
    from till.fiscal.anchor import AnchorStore  # deferred: the journal's anchors, read only at a restore

    heads = {anchor.chain: {"sequence": anchor.sequence, "hash": anchor.hash}
             for anchor in AnchorStore(folder).all() if anchor.till_id == report.manifest.till_id}
    if _compare(report, heads, hash_at, ANCHOR_AHEAD, ANCHOR_DIFFERS, lang):
        report.lines.append(translate(ANCHORS_AGREE, lang))


def _compare_headoffice(report: RestoreReport, folder: Path, hash_at, lang: str | None) -> None:
    from till.config.loader import load  # deferred: the restored configuration, read once written
    from till.fiscal.keys import Signer  # deferred: as above
    from till.sync.client import HeadOfficeAnswer, HeadOfficeClient, HeadOfficeUnreachable  # deferred: as above

    config = load(folder / "till.toml")
    if config.sync is None:
        report.lines.append(translate(NO_HEADOFFICE, lang))
        return
    if not report.key_restored:
        report.lines.append(translate(HEADOFFICE_NO_KEY, lang))
        return
    signer = Signer.load(config.resolve(config.till.key_file))
    try:
        client = HeadOfficeClient(config.sync.url, config.till.id, signer,
                                  min(HEADOFFICE_TIMEOUT_S, config.sync.timeout_s), config.sync.ca_file)
        try:
            answer = client.request("GET", "/v1/heads")
        finally:
            client.close()
    except (HeadOfficeUnreachable, HeadOfficeAnswer, OSError, ValueError) as error:
        reason = error.text(lang) if isinstance(error, TillError) else str(error)
        report.lines.append(translate(HEADOFFICE_UNREACHABLE, lang, reason=reason))
        return
    heads = answer.get("chains") if isinstance(answer, dict) else None
    if _compare(report, heads if isinstance(heads, dict) else {}, hash_at, HEADOFFICE_AHEAD, HEADOFFICE_DIFFERS,
                lang):
        report.lines.append(translate(HEADOFFICE_AGREES, lang))
