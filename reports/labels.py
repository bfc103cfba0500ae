"""What a person reads of a report: its title, grouping, column headings and coded values, translated.

The names in ``reports.registry`` and the column names of a ``Table`` (``net_cents``) are for
scripts (CSV, JSON) and never change; people get these labels instead, English message ids
with their French in ``till/locales/fr/reports.json``. A grouping is a whole phrase ("by VAT
rate", "par taux de TVA"), never "by" glued to a field name, because the words around it change
with the language. A name with no label here is shown as it is.
"""

from __future__ import annotations

from till.config.reasons import disposition_label, reason_label
from till.i18n import translate
from till.means import means

TITLES = {
    "sales": "Sales",
    "returns": "Returned items",
    "return-rate": "Return rate",
    "top-returns": "Most returned products",
    "refunds": "Refunds",
    "credit-notes": "Credit notes",
    "customers": "Customers",
    "stock": "Stock levels",
    "stock-movements": "Stock movements",
}
"""Report name -> its title."""

GROUPINGS = {
    "day": "by day",
    "week": "by week",
    "month": "by month",
    "category": "by category",
    "product": "by product",
    "cashier": "by cashier",
    "means": "by means of payment",
    "rate": "by VAT rate",
    "reason": "by reason",
    "disposition": "by destination",
    "status": "by status",
    "customer": "by customer",
    "location": "by location",
}
"""Grouping field (``--by``) -> the phrase saying it."""

HEADINGS = {
    "day": "Day",
    "week": "Week",
    "month": "Month",
    "category": "Category",
    "product": "Product",
    "cashier": "Cashier",
    "means": "Means",
    "rate_bp": "VAT rate",
    "reason": "Reason",
    "disposition": "Destination",
    "status": "Status",
    "customer": "Customer",
    "customer_id": "Customer no.",
    "location": "Location",
    "sku": "Ref.",
    "tickets": "Tickets",
    "net_cents": "Net incl. VAT",
    "ht_cents": "Excl. VAT",
    "vat_cents": "VAT",
    "quantity": "Qty",
    "sales_cents": "Sales",
    "returns_cents": "Returns",
    "average_cents": "Average",
    "payments": "Payments",
    "in_cents": "Received",
    "out_cents": "Given back",
    "lines": "Lines",
    "refunded_cents": "Refunded",
    "sold": "Sold",
    "returned": "Returned",
    "return_rate_bp": "Return rate",
    "refunds": "Refunds",
    "notes": "Notes",
    "amount_cents": "Amount",
    "visits": "Visits",
    "spent_cents": "Spent",
    "returned_cents": "Returns",
    "lifetime_cents": "Lifetime value",
    "products": "Products",
    "sellable": "Sellable",
    "damaged": "Damaged",
    "other": "Other",
    "total": "Total quantity",
    "in": "In",
    "out": "Out",
    "net": "Balance",
}
"""Column name (as in CSV and JSON) -> its heading; ``rate_bp`` is a rate in the return-rate
report too, hence "Return rate" there (``HEADINGS_OF``)."""

HEADINGS_OF = {("return-rate", "rate_bp"): "Return rate"}
"""Headings that depend on the report: (report, column) -> heading."""

STATUSES = {"issued": "Issued", "redeemed": "Redeemed", "outstanding": "Outstanding", "expired": "Expired"}
"""A credit note's row in the credit-notes report -> what people read."""

LOCATIONS = {"sellable": "Sellable", "damaged": "Damaged", "supplier_return": "Back to the supplier",
             "repair": "To repair"}
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
