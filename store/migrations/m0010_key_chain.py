"""The key chain is read at every start: an index finds a till's key events without reading its chain L.

``till.fiscal.key_chain`` follows a till's KEY_CREATED and KEY_ROTATED records to know which
signing keys its journal admits; the till does so at every start (the key file must be the key
the chain expects) and the verifier once per till. With only the (till, chain, sequence) index
that read walks the whole chain L, which grows with every login. An index, nothing else: no
fiscal row is touched.
"""

from __future__ import annotations

import peewee


def up(database: peewee.Database) -> None:
    database.execute_sql('CREATE INDEX "fiscal_record_till_id_kind" ON "fiscal_record" ("till_id", "kind")')
