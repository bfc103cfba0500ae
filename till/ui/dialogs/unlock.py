"""Unlocking a member of staff locked by wrong PINs: pick the account, then a manager's PIN.

One path for both places that offer it, the manager's screen (F9) and the login screen (F9):
a cashier locked out at the start of a shift must not wait for a manager to log in first, and
the unlock is the same act wherever it is asked (``till.people.auth.unlock_account`` seals it
in chain L with the approving manager). With nobody logged in, the manager's PIN dialog asks
for the manager's login too, and wrong PINs count against that manager.
"""

from __future__ import annotations

from typing import Any

from till.i18n import _
from till.people.auth import locked_users, unlock_account
from till.ui.feedback import Refused, guarded


class UnlocksAccounts:
    """Mixed into a ``HasStatus`` screen of ``TillApp``: ``action_unlock`` does it all."""

    @guarded
    def action_unlock(self) -> None:
        """Pick a locked account, then a manager's PIN unlocks it. The PIN is asked even of a
        manager already logged in: they may have walked away since, and an unlock gives three
        more tries to whoever is guessing."""
        from till.ui.returns.dialogs import ChoiceScreen  # deferred: a screen loads when opened

        locked = {str(user.id): user for user in locked_users()}
        if not locked:
            raise Refused(_("No account is locked"))
        choices = [(key, f"{user.login} ({user.name})") for key, user in locked.items()]
        screen = ChoiceScreen(_("Unlock an account"), choices, _("Locked after too many wrong PINs:"))
        self.app.push_screen(screen, lambda chosen: chosen and self._ask_unlock(locked[chosen]))

    @guarded
    def _ask_unlock(self, user: Any) -> None:
        from till.ui.dialogs.manager_pin import ManagerPinScreen  # deferred: a screen loads when opened

        screen = ManagerPinScreen(self.app.ctx.sealer, "unlock account",
                                  _("A manager's PIN unlocks {login}", login=user.login), details={"login": user.login})
        self.app.push_screen(screen, lambda manager: manager and self._unlock(user, manager))

    @guarded
    def _unlock(self, user: Any, manager: Any) -> None:
        unlock_account(self.app.ctx.sealer, user, "user unlocked on screen", by=manager)
        self.show_info(_("{login} is unlocked and can log in again", login=user.login))
        self.after_unlock()

    def after_unlock(self) -> None:
        """What the screen refreshes once an account is unlocked (nothing by default)."""
