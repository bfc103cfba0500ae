"""`till card pending` and `till card settle ID --approved REF | --declined`: the card requests
whose outcome is unknown, and a manager's decision on one, from a shell.

A request is unknown when the terminal took it and the till never heard the answer (a timeout,
a pulled cable, a stop mid-payment). Only the terminal's own journal can tell whether the card
moved: the manager reads it, then settles here or on the till's screen (F1 then F10). Settling
as approved writes the return or exchange the request was for; a sale's payment approved with
no ticket is recorded so (refund the card or ring the sale again). Each decision is sealed in
chain L (``till.selling.card_settlement``). Kept apart from ``till.cli.main``; it calls ``register``.
"""

from __future__ import annotations

import argparse
from typing import Any
from till.cli.common import manager_approval, open_shop

OK = 0
PENDING = 1
"""Exit status of ``till card pending`` when something waits: a cron mail or a check notices."""


def cmd_card_pending(args: argparse.Namespace) -> int:
    from till.selling.card_journal import unresolved as pending  # deferred: per command (fast start)
    from till.i18n import N_, translate, translate_plural  # deferred: per command (fast start)
    from till.money import format_cents  # deferred: per command (fast start)

    ctx = open_shop(args)
    lang = ctx.config.shop.locale
    rows = pending(None if args.all_tills else ctx.till_id)
    if not rows:
        print(translate("No card payment waits for a manager", lang))
        return OK
    for row in rows:
        what = translate(N_("refund") if row.operation == "refund" else N_("payment"), lang)
        print(f"#{row.id}  {row.till_id}  {row.started_at:%Y-%m-%d %H:%M}Z  {what:<14} "
              f"{format_cents(row.amount_cents, lang, symbol=True):>12}  {(row.message or '')[:60]}")
    print(translate_plural("{count} card payment to check on the terminal's own journal, then: till card settle ID "
                           "--approved REFERENCE | --declined",
                           "{count} card payments to check on the terminal's own journal, then: till card settle "
                           "ID --approved REFERENCE | --declined", len(rows), lang))
    return PENDING


def cmd_card_settle(args: argparse.Namespace) -> int:
    from till.selling.card_settlement import entry, settle  # deferred: per command (fast start)
    from till.i18n import translate  # deferred: per command (fast start)

    ctx = open_shop(args)
    lang = ctx.config.shop.locale
    entry(args.id)  # an unknown id is refused before any PIN is asked
    manager = manager_approval(ctx, args, "card outcome settled")
    done = settle(args.id, manager, ctx.sealer, ctx.config, approved=args.approved is not None,
                  reference=args.approved, note=args.note or "")
    if done.ticket is not None:
        print(translate("Settled as approved: ticket {code} written", lang, code=done.ticket.code))
    elif args.approved is not None:
        print(translate("Settled as approved: no ticket carries it; refund the card or ring the sale again", lang))
    else:
        print(translate("Settled as not approved", lang))
    return OK


def register(commands: Any) -> None:
    """Add `card` to ``till``'s sub-commands (``commands`` = its sub-parsers)."""
    card = commands.add_parser("card", help="card payments whose outcome is unknown").add_subparsers(
        dest="card_command", required=True)
    pending = card.add_parser("pending", help="list the card payments a manager must check (exit 1 if any)")
    pending.add_argument("--all-tills", action="store_true", help="every till of the shop database, not only this one")
    pending.set_defaults(func=cmd_card_pending)
    settle = card.add_parser("settle", help="a manager's decision, from the terminal's own journal")
    settle.add_argument("id", type=int, help="the card journal entry (# in `till card pending`)")
    decision = settle.add_mutually_exclusive_group(required=True)
    decision.add_argument("--approved", metavar="REFERENCE", help="the terminal approved it, with this reference")
    decision.add_argument("--declined", action="store_true", help="the terminal's journal does not have it")
    settle.add_argument("--note", help="what was checked")
    settle.add_argument("--manager", metavar="LOGIN", help="the manager's login (asked for when not given)")
    settle.add_argument("--pin", help="the manager's PIN (asked for when not given)")
    settle.set_defaults(func=cmd_card_settle)
