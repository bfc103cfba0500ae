"""The till's signing key: ECDSA P-256 with SHA-256, private half in a 0600 file.

A hash chain alone can be recomputed by anyone who can write the database (fiscal-fr.md
R-SEC-04), so every record is also signed with a key the database never sees. The private key
lives in a PEM file readable by its owner only; the public half is registered in the
``SigningKey`` table and exported with every archive, so an auditor verifies without the secret.

A key is named by ``key_id``: the first 32 hex characters of the SHA-256 of its public key
(SubjectPublicKeyInfo DER). Signatures are DER-encoded ECDSA, written base64url without padding.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import stat
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

from store.models import SigningKey
from till.errors import TillError
from till.files import write_private
from till.fiscal import receipt_proof

__all__ = ["Signer", "key_id_of", "verify_signature", "verify_digest", "register_public_key"]

_SIGN = ec.ECDSA(hashes.SHA256())
_PREHASHED = ec.ECDSA(utils.Prehashed(hashes.SHA256()))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    """The bytes of ``text``, which must be exactly what ``_b64url`` writes: the decoder alone
    skips characters outside the alphabet, so an altered signature string could still verify."""
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64url(data) != text:
        raise ValueError("not canonical base64url")
    return data


def _public_der(public_key: ec.EllipticCurvePublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def key_id_of(public_key: ec.EllipticCurvePublicKey | str) -> str:
    """The id of a public key (object or PEM text): 32 hex chars of SHA-256 of its DER."""
    if isinstance(public_key, str):
        public_key = _load_public(public_key)
    return hashlib.sha256(_public_der(public_key)).hexdigest()[:32]


@lru_cache(maxsize=64)
def _load_public(public_pem: str) -> ec.EllipticCurvePublicKey:
    key = serialization.load_pem_public_key(public_pem.encode("ascii"))
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("not an ECDSA P-256 public key")
    return key


class Signer:
    """Signs fiscal records with the till's private key."""

    def __init__(self, private_key: ec.EllipticCurvePrivateKey, path: Path | None = None) -> None:
        if not isinstance(private_key.curve, ec.SECP256R1):
            raise ValueError("the fiscal signing key must be ECDSA P-256")
        self._private_key = private_key
        self.path = path
        # True when ``create`` has just made this key: the caller logs a KEY_CREATED event.
        self.created = False
        public_key = private_key.public_key()
        self.key_id = key_id_of(public_key)
        self.public_pem = public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")

    def sign(self, message: bytes) -> str:
        """ECDSA-SHA256 signature of ``message``: DER, base64url without padding."""
        return _b64url(self._private_key.sign(message, _SIGN))

    def sign_proof(self, message: bytes) -> bytes:
        """The receipt proof signature of ``message`` (``receipt_proof.sign_proof``: deterministic,
        r || s): the key signs here, so the private half never leaves this class."""
        return receipt_proof.sign_proof(self._private_key, message)

    def __repr__(self) -> str:  # never the key itself in a log
        return f"Signer(key_id={self.key_id!r}, path={str(self.path)!r})"

    @classmethod
    def create(cls, path: str | os.PathLike[str]) -> "Signer":
        """Make a new key and write it to ``path`` (mode 0600; a missing folder is made 0700).

        Refuses to overwrite an existing file: replacing a till's key silently would orphan
        every record it signed.
        """
        path = Path(path)
        private_key = ec.generate_private_key(ec.SECP256R1())
        pem = private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            write_private(path, pem, exclusive=True)
        except FileExistsError:
            raise TillError("Key file {file} already exists: it is never overwritten", file=str(path)) from None
        signer = cls(private_key, path)
        signer.created = True
        return signer

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> "Signer":
        """Read the key at ``path``; refuse it if group or others may read it."""
        path = Path(path)
        try:
            info = path.stat()
        except FileNotFoundError:
            raise TillError("Key file {file} does not exist", file=str(path)) from None
        if not stat.S_ISREG(info.st_mode):
            raise TillError("Key file {file} is not a regular file", file=str(path))
        if info.st_mode & 0o077:
            raise TillError("Key file {file} must be readable by its owner only (chmod 600)", file=str(path))
        try:
            private_key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise TillError("Key file {file} is not an ECDSA P-256 private key", file=str(path)) from None
        if not isinstance(private_key, ec.EllipticCurvePrivateKey) or not isinstance(
            private_key.curve, ec.SECP256R1
        ):
            raise TillError("Key file {file} is not an ECDSA P-256 private key", file=str(path))
        return cls(private_key, path)

    @classmethod
    def load_or_create(cls, path: str | os.PathLike[str]) -> "Signer":
        """The key at ``path``, made first if there is none yet (``signer.created`` says so)."""
        if Path(path).exists():
            return cls.load(path)
        return cls.create(path)


def verify_signature(public_pem: str, message: bytes, signature: str) -> bool:
    """True when ``signature`` (base64url DER) is a valid signature of ``message``."""
    return verify_digest(public_pem, hashlib.sha256(message).digest(), signature)


def verify_digest(public_pem: str, digest: bytes, signature: str) -> bool:
    """As ``verify_signature`` with the message's SHA-256 already computed (the verifier has it)."""
    try:
        key = _load_public(public_pem)
        key.verify(_unb64url(signature), digest, _PREHASHED)
    except (InvalidSignature, ValueError, TypeError, binascii.Error, UnsupportedAlgorithm):
        return False
    return True


def register_public_key(signer: Signer, till_id: str) -> None:
    """Record ``signer``'s public key in ``SigningKey`` if absent.

    Idempotent and safe for two tills racing: the key id is unique and a duplicate is ignored.
    """

    if SigningKey.select().where(SigningKey.key_id == signer.key_id).exists():
        return
    SigningKey.insert(
        key_id=signer.key_id, till_id=till_id, public_key_pem=signer.public_pem
    ).on_conflict_ignore().execute()
