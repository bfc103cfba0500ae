"""`till cash in|out|correct|expected`: chain P documents from a shell, each with a manager's PIN.

Cash put into the drawer (an opening float, a top-up), taken out of it (to the safe, to the bank,
a petty expense), or a payment's means corrected after the sale (a card payment recorded as
cash): the documents of ``till.selling.cash_moves``, sealed in chain P with their accounting
lines. The manager named by ``--manager`` (or asked for) is both operator and approver; a wrong
PIN counts against that account, as at the till. What can be refused without the database (an
amount, a missing reason) is refused before the PIN is asked. The drawer opens through the outbox
(the running till, or `till outbox run`). Kept apart from ``till.cli.main``; it calls ``register``.
"""

from __future__ import annotations

import argparse
from typing import Any

from till.cli.common import OK, manager_approval, open_shop

IN_KINDS = ("opening_float", "float_top_up")
OUT_KINDS = ("withdrawal", "bank_deposit", "petty_expense")


def _cents(text: str) -> int:
    from till.errors import TillError  # deferred: per command (fast start)
    from till.money import MoneyError, parse_amount  # deferred: per command (fast start)

    try:
        return parse_amount(text)
    except MoneyError:
        raise TillError("Not an amount: {text}", text=text) from None


def cmd_cash_move(args: argparse.Namespace) -> int:
    from till.fiscal.cash_moves import KIND_LABELS, expected_cash  # deferred: per command (fast start)
    from till.i18n import translate  # deferred: per command (fast start)
    from till.money import format_cents  # deferred: per command (fast start)
    from till.selling.cash_moves import check_move, record_cash_move  # deferred: per command (fast start)

    amount = _cents(args.amount)
    check_move(args.kind, amount, args.reason or "")
    ctx = open_shop(args)
    lang = ctx.config.shop.locale
    manager = manager_approval(ctx, args, f"cash move: {args.kind}")
    move = record_cash_move(ctx.sealer, ctx.config.accounts, args.kind, amount, args.reason, manager, manager)
    print(translate("Document {code} written: {kind} {amount}; the drawer should hold {held}", lang, code=move.code,
                    kind=translate(KIND_LABELS[move.kind], lang), amount=format_cents(amount, lang),
                    held=format_cents(expected_cash(ctx.till_id), lang)))
    return OK


def cmd_cash_correct(args: argparse.Namespace) -> int:
    from till.fiscal.cash_moves import expected_cash  # deferred: per command (fast start)
    from till.i18n import translate  # deferred: per command (fast start)
    from till.money import format_cents  # deferred: per command (fast start)
    from till.selling.cash_moves import check_correction, correct_means  # deferred: per command (fast start)

    amount = _cents(args.amount)
    check_correction(args.source, args.target, amount, args.reason or "")
    ctx = open_shop(args)
    lang = ctx.config.shop.locale
    manager = manager_approval(ctx, args, "means correction")
    move = correct_means(ctx.sealer, ctx.config.accounts, args.ticket, args.source, args.target, amount, args.reason,
                         manager, manager)
    print(translate("Document {code} written: {amount} of ticket {ticket} moved from {source} to {target}; the "
                    "drawer should hold {held}", lang, code=move.code, amount=format_cents(amount, lang),
                    ticket=move.origin_reference, source=args.source, target=args.target,
                    held=format_cents(expected_cash(ctx.till_id), lang)))
    return OK


def cmd_cash_expected(args: argparse.Namespace) -> int:
    from till.fiscal.cash_moves import expected_cash  # deferred: per command (fast start)
    from till.i18n import translate  # deferred: per command (fast start)
    from till.money import format_cents  # deferred: per command (fast start)

    ctx = open_shop(args)
    lang = ctx.config.shop.locale
    print(translate("The drawer of till {till} should hold {held}", lang, till=ctx.till_id,
                    held=format_cents(expected_cash(ctx.till_id), lang)))
    return OK


def _manager_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reason", required=True, help="why (printed and signed with the document)")
    parser.add_argument("--manager", metavar="LOGIN", help="the manager's login (asked for when not given)")
    parser.add_argument("--pin", help="the manager's PIN (asked for when not given)")


def register(commands: Any) -> None:
    """Add `cash` to ``till``'s sub-commands (``commands`` = its sub-parsers)."""
    cash = commands.add_parser("cash", help="cash in and out of the drawer, means corrections (chain P)"
                               ).add_subparsers(dest="cash_command", required=True)
    put = cash.add_parser("in", help="put cash into the drawer: an opening float or a top-up")
    put.add_argument("kind", choices=IN_KINDS)
    put.add_argument("amount", help="e.g. 150,00")
    _manager_options(put)
    put.set_defaults(func=cmd_cash_move)
    take = cash.add_parser("out", help="take cash out: to the safe, to the bank, a petty expense")
    take.add_argument("kind", choices=OUT_KINDS)
    take.add_argument("amount", help="e.g. 150,00 (at most what the drawer should hold)")
    _manager_options(take)
    take.set_defaults(func=cmd_cash_move)
    correct = cash.add_parser("correct", help="move an amount of a ticket's payments from one means to another")
    correct.add_argument("ticket", help="the ticket's code, as printed")
    correct.add_argument("amount", help="e.g. 12,50 (at most what the ticket paid by --from)")
    correct.add_argument("--from", dest="source", required=True, choices=("cash", "card"))
    correct.add_argument("--to", dest="target", required=True, choices=("cash", "card"))
    _manager_options(correct)
    correct.set_defaults(func=cmd_cash_correct)
    cash.add_parser("expected", help="the cash the drawer should hold now").set_defaults(func=cmd_cash_expected)
