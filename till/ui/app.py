"""The till's Textual application: wires the context to the screens, owns the global keys.

Cashier-hostile defaults are removed: no command palette, and ``ctrl+q``/``ctrl+c`` do not quit
(``inherit_bindings=False`` drops Textual's App bindings); quitting is F10 with a manager's PIN.
The look is built for a Linux console: the terminal's 16 ANSI colours, ``solid``/``double``
borders and no block glyphs, not even in scrollbars (see ``till.tcss``).

Nothing here blocks the event loop: the outbox (receipt printing, cash drawer) runs in a
thread worker after each sale and at start, and the card terminal in the payment screen's.

The login screen comes first and fast: this module imports only what it needs. Once it is drawn,
a thread worker loads the sale screen, the outbox's jobs and the rest (``till.ui.warm_up``)
while the cashier types a PIN, then the outbox runs and the scanners and customer display start;
so neither the start nor the first scan waits for those imports.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import events, work
from textual.app import App
from textual.binding import Binding
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.worker import Worker, WorkerState, get_current_worker

from devices.display import DisplaySettings
from devices.scanner import ScannerSettings
from till.fiscal.events import TRAINING_END, TRAINING_START, record_event
from till.i18n import N_, _, translate_plural
from till.people.auth import logout as auth_logout
from till.shop.context import TillContext
from till.ui.feedback import error_text, guarded, translate_bindings
from till.ui.keys import HELP_KEY, screen_keys
from till.ui.screens.login import LoginScreen
from till.ui.warm_up import warm_up
from till.ui.widgets.scan_input import split_escape

log = logging.getLogger("till.ui")

OUTBOX_RETRY_S = 30
"""How often waiting receipts and drawer jobs are tried again, besides after each sale."""

OUTBOX_GROUP = "outbox"
"""Worker group of outbox runs (tests wait for it)."""


class ConsoleScrollBarRender(ScrollBarRender):
    """Scrollbars drawn with spaces only: the eighth-block glyphs are missing from console fonts."""

    VERTICAL_BARS = [" "] * 8
    HORIZONTAL_BARS = [" "] * 8


class TillApp(App[None], inherit_bindings=False):
    """One till: login, then sales, until a manager quits."""

    CSS_PATH = Path(__file__).with_name("till.tcss")
    """Absolute: Textual resolves a relative path against the module of a subclass."""
    ENABLE_COMMAND_PALETTE = False
    TITLE = "till"
    BINDINGS = [Binding("f10", "quit_till", "Quit", id="app-quit", key_display="F10",
                        tooltip=N_("Quit the till (needs a manager's PIN)")),
                HELP_KEY]
    """Only F10 and the help key; ``inherit_bindings=False`` keeps Textual's ctrl+q / ctrl+c quit out."""

    def __init__(self, ctx: TillContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.user: Any = None
        """The cashier logged in, or ``None`` at the login screen."""
        translate_bindings(self)
        ScrollBar.renderer = ConsoleScrollBarRender
        # The console theme, set quietly: assigning ``self.theme`` has Textual parse every
        # stylesheet a second time at start, when the first parse already reads this theme's
        # variables. Its class is set as Textual's theme watcher would.
        self.set_reactive(TillApp.theme, "ansi-dark")
        self.set_class(True, "-theme-ansi-dark")
        self.scanner_settings = ScannerSettings.from_config(ctx.config)
        """Read by the scan fields (prefix, suffix, thresholds) and the scanner readers."""
        self.scanner_hub = None
        self.customer_display = None
        self.drawer_watch: LeftOpenWatch | None = None
        """Set when a drawer sensor is wired (``drawer.has_sensor``): it is then read every second."""

    def on_mount(self) -> None:
        self.push_screen(LoginScreen())
        self.call_after_refresh(self._after_login_screen)
        if self.ctx.config.drawer.has_sensor:  # only a wired sensor is read: a missing one keeps the printer busy
            from devices.drawer import LeftOpenWatch  # deferred: only with a drawer sensor

            self.drawer_watch = LeftOpenWatch(self.ctx.config.drawer.warn_open_after_s)
            self.set_interval(1.0, self.watch_drawer)

    def _after_login_screen(self) -> None:
        """Once the login screen is drawn: load what a sale needs in the background, then run
        the outbox (jobs left by a crash or a printer that was off, printed off the UI thread,
        retried regularly: the outbox spaces the attempts out itself)."""
        if isinstance(self.screen, LoginScreen):
            self.screen.show_demo()
        self.warm_up_then_outbox()
        self.set_interval(OUTBOX_RETRY_S, self.process_outbox)
        from till.ui.devices_bridge import CustomerDisplayFeed, start_scanner_hub  # deferred: after the login screen

        # Scanners other than the keyboard (evdev, serial) and the customer display, each in
        # threads of their own: a missing or hung device shows a status, never blocks a key.
        self.scanner_hub = start_scanner_hub(self, self.scanner_settings)
        self.customer_display = CustomerDisplayFeed.start(self, DisplaySettings.from_config(self.ctx.config))

    @work(thread=True, exit_on_error=False, group=OUTBOX_GROUP, description="load the sale screen, then the outbox")
    def warm_up_then_outbox(self) -> None:
        """Off the UI thread, while a PIN is typed: import the sale screen and its jobs, then
        print what the outbox holds (``process_outbox``'s work, in this same worker)."""
        warm_up()
        if not get_current_worker().is_cancelled:  # the till was closed meanwhile: no printing then
            self._run_outbox()

    @work(thread=True, exit_on_error=False, exclusive=True, group="drawer-watch", description="drawer sensor")
    def watch_drawer(self) -> None:
        """Read the drawer's sensor off the UI thread; warn once when it stays open too long."""
        from devices.drawer import check_left_open  # deferred: only with a drawer sensor
        from till.aftersale.jobs import make_drawer  # deferred: loaded on first use (start-up)

        drawer = make_drawer(self.ctx.config)
        if drawer is not None and check_left_open(drawer, self.drawer_watch):
            self.call_from_thread(self.show_error, _("The cash drawer has been left open: please close it"))

    def on_unmount(self) -> None:
        from till.ui.devices_bridge import stop_devices  # deferred: loaded after the login screen
        from devices.printer import close_printers  # deferred: loaded with the outbox's jobs

        stop_devices(self)
        close_printers()

    async def on_event(self, event: events.Event) -> None:
        """Every event as Textual routes it, except an Esc merged with the scan that followed it
        (``split_escape``): Esc's action is done, then the scan's first character routed."""
        await super().on_event(await split_escape(self, event))

    # -- errors ----------------------------------------------------------------------------
    def show_error(self, text: str) -> None:
        """Errors of app-level actions go to the current screen's status line if it has one."""
        screen = self.screen
        if hasattr(screen, "show_error"):
            screen.show_error(text)
        else:
            self.notify(text, severity="error", timeout=10)

    def _fatal_error(self) -> None:
        """Last resort for an exception no handler caught: log it, exit without a traceback.

        Textual would print a rich traceback with local variables (PINs among them) to the
        cashier's screen; the log gets the details, the screen one sentence.
        """
        log.error("unhandled error in the till UI; the till stops", exc_info=self._exception)
        self._exit_renderables.append(Text(_("The till stopped after an unexpected error: see the log.")))
        self._close_messages_no_wait()

    # -- sessions --------------------------------------------------------------------------
    def start_sale(self, user: Any, training: bool = False) -> None:
        """After a successful login: a sale screen for ``user`` over the login screen (in
        training mode: practice tickets, and the start and end of it in chain L)."""
        from till.ui.screens.sale import SaleScreen  # deferred: loaded after the login screen (warm_up)

        self.user = user
        if training:
            record_event(self.ctx.sealer, TRAINING_START, "training mode started", user_id=user.id)
        self.push_screen(SaleScreen(self.ctx, user, training=training))

    def logout(self, user: Any) -> None:
        """Back to the login screen; the logout is a technical event (chain L)."""
        self._end_session(user)
        self.pop_screen()

    def end_locked_session(self, text: str) -> None:
        """The user at the till was just locked (too many wrong manager PINs): whatever they had
        open closes as if cancelled (a basket not paid is dropped, nothing was written), the
        session ends (chain L) and the login screen says why."""
        if self.user is not None:
            self._end_session(self.user)
        self.user = None
        while len(self.screen_stack) > 1 and not isinstance(self.screen, LoginScreen):
            self.pop_screen()
        if isinstance(self.screen, LoginScreen):
            self.screen.show_error(text)

    def _end_session(self, user: Any) -> None:
        """Seal the end of ``user``'s session: training mode's end if it was on, the logout."""
        from till.ui.screens.sale import SaleScreen  # deferred: loaded after the login screen (warm_up)

        if any(isinstance(screen, SaleScreen) and screen.training for screen in self.screen_stack):
            record_event(self.ctx.sealer, TRAINING_END, "training mode ended", user_id=user.id)
        auth_logout(self.ctx.sealer, user)
        self.user = None

    @guarded
    def action_quit_till(self) -> None:
        from till.ui.dialogs.manager_pin import ManagerPinScreen  # deferred: loaded after the login screen
        from till.ui.screens.sale import SaleScreen  # deferred: loaded after the login screen (warm_up)

        if not isinstance(self.screen, (LoginScreen, SaleScreen)):
            # A payment, a return or a dialog is open (a card terminal may be working): finish it.
            self.show_error(_("Finish or cancel what is open before quitting"))
            return
        if isinstance(self.screen, SaleScreen) and not self.screen.basket.is_empty:
            self.show_error(_("Pay or void the basket before quitting"))
            return
        screen = ManagerPinScreen(self.ctx.sealer, "quit", _("A manager's PIN is needed to quit the till"))
        self.push_screen(screen, self._quit_approved)

    def _quit_approved(self, manager: Any) -> None:
        if manager is not None:
            self.exit()

    # -- help ------------------------------------------------------------------------------
    @guarded
    def action_keys_help(self) -> None:
        """Ctrl+T: the list of the current screen's keys; Ctrl+T again closes it. Not while the
        card terminal works: its answer closes the screen on top, which must be its own."""
        from till.ui.dialogs.keys_help import KeysHelpScreen  # deferred: loaded on first use

        if isinstance(self.screen, KeysHelpScreen):
            self.screen.dismiss(None)
            return
        if getattr(self.screen, "waiting", False):
            self.show_error(_("Waiting for the card terminal..."))
            return
        self.push_screen(KeysHelpScreen(screen_keys(self.screen)))

    # -- outbox ----------------------------------------------------------------------------
    @work(thread=True, exit_on_error=False, group=OUTBOX_GROUP, description="print and drawer jobs")
    def process_outbox(self) -> None:
        """Run due print/drawer jobs; a failing device is retried later by the outbox itself."""
        self._run_outbox()

    def _run_outbox(self) -> None:
        """The work of ``process_outbox``, in the calling worker thread."""
        from till.aftersale.jobs import printer_waiting, run_outbox_jobs  # deferred: loaded after the login screen

        try:
            run = run_outbox_jobs(self.ctx.config, self.ctx.sealer)
            waiting = printer_waiting(self.ctx.till_id)
            if waiting is not None:  # paper out, cover open, offline: say it, the job waits
                self.call_from_thread(self.show_error, translate_plural(
                    "Printer: {reason}. {count} document will print when it is back",
                    "Printer: {reason}. {count} documents will print when it is back", waiting[0],
                    reason=waiting[1]))
            for not_opened in run.drawers_not_opened:  # said last (said once): the customer waits for change
                self.call_from_thread(self.show_error, not_opened.text())
        except Exception as error:  # noqa: BLE001 - reported on the UI thread
            self.call_from_thread(self._outbox_failed, error)
        finally:
            # peewee keeps one connection per thread: close this worker thread's own.
            self.ctx.close()

    def _outbox_failed(self, error: Exception) -> None:
        self.show_error(_("Printing failed; the receipt will be printed later ({reason})",
                          reason=error_text(error)))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.show_error(error_text(event.worker.error or RuntimeError("worker failed")))
