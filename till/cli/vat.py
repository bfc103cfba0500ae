"""``till vat list`` and ``till vat add``: the shop's VAT rates, a new value sealed with its manager.

Kept apart from ``till.cli.main`` like ``cli_doctor``; ``till.cli.main`` calls ``register(commands)``.
Thin: the rules and the sealed VAT_RATE_CHANGED event are ``till.selling.vat_rates``'s. A new
value applies from a date on (a law changes a rate from a given day); the value before ends the
day before, and both are sealed, with the manager who approved.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from till.cli.common import manager_approval, open_shop
from till.errors import TillError

OK = 0


def cmd_vat_list(args: argparse.Namespace) -> int:
    from store.models import VatRate  # deferred: per command (fast start)

    open_shop(args)
    for rate in VatRate.select().order_by(VatRate.code, VatRate.valid_from):
        ends = f"  {rate.valid_to}" if rate.valid_to else ""
        print(f"{rate.code}  {rate.rate_bp // 100}.{rate.rate_bp % 100:02d} %  {rate.valid_from}{ends}  {rate.label}")
    return OK


def cmd_vat_add(args: argparse.Namespace) -> int:
    from till.selling.vat_rates import add_vat_rate, parse_percent  # deferred: per command (fast start)

    ctx = open_shop(args)  # first: its language is the messages'
    rate_bp = parse_percent(args.rate)  # refused before a manager is asked
    try:
        valid_from = dt.date.fromisoformat(args.valid_from)
    except ValueError:
        raise TillError("{text} is not a day: write it as YYYY-MM-DD", text=args.valid_from) from None
    manager = manager_approval(ctx, args, "VAT rate change")
    label = args.label or f"TVA {args.rate} %"
    rate = add_vat_rate(ctx.sealer, args.code, label, rate_bp, valid_from, user_id=manager.id)
    print(f"VAT rate {rate.code} is {args.rate} % from {valid_from} (sealed, approved by {manager.login})")
    return OK


def register(commands: Any) -> None:
    """Add ``vat`` to ``till``'s sub-commands (``commands`` = its sub-parsers)."""
    vat = commands.add_parser("vat", help="the shop's VAT rates").add_subparsers(dest="vat_command", required=True)
    vat.add_parser("list", help="every VAT rate with its validity dates").set_defaults(func=cmd_vat_list)
    add = vat.add_parser("add", help="a new value of a VAT rate from a date on (sealed with the manager)")
    add.add_argument("code", help="the VAT code of the products (N, I, R, S...)")
    add.add_argument("--rate", required=True, help="the new rate in percent, such as 20, 5.5 or 5,5")
    add.add_argument("--from", dest="valid_from", required=True, metavar="YYYY-MM-DD", help="the first day it applies")
    add.add_argument("--label", help="its name on the reports (default: TVA RATE %%)")
    add.add_argument("--manager", metavar="LOGIN", help="the manager's login (asked for when not given)")
    add.add_argument("--pin", help="the manager's PIN (asked for when not given)")
    add.set_defaults(func=cmd_vat_add)
