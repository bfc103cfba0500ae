"""The keys of a screen, read from its bindings: what its footer shows and its help lists.

One list, so the footer, the help overlay (Ctrl+T) and the README's key map cannot disagree:
a screen's own ``BINDINGS`` first, in the order declared, then the app's keys that reach it
(F10 on a full screen; on a modal screen only the app's priority keys, such as the help key,
since Textual stops the others at a modal). A key a screen binds itself hides the app's (the
manager's F10). An action its screen disables (``check_action`` answers False) is left out,
and keys bound to one action are one entry ("F1/C"). Textual's own keys (Tab, Ctrl+C, a
field's editing keys) are not the till's and are left out: the till's bindings all carry an id
(for per-shop keymaps), Textual's have none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from textual.binding import Binding
from textual.screen import Screen

from till.i18n import N_

HELP_KEY = Binding("ctrl+t", "keys_help", "Keys", id="app-keys-help", key_display="Ctrl+T", priority=True,
                   tooltip=N_("List every key of this screen (Ctrl+T or Esc closes the list)"))
"""The same key on every screen opens the list of its keys. Ctrl+T: no field of the till uses it
(Textual's fields take Ctrl+A, E, D, K, U, W, X, C, V), a scanner never sends it, it is not Tab,
Backspace or Enter in disguise (Ctrl+I, H, J, M), nor flow control (Ctrl+S, Q) or a terminal
multiplexer's prefix (tmux Ctrl+B, screen Ctrl+A), and the Linux console and SSH terminals send it
as the byte 0x14, which Textual's raw mode lets through. Priority: it works over a modal too, and
whatever field has the focus."""


@dataclass(frozen=True)
class ScreenKey:
    """One action's key(s) as the cashier reads them."""

    key: str
    """As shown: "F2", "F1/C", "Esc", "Ctrl+T"."""
    label: str
    """The footer's short word, translated."""
    description: str
    """What the key does in full (the tooltip, else the label), translated."""
    shown: bool
    """In the footer; the others (arrows, -, a manager's rare keys) are listed by the help only."""


def screen_keys(screen: Screen) -> list[ScreenKey]:
    """Every key of ``screen``: its own bindings, then the app's that reach it (see the module)."""
    app = screen.app
    sources = [(screen, screen._bindings)]
    sources.append((app, app._bindings))
    seen_keys: set[str] = set()
    seen_actions: set[tuple[int, str]] = set()
    found: list[ScreenKey] = []
    for node, bindings in sources:
        for key, binding in bindings:
            stopped_by_modal = node is app and screen.is_modal and not binding.priority
            if binding.id is None or key in seen_keys or stopped_by_modal:
                continue
            seen_keys.add(key)
            action = (id(node), binding.action)
            if action in seen_actions or node.check_action(_action_name(binding.action), ()) is False:
                continue
            seen_actions.add(action)
            found.append(ScreenKey(key_name(binding), binding.description,
                                   binding.tooltip or binding.description, binding.show))
    return found


KEY_NAMES = {"up": "Up", "down": "Down", "enter": "Enter", "escape": "Esc", "plus": "+", "minus": "-"}
"""Keys as their keycaps say, in letters a console font has (Textual's own are arrows and a
return sign that Linux console fonts lack)."""


def key_name(binding: Binding) -> str:
    """How the footer and the help show ``binding``'s key: its ``key_display``, else its name."""
    if binding.key_display:
        return binding.key_display
    key = binding.key
    return KEY_NAMES.get(key) or (key.upper() if re.fullmatch(r"f\d+", key) else key)


def _action_name(action: str) -> str:
    """``cursor(-1)`` -> ``cursor``: what ``check_action`` is asked about."""
    return action.split("(", 1)[0]
