"""Everything a running till holds: its configuration, database, signing key and devices.

``TillContext.open(config)`` is the one place that wires these together, for the UI, the CLI,
the demo and the benchmarks alike, so each of them exercises the same code.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import peewee

from devices.payment import PaymentTerminal
from devices.payment.factory import TerminalSettings, make_terminal as build_terminal
from till.selling.card_journal import JournaledTerminal
from store import db
from till.config.loader import Config
from till.errors import TillError
from till.fiscal.anchor import AnchorStore
from till.fiscal.chain import Sealer
from till.fiscal.closure_totals import business_zone
from till.fiscal.key_chain import (
    KEY_CHECK_NOTES, KeyFileMismatch, check_key_file, note_key_check_failure, seal_key_check_failures,
)
from till.fiscal.keys import Signer, register_public_key
from till.fiscal.payloads import issuer_of
from till.i18n import set_language
from till.loss.day_signals import day_signals_handlers
from till.loss.signals import thresholds_of
from till.shop.permissions import tighten_shop_files

log = logging.getLogger(__name__)


class NotInitialised(TillError):
    """The shop has no signing key yet: ``till init`` must run first."""


@dataclass
class TillContext:
    """The services of one till process."""

    config: Config
    database: peewee.Database
    sealer: Sealer
    terminal: PaymentTerminal | None

    @property
    def till_id(self) -> str:
        return self.config.till.id

    @classmethod
    def open(cls, config: Config, create_key: bool = False) -> "TillContext":
        """Open the database (applying migrations) and load this till's signing key.

        First, the shop's files that an older version left readable by other users are made
        private again (``till.shop.permissions``), before the database opens its companions."""
        set_language(config.till.language)
        tighten_shop_files(config)
        database = db.open(config.database_url)
        key_path = config.resolve(config.till.key_file)
        if create_key:
            signer = Signer.load_or_create(key_path)
        elif not key_path.exists():
            raise NotInitialised("No signing key at {file}: run `till init` first", file=str(key_path))
        else:
            signer = Signer.load(key_path)
        with database.atomic():
            # The key file must be the key the till's own journal expects (its key chain's
            # current key); another one stops here, before it is registered or signs anything.
            try:
                check_key_file(signer, config.till.id)
            except KeyFileMismatch as refused:  # sealed by the right key at the next start
                note_key_check_failure(config.resolve(KEY_CHECK_NOTES), refused)
                raise
            register_public_key(signer, config.till.id)
        sealer = Sealer(config.till.id, signer, AnchorStore(config.resolve(config.till.anchor_dir), config.till.id),
                        business_zone(config))
        sealer.heads_to_headoffice = config.sync is not None  # each closure sends its chain heads
        sealer.backup_after_closure = config.backup.configured  # each daily closure queues a backup
        sealer.fiscal_year_start = config.shop.fiscal_year_start  # yearly closures follow the fiscal year
        sealer.issuer = issuer_of(config.shop)  # sealed in every ticket (R-DATA-03)
        sealer.signals_after_closure = True  # each daily closure queues its day's loss-prevention signals
        sealer.job_handlers = day_signals_handlers(sealer, thresholds_of(config.loss_prevention))  # run by the outbox
        seal_key_check_failures(sealer, config.resolve(KEY_CHECK_NOTES))  # refusals the wrong key could not sign
        terminal = make_terminal(config)
        if terminal is not None:
            # Every request is journaled before it is sent. What a stop left open is resolved by
            # the till's own program at its start (``till.selling.card_settlement.reconcile``), never by
            # another command: a request in flight belongs to the running till.
            terminal = JournaledTerminal(terminal, config.till.id, sealer=sealer)
        return cls(config=config, database=database, sealer=sealer, terminal=terminal)

    def close(self) -> None:
        if not self.database.is_closed():
            self.database.close()


def make_terminal(config: Config) -> PaymentTerminal | None:
    """The card terminal named by the configuration (the bare driver, not journaled)."""
    p = config.payment
    return build_terminal(TerminalSettings(
        driver=p.terminal, device=p.device, baudrate=p.baudrate, host=p.host, port=p.port,
        step_timeout_ms=p.step_timeout_ms, answer_timeout_s=p.timeout_s, retries=p.retries,
        pos_number=p.pos_number, terminal_id=p.terminal_id, simulator_decline_cents=p.simulator_decline_cents,
        simulate=p.simulate))
