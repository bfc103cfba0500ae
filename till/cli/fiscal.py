"""`till close ...` and `till report ...`: fiscal closures, X/Z and analytic reports from the command line.

Kept apart from ``till.cli.main`` so closures grow without touching the main parser; ``till.cli.main``
calls ``register(commands)`` with its sub-parsers. Thin, like the rest of the CLI: parse, call
``till.fiscal.closures`` or ``reports.xz``, print. A refusal (already closed, not over yet...) is
a ``TillError``, which ``till.cli.main.main`` prints on one line with exit status 2.
"""

from __future__ import annotations

import argparse
from typing import Any
from till.cli.common import open_shop

OK = 0


def _who() -> str:
    """Who closes from the command line, as sealed in the closure: the system login (a
    technician over SSH has no till PIN session)."""
    import getpass  # deferred: per command (fast start)

    try:
        login = getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in this environment (a container, cron)
        login = "?"
    return f"{login} (command line)"


def _closed_lines(made: list, lang: str | None = None) -> list[str]:
    from till.fiscal.closures import KIND_NAMES  # deferred: per command (fast start)
    from till.i18n import Counted, language, translate  # deferred: per command (fast start)
    from till.money import format_cents  # deferred: per command (fast start)

    lang = lang or language()
    return [translate("Closed the {kind} {period} on till {till_id}: {tickets}, grand total {total} "
                      "(record {sequence} of chain G)", lang, kind=translate(KIND_NAMES[c.kind], lang),
                      period=c.period.label, till_id=c.till_id,
                      tickets=Counted("{count} ticket", "{count} tickets", c.totals.ticket_count),
                      total=format_cents(c.totals.grand_total, lang), sequence=c.sequence)
            for c in made]


def cmd_close(args: argparse.Namespace) -> int:
    """Close a day (default: today), a month or a year, with the cascade, and say what was closed."""
    from till.fiscal.closures import (  # deferred: per command (fast start)
        DAY, MONTH, YEAR, business_zone, close, parse_period,
    )

    ctx = open_shop(args)
    kind = {"day": DAY, "month": MONTH, "year": YEAR}[args.close_command]
    text = {DAY: getattr(args, "date", None), MONTH: getattr(args, "period", None),
            YEAR: getattr(args, "year", None)}[kind]
    day = parse_period(kind, text, ctx.config.shop.fiscal_year_start) if text else None
    made = close(ctx.sealer, kind, day, zone=business_zone(ctx.config), operator=_who())
    for line in _closed_lines(made):
        print(line)
    if ctx.config.sync is not None:  # the signed chain heads of the closure, to head office at once
        import sys  # deferred: only this message uses it

        from till.aftersale.jobs import send_chain_heads_now  # deferred: per command (fast start)
        from till.i18n import translate  # deferred: per command (fast start)

        if not send_chain_heads_now(ctx.config):
            print("till: " + translate("Head office did not get the chain heads yet: the outbox sends them later"),
                  file=sys.stderr)
    return OK


def cmd_report(args: argparse.Namespace) -> int:
    """Print the X report of the open day, or the Z report of a closure."""
    from reports.xz import x_report, z_report_for  # deferred: per command (fast start)
    from till.fiscal.closures import (  # deferred: per command (fast start)
        DAY, MONTH, YEAR, business_day, business_zone, parse_period, period_of,
    )
    from store.models import utcnow  # deferred: per command (fast start)

    ctx = open_shop(args)
    if args.report_command == "x":
        lines = x_report(ctx.config)
    else:
        if args.period:
            kind, label = MONTH, parse_period(MONTH, args.period).strftime("%Y-%m")
        elif args.year:
            start = ctx.config.shop.fiscal_year_start
            kind = YEAR
            label = period_of(YEAR, parse_period(YEAR, args.year, start), fiscal_year_start=start).label
        else:
            kind = DAY
            day = parse_period(DAY, args.date) if args.date else business_day(utcnow(), business_zone(ctx.config))
            label = day.isoformat()
        lines = z_report_for(ctx.config, kind, label)
    for line in lines:
        print(line)
    return OK


def cmd_analytics(args: argparse.Namespace) -> int:
    """Print an analytic report (``reports.registry``) as a table, CSV or JSON.

    The name, the ``--by`` field, the days and the limit are all checked before the database is
    opened, so a typo costs nothing and says what exists.
    """
    from reports.base import parse_day  # deferred: per command (fast start)
    from reports.registry import check, run  # deferred: per command (fast start)
    from reports.render import render  # deferred: per command (fast start)
    from till.fiscal.closures import business_zone  # deferred: per command (fast start)
    from till.i18n import language  # deferred: per command (fast start)

    check(args.report_command, args.by)
    first = parse_day(args.start) if args.start else None
    last = parse_day(args.end) if args.end else None
    if first is not None and last is not None and first > last:
        from reports.base import REVERSED, ReportError  # deferred: per command (fast start)

        raise ReportError(REVERSED, start=first.isoformat(), end=last.isoformat())
    ctx = open_shop(args)
    table = run(args.report_command, first, last, args.by, business_zone(ctx.config), args.limit)
    print(render(table, args.format, ctx.config.shop.locale or language()))
    return OK


def _add_analytics(report: Any) -> None:
    """One sub-command per analytic report, with the same options for all."""
    from reports.registry import REPORTS  # deferred: per command (fast start)
    from reports.render import FORMATS  # deferred: per command (fast start)

    for name, spec in REPORTS.items():
        sub = report.add_parser(name, help=spec.help)
        sub.add_argument("--from", dest="start", metavar="DATE", help="first business day, YYYY-MM-DD")
        sub.add_argument("--to", dest="end", metavar="DATE", help="last business day, YYYY-MM-DD (included)")
        sub.add_argument("--by", metavar="FIELD", help=f"group by: {', '.join(spec.by)} (default {spec.by[0]})")
        sub.add_argument("--format", choices=FORMATS, default="table", help="table (default), csv or json")
        sub.add_argument("--limit", type=int, help="show at most this many rows")
        sub.set_defaults(func=cmd_analytics)


def register(commands: Any, analytics: bool = True) -> None:
    """Add `close` and `report` to ``till``'s sub-commands (``commands`` = its sub-parsers);
    the analytic reports (``reports.registry``) only with ``analytics``."""
    close = commands.add_parser("close", help="fiscal closures: day, month, year").add_subparsers(
        dest="close_command", required=True)
    day = close.add_parser("day", help="close a business day (default: today), and earlier open days first")
    day.add_argument("--date", help="the day, YYYY-MM-DD (default: today)")
    day.set_defaults(func=cmd_close)
    month = close.add_parser("month", help="close a month, and its days not closed yet first")
    month.add_argument("--period", required=True, help="the month, YYYY-MM")
    month.set_defaults(func=cmd_close)
    year = close.add_parser("year", help="close a fiscal year, and its months not closed yet first")
    year.add_argument("--year", required=True,
                      help="the fiscal year: YYYY (the one ending that year, as for the FEC) or its label, "
                      "e.g. 2026-07/2027-06")
    year.set_defaults(func=cmd_close)

    report = commands.add_parser("report", help="X and Z reports, sales, returns, credit notes, customers, stock"
                                 ).add_subparsers(
        dest="report_command", required=True)
    report.add_parser("x", help="the open day's totals so far (closes nothing)").set_defaults(func=cmd_report)
    z = report.add_parser("z", help="print a closure (default: today's daily closure)")
    which = z.add_mutually_exclusive_group()
    which.add_argument("--date", help="a daily closure, YYYY-MM-DD")
    which.add_argument("--period", help="a monthly closure, YYYY-MM")
    which.add_argument("--year", help="a yearly closure: YYYY (the fiscal year ending that year, as for the "
                       "FEC) or its label, e.g. 2026-07/2027-06")
    z.set_defaults(func=cmd_report)
    if analytics:
        _add_analytics(report)
        from till.cli.signals import register as register_signals  # deferred: per command (fast start)

        register_signals(report)
