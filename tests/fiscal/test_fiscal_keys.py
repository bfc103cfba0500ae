"""The signing key: a 0600 file outside the database, ECDSA P-256, ids and signatures."""

from __future__ import annotations

import base64
import hashlib
import os
import stat

import pytest
from cryptography.hazmat.primitives import serialization

from store import db
from store.models import SigningKey
from till.errors import TillError
from till.fiscal.keys import Signer, key_id_of, register_public_key, verify_signature


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_create_writes_a_0600_key_in_a_0700_folder(tmp_path):
    path = tmp_path / "secret" / "till.pem"
    signer = Signer.create(path)
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    assert signer.created is True
    assert path.read_text().startswith("-----BEGIN PRIVATE KEY-----")


def test_create_never_overwrites_an_existing_key(tmp_path):
    path = tmp_path / "till.pem"
    first = Signer.create(path)
    before = path.read_bytes()
    with pytest.raises(TillError, match="already exists"):
        Signer.create(path)
    assert path.read_bytes() == before
    assert Signer.load(path).key_id == first.key_id


def test_a_key_readable_by_others_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "till.pem"
    Signer.create(path)
    os.chmod(path, 0o644)
    with pytest.raises(TillError) as caught:
        Signer.load(path)
    assert str(caught.value) == f"Key file {path} must be readable by its owner only (chmod 600)"
    assert caught.value.text("fr") == (
        f"Le fichier de clé {path} doit être lisible par son seul propriétaire (chmod 600)")
    os.chmod(path, 0o640)
    with pytest.raises(TillError, match="chmod 600"):
        Signer.load(path)
    os.chmod(path, 0o600)
    assert Signer.load(path).created is False


def test_missing_and_foreign_key_files_are_refused(tmp_path):
    with pytest.raises(TillError, match="does not exist"):
        Signer.load(tmp_path / "none.pem")
    other = tmp_path / "other.pem"
    fd = os.open(other, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"not a key")
    os.close(fd)
    with pytest.raises(TillError, match="not an ECDSA P-256 private key"):
        Signer.load(other)


def test_load_or_create_makes_the_key_once_then_reads_it(tmp_path):
    path = tmp_path / "keys" / "till.pem"
    made = Signer.load_or_create(path)
    again = Signer.load_or_create(path)
    assert made.created and not again.created
    assert made.key_id == again.key_id
    assert made.public_pem == again.public_pem


def test_key_id_is_32_hex_of_the_sha256_of_the_public_der(tmp_path):
    signer = Signer.create(tmp_path / "till.pem")
    public = serialization.load_pem_public_key(signer.public_pem.encode())
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert signer.key_id == hashlib.sha256(der).hexdigest()[:32]
    assert key_id_of(signer.public_pem) == signer.key_id
    assert len(signer.key_id) == 32 and int(signer.key_id, 16) >= 0


def test_signatures_are_base64url_der_and_verify_only_the_signed_bytes(tmp_path):
    signer = Signer.create(tmp_path / "a.pem")
    other = Signer.create(tmp_path / "b.pem")
    message = '{"sequence":1,"total_cents":1030}'.encode()
    signature = signer.sign(message)
    assert "=" not in signature and "+" not in signature and "/" not in signature
    der = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    assert der[0] == 0x30  # a DER SEQUENCE (r, s)
    assert verify_signature(signer.public_pem, message, signature)
    assert not verify_signature(signer.public_pem, message.replace(b"1030", b"1031"), signature)
    assert not verify_signature(other.public_pem, message, signature)
    assert not verify_signature(signer.public_pem, message, other.sign(message))
    assert not verify_signature(signer.public_pem, message, "not base64 at all!")
    assert not verify_signature(signer.public_pem, message, signature[:-4] + "AAAA")


def test_repr_never_shows_the_private_key(tmp_path):
    signer = Signer.create(tmp_path / "till.pem")
    assert "PRIVATE" not in repr(signer) and signer.key_id in repr(signer)


def test_register_public_key_is_idempotent(sqlite_url, tmp_path):
    database = db.open(sqlite_url)
    signer = Signer.create(tmp_path / "till.pem")
    with database.atomic():
        register_public_key(signer, "01")
        register_public_key(signer, "01")
    register_public_key(signer, "01")
    rows = list(SigningKey.select())
    assert [(r.key_id, r.till_id, r.public_key_pem) for r in rows] == [(signer.key_id, "01", signer.public_pem)]
    database.close()


@pytest.mark.parametrize("alter", [lambda s: s[:10] + "*" + s[10:], lambda s: s + "=", lambda s: " " + s,
                                   lambda s: s[:-1] + ("A" if s[-1] != "A" else "B")])
def test_a_signature_string_changed_in_any_way_does_not_verify(tmp_path, alter):
    """The base64url decoder alone skips stray characters: the stored text must be exact."""
    signer = Signer.create(tmp_path / "till.pem")
    signature = signer.sign(b"ticket 1")
    assert verify_signature(signer.public_pem, b"ticket 1", signature)
    assert not verify_signature(signer.public_pem, b"ticket 1", alter(signature))
