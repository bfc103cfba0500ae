"""Failed logins: the same answer whatever failed, a lock-out per username and per client
address, an admin's unlock, and every step in the audit log."""

from __future__ import annotations

from headoffice.store import WebAudit, proxy
from headoffice.web.accounts import MAX_FAILURES_PER_ADDRESS, MAX_FAILURES_PER_USER, authenticate
from headoffice.web.audit import entries
from tests.support.ho_web import PASSWORD, login, post_form

FAILED = "Wrong username or password, or too many failed logins"


def _body(response) -> str:
    """The answer's page without the per-answer token and the echoed username."""
    text = response.text
    start = text.index('name="csrf" value="') + len('name="csrf" value="')
    text = text[:start] + text[text.index('"', start):]
    return text.replace('value="vera"', 'value="?"').replace('value="nobody"', 'value="?"')


def test_an_unknown_user_and_a_wrong_password_get_the_same_answer(ho_web):
    unknown = login(ho_web.client(), "nobody", PASSWORD)
    wrong = login(ho_web.client(), "vera", "not the password")
    assert unknown.status_code == wrong.status_code == 401
    assert FAILED in unknown.text
    assert _body(unknown) == _body(wrong)


def test_five_failures_lock_a_username_out_even_with_the_right_password_then(ho_web):
    for _ in range(MAX_FAILURES_PER_USER):
        assert login(ho_web.client(), "vera", "guessing").status_code == 401
    locked = login(ho_web.client(), "vera", PASSWORD)
    assert locked.status_code == 401 and FAILED in locked.text  # same answer: the lock reveals nothing
    assert login(ho_web.client(), "manon", PASSWORD).status_code == 303  # others are not locked out
    with proxy.obj.connection_context():
        actions = [entry.action for entry in entries(username="vera")]
    assert actions.count("login_failed") == MAX_FAILURES_PER_USER
    assert "locked_out" in actions and actions[0] == "login_refused_locked"


def test_an_unknown_username_is_locked_out_as_a_known_one_is(ho_web):
    with proxy.obj.connection_context():
        for _ in range(MAX_FAILURES_PER_USER):
            authenticate("nobody", "guess", "192.0.2.1")
        assert any(entry.action == "locked_out" for entry in entries(username="nobody"))


def test_an_address_is_locked_out_after_many_failures_across_usernames(ho_web):
    with proxy.obj.connection_context():
        for number in range(MAX_FAILURES_PER_ADDRESS):
            assert authenticate(f"guess{number}", "guess", "198.51.100.7") is None
        assert authenticate("vera", PASSWORD, "198.51.100.7") is None  # refused from that address
        assert authenticate("vera", PASSWORD, "198.51.100.8") is not None  # not from another one


def test_an_admin_unlocks_a_username_on_the_users_page(ho_web):
    for _ in range(MAX_FAILURES_PER_USER):
        login(ho_web.client(), "vera", "guessing")
    admin = ho_web.logged_in("admin")
    page = admin.get("/admin/users")
    assert "locked out" in page.text
    answer = post_form(admin, "/admin/users", {"username": "vera", "action": "unlock"})
    assert answer.status_code == 303
    assert "locked out" not in admin.get(answer.headers["location"]).text
    assert login(ho_web.client(), "vera", PASSWORD).status_code == 303
    with proxy.obj.connection_context():
        unlock = WebAudit.get(WebAudit.action == "unlock")
    assert unlock.username == "ada" and unlock.details.startswith("vera")


def test_logins_and_logouts_are_in_the_audit_log_page(ho_web):
    viewer = ho_web.logged_in("viewer")
    post_form(viewer, "/logout", {}, page="/")
    login(ho_web.client(), "vera", "wrong password")
    log = ho_web.logged_in("admin").get("/admin/log").text
    for action in ("login", "logout", "login_failed"):
        assert f"<td>{action}</td>" in log


def test_an_unknown_user_costs_a_password_check_as_a_known_one_does(ho_web, monkeypatch):
    """The work done, and so the time taken, does not tell whether the username exists."""
    from headoffice.web import accounts

    checked = []
    real = accounts.verify_password
    monkeypatch.setattr(accounts, "verify_password", lambda password, stored: checked.append(stored) or
                        real(password, stored))
    with proxy.obj.connection_context():
        for username in ("nobody", "vera"):
            assert authenticate(username, "wrong password", "192.0.2.4") is None
    assert len(checked) == 2 and all(stored.startswith("scrypt$") for stored in checked)
