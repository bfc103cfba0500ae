"""Head office's own database: models, schema and ``open(url)``.

Head office is not a till: it never shares the till's tables, migrations or database proxy, so
a till and a head office can live in one process (the tests do) and evolve apart. The schema is
small and created with ``create_tables(safe=True)``; a later change adds numbered steps here.
The tables of the pages' figures, of their users and of the loss-prevention signals live in
``store_aggregates``, ``store_web`` and ``store_signals``, re-exported here: one place to import from.

PostgreSQL for a head office of several shops; SQLite (WAL, ``synchronous=FULL``) for a
one-shop install and tests. Records are stored as the till signed them: the canonical payload
text and ``created_at`` as its ISO-8601 UTC text, so ``message_bytes`` rebuilds exactly the
signed bytes whatever the engine does with timestamps.
"""

from __future__ import annotations

import functools
from urllib.parse import parse_qsl, unquote, urlparse

import peewee

from headoffice.store_aggregates import (  # noqa: F401 - re-exported: one place to import tables from
    AGGREGATES, CategoryDay, CreditMove, ProductDay, ReturnDay, ReturnTicket, ShopDay,
)
from headoffice.store_base import _Model, proxy, utcnow  # noqa: F401 - re-exported
from headoffice.store_signals import ShopSignal, SignalDismissal, SyncedRefund  # noqa: F401 - re-exported
from headoffice.store_web import WebAudit, WebLoginFailure, WebSession, WebUser  # noqa: F401 - re-exported
from till.files import create_private
from till.postgres_driver import require_driver

__all__ = ["proxy", "open_database", "Till", "TillKey", "TillRoot", "Record", "Head", "Alert", "AlertAcknowledgement",
           "Document", "OnlineOrder", "CreditNote", "CreditRedemption", "Receipt", "ReturnHold", "WebShop", "WebShopCall", "WebShopOrder",
           "WebShopHold", "WebShopEvent", "WebUser", "WebSession", "WebLoginFailure", "WebAudit", "ShopSignal",
           "SignalDismissal", "SyncedRefund", "MODELS", "utcnow",
           "ShopDay", "CategoryDay", "ProductDay", "ReturnDay", "ReturnTicket", "CreditMove", "AGGREGATES",
           "column_problem", "integer_limits", "text_limits"]


class Till(_Model):
    """An enrolled till: its id is unique across the whole company (e.g. ``P01-01``)."""

    till_id = peewee.CharField(max_length=16, unique=True)
    shop_id = peewee.CharField(max_length=32, index=True)
    name = peewee.CharField(max_length=100, default="")
    enrolled_at = peewee.DateTimeField(default=utcnow)


class TillKey(_Model):
    """A public key allowed to sign a till's records and requests.

    ``source`` says how it came: ``enroll`` (a technician ran ``till-headoffice enroll``) or
    ``rotation`` (a KEY_ROTATED record, signed by a key already held, named it).
    """

    key_id = peewee.CharField(max_length=64, unique=True)
    till_id = peewee.CharField(max_length=16, index=True)
    public_key_pem = peewee.TextField()
    source = peewee.CharField(max_length=16, default="enroll")
    enrolled_at = peewee.DateTimeField(default=utcnow)
    revoked = peewee.BooleanField(default=False)


class TillRoot(_Model):
    """The root of a till's key chain (``till.fiscal.key_chain``), pinned at enrolment: the key
    that must sign the first record of its chain L (the KEY_CREATED of ``till init``). A chain
    re-rooted in another key, even one head office holds, is refused. A table of its own, not a
    column of ``Till``, so ``create_tables(safe=True)`` adds it to a head office already running."""

    till_id = peewee.CharField(max_length=16, unique=True)
    root_key_id = peewee.CharField(max_length=64)
    pinned_at = peewee.DateTimeField(default=utcnow)


class Record(_Model):
    """A fiscal record exactly as the till sealed it, never updated."""

    till_id = peewee.CharField(max_length=16)
    chain = peewee.CharField(max_length=2)
    sequence = peewee.IntegerField()
    kind = peewee.CharField(max_length=32)
    created_at = peewee.CharField(max_length=40)  # the ISO text that was signed
    ticket_id = peewee.IntegerField(null=True)
    format_version = peewee.IntegerField()
    payload = peewee.TextField()
    previous_signature = peewee.TextField()
    hash = peewee.CharField(max_length=64)
    signature = peewee.TextField()
    key_id = peewee.CharField(max_length=64)
    received_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("till_id", "chain", "sequence"), True),)


Record.add_index(Record.index(Record.till_id, Record.sequence, name="ho_record_key_events",
                              where=(Record.chain == "L") & (Record.kind == "KEY_ROTATED")))
"""The few KEY_ROTATED events of a till, found at once for ``GET /v1/till-keys`` (a partial index:
the other records of a batch cost it nothing)."""


RECORD_FIELDS = ("till_id", "chain", "sequence", "kind", "created_at", "ticket_id", "format_version", "payload",
                 "previous_signature", "hash", "signature", "key_id")
"""The fields a till sends for each record (and that ``message_bytes`` and the hash cover)."""


class Head(_Model):
    """The last record held per till and chain: what ``GET /v1/heads`` answers, and the row
    whose guarded update makes two concurrent batches of one chain safe."""

    till_id = peewee.CharField(max_length=16)
    chain = peewee.CharField(max_length=2)
    sequence = peewee.IntegerField(default=0)
    signature = peewee.TextField(default="")
    hash = peewee.CharField(max_length=64, default="")
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("till_id", "chain"), True),)


class Alert(_Model):
    """Something a person must look at: a conflicting record, a tampered batch, a till behind
    what head office holds (restored from an older backup), an offline credit-note redemption."""

    created_at = peewee.DateTimeField(default=utcnow)
    till_id = peewee.CharField(max_length=16, default="")
    chain = peewee.CharField(max_length=2, default="")
    sequence = peewee.IntegerField(null=True)
    code = peewee.CharField(max_length=32)
    message = peewee.TextField()
    details = peewee.TextField(default="{}")
    acknowledged = peewee.BooleanField(default=False)


Alert.add_index(Alert.index(Alert.till_id, name="ho_alert_open_by_till", where=(Alert.acknowledged == False)))  # noqa: E712
"""The open alerts of each till, counted at once for the Shops page (a partial index: the
acknowledged ones, most of them in time, cost it nothing)."""


class AlertAcknowledgement(_Model):
    """Who acknowledged an alert, when, and what they wrote: never updated nor deleted, so an
    alert's history stays whole. ``Alert.acknowledged`` is set beside it, as
    ``till-headoffice alerts --acknowledge`` sets it, so "open" means one thing everywhere."""

    alert_id = peewee.IntegerField(index=True)
    username = peewee.CharField(max_length=64)
    note = peewee.TextField()
    created_at = peewee.DateTimeField(default=utcnow)


class Document(_Model):
    """A versioned document tills pull (``catalogue``): the whole JSON text, version bumped on change."""

    name = peewee.CharField(max_length=32, unique=True)
    version = peewee.IntegerField(default=0)
    body = peewee.TextField(default="{}")
    updated_at = peewee.DateTimeField(default=utcnow)


class OnlineOrder(_Model):
    """An order of the web shop, as ``till.returns.online_orders.import_orders`` reads it (one order)."""

    number = peewee.CharField(max_length=40, unique=True)
    shop_id = peewee.CharField(max_length=32, null=True, index=True)  # None: every shop may take it back
    body = peewee.TextField()
    created_at = peewee.DateTimeField(default=utcnow)


class CreditNote(_Model):
    """A credit note known company-wide: issued by one shop, spendable in any."""

    code = peewee.CharField(max_length=40, unique=True)
    shop_id = peewee.CharField(max_length=32)
    till_id = peewee.CharField(max_length=16)
    amount_cents = peewee.BigIntegerField()
    balance_cents = peewee.BigIntegerField()
    expires_on = peewee.DateField()
    created_at = peewee.DateTimeField(default=utcnow)


class CreditRedemption(_Model):
    """One spending of a note; ``request_id`` makes a retried redeem count once."""

    request_id = peewee.CharField(max_length=64, unique=True)
    code = peewee.CharField(max_length=40, index=True)
    till_id = peewee.CharField(max_length=16)
    amount_cents = peewee.BigIntegerField()
    offline = peewee.BooleanField(default=False)
    created_at = peewee.DateTimeField(default=utcnow)


class Receipt(_Model):
    """A sale of some till whose receipt proof (``till.fiscal.receipt_proof``) a till asked about
    to take it back: registered the first time, its row locked while a hold is decided."""

    code = peewee.CharField(max_length=40, unique=True)
    till_id = peewee.CharField(max_length=16)
    shop_id = peewee.CharField(max_length=32)
    """The selling till's shop as head office enrolled it (the proof's own is informative)."""
    number = peewee.BigIntegerField()
    sold_at = peewee.DateTimeField()
    proof = peewee.TextField()
    """The text first asked with (a later copy may be signed by a later key: same content)."""
    lines = peewee.TextField()
    """JSON ``{position: {"quantity", "total_cents"}}`` of the lines sold."""
    created_at = peewee.DateTimeField(default=utcnow)


class ReturnHold(_Model):
    """Quantities of a receipt's lines being returned, or returned, in some shop: counted against
    what was sold until released. ``request_id`` makes a retried hold count once."""

    request_id = peewee.CharField(max_length=64, unique=True)
    code = peewee.CharField(max_length=40, index=True)
    lines = peewee.TextField()
    """JSON ``[{"position", "quantity"}]``, positions in order."""
    amount_cents = peewee.BigIntegerField(default=0)
    """What the lines are worth, pro rata of each line's total on the receipt (for the reports)."""
    till_id = peewee.CharField(max_length=16)
    shop_id = peewee.CharField(max_length=32)
    offline = peewee.BooleanField(default=False)
    return_code = peewee.CharField(max_length=40, null=True)
    released = peewee.BooleanField(default=False)
    created_at = peewee.DateTimeField(default=utcnow)
    released_at = peewee.DateTimeField(null=True)


class WebShop(_Model):
    """A web shop allowed to call the web-shop API (``headoffice.webshop_auth``): its key is kept
    as a hash only; ``webhook_secret`` signs what head office sends it, so it is kept whole."""

    name = peewee.CharField(max_length=40, unique=True)
    key_id = peewee.CharField(max_length=16, unique=True)
    key_hash = peewee.CharField(max_length=64)
    scopes = peewee.CharField(max_length=100)
    """Space-separated: what the key may do (``webshop_auth.SCOPES``)."""
    webhook_url = peewee.CharField(max_length=400, null=True)
    webhook_secret = peewee.CharField(max_length=80)
    revoked = peewee.BooleanField(default=False)
    created_at = peewee.DateTimeField(default=utcnow)
    revoked_at = peewee.DateTimeField(null=True)


class WebShopCall(_Model):
    """Every call of the web-shop API, answered or refused: who, what, the answer's status."""

    webshop = peewee.CharField(max_length=40, default="")
    """The web shop's name, or "" when the key named none."""
    method = peewee.CharField(max_length=8)
    path = peewee.CharField(max_length=200)
    status = peewee.IntegerField()
    error = peewee.CharField(max_length=40, default="")
    remote = peewee.CharField(max_length=64, default="")
    created_at = peewee.DateTimeField(default=utcnow, index=True)


class WebShopOrder(_Model):
    """Which web shop posted an online order (``OnlineOrder`` by its number), and the digest of
    what it posted: a re-send with the same content is the same order, with other content refused.
    A table of its own, not a column of ``OnlineOrder``: head office creates missing tables at
    start, it never alters one."""

    number = peewee.CharField(max_length=40, unique=True)
    webshop = peewee.CharField(max_length=40, index=True)
    digest = peewee.CharField(max_length=64)
    created_at = peewee.DateTimeField(default=utcnow)


class WebShopHold(_Model):
    """An amount of a credit note a web shop holds during its checkout (``headoffice.webshop_credit``).

    The amount is taken off the note when the hold is made, as the ``CreditRedemption`` whose
    request id is ``request_id``; ``state`` is ``held`` until the web shop commits it (the
    spending is final) or releases it, or it expires (given back by a counter-redemption, as a
    till's release). ``hold_id`` is the web shop's idempotency key; ``ttl_s`` and
    ``balance_cents`` (what the hold left) are kept to answer a re-sent hold as the first time."""

    webshop = peewee.CharField(max_length=40)
    hold_id = peewee.CharField(max_length=64)
    code = peewee.CharField(max_length=40, index=True)
    amount_cents = peewee.BigIntegerField()
    ttl_s = peewee.IntegerField()
    balance_cents = peewee.BigIntegerField()
    request_id = peewee.CharField(max_length=64, unique=True)
    state = peewee.CharField(max_length=12, default="held")
    created_at = peewee.DateTimeField(default=utcnow)
    expires_at = peewee.DateTimeField(index=True)
    settled_at = peewee.DateTimeField(null=True)

    class Meta:
        indexes = ((("webshop", "hold_id"), True),)


class WebShopEvent(_Model):
    """Something a web shop is told (``headoffice.webshop_events``): an order of its returned in
    a shop. Kept until acknowledged (its webhook answered 2xx, or the web shop polled and acked
    it); ``source`` (till/chain/sequence of the record) makes a record ingested again queue
    nothing new."""

    webshop = peewee.CharField(max_length=40, index=True)
    kind = peewee.CharField(max_length=40)
    number = peewee.CharField(max_length=40)
    """The web shop's order number."""
    source = peewee.CharField(max_length=80, unique=True)
    body = peewee.TextField()
    """The event's ``data`` as JSON."""
    created_at = peewee.DateTimeField(default=utcnow)
    delivered_at = peewee.DateTimeField(null=True)
    attempts = peewee.IntegerField(default=0)
    next_attempt_at = peewee.DateTimeField(default=utcnow, index=True)
    last_error = peewee.CharField(max_length=200, default="")


MODELS = [Till, TillKey, TillRoot, Record, Head, Alert, AlertAcknowledgement, Document, OnlineOrder, CreditNote,
          CreditRedemption, Receipt, ReturnHold, WebShop, WebShopCall, WebShopOrder, WebShopHold, WebShopEvent, WebUser,
          WebSession, WebLoginFailure, WebAudit, ShopSignal, SignalDismissal, SyncedRefund, *AGGREGATES]


_INTEGER_RANGES = ((peewee.BigIntegerField, -2**63, 2**63 - 1), (peewee.IntegerField, -2**31, 2**31 - 1))
"""What PostgreSQL's ``bigint`` and ``integer`` hold (BigIntegerField first: it is an IntegerField)."""


def column_problem(model: type[peewee.Model], name: str, value: object) -> str | None:
    """Why ``value`` does not fit column ``name`` of ``model`` on PostgreSQL, or None.

    Checked before a value sent by a till reaches the database: PostgreSQL refuses an integer
    beyond its column or a text longer than its ``varchar`` with an error that would roll back
    the request (and the alert it raises) and answer 500; SQLite would store what PostgreSQL
    refuses, so both engines are held to PostgreSQL's limits.
    """
    field = model._meta.fields[name]
    if type(value) is int:
        for kind, low, high in _INTEGER_RANGES:
            if isinstance(field, kind):
                return None if low <= value <= high else f"{name} {value} is out of range ({low} to {high})"
    if isinstance(value, str) and isinstance(field, peewee.CharField) and len(value) > field.max_length:
        return f"{name} is longer than {field.max_length} characters"
    return None


@functools.cache
def integer_limits(model: type[peewee.Model], names: tuple[str, ...]) -> tuple[tuple[str, int, int], ...]:
    """(name, lowest, highest) of each integer column among ``names``: the bounds ``column_problem``
    holds, read once for checks that run on every record of a batch."""
    out = []
    for name in names:
        field = model._meta.fields[name]
        out += [(name, low, high) for kind, low, high in _INTEGER_RANGES if isinstance(field, kind)][:1]
    return tuple(out)


@functools.cache
def text_limits(model: type[peewee.Model], names: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    """(name, longest) of each ``varchar`` column among ``names`` (``column_problem``'s text bound)."""
    return tuple((name, model._meta.fields[name].max_length) for name in names
                 if isinstance(model._meta.fields[name], peewee.CharField))


def connect(url: str) -> peewee.Database:
    """A database object for ``url`` (``sqlite:///FILE`` or ``postgresql://...``), not yet bound."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = unquote(url[len("sqlite:///"):].split("?", 1)[0]) if url.startswith("sqlite:///") else ""
        if not path:
            raise ValueError(f"no file in database URL {url!r}")
        create_private(path)  # 0600 before SQLite opens it (its -wal and -shm take its mode)
        return peewee.SqliteDatabase(path, pragmas={"journal_mode": "wal", "synchronous": "full",
                                                    "busy_timeout": 10000}, timeout=10, lock_type="IMMEDIATE")
    if parsed.scheme in ("postgresql", "postgres"):
        require_driver(url)  # an optional extra: say what to install, not "driver not found"
        from playhouse.pool import PooledPostgresqlDatabase  # deferred: the pool only for PostgreSQL

        # Pooled: each request opens and closes "its" connection; the pool keeps them open.
        return PooledPostgresqlDatabase(
            unquote(parsed.path.lstrip("/")), user=unquote(parsed.username) if parsed.username else None,
            password=unquote(parsed.password) if parsed.password else None, host=parsed.hostname or None,
            port=parsed.port or None, max_connections=32, stale_timeout=300, timeout=30,
            **dict(parse_qsl(parsed.query)))
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:///FILE or postgresql://...")


def open_database(url: str) -> peewee.Database:
    """Connect to ``url``, bind head office's models to it and create what is missing."""
    database = connect(url)
    proxy.initialize(database)
    with database.connection_context():
        database.create_tables(MODELS, safe=True)
    return database


def is_postgres() -> bool:
    return isinstance(proxy.obj, peewee.PostgresqlDatabase)
