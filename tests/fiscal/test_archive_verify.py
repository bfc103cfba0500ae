"""Verifying an archive alone: every kind of tampering is refused and named (chain, sequence, what).

One clean archive of November is made (records T 1..4 and L 1..2, the first of each in
October so the archive starts by linking to the record before it); each test rewrites a copy
as a forger would (a member changed, dropped, cut or re-ordered; the ZIP itself cut) and checks
the verifier's findings. The verifier opens no database: the shop is closed before it runs.
"""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import pytest

from till.cli.archive import cmd_verify_archive
from till.fiscal import Signer, canonical_bytes, record_event
from till.fiscal.archive import MANIFEST, SIGNATURE, export_archive, parse_period
from till.fiscal.archive_verify import ArchiveUnreadable, main, verify_archive

TILL = "01"
DATA = f"data/{TILL}-T.jsonl"


@pytest.fixture
def archive(sqlite_shop, monkeypatch) -> Path:
    """A clean archive of 2026-11 (T 2..4 and L 2 in it, T 1 and L 1 before), database closed."""
    shop = sqlite_shop

    def at(when):
        monkeypatch.setattr("till.fiscal.chain.utcnow", lambda: when)

    at(dt.datetime(2026, 10, 31, 12, 0))
    shop.sale()
    record_event(shop.sealer, "APP_START", "till started")
    at(dt.datetime(2026, 11, 10, 12, 0))
    for _ in range(3):
        shop.sale()
    record_event(shop.sealer, "APP_STOP", "till stopped")
    at(dt.datetime(2026, 12, 1, 6, 0))
    result = export_archive(shop.sealer, parse_period("2026-11", dt.timezone.utc), shop.tmp_path / "nov.zip",
                            partial=True)
    shop.database.close()
    report = verify_archive(result.path)
    assert report.ok, report.lines()
    return result.path


def rewrite(source: Path, target: Path, changes: dict[str, bytes | None], order: list[str] | None = None) -> Path:
    """A copy of ``source`` with members replaced (bytes) or dropped (None), optionally re-ordered."""
    with zipfile.ZipFile(source) as old:
        members = {name: old.read(name) for name in old.namelist()}
    for name, data in changes.items():
        if data is None:
            members.pop(name)
        else:
            members[name] = data
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for name in order or list(members):
            new.writestr(name, members[name])
    return target


def member(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name)


def where(report) -> list[tuple[str, str, int | None]]:
    return [(p.till_id, p.chain, p.sequence) for p in report.problems]


def test_an_altered_payload_is_named_by_chain_and_sequence(archive, tmp_path, capsys):
    """R-SEC-07 / R-ARC-06: an amount changed in a record is refused at that record, and the
    command exits 1 naming the chain, the sequence and what differs (both languages)."""
    lines = member(archive, DATA).splitlines(keepends=True)
    assert b'"total_cents":1030' in lines[1]
    lines[1] = lines[1].replace(b'"total_cents":1030', b'"total_cents":930', 1)
    forged = rewrite(archive, tmp_path / "forged.zip", {DATA: b"".join(lines)})
    report = verify_archive(forged)
    assert not report.ok
    assert [p.what for p in report.problems if p.sequence == 3] == [
        "hash does not match the record's content (record altered)",
        "signature is not valid (record altered or forged)",
    ]
    assert where(report) == [(TILL, "T", 3), (TILL, "T", 3), (TILL, "T", None)]  # + the file's SHA-256
    assert report.problems[-1].what == f"file {DATA} differs from the manifest (size or SHA-256)"
    assert report.lines("en")[0] == "Archive forged.zip NOT verified: 3 problems in 4 records."
    assert f"chain T of till {TILL}, record 3: hash does not match the record's content (record altered)" \
        in report.lines("en")
    assert any(line.startswith(f"chaîne T de la caisse {TILL}, enregistrement 3 : l'empreinte")
               for line in report.lines("fr"))

    import argparse
    assert cmd_verify_archive(argparse.Namespace(archive=str(forged), key_ids=None)) == 1
    out = capsys.readouterr().out
    assert "record 3" in out or "enregistrement 3" in out


def test_a_payload_altered_with_its_hash_recomputed_still_fails_its_signature(archive, tmp_path):
    """R-SEC-04: the hash alone can be recomputed by a forger, the signature cannot."""
    import hashlib

    from till.fiscal import message_bytes

    lines = member(archive, DATA).splitlines(keepends=True)
    record = json.loads(lines[0])
    record["payload"]["operator"]["name"] = "Quelqu'un"
    fields = {k: record[k] for k in ("format_version", "till_id", "chain", "sequence", "kind", "created_at",
                                     "ticket_id", "previous_signature")}
    record["hash"] = hashlib.sha256(message_bytes(payload=json.dumps(record["payload"], sort_keys=True,
                                                                     separators=(",", ":"), ensure_ascii=False),
                                                  **fields)).hexdigest()
    lines[0] = canonical_bytes(record) + b"\n"
    report = verify_archive(rewrite(archive, tmp_path / "forged.zip", {DATA: b"".join(lines)}))
    findings = [(p.chain, p.sequence, p.what) for p in report.problems if p.sequence is not None]
    assert (("T", 2, "signature is not valid (record altered or forged)") in findings
            and ("T", 2, "hash does not match the record's content (record altered)") not in findings)
    assert ("T", 2, "differs from the first record the manifest names (hash)") in findings


def test_a_truncated_data_file_names_the_records_it_lost(archive, tmp_path):
    """R-SEC-05 for archives: the manifest names the last record, so a cut tail is refused."""
    lines = member(archive, DATA).splitlines(keepends=True)
    report = verify_archive(rewrite(archive, tmp_path / "cut.zip", {DATA: b"".join(lines[:1])}))
    assert not report.ok
    assert (TILL, "T", 3) in where(report)
    problem = next(p for p in report.problems if p.sequence == 3)
    assert problem.what == "records 3 to 4 listed in the manifest are missing (file truncated)"
    assert "holds 1 record, the manifest says 3" in [p.what for p in report.problems]


def test_a_truncated_archive_file_cannot_be_read_and_is_refused(archive, tmp_path, capsys):
    """R-ARC-06: a cut ZIP is refused (exit 2: nothing in it can be trusted), never half-verified."""
    data = archive.read_bytes()
    cut = tmp_path / "cut.zip"
    cut.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(ArchiveUnreadable, match="truncated or not a ZIP archive"):
        verify_archive(cut)
    assert main([str(cut)]) == 2
    err = capsys.readouterr().err
    assert str(cut) in err and ("truncated" in err or "tronqué" in err)


def test_re_ordered_records_are_refused(archive, tmp_path):
    """R-SEQ-01 / R-SEC-01: records swapped inside a file break the order and the links."""
    lines = member(archive, DATA).splitlines(keepends=True)
    lines[1], lines[2] = lines[2], lines[1]
    report = verify_archive(rewrite(archive, tmp_path / "swapped.zip", {DATA: b"".join(lines)}))
    assert not report.ok
    whats = {(p.sequence, p.what) for p in report.problems}
    assert (3, "record 3 is missing") in whats
    assert (3, "sequence number 3 is out of order (expected 5)") in whats
    assert (4, "does not link to the previous record (previous signature differs)") in whats
    assert not any("missing (file truncated)" in what for _sequence, what in whats)  # nothing was lost
    assert all(p.chain in ("T", "") for p in report.problems)


def test_re_ordered_archive_members_change_nothing_but_are_still_verified(archive, tmp_path):
    """R-ARC-01: the manifest, not the ZIP's member order, fixes what the archive holds."""
    with zipfile.ZipFile(archive) as source:
        names = source.namelist()
    report = verify_archive(rewrite(archive, tmp_path / "reversed.zip", {}, order=list(reversed(names))))
    assert report.ok, report.lines()


def test_a_missing_file_is_named(archive, tmp_path):
    """R-ARC-01: every file the manifest lists must be there; an extra file is refused too."""
    report = verify_archive(rewrite(archive, tmp_path / "missing.zip", {DATA: None}))
    assert [p.what for p in report.problems] == [f"file {DATA} listed in the manifest is missing from the archive"]
    assert report.counts[(TILL, "T")] == 0

    report = verify_archive(rewrite(archive, tmp_path / "extra.zip", {"data/01-Z.jsonl": b"{}\n"}))
    assert [p.what for p in report.problems] == ["file data/01-Z.jsonl is in the archive but not in the manifest"]


def test_a_missing_public_key_leaves_every_record_unverifiable(archive, tmp_path):
    """R-SEC-04: the public keys go with the archive; without them nothing is proven."""
    with zipfile.ZipFile(archive) as source:
        key = next(name for name in source.namelist() if name.startswith("keys/"))
    report = verify_archive(rewrite(archive, tmp_path / "nokey.zip", {key: None}))
    key_id = key[len("keys/"):-len(".pem")]
    whats = [p.what for p in report.problems]
    assert f"file {key} listed in the manifest is missing from the archive" in whats
    assert f"the manifest is signed by key {key_id}, which the archive does not hold" in whats
    assert whats.count(f"signed with unknown key {key_id}") == 4  # T 2, 3, 4 and L 2
    assert report.key_id is None


def test_an_altered_manifest_fails_its_signature(archive, tmp_path):
    """R-ARC-01: the detached signature covers the manifest, so a changed count or hash is refused."""
    manifest = json.loads(member(archive, MANIFEST))
    manifest["chains"][0]["count"] = 2
    report = verify_archive(rewrite(archive, tmp_path / "manifest.zip", {MANIFEST: canonical_bytes(manifest)}))
    key_id = json.loads(member(archive, SIGNATURE))["key_id"]
    assert report.problems[0].what == (f"the manifest signature is not valid for key {key_id} "
                                       "(manifest altered or signed by another key)")
    assert report.key_id is None


def test_a_manifest_signed_by_another_key_is_refused(archive, tmp_path):
    """R-SEC-04 / R-ARC-06: a forger who re-signs with a key of their own (and ships it) gets an
    archive that is internally consistent, but the till's key chain does not lead to that key:
    refused, with or without the till's key id given."""
    forger = Signer.create(tmp_path / "forger.pem")
    manifest = json.loads(member(archive, MANIFEST))
    till_key = json.loads(member(archive, SIGNATURE))["key_id"]
    pem = forger.public_pem.encode("ascii")
    import hashlib
    manifest["files"].append({"name": f"keys/{forger.key_id}.pem", "sha256": hashlib.sha256(pem).hexdigest(),
                              "size": len(pem), "media_type": "application/x-pem-file"})
    manifest_bytes = canonical_bytes(manifest)
    signature = {"algorithm": "ECDSA-P256-SHA256", "key_id": forger.key_id, "signed_file": MANIFEST,
                 "signature": forger.sign(manifest_bytes)}
    forged = rewrite(archive, tmp_path / "resigned.zip", {MANIFEST: manifest_bytes,
                                                          SIGNATURE: canonical_bytes(signature),
                                                          f"keys/{forger.key_id}.pem": pem})
    report = verify_archive(forged)
    assert [p.what for p in report.problems] == [
        f"the manifest is signed by key {forger.key_id}, which is not the current key of the exporting till's "
        "key chain"]
    assert report.key_id is None
    refused = verify_archive(forged, trusted_key_ids=[till_key])
    assert [p.what for p in refused.problems] == [
        f"the manifest is signed by key {forger.key_id}, which is not a trusted key"]
    assert verify_archive(archive, trusted_key_ids=[till_key]).ok

    garbage = dict(json.loads(member(archive, SIGNATURE)), signature="AAAA")
    report = verify_archive(rewrite(archive, tmp_path / "garbage.zip", {SIGNATURE: canonical_bytes(garbage)}))
    assert report.problems[0].what.startswith("the manifest signature is not valid")
    report = verify_archive(rewrite(archive, tmp_path / "nosig.zip", {SIGNATURE: None}))
    assert [p.what for p in report.problems] == [f"the manifest signature {SIGNATURE} is missing"]


def test_a_record_from_another_chain_or_an_unreadable_line_is_named(archive, tmp_path):
    """R-SEC-01: a record copied into the wrong chain, or a line that is not JSON, is refused."""
    lines = member(archive, DATA).splitlines(keepends=True)
    event = member(archive, f"data/{TILL}-L.jsonl").splitlines(keepends=True)[0]
    report = verify_archive(rewrite(archive, tmp_path / "mixed.zip", {DATA: lines[0] + event + lines[2]}))
    assert (TILL, "T", 2) in where(report)
    assert "belongs to chain L of till 01" in [p.what for p in report.problems]
    report = verify_archive(rewrite(archive, tmp_path / "junk.zip", {DATA: lines[0] + b"not json\n" + lines[2]}))
    assert any(p.sequence == 3 and p.what.startswith("line 2 cannot be read") for p in report.problems)


def test_a_first_record_that_does_not_link_to_the_record_before_the_period_is_refused(archive, tmp_path):
    """R-SEC-01 across periods: the manifest keeps the signature of the record before the period
    (signed with it), so the period's first record must link to it."""
    lines = member(archive, DATA).splitlines(keepends=True)
    record = json.loads(lines[0])
    assert record["previous_signature"] == json.loads(member(archive, MANIFEST))["chains"][0]["before"]["signature"]
    record["previous_signature"] = "forged"
    lines[0] = canonical_bytes(record) + b"\n"
    report = verify_archive(rewrite(archive, tmp_path / "unlinked.zip", {DATA: b"".join(lines)}))
    whats = [p.what for p in report.problems if p.sequence == 2]
    assert whats[0] == ("does not link to the record before the period (previous signature differs from the "
                        "manifest's)")


# --- The key chain: an archive cut at its tail and re-signed by another key -------------------------


def _resign(lines: list[bytes], forger: Signer) -> tuple[list[bytes], list[dict]]:
    """Every line re-signed by ``forger``, each linked to the one before as the first one was."""
    import hashlib

    from till.fiscal.canonical import canonical_json
    from till.fiscal.chain import message_bytes

    out, records, previous = [], [], None
    for raw in lines:
        record = json.loads(raw)
        if previous is not None:
            record["previous_signature"] = previous
        message = message_bytes(
            format_version=record["format_version"], till_id=record["till_id"], chain=record["chain"],
            sequence=record["sequence"], kind=record["kind"], created_at=record["created_at"],
            ticket_id=record["ticket_id"], payload=canonical_json(record["payload"]),
            previous_signature=record["previous_signature"])
        record.update(hash=hashlib.sha256(message).hexdigest(), signature=forger.sign(message), key_id=forger.key_id)
        previous = record["signature"]
        out.append(canonical_bytes(record) + b"\n")
        records.append(record)
    return out, records


def cut_and_resign(archive: Path, target: Path, forger: Signer, *, whole_chain: bool) -> Path:
    """The archive with its last ticket cut, the manifest made to agree and re-signed by ``forger``.
    ``whole_chain``: every record and the key chain re-signed too, rooted in the forger's key (the
    most a forger can do); otherwise only the manifest is re-signed."""
    import hashlib

    from till.fiscal.key_chain import fingerprint

    manifest = json.loads(member(archive, MANIFEST))
    files = {entry["name"]: entry for entry in manifest["files"]}
    changes: dict[str, bytes | None] = {}
    for chain in manifest["chains"]:
        lines = member(archive, chain["file"]).splitlines(keepends=True)
        if chain["chain"] == "T":
            lines = lines[:-1]
        records = [json.loads(line) for line in lines]
        if whole_chain:
            lines, records = _resign(lines, forger)
        changes[chain["file"]] = b"".join(lines)
        chain.update(count=len(records), last_sequence=records[-1]["sequence"], last_hash=records[-1]["hash"],
                     first_hash=records[0]["hash"])
    if whole_chain:
        for line in manifest["key_chains"]:
            resigned, _ = _resign(member(archive, line["file"]).splitlines(keepends=True), forger)
            changes[line["file"]] = b"".join(resigned)
            line.update(root_key_id=forger.key_id, root_fingerprint=fingerprint(forger.key_id), keys=[forger.key_id])
        for name in [name for name in files if name.startswith("keys/")]:
            changes[name] = None
            del files[name]
    pem = forger.public_pem.encode("ascii")
    changes[f"keys/{forger.key_id}.pem"] = pem
    files[f"keys/{forger.key_id}.pem"] = {"name": f"keys/{forger.key_id}.pem", "media_type": "application/x-pem-file"}
    for name, data in changes.items():
        if data is not None:
            files[name].update(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    manifest["files"] = list(files.values())
    manifest["exported_by"]["key_id"] = manifest["signature"]["key_id"] = forger.key_id
    manifest_bytes = canonical_bytes(manifest)
    changes[MANIFEST] = manifest_bytes
    changes[SIGNATURE] = canonical_bytes({"algorithm": "ECDSA-P256-SHA256", "key_id": forger.key_id,
                                          "signed_file": MANIFEST, "signature": forger.sign(manifest_bytes)})
    return rewrite(archive, target, changes)


def _root(archive: Path) -> str:
    return json.loads(member(archive, MANIFEST))["key_chains"][0]["root_fingerprint"]


def test_a_tail_cut_archive_re_signed_by_another_key_is_refused_without_root(archive, tmp_path, capsys):
    """The forger re-signs only the manifest: the till's key chain, which the archive carries,
    does not lead to the forger's key; refused without any key id or root given."""
    forger = Signer.create(tmp_path / "forger.pem")
    forged = cut_and_resign(archive, tmp_path / "cut.zip", forger, whole_chain=False)
    report = verify_archive(forged)
    assert [p.what for p in report.problems] == [
        f"the manifest is signed by key {forger.key_id}, which is not the current key of the exporting till's "
        "key chain"]
    assert main([str(forged)]) == 1
    assert main([str(forged), "--root", _root(archive)]) == 1
    capsys.readouterr()


def test_a_tail_cut_archive_re_signed_whole_from_another_root_is_named_and_refused_with_root(archive, tmp_path,
                                                                                            capsys):
    """The forger re-signs every record and roots the key chain in their own key: the archive is
    consistent, so without ``--root`` the verifier says plainly which root it checked against (the
    forger's, which no Z report of the shop prints); with the shop's root given, it is refused."""
    from till.fiscal.key_chain import fingerprint

    forger = Signer.create(tmp_path / "forger.pem")
    real_root = _root(archive)
    forged = cut_and_resign(archive, tmp_path / "whole.zip", forger, whole_chain=True)

    report = verify_archive(forged)
    assert report.roots == {TILL: fingerprint(forger.key_id)}
    lines = report.lines("en")
    assert f"key chain of till {TILL} checked against root key {fingerprint(forger.key_id)}" in lines
    assert lines[-1] == ("no root fingerprint was given (--root): compare the root key above with the one printed "
                         "on the shop's Z reports")
    assert main([str(forged)]) == 0  # consistent in itself: only the root tells
    assert fingerprint(forger.key_id) in capsys.readouterr().out

    for typed in (real_root, real_root.replace(" ", "").lower()):
        assert main([str(forged), "--root", typed]) == 1
        assert fingerprint(forger.key_id) in capsys.readouterr().out
    refused = verify_archive(forged, roots=[real_root.replace(" ", "").lower()])
    assert [p.what for p in refused.problems] == [
        f"the key chain of till {TILL} leads to root key {fingerprint(forger.key_id)}, not to the root given"]
    assert verify_archive(archive, roots=[real_root.replace(" ", "").lower()]).ok
    assert main([str(archive), "--root", real_root]) == 0
    assert main([str(archive), "--root", "not a fingerprint"]) == 2
