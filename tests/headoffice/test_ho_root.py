"""Head office pins the root of a till's key chain at enrolment and refuses a chain re-rooted elsewhere."""

from __future__ import annotations

import hashlib

import pytest

from headoffice.cli import enroll
from headoffice.ingest import Rejected, ingest_batch
from headoffice.store import Alert, Record, TillRoot, open_database, proxy
from till.fiscal.canonical import canonical_json
from till.fiscal.chain import message_bytes
from till.fiscal.key_chain import fingerprint
from till.fiscal.keys import Signer


def key_created(signer: Signer, till_id: str = "01") -> dict:
    """The first event of a till's chain L, as ``till init`` seals it, signed by ``signer``."""
    record = {"till_id": till_id, "chain": "L", "sequence": 1, "kind": "KEY_CREATED",
              "created_at": "2026-12-01T09:00:00Z", "ticket_id": None, "format_version": 1,
              "payload": canonical_json({"code": "KEY_CREATED", "description": "signing key created", "user_id": None,
                                         "details": {"key_id": signer.key_id}}),
              "previous_signature": ""}
    message = message_bytes(**record)
    return {**record, "hash": hashlib.sha256(message).hexdigest(), "signature": signer.sign(message),
            "key_id": signer.key_id}


@pytest.fixture
def office(tmp_path):
    open_database(f"sqlite:///{tmp_path / 'headoffice.db'}")
    with proxy.obj.connection_context():
        yield tmp_path


def test_a_chain_re_rooted_in_another_enrolled_key_is_refused(office):
    root = Signer.create(office / "root.key")
    current = Signer.create(office / "current.key")  # the till's key after a rotation
    enroll("01", "PARIS", current.public_pem, root=fingerprint(root.key_id))
    assert TillRoot.get(TillRoot.till_id == "01").root_key_id == root.key_id
    with pytest.raises(Rejected) as refused:  # a journal rebuilt from the current key as its root
        ingest_batch("01", "L", [key_created(current)])
    assert refused.value.code == "ROOT"
    assert fingerprint(root.key_id) in refused.value.message
    assert Record.select().count() == 0
    assert [a.code for a in Alert.select()] == ["ROOT"]


def test_a_till_enrolled_with_its_first_key_pins_it_and_the_pin_never_moves(office, capsys):
    key = Signer.create(office / "till.key")
    enroll("01", "PARIS", key.public_pem)
    assert ingest_batch("01", "L", [key_created(key)])["accepted"] == 1
    other = Signer.create(office / "other.key")
    with pytest.raises(SystemExit) as refused:
        enroll("01", "PARIS", other.public_pem, root=other.key_id)
    assert fingerprint(key.key_id) in str(refused.value)
    assert TillRoot.get(TillRoot.till_id == "01").root_key_id == key.key_id
