"""Pilot helpers shared by the UI tests: log in, scan like a scanner, read the screen."""

from __future__ import annotations

from textual import events
from textual.keys import _character_to_key

SIZE = (80, 24)
"""The till's smallest screen: 80x24 over SSH, and the console."""

# What a Linux console font shows: Latin-1, what Lat15 adds, and the box-drawing characters.
BOX = set("─│┌┐└┘├┤┬┴┼═║╔╗╚╝╭╮╯╰")
LATIN_1 = {chr(code) for code in range(0x20, 0x7F)} | {chr(code) for code in range(0xA0, 0x100)}
LATIN_9 = set("€ŠšŽžŒœŸ")
"""What Lat15 fonts add to Latin-1: a shop's product names may have "œufs"."""
ALLOWED = BOX | LATIN_1 | LATIN_9 | {"\n"}


def foreign_glyphs(text: str) -> set[str]:
    """The characters of ``text`` a Linux console font (Lat15/Uni2) does not have."""
    return {char for char in text if char not in ALLOWED}


def burst(app, *codes: str, end: str = "enter") -> None:
    """Queue the keys of ``codes`` the way a scanner sends them: all at once, no waiting.

    ``pilot.press`` waits for idle after every key, so it never reproduces a burst; posting
    ``events.Key`` messages straight to the app is the real driver's path (reference 2.2).
    """
    character = "\r" if end == "enter" else "\n"
    for code in codes:
        for char in code:
            app.post_message(events.Key(_character_to_key(char), char))
        app.post_message(events.Key(end, character))


async def log_in(pilot, login: str = "cashier", pin: str = "1111") -> None:
    """Type a login and PIN at the login screen and press Enter."""
    await pilot.press(*login, "enter", *pin, "enter")
    await pilot.pause()


async def settle(pilot) -> None:
    """Let queued messages and background workers finish."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def status_text(app, selector: str = ".status") -> str:
    """The plain text of the current screen's status line."""
    widget = app.screen.query_one(selector)
    return str(widget.render())


def screen_text(app) -> str:
    """What the terminal shows now, as plain text (the screen and any screen behind a modal).

    The same render as ``App.export_screenshot``, exported as text instead of SVG, so a test
    can read labels and check every glyph.
    """
    import io

    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="standard", record=True, legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


async def keys(pilot, *names: str) -> int:
    """Press ``names`` one by one (as a cashier would), waiting for workers; how many were pressed."""
    for name in names:
        await pilot.press(name)
        await settle(pilot)
    return len(names)


def option_texts(app) -> list[str]:
    """The entries of the return screen's choice list (reasons, dispositions), as shown."""
    options = app.screen.query_one("#return-choices")
    return [str(options.get_option_at_index(index).prompt) for index in range(options.option_count)]


async def open_returns(pilot) -> None:
    """Log in as the cashier and open the returns screen with F12, checking it is there."""
    from till.ui.returns.screen import ReturnScreen  # deferred: a screen module, loaded only by the tests that open it

    await log_in(pilot)
    await pilot.press("f12")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ReturnScreen)
