"""The till's own running program: one per shop folder, and what it does before its screens.

Only this program resolves the card journal at its start (a request in flight belongs to the
running till: any other command, the cron ``till sync`` included, leaves it alone) and gives
back credit-note holds a stopped sale left at head office. The run lock is ``till.lock``
beside the configuration, released by the kernel however the program ends.
"""

from __future__ import annotations

import logging
import threading

from till.backup.restored_behind import refuse_if_restored_behind
from till.config.loader import Config
from till.credit import holds as credit_holds
from till.errors import TillError
from till.file_lock import exclusive
from till.fiscal.anchor_check import START, require_anchors
from till.fiscal.closures import close_due
from till.fiscal.lifecycle import record_start
from till.fiscal.program_integrity import record_program_integrity
from till.i18n import N_
from till.returns import return_holds
from till.selling.card_settlement import reconcile
from till.shop.context import TillContext


class AlreadyRunning(TillError):
    """The till's program is already running on this shop folder."""


def running_till(config: Config):
    """The run lock of the till's own program (``till.lock`` beside its configuration): one
    program per till, and the only one that resolves the card journal at its start."""
    path = config.resolve("till.lock")
    return exclusive(path, lambda: AlreadyRunning(N_("The till is already running on this shop (lock {file})"),
                                                  file=str(path)))


def start_till(config: Config) -> TillContext:
    """What the till's own program does before its screens, holding its run lock: refuse a shop
    restored from a backup behind what was sealed after it (``RestoredBehind``), open the shop,
    check the tail anchors (``AnchorCheckFailed`` when they do not agree with the journal: the
    till does not sell on a cut chain; before APP_START, whose own anchor would otherwise
    replace a bad one of chain L), compare the program's files with the last sealed list
    (PROGRAM_INTEGRITY when they differ), seal the start, close the months and fiscal years that
    are over (``close_due``), resolve the card journal, give back credit-note holds."""
    refuse_if_restored_behind(config.folder)  # restored from a backup behind head office or the anchors
    ctx = TillContext.open(config)
    try:
        require_anchors(ctx.sealer, START)
    except BaseException:
        ctx.close()
        raise
    record_program_integrity(ctx.sealer)
    record_start(ctx.sealer, config)
    close_due(ctx.sealer)  # the months (fiscal years) over since the last run, their days closed
    resolve_card_journal(ctx)
    give_back_credit_holds(ctx)
    give_back_return_holds(ctx)
    return ctx


def resolve_card_journal(ctx):
    """Card requests a stop left open: a return the terminal approved is written now; an unknown
    outcome is sealed and listed for a manager (login screen, F1, ``till card pending``)."""
    return reconcile(ctx.terminal, ctx.till_id, sealer=ctx.sealer, config=ctx.config)


def give_back_credit_holds(ctx):
    """Credit notes held at head office for a sale the last session never wrote go back: marked
    now (before any payment), sent to head office by a background thread (or the next sync).
    Returns that thread (None when there is nothing to send)."""
    credit_holds.reconcile(ctx.till_id, ctx.sealer)
    if getattr(ctx.config, "sync", None) is None:  # no head office: nothing to send, its client not loaded
        return None
    from till.credit.remote import RemoteCreditDesk  # deferred: head office's client, only when it is configured

    desk = RemoteCreditDesk.for_context(ctx)
    if desk is not None and credit_holds.to_release(ctx.till_id):
        def send() -> None:
            try:
                desk.release_pending()
            except Exception:  # noqa: BLE001 - the next sync sends them; never on the cashier's screen
                logging.getLogger("till.sync.push").exception("credit note releases left for the next sync")

        thread = threading.Thread(target=send, name="credit-note releases", daemon=True)
        thread.start()
        return thread
    return None


def give_back_return_holds(ctx):
    """Units of another shop's receipt held at head office for a return the last session never
    wrote go back: marked now, sent by a background thread (or the next sync)."""
    return_holds.reconcile(ctx.till_id)
    if getattr(ctx.config, "sync", None) is None or not return_holds.to_release(ctx.till_id):
        return None
    from till.returns.remote_returns import release_in_background  # deferred: head office client, when configured

    return release_in_background(ctx.config, ctx.sealer)
