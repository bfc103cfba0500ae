"""The README's key map and the screens' key bindings cannot drift apart.

The "Key map" section's tables whose first column is "key" name, on each row, keys and the
screens they work on ("F3 / F4 | returns, refund"). Each such key must be bound on each screen
named (its own bindings, or the app's that reach it), and each key a screen shows in its footer
must be in a row naming that screen (or "dialogs", for a dialog). Every screen of the till is
named, so a new screen cannot be left out; a dialog that adds no key of its own is covered by
"dialogs".
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from textual.screen import ModalScreen, Screen

import till.ui
from till.ui.app import TillApp
from till.ui.dialogs.base import Dialog
from till.ui.dialogs.card_settle import CardSettleScreen
from till.ui.dialogs.credit_note_issued import CreditNoteIssuedScreen
from till.ui.dialogs.customer import CustomerScreen
from till.ui.dialogs.keys_help import KeysHelpScreen
from till.ui.returns.dialogs import ChoiceScreen
from till.ui.returns.payment import ExchangePaymentScreen
from till.ui.returns.resolution import ResolutionScreen
from till.ui.returns.screen import ReturnScreen
from till.ui.screens.closures import ClosuresScreen
from till.ui.screens.login import LoginScreen
from till.ui.screens.payment import PaymentScreen
from till.ui.screens.receipt import ReceiptScreen
from till.ui.screens.reports import ReportsScreen
from till.ui.screens.sale import SaleScreen
from till.ui.screens.signals import SignalsScreen

README = Path(__file__).resolve().parents[2] / "README.md"

SCREENS: dict[str, type[Screen]] = {
    "login": LoginScreen, "sale": SaleScreen, "receipt": ReceiptScreen, "payment": PaymentScreen,
    "manager": ClosuresScreen, "reports": ReportsScreen, "returns": ReturnScreen, "refund": ResolutionScreen,
    "exchange payment": ExchangePaymentScreen, "dialogs": Dialog, "customer": CustomerScreen,
    "card outcome": CardSettleScreen, "credit note issued": CreditNoteIssuedScreen,
    "key list": KeysHelpScreen, "choice list": ChoiceScreen, "signals": SignalsScreen,
}
"""The README's names of the screens."""

EVERY_SCREEN = "every screen"
README_KEYS = {"esc": "escape", "+": "plus", "-": "minus"}
"""How the README writes a key that Textual names otherwise; the rest is Textual's name, capitalised."""


def key_map_rows() -> list[tuple[list[str], list[str]]]:
    """(keys, screens) of each row of the key map's "key" tables, keys as Textual names them."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Key map\n", 1)[1].split("\n## ", 1)[0]
    rows, in_keys_table = [], False
    for line in section.splitlines():
        if not line.startswith("|"):
            in_keys_table = False
            continue
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if cells[0] == "key":
            in_keys_table = True
        elif in_keys_table and not set(cells[0]) <= set("-"):
            tokens = re.split(r"\s*[,/]\s*", cells[0])
            keys = [README_KEYS.get(token.lower(), token.lower()) for token in tokens]
            rows.append((keys, [where.strip() for where in cells[1].split(",")]))
    return rows


ROWS = key_map_rows()


def bound_keys(screen: type[Screen]) -> set[str]:
    """Keys that act on ``screen``: its own bindings, then the app's that reach it (on a modal
    screen, only the app's priority keys)."""
    own = {key for key, _binding in screen._merged_bindings}
    modal = issubclass(screen, ModalScreen)
    app = {key for key, binding in TillApp._merged_bindings if binding.priority or not modal}
    return own | app


def footer_keys(screen: type[Screen]) -> set[str]:
    """Keys ``screen`` shows in its footer, of the till's own bindings (Textual's carry no id)."""
    own = {key for key, binding in screen._merged_bindings if binding.show and binding.id}
    app = {key for key, binding in TillApp._merged_bindings
           if binding.show and (binding.priority or not issubclass(screen, ModalScreen)) and key not in own}
    return own | app


def all_screens() -> set[type[Screen]]:
    """Every screen class the till defines (its modules imported)."""
    for module in pkgutil.walk_packages(till.ui.__path__, "till.ui."):
        importlib.import_module(module.name)
    found, todo = set(), [Screen]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("till.ui."):
                found.add(sub)
    return found


def test_the_key_map_was_read():
    assert len(ROWS) > 40
    assert {where for _keys, screens in ROWS for where in screens} <= set(SCREENS) | {EVERY_SCREEN}


@pytest.mark.parametrize("keys, screens", ROWS, ids=[f"{'/'.join(k)} on {', '.join(s)}" for k, s in ROWS])
def test_each_key_of_the_map_is_bound_where_it_says(keys, screens):
    named = SCREENS.values() if screens == [EVERY_SCREEN] else [SCREENS[where] for where in screens]
    for screen in named:
        assert set(keys) <= bound_keys(screen), f"{screen.__name__} has no {set(keys) - bound_keys(screen)}"


@pytest.mark.parametrize("where", SCREENS)
def test_each_footer_key_is_in_the_map(where):
    names = {where, EVERY_SCREEN} | ({"dialogs"} if issubclass(SCREENS[where], Dialog) else set())
    listed = {key for keys, screens in ROWS if names & set(screens) for key in keys}
    missing = footer_keys(SCREENS[where]) - listed
    assert not missing, f"README's key map: no row for {sorted(missing)} on {where}"


def test_every_screen_is_in_the_map():
    named = set(SCREENS.values())
    screens = all_screens()
    plain_dialogs = {screen for screen in screens if issubclass(screen, Dialog) and "BINDINGS" not in vars(screen)}
    left_out = [screen.__name__ for screen in screens - plain_dialogs if screen not in named]
    assert not left_out, f"screens with keys of their own, not in the README's key map: {left_out}"
