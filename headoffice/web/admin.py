"""Admin pages: the users (unlock, disable) and the audit log. Admins only.

Creating users and setting passwords stay on the command line (``till-headoffice user``), where
a password is typed without echo and never travels in a form.
"""

from __future__ import annotations

from urllib.parse import urlencode

from headoffice.web.accounts import UserError, disable_user, list_users, locked, unlock
from headoffice.web.audit import audit, entries
from headoffice.web.pages import Page, redirect, render


def users(request, user, form):
    message = ""
    if form is not None:
        name, action = form.get("username", ""), form.get("action", "")
        try:
            if action == "unlock":
                unlock(name, user.username)
                message = f"{name} unlocked."
            elif action == "disable":
                if name == user.username:
                    raise UserError("you cannot disable yourself")
                disable_user(name)
                audit(user, "disable_user", name)
                message = f"{name} disabled."
            else:
                raise UserError("unknown action")
        except UserError as error:
            message = str(error)
        return redirect("/admin/users?" + urlencode({"done": message}))
    rows = [(row, locked(row.username, "")) for row in list_users()]
    return render(request, user, "users.html", rows=rows, message=request.query_params.get("done", ""))


def audit_log(request, user, _form):
    return render(request, user, "audit.html", entries=entries(500, request.query_params.get("user") or None))


PAGES = [
    Page("/admin/users", "admin_users", users, role="admin", methods=("GET", "POST"), nav="Users"),
    Page("/admin/log", "admin_log", audit_log, role="admin", nav="Audit log"),
]
