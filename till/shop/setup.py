"""Setting up a shop: the configuration file, the database, the signing key, the basic data.

``init_shop`` is what ``till init`` runs for a real shop and what ``till demo`` runs before it
adds its demo catalogue. It is safe to run again: what exists is kept, migrations that are
pending are applied, and the signing key is never replaced.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from store.models import DAMAGED, SELLABLE, StockLocation

from till.config.loader import Config, load
from till.config.example import render_example
from till.shop.context import TillContext
from till.files import write_private
from till.fiscal.anchor_check import seal_anchors_signed
from till.fiscal.events import KEY_CREATED, record_event
from till.fiscal.chain import Sealer
from till.fiscal.key_chain import key_chain_of
from till.selling.vat_rates import seed_vat_rate

FRENCH_VAT_RATES = (
    ("N", "TVA normale 20 %", 2000),
    ("I", "TVA intermédiaire 10 %", 1000),
    ("R", "TVA réduite 5,5 %", 550),
    ("S", "TVA particulière 2,1 %", 210),
)
"""Metropolitan France since 2014-01-01; rates are data, so a change is a new dated row."""

VAT_VALID_FROM = dt.date(2014, 1, 1)

STOCK_LOCATIONS = ((SELLABLE, "Sellable"), (DAMAGED, "Damaged"), ("supplier_return", "Return to supplier"),
                   ("repair", "Repair"))


@dataclass(frozen=True)
class InitResult:
    """What ``init_shop`` found or made."""

    config: Config
    created_config: bool
    created_key: bool
    root_fingerprint: str | None = None
    """The fingerprint of the root of the till's key chain (``till.fiscal.key_chain``): the
    owner keeps it with the shop's papers; an inspector compares it with the Z reports."""


def seed_defaults(sealer: Sealer | None = None) -> None:
    """The VAT rates and stock locations every French shop starts with (idempotent); each rate
    created is sealed (VAT_RATE_CHANGED) when a ``sealer`` is given, as ``till init`` does."""
    for code, label, rate_bp in FRENCH_VAT_RATES:
        seed_vat_rate(sealer, code, label, rate_bp, VAT_VALID_FROM)
    for code, name in STOCK_LOCATIONS:
        StockLocation.get_or_create(code=code, defaults={"name": name})


def init_shop(folder: Path, config_name: str = "till.toml", **settings: str) -> InitResult:
    """Create (or complete) a shop in ``folder``: config file, database, key, defaults."""
    folder = Path(folder).expanduser().resolve()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / config_name
    created_config = not path.exists()
    if created_config:
        write_private(path, render_example(**settings).encode("utf-8"))  # 0600: SMTP and SMS secrets go here
    config = load(path)
    key_path = config.resolve(config.till.key_file)
    created_key = not key_path.exists()
    ctx = TillContext.open(config, create_key=True)
    if created_key:  # the till's first record: its key chain's root
        with ctx.database.atomic():
            record_event(ctx.sealer, KEY_CREATED, "signing key created", details={"key_id": ctx.sealer.signer.key_id})
        seal_anchors_signed(ctx.sealer)  # a new till signs its anchors from its first record
    with ctx.database.atomic():
        seed_defaults(ctx.sealer)  # the starting VAT rates, each sealed
    root = key_chain_of(config.till.id).fingerprint
    ctx.close()
    return InitResult(config=config, created_config=created_config, created_key=created_key, root_fingerprint=root)
