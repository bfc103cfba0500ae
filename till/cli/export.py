"""`till export fec --year YYYY --out DIR`: the FEC file of a fiscal year and its notice, for
the accountant and the tax auditor.

Kept apart from ``till.cli.main`` like ``cli_fiscal``; ``till.cli.main`` calls ``register(commands)``.
Thin: parse, call ``reports.fec.export_fec`` with the till's sealer (so every export from the
command is sealed in chain L, FEC_EXPORTED), say what was written. A year not wholly closed,
a missing SIRET or an existing file is a ``ReportError`` (a ``TillError``), printed on one line
by ``till.cli.main.main`` with exit status 2; nothing is written (nor sealed) then.
"""

from __future__ import annotations

import argparse
from typing import Any
from till.cli.common import open_shop
from till.i18n import Counted, N_

OK = 0
WROTE = N_("Wrote {file}: {entries}, {lines}, debit {debit} = credit {credit}")
WROTE_NOTICE = N_("Its description file (notice): {file}; SHA-256 of the FEC: {sha256}")


def cmd_export_fec(args: argparse.Namespace) -> int:
    from reports.fec import export_fec, parse_year  # deferred: per command (fast start)
    from till.i18n import translate  # deferred: per command (fast start)
    from till.money import format_cents  # deferred: per command (fast start)

    year = parse_year(args.year)  # checked before the database is opened
    ctx = open_shop(args)
    result = export_fec(ctx.config, year, args.out, encoding=args.encoding, sealer=ctx.sealer)
    lang = ctx.config.shop.locale
    print(translate(WROTE, lang, file=str(result.path),
                    entries=Counted("{count} entry", "{count} entries", result.entries),
                    lines=Counted("{count} line", "{count} lines", result.lines),
                    debit=format_cents(result.debit_cents, lang), credit=format_cents(result.credit_cents, lang)))
    print(translate(WROTE_NOTICE, lang, file=str(result.notice), sha256=result.sha256))
    return OK


def register(commands: Any) -> None:
    """Add `export` to ``till``'s sub-commands (``commands`` = its sub-parsers)."""
    export = commands.add_parser("export", help="files for the accountant and the tax auditor").add_subparsers(
        dest="export_command", required=True)
    fec = export.add_parser("fec", help="the FEC (Fichier des Écritures Comptables) of a closed fiscal year")
    fec.add_argument("--year", required=True,
                     help="the fiscal year, YYYY: the one that ends in that calendar year (shop.fiscal_year_start); "
                          "all its days must be closed")
    fec.add_argument("--out", required=True, metavar="DIR",
                     help="an existing folder; the files are SIRENFECAAAAMMJJ.txt (AAAAMMJJ: the fiscal year's last "
                          "day) and SIRENFECAAAAMMJJ_notice.txt")
    fec.add_argument("--encoding", choices=("iso-8859-15", "utf-8"), default="iso-8859-15",
                     help="ISO-8859-15 (default, as the tax administration reads it) or UTF-8")
    fec.set_defaults(func=cmd_export_fec)
