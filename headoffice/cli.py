"""``till-headoffice``: enroll a till, serve the API, verify what is held, report across shops.

Exit codes as ``till``'s: 0 done, 1 a check failed (``verify`` found problems), 2 usage or
configuration. What it creates is private (umask 077, ``till.files``) and its logs never show a
credit-note code whole (``till.logmask``): both modules are plain standard library, shared with
the till as ``till.sync.protocol`` is. The configuration is a small TOML file (config/headoffice.example.toml):

    [headoffice]
    database = "postgresql://headoffice:pw@localhost/headoffice"
    host = "127.0.0.1"
    port = 8443
    tls_cert = "/etc/till-headoffice/tls/cert.pem"     # both or neither; required off loopback
    tls_key = "/etc/till-headoffice/tls/key.pem"
    max_skew_s = 300
    max_body_mib = 64                                   # a larger request is refused (413) unread
    log_file = "/var/log/till-headoffice/headoffice.log"
    hold_sweep_s = 30                                   # how often web-shop holds past their time are given back
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
import tomllib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from headoffice.app import create_app
from headoffice.credit_report import FIGURES, credit_notes_by_shop
from headoffice.documents import add_orders, publish_catalogue
from headoffice.ingest import start_checkers
from headoffice.limits import body_limit
from headoffice.report import returns_across_shops, sales_report
from headoffice.signals import format_rows, signal_rows
from headoffice.signals_cross_shop import CrossShopThresholds
from headoffice.store import Alert, Till, TillKey, TillRoot, open_database, proxy
from headoffice.verify import verify_all
from headoffice.webshop_app import schema_text
from headoffice.webshop_delivery import deliver_due, start_delivery
from headoffice.webshop_auth import SCOPES, add_webshop, list_webshops, revoke_webshop
from headoffice.webshop_credit import start_hold_sweeper
from headoffice.webshop_orders import PublishedCatalogue
from headoffice.web.user_cli import add_user_parser
from till import logmask
from till.errors import TillError
from till.sync.order_format import OrderFormatError, check_order
from till.files import create_private, private_umask
from till.fiscal.key_chain import fingerprint, normalise_fingerprint
from till.fiscal.keys import key_id_of

OK, FAILED, USAGE = 0, 1, 2
log = logging.getLogger("headoffice")


def load_settings(path: str | None) -> dict[str, Any]:
    path = path or os.environ.get("TILL_HEADOFFICE_CONFIG") or "headoffice.toml"
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise SystemExit(f"till-headoffice: cannot read {path}: {error}") from None
    settings = raw.get("headoffice", {})
    if not isinstance(settings.get("database"), str):
        raise SystemExit(f"till-headoffice: {path}: headoffice.database is required")
    return settings


def _setup_logging(settings: dict[str, Any]) -> None:
    """Log to stderr and the log file (made 0600), credit-note codes masked on every handler and
    on uvicorn's access log, whose request lines carry ``/v1/credit-notes/{code}/...``."""

    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if settings.get("log_file"):
        create_private(settings["log_file"])
        handlers.append(logging.FileHandler(settings["log_file"], encoding="utf-8"))
    logmask.install(*handlers, logging.getLogger("uvicorn.access"), logging.getLogger("uvicorn.error"))
    logging.basicConfig(level=logging.INFO, handlers=handlers, format="%(asctime)s %(levelname)s %(name)s %(message)s")


def enroll(till_id: str, shop_id: str, public_pem: str, name: str = "", root: str | None = None) -> str:
    """Register ``till_id`` of ``shop_id`` with its public key; returns the key id. Re-enrolling
    the same key is harmless; a till keeps every key it ever had (its old records need them).

    The root of the till's key chain is pinned too: ``root`` (the fingerprint ``till init`` and
    the Z reports print), or, for a till enrolled before any key rotation, the key enrolled. A
    pin is never moved: enrolling with another root is refused."""

    key_id = key_id_of(public_pem)
    try:
        root_id = None if root is None else normalise_fingerprint(root)
    except ValueError:
        raise SystemExit(f"till-headoffice: {root!r} is not a key fingerprint (32 hexadecimal digits)") from None
    with proxy.obj.atomic():
        till = Till.get_or_none(Till.till_id == till_id)
        if till is None:
            Till.create(till_id=till_id, shop_id=shop_id, name=name)
        elif till.shop_id != shop_id:
            raise SystemExit(f"till-headoffice: till {till_id} is enrolled for shop {till.shop_id}, not {shop_id}")
        existing = TillKey.get_or_none(TillKey.key_id == key_id)
        if existing is not None and existing.till_id != till_id:
            raise SystemExit(f"till-headoffice: key {key_id} is enrolled for till {existing.till_id}")
        TillKey.insert(key_id=key_id, till_id=till_id, public_key_pem=public_pem).on_conflict_ignore().execute()
        pinned = TillRoot.get_or_none(TillRoot.till_id == till_id)
        if pinned is None:
            TillRoot.create(till_id=till_id, root_key_id=root_id or key_id)
        elif root_id is not None and pinned.root_key_id != root_id:
            raise SystemExit(f"till-headoffice: till {till_id} is pinned to root key "
                             f"{fingerprint(pinned.root_key_id)}, not {fingerprint(root_id)}")
    return key_id


def cmd_enroll(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    open_database(settings["database"])
    pem = Path(args.public_key).read_text(encoding="ascii") if args.public_key != "-" else sys.stdin.read()
    key_id = enroll(args.till_id, args.shop, pem, args.name or "", args.root)
    print(f"till {args.till_id} of shop {args.shop} enrolled with key {key_id}")
    root = TillRoot.get(TillRoot.till_id == args.till_id).root_key_id
    print(f"root key fingerprint {fingerprint(root)} (compare it with the till's Z reports)")
    return OK


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn  # deferred: the web server only when head office serves


    settings = load_settings(args.config)
    _setup_logging(settings)
    host, port = args.host or settings.get("host", "127.0.0.1"), int(args.port or settings.get("port", 8443))
    cert, key = settings.get("tls_cert"), settings.get("tls_key")
    if bool(cert) != bool(key):
        print("till-headoffice: tls_cert and tls_key go together", file=sys.stderr)
        return USAGE
    if not cert and host not in ("127.0.0.1", "::1", "localhost"):
        print("till-headoffice: serving off loopback needs tls_cert and tls_key (or a TLS proxy in front "
              "and host = 127.0.0.1)", file=sys.stderr)
        return USAGE
    app = create_app(settings["database"], int(settings.get("max_skew_s", 300)), body_limit(settings))
    start_checkers()  # the workers' start is paid here, not by the first batch a till sends
    # Beside the server, never after it: web-shop holds left to expire given back, and the web
    # shops' webhooks (no request waits on them); both stop when the server does.
    beside = [start_hold_sweeper(float(settings.get("hold_sweep_s", 30))), start_delivery()]
    try:
        uvicorn.run(app, host=host, port=port, ssl_certfile=cert, ssl_keyfile=key, log_config=None,
                    proxy_headers=bool(settings.get("behind_proxy", False)))
    finally:
        for stop in beside:
            stop.set()
    return OK


def cmd_verify(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    open_database(settings["database"])
    problems = verify_all(args.till)
    for till_id, chain, sequence, problem in problems:
        print(f"{till_id}/{chain} #{sequence}: {problem}")
    print("every chain held verifies" if not problems else f"{len(problems)} problems")
    return OK if not problems else FAILED


def cmd_report(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    open_database(settings["database"])
    if args.what == "signals":
        return report_signals(args, settings)
    rows = sales_report(args.since, args.until)
    across = returns_across_shops(args.since, args.until)
    credit = credit_notes_by_shop()
    if args.json:
        print(json.dumps({"tills": rows, "returns_by_selling_shop": across["by_selling_shop"],
                          "returns_by_returning_shop": across["by_returning_shop"],
                          "credit_notes_by_issuing_shop": credit}, sort_keys=True))
        return OK
    print(f"{'shop':<12}{'till':<10}{'tickets':>9}{'sales €':>14}{'returns €':>14}{'net €':>14}")
    for row in rows:
        print(f"{row['shop_id']:<12}{row['till_id']:<10}{row['tickets']:>9}{_euros(row['sales_cents']):>14}"
              f"{_euros(row['returns_cents']):>14}{_euros(row['net_cents']):>14}")
    for title, key in (("returns of receipts by selling shop", "by_selling_shop"),
                       ("returns of receipts by returning shop", "by_returning_shop")):
        if across[key]:
            print(f"\n{title}\n{'shop':<12}{'returns':>9}{'amount €':>14}")
            for row in across[key]:
                print(f"{row['shop_id']:<12}{row['returns']:>9}{_euros(row['amount_cents']):>14}")
    if credit:
        print("\ncredit notes by issuing shop (€)\n" + f"{'shop':<12}{'notes':>7}"
              + "".join(f"{name.replace('_', ' '):>16}" for name in FIGURES))
        for row in credit:
            print(f"{row['shop_id']:<12}{row['notes']:>7}"
                  + "".join(f"{_euros(row[name + '_cents']):>16}" for name in FIGURES))
    return OK


def cmd_aggregates(args: argparse.Namespace) -> int:
    """Fill the pages' figures again from every ticket record held (after an upgrade)."""
    from headoffice.aggregates import rebuild  # deferred: only this command reads every record

    settings = load_settings(args.config)
    open_database(settings["database"])
    print(f"aggregates rebuilt from {rebuild()} ticket records")
    return OK


def report_signals(args: argparse.Namespace, settings: dict[str, Any]) -> int:
    """``report signals --from --to``: every shop's loss-prevention signals and those across shops."""
    try:
        first, last = (dt.date.fromisoformat(args.from_day), dt.date.fromisoformat(args.to_day or args.from_day))
        zone = ZoneInfo(settings.get("zone", "Europe/Paris"))
        thresholds = CrossShopThresholds.from_settings(_section(args.config, "loss_prevention"))
    except (TypeError, ValueError, ZoneInfoNotFoundError) as error:
        print(f"till-headoffice: report signals: {error or 'give --from YYYY-MM-DD'}", file=sys.stderr)
        return USAGE
    print(format_rows(signal_rows(first, last, zone, thresholds), args.format))
    return OK


def _section(path: str | None, name: str) -> dict[str, Any]:
    """Another section of headoffice.toml than ``[headoffice]`` (read by ``load_settings`` first)."""
    path = path or os.environ.get("TILL_HEADOFFICE_CONFIG") or "headoffice.toml"
    return tomllib.loads(Path(path).read_text(encoding="utf-8")).get(name, {})


def _euros(cents: int) -> str:
    """Cents as euros with two decimals, by integer arithmetic (no float near money)."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def cmd_alerts(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    open_database(settings["database"])
    query = Alert.select().order_by(Alert.id)
    if not args.all:
        query = query.where(Alert.acknowledged == False)  # noqa: E712
    alerts = list(query)
    for alert in alerts:
        print(f"#{alert.id} {alert.created_at} {alert.code} {alert.till_id}/{alert.chain} "
              f"#{alert.sequence if alert.sequence is not None else '-'}: {alert.message}")
    if args.acknowledge:
        Alert.update(acknowledged=True).where(Alert.id.in_([a.id for a in alerts])).execute()
    return OK if not alerts else FAILED


def cmd_catalogue(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    open_database(settings["database"])
    print(f"catalogue version {publish_catalogue(json.loads(Path(args.file).read_text(encoding='utf-8')))}")
    return OK


def cmd_orders(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    open_database(settings["database"])
    data = json.loads(Path(args.file).read_text(encoding="utf-8"))
    orders = data.get("orders") if isinstance(data, dict) else None
    if not isinstance(orders, list):
        print('till-headoffice: an order file holds {"orders": [...]}', file=sys.stderr)
        return FAILED
    catalogue = PublishedCatalogue()
    try:  # the rules the tills and the web-shop API apply: one bad order and the file is refused whole
        for index, order in enumerate(orders, start=1):
            check_order(order, index, catalogue)
    except OrderFormatError as error:
        print(f"till-headoffice: {error.text()}", file=sys.stderr)
        return FAILED
    print(f"{add_orders(orders, args.shop)} new orders")
    return OK


def cmd_webshop(args: argparse.Namespace) -> int:
    """``webshop add|revoke|list|openapi``: the web shops allowed to call the web-shop API."""
    if args.action == "openapi":  # the published schema needs no database
        sys.stdout.write(schema_text())
        return OK
    settings = load_settings(args.config)
    open_database(settings["database"])
    if args.action == "deliver":  # one pass, for cron: what is due to the webhooks
        with proxy.obj.connection_context():
            done = deliver_due()
        print(f"{done['delivered']} events delivered, {done['failed']} failed (tried again later)")
        return OK
    if args.action == "add":
        if not args.name:
            print("till-headoffice: webshop add NAME", file=sys.stderr)
            return USAGE
        scopes = tuple(part for part in (args.scopes or ",".join(SCOPES)).split(",") if part)
        try:
            key, secret = add_webshop(args.name, scopes, args.webhook)
        except ValueError as error:
            print(f"till-headoffice: {error}", file=sys.stderr)
            return USAGE
        print(f"web shop {args.name} added, scopes {' '.join(scopes)}")
        print(f"API key (shown once, give it to the web shop): {key}")
        print(f"webhook secret (shown once; signs what head office sends the web shop): {secret}")
        return OK
    if args.action == "revoke":
        if not revoke_webshop(args.name or ""):
            print(f"till-headoffice: no web shop {args.name} with a key in use", file=sys.stderr)
            return FAILED
        print(f"web shop {args.name}: key revoked")
        return OK
    for shop in list_webshops():
        print(f"{shop['name']}\tkey {shop['key_id']}\t{' '.join(shop['scopes'])}\t"
              f"{'revoked' if shop['revoked'] else 'in use'}\t{shop['webhook_url'] or '-'}")
    return OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="till-headoffice", description="the receiving side of till sync")
    parser.add_argument("--config", help="headoffice.toml (default: $TILL_HEADOFFICE_CONFIG or ./headoffice.toml)")
    commands = parser.add_subparsers(dest="command", required=True)
    enroll_p = commands.add_parser("enroll", help="register a till and its public key")
    enroll_p.add_argument("till_id")
    enroll_p.add_argument("--shop", required=True)
    enroll_p.add_argument("--public-key", required=True, help="PEM file (`till sync --public-key` prints it), or -")
    enroll_p.add_argument("--name")
    enroll_p.add_argument("--root", metavar="FINGERPRINT",
                          help="the till's root key fingerprint (`till init` and every Z report print it); "
                               "default: the key enrolled")
    enroll_p.set_defaults(func=cmd_enroll)
    serve = commands.add_parser("serve", help="run the API (uvicorn)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(func=cmd_serve)
    verify = commands.add_parser("verify", help="check every record held again")
    verify.add_argument("--till")
    verify.set_defaults(func=cmd_verify)
    report = commands.add_parser("report", help="sales and returns per shop and till; `report signals`: the "
                                                "loss-prevention signals of every shop and across shops")
    report.add_argument("what", nargs="?", choices=("sales", "signals"), default="sales")
    report.add_argument("--from", dest="from_day", help="signals: first business day, YYYY-MM-DD")
    report.add_argument("--to", dest="to_day", help="signals: last business day, YYYY-MM-DD (default: --from)")
    report.add_argument("--format", choices=("table", "csv", "json"), default="table", help="signals: output")
    report.add_argument("--since", help="YYYY-MM-DD (UTC)")
    report.add_argument("--until", help="YYYY-MM-DD (UTC, excluded)")
    report.add_argument("--json", action="store_true")
    report.set_defaults(func=cmd_report)
    alerts = commands.add_parser("alerts", help="list the alerts not yet acknowledged (exit 1 if any)")
    alerts.add_argument("--all", action="store_true", help="acknowledged ones too")
    alerts.add_argument("--acknowledge", action="store_true", help="mark the listed alerts as seen")
    alerts.set_defaults(func=cmd_alerts)
    catalogue = commands.add_parser("publish-catalogue", help="publish a catalogue JSON file to every till")
    catalogue.add_argument("file")
    catalogue.set_defaults(func=cmd_catalogue)
    orders = commands.add_parser("add-orders", help="add online orders from a JSON file {\"orders\": [...]}")
    orders.add_argument("file")
    orders.add_argument("--shop", help="only this shop may take them back (default: any)")
    orders.set_defaults(func=cmd_orders)
    aggregates = commands.add_parser("aggregates", help="the figures the pages read: rebuild them from the "
                                                        "records held (after an upgrade)")
    aggregates.add_argument("action", choices=("rebuild",))
    aggregates.set_defaults(func=cmd_aggregates)
    webshop = commands.add_parser("webshop", help="web shops allowed to call the web-shop API: add, revoke, list; "
                                                  "openapi prints the API's schema; deliver sends the "
                                                  "events due to the webhooks")
    webshop.add_argument("action", choices=("add", "revoke", "list", "openapi", "deliver"))
    webshop.add_argument("name", nargs="?")
    webshop.add_argument("--scopes", help=f"comma-separated, some of {','.join(SCOPES)} (default: all)")
    webshop.add_argument("--webhook", help="the https:// URL head office sends return notifications to")
    webshop.set_defaults(func=cmd_webshop)
    add_user_parser(commands, load_settings)  # the pages' users (headoffice.web.user_cli)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        with private_umask():  # its database, logs and TLS files are head office's user's alone
            return args.func(args)
    except TillError as error:  # e.g. the PostgreSQL driver is not installed: one line, what to do
        print(f"till-headoffice: {error.text('en')}", file=sys.stderr)
        return USAGE


if __name__ == "__main__":
    sys.exit(main())
