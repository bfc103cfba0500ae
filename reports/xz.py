"""The X and Z reports, as plain text lines a receipt printer or a terminal shows as they are.

- X report: the open day's totals so far, computed live from the tickets; it closes nothing and
  says so on the paper (a cashier prints it mid-day to count the drawer).
- Z report: a closure, printed from its sealed record's payload only. The figures are never
  recomputed (fiscal-fr.md R-CON-04): a Z printed a year later shows what was sealed, even if
  someone altered tickets since (``till.fiscal.closure_check`` is what finds that).

Both share one body layout (tickets, VAT per rate, means of payment, totals), in the shop's
language, amounts through ``till.money.format_cents``, at the printer's width. No Textual.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from store.models import utcnow
from till import __version__
from till.fiscal.canonical import signature_extract
from till.fiscal.cash_moves import KIND_LABELS, expected_cash, period_cash_moves, with_corrections
from till.fiscal.extracts import extract_rule, ticket_extract
from till.fiscal.heads import heads_of_closure, short_digest
from till.fiscal.key_chain import key_chain_of
from till.fiscal.closures import (
    CLOSURE_CHAIN,
    DAY,
    MONTH,
    Closure,
    Totals,
    business_day,
    business_zone,
    card_outcomes_unknown,
    get_closure,
    period_of,
    period_totals,
)
from till.i18n import N_, translate
from till.means import means as means_of
from till.money import format_cents, format_rate

__all__ = ["x_report", "z_report", "z_report_for"]

Z_TITLES = {DAY: N_("Z REPORT - DAILY CLOSURE"), MONTH: N_("Z REPORT - MONTHLY CLOSURE"),
            "year": N_("Z REPORT - YEARLY CLOSURE")}
X_TITLE = N_("X REPORT - NOT A CLOSURE")
COUNT_LABELS = {"sale": N_("Sales"), "return": N_("Returns"), "exchange": N_("Exchanges"),
                "cancellation": N_("Cancellations")}


class _Paper:
    """Lines of at most ``width`` characters, in one language."""

    def __init__(self, lang: str, width: int) -> None:
        self.lang, self.width, self.lines = lang, width, []

    def t(self, message: str, **params: object) -> str:
        return translate(message, self.lang, **params)

    def money(self, cents: int, symbol: bool = False) -> str:
        return format_cents(cents, self.lang, symbol=symbol)

    def center(self, text: str) -> None:
        self.lines.append(text[:self.width].center(self.width).rstrip())

    def text(self, text: str) -> None:
        self.lines.append(text[:self.width])

    def pair(self, left: str, right: str) -> None:
        room = max(1, self.width - len(right) - 1)
        self.lines.append(f"{left[:room]:<{room}} {right}"[:self.width])

    def rule(self, char: str = "-") -> None:
        self.lines.append(char * self.width)

    def row(self, cells: tuple[str, ...]) -> None:
        column = self.width // len(cells)
        first, *rest = cells
        self.lines.append((first[:column].ljust(column) + "".join(c[:column].rjust(column) for c in rest))[:self.width])

    def date(self, day: dt.date) -> str:
        return day.strftime("%d/%m/%Y" if self.lang == "fr" else "%Y-%m-%d")

    def when(self, utc: dt.datetime, zone: dt.tzinfo) -> str:
        local = utc.replace(tzinfo=dt.timezone.utc).astimezone(zone)
        return local.strftime("%d/%m/%Y %H:%M" if self.lang == "fr" else "%Y-%m-%d %H:%M")


def _header(paper: _Paper, config: Any, title: str) -> None:
    shop = config.shop
    for text in (shop.name, shop.address, shop.siret and f"SIRET {shop.siret}",
                 shop.vat_number and paper.t("VAT no. {number}", number=shop.vat_number)):
        if text:
            paper.center(text)
    paper.lines.append("")
    paper.center(paper.t(title))


def _body(paper: _Paper, totals: Totals) -> None:
    """Tickets, VAT per rate, means of payment and the period's totals: the same for X and Z."""
    t, money = paper.t, paper.money
    paper.rule()
    paper.pair(t("Tickets"), str(totals.ticket_count))
    for kind, count in totals.counts:
        paper.pair("  " + t(COUNT_LABELS.get(kind, kind)), str(count))
    if totals.first_ticket is not None:
        paper.pair(t("Ticket numbers"), f"{totals.first_ticket} - {totals.last_ticket}")
    paper.rule()
    paper.row((t("VAT"), t("Net"), t("Tax"), t("Total")))
    for rate_bp, ttc, ht, vat in totals.vat:
        paper.row((f"{format_rate(rate_bp, paper.lang)} %", money(ht), money(vat), money(ttc)))
    paper.row((t("All rates"), money(sum(v[2] for v in totals.vat)), money(sum(v[3] for v in totals.vat)),
               money(sum(v[1] for v in totals.vat))))
    paper.rule()
    paper.text(t("Means of payment"))
    for means, net, in_, out in totals.payments:
        paper.pair("  " + means_of(means).text(paper.lang), money(net))
        if out and in_:
            paper.pair("    " + t("in {amount}", amount=money(in_)), t("out {amount}", amount=money(out)))
    paper.rule()
    paper.pair(t("Sales"), money(totals.sales))
    paper.pair(t("Returns"), money(-totals.returns))
    paper.pair(t("GRAND TOTAL"), money(totals.grand_total, symbol=True))


def _cash_moves(paper: _Paper, moves: dict[str, Any], expected: int) -> None:
    """Chain P documents of the period per kind (count, amount), and the cash the drawer should
    hold now: what the cashier counts the drawer against (``till.fiscal.cash_moves``)."""
    paper.rule()
    _moves_by_kind(paper, moves)
    paper.pair(paper.t("Cash expected in the drawer"), paper.money(expected, symbol=True))


def _moves_by_kind(paper: _Paper, moves: dict[str, Any]) -> None:
    if moves["kinds"]:
        paper.text(paper.t("Cash moves"))
        for kind, done in sorted(moves["kinds"].items()):
            label = paper.t(KIND_LABELS.get(kind, kind))
            paper.pair(f"  {label} ({done['count']})", paper.money(done["amount_cents"]))


def _non_sale(paper: _Paper, moves: dict[str, Any] | None) -> None:
    """The chain P documents a closure counted, as sealed (R-CON-03 "non-sale movements"): per
    kind, the drawer's net change and each means' net correction; the per-means totals above
    stay those of the tickets, as they were paid. Closures sealed before chain P print none."""
    if not moves or not moves.get("count"):
        return
    t, money = paper.t, paper.money
    paper.rule()
    paper.text(t("Non-sale documents No. {first} to {last}", first=moves["first_number"], last=moves["last_number"]))
    _moves_by_kind(paper, moves)
    paper.pair(t("Drawer change without a sale"), money(moves["drawer_cents"]))
    for means, net in sorted(moves["corrections"].items()):
        paper.pair(t("Means corrected: {means}", means=means_of(means).text(paper.lang)), money(net))


def _activity(paper: _Paper, activity: dict[str, Any] | None) -> None:
    """What the period counted besides its tickets (R-CON-03); closures sealed before these
    counts (payload shape 1) print without them."""
    if activity is None:
        return
    t = paper.t
    paper.rule()
    paper.pair(t("Duplicates printed"), str(activity["duplicates"]))
    paper.pair(t("Training tickets"), str(activity["training_tickets"]))
    paper.pair(t("Lines voided"), str(activity["voided_lines"]))
    paper.pair(t("Quantities lowered"), str(activity["quantities_lowered"]))


def _year_to_date(paper: _Paper, fiscal_year: dict[str, Any] | None, totals: dict[str, Any] | None) -> None:
    """The cumulative figures since the start of the fiscal year, as sealed (R-CON-03)."""
    if fiscal_year is None or totals is None:
        return
    t, money = paper.t, paper.money
    paper.rule()
    paper.text(t("Fiscal year to date"))
    paper.text(t("Fiscal year {label}", label=fiscal_year["label"]))
    paper.text(t("From {first} to {last}", first=paper.date(dt.date.fromisoformat(fiscal_year["first_day"])),
                 last=paper.date(dt.date.fromisoformat(fiscal_year["last_day"]))))
    paper.row((t("VAT"), t("Net"), t("Tax"), t("Total")))
    for rate in totals["vat"]:
        paper.row((f"{format_rate(rate['rate_bp'], paper.lang)} %", money(rate["ht_cents"]),
                   money(rate["vat_cents"]), money(rate["ttc_cents"])))
    paper.pair(t("Sales"), money(totals["sales_cents"]))
    paper.pair(t("Returns"), money(-totals["returns_cents"]))
    paper.pair(t("Fiscal year grand total"), money(totals["grand_total_cents"], symbol=True))


def _card_outcomes(paper: _Paper, count: int) -> None:
    """Card requests whose outcome is unknown: money that may have moved with no ticket yet. A
    manager settles each from the terminal's own journal; until then the counter knows it."""
    paper.rule()
    paper.pair(paper.t("Card outcomes to check"), str(count))
    if count:
        paper.text(paper.t("A manager settles them: F1 then F10, or till card pending"))


def x_report(config: Any, till_id: str | None = None, now: dt.datetime | None = None,
             width: int | None = None) -> list[str]:
    """The X report of the open business day: live totals, no closure, nothing written."""

    zone = business_zone(config)
    now = now or utcnow()
    till_id = till_id or config.till.id
    paper = _Paper(config.shop.locale, width or config.printer.width)
    period = period_of(DAY, business_day(now, zone), zone)
    end = min(period.end, now + dt.timedelta(seconds=1))
    totals = period_totals(till_id, period.start, end)
    moves = period_cash_moves(till_id, period.start, end)  # chain P: the means as corrected, the drawer
    totals = dataclasses.replace(totals, payments=with_corrections(totals.payments, moves["corrections"]))
    _header(paper, config, X_TITLE)
    paper.text(paper.t("Till {till}", till=till_id))
    paper.text(paper.t("Day {day}", day=paper.date(period.first_day)))
    paper.text(paper.t("Printed on {time}", time=paper.when(now, zone)))
    _body(paper, totals)
    _cash_moves(paper, moves, expected_cash(till_id))
    _card_outcomes(paper, card_outcomes_unknown(till_id))
    paper.lines.append("")
    paper.center(paper.t("Totals so far: nothing is closed"))
    paper.center(f"till {__version__}")
    return paper.lines


def z_report(config: Any, closure: Closure, width: int | None = None) -> list[str]:
    """The Z report of a sealed ``closure``, from its payload alone (never recomputed)."""
    paper = _Paper(config.shop.locale, width or config.printer.width)
    t, money, period, payload = paper.t, paper.money, closure.period, closure.payload
    zone = business_zone(config)
    _header(paper, config, Z_TITLES.get(closure.kind, closure.kind.upper()))
    paper.text(t("Till {till}  Closure No. {number}", till=closure.till_id, number=closure.sequence))
    if period.first_day == period.last_day:
        paper.text(t("Period: {first}", first=paper.date(period.first_day)))
    else:
        paper.text(t("Period: {first} to {last}", first=paper.date(period.first_day),
                     last=paper.date(period.last_day)))
    closed_at = dt.datetime.fromisoformat(payload["closed_at"].removesuffix("Z"))
    paper.text(t("Closed on {time}", time=paper.when(closed_at, zone)))
    operator = (payload.get("operator") or {}).get("name")
    if payload.get("automatic"):
        paper.text(t("Closed automatically by the till"))
    elif operator:
        paper.text(t("By: {name}", name=operator))
    _body(paper, closure.totals)
    paper.pair(t("Perpetual grand total"), money(closure.perpetual_total))
    paper.pair(t("Perpetual total (absolute)"), money(closure.perpetual_absolute))
    _activity(paper, payload.get("activity"))
    _non_sale(paper, payload.get("non_sale"))
    _year_to_date(paper, payload.get("fiscal_year"), payload.get("year_to_date"))
    notes = payload.get("credit_notes") or {}
    if notes.get("issued_cents") or notes.get("redeemed_cents"):
        paper.rule()
        paper.pair(t("Credit notes issued"), money(notes.get("issued_cents", 0)))
        paper.pair(t("Credit notes redeemed"), money(notes.get("redeemed_cents", 0)))
    if "card_outcomes_unknown" in payload:  # closures sealed before it was counted do not say
        _card_outcomes(paper, payload["card_outcomes_unknown"])
    paper.lines.append("")
    if closure.totals.last_ticket_signature:
        paper.center(t("Last ticket signature {extract}", extract=ticket_extract(
            closure.till_id, closure.totals.last_ticket, closure.totals.last_ticket_signature)))
    paper.center(t("Signature {extract}", extract=signature_extract(
        closure.signature, extract_rule(closure.till_id, CLOSURE_CHAIN, closure.sequence)) if closure.signature else "----"))
    heads = heads_of_closure(closure.till_id, closure.sequence)
    if heads is not None:  # the signed chain heads as closed: this paper is an anchor too
        paper.center(t("Chain heads"))
        paper.center(short_digest(heads["digest"]))
    _root_key(paper, closure.till_id)
    paper.center(f"till {__version__}")
    return paper.lines


def _root_key(paper: _Paper, till_id: str) -> None:
    """The fingerprint of the root of the till's key chain (``till.fiscal.key_chain``): every Z
    report carries it, so the shop's paper keeps, outside the database, the key every record
    must lead back to. An inspector compares it with ``till journal verify`` and the archives.
    Two lines of four groups where the paper is narrower than the whole."""
    root = key_chain_of(till_id).fingerprint
    if root is None:
        return
    label = paper.t("Root key")
    if len(label) + 1 + len(root) <= paper.width:
        paper.center(f"{label} {root}")
        return
    paper.center(label)
    half = len(root) // 2
    for part in (root[:half].strip(), root[half:].strip()):
        paper.center(part)


def z_report_for(config: Any, kind: str, label: str, till_id: str | None = None,
                 width: int | None = None) -> list[str]:
    """The Z report of the till's closure of ``kind`` for ``label``; ``ClosureError`` if none."""
    return z_report(config, get_closure(till_id or config.till.id, kind, label), width)
