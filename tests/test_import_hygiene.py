"""Domain, store, devices and reports never import Textual or rich (checked in a clean process).

This keeps workflows testable without a screen and technicians' commands fast to start.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODULES = [
    "store.db", "store.models", "store.migrations",
    "devices.receipt", "devices.printer", "devices.drawer", "devices.payment.simulated",
    "reports",
    "till.money", "till.scanning", "till.config.loader", "till.people.auth", "till.selling.catalogue", "till.selling.basket", "till.selling.checkout",
    "till.selling.ticket_writer", "till.selling.accounting", "till.aftersale.outbox", "till.aftersale.receipts", "till.aftersale.jobs", "till.shop.context",
    "till.shop.setup", "till.fiscal.chain", "till.fiscal.verify", "till.fiscal.events", "till.cli.main", "till.demo.build",
    "till.people.customers", "benchmarks.generate",
]


@pytest.mark.parametrize("module", MODULES)
def test_module_does_not_import_textual_or_rich(module):
    code = (
        f"import sys; import {module}; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')); "
        "print(','.join(bad)); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, f"{module} imports {result.stdout.strip() or result.stderr.strip()}"
