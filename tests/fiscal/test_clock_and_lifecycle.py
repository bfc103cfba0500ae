"""R-CLK and R-JET: a clock set back stops sales until a manager acknowledges it; software and
configuration changes are sealed as technical events at start."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from store.models import FiscalRecord, Ticket, User, utcnow
from till import __version__
from till.cli.main import main
from till.fiscal import clock
from till.fiscal.events import record_event
from till.fiscal.lifecycle import CONFIG_CHANGED, SOFTWARE_CHANGED, record_start
from till.fiscal.verify import verify_journal
from tests.support.shop import sell


def logged_kinds(kind=None):
    query = FiscalRecord.select().where(FiscalRecord.chain == "L").order_by(FiscalRecord.sequence)
    return [r.kind for r in query if kind is None or r.kind == kind]


@pytest.fixture
def clock_set_back(lite_shop, monkeypatch):
    """A record sealed while the clock read one hour ahead; the clock then goes back to now."""
    import till.fiscal.chain as chain

    clock.forget()
    ahead = utcnow() + dt.timedelta(hours=1)
    monkeypatch.setattr(chain, "utcnow", lambda: ahead)
    with lite_shop.ctx.database.atomic():
        record_event(lite_shop.ctx.sealer, "LOGIN", "login while the clock was ahead")
    monkeypatch.undo()
    yield lite_shop
    clock.forget()


def test_a_sale_while_the_clock_is_behind_is_refused_until_a_manager_acknowledges(clock_set_back):
    lite_shop = clock_set_back
    before = Ticket.select().count()
    with pytest.raises(clock.ClockWentBackwards, match="before the last record"):
        sell(lite_shop, [("WIN", 1)], cash=1000)
    assert Ticket.select().count() == before
    assert record_start(lite_shop.ctx.sealer, lite_shop.config)[-1] == "CLOCK_BACKWARDS"
    record_start(lite_shop.ctx.sealer, lite_shop.config)  # a second start: the event is not sealed twice
    assert logged_kinds(clock.CLOCK_BACKWARDS) == [clock.CLOCK_BACKWARDS]
    with pytest.raises(clock.ClockWentBackwards, match="note is required"):
        clock.acknowledge(lite_shop.ctx.sealer, lite_shop.manager, " ")
    clock.acknowledge(lite_shop.ctx.sealer, lite_shop.manager, "RTC battery replaced, NTP checked")
    sell(lite_shop, [("WIN", 1)], cash=1000)
    clock.forget()  # a restart reads the floor from the journal: still acknowledged
    sell(lite_shop, [("SOA", 1)], cash=1000)
    assert not clock.record_if_behind(lite_shop.ctx.sealer)
    assert verify_journal(workers=0).ok


def test_the_acknowledgement_from_the_command_line_needs_a_manager_pin(clock_set_back, capsys):
    lite_shop = clock_set_back
    config = str(lite_shop.config.path)
    acknowledge = ["--config", config, "clock", "acknowledge", "--note", "checked"]
    assert main([*acknowledge, "--manager", "cashier", "--pin", "1111"]) == 2  # not a manager
    assert logged_kinds(clock.CLOCK_ACKNOWLEDGED) == []
    assert main([*acknowledge, "--manager", "manager", "--pin", "9999"]) == 0
    assert "sales may resume" in capsys.readouterr().out
    (ack,) = [r for r in FiscalRecord.select().where(FiscalRecord.kind == clock.CLOCK_ACKNOWLEDGED)]
    assert json.loads(ack.payload)["user_id"] == lite_shop.manager.id
    clock.forget()
    sell(lite_shop, [("WIN", 1)], cash=1000)


def test_three_wrong_pins_at_the_acknowledgement_lock_that_manager(clock_set_back, capsys):
    lite_shop = clock_set_back
    acknowledge = ["--config", str(lite_shop.config.path), "clock", "acknowledge", "--note", "checked",
                   "--manager", "manager"]
    for guess in ("1234", "4321", "0000"):
        assert main([*acknowledge, "--pin", guess]) == 2
    assert "bloqué" in capsys.readouterr().err  # the shop's language, French
    assert main([*acknowledge, "--pin", "9999"]) == 2  # locked: even the right PIN
    assert User.get_by_id(lite_shop.manager.id).locked
    assert logged_kinds("USER_LOCKED") == ["USER_LOCKED"] and len(logged_kinds("LOGIN_FAILED")) == 3
    assert logged_kinds(clock.CLOCK_ACKNOWLEDGED) == []
    clock.forget()
    with pytest.raises(clock.ClockWentBackwards):
        sell(lite_shop, [("WIN", 1)], cash=1000)


def test_a_clock_within_tolerance_sells(lite_shop):
    clock.forget()
    sell(lite_shop, [("WIN", 1)], cash=1000)
    assert clock.clock_behind(lite_shop.ctx.till_id, utcnow() - dt.timedelta(minutes=4)) is None
    assert clock.clock_behind(lite_shop.ctx.till_id, utcnow() - dt.timedelta(minutes=6)) is not None


def test_start_seals_software_and_configuration_changes(lite_shop, monkeypatch):
    sealer, config = lite_shop.ctx.sealer, lite_shop.config
    assert record_start(sealer, config) == ["APP_START"]
    assert record_start(sealer, config) == ["APP_START"]  # nothing changed
    config.path.write_text(config.path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    import till.fiscal.lifecycle as lifecycle

    monkeypatch.setattr(lifecycle, "__version__", "99.0")
    assert record_start(sealer, config) == [SOFTWARE_CHANGED, CONFIG_CHANGED, "APP_START"]
    changed = FiscalRecord.get(FiscalRecord.kind == SOFTWARE_CHANGED)
    assert json.loads(changed.payload)["details"] == {"from": __version__, "to": "99.0"}
    assert verify_journal(workers=0).ok


def _clock_reads(monkeypatch, when):
    """The till's clock (the sealer's and the checks') reads ``when``."""
    import till.fiscal.chain as chain

    monkeypatch.setattr(chain, "utcnow", lambda: when)
    monkeypatch.setattr(clock, "utcnow", lambda: when)


def test_a_clock_jumped_forward_since_the_last_record_is_sealed_at_start(lite_shop, monkeypatch):
    """R-CLK-01: a large forward jump is written down (not refused: a shop closed for a holiday
    week starts with a legitimately later clock), with the last record's time and the gap."""
    sealer, config = lite_shop.ctx.sealer, lite_shop.config
    clock.forget()
    record_start(sealer, config)
    last = FiscalRecord.select().order_by(FiscalRecord.created_at.desc()).first().created_at
    threshold = dt.timedelta(hours=config.fiscal.clock_jump_forward_hours)
    near = last + threshold - dt.timedelta(minutes=1)
    _clock_reads(monkeypatch, near)
    clock.forget()
    assert record_start(sealer, config) == ["APP_START"]  # a long weekend: nothing to say

    later = near + threshold + dt.timedelta(hours=1)  # measured from the last record, that start
    _clock_reads(monkeypatch, later)
    clock.forget()
    assert record_start(sealer, config) == [clock.CLOCK_JUMPED_FORWARD, "APP_START"]
    sealed = json.loads(FiscalRecord.get(FiscalRecord.kind == clock.CLOCK_JUMPED_FORWARD).payload)["details"]
    assert sealed["clock"] == later.isoformat(timespec="seconds") + "Z"
    assert sealed["hours"] == config.fiscal.clock_jump_forward_hours + 1
    assert sealed["last_record"] == near.replace(microsecond=0).isoformat(timespec="seconds") + "Z"
    assert sealed["threshold_hours"] == config.fiscal.clock_jump_forward_hours
    sell(lite_shop, [("WIN", 1)], cash=1000)  # recorded, not refused
    assert verify_journal(workers=0).ok


def test_the_forward_jump_threshold_is_a_setting(lite_shop, monkeypatch):
    from till.config.loader import ConfigError, load

    import re

    path = lite_shop.config.path
    text = path.read_text(encoding="utf-8")
    assert re.search(r"^clock_jump_forward_hours = 72 ", text, re.M), "the example shows the key and its default"
    path.write_text(re.sub(r"^clock_jump_forward_hours = 72", "clock_jump_forward_hours = 240", text, flags=re.M),
                    encoding="utf-8")
    assert load(path).fiscal.clock_jump_forward_hours == 240
    path.write_text(path.read_text(encoding="utf-8").replace("= 240", "= 0"), encoding="utf-8")
    with pytest.raises(ConfigError, match="clock_jump_forward_hours must be at least 1"):
        load(path)
