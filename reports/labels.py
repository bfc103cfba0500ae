"""What a person reads of a report: its title, grouping, column headings and coded values, translated.

The names in ``reports.registry`` and the column names of a ``Table`` (``net_cents``) are for
scripts (CSV, JSON) and never change; people get these labels instead, English message ids
with their French in ``till/locales/fr/reports.json``. A grouping is a whole phrase ("by VAT
rate", "par taux de TVA"), never "by" glued to a field name, because the words around it change
with the language. A name with no label here is shown as it is.
"""

from __future__ import annotations

from till.config.reasons import disposition_label, reason_label
from till.i18n import N_, translate
from till.means import means

TITLES = {
    "sales": N_("Sales"),
    "returns": N_("Returned items"),
    "return-rate": N_("Return rate"),
    "top-returns": N_("Most returned products"),
    "refunds": N_("Refunds"),
    "credit-notes": N_("Credit notes"),
    "customers": N_("Customers"),
    "stock": N_("Stock levels"),
    "stock-movements": N_("Stock movements"),
    "signals": N_("Loss-prevention signals"),
}
"""Report name -> its title."""

GROUPINGS = {
    "day": N_("by day"),
    "week": N_("by week"),
    "month": N_("by month"),
    "category": N_("by category"),
    "product": N_("by product"),
    "cashier": N_("by cashier"),
    "means": N_("by means of payment"),
    "rate": N_("by VAT rate"),
    "reason": N_("by reason"),
    "disposition": N_("by destination"),
    "status": N_("by status"),
    "customer": N_("by customer"),
    "location": N_("by location"),
}
"""Grouping field (``--by``) -> the phrase saying it."""

HEADINGS = {
    "day": N_("Day"),
    "week": N_("Week"),
    "month": N_("Month"),
    "category": N_("Category"),
    "product": N_("Product"),
    "cashier": N_("Cashier"),
    "means": N_("Means"),
    "rate_bp": N_("VAT rate"),
    "reason": N_("Reason"),
    "disposition": N_("Destination"),
    "status": N_("Status"),
    "customer": N_("Customer"),
    "customer_id": N_("Customer no."),
    "location": N_("Location"),
    "sku": N_("Ref."),
    "tickets": N_("Tickets"),
    "net_cents": N_("Net incl. VAT"),
    "ht_cents": N_("Excl. VAT"),
    "vat_cents": N_("VAT"),
    "quantity": N_("Qty"),
    "sales_cents": N_("Sales"),
    "returns_cents": N_("Returns"),
    "average_cents": N_("Average"),
    "payments": N_("Payments"),
    "in_cents": N_("Received"),
    "out_cents": N_("Given back"),
    "lines": N_("Lines"),
    "refunded_cents": N_("Refunded"),
    "sold": N_("Sold"),
    "returned": N_("Returned"),
    "return_rate_bp": N_("Return rate"),
    "refunds": N_("Refunds"),
    "notes": N_("Notes"),
    "amount_cents": N_("Amount"),
    "visits": N_("Visits"),
    "spent_cents": N_("Spent"),
    "returned_cents": N_("Returns"),
    "lifetime_cents": N_("Lifetime value"),
    "products": N_("Products"),
    "sellable": N_("Sellable"),
    "damaged": N_("Damaged"),
    "other": N_("Other"),
    "total": N_("Total quantity"),
    "in": N_("In"),
    "out": N_("Out"),
    "net": N_("Balance"),
}
"""Column name (as in CSV and JSON) -> its heading; ``rate_bp`` is a rate in the return-rate
report too, hence "Return rate" there (``HEADINGS_OF``)."""

HEADINGS_OF = {("return-rate", "rate_bp"): N_("Return rate"),
               **{("signals", column): heading for column, heading in (  # till.loss.report
                   ("day", N_("Day")), ("signal", N_("Signal")), ("subject", N_("About")), ("who", N_("Who")),
                   ("value", N_("Figure")), ("threshold", N_("Threshold")), ("how", N_("How")),
                   ("evidence", N_("Evidence")), ("dismissed", N_("Dismissed")), ("key", N_("Key")))}}
"""Headings that depend on the report: (report, column) -> heading."""

STATUSES = {"issued": N_("Issued"), "redeemed": N_("Redeemed"), "outstanding": N_("Outstanding"),
            "expired": N_("Expired")}
"""A credit note's row in the credit-notes report -> what people read."""

LOCATIONS = {"sellable": N_("Sellable"), "damaged": N_("Damaged"), "supplier_return": N_("Back to the supplier"),
             "repair": N_("To repair")}
"""A stock location's code -> what people read (a location of the shop's own: its code)."""

MESSAGES = (*TITLES.values(), *GROUPINGS.values(), *HEADINGS.values(), *HEADINGS_OF.values(),
            *STATUSES.values(), *LOCATIONS.values())
"""Every label, for the translation test."""


def title(report: str, lang: str | None = None) -> str:
    """The report's title ("Ventes" for ``sales``)."""
    return translate(TITLES.get(report, report), lang)


def grouping(by: str, lang: str | None = None) -> str:
    """How the report is grouped, as a phrase ("par jour" for ``day``)."""
    return translate(GROUPINGS.get(by, by), lang)


def heading(column: str, report: str = "", lang: str | None = None) -> str:
    """The heading of the column named ``column`` in ``report`` (``net_cents`` -> "Net TTC")."""
    english = HEADINGS_OF.get((report, column)) or HEADINGS.get(column, column)
    return translate(english, lang)


def _from(labels: dict[str, str]):
    return lambda code, lang: translate(labels[code], lang) if code in labels else code


VALUES = {
    "means": lambda code, lang: means(code).text(lang),
    "reason": reason_label,
    "disposition": disposition_label,
    "status": _from(STATUSES),
    "location": _from(LOCATIONS),
}
"""Columns whose values are codes -> how people read a code of it (CSV and JSON keep the code)."""


def value(column: str, code: str, lang: str | None = None) -> str:
    """A code found in ``column`` (``cash`` in ``means``) as people read it (``Espèces``)."""
    say = VALUES.get(column)
    return say(code, lang) if say is not None else code
