"""`till report signals`: the loss-prevention signals of a period, as a table, CSV or JSON.

Thin like the rest of the CLI: the days are checked before the database is opened, then
``till.loss.report`` computes the rows and ``reports.render`` prints them.
"""

from __future__ import annotations

import argparse
from typing import Any

from till.cli.common import open_shop

OK = 0


def cmd_signals(args: argparse.Namespace) -> int:
    """Print every signal of ``--from``..``--to`` with its grounds and its dismissal."""
    from reports.base import REVERSED, Column, ReportError, ReportPeriod, Table, parse_day  # deferred: per command (fast start)
    from reports.render import render  # deferred: per command (fast start)
    from till.fiscal.closures import business_zone  # deferred: per command (fast start)
    from till.i18n import language  # deferred: per command (fast start)
    from till.loss.report import COLUMNS, signal_rows  # deferred: per command (fast start)
    from till.loss.signals import period_of, thresholds_of  # deferred: per command (fast start)

    first, last = parse_day(args.start), parse_day(args.end)
    if first > last:
        raise ReportError(REVERSED, start=first.isoformat(), end=last.isoformat())
    ctx = open_shop(args)
    zone = business_zone(ctx.config)
    lang = ctx.config.shop.locale or language()
    rows = signal_rows(period_of(first, last, zone), thresholds_of(ctx.config.loss_prevention), lang)
    table = Table("signals", None, ReportPeriod(first, last, zone), tuple(Column(name, "text") for name in COLUMNS),
                  [tuple(row[name] for name in COLUMNS) for row in rows])
    print(render(table, args.format, lang))
    return OK


def register(report: Any) -> None:
    """Add ``signals`` to ``till report``'s sub-commands (``report`` = its sub-parsers)."""
    from reports.render import FORMATS  # deferred: per command (fast start)

    sub = report.add_parser("signals", help="signals of possible return abuse, with their evidence and dismissals")
    sub.add_argument("--from", dest="start", metavar="DATE", required=True, help="first business day, YYYY-MM-DD")
    sub.add_argument("--to", dest="end", metavar="DATE", required=True, help="last business day, YYYY-MM-DD (included)")
    sub.add_argument("--format", choices=FORMATS, default="table", help="table (default), csv or json")
    sub.set_defaults(func=cmd_signals)
