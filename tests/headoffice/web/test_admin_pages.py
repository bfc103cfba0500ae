"""The admin's pages: the users (disable, unlock) and the audit log."""

from __future__ import annotations

import threading

from headoffice.store import WebAudit, proxy
from headoffice.web import accounts
from tests.support.ho_web import PASSWORD, login, post_form


def test_an_admin_disables_a_user_who_is_logged_out_at_once(ho_web):
    viewer = ho_web.logged_in("viewer")
    admin = ho_web.logged_in("admin")
    answer = post_form(admin, "/admin/users", {"username": "vera", "action": "disable"})
    assert answer.status_code == 303
    assert "vera disabled." in admin.get(answer.headers["location"]).text
    assert viewer.get("/").status_code == 303
    assert login(ho_web.client(), "vera", PASSWORD).status_code == 401
    with proxy.obj.connection_context():
        entry = WebAudit.get(WebAudit.action == "disable_user")
    assert (entry.username, entry.details) == ("ada", "vera")


def test_an_admin_cannot_disable_themselves(ho_web):
    admin = ho_web.logged_in("admin")
    answer = post_form(admin, "/admin/users", {"username": "ada", "action": "disable"})
    assert "you cannot disable yourself" in admin.get(answer.headers["location"]).text
    assert admin.get("/").status_code == 200


def test_password_checks_run_a_few_at_a_time_whatever_the_burst_of_logins(ho_web, monkeypatch):
    """scrypt holds 128 MiB a check: twenty logins at once must not hold twenty times that."""
    running, most, lock = [0], [0], threading.Lock()
    real = accounts.verify_password

    def counted(password, stored):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            return real(password, stored)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(accounts, "verify_password", counted)

    def one(number: int) -> None:
        with proxy.obj.connection_context():
            accounts.authenticate("vera", "guess", f"192.0.2.{number}")

    threads = [threading.Thread(target=one, args=(number,)) for number in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 1 <= most[0] <= accounts.CONCURRENT_CHECKS
