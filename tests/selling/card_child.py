"""A till process for the card crash tests: it runs one card sale, return or exchange on a shop
and stops dead at a chosen point, waiting to be killed (SIGKILL, the power cut); or it starts
again as the till's program does (``restart``), or races returns against another till (``race``).

    python -m tests.selling.card_child CONFIG sale|return|exchange POINT [SALE_CODE]
    python -m tests.selling.card_child CONFIG restart
    python -m tests.selling.card_child CONFIG race          (commands as JSON lines on stdin)

(from the repository's root, where ``tests`` is a package).

Only the terminal is simulated (by the test, on a pty or built in); the pause points wrap the
till's own functions from outside, in this process only:

``before_send``         the journal row committed, no byte sent to the terminal yet
``after_approval``      the terminal approved, its answer not yet written to the journal
``approved_no_ticket``  (sale) the card approved and journaled, the sale not yet completed
``before_commit``       the ticket written and sealed, its transaction not yet committed
``after_commit``        the ticket committed
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def pause(point: str) -> None:
    print(f"PAUSED {point}", flush=True)
    while True:
        time.sleep(60)


def wrap(owner, name: str, point: str, after: bool) -> None:
    real = getattr(owner, name)

    def paused(*args, **kwargs):
        if not after:
            pause(point)
        result = real(*args, **kwargs)
        pause(point)
        return result
    setattr(owner, name, paused)


def install(point: str, driver_class) -> None:
    import till.selling.ticket_writer as writer

    if point in ("before_send", "after_approval"):
        for operation in ("sale", "refund"):
            wrap(driver_class, operation, point, after=point == "after_approval")
    elif point == "before_commit":
        wrap(writer, "seal_ticket_rows", point, after=True)
    elif point == "after_commit":
        wrap(writer, "note_sealed", point, after=True)


def run(config_path: str, operation: str, point: str, sale_code: str | None) -> None:
    from devices.payment.concert import ConcertTerminal
    from store.models import Product, User
    from till.shop.running import running_till
    from till.config.loader import load
    from till.shop.context import TillContext
    from till.returns.session import ReturnSession
    from till.selling.basket import Basket
    from till.selling.checkout import Checkout

    config = load(Path(config_path))
    with running_till(config):  # this process is the running till
        ctx = TillContext.open(config)
        install(point, ConcertTerminal)
        cashier = User.get(User.login == "cashier")
        wine = Product.get(Product.sku == "WIN")
        if operation == "sale":
            basket = Basket(config, ctx.sealer, cashier)
            basket.add_product(wine, 1)
            checkout = Checkout(basket, ctx.terminal)
            checkout.pay_card()
            if point == "approved_no_ticket":
                pause(point)
            checkout.complete()
        else:
            session = ReturnSession.at(ctx, cashier)
            session.find(sale_code)
            sku = "WIN" if operation == "return" else "BAG"
            session.pick(next(line for line in session.lines if line.sku == sku).line_id, 1, reason="defective")
            if operation == "exchange":
                basket = Basket(config, ctx.sealer, cashier)
                basket.add_product(wine, 1)
                session.exchange_with(basket)
                session.pay("card")
            else:
                session.refund_to([("card", session.returned_cents)])
            session.complete()
        print("DONE: the pause point was never reached", flush=True)


def restart(config_path: str) -> None:
    from till.shop.running import running_till, start_till
    from till.config.loader import load

    config = load(Path(config_path))
    with running_till(config):
        ctx = start_till(config)
        ctx.close()
    print("STARTED", flush=True)


def race(config_path: str) -> None:
    """Each stdin line {"sale": code, "sku": ..., "go_at": epoch}: at go_at, return one unit of
    sku to the card; print {"ok": ticket id} or {"refused": message}."""
    from store.models import User
    from till.config.loader import load
    from till.shop.context import TillContext
    from till.errors import TillError
    from till.returns.session import ReturnSession

    config = load(Path(config_path))
    ctx = TillContext.open(config)
    cashier = User.get(User.login == "cashier")
    for line in sys.stdin:
        command = json.loads(line)
        session = ReturnSession.at(ctx, cashier)
        session.find(command["sale"])
        session.pick(next(l for l in session.lines if l.sku == command["sku"]).line_id, 1, reason="defective")
        try:
            session.refund_to([("card", session.returned_cents)])
            time.sleep(max(0.0, command["go_at"] - time.time()))
            outcome = {"ok": session.complete().id}
        except TillError as error:
            outcome = {"refused": error.message}
        print(json.dumps(outcome), flush=True)


if __name__ == "__main__":
    config_path, mode = sys.argv[1], sys.argv[2]
    if mode == "restart":
        restart(config_path)
    elif mode == "race":
        race(config_path)
    else:
        run(config_path, mode, sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None)
