"""The engine runs every rule of every module it lists, and the report names each rule's code."""

from __future__ import annotations

import importlib

from till.i18n import translate
from till.loss.report import SIGNAL_NAMES
from till.loss.signals import RULE_MODULES, rules


def test_every_rule_module_is_run_customer_receipt_card_and_cashier():
    assert {"till.loss.rules_customer", "till.loss.rules_receipt", "till.loss.rules_means",
            "till.loss.rules_cashier"} <= set(RULE_MODULES)
    every = [rule for name in RULE_MODULES for rule in importlib.import_module(name).RULES]
    assert rules() == every and len(every) >= 13


def test_the_report_names_every_rule_in_words_in_french():
    codes = {"customer_return_share", "customer_no_receipt", "customer_quick_returns", "customer_wardrobing",
             "receipt_reprinted", "receipt_many_visits", "receipt_same_cashier", "means_card_refunds",
             "cashier_refund_rate", "cashier_keyed_returns", "cashier_cash_for_card", "cashier_edge_refunds",
             "cashier_same_manager"}
    assert set(SIGNAL_NAMES) == codes
    assert all(translate(SIGNAL_NAMES[code], "fr") != SIGNAL_NAMES[code] for code in codes)
    assert translate(SIGNAL_NAMES["cashier_same_manager"], "fr") == "Toujours le même responsable"
