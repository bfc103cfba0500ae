"""Turn a written ticket into the receipt the customer gets, with the legal mentions.

Reads the ticket's stored figures (never recomputes them) and formats them in the shop's
language; ``devices.receipt.layout`` then fits them to the paper.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable

from store.models import GRAM, FiscalRecord, Payment, Ticket, TicketLine, TicketVat

from devices.receipt import Receipt, ReceiptLine
from till.aftersale.receipt_proofs import ProofSigner, proof_text
from till.config.loader import Config
from till.fiscal.closure_totals import business_zone
from till.fiscal.extracts import record_extract
from till.fiscal.payloads import printed_issuer
from till.i18n import N_, translate, translate_plural
from till.credit.loyalty import receipt_lines as loyalty_lines
from till.means import CHANGE, means
from till.money import format_cents, format_rate

TITLES = {"sale": N_("SALE"), "return": N_("RETURN"), "exchange": N_("EXCHANGE"), "cancellation": N_("CANCELLATION")}


def local_time(utc: dt.datetime, zone: dt.tzinfo | None = None) -> dt.datetime:
    """A stored UTC time in the shop's time zone (``zone``; the machine's when None), as printed."""
    return utc.replace(tzinfo=dt.timezone.utc).astimezone(zone)


def legal_lines(shop, t) -> tuple[str, ...]:
    """Company name, form and capital, and "RCS <city> <SIREN>", when the configuration has them."""
    company = shop.legal_name
    if company and shop.share_capital:
        company = t("{company}, capital {capital}", company=company, capital=shop.share_capital)
    rcs = f"RCS {shop.rcs} {shop.siret[:9]}" if shop.rcs and len(shop.siret) >= 9 else ""
    return tuple(x for x in (company, rcs) if x)


VAT_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def vat_letters(rates: Iterable[int]) -> dict[int, str]:
    """The letter each VAT rate of a ticket is printed with: A for its highest rate, then B...

    A line shows its rate by letter (a rate in full would crowd a 32-column line) and the legend
    under the totals maps each letter to its rate with its HT, VAT and TTC. Per ticket, so the
    same letters are read on the paper and in the legend beside them."""
    return {rate: VAT_LETTERS[index] for index, rate in enumerate(sorted(set(rates), reverse=True))}


def _duplicate_lines(ticket: Ticket, number: int, t, zone: dt.tzinfo) -> tuple[str, ...]:
    """DUPLICATA n°X, when the copy was made and its own signature extract (its chain C record)."""
    record = (FiscalRecord.select().where((FiscalRecord.chain == "C") & (FiscalRecord.ticket_id == ticket.id))
              .order_by(FiscalRecord.sequence).offset(number - 1).first())
    lines = [t("DUPLICATE No. {number}", number=number)]
    if record is not None:
        lines.append(t("Copy of {when}, signature {extract}",
                       when=local_time(record.created_at, zone).strftime("%d/%m/%Y %H:%M"),
                       extract=record_extract(record)))
    return tuple(lines)


def build_receipt(config: Config, ticket: Ticket, duplicate: int | None = None,
                  signer: ProofSigner | None = None) -> Receipt:
    """The receipt of ``ticket`` in the shop's locale; copy number ``duplicate`` says so on top
    (recorded in chain C by ``till.aftersale.duplicates``). With the till's ``signer``, a sale's
    receipt carries its signed proof for the QR code (``till.aftersale.receipt_proofs``); without
    one (a tool printing a copy away from the till's key) it is printed without."""
    lang = config.shop.locale

    def t(message: str, **params: object) -> str:
        return translate(message, lang, **params)

    def money(cents: int) -> str:
        return format_cents(cents, lang, symbol=False)

    shop = config.shop
    zone = business_zone(config)
    record = FiscalRecord.get_or_none((FiscalRecord.ticket_id == ticket.id)
                                      & (FiscalRecord.chain == ("X" if ticket.training else "T")))
    issuer = printed_issuer(record, shop)
    header = tuple(x for x in (issuer.name, issuer.address, *legal_lines(shop, t),
                               issuer.siret and f"SIRET {issuer.siret}",
                               issuer.vat_number and t("VAT no. {number}", number=issuer.vat_number)) if x)
    vat_rows = [(t("VAT"), t("Net"), t("Tax"), t("Total"))]
    ht = vat = 0
    rates = list(TicketVat.select().where(TicketVat.ticket == ticket).order_by(TicketVat.rate_bp.desc()))
    line_rows = list(TicketLine.select().where(TicketLine.ticket == ticket).order_by(TicketLine.position))
    letters = vat_letters([row.rate_bp for row in rates] + [line.vat_rate_bp for line in line_rows])
    for row in rates:
        vat_rows.append((f"{letters[row.rate_bp]} {format_rate(row.rate_bp, lang)} %", money(row.ht_cents),
                         money(row.vat_cents), money(row.ttc_cents)))
        ht += row.ht_cents
        vat += row.vat_cents
    lines = []
    for line in line_rows:
        if line.unit == GRAM:
            quantity = f"{line.quantity / 1000:.3f} kg".replace(".", "," if lang == "fr" else ".")
        else:
            quantity = str(line.quantity)
        lines.append(ReceiptLine(
            label=line.label, quantity=quantity, unit_price=money(line.unit_price_cents),
            total=money(line.total_cents), vat_code=letters[line.vat_rate_bp],
            discount=t("discount {amount}", amount=money(-line.discount_cents)) if line.discount_cents else "",
        ))
    payments = []
    for payment in Payment.select().where(Payment.ticket == ticket).order_by(Payment.position):
        if payment.reference == CHANGE:
            label = t("Change")
        else:
            label = means(payment.means).text(lang)
        payments.append((label, money(payment.amount_cents)))
        if means(payment.means).reference_shown and payment.reference:
            payments.append(("  " + payment.reference, ""))  # its own line: a code is never cut
    when = local_time(ticket.created_at, zone)
    meta = (_duplicate_lines(ticket, duplicate, t, zone) if duplicate else ()) + (
        t("Ticket {code}", code=ticket.code),
        t("Till {till}  No. {number}", till=ticket.till_id, number=ticket.number),
        when.strftime("%d/%m/%Y %H:%M" if lang == "fr" else "%Y-%m-%d %H:%M"),
        t("Cashier: {name}", name=ticket.operator_name),
    ) + ((t("Customer: {name}", name=ticket.customer_name),) if ticket.customer_name else ()) \
      + ((t("Takes back {reference}", reference=ticket.origin_reference),) if ticket.origin_reference else ())
    title = t(TITLES.get(ticket.kind, ticket.kind.upper()))
    footer = (
        *loyalty_lines(ticket, lang),
        translate_plural("{count} line", "{count} lines", ticket.line_count, lang),
        t("Signature {extract}", extract=record_extract(record) if record else "----"),
        f"till {issuer.software_version}",
        t("Thank you for your visit"),
    )
    if ticket.training:  # a practice ticket must never pass for a real one (R-TRN)
        banner = t("TRAINING - NOT A RECEIPT")
        header, title, footer = (banner, *header), f"{t('TRAINING')} - {title}", (*footer, banner)
    return Receipt(
        header=header,
        title=title,
        meta=meta,
        lines=tuple(lines),
        totals=((t("Total excl. VAT"), money(ht)), (t("VAT"), money(vat)),
                (t("TOTAL"), format_cents(ticket.total_cents, lang))),
        vat_table=tuple(vat_rows),
        payments=tuple(payments),
        footer=footer,
        code=ticket.code,
        proof=(proof_text(config, ticket, signer) or "") if signer is not None else "",
    )
