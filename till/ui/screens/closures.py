"""The manager's closures screen (F1 on the sale screen): X report, daily and monthly closures.

Opens on the X report of the open day (live totals, nothing written). F2 closes a day: the
oldest day that still needs its closure (the till refuses sales until it is closed), else
today; the first F2 says which day, the second one closes it (a Z cannot be undone). F3 closes
the previous month once its days are closed. The Z of the closure just made is shown; F4
prints what is shown (through the outbox, after the closure is committed). The closures
themselves are ``till.fiscal.closures``; this screen only gathers the keys. A full or
read-only disk (sales refused) is said first on arrival. F6 opens the
analytic reports (``ReportsScreen``). F9 unlocks a member of staff locked by wrong PINs, with a
manager's PIN typed then (``till.ui.dialogs.unlock``, also offered at the login screen). F10 lists the card
payments whose outcome is unknown, on any till of the shop, and a manager settles one from the
terminal's own journal (``till.selling.card_settlement.settle``). F11 writes a chain P document:
cash in or out of the drawer, or a means correction (``till.ui.dialogs.cash_move``). F12 lists
today's loss-prevention signals (``till.ui.screens.signals``), each dismissed with a note.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from reports.xz import x_report, z_report
from till.fiscal.closures import close_day, close_month, day_to_close, month_to_close
from till.i18n import Counted, N_, _, translate_plural
from till.people.auth import locked_users
from till.selling import card_settlement
from till.selling.card_journal import unresolved
from till.selling.disk_room import disk_notice
from till.shop.context import TillContext
from till.ui.blocking import off_loop
from till.ui.dialogs.card_settle import describe, settle_unknown
from till.ui.dialogs.unlock import UnlocksAccounts
from till.ui.feedback import Refused, error_text, guarded, translate_bindings
from till.ui.widgets.status_line import HasStatus, StatusLine
from till.ui.widgets.key_footer import KeyFooter


class ClosuresScreen(UnlocksAccounts, HasStatus, Screen[None]):
    """X and Z for one manager; Esc goes back to the sale screen."""

    BINDINGS = [
        Binding("f2", "close_day", "Close day", id="closures-day", key_display="F2",
                tooltip=N_("Close the day (Z): F2 twice, it cannot be undone")),
        Binding("f3", "close_month", "Close month", id="closures-month", key_display="F3",
                tooltip=N_("Close the previous month: F3 twice")),
        Binding("f4", "print", "Print", id="closures-print", key_display="F4", tooltip=N_("Print what is shown")),
        Binding("f5", "x_report", "X", id="closures-x", key_display="F5", tooltip=N_("The X report of the open day")),
        Binding("f6", "reports", "Reports", id="closures-reports", key_display="F6",
                tooltip=N_("Sales, returns and stock reports")),
        Binding("f7", "open_drawer", "Drawer", id="closures-drawer", key_display="F7",
                tooltip=N_("Open the cash drawer without a sale")),
        Binding("f8", "reprint", "Reprint", id="closures-reprint", key_display="F8",
                tooltip=N_("Print again what the printer gave up on, and send failed messages again")),
        # The status line also offers F9 and F10 when an account is locked or a card outcome waits.
        Binding("f9", "unlock", "Unlock", id="closures-unlock", key_display="F9",
                tooltip=N_("Unlock an account locked by wrong PINs")),
        Binding("f10", "card_outcomes", "Cards", id="closures-card-outcomes", key_display="F10",
                tooltip=N_("Settle a card payment whose outcome is unknown")),
        Binding("f11", "cash_move", "Cash", id="closures-cash-move", key_display="F11",
                tooltip=N_("Cash in or out of the drawer, or correct a ticket's means of payment (chain P)")),
        Binding("f12", "signals", "Signals", id="closures-signals", key_display="F12",
                tooltip=N_("Today's loss-prevention signals, with their evidence; dismiss one with a note")),
        Binding("escape", "leave", "Back", id="closures-back", key_display="Esc", tooltip=N_("Back to the sale")),
        Binding("up", "scroll(-1)", "Up", show=False, id="closures-up", tooltip=N_("Scroll the report up")),
        Binding("down", "scroll(1)", "Down", show=False, id="closures-down", tooltip=N_("Scroll the report down")),
    ]

    def __init__(self, ctx: TillContext, manager: Any) -> None:
        super().__init__()
        translate_bindings(self)
        self.ctx = ctx
        self.manager = manager
        self.lines: list[str] = []
        self._armed: tuple[str, dt.date] | None = None
        """What the first F2/F3 proposed; the second press does it."""

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="closures-scroll"):
            yield Static("", id="closures-report", markup=False)
        yield StatusLine(id="closures-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.action_x_report()

    def _show(self, lines: list[str]) -> None:
        self.lines = lines
        self.query_one("#closures-report", Static).update("\n".join(lines))

    def _day_to_close(self) -> dt.date:
        """The oldest day that must be closed before the next sale, else today."""
        return day_to_close(self.ctx.till_id, self.ctx.sealer.zone)

    @guarded
    def action_x_report(self) -> None:
        self._armed = None
        self._show(x_report(self.ctx.config, self.ctx.till_id, width=self.ctx.config.printer.width))
        day = self._day_to_close()
        from till.aftersale.messages.jobs import failed_messages  # deferred: loaded on first use (start-up)

        failed = len(failed_messages(self.ctx.till_id))
        # a full or read-only disk refuses sales: the manager sees why, first (``disk_room.disk_notice``)
        disk = disk_notice(self.ctx.database, self.ctx.config.till.min_free_mb)
        disk_line = disk.text() + "\n" if disk is not None else ""
        if failed:  # e-mails and texts given up (server refused, timed out): the manager is told
            self.show_error(disk_line + translate_plural(
                "{count} message could not be sent (mail server or SMS gateway): F8 sends it again",
                "{count} messages could not be sent (mail server or SMS gateway): F8 sends them again", failed)
                + self._locked_hint())
            return
        report = _("X report of the open day. F2: close day {day}", day=day.strftime("%d/%m/%Y")) + self._locked_hint()
        if disk is not None:
            self.show_error(disk_line + report)
            return
        self.show_info(report)

    @staticmethod
    def _locked_hint() -> str:
        """What the manager should know on arriving here: staff locked out, and the key for it."""

        count = len(locked_users())
        hint = "\n" + translate_plural("{count} account locked: F9 unlocks", "{count} accounts locked: F9 unlocks",
                                        count) if count else ""
        unknown = len(unresolved())
        if unknown:
            hint += "\n" + translate_plural("{count} card payment with an unknown outcome: F10 settles",
                                             "{count} card payments with an unknown outcome: F10 settles", unknown)
        return hint

    @guarded
    def action_close_day(self) -> None:
        day = self._day_to_close()
        if self._armed != ("day", day):
            self._armed = ("day", day)
            self.show_error(_("Close day {day}? No sale can be added to it afterwards. F2 again to close",
                              day=day.strftime("%d/%m/%Y")))
            return
        self._armed = None
        made = close_day(self.ctx.sealer, day, user_id=self.manager.id, operator=self.manager.name)
        self.app.process_outbox()  # the closure's signed chain heads, to head office at once
        self._show(z_report(self.ctx.config, made[-1], width=self.ctx.config.printer.width))
        self.show_info(translate_plural("Day {day} closed ({count} closure). F4: print the Z",
                                        "Day {day} closed ({count} closures). F4: print the Z", len(made),
                                        day=day.strftime("%d/%m/%Y")))

    @guarded
    def action_close_month(self) -> None:
        month = month_to_close(self.ctx.sealer.zone)
        if self._armed != ("month", month):
            self._armed = ("month", month)
            self.show_error(_("Close the month {month}? F3 again to close", month=month.strftime("%m/%Y")))
            return
        self._armed = None
        made = close_month(self.ctx.sealer, month, user_id=self.manager.id, operator=self.manager.name)
        self.app.process_outbox()  # the closure's signed chain heads, to head office at once
        self._show(z_report(self.ctx.config, made[-1], width=self.ctx.config.printer.width))
        self.show_info(_("Month {month} closed. F4: print the Z", month=month.strftime("%m/%Y")))

    @guarded
    def action_print(self) -> None:
        from till.aftersale.printing import print_lines  # deferred: loaded on first use (start-up)

        print_lines(self.ctx.till_id, self.lines)
        self.app.process_outbox()
        self.show_info(_("Sent to the printer"))

    def action_open_drawer(self) -> None:
        """F7: open the cash drawer without a sale (the manager's own right), recorded in chain L."""
        self.show_info(_("Opening the drawer..."))
        self._open_drawer()

    def _open_drawer(self) -> None:
        from till.aftersale.drawer import open_drawer_without_sale  # deferred: loaded on first use (start-up)
        from till.aftersale.jobs import make_drawer  # deferred: loaded on first use (start-up)

        off_loop(self, lambda: open_drawer_without_sale(self.ctx.sealer, make_drawer(self.ctx.config), self.manager,
                                                        reason="manager, closures screen"),
                 self._drawer_answered, "drawer", "open the drawer without a sale")

    def _drawer_answered(self, _result, error: Exception | None) -> None:
        if error is not None:
            self.show_error(error_text(error))
            return
        self.show_info(_("Drawer opened (recorded in the journal)"))

    @guarded
    def action_reprint(self) -> None:
        """F8: the printer is back: print again what the outbox gave up on (never printed)."""
        from till.aftersale.printing import send_again  # deferred: loaded on first use (start-up)

        sent = send_again(self.ctx.till_id)  # the mail server or gateway is back too: messages as well
        self.app.process_outbox()
        self.show_info(_("{documents}, {messages}",
                         documents=Counted("{count} document sent to the printer again",
                                           "{count} documents sent to the printer again", sent.documents),
                         messages=Counted("{count} message sent again", "{count} messages sent again", sent.messages)))

    @guarded
    def action_card_outcomes(self) -> None:
        """F10: pick a card request whose outcome is unknown (any till of the shop), then a
        manager's PIN and the decision read off the terminal's own journal."""
        from till.ui.returns.dialogs import ChoiceScreen  # deferred: a screen loads when opened

        rows = {str(row.id): row for row in unresolved()}
        if not rows:
            raise Refused(_("No card payment waits for a manager"))
        choices = [(key, describe(row)) for key, row in rows.items()]
        screen = ChoiceScreen(_("Card outcomes to check"), choices, _("Check each on the terminal's own journal:"))
        self.app.push_screen(screen, lambda chosen: chosen and self._settle_card(rows[chosen]))

    @guarded
    def _settle_card(self, row) -> None:
        def decide(manager, approved: bool, reference: str):
            return card_settlement.settle(row.id, manager, self.ctx.sealer, self.ctx.config, approved=approved,
                                          reference=reference)
        settle_unknown(self, self.ctx.sealer, row, decide, self._card_settled)

    @guarded
    def _card_settled(self, done) -> None:
        if done.ticket is not None:
            self.show_info(_("Settled as approved: ticket {code} written", code=done.ticket.code))
        elif done.row.status == "declined":
            self.show_info(_("Settled as not approved"))
        else:
            self.show_info(_("Settled as approved: no ticket carries it; refund the card or ring the sale again"))

    @guarded
    def action_cash_move(self) -> None:
        """F11: a float, a withdrawal, a petty expense... or a means correction, with a manager's
        PIN; the drawer opens when cash moved (``till.ui.dialogs.cash_move``)."""
        from till.ui.dialogs.cash_move import ask_cash_move  # deferred: a dialog loads when opened
        # the sale screen under this one says whether its session is a training one
        training = any(getattr(screen, "training", False) is True for screen in self.app.screen_stack)
        ask_cash_move(self, self.ctx, getattr(self.app, "user", None) or self.manager, training, self._cash_moved)

    def _cash_moved(self, document) -> None:
        self.app.process_outbox()  # the drawer opens
        self.action_x_report()
        self.show_info(_("Document {code} written", code=document.code))

    def action_reports(self) -> None:
        """F6: the analytic reports (sales, returns, credit notes, customers, stock)."""
        from till.ui.screens.reports import ReportsScreen  # deferred: a screen loads when opened

        self.app.push_screen(ReportsScreen(self.ctx))

    def action_signals(self) -> None:
        """F12: today's loss-prevention signals (``till.ui.screens.signals``)."""
        from till.ui.screens.signals import SignalsScreen  # deferred: a screen loads when opened

        self.app.push_screen(SignalsScreen(self.ctx, self.manager))

    def action_scroll(self, step: int) -> None:
        self.query_one("#closures-scroll", VerticalScroll).scroll_relative(y=step, animate=False)

    def action_leave(self) -> None:
        self.dismiss(None)
