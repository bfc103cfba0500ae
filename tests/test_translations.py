"""Every message a cashier or technician can be shown exists in French.

Scans the source for errors raised with a literal message (``SomeError("...", ...)`` where the
class ends in Error/Unknown.../NeedsManager...) and for explicit ``_()``/``translate()`` calls,
and checks each message id against the French catalogues.
"""

from __future__ import annotations

import ast
import builtins
from pathlib import Path

import pytest

from till.i18n import _catalogue

ROOT = Path(__file__).resolve().parent.parent
ERROR_NAMES = {"TillError", "SaleError", "NeedsManager", "PaymentError", "AuthError", "ConfigError",
               "UnknownProduct", "UnbalancedTicket", "NotInitialised", "ScanError", "DemoError", "InvalidCheckDigit",
               "ReturnError", "RefundError", "PolicyBreach", "CreditNoteError"}


def literal_messages() -> list[tuple[str, str]]:
    found = []
    for path in sorted((ROOT / "till").rglob("*.py")):
        if "ui" in path.relative_to(ROOT / "till").parts[:1]:
            continue  # the UI's own labels are checked by its tests
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name == "fail" and len(node.args) > 1:
                first = node.args[1]  # fail(key, message, ...)
            else:
                first = node.args[0]
            # ours, not Python's: a ValueError is a programming error, never shown to a cashier
            refusal = name in ERROR_NAMES or bool(name and name.endswith("Error") and name[:1].isupper()
                                                  and not hasattr(builtins, name))
            if (refusal or name in {"_", "translate", "t", "fail"}) and isinstance(first, ast.Constant) \
                    and isinstance(first.value, str):
                found.append((f"{path.relative_to(ROOT)}:{node.lineno}", first.value))
            elif refusal and isinstance(first, ast.BinOp):  # "..." + "..." continuations
                parts = [n.value for n in ast.walk(first) if isinstance(n, ast.Constant)]
                if all(isinstance(p, str) for p in parts):
                    found.append((f"{path.relative_to(ROOT)}:{node.lineno}", "".join(parts)))
    return found


MESSAGES = literal_messages()


def test_messages_were_found():
    assert len(MESSAGES) > 40


@pytest.mark.parametrize("where, message", MESSAGES, ids=[w for w, _ in MESSAGES])
def test_message_has_a_french_translation(where, message):
    assert message in _catalogue("fr"), f"{where}: no French for {message!r}"


def test_return_reasons_and_dispositions_have_french():
    """Their labels are looked up from ids (``till.config.reasons``), not literal calls."""
    from till.config.reasons import DISPOSITION_LABELS, REASON_LABELS

    missing = [label for label in (*REASON_LABELS.values(), *DISPOSITION_LABELS.values())
               if label not in _catalogue("fr")]
    assert not missing
