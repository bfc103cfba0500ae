"""What the Shops page shows of each till, read from small, indexed tables only.

A chain of 200 shops holds millions of records; the page never reads them. It reads:

- ``Head``: one row per till and chain, moved by every batch accepted (its ``updated_at`` is the
  time of the till's last batch received, so the last sync);
- the till's last signed statement of chain heads (``chain_heads.HeadsStatement``, one index
  probe per till): the anchor of each chain, and what the till said it held at its last closure,
  so how many records head office still lacks when the till has not sent them all;
- the keys (a handful per till) and the open alerts, counted by a partial index.

A till is *stale* (shown red) when its last batch is more than ``STALE_AFTER`` old, or when it
was enrolled and never sent one: in both cases head office does not hold what the shop sells.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import peewee

from headoffice.chain_heads import HeadsStatement
from headoffice.store import Alert, Head, Till, TillKey, TillRoot, utcnow
from till.fiscal.heads import short_digest
from till.fiscal.key_chain import fingerprint

__all__ = ["STALE_AFTER", "ChainState", "TillState", "ShopState", "shops_overview", "till_state", "is_stale"]

STALE_AFTER = dt.timedelta(days=1)
"""A till's last batch older than this and the till is red: a till syncs at least daily (cron)."""


@dataclass
class ChainState:
    """One chain of a till: what head office holds, and what the till's last statement said."""

    chain: str
    held: int
    """The highest sequence head office holds (0: none)."""
    signature: str = ""
    updated_at: dt.datetime | None = None
    said: int | None = None
    """The sequence the till's last closure statement named for this chain (None: not named)."""
    anchored: bool = False
    """Does head office hold the chain up to the sequence the statement named?"""

    @property
    def behind(self) -> int | None:
        """Records the till said it holds that head office does not (None: not known)."""
        return None if self.said is None else max(0, self.said - self.held)


@dataclass
class TillState:
    till_id: str
    shop_id: str
    name: str
    enrolled_at: dt.datetime
    chains: list[ChainState] = field(default_factory=list)
    fingerprint: str = ""
    """Of the till's newest key in use ("" when every key is revoked)."""
    open_alerts: int = 0
    anchor_closure: int | None = None
    anchor_digest: str = ""
    """The short form of the statement's digest, as the Z report prints it."""
    anchor_received_at: dt.datetime | None = None
    stale: bool = False

    @property
    def last_sync(self) -> dt.datetime | None:
        times = [c.updated_at for c in self.chains if c.updated_at is not None and c.held > 0]
        return max(times) if times else None

    @property
    def behind(self) -> int | None:
        """Total records behind over the chains the last statement named (None: no statement)."""
        known = [c.behind for c in self.chains if c.behind is not None]
        return sum(known) if known else None


@dataclass
class ShopState:
    shop_id: str
    tills: list[TillState]

    @property
    def stale(self) -> bool:
        return any(t.stale for t in self.tills)

    @property
    def open_alerts(self) -> int:
        return sum(t.open_alerts for t in self.tills)


def is_stale(last_sync: dt.datetime | None, now: dt.datetime) -> bool:
    """Never synced, or not for more than ``STALE_AFTER``."""
    return last_sync is None or now - last_sync > STALE_AFTER


def shops_overview(shop_id: str | None = None) -> list[ShopState]:
    """Every shop (or one) with its tills' state, shops and tills in order of their ids."""
    query = Till.select(Till.till_id, Till.shop_id, Till.name, Till.enrolled_at).order_by(Till.shop_id, Till.till_id)
    if shop_id:
        query = query.where(Till.shop_id == shop_id)
    tills = [TillState(*row) for row in query.tuples()]
    by_id = {t.till_id: t for t in tills}
    if not by_id:
        return []
    _add_heads(by_id, Head.select())
    _add_keys(by_id, TillKey.select().where(TillKey.revoked == False).order_by(TillKey.id))  # noqa: E712
    counts = (Alert.select(Alert.till_id, peewee.fn.COUNT(Alert.id).alias("n"))
              .where(Alert.acknowledged == False).group_by(Alert.till_id))  # noqa: E712 - the partial index
    for row in counts.tuples():
        if row[0] in by_id:
            by_id[row[0]].open_alerts = row[1]
    _add_anchors(by_id, _last_statements())
    now = utcnow()
    shops: dict[str, ShopState] = {}
    for till in tills:
        till.stale = is_stale(till.last_sync, now)
        shops.setdefault(till.shop_id, ShopState(till.shop_id, [])).tills.append(till)
    return list(shops.values())


def till_state(till_id: str) -> TillState | None:
    """One till's state, as the Shops page shows it (None: no such till)."""
    till = Till.get_or_none(Till.till_id == till_id)
    if till is None:
        return None
    state = _state_of(till)
    by_id = {till_id: state}
    _add_heads(by_id, Head.select().where(Head.till_id == till_id))
    _add_keys(by_id, TillKey.select().where((TillKey.till_id == till_id) & (TillKey.revoked == False))  # noqa: E712
              .order_by(TillKey.id))
    state.open_alerts = (Alert.select().where((Alert.till_id == till_id) & (Alert.acknowledged == False))  # noqa: E712
                         .count())
    last = (HeadsStatement.select(*_STATEMENT_COLUMNS).where(HeadsStatement.till_id == till_id)
            .order_by(HeadsStatement.closure.desc()).limit(1).tuples())
    _add_anchors(by_id, list(last))
    state.stale = is_stale(state.last_sync, utcnow())
    return state


def keys_of(till_id: str) -> list[dict[str, object]]:
    """Every key of the till, oldest first, with its fingerprint; the root pinned at enrolment marked."""
    root = TillRoot.get_or_none(TillRoot.till_id == till_id)
    return [{"fingerprint": fingerprint(k.key_id), "source": k.source, "enrolled_at": k.enrolled_at,
             "revoked": k.revoked, "root": root is not None and root.root_key_id == k.key_id}
            for k in TillKey.select().where(TillKey.till_id == till_id).order_by(TillKey.id)]


def _state_of(till: Till) -> TillState:
    return TillState(till.till_id, till.shop_id, till.name, till.enrolled_at)


def _add_heads(by_id: dict[str, TillState], heads) -> None:
    """Read as tuples: a few thousand rows, where building a model per row cost most of the page."""
    rows = heads.select(Head.till_id, Head.chain, Head.sequence, Head.signature, Head.updated_at)
    for till_id, chain, sequence, signature, updated_at in rows.order_by(Head.till_id, Head.chain).tuples():
        if till_id in by_id:
            by_id[till_id].chains.append(ChainState(chain, sequence, signature, updated_at))


def _add_keys(by_id: dict[str, TillState], keys) -> None:
    for till_id, key_id in keys.select(TillKey.till_id, TillKey.key_id).tuples():  # oldest first: the newest wins
        if till_id in by_id:
            by_id[till_id].fingerprint = fingerprint(key_id)


def _last_statements() -> list[tuple]:
    """Each till's last statement of chain heads: one probe of the (till_id, closure) index per
    till, in one query; rows of ``_STATEMENT_COLUMNS``."""
    last = HeadsStatement.alias("last")
    newest = last.select(last.id).where(last.till_id == Till.till_id).order_by(last.closure.desc()).limit(1)
    return list(HeadsStatement.select(*_STATEMENT_COLUMNS)
                .where(HeadsStatement.id.in_(Till.select(newest))).tuples())


_STATEMENT_COLUMNS = (HeadsStatement.till_id, HeadsStatement.closure, HeadsStatement.digest, HeadsStatement.body,
                      HeadsStatement.received_at)


def _add_anchors(by_id: dict[str, TillState], statements) -> None:
    """What each till's last statement named per chain, beside what head office holds."""
    for till_id, closure, digest, body, received_at in statements:
        till = by_id.get(till_id)
        if till is None:
            continue
        signed = json.loads(body)
        till.anchor_closure, till.anchor_digest = closure, short_digest(digest)
        till.anchor_received_at = received_at
        chains = {c.chain: c for c in till.chains}
        for head in signed["statement"].get("heads", []):
            chain = chains.get(head.get("chain"))
            if chain is None:
                chain = chains[head["chain"]] = ChainState(head["chain"], 0)
                till.chains.append(chain)
            chain.said = head.get("sequence")
            chain.anchored = chain.held >= (chain.said or 0)
        till.chains.sort(key=lambda c: c.chain)
