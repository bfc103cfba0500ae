"""The users table held to its sealed events: who may log in, and with which role.

A user's role decides who may approve a refund without receipt, open the drawer or override a
price, so an account INSERTed as manager, or a cashier UPDATEd to manager with the triggers
out of the way, is as good as a forged approval. Every change to staff is a USER_CHANGED event
of chain L (``till.people.auth.create_user`` with a sealer, ``unlock_account``, ``till user
add``); this check replays them in the order they were sealed and compares the result with the
table:

- a user row no event added is reported (added outside the till);
- a login, role or active flag that differs from the last sealed value is reported;
- a user sealed as added but missing from the table is reported.

Locks after wrong PINs and unlocks are counted in the table (the count moves with every PIN);
they are events too, but not compared here. The events themselves are proved by the journal
verifier; this check runs beside it (``till journal verify``).
"""

from __future__ import annotations

import json
from typing import Any

from store.models import FiscalRecord, User
from till.fiscal.events import EVENT_CHAIN, USER_CHANGED
from till.fiscal.problems import Problem, table_finding

__all__ = ["sealed_users", "check_users"]

_SEALED_FIELDS = ("login", "role", "active")


def sealed_users() -> dict[int, dict[str, Any]]:
    """User id -> the last sealed login, role and active flag (those its events carry)."""
    users: dict[int, dict[str, Any]] = {}
    rows = (FiscalRecord.select(FiscalRecord.payload)
            .where((FiscalRecord.chain == EVENT_CHAIN) & (FiscalRecord.kind == USER_CHANGED))
            .order_by(FiscalRecord.created_at, FiscalRecord.id).tuples())
    for (payload,) in rows:
        try:
            data = json.loads(payload)
            user_id, details = data["user_id"], data["details"]
        except (TypeError, ValueError, KeyError):
            continue
        if type(user_id) is not int or not isinstance(details, dict):
            continue
        state = users.setdefault(user_id, {})
        if details.get("change") == "added":
            state["added"] = True
        state.update({key: details[key] for key in _SEALED_FIELDS if key in details})
    return users


def check_users() -> tuple[list[Problem], list[Problem]]:
    """(problems, warnings) of the users table against the sealed USER_CHANGED events."""
    sealed = sealed_users()
    problems: list[Problem] = []
    seen = set()
    for user_id, login, role, active in User.select(User.id, User.login, User.role, User.active).order_by(User.id) \
            .tuples():
        seen.add(user_id)
        state = sealed.get(user_id, {})
        if not state.get("added") or "role" not in state:
            problems.append(table_finding("user {login} ({role}) has no sealed record of being added (added outside "
                                     "the till)", login=login, role=role))
            continue
        now = {"login": login, "role": role, "active": bool(active)}
        for key in _SEALED_FIELDS:
            if key in state and state[key] != now[key]:
                problems.append(table_finding("user {login}: {field} is {value}, the sealed events say {sealed}",
                                         login=login, field=key, value=now[key], sealed=state[key]))
    for user_id, state in sorted(sealed.items()):
        if state.get("added") and user_id not in seen:
            problems.append(table_finding("user {login} sealed as added is missing from the table",
                                     login=state.get("login", user_id)))
    return problems, []
