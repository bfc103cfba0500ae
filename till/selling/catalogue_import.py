"""Import a catalogue (products, prices, barcodes), from a file or from head office.

``till import catalogue FILE.json`` and ``till sync`` (which pulls head office's catalogue) both
end here, with a document such as:

    {"products": [{"sku": "WIN-0001", "name": "Côtes du Rhône 75 cl", "price_cents": 895,
                   "vat_code": "N", "category": "Boissons", "barcodes": ["3760000000031"]}]}

Optional per product: ``active``, ``final_sale``, ``sold_by_weight``, ``serial_tracked`` (true or
false) and ``return_days`` (a whole number or null). Prices are integer cents, VAT-inclusive.

A product is found by its SKU: new ones are created, known ones take the file's values (a price
change applies to the next sale; tickets keep their prices by value). Products the file does
not name are left as they are. A barcode must carry a valid GTIN check digit; one that belonged
to another product moves to the product the file gives it to (packaging changes hands).

The whole document is checked first, then written in one transaction: one bad product imports
nothing, and the message names the product and the field.

With a sealer (``till import catalogue``, ``till sync``), the import is sealed in that same
transaction as one CATALOGUE_IMPORTED event of chain L (fiscal-fr.md R-JET-01, configuration
changes): where it came from, who ran it, the counts, and every price and VAT code it set with
the value before (None for a new product), so an inspector sees when each price changed even
though tickets carry their prices by value.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from store.models import Barcode, Category, Product, VatRate
from till.errors import TillError
from till.fiscal.chain import Sealer, current_database
from till.fiscal.events import record_event
from till.scanning import is_valid_gtin

__all__ = ["CATALOGUE_IMPORTED", "CatalogueImportError", "CatalogueResult", "import_catalogue",
           "import_catalogue_file"]

CATALOGUE_IMPORTED = "CATALOGUE_IMPORTED"

_FLAGS = ("active", "final_sale", "sold_by_weight", "serial_tracked")


class CatalogueImportError(TillError):
    """A catalogue was refused; nothing was imported."""


@dataclass
class CatalogueResult:
    """What an import changed."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    barcodes_moved: list[str] = field(default_factory=list)
    prices: list[list] = field(default_factory=list)
    """[sku, price before (None: new product), price after] of every price set."""
    vat_codes: list[list] = field(default_factory=list)
    """[sku, VAT code before (None: new product), VAT code after] of every VAT code set."""


@dataclass(frozen=True)
class _Item:
    sku: str
    values: dict[str, Any]
    category: str | None
    barcodes: tuple[str, ...]


def import_catalogue_file(path: str | Path, sealer: Sealer | None = None,
                          user_id: int | None = None) -> CatalogueResult:
    """Import the JSON catalogue at ``path`` (see the module docstring); sealed with its name and
    SHA-256 when a ``sealer`` is given."""
    try:
        raw = Path(path).read_bytes()
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CatalogueImportError("Cannot read catalogue file {file}: {reason}", file=str(path),
                                   reason=getattr(error, "strerror", None) or str(error)) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise CatalogueImportError("{file}, line {line}: not valid JSON ({reason})", file=str(path),
                                   line=error.lineno, reason=error.msg) from None
    return import_catalogue(data, sealer=sealer, source=f"file {Path(path).name}", user_id=user_id,
                            file_sha256=hashlib.sha256(raw).hexdigest())


def import_catalogue(data: Any, sealer: Sealer | None = None, *, source: str = "headoffice",
                     user_id: int | None = None, file_sha256: str | None = None) -> CatalogueResult:
    """Import ``{"products": [...]}``: everything checked first, then one transaction, sealed
    as CATALOGUE_IMPORTED when a ``sealer`` is given (``source`` says from where)."""
    if not isinstance(data, dict) or not isinstance(data.get("products"), list):
        raise CatalogueImportError('A catalogue holds {"products": [...]}')
    vat_codes = {code for (code,) in VatRate.select(VatRate.code).distinct().tuples()}
    items: list[_Item] = []
    skus: set[str] = set()
    owners: dict[str, str] = {}
    for index, raw in enumerate(data["products"], start=1):
        item = _parse(raw, index, vat_codes)
        if item.sku in skus:
            raise CatalogueImportError("Product {sku} is twice in the catalogue: nothing was imported", sku=item.sku)
        skus.add(item.sku)
        for code in item.barcodes:
            if code in owners:
                raise CatalogueImportError("Barcode {code} is given to {first} and {second}: nothing was imported",
                                           code=code, first=owners[code], second=item.sku)
            owners[code] = item.sku
        items.append(item)
    result = CatalogueResult()
    with current_database().atomic():
        categories = {name: cid for name, cid in Category.select(Category.name, Category.id).tuples()}
        for item in items:
            _write(item, categories, result)
        if sealer is not None:
            details = {"source": source[:200], "created": len(result.created), "updated": len(result.updated),
                       "unchanged": result.unchanged, "barcodes_moved": len(result.barcodes_moved),
                       "skus_created": result.created, "skus_updated": result.updated,
                       "prices": result.prices, "vat_codes": result.vat_codes}
            if file_sha256 is not None:
                details["file_sha256"] = file_sha256
            record_event(sealer, CATALOGUE_IMPORTED, "catalogue imported", user_id=user_id, details=details)
    return result


def fail(where: str, message: str, **params: Any) -> CatalogueImportError:
    """The refusal of product ``where``; ``message`` is a whole message id."""
    return CatalogueImportError(message, product=where, **params)


def _parse(raw: Any, index: int, vat_codes: set[str]) -> _Item:
    where = f"#{index}"
    if not isinstance(raw, dict):
        raise fail(where, "Product {product}: must be an object: nothing was imported")
    sku = raw.get("sku")
    if not isinstance(sku, str) or not sku.strip() or len(sku.strip()) > 32:
        raise fail(where, "Product {product}: sku must be a text of 1 to 32 characters: nothing was imported")
    if not sku.isprintable():  # a NUL or a line break: unprintable on a receipt, unscannable, unsearchable
        raise fail(where, "Product {product}: sku must hold no control characters: nothing was imported")
    where = sku = sku.strip()
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 120:
        raise fail(where, "Product {product}: name must be a text of 1 to 120 characters: nothing was imported")
    price = raw.get("price_cents")
    if isinstance(price, bool) or not isinstance(price, int) or price < 0:
        raise fail(where, "Product {product}: price_cents must be a whole number of cents, 0 or more: "
                          "nothing was imported")
    vat_code = raw.get("vat_code")
    if vat_code not in vat_codes:
        raise fail(where, "Product {product}: vat_code {code} is not one of the shop's VAT rates: nothing was "
                          "imported", code=vat_code)
    values: dict[str, Any] = {"name": name.strip(), "price_cents": price, "vat_code": vat_code}
    for flag in _FLAGS:
        if flag in raw:
            if not isinstance(raw[flag], bool):
                raise fail(where, "Product {product}: {field} must be true or false: nothing was imported",
                           field=flag)
            values[flag] = raw[flag]
    if "return_days" in raw:
        days = raw["return_days"]
        if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days < 0):
            raise fail(where, "Product {product}: return_days must be a whole number or null: nothing was imported")
        values["return_days"] = days
    category = raw.get("category")
    if category is not None and (not isinstance(category, str) or not category.strip() or len(category) > 80):
        raise fail(where, "Product {product}: category must be a text of 1 to 80 characters: nothing was imported")
    codes = raw.get("barcodes", [])
    if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
        raise fail(where, "Product {product}: barcodes must be a list of texts: nothing was imported")
    for code in codes:
        if not is_valid_gtin(code):  # a misprinted code never goes in
            raise fail(where, "Product {product}: barcode {code} has a wrong check digit or length: nothing was "
                              "imported", code=code)
    return _Item(sku, values, category.strip() if category else None, tuple(codes))


def _write(item: _Item, categories: dict[str, int], result: CatalogueResult) -> None:
    values = dict(item.values)
    if item.category is not None:
        if item.category not in categories:
            categories[item.category] = Category.create(name=item.category).id
        values["category"] = categories[item.category]
    product = Product.get_or_none(Product.sku == item.sku)
    if product is None:
        product = Product.create(sku=item.sku, **values)
        result.created.append(item.sku)
        result.prices.append([item.sku, None, values["price_cents"]])
        result.vat_codes.append([item.sku, None, values["vat_code"]])
    else:
        changed = {key: value for key, value in values.items()
                   if (getattr(product, "category_id") if key == "category" else getattr(product, key)) != value}
        if "price_cents" in changed:
            result.prices.append([item.sku, product.price_cents, changed["price_cents"]])
        if "vat_code" in changed:
            result.vat_codes.append([item.sku, product.vat_code, changed["vat_code"]])
        if changed:
            Product.update(**changed).where(Product.id == product.id).execute()
            result.updated.append(item.sku)
        else:
            result.unchanged += 1
    for code in item.barcodes:
        owner = Barcode.get_or_none(Barcode.code == code)
        if owner is None:
            Barcode.create(code=code, product=product.id)
        elif owner.product_id != product.id:
            Barcode.update(product=product.id).where(Barcode.id == owner.id).execute()
            result.barcodes_moved.append(code)
