"""One till as its own process, for the two-tills-one-database test.

    python -m tests.headoffice.till_process FOLDER init DATABASE_URL TILL_ID [seed]
    python -m tests.headoffice.till_process FOLDER sell SKU QUANTITY    -> prints the receipt code
    python -m tests.headoffice.till_process FOLDER return CODE SKU      -> prints the return's code
    python -m tests.headoffice.till_process FOLDER sync HEADOFFICE_URL  -> exit code of till sync

(from the repository's root, where ``tests`` is a package).
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(folder: Path, action: str, *args: str) -> int:
    from tests.support.shop import Shop, build_shop, sell

    from store.models import Customer, Product, User
    from till.config.loader import load
    from till.config.example import render_example
    from till.shop.context import TillContext

    if action == "init":
        database, till_id = args[0], args[1]
        if len(args) > 2:
            build_shop(folder, database=database, till_id=till_id).ctx.close()
        else:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "till.toml").write_text(render_example(till_id=till_id, database=database), encoding="utf-8")
            TillContext.open(load(folder / "till.toml"), create_key=True).close()
        ctx = TillContext.open(load(folder / "till.toml"))
        print(ctx.sealer.signer.public_pem, end="")
        ctx.close()
        return 0
    ctx = TillContext.open(load(folder / "till.toml"))
    try:
        shop = Shop(ctx, User.get(User.login == "cashier"), User.get(User.login == "manager"),
                    {p.sku: p for p in Product.select()}, {}, Customer.select().first())
        if action == "sell":
            print(sell(shop, [(args[0], int(args[1]))]).code)
            return 0
        if action == "return":
            from till.returns.session import ReturnSession

            session = ReturnSession.at(ctx, shop.cashier)
            session.find(args[0])
            line = next(line for line in session.lines if line.sku == args[1])
            session.pick(line.line_id, 1, reason="changed_mind")
            print(session.complete().code)
            return 0
        if action == "sync":
            from till.sync.push import SyncSettings, run_sync

            return run_sync(ctx, SyncSettings(url=args[0], batch_size=3)).exit_code
    finally:
        ctx.close()
    return 2


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), sys.argv[2], *sys.argv[3:]))
