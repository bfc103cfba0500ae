"""What an archive's trust rests on: its public keys, each till's key chain, the manifest's signature.

An archive carries the public keys (``keys/``), each till's key chain (``key_chain/<till>.jsonl``:
its root record and every rotation, signed) and the manifest's signature. Only the keys a till's
chain admits from its root sign validly, with the very rules of the database verifier
(``till.fiscal.key_chain``); the root is checked against the fingerprints an auditor gives
(``--root``), else named in the report. ``ArchiveTrust`` is the part of the archive verifier
(``till.fiscal.archive_verify``) that reads and checks them; the verifier provides ``report``,
``_finding`` and ``check_file`` (a listed member, its size and digest checked).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any, Iterable

from till.fiscal.archive import MANIFEST, SIGNATURE
from till.fiscal.archive_reader import OpenArchive, payload_text
from till.fiscal.key_chain import KeyChain, SealedRecord, build_key_chain
from till.fiscal.keys import key_id_of, verify_signature

__all__ = ["ArchiveTrust", "key_chain_roots"]


class ArchiveTrust:
    """Keys, key chains and the manifest's signature of the archive being verified."""

    def init_trust(self, trusted_key_ids: Iterable[str] | None, roots: Iterable[str] | None) -> None:
        self.roots = None if roots is None else set(roots)
        self.trusted = None if trusted_key_ids is None else set(trusted_key_ids)
        self.keys: dict[str, str] = {}
        """Key id -> PEM of every public key the archive holds that is the key of its id."""
        self.key_chains: dict[str, KeyChain] = {}
        self.chain_records: dict[tuple[str, str, int], str] = {}
        """(till, chain, sequence) -> hash of each record of the key chains."""

    def load_keys(self, archive: OpenArchive, files: dict[str, dict[str, Any]]) -> None:
        for name, entry in files.items():
            if not name.startswith("keys/") or name not in archive.names:
                continue
            data = self.check_file(archive, name, entry)
            if data is None:
                continue
            key_id = name[len("keys/"):].removesuffix(".pem")
            try:
                pem = data.decode("ascii")
                if key_id_of(pem) != key_id:
                    self._finding("", "", None, "public key {key_id} is not the key of that id", key_id=key_id)
                    continue
            except ValueError:
                self._finding("", "", None, "public key {key_id} cannot be read", key_id=key_id)
                continue
            self.keys[key_id] = pem

    def load_key_chains(self, archive: OpenArchive, manifest: dict[str, Any], files: dict[str, dict[str, Any]]) -> None:
        """Each till's key chain from its records in ``key_chain/``, checked against ``roots``."""
        listed = manifest.get("key_chains")
        for line in listed if isinstance(listed, list) else []:
            till_id = str(line.get("till_id")) if isinstance(line, dict) else ""
            name = line.get("file") if isinstance(line, dict) else None
            entry = files.get(name) if isinstance(name, str) else None
            data = None if entry is None or name not in archive.names else self.check_file(archive, name, entry)
            if data is None:
                self._finding(till_id, "", None, "the key chain of till {till_id} cannot be read", till_id=till_id)
                continue
            records = []
            try:
                for raw in data.splitlines(keepends=True):
                    record = json.loads(raw)
                    records.append(SealedRecord(
                        record["till_id"], record["chain"], record["sequence"], record["kind"], record["created_at"],
                        record["ticket_id"], record["format_version"], payload_text(raw, record["payload"]),
                        record["previous_signature"], record["hash"], record["signature"], record["key_id"]))
            except (ValueError, KeyError, TypeError) as error:
                self._finding(till_id, "", None, "{file} cannot be read: {error}", file=name, error=str(error))
                continue
            if any(record.till_id != till_id for record in records):
                self._finding(till_id, "", None, "the key chain of till {till_id} holds another till's records",
                              till_id=till_id)
                continue
            chain = build_key_chain(till_id, records, self.keys)
            self.report.problems.extend(chain.problems)
            if chain.root is None:
                continue
            self.key_chains[till_id] = chain
            self.report.roots[till_id] = chain.fingerprint
            self.chain_records.update({(r.till_id, r.chain, r.sequence): r.hash for r in records})
            if line.get("root_key_id") != chain.root.key_id:
                self._finding(till_id, "", None, "the manifest names another root key for till {till_id} than "
                              "its key chain", till_id=till_id)
            if self.roots is not None and chain.root.key_id not in self.roots:
                self._finding(till_id, "", None, "the key chain of till {till_id} leads to root key {found}, "
                              "not to the root given", till_id=till_id, found=chain.fingerprint)
        exporter = manifest.get("exported_by")
        tills = {str(c.get("till_id")) for c in manifest.get("chains") or [] if isinstance(c, dict)}
        if isinstance(exporter, dict):
            tills.add(str(exporter.get("till_id")))
        for till_id in sorted(tills - set(self.key_chains)):
            if not any(p.till_id == till_id and p.message.startswith("the key chain") for p in self.report.problems):
                self._finding(till_id, "", None, "the archive carries no key chain for till {till_id}: no key of "
                              "it can be trusted", till_id=till_id)

    def check_signature(self, archive: OpenArchive, manifest_bytes: bytes, manifest: dict[str, Any] | None = None) -> None:
        if SIGNATURE not in archive.names:
            self._finding("", "", None, "the manifest signature {file} is missing", file=SIGNATURE)
            return
        try:
            signature = json.loads(archive.read_small(SIGNATURE))
            key_id, value = str(signature["key_id"]), str(signature["signature"])
        except (ValueError, KeyError, TypeError, zipfile.BadZipFile):
            self._finding("", "", None, "the manifest signature {file} cannot be read", file=SIGNATURE)
            return
        pem = self.keys.get(key_id)
        if pem is None:
            self._finding("", "", None, "the manifest is signed by key {key_id}, which the archive does not hold",
                         key_id=key_id)
        elif not verify_signature(pem, manifest_bytes, value):
            self._finding("", "", None, "the manifest signature is not valid for key {key_id} (manifest altered or "
                         "signed by another key)", key_id=key_id)
        elif self.trusted is not None and key_id not in self.trusted:
            self._finding("", "", None, "the manifest is signed by key {key_id}, which is not a trusted key",
                         key_id=key_id)
        elif not self.exporter_key(manifest, key_id):
            self._finding("", "", None, "the manifest is signed by key {key_id}, which is not the current key of "
                         "the exporting till's key chain", key_id=key_id)
        else:
            self.report.key_id = key_id

    def exporter_key(self, manifest: dict[str, Any] | None, key_id: str) -> bool:
        """Is ``key_id`` the current key of the key chain of the till that exported the archive?"""
        exporter = (manifest or {}).get("exported_by")
        chain = self.key_chains.get(str(exporter.get("till_id"))) if isinstance(exporter, dict) else None
        return chain is not None and chain.current is not None and chain.current.key_id == key_id

    def check_key_chain_record(self, walk: Any, record: dict[str, Any], sequence: int) -> None:
        """A record of the key chain that falls in the period must be this very line; a key
        rotation in the period must be in the key chain (or it would admit a key unseen)."""
        known = self.chain_records.get((walk.till_id, walk.chain, sequence))
        if known is not None and known != record.get("hash"):
            self._finding(walk.till_id, walk.chain, sequence, "differs from the record of the archive's key chain")
        elif known is None and record.get("kind") == "KEY_ROTATED" and walk.order is not None:
            self._finding(walk.till_id, walk.chain, sequence, "this key rotation is missing from the archive's "
                          "key chain")


def key_chain_roots(path: str | Path) -> dict[str, str]:
    """Till id -> root fingerprint, as the archive's manifest states them (not verified: for the
    exporter's own message; the verifier finds them from the key chain records)."""
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read(MANIFEST))
    return {str(line.get("till_id")): str(line.get("root_fingerprint")) for line in manifest.get("key_chains") or []
            if isinstance(line, dict)}
