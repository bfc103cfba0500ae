"""``[loss_prevention]`` of till.toml: thresholds with defaults, wrong values refused with the line."""

from __future__ import annotations

import datetime as dt

import pytest

from till.config.example import render_example
from till.config.loader import ConfigError, load
from till.config.loss_prevention import DEFAULTS
from till.loss.signals import thresholds_of

SECTION = ("[loss_prevention]               # signals of return abuse, for a manager (`till report signals`)\n"
           "customer_min_returns = 3        # returns in the period before a customer's share is looked at")


def _text(replacement: str) -> str:
    """The example file with the section's first key replaced (and its event days, if set)."""
    text = render_example()
    assert SECTION in text
    if "event_dates" in replacement:
        text = "\n".join(line for line in text.splitlines() if not line.startswith("event_dates = ")) + "\n"
    return text.replace(SECTION, replacement)


def _load(tmp_path, replacement: str):
    path = tmp_path / "till.toml"
    path.write_text(_text(replacement), encoding="utf-8")
    return load(path), _text(replacement)


def _refusal(tmp_path, replacement: str) -> tuple[str, int]:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, replacement)
    text = _text(replacement)
    return caught.value.text("en"), text.splitlines().index(replacement.splitlines()[-1]) + 1


def test_the_example_sets_every_threshold_to_its_default(tmp_path):
    config, text = _load(tmp_path, SECTION)
    assert all(f"\n{name} = " in text for name in DEFAULTS)
    thresholds = thresholds_of(config.loss_prevention)
    assert dict(thresholds) == dict(DEFAULTS) and thresholds.event_dates == frozenset()


def test_a_threshold_and_event_days_set_in_the_file_reach_the_rules(tmp_path):
    config, _ = _load(tmp_path, '[loss_prevention]\ncustomer_min_returns = 5\nevent_dates = ["2026-12-24"]')
    thresholds = thresholds_of(config.loss_prevention)
    assert thresholds.get("customer_min_returns", 3) == 5 and thresholds.event_dates == {dt.date(2026, 12, 24)}


def test_a_cashier_threshold_is_passed_through_for_the_cashier_rules(tmp_path):
    config, _ = _load(tmp_path, "[loss_prevention]\ncashier_voids_factor = 3\ncustomer_min_returns = 3")
    assert thresholds_of(config.loss_prevention).get("cashier_voids_factor") == 3


@pytest.mark.parametrize("replacement, says", [
    ("[loss_prevention]\ncustomer_min_returns = -1", "loss_prevention.customer_min_returns must be a number of zero or more"),
    ('[loss_prevention]\ncustomer_min_returns = "three"', "must be a number of zero or more"),
    ("[loss_prevention]\ncustomer_min_returns = 3\ncustomer_min_retunrs = 3", "unknown key loss_prevention.customer_min_retunrs"),
    ('[loss_prevention]\ncustomer_min_returns = 3\nevent_dates = ["24/12"]', "must be a list of days"),
])
def test_a_wrong_value_is_refused_with_its_line(tmp_path, replacement, says):
    message, line = _refusal(tmp_path, replacement)
    assert says in message and f"line {line}:" in message
