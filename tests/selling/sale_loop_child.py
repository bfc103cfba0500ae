"""A till selling without pause, for the power-cut test: it opens the shop of CONFIG as the
till does and writes sales through the real checkout (cash, one to three lines, change) until
it is stopped, printing ``READY`` once the shop is open and ``SOLD n`` after each commit.

    python -m tests.selling.sale_loop_child CONFIG

(from the repository's root, where ``tests`` is a package).
"""

from __future__ import annotations

import sys
from pathlib import Path

from store.models import Product
from till.config.loader import load
from till.selling.basket import Basket
from till.selling.checkout import Checkout
from till.shop.context import TillContext
from store.models import User

SKUS = ("BAG", "COF", "WIN", "SOA", "NEWS", "SAND")


def main(config_path: str) -> None:
    ctx = TillContext.open(load(Path(config_path)))
    cashier = User.get(User.login == "cashier")
    products = [Product.get(Product.sku == sku) for sku in SKUS]
    print("READY", flush=True)
    sold = 0
    while True:
        basket = Basket(ctx.config, ctx.sealer, cashier)
        for offset in range(1 + sold % 3):
            basket.add_product(products[(sold + offset) % len(products)], 1 + offset)
        checkout = Checkout(basket, None)
        checkout.add_cash(checkout.due_cents + 50)  # with change: a negative cash payment too
        checkout.complete()
        sold += 1
        print(f"SOLD {sold}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
