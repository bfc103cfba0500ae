"""The first screen: a cashier logs in with a login and a PIN.

``till.people.auth.login`` does the checking, counting and locking (and records each attempt in chain
L); this screen only moves focus, shows the refusal in the cashier's language and, on success,
opens the sale screen over itself, so logging out is just closing that screen.

Card payments whose outcome is unknown (``till.selling.card_journal.unresolved``) are shown here until
a manager settles them, so a stop mid-payment is never forgotten.

Enter moves from the login to the PIN field and, in the PIN field, logs in: a hint line says so.
F9 unlocks a cashier locked by wrong PINs (``till.ui.dialogs.unlock``, the manager's screen's own
path): a manager types their login and PIN here, so a locked cashier need not wait for a manager
to log in first.

F5 switches the next login to training mode (FORMATION): the sale screen then writes training
tickets (chain X, no effect on totals, stock or credit notes), clearly marked on screen and paper.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Label

from till.selling.card_journal import unresolved
from till.people.auth import login
from till.i18n import N_, _, translate_plural
from till.means import means as means_of
from till.ui.dialogs.unlock import UnlocksAccounts
from till.ui.feedback import guarded, money, translate_bindings
from till.ui.widgets.scan_input import FieldInput
from till.ui.widgets.status_line import HasStatus, StatusLine
from till.ui.widgets.key_footer import KeyFooter


class LoginScreen(UnlocksAccounts, HasStatus, Screen[None]):
    """Login and PIN fields; Enter in the PIN field logs in; F5 toggles training mode; F9 unlocks."""

    BINDINGS = [
        Binding("f5", "training", "Training", id="login-training", key_display="F5"),
        Binding("f9", "unlock", "Unlock", id="login-unlock", key_display="F9",
                tooltip=N_("Unlock an account locked by wrong PINs")),
    ]

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)
        self.training = False
        self.demo_checked = False
        """Set by ``show_demo``, which the app calls once this screen is first drawn."""

    def compose(self) -> ComposeResult:
        config = self.app.ctx.config
        with Vertical(classes="dialog login-dialog"):
            yield Label(config.shop.name, classes="dialog-title", markup=False)
            yield Label(_("Till {till_id}: log in", till_id=config.till.id), markup=False)
            yield Label("", id="login-training", classes="training", markup=False)
            yield Label("", id="login-card-outcomes", classes="training", markup=False)
            yield Label("", id="login-demo", classes="login-demo", markup=False)
            yield Label(_("Login"))
            yield FieldInput(id="login", placeholder=_("Login"))
            yield Label(_("PIN"))
            yield FieldInput(id="pin", password=True, placeholder=_("PIN"), restrict=r"\d{0,8}")
            yield Label(_("Enter: next field, then log in"), id="login-hint", markup=False)
            yield StatusLine(id="login-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.login_input.next_field = self.pin_input
        self._show_card_outcomes()

    def _show_card_outcomes(self) -> None:
        """Card payments whose outcome is unknown, until a manager settles them: seen at every login."""
        count = len(unresolved(self.app.ctx.till_id))
        self.query_one("#login-card-outcomes", Label).update(
            translate_plural("{count} card payment to check on the terminal's journal: a manager settles it "
                             "(F1 then F10)",
                             "{count} card payments to check on the terminal's journal: a manager settles them "
                             "(F1 then F10)", count) if count else "")

    def show_demo(self) -> None:
        """In the demo shop only: the PINs and the receipts still to return, so a newcomer needs
        neither the README nor the text printed in the terminal (``till.demo.build``). Called by
        the app once this screen is drawn: the demo's module is not light, a real shop's start
        should not wait for it."""
        self.demo_checked = True
        from till.demo.offered import demo_logins, is_demo_shop, receipts_to_return  # deferred: demo only

        label = self.query_one("#login-demo", Label)
        if not is_demo_shop():
            label.display = False
            return
        pins = ", ".join(f"{login} {pin}" for login, pin in demo_logins())
        lines = [_("Demo. PINs: {pins}", pins=pins)]
        lines += [_("To return: {code} {amount} ({means})", code=code, amount=money(total),
                    means=" + ".join(means_of(part).text() for part in means.split("+")))
                  for code, total, means in receipts_to_return()]
        label.update("\n".join(lines))
        self.query_one(".login-dialog").add_class("demo")  # wider: a receipt and its means on one line

    @property
    def login_input(self) -> FieldInput:
        return self.query_one("#login", FieldInput)

    @property
    def pin_input(self) -> FieldInput:
        return self.query_one("#pin", FieldInput)

    def on_screen_resume(self) -> None:
        """Back from a sale, a dialog or the key list: what waits may have changed. The fields
        were emptied when the sale began, so a dialog closed here leaves what was typed."""
        self._show_card_outcomes()
        if self.demo_checked:  # not at the first show: the app asks once the screen is drawn
            self.show_demo()  # a return may have used a receipt up

    def _ready_for_next(self) -> None:
        """As a sale begins: empty fields and no training, for the next cashier after logout."""
        self.pin_input.value = ""
        self.login_input.value = ""
        self.login_input.focus()
        self._set_training(False)

    def action_training(self) -> None:
        self._set_training(not self.training)

    def _set_training(self, on: bool) -> None:
        self.training = on
        self.query_one("#login-training", Label).update(
            _("TRAINING MODE: tickets are practice only (F5 to leave)") if on else "")

    @guarded
    def on_field_input_ended(self, event: FieldInput.Ended) -> None:
        event.stop()
        if event.field is self.login_input:
            self.pin_input.focus()
            return
        name, pin = self.login_input.value, event.value
        self.pin_input.value = ""
        if not name.strip():
            self.login_input.focus()
            return
        try:
            user = login(self.app.ctx.sealer, name, pin)
        except Exception:
            self.pin_input.focus()
            raise
        self.status.update("")
        self.status.set_class(False, "error")
        training = self.training
        self._ready_for_next()
        self.app.start_sale(user, training=training)
