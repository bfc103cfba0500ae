"""`till import catalogue`: products, prices and barcodes by SKU, all checked before one write."""

from __future__ import annotations

import json

import pytest

from store.models import Barcode, Category, Product
from till.selling.catalogue_import import CatalogueImportError, import_catalogue
from till.cli.main import main
from till.scanning import make_ean13
from till.selling.basket import Basket


def product(sku="NEW-1", **changes):
    data = {"sku": sku, "name": "Confiture d'abricots", "price_cents": 425, "vat_code": "R",
            "category": "Épicerie fine", "barcodes": [make_ean13("376000009999")]}
    data.update(changes)
    return data


def test_new_products_are_created_known_ones_updated_and_the_next_sale_takes_the_new_price(shop):
    result = import_catalogue({"products": [product(), {"sku": "WIN", "name": "Côtes du Rhône 75 cl",
                                                        "price_cents": 990, "vat_code": "N"}]})
    assert (result.created, result.updated, result.unchanged) == (["NEW-1"], ["WIN"], 0)
    new = Product.get(Product.sku == "NEW-1")
    assert (new.price_cents, new.category.name, [b.code for b in new.barcodes]) == (
        425, "Épicerie fine", [make_ean13("376000009999")])
    basket = Basket(shop.config, shop.ctx.sealer, shop.cashier)
    line = basket.add_code(shop.barcodes["WIN"])  # as scanned: the product is read afresh
    assert line.unit_price_cents == 990
    again = import_catalogue({"products": [product()]})
    assert (again.created, again.updated, again.unchanged) == ([], [], 1)  # importing twice changes nothing


def test_a_barcode_given_to_another_product_moves_to_it(shop):
    code = shop.barcodes["SOA"]
    result = import_catalogue({"products": [product(barcodes=[code])]})
    assert result.barcodes_moved == [code]
    assert Barcode.get(Barcode.code == code).product.sku == "NEW-1"


@pytest.mark.parametrize("change, words", [
    ({"price_cents": 4.25}, "price_cents"),
    ({"price_cents": -1}, "price_cents"),
    ({"vat_code": "Z"}, "vat_code Z"),
    ({"barcodes": ["3760000099990"]}, "check digit"),
    ({"name": ""}, "name"),
    ({"active": "yes"}, "active"),
])
def test_a_bad_product_is_refused_naming_it_and_nothing_is_imported(shop, change, words):
    with pytest.raises(CatalogueImportError) as refused:
        import_catalogue({"products": [product("OK-1"), product(**change)]})
    assert words in refused.value.text("en") and "NEW-1" in refused.value.text("en")
    assert not Product.select().where(Product.sku.in_(["OK-1", "NEW-1"])).exists()
    assert not Category.select().where(Category.name == "Épicerie fine").exists()


def test_the_same_sku_or_barcode_twice_in_a_file_is_refused(shop):
    with pytest.raises(CatalogueImportError, match="twice"):
        import_catalogue({"products": [product(), product()]})
    with pytest.raises(CatalogueImportError, match="given to"):
        import_catalogue({"products": [product(), product("NEW-2")]})


def test_the_command_imports_a_file(shop, tmp_path, capsys):
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps({"products": [product()]}), encoding="utf-8")
    assert main(["--config", str(shop.config.path), "import", "catalogue", str(path)]) == 0
    assert "1 product(s) created" in capsys.readouterr().out
    path.write_text("[", encoding="utf-8")
    assert main(["--config", str(shop.config.path), "import", "catalogue", str(path)]) == 1
