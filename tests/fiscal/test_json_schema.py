"""The archive's own JSON Schema checker agrees with the ``jsonschema`` library (R-ARC-03).

The till checks archives with a small checker of the subset of draft 2020-12 its schemas use,
because it is much faster (``till.fiscal.json_schema`` gives the figures); the standard's
validator is the reference: on a real archive's records and manifest, and on records broken in
each way the schemas forbid, both must give the same verdict.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import zipfile

import pytest
from jsonschema.validators import validator_for

from till.fiscal import record_event
from till.fiscal.archive import MANIFEST, MANIFEST_SCHEMA, RECORD_SCHEMA, export_archive, parse_period
from till.fiscal.json_schema import SchemaChecker

NOVEMBER = parse_period("2026-11", dt.timezone.utc)


@pytest.fixture
def archive(sqlite_shop, monkeypatch):
    """Schemas, records and manifest of an archive of two sales and an event."""
    monkeypatch.setattr("till.fiscal.chain.utcnow", lambda: dt.datetime(2026, 11, 3, 9, 15))
    sqlite_shop.sale(), sqlite_shop.sale()
    record_event(sqlite_shop.sealer, "APP_START", "till started")
    monkeypatch.setattr("till.fiscal.chain.utcnow", lambda: dt.datetime(2026, 12, 2, 8, 0))
    result = export_archive(sqlite_shop.sealer, NOVEMBER, sqlite_shop.tmp_path / "nov.zip", partial=True)
    with zipfile.ZipFile(result.path) as zipped:
        schemas = {name: json.loads(zipped.read(name)) for name in (RECORD_SCHEMA, MANIFEST_SCHEMA)}
        records = [json.loads(line) for name in zipped.namelist() if name.startswith("data/")
                   for line in zipped.read(name).splitlines()]
        manifest = json.loads(zipped.read(MANIFEST))
    return schemas, records, manifest


def _both(schema):
    reference = validator_for(schema)
    reference.check_schema(schema)
    return SchemaChecker(schema), reference(schema)


def _set(path, value):
    def change(record):
        *parents, last = path
        for key in parents:
            record = record[key]
        record[last] = value
    return change


def _delete(*path):
    def change(record):
        *parents, last = path
        for key in parents:
            record = record[key]
        del record[last]
    return change


BROKEN_TICKETS = {
    "a float amount": _set(("payload", "total_cents"), 10.3),
    "a quantity as text": _set(("payload", "lines", 0, "quantity"), "2"),
    "a boolean sequence": _set(("sequence",), True),
    "sequence 0": _set(("sequence",), 0),
    "a hash that is no SHA-256": _set(("hash",), "xyz"),
    "an empty signature": _set(("signature",), ""),
    "no signature": _delete("signature"),
    "an unknown envelope key": _set(("extra",), 1),
    "another format version": _set(("format_version",), 2),
    "a lower-case chain": _set(("chain",), "t"),
    "a customer as text": _set(("payload", "customer"), "Dupré"),
    "a training flag as 1": _set(("payload", "training"), 1),
    "a line without its VAT code": _delete("payload", "lines", 0, "vat_code"),
    "a ticket without ticket id": _set(("ticket_id",), None),
    "a time without its Z": _set(("created_at",), "2026-11-03T09:15:00"),
}

STILL_VALID_TICKETS = {
    "a payload key added later": _set(("payload", "future"), {"any": "thing"}),
    "no customer": _set(("payload", "customer"), None),
    "a line key added later": _set(("payload", "lines", 0, "future"), 1),
}


def test_the_checker_and_jsonschema_accept_a_real_archive(archive):
    schemas, records, manifest = archive
    records_checker, records_reference = _both(schemas[RECORD_SCHEMA])
    manifest_checker, manifest_reference = _both(schemas[MANIFEST_SCHEMA])
    assert {record["chain"] for record in records} == {"T", "L"}
    for record in records:
        assert records_checker.errors(record) == [] and records_reference.is_valid(record)
    assert manifest_checker.errors(manifest) == [] and manifest_reference.is_valid(manifest)


@pytest.mark.parametrize("change", BROKEN_TICKETS.values(), ids=BROKEN_TICKETS.keys())
def test_both_refuse_a_broken_ticket_record(archive, change):
    schemas, records, _ = archive
    checker, reference = _both(schemas[RECORD_SCHEMA])
    record = copy.deepcopy(next(record for record in records if record["chain"] == "T"))
    change(record)
    assert checker.errors(record) and not reference.is_valid(record)


@pytest.mark.parametrize("change", STILL_VALID_TICKETS.values(), ids=STILL_VALID_TICKETS.keys())
def test_both_accept_what_the_schema_leaves_open(archive, change):
    schemas, records, _ = archive
    checker, reference = _both(schemas[RECORD_SCHEMA])
    record = copy.deepcopy(next(record for record in records if record["chain"] == "T"))
    change(record)
    assert checker.errors(record) == [] and reference.is_valid(record)


def test_both_refuse_an_event_record_without_its_code_and_a_manifest_without_its_period(archive):
    schemas, records, manifest = archive
    checker, reference = _both(schemas[RECORD_SCHEMA])
    event = copy.deepcopy(next(record for record in records if record["chain"] == "L"))
    del event["payload"]["code"]
    assert checker.errors(event) == ["/payload/code: missing"] and not reference.is_valid(event)
    checker, reference = _both(schemas[MANIFEST_SCHEMA])
    del manifest["period"]
    assert checker.errors(manifest) == ["/period: missing"] and not reference.is_valid(manifest)


def test_an_integral_float_is_refused_here_though_the_standard_calls_it_an_integer(archive):
    """The one difference, on the strict side: ``json.loads`` gives 5.0 only if the file says
    ``5.0``, which no till writes (and which changes the signed message anyway)."""
    schemas, records, _ = archive
    checker, reference = _both(schemas[RECORD_SCHEMA])
    record = copy.deepcopy(next(record for record in records if record["chain"] == "T"))
    record["payload"]["total_cents"] = float(record["payload"]["total_cents"])
    assert checker.errors(record) == ["/payload/total_cents: expected integer"] and reference.is_valid(record)
