"""A ticket carries who sealed it; extracts of records sealed from now on come from the raw signature.

- ``ticket`` gets the shop's identity and the software version as sealed in its record
  (``shop_name``, ``shop_address``, ``shop_siret``, ``shop_vat_number``, ``software_version``), so
  a copy prints what the original printed even after the settings change. Tickets written before
  have them NULL, and their records keep the payload they were signed with.
- The signature extract printed on paper changes rule (``till.fiscal.extracts``): the first
  sequence of each chain sealed after this step is noted in the setting
  ``signature_extract_raw_from``; the records before it keep the extract their paper shows.

Never edited once released.
"""

from __future__ import annotations

import json

import peewee

_COLUMNS = (
    ("shop_name", "VARCHAR(160)"),
    ("shop_address", "TEXT"),
    ("shop_siret", "VARCHAR(32)"),
    ("shop_vat_number", "VARCHAR(32)"),
    ("software_version", "VARCHAR(32)"),
)

RAW_EXTRACT_FROM = "signature_extract_raw_from"


def mark_raw_extracts(database: peewee.Database) -> None:
    """Note, per till and chain, the first sequence the raw extract rule applies to: the one
    after the chain's head as it is now."""
    marks: dict[str, dict[str, int]] = {}
    for till_id, chain, sequence in database.execute_sql(
            'SELECT "till_id", "chain", "sequence" FROM "chain_head" WHERE "sequence" > 0').fetchall():
        marks.setdefault(till_id, {})[chain] = int(sequence) + 1
    value = json.dumps(marks, sort_keys=True, separators=(",", ":"))
    param = database.param
    database.execute_sql(f'INSERT INTO "setting" ("key", "value") VALUES ({param}, {param})',
                         (RAW_EXTRACT_FROM, value))


def up(database: peewee.Database) -> None:
    for name, kind in _COLUMNS:
        database.execute_sql(f'ALTER TABLE "ticket" ADD COLUMN "{name}" {kind}')
    mark_raw_extracts(database)
