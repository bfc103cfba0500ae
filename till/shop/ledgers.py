"""The checks ``till journal verify`` runs beside the journal verifier, and the baseline seal.

The journal verifier (``till.fiscal.verify``) proves the records and the credit-note ledger;
the rows derived from records that need the configuration or the workflows' own rules to be
rebuilt (accounting lines, stock, users, VAT rates) are checked by ``till.selling.derived_check``,
``till.people.users_check`` and ``till.selling.vat_rates``, which sit above it: ``journal_checks``
hands them to it.

``seal_baseline`` is the upgrade path of a shop whose users and opening stock were written
before they were sealed: a technician seals what the tables hold now, once, as the starting
point every later change is checked from (``till journal baseline``). It seals only what no
record seals yet, so running it again seals nothing. Credit notes issued before their issue was
sealed get their issue record too, but only those a signed record or the loyalty ledger vouches
for: a refund's note (its code and amount are in the signed refund payment; its expiry is
sealed from the row) and a loyalty reward (named by a REWARD entry). Any other note row stays
unsealed, unspendable and reported.
"""

from __future__ import annotations

from typing import Callable

from store.models import CreditNote, User
from store.models.loyalty import REWARD, LoyaltyEntry
from till.fiscal.credit_ledger import ISSUED_BY_LOYALTY, ISSUED_BY_REFUND, LedgerRules, ledger_records, seal_issue
from till.fiscal.chain import Sealer, current_database
from till.fiscal.events import EVENT_CHAIN, USER_CHANGED, record_event
from till.fiscal.problems import Problem
from till.fiscal.program_integrity import check_program
from till.people.users_check import check_users, sealed_users
from till.selling.cash_move_postings_check import check_cash_move_postings
from till.selling.derived_check import check_derived_rows, unsealed_ticketless
from till.selling.stock import STOCK_MOVED, stock_moved_payload
from till.selling.vat_rates import check_vat_rates, seal_unsealed_vat_rates

__all__ = ["journal_checks", "seal_baseline"]

Check = Callable[[], tuple[list[Problem], list[Problem]]]


def journal_checks(ctx) -> list[Check]:
    """The row checks of the shop of ``ctx`` (a ``TillContext``), for ``verify_journal(checks=...)``."""
    config = ctx.config
    return [lambda: check_derived_rows(config.accounts, ctx.sealer.zone, config.loyalty), check_users,
            lambda: check_cash_move_postings(config.accounts, ctx.sealer.zone), check_vat_rates,
            lambda: check_program(ctx.till_id)]


def seal_baseline(sealer: Sealer) -> tuple[int, int, int]:
    """Seal every user, ticket-less stock movement and vouched-for credit note no record seals
    yet; (users, movements, notes) sealed. VAT rates no record seals are sealed too
    (``till.selling.vat_rates``)."""
    users = moves = notes = 0
    with current_database().atomic():
        seal_unsealed_vat_rates(sealer)
        sealed = sealed_users()
        for user in User.select().order_by(User.id):
            state = sealed.get(user.id, {})
            if state.get("added") and "role" in state:
                continue
            record_event(sealer, USER_CHANGED, "user sealed as found (baseline)", user_id=user.id,
                         details={"login": user.login, "role": user.role, "active": bool(user.active),
                                  "change": "added", "baseline": True})
            users += 1
        unsealed, _missing = unsealed_ticketless()
        for _id, product, location, quantity, reason in unsealed:
            sealer.append(EVENT_CHAIN, STOCK_MOVED, stock_moved_payload(product, location, quantity, reason))
            moves += 1
        rules = LedgerRules()
        for row in ledger_records():
            rules.add(*row)
        rewards = {note_id for (note_id,) in LoyaltyEntry.select(LoyaltyEntry.credit_note)
                   .where((LoyaltyEntry.kind == REWARD) & LoyaltyEntry.credit_note.is_null(False)).tuples()}
        for note in CreditNote.select().where(CreditNote.code.not_in(list(rules.issues) or [""])) \
                .order_by(CreditNote.id):
            refund = rules.refunds.get(note.code)
            if refund is not None and refund[:2] == (note.issued_ticket_id, note.amount_cents):
                seal_issue(sealer, note, ISSUED_BY_REFUND)
            elif refund is None and note.id in rewards:
                seal_issue(sealer, note, ISSUED_BY_LOYALTY)
            else:
                continue
            notes += 1
    return users, moves, notes
